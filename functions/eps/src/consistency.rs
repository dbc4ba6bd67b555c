//! The rules a prescription's MedicationRequests must keep before EPS prepares or accepts it: at
//! least one; an intent of `order`, `original-order` or `instance-order` (never `plan` or
//! `reflex`); a medication by reference or by code, not both; distinct identifiers; and the same
//! value across all of them for the fields that describe the prescription as a whole.

use serde_json::Value;

use crate::error::EpsError;
use crate::fhir::extension;

const PRESCRIPTION_TYPE: &str = "https://fhir.nhs.uk/StructureDefinition/Extension-DM-PrescriptionType";
const RESPONSIBLE_PRACTITIONER: &str = "https://fhir.nhs.uk/StructureDefinition/Extension-DM-ResponsiblePractitioner";

/// The intents a prescription may carry.
const INTENTS: [&str; 3] = ["order", "original-order", "instance-order"];

/// The MedicationRequests of a Bundle's entries, in order.
pub fn medication_requests(bundle: &Value) -> Vec<&Value> {
    bundle["entry"]
        .as_array()
        .map(|entries| {
            entries.iter().map(|e| &e["resource"]).filter(|r| r["resourceType"] == "MedicationRequest").collect()
        })
        .unwrap_or_default()
}

/// Reads one field of a MedicationRequest (`Null` when absent).
type Field = fn(&Value) -> &Value;

