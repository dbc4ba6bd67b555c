//! The PDS interactions, one handler each, over a shared context. `handler_for` maps a function
//! (binary) name of the route table to its handler, for the Lambda binaries and the local gateway.

mod access;
mod create_patient;
mod get_patient;
mod related_people;
mod search_patients;
mod update_patient;

use std::sync::Arc;

use spine_shared::fhir::{GeneralPractitioner, Patient};
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};
use spine_shared::ports::RecordStore;
use spine_shared::{ErrorCode, NhsNumber, SpineError, SpineResult};

pub use create_patient::CreatePatient;
pub use get_patient::GetPatient;
pub use related_people::GetRelatedPeople;
pub use search_patients::SearchPatients;
pub use update_patient::UpdatePatient;

use crate::repository::PatientRepository;

/// The public base URL of PDS resources in `fullUrl`s.
pub use spine_shared::config::DEFAULT_ORIGIN;
pub const BASE_PATH: &str = "/personal-demographics/FHIR/R4";

/// What every PDS handler works with: the repository and the base URL of resources.
#[derive(Clone)]
pub struct PdsContext {
    pub repo: PatientRepository,
    pub base_url: String,
}

impl PdsContext {
    /// `origin` is where clients reach the API (`SPINE_BASE_URL`), e.g. `https://api.service.nhs.uk`.
    pub fn new(store: Arc<dyn RecordStore>, origin: &str) -> Self {
        PdsContext {
            repo: PatientRepository::new(store),
            base_url: format!("{}{BASE_PATH}", origin.trim_end_matches('/')),
        }
    }

    pub fn patient_url(&self, nhs: NhsNumber) -> String {
        format!("{}/Patient/{nhs}", self.base_url)
    }
}

/// The handler of a PDS function, by its name in the route table.
pub fn handler_for(function: &str, ctx: PdsContext) -> Option<Box<dyn Handler>> {
    Some(match function {
        "pds-get-patient" => Box::new(GetPatient(ctx)),
        "pds-search-patients" => Box::new(SearchPatients(ctx)),
        "pds-update-patient" => Box::new(UpdatePatient(ctx)),
        "pds-create-patient" => Box::new(CreatePatient(ctx)),
        "pds-get-related-people" => Box::new(GetRelatedPeople(ctx)),
        _ => return None,
    })
}

/// The NHS number in the path, or 400 `INVALID_RESOURCE_ID`.
pub(crate) fn nhs_from_path(req: &ApiRequest) -> SpineResult<NhsNumber> {
    let id = req.path_param("id").unwrap_or_default();
    if id.is_empty() {
        return Err(SpineError::new(ErrorCode::UnsupportedService, "Missing NHS number"));
    }
    NhsNumber::parse(id).map_err(|_| {
        SpineError::new(
            ErrorCode::InvalidResourceId,
            format!("Resource Id is invalid - '{id}' is not a valid NHS number"),
        )
    })
}

/// A patient response with its weak ETag.
pub(crate) fn patient_response(status: u16, patient: &Patient, version: u64) -> ApiResponse {
    ApiResponse::fhir_json(status, patient).with_header("etag", &format!("W/\"{version}\""))
}

/// The media type of a request body, without parameters, lower-cased.
pub(crate) fn media_type(req: &ApiRequest) -> String {
    req.header("content-type").unwrap_or_default().split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// Gives every list item that has no id a fresh one, as PDS does for additions.
pub(crate) fn assign_ids(p: &mut Patient) {
    fn fresh() -> String {
        uuid::Uuid::new_v4().simple().to_string()[..8].to_ascii_uppercase()
    }
    p.name.iter_mut().filter(|n| n.id.is_none()).for_each(|n| n.id = Some(fresh()));
    p.address.iter_mut().filter(|a| a.id.is_none()).for_each(|a| a.id = Some(fresh()));
    p.telecom.iter_mut().filter(|t| t.id.is_none()).for_each(|t| t.id = Some(fresh()));
    for c in p.contact.iter_mut() {
        if let Some(o) = c.as_object_mut() {
            o.entry("id").or_insert_with(|| serde_json::Value::String(fresh()));
        }
    }
    p.general_practitioner
        .iter_mut()
        .filter(|g: &&mut GeneralPractitioner| g.id.is_none())
        .for_each(|g| g.id = Some(fresh()));
}
