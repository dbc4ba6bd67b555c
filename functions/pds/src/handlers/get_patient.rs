//! `GET /Patient/{id}`: the patient's record with `ETag: W/"n"`; a superseded number answers with
//! the surviving record, an invalidated one with 404 `INVALIDATED_RESOURCE`; a restricted patient's
//! location fields are removed. A patient may read only their own record.

use async_trait::async_trait;
use spine_shared::SpineResult;
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};

use super::{PdsContext, access, nhs_from_path, patient_response};

pub struct GetPatient(pub PdsContext);

#[async_trait]
impl Handler for GetPatient {
    async fn handle(&self, req: &ApiRequest) -> SpineResult<ApiResponse> {
        let nhs = nhs_from_path(req)?;
        access::own_record_only(req, nhs)?;
        let v = self.0.repo.live(nhs).await?;
        let version = v.version;
        let mut patient = v.record.into_fhir(version);
        if patient.is_restricted() {
            patient.redact_restricted();
        }
        Ok(patient_response(200, &patient, version).with_patients([v.nhs]))
    }
}