/// The fields that must be identical across a prescription's MedicationRequests, by the name EPS
/// reports them with.
fn shared_fields() -> [(&'static str, Field); 10] {
    [
        ("groupIdentifier", |r| &r["groupIdentifier"]),
        ("category", |r| &r["category"]),
        ("authoredOn", |r| &r["authoredOn"]),
        ("subject", |r| &r["subject"]),
        ("requester", |r| &r["requester"]),
        ("dispenseRequest.performer", |r| &r["dispenseRequest"]["performer"]),
        ("dispenseRequest.validityPeriod", |r| &r["dispenseRequest"]["validityPeriod"]),
        ("dispenseRequest.expectedSupplyDuration", |r| &r["dispenseRequest"]["expectedSupplyDuration"]),
        ("extension(\"https://fhir.nhs.uk/StructureDefinition/Extension-DM-PrescriptionType\")", |r| {
            extension(r, PRESCRIPTION_TYPE)
        }),
        ("extension(\"https://fhir.nhs.uk/StructureDefinition/Extension-DM-ResponsiblePractitioner\")", |r| {
            extension(r, RESPONSIBLE_PRACTITIONER)
        }),
    ]
}

/// Checks every rule, in EPS's order, and refuses with the first broken one.
pub fn check(requests: &[&Value]) -> Result<(), EpsError> {
    if requests.is_empty() {
        return Err(EpsError::invalid("The Bundle must contain at least one MedicationRequest."));
    }
    for r in requests {
        if !r["intent"].as_str().is_some_and(|i| INTENTS.contains(&i)) {
            return Err(EpsError::invalid_value(
                "MedicationRequest.intent must be order, original-order or instance-order.",
            ));
        }
        if !r["medicationReference"].is_null() && !r["medicationCodeableConcept"].is_null() {
            return Err(EpsError::structure(
                "MedicationRequest cannot contain both medicationReference and medicationCodeableConcept fields.",
            ));
        }
    }
    for (name, field) in shared_fields() {
        let mut distinct: Vec<&Value> = Vec::new();
        for r in requests {
            let v = field(r);
            if !distinct.contains(&v) {
                distinct.push(v);
            }
        }
        if distinct.len() > 1 {
            let received: Vec<String> = distinct.iter().map(|v| v.to_string()).collect();
            return Err(EpsError::invalid_value(format!(
                "Expected all MedicationRequests to have the same value for {name}. Received [{}].",
                received.join(", ")
            )));
        }
    }
    let mut identifiers: Vec<&Value> = Vec::new();
    for r in requests {
        let id = &r["identifier"];
        if identifiers.contains(&id) {
            return Err(EpsError::invalid_value(
                "Expected all MedicationRequests to have a different value for identifier.",
            ));
        }
        identifiers.push(id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::IssueType;

    fn request(line: &str) -> Value {
        json!({
            "resourceType": "MedicationRequest",
            "identifier": [{"system": "https://fhir.nhs.uk/Id/prescription-order-item-number", "value": line}],
            "intent": "order",
            "category": [{"coding": [{"code": "outpatient"}]}],
            "medicationCodeableConcept": {"coding": [{"code": "39720311000001101"}]},
            "subject": {"reference": "urn:uuid:patient"},
            "authoredOn": "2026-11-22T09:00:00+00:00",
            "requester": {"reference": "urn:uuid:role"},
            "groupIdentifier": {"value": "A0548B-A99968-451485"},
            "dispenseRequest": {
                "performer": {"identifier": {"value": "FCG71"}},
                "validityPeriod": {"start": "2026-11-22", "end": "2027-05-22"},
                "expectedSupplyDuration": {"value": 30, "unit": "day"}
            },
            "extension": [
                {"url": PRESCRIPTION_TYPE, "valueCoding": {"code": "0101"}},
                {"url": RESPONSIBLE_PRACTITIONER, "valueReference": {"reference": "urn:uuid:role"}}
            ]
        })
    }

    fn bundle(requests: Vec<Value>) -> Value {
        let mut entries = vec![json!({"resource": {"resourceType": "MessageHeader"}})];
        entries.extend(requests.into_iter().map(|r| json!({"resource": r})));
        json!({"resourceType": "Bundle", "entry": entries})
    }

    fn checked(requests: Vec<Value>) -> Result<(), EpsError> {
        let b = bundle(requests);
        check(&medication_requests(&b))
    }

    #[test]
    fn a_consistent_prescription_passes() {
        checked(vec![request("a"), request("b"), request("c")]).unwrap();
        checked(vec![request("a")]).unwrap();
    }

    #[test]
    fn no_medication_request() {
        let err = checked(vec![]).unwrap_err();
        assert_eq!((err.status(), err.issue()), (400, IssueType::Invalid));
        assert_eq!(check(&medication_requests(&json!({"resourceType": "Bundle"}))).unwrap_err(), err);
    }

    #[test]
    fn forbidden_and_missing_intents() {
        for intent in [json!("plan"), json!("reflex"), json!("proposal"), Value::Null, json!(3)] {
            let mut r = request("b");
            r["intent"] = intent.clone();
            let err = checked(vec![request("a"), r]).unwrap_err();
            assert_eq!(err.issue(), IssueType::Value, "{intent}");
            assert!(err.diagnostics().starts_with("MedicationRequest.intent must be"));
        }
        for intent in ["original-order", "instance-order"] {
            let mut r = request("a");
            r["intent"] = json!(intent);
            checked(vec![r]).unwrap();
        }
    }

    #[test]
    fn a_medication_by_reference_and_by_code() {
        let mut r = request("a");
        r["medicationReference"] = json!({"reference": "urn:uuid:med"});
        let err = checked(vec![r]).unwrap_err();
        assert_eq!(err.issue(), IssueType::Structure);
    }

    #[test]
    fn every_shared_field_must_agree() {
        type Change = Box<dyn Fn(&mut Value)>;
        let changes: Vec<(&str, Change)> = vec![
            ("groupIdentifier", Box::new(|r| r["groupIdentifier"]["value"] = json!("other"))),
            ("category", Box::new(|r| r["category"] = json!([]))),
            ("authoredOn", Box::new(|r| r["authoredOn"] = json!("2026-11-21T09:00:00+00:00"))),
            ("subject", Box::new(|r| r["subject"]["reference"] = json!("urn:uuid:other"))),
            ("requester", Box::new(|r| r["requester"]["reference"] = json!("urn:uuid:other"))),
            (
                "dispenseRequest.performer",
                Box::new(|r| r["dispenseRequest"]["performer"] = json!({"identifier": {"value": "FA565"}})),
            ),
            (
                "dispenseRequest.validityPeriod",
                Box::new(|r| r["dispenseRequest"]["validityPeriod"]["end"] = json!("2027-01-01")),
            ),
            (
                "dispenseRequest.expectedSupplyDuration",
                Box::new(|r| r["dispenseRequest"]["expectedSupplyDuration"]["value"] = json!(28)),
            ),
            ("Extension-DM-PrescriptionType", Box::new(|r| r["extension"][0]["valueCoding"]["code"] = json!("0108"))),
            (
                "Extension-DM-ResponsiblePractitioner",
                Box::new(|r| {
                    r["extension"].as_array_mut().unwrap().remove(1);
                }),
            ),
        ];
        for (name, change) in changes {
            let mut r = request("b");
            change(&mut r);
            let err = checked(vec![request("a"), r]).unwrap_err();
            assert_eq!(err.issue(), IssueType::Value, "{name}");
            assert!(
                err.diagnostics().starts_with("Expected all MedicationRequests to have the same value for "),
                "{name}"
            );
            assert!(err.diagnostics().contains(name), "{name}: {}", err.diagnostics());
            assert!(err.diagnostics().contains("Received ["), "{name}");
        }
    }

    #[test]
    fn identifiers_must_differ() {
        let err = checked(vec![request("a"), request("b"), request("a")]).unwrap_err();
        assert_eq!(err.diagnostics(), "Expected all MedicationRequests to have a different value for identifier.");
    }
}
