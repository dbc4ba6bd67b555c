//! `GET /Endpoint?[organization=…]&identifier=…`: MHS routing and reliability records as a
//! searchset Bundle of Endpoint. The combinations SDS takes: organisation + interaction + party
//! key, organisation + party key, organisation + interaction, interaction + party key.

use async_trait::async_trait;
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};
use spine_shared::{ErrorCode, SpineError, SpineResult};

use super::SdsContext;
use super::params::{self, IDENTIFIER, ORGANIZATION};
use crate::fhir::endpoint::endpoint;
use crate::fhir::{INTERACTION_SYSTEM, ODS_CODE_SYSTEM, PARTY_KEY_SYSTEM, searchset, self_url};
use crate::repository::EndpointQuery;

pub struct GetEndpoint(pub SdsContext);

#[async_trait]
impl Handler for GetEndpoint {
    async fn handle(&self, req: &ApiRequest) -> SpineResult<ApiResponse> {
        let p = params::parse(&req.query, &[ORGANIZATION, IDENTIFIER])?;
        let valid = match (&p.organization, &p.interaction, &p.party_key) {
            (Some(_), i, k) => i.is_some() || k.is_some(),
            (None, i, k) => i.is_some() && k.is_some(),
        };
        if !valid {
            let org = format!("{ORGANIZATION}={ODS_CODE_SYSTEM}|value");
            let service = format!("{IDENTIFIER}={INTERACTION_SYSTEM}|value");
            let party = format!("{IDENTIFIER}={PARTY_KEY_SYSTEM}|value");
            return Err(SpineError::new(
                ErrorCode::InvalidSearchData,
                format!(
                    "Missing or invalid query parameters. Should be one of the following combinations: \
                     ['{org}&{service}&{party}', '{org}&{service}', '{org}&{party}', '{service}&{party}']"
                ),
            ));
        }
        let query = EndpointQuery { ods: p.organization, interaction: p.interaction, party_key: p.party_key };
        let found = self.0.repo.endpoints(&query).await?;
        let total = found.len();
        let entries = found.iter().map(|m| (self.0.url("Endpoint", Some(&m.id)), endpoint(m))).collect();
        let link = self_url(&self.0.url("Endpoint", None), &req.query);
        Ok(ApiResponse::fhir_json(200, &searchset(entries, total, &link)))
    }
}
