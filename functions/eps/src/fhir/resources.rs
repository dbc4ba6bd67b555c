//! The resources EPS answers with: `$prepare`'s Parameters, the release Parameters of passed
//! (and failed) prescriptions, the cancellation response Bundle carrying the R-code, and the
//! tracker's Tasks.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::{
    BUSINESS_STATUS, ITEM_NUMBER, LINE_ITEM_STATUS, MESSAGE_EVENT, NHS_NUMBER, ODS, PRESCRIPTION_ORDER_NUMBER,
    STATUS_HISTORY, STATUS_HISTORY_CODES, ident,
};
use crate::lifecycle::CancelCode;
use crate::model::Prescription;
use crate::status::{LineItemStatus, PrescriptionStatus};

/// `$prepare`'s answer.
pub fn prepare_parameters(digest: &str, timestamp: &str, algorithm: &str) -> Value {
    json!({
        "resourceType": "Parameters",
        "parameter": [
            { "name": "digest", "valueString": digest },
            { "name": "timestamp", "valueString": timestamp },
            { "name": "algorithm", "valueString": algorithm },
        ],
    })
}

fn searchset(resources: Vec<Value>) -> Value {
    json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": resources.len(),
        "entry": resources.into_iter().map(|r| json!({ "resource": r })).collect::<Vec<_>>(),
    })
}

/// A release's answer: the released prescriptions' signed Bundles, as stored (copied into the
/// answer, not parsed again).
pub fn release_parameters<'a>(passed: &[&'a RawValue]) -> impl Serialize + 'a {
    #[derive(Serialize)]
    struct Entry<'a> {
        resource: &'a RawValue,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Searchset<'a> {
        resource_type: &'static str,
        #[serde(rename = "type")]
        kind: &'static str,
        total: usize,
        entry: Vec<Entry<'a>>,
    }
    #[derive(Serialize)]
    struct Parameter<'a> {
        name: &'static str,
        resource: Searchset<'a>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Parameters<'a> {
        resource_type: &'static str,
        parameter: [Parameter<'a>; 2],
    }
    fn searchset<'a>(bundles: &[&'a RawValue]) -> Searchset<'a> {
        Searchset {
            resource_type: "Bundle",
            kind: "searchset",
            total: bundles.len(),
            entry: bundles.iter().map(|&resource| Entry { resource }).collect(),
        }
    }
    Parameters {
        resource_type: "Parameters",
        parameter: [
            Parameter { name: "passedPrescriptions", resource: searchset(passed) },
            Parameter { name: "failedPrescriptions", resource: searchset(&[]) },
        ],
    }
}

/// The answer to a cancellation: a message Bundle whose MedicationRequest carries the R-code in
/// its status history, with its status after the request.
pub fn cancel_response(id: &str, item: &str, code: CancelCode, p: &Prescription) -> Value {
    // The named line item's status: cancelled, or still active (marked for cancellation or not).
    let status = match p.items.iter().find(|i| i.id == item) {
        Some(i) if i.status == LineItemStatus::Cancelled => "cancelled",
        Some(_) => "active",
        None => "unknown",
    };
    let mut request = json!({
        "resourceType": "MedicationRequest",
        "status": status,
        "intent": "order",
        "groupIdentifier": ident(PRESCRIPTION_ORDER_NUMBER, id),
        "identifier": [ident(ITEM_NUMBER, item)],
        "subject": { "identifier": ident(NHS_NUMBER, &p.nhs_number) },
        "extension": [{
            "url": STATUS_HISTORY,
            "extension": [{
                "url": "status",
                "valueCoding": { "system": STATUS_HISTORY_CODES, "code": code.code(), "display": code.display() },
            }],
        }],
    });
    if let Some(holder) = &p.state.dispenser {
        request["dispenseRequest"] = json!({ "performer": { "identifier": ident(ODS, holder) } });
    }
    json!({
        "resourceType": "Bundle",
        "type": "message",
        "entry": [
            { "resource": {
                "resourceType": "MessageHeader",
                "eventCoding": { "system": MESSAGE_EVENT, "code": "prescription-order-response" },
                "response": { "code": if code == CancelCode::Cancelled { "ok" } else { "fatal-error" } },
            }},
            { "resource": request },
        ],
    })
}

/// The tracker's Task for a prescription: its business status, patient, holder and line items.
pub fn task(p: &Prescription) -> Value {
    let status = p.state.status;
    let task_status = match status {
        PrescriptionStatus::ToBeDispensed => "requested",
        PrescriptionStatus::WithDispenser => "accepted",
        PrescriptionStatus::WithDispenserActive => "in-progress",
        PrescriptionStatus::Cancelled | PrescriptionStatus::CancelledFutureInstance => "cancelled",
        PrescriptionStatus::Expired | PrescriptionStatus::NotDispensed => "failed",
        PrescriptionStatus::Dispensed | PrescriptionStatus::Claimed | PrescriptionStatus::NoClaimed => "completed",
        _ => "on-hold",
    };
    let mut task = json!({
        "resourceType": "Task",
        "id": p.id,
        "identifier": [ident(PRESCRIPTION_ORDER_NUMBER, &p.id)],
        "status": task_status,
        "businessStatus": { "coding": [{ "system": BUSINESS_STATUS, "code": status.code(), "display": status.display() }] },
        "intent": "order",
        "focus": { "identifier": ident(PRESCRIPTION_ORDER_NUMBER, &p.id) },
        "for": { "identifier": ident(NHS_NUMBER, &p.nhs_number) },
        "authoredOn": p.authored_on,
        "requester": { "identifier": ident(ODS, &p.prescriber_ods) },
        "input": p.items.iter().map(|i| json!({
            "type": { "coding": [{ "system": LINE_ITEM_STATUS, "code": i.status.code(), "display": i.status.display() }] },
            "valueReference": { "identifier": ident(ITEM_NUMBER, &i.id) },
        })).collect::<Vec<_>>(),
    });
    if let Some(holder) = &p.state.dispenser {
        task["owner"] = json!({ "identifier": ident(ODS, holder) });
    }
    if let Some(marks) = &p.state.marks {
        let (items, prescriber) = (marks.items.join(", "), &marks.prescriber);
        task["note"] = json!([{ "text": format!("Line items {items} marked for cancellation by {prescriber}") }]);
    }
    task
}

/// The tracker's answer.
pub fn tasks(prescriptions: &[Prescription]) -> Value {
    searchset(prescriptions.iter().map(task).collect())
}
