//! `GET /Patient/{id}`: the patient's record with `ETag: W/"n"`; a superseded number answers with
//! the surviving record, an invalidated one with 404 `INVALIDATED_RESOURCE`; a restricted patient's
//! location fields are removed.

use async_trait::async_trait;
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};
use spine_shared::{ErrorCode, SpineError, SpineResult};

use super::{PdsContext, nhs_from_path, patient_response};
use crate::repository::Resolved;

pub struct GetPatient(pub PdsContext);

#[async_trait]
impl Handler for GetPatient {
    async fn handle(&self, req: &ApiRequest) -> SpineResult<ApiResponse> {
        let nhs = nhs_from_path(req)?;
        match self.0.repo.resolve(nhs).await? {
            Resolved::Active(v) => {
                let mut patient = v.record.to_fhir(v.version);
                if patient.is_restricted() {
                    patient.redact_restricted();
                }
                Ok(patient_response(200, &patient, v.version))
            }
            Resolved::Invalidated => Err(SpineError::new(
                ErrorCode::InvalidatedResource,
                "Resource Id is invalid - the patient record was invalidated and not superseded",
            )),
            Resolved::NotFound => {
                Err(SpineError::new(ErrorCode::ResourceNotFound, "Patient does not exist for given NHS number"))
            }
        }
    }
}
