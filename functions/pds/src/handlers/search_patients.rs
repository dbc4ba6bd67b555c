//! `GET /Patient?...`: a searchset Bundle of reduced patient resources with scores, best first;
//! `TOO_MANY_MATCHES` as an HTTP 200 OperationOutcome. An application-restricted caller gets one
//! unique match at most: `_max-results` must be 1 (else 403 `INVALID_VALUE`), and more than one
//! match is `TOO_MANY_MATCHES`.

use async_trait::async_trait;
use spine_shared::fhir::{Bundle, BundleEntry, BundleSearch, Patient};
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};
use spine_shared::{ErrorCode, SpineError, SpineResult};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{PdsContext, access};
use crate::search::{self, Found, params};

/// Extensions a search result leaves out (place of birth, pharmacies, communication, contact
/// preferences), by the end of their URL.
const NOT_IN_SEARCH: [&str; 6] = [
    "patient-birthPlace",
    "Extension-UKCore-NominatedPharmacy",
    "Extension-UKCore-PreferredDispenserOrganization",
    "Extension-UKCore-MedicalApplianceSupplier",
    "Extension-UKCore-NHSCommunication",
    "Extension-UKCore-ContactPreference",
];

/// The reduced resource a search returns: usual, nickname and temporary names; the home address.
pub fn reduce(mut p: Patient) -> Patient {
    p.name.retain(|n| matches!(n.name_use.as_deref(), None | Some("usual" | "nickname" | "temp")));
    p.address.retain(|a| matches!(a.address_use.as_deref(), None | Some("home")));
    p.extension.retain(|e| {
        let url = e.get("url").and_then(|u| u.as_str()).unwrap_or_default();
        !NOT_IN_SEARCH.iter().any(|n| url.ends_with(n))
    });
    if p.is_restricted() {
        p.redact_restricted();
    }
    p
}

pub struct SearchPatients(pub PdsContext);

#[async_trait]
impl Handler for SearchPatients {
    async fn handle(&self, req: &ApiRequest) -> SpineResult<ApiResponse> {
        let mut request = params::parse(&req.query)?;
        if access::application_restricted(req) {
            access::single_result_for_applications(req)?;
            request.max_results = 1;
        }
        let matches = match search::run(&self.0.repo, &request).await? {
            Found::TooMany => {
                return Err(SpineError::new(
                    ErrorCode::TooManyMatches,
                    "Too many matches were found - refine the search parameters",
                ));
            }
            Found::Matches(m) => m,
        };
        let patients: Vec<_> = matches.iter().map(|(_, v)| v.nhs).collect();
        let entries = matches
            .into_iter()
            .map(|(score, v)| BundleEntry {
                full_url: self.0.patient_url(v.nhs),
                search: Some(BundleSearch { score }),
                resource: reduce(v.record.into_fhir(v.version)),
            })
            .collect();
        let timestamp = OffsetDateTime::now_utc().replace_nanosecond(0).ok().and_then(|t| t.format(&Rfc3339).ok());
        Ok(ApiResponse::fhir_json(200, &Bundle::searchset(entries, timestamp)).with_patients(patients))
    }
}
