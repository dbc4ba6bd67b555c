//! `GET /AuditEvent?patient=|agent=|type=privacy-alert[&date=][&_count=][&_page=]`: one page of a
//! patient's, a caller's or a day's alert events, newest first, as a searchset Bundle of FHIR
//! `AuditEvent`s with a `self` link and, when more follow, a `next` link carrying the `_page`
//! token. One `Query` per page.

use async_trait::async_trait;
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};
use spine_shared::ports::Cursor;
use spine_shared::{SpineError, SpineResult};

use super::{AuditContext, page_token, params};
use crate::fhir::{Link, SearchBundle};
use crate::{model, resource};

pub struct SearchEvents(pub AuditContext);

#[async_trait]
impl Handler for SearchEvents {
    async fn handle(&self, req: &ApiRequest) -> SpineResult<ApiResponse> {
        let search = params::parse(&req.query, &today())?;
        let query = search.query();
        let index = query.index;
        let page = self.0.table.query(query).await?;
        let mut items = page.items;
        // One item more than `_count` was asked for: if it came, the page ends one before it.
        let next = if items.len() > search.count {
            items.truncate(search.count);
            items.last().map(|i| Cursor { pk: i.pk.clone(), sk: i.sk.clone(), index_key: i.key_on(index) })
        } else {
            page.next
        };
        let events = items
            .iter()
            .map(|i| model::event_of(i).map(|e| resource::audit_event(&e)).map_err(SpineError::internal))
            .collect::<SpineResult<Vec<_>>>()?;
        let mut link = vec![Link { relation: "self", url: url(&self.0.search_url, &req.query, None) }];
        if let Some(token) = next.as_ref().and_then(page_token::encode) {
            link.push(Link { relation: "next", url: url(&self.0.search_url, &req.query, Some(&token)) });
        }
        tracing::info!(events = events.len(), more = link.len() > 1, "audit events found");
        Ok(ApiResponse::fhir_json(200, &SearchBundle::searchset(events, link)))
    }
}

/// Today in UTC, `yyyy-mm-dd`.
fn today() -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::OffsetDateTime::now_utc().date().format(&format).unwrap_or_default()
}

/// The search URL with the query as given, or, for the next page, with `_page` replaced.
fn url(base: &str, query: &[(String, String)], page: Option<&str>) -> String {
    let mut pairs: Vec<(&str, &str)> =
        query.iter().filter(|(k, _)| page.is_none() || k != "_page").map(|(k, v)| (k.as_str(), v.as_str())).collect();
    if let Some(token) = page {
        pairs.push(("_page", token));
    }
    if pairs.is_empty() {
        return base.to_owned();
    }
    let q: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
    format!("{base}?{}", q.join("&"))
}

/// Percent-encodes all but unreserved characters and `:` and `/`.
fn encode(s: &str) -> String {
    spine_shared::routes::percent_encode(s, b":/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_carry_the_query_encoded_and_the_next_page_token() {
        let q = vec![
            ("patient".to_owned(), "https://fhir.nhs.uk/Id/nhs-number|9000000009".to_owned()),
            ("_page".to_owned(), "old".to_owned()),
        ];
        assert_eq!(
            url("https://x/AuditEvent", &q, None),
            "https://x/AuditEvent?patient=https://fhir.nhs.uk/Id/nhs-number%7C9000000009&_page=old"
        );
        assert_eq!(
            url("https://x/AuditEvent", &q, Some("tok")),
            "https://x/AuditEvent?patient=https://fhir.nhs.uk/Id/nhs-number%7C9000000009&_page=tok"
        );
        assert_eq!(url("b", &[], None), "b");
        assert_eq!(today().len(), 10);
    }
}
