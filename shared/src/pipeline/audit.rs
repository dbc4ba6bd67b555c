//! The pipeline's audit step: which events an answer produces. On a patient-data route, one event
//! per patient the answer touched (a search: one per match; none matched: one event without a
//! patient), else one for the patient named in the path; on any route, one for a refusal (401/403).
//! Other answers on routes without patient data are not audited.

use super::{Access, ApiRequest, ApiResponse};
use crate::NhsNumber;
use crate::SpineResult;
use crate::audit::{Attempt, AuditEvent, Outcome};
use crate::identity::Denial;
use crate::routes::Route;

pub(super) async fn record(
    route: &Route,
    access: &Access,
    request: &ApiRequest,
    response: &ApiResponse,
    denial: Option<&Denial>,
) -> SpineResult<()> {
    let refused = matches!(response.status, 401 | 403);
    if !route.patient_data && !refused {
        return Ok(());
    }
    let outcome = if refused { Outcome::Refused } else { Outcome::Allowed };
    let attempt = request
        .ids
        .as_ref()
        .map_or_else(|| Attempt::now("", None), |i| Attempt::now(&i.request_id, i.correlation_id.as_deref()));
    let patients: Vec<Option<NhsNumber>> = if !response.patients.is_empty() {
        response.patients.iter().copied().map(Some).collect()
    } else {
        vec![path_patient(route, request)]
    };
    let events = patients
        .into_iter()
        .map(|patient| {
            let mut event =
                AuditEvent::new(route, &attempt, request.identity.as_ref(), patient, outcome, response.status);
            if refused {
                event.reason = Some(denial.map_or_else(|| refusal_reason(response), |d| d.reason.to_string()));
            }
            if let Some((basis, stated)) = &response.basis {
                event.basis = Some(*basis);
                event.stated_reason = stated.clone();
            }
            event
        })
        .collect();
    access.audit.record(events).await
}

/// The NHS number in the path of a patient-data route (`{id}`), when it is one.
fn path_patient(route: &Route, request: &ApiRequest) -> Option<NhsNumber> {
    if !route.patient_data {
        return None;
    }
    request.path_param("id").and_then(|id| NhsNumber::parse(id).ok())
}

/// The refusal's diagnostics, as the caller saw them (never token contents or patient data).
fn refusal_reason(response: &ApiResponse) -> String {
    let outcome = response.json();
    outcome["issue"][0]["diagnostics"].as_str().unwrap_or("refused").to_owned()
}
