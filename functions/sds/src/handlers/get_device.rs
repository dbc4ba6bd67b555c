//! `GET /Device?organization=…&identifier=…nhsServiceInteractionId|…[&identifier=…nhsMhsPartyKey|…]
//! [&manufacturing-organization=…]`: the accredited systems of an organisation that take part in
//! an interaction, as a searchset Bundle of Device (empty when none match).

use async_trait::async_trait;
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};
use spine_shared::{ErrorCode, SpineError, SpineResult};

use super::SdsContext;
use super::params::{self, IDENTIFIER, MANUFACTURER, ORGANIZATION};
use crate::fhir::device::device;
use crate::fhir::{INTERACTION_SYSTEM, ODS_CODE_SYSTEM, searchset, self_url};
use crate::repository::DeviceQuery;

pub struct GetDevice(pub SdsContext);

#[async_trait]
impl Handler for GetDevice {
    async fn handle(&self, req: &ApiRequest) -> SpineResult<ApiResponse> {
        let p = params::parse(&req.query, &[ORGANIZATION, IDENTIFIER, MANUFACTURER])?;
        let ods = p.organization.ok_or_else(|| {
            SpineError::new(
                ErrorCode::MissingValue,
                format!("Missing or invalid '{ORGANIZATION}' query parameter. Should be '{ORGANIZATION}={ODS_CODE_SYSTEM}|value'"),
            )
        })?;
        let interaction = p.interaction.ok_or_else(|| {
            SpineError::new(
                ErrorCode::MissingValue,
                format!("Missing or invalid '{IDENTIFIER}' query parameter. Should be '{IDENTIFIER}={INTERACTION_SYSTEM}|value'"),
            )
        })?;
        let query = DeviceQuery { ods, interaction, party_key: p.party_key, manufacturer: p.manufacturer };
        let found = self.0.repo.devices(&query).await?;
        let total = found.len();
        let entries = found.iter().map(|a| (self.0.url("Device", Some(&a.id)), device(a))).collect();
        let link = self_url(&self.0.url("Device", None), &req.query);
        Ok(ApiResponse::fhir_json(200, &searchset(entries, total, &link)))
    }
}
