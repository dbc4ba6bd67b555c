//! `GET /Patient/{id}/RelatedPerson`: the patient's related people as a searchset Bundle. A
//! restricted patient's are never shown (an empty Bundle); a patient with none gets 404
//! `RESOURCE_NOT_FOUND`, as the specification says.

use async_trait::async_trait;
use serde_json::Value;
use spine_shared::fhir::{Bundle, BundleEntry};
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};
use spine_shared::{ErrorCode, SpineError, SpineResult};

use super::{PdsContext, nhs_from_path};

pub struct GetRelatedPeople(pub PdsContext);

#[async_trait]
impl Handler for GetRelatedPeople {
    async fn handle(&self, req: &ApiRequest) -> SpineResult<ApiResponse> {
        let nhs = nhs_from_path(req)?;
        let v = self.0.repo.live(nhs).await?;
        if v.record.patient.is_restricted() {
            return Ok(ApiResponse::fhir_json(200, &Bundle::<Value>::searchset(Vec::new(), None)));
        }
        if v.record.related.is_empty() {
            return Err(SpineError::new(ErrorCode::ResourceNotFound, "No related people exist for given NHS number"));
        }
        let base = self.0.patient_url(v.nhs);
        let entries = v
            .record
            .related
            .iter()
            .map(|r| {
                let id = r.get("id").and_then(Value::as_str).unwrap_or_default();
                BundleEntry { full_url: format!("{base}/RelatedPerson/{id}"), search: None, resource: r.clone() }
            })
            .collect();
        Ok(ApiResponse::fhir_json(200, &Bundle::searchset(entries, None)))
    }
}
