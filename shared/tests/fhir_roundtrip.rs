//! The FHIR types against resources in the shape PDS returns them (`tests/fixtures/fhir/`): each
//! fixture deserialises into our types and serialises back to the same JSON, field for field.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use spine_shared::fhir::{Bundle, OperationOutcome, Patient};

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fhir").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn round_trip<T: DeserializeOwned + Serialize>(name: &str) -> T {
    let original = fixture(name);
    let typed: T = serde_json::from_value(original.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(back, original, "{name} changed in a round trip");
    typed
}

#[test]
fn a_full_patient_round_trips() {
    let p: Patient = round_trip("patient-full.json");
    assert!(!p.is_restricted());
    assert!(p.extension.len() >= 8);
}

#[test]
fn a_restricted_patient_round_trips_and_is_restricted() {
    let p: Patient = round_trip("patient-restricted.json");
    assert!(p.is_restricted());
    assert!(p.address.is_empty() && p.telecom.is_empty() && p.general_practitioner.is_empty());
}

#[test]
fn a_minimal_patient_round_trips() {
    let p: Patient = round_trip("patient-minimal.json");
    assert!(p.gender.is_none());
}

#[test]
fn a_searchset_round_trips_with_scores() {
    let b: Bundle<Patient> = round_trip("patient-searchset.json");
    assert_eq!(b.kind, "searchset");
    assert_eq!(b.total as usize, b.entry.len());
    let scores: Vec<f64> = b.entry.iter().map(|e| e.search.as_ref().unwrap().score).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first");
    assert!(scores.iter().all(|s| (0.0..=1.0).contains(s)));
}

#[test]
fn an_operation_outcome_round_trips() {
    let o: OperationOutcome = round_trip("operation-outcome.json");
    assert_eq!(o.spine_code(), Some("INVALID_RESOURCE_ID"));
}

#[test]
fn a_related_person_bundle_round_trips() {
    let b: Bundle<Value> = round_trip("related-person-bundle.json");
    assert!(b.entry.iter().all(|e| e.resource["resourceType"] == "RelatedPerson"));
}

#[test]
fn unknown_patient_fields_are_refused() {
    let mut v = fixture("patient-minimal.json");
    v["pets"] = Value::String("cat".into());
    assert!(serde_json::from_value::<Patient>(v).is_err());
}
