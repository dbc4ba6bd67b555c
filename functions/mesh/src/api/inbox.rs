//! `GET /messageexchange/{mailbox}/inbox`: the ids of the messages waiting, oldest acceptance
//! first. v1 answers `{"messages"}` (at most `max_results`, no paging); v2 adds
//! `approx_inbox_count` and `links` — `self`, and `next` (a path with `continue_from`) while more
//! messages follow. `workflow_filter` selects by workflow id ([`crate::inbox::WorkflowFilter`]).

use http::StatusCode;
use serde_json::json;
use spine_shared::pipeline::ApiRequest;

use super::authn::{authenticate, path_mailbox};
use super::{MeshContext, Reply};
use crate::error::MeshError;
use crate::headers::ApiVersion;
use crate::inbox::{InboxCursor, WorkflowFilter};

/// A page holds this many ids unless `max_results` says otherwise.
pub const DEFAULT_MAX_RESULTS: usize = 500;
/// The most ids one page holds.
pub const MAX_RESULTS_LIMIT: usize = 5000;

pub async fn list(ctx: &MeshContext, request: &ApiRequest, version: ApiVersion) -> Result<Reply, MeshError> {
    let mailbox = authenticate(ctx, request, Some(path_mailbox(request))).await?;
    let param = |name: &str| request.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let bad = |what: &'static str| MeshError::new(StatusCode::BAD_REQUEST, "", "", what);
    let max = match param("max_results") {
        None | Some("") => DEFAULT_MAX_RESULTS,
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => n.min(MAX_RESULTS_LIMIT),
            _ => return Err(bad("max_results must be a positive whole number")),
        },
    };
    let cursor = match param("continue_from").filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(InboxCursor::parse(v).ok_or_else(|| bad("continue_from is not a cursor this inbox gave"))?),
    };
    let filter_text = param("workflow_filter").unwrap_or_default();
    let filter = WorkflowFilter::parse(filter_text);
    let page = ctx.store.inbox(&mailbox.id, filter.as_ref(), max, cursor.as_ref()).await?;
    let ids: Vec<&str> = page.messages.iter().map(|id| id.as_str()).collect();
    if version == ApiVersion::V1 {
        return Ok(Reply::json(StatusCode::OK, version, &json!({"messages": ids})));
    }
    let mut query = Vec::new();
    if max != DEFAULT_MAX_RESULTS {
        query.push(format!("max_results={max}"));
    }
    if filter.is_some() {
        query.push(format!("workflow_filter={}", encode(filter_text)));
    }
    let base = format!("/messageexchange/{}/inbox", mailbox.id);
    let link = |query: &[String]| if query.is_empty() { base.clone() } else { format!("{base}?{}", query.join("&")) };
    let mut links = serde_json::Map::new();
    links.insert("self".into(), link(&query).into());
    if let Some(next) = &page.next {
        query.push(format!("continue_from={}", encode(next.as_str())));
        links.insert("next".into(), link(&query).into());
    }
    let body = json!({"messages": ids, "links": links, "approx_inbox_count": page.approx_inbox_count});
    Ok(Reply::json(StatusCode::OK, version, &body))
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
fn encode(value: &str) -> String {
    spine_shared::routes::percent_encode(value, b"")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cursor_survives_a_query_string() {
        assert_eq!(super::encode("20260101000000000000#20260101_ABC"), "20260101000000000000%2320260101_ABC");
        assert_eq!(super::encode("!*PATH*"), "%21%2APATH%2A");
    }
}
