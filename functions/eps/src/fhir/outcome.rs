//! EPS's answers as OperationOutcomes: a refusal ([`EpsError`]) with its status, issue type and EPS
//! code (and, for `PRESCRIPTION_WITH_ANOTHER_DISPENSER`, the holding dispenser as a contained
//! Organization); the informational outcome of an accepted message; `NO_MORE_PRESCRIPTIONS`. An
//! internal error is logged by its cause and answered with a generic diagnostic.

use serde_json::{Value, json};
use spine_shared::pipeline::ApiResponse;

use super::{EPS_ERROR_CODES, ODS, ident};
use crate::error::EpsError;

/// The response of a refusal.
pub fn refusal(e: &EpsError) -> ApiResponse {
    if let Some(cause) = e.cause() {
        tracing::error!(cause, "EPS internal error");
    }
    let mut issue = json!({
        "severity": if e.status() >= 500 { "fatal" } else { "error" },
        "code": e.issue().as_str(),
        "diagnostics": e.diagnostics(),
    });
    if let Some(code) = e.code() {
        issue["details"] = json!({ "coding": [{
            "system": EPS_ERROR_CODES,
            "code": code,
            "display": e.diagnostics(),
        }]});
    }
    let mut outcome = json!({ "resourceType": "OperationOutcome", "issue": [issue] });
    if let Some(holder) = e.holder() {
        outcome["contained"] = json!([{
            "resourceType": "Organization",
            "id": "dispenser",
            "identifier": [ident(ODS, holder)],
        }]);
    }
    ApiResponse::fhir_json(e.status(), &outcome)
}

/// An informational OperationOutcome (200): what EPS answers an accepted message with.
pub fn informational(diagnostics: &str) -> Value {
    json!({
        "resourceType": "OperationOutcome",
        "issue": [{ "severity": "information", "code": "informational", "diagnostics": diagnostics }],
    })
}

/// 200 `NO_MORE_PRESCRIPTIONS`: a nominated release found nothing waiting.
pub fn no_more_prescriptions() -> Value {
    json!({
        "resourceType": "OperationOutcome",
        "issue": [{
            "severity": "information",
            "code": "informational",
            "details": { "coding": [{
                "system": EPS_ERROR_CODES,
                "code": "NO_MORE_PRESCRIPTIONS",
                "display": "No more prescriptions available for nominated download.",
            }]},
        }],
    })
}
