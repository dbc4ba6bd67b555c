//! `GET /Patient/{id}/RelatedPerson`: the patient's related people as a searchset Bundle. A
//! restricted patient's are never shown (an empty Bundle); a patient with none gets 404
//! `RESOURCE_NOT_FOUND`, as the specification says. A patient may see only their own; a healthcare
//! worker needs a legitimate relationship with the patient (`shared/src/relationship.rs`) where
//! the route table asks for one, as it does here, where PDS itself does not (see the README).

use async_trait::async_trait;
use serde_json::Value;
use spine_shared::fhir::{Bundle, BundleEntry};
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};
use spine_shared::{ErrorCode, SpineError, SpineResult, relationship, routes};

const FUNCTION: &str = "pds-get-related-people";

use super::{PdsContext, access, nhs_from_path};

pub struct GetRelatedPeople(pub PdsContext);

#[async_trait]
impl Handler for GetRelatedPeople {
    async fn handle(&self, req: &ApiRequest) -> SpineResult<ApiResponse> {
        let nhs = nhs_from_path(req)?;
        access::own_record_only(req, nhs)?;
        let v = self.0.repo.live(nhs).await?;
        let practice = v.record.patient.general_practitioner.first().map(|gp| gp.identifier.value.as_str());
        let route = routes::by_function(FUNCTION).ok_or_else(|| SpineError::internal("no route for RelatedPerson"))?;
        let basis = relationship::establish(self.0.repo.store(), route, req, v.nhs, practice).await?;
        let respond = |r: ApiResponse| ApiResponse { basis: basis.clone(), ..r.with_patients([v.nhs]) };
        if v.record.patient.is_restricted() {
            return Ok(respond(ApiResponse::fhir_json(200, &Bundle::<Value>::searchset(Vec::new(), None))));
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
        Ok(respond(ApiResponse::fhir_json(200, &Bundle::searchset(entries, None))))
    }
}
