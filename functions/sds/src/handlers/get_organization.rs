//! `GET /Organization/{id}`: the organisation with this ODS code; 404 `RESOURCE_NOT_FOUND` when
//! there is none, 400 `INVALID_RESOURCE_ID` when the id is not an ODS code.

use async_trait::async_trait;
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};
use spine_shared::{ErrorCode, SpineError, SpineResult};

use super::{SdsContext, shown};
use crate::fhir::organization::organization;
use crate::values::ods_code;

pub struct GetOrganization(pub SdsContext);

#[async_trait]
impl Handler for GetOrganization {
    async fn handle(&self, req: &ApiRequest) -> SpineResult<ApiResponse> {
        let raw = req.path_param("id").unwrap_or_default();
        let ods = ods_code(raw).ok_or_else(|| {
            SpineError::new(
                ErrorCode::InvalidResourceId,
                format!("Resource Id is invalid - '{}' is not an ODS code (1 to 9 letters and digits)", shown(raw)),
            )
        })?;
        match self.0.repo.organisation(&ods).await? {
            Some(o) => Ok(ApiResponse::fhir_json(200, &organization(&o))),
            None => Err(SpineError::new(
                ErrorCode::ResourceNotFound,
                format!("Organisation not found - no organisation has ODS code '{ods}'"),
            )),
        }
    }
}
