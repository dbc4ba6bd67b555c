//! End-to-end tests of the Personal Demographics Service over HTTP: every request goes through the
//! local gateway (routing, body limit), the shared pipeline (request ids, error mapping) and the PDS
//! handlers, on a fresh on-disk embedded store seeded with the reference patients:
//!
//! | NHS number | who                                   | kind                                 |
//! |------------|---------------------------------------|--------------------------------------|
//! | 9000000009 | Jane Smith, 2010-10-22, LS1 6AE       | full record, 2 related people        |
//! | 9000000017 | Oliver Jones, 1975-03-14, LS11 6AD    | full record, 1 related person        |
//! | 9000000025 | Janet Smythe, 2005-06-16, LS2 9JT     | restricted (`meta.security` R)       |
//! | 9000000033 | Minimal                               | minimal, no related people           |
//! | 9000000041 | —                                     | superseded by 9000000009             |
//! | 9000000068 | —                                     | invalidated                          |
//! | 9000000076 | Harold Baker, 1932-01-01              | deceased                             |
//!
//! Each test names the rule it proves; each starts its own gateway and store, so tests never see
//! each other's writes.

mod support;

use std::sync::Arc;

use serde_json::{Value, json};
use spine_pds::model::{History, PatientRecord, RecordStatus};
use spine_pds::repository::PatientRepository;
use spine_shared::NhsNumber;
use spine_shared::adapters::embedded::EmbeddedStore;
use spine_shared::fhir::Patient;
use spine_shared::pipeline::MAX_BODY_BYTES;
use spine_shared::ports::RecordStore;
use support::{Http, PDS, Reply, assert_outcome, gateway, reference_gateway, request_id, seed_reference};
use tokio::task::JoinSet;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const SPINE_CODE_SYSTEM: &str = "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode";
const FHIR_JSON: &str = "application/fhir+json";
const JSON_PATCH: &str = "application/json-patch+json";
const REGISTERING_AUTHORITY_URL: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-RegisteringAuthority";
const NOMINATED_PHARMACY_URL: &str = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NominatedPharmacy";

const JANE: &str = "9000000009";
const OLIVER: &str = "9000000017";
const JANET_RESTRICTED: &str = "9000000025";
const MINIMAL: &str = "9000000033";
const SUPERSEDED: &str = "9000000041";
const INVALIDATED: &str = "9000000068";
/// A valid NHS number no record has.
const UNKNOWN: &str = "9111231130";

fn patient_path(nhs: &str) -> String {
    format!("{PDS}/Patient/{nhs}")
}

fn related_path(nhs: &str) -> String {
    format!("{PDS}/Patient/{nhs}/RelatedPerson")
}

/// The public URL of a patient as `fullUrl`s and `Location` name it.
fn patient_url(http: &Http, nhs: &str) -> String {
    format!("{}{}", http.origin, patient_path(nhs))
}

async fn get_patient(http: &Http, nhs: &str) -> Reply {
    http.get(&patient_path(nhs)).await
}

/// `GET /Patient?{query}` with a fresh request id; `query` is already URL-encoded.
async fn search(http: &Http, query: &str) -> Reply {
    http.get(&format!("{PDS}/Patient?{query}")).await
}

#[track_caller]
fn assert_status(r: &Reply, status: u16) {
    assert_eq!(r.status, status, "unexpected answer: {:#}", r.body);
}

/// Asserts a searchset Bundle and returns its entries.
#[track_caller]
fn searchset(r: &Reply) -> Vec<Value> {
    assert_status(r, 200);
    assert_eq!(r.body["resourceType"], "Bundle", "{:#}", r.body);
    assert_eq!(r.body["type"], "searchset", "{:#}", r.body);
    let entries = r.body["entry"].as_array().cloned().unwrap_or_default();
    assert_eq!(r.body["total"], entries.len(), "total counts the entries: {:#}", r.body);
    entries
}

/// The resource ids of a search answer, in order.
#[track_caller]
fn found(r: &Reply) -> Vec<String> {
    searchset(r).iter().map(|e| e["resource"]["id"].as_str().unwrap_or_default().to_owned()).collect()
}

/// The scores of a search answer, in order.
#[track_caller]
fn scores(r: &Reply) -> Vec<f64> {
    searchset(r).iter().map(|e| e["search"]["score"].as_f64().expect("every entry has a score")).collect()
}

fn version_of(r: &Reply) -> &str {
    r.body["meta"]["versionId"].as_str().unwrap_or("")
}

/// A PATCH as a client sends it: the JSON Patch media type, `If-Match` and a fresh request id.
async fn patch(http: &Http, nhs: &str, if_match: &str, patches: Value) -> Reply {
    let body = json!({ "patches": patches }).to_string();
    patch_as(http, &request_id(), nhs, Some(if_match), JSON_PATCH, &body).await
}

/// A PATCH with every header chosen by the test.
async fn patch_as(
    http: &Http,
    request_id: &str,
    nhs: &str,
    if_match: Option<&str>,
    content_type: &str,
    body: &str,
) -> Reply {
    let mut headers = vec![("x-request-id", request_id), ("content-type", content_type)];
    if let Some(v) = if_match {
        headers.push(("if-match", v));
    }
    http.send("PATCH", &patient_path(nhs), &headers, body).await
}

/// `POST /Patient` with a fresh request id.
async fn create(http: &Http, body: &Value) -> Reply {
    create_as(http, &request_id(), body).await
}

async fn create_as(http: &Http, request_id: &str, body: &Value) -> Reply {
    let headers = [("x-request-id", request_id), ("content-type", "application/json")];
    http.send("POST", &format!("{PDS}/Patient"), &headers, &body.to_string()).await
}

fn registering_authority() -> Value {
    json!({"url": REGISTERING_AUTHORITY_URL, "extension": [
        {"url": "registeringAuthorityType", "valueCodeableConcept": {"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/UKCore-RegisteringAuthorityType", "code": "x"}]}},
        {"url": "organisationIdentifier", "valueString": "Y12345"}
    ]})
}

/// A create body for a new person with a usual name, gender, date of birth and home postcode.
fn person(given: &str, family: &str, gender: &str, birth: &str, postcode: &str) -> Value {
    json!({
        "resourceType": "Patient",
        "name": [{"use": "usual", "period": {"start": birth}, "given": [given], "family": family}],
        "gender": gender,
        "birthDate": birth,
        "address": [{"use": "home", "period": {"start": "2024-03-01"}, "line": ["1 Test Street", "Leeds"], "postalCode": postcode}],
        "extension": [registering_authority()]
    })
}

/// Oliver Jones (9000000017) as a new registration would describe him: the body of
/// `events/pds-create-patient/200-single-match.json`.
fn oliver_jones_again() -> Value {
    json!({
        "resourceType": "Patient",
        "name": [{"use": "usual", "period": {"start": "1975-03-14"}, "prefix": ["Mr"], "given": ["Oliver"], "family": "Jones"}],
        "gender": "male",
        "birthDate": "1975-03-14",
        "address": [{"use": "home", "period": {"start": "2024-03-01"}, "line": ["22 Cross Flatts Grove", "Beeston", "Leeds"], "postalCode": "LS11 6AD"}],
        "extension": [registering_authority()]
    })
}

/// The id of a created patient, checked to be a valid NHS number.
#[track_caller]
fn created_nhs(r: &Reply) -> String {
    assert_status(r, 201);
    let id = r.body["id"].as_str().expect("the created patient has an id").to_owned();
    NhsNumber::parse(&id).unwrap_or_else(|e| panic!("{id} is not a valid NHS number: {e}"));
    id
}

/// An NHS number the store has not used: the first valid one from `base`.
fn unused_nhs(base: u32) -> NhsNumber {
    (base..).find_map(NhsNumber::from_base).expect("a valid NHS number")
}

// ---------------------------------------------------------------------------------------------
// Pipeline: request ids, routing, body limit, error bodies
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_answers_200_without_a_request_id() {
    let (_dir, http, _) = reference_gateway().await;
    let r = http.send("GET", "/_ping", &[], "").await;
    assert_status(&r, 200);
    assert_eq!(r.body["status"], "pass");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_request_id_is_400_missing_value_and_the_correlation_id_is_still_echoed() {
    let (_dir, http, _) = reference_gateway().await;
    let r = http.send("GET", &patient_path(JANE), &[("x-correlation-id", "corr-1")], "").await;
    assert_outcome(&r, 400, "MISSING_VALUE");
    assert_eq!(r.header("x-correlation-id"), Some("corr-1"));
    assert_eq!(r.header("x-request-id"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_id_that_is_not_a_uuid_is_400_invalid_value() {
    let (_dir, http, _) = reference_gateway().await;
    for bad in ["1234", "not-a-uuid", "60e0b220-8136-4ca5-ae46-1d97ef59d06"] {
        let r = http.send("GET", &patient_path(JANE), &[("x-request-id", bad), ("x-correlation-id", "c-2")], "").await;
        assert_outcome(&r, 400, "INVALID_VALUE");
        assert_eq!(r.header("x-request-id"), Some(bad), "the id sent is mirrored even when invalid");
        assert_eq!(r.header("x-correlation-id"), Some("c-2"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_ids_are_echoed_on_success_and_on_errors() {
    let (_dir, http, _) = reference_gateway().await;
    let correlation = "11C46F5F-CDEF-4865-94B2-0EE0EDCC26DA.rrt-1.1";
    let cases: [(&str, String, u16); 5] = [
        ("GET", patient_path(JANE), 200),
        ("GET", format!("{PDS}/Patient?family=Smith&birthdate=2010-10-22"), 200),
        ("GET", patient_path(UNKNOWN), 404),
        ("GET", patient_path("9000000000"), 400),
        ("GET", format!("{PDS}/Patient?family=Smith"), 400),
    ];
    for (method, path, status) in cases {
        let id = request_id();
        let r = http.send(method, &path, &[("x-request-id", &id), ("x-correlation-id", correlation)], "").await;
        assert_eq!(r.status, status, "{path}: {:#}", r.body);
        assert_eq!(r.header("x-request-id"), Some(id.as_str()), "{path}");
        assert_eq!(r.header("x-correlation-id"), Some(correlation), "{path}");
    }
    // A PATCH refused by its precondition echoes them too.
    let id = request_id();
    let headers = [("x-request-id", id.as_str()), ("x-correlation-id", correlation), ("content-type", JSON_PATCH)];
    let r = http.send("PATCH", &patient_path(OLIVER), &headers, r#"{"patches": []}"#).await;
    assert_outcome(&r, 412, "PRECONDITION_FAILED");
    assert_eq!(r.header("x-request-id"), Some(id.as_str()));
    assert_eq!(r.header("x-correlation-id"), Some(correlation));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_refusals_of_a_pds_route_echo_both_ids_too() {
    // GIVEN a request to a PDS route with valid ids
    let (_dir, http, _) = reference_gateway().await;
    let id = request_id();
    let headers = [("x-request-id", id.as_str()), ("x-correlation-id", "corr-3"), ("content-type", "application/json")];
    // WHEN the gateway refuses it before the pipeline runs (wrong method; body too large)
    let wrong_method = http.send("DELETE", &patient_path(JANE), &headers, "").await;
    let too_large = http.send("POST", &format!("{PDS}/Patient"), &headers, &"x".repeat(MAX_BODY_BYTES + 1)).await;
    // THEN the ids are still mirrored, as on every other answer
    for r in [&wrong_method, &too_large] {
        assert!(r.status == 405 || r.status == 413, "{:#}", r.body);
        assert_eq!(r.header("x-request-id"), Some(id.as_str()), "status {}", r.status);
        assert_eq!(r.header("x-correlation-id"), Some("corr-3"), "status {}", r.status);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_path_is_404_with_an_operation_outcome() {
    let (_dir, http, _) = reference_gateway().await;
    for path in ["/nowhere", &format!("{PDS}/Observation/1"), &format!("{PDS}/Patient/{JANE}/Nothing")] {
        let r = http.get(path).await;
        assert_outcome(&r, 404, "RESOURCE_NOT_FOUND");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_the_path_does_not_serve_is_405_with_allow() {
    let (_dir, http, _) = reference_gateway().await;
    let id = request_id();
    let r = http.send("DELETE", &patient_path(JANE), &[("x-request-id", &id)], "").await;
    assert_eq!(r.status, 405, "{:#}", r.body);
    assert_eq!(r.body["resourceType"], "OperationOutcome");
    assert_eq!(r.body["issue"][0]["details"]["coding"][0]["system"], SPINE_CODE_SYSTEM);
    assert_eq!(r.header("allow"), Some("GET, PATCH"));
    // The record is untouched.
    assert_status(&get_patient(&http, JANE).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_one_mebibyte_is_413() {
    let (_dir, http, _) = reference_gateway().await;
    let id = request_id();
    let headers = [("x-request-id", id.as_str()), ("content-type", "application/json")];
    let r = http.send("POST", &format!("{PDS}/Patient"), &headers, &"x".repeat(MAX_BODY_BYTES + 1)).await;
    assert_eq!(r.status, 413, "{:#}", r.body);
    assert_eq!(r.body["resourceType"], "OperationOutcome");
    assert_eq!(r.body["issue"][0]["details"]["coding"][0]["system"], SPINE_CODE_SYSTEM);
    // Far over the limit: the client, still sending, gets the answer, not a reset connection (the
    // gateway reads and drops the rest before answering).
    let r = http.send("POST", &format!("{PDS}/Patient"), &headers, &"x".repeat(12 * MAX_BODY_BYTES)).await;
    assert_eq!(r.status, 413, "{:#}", r.body);
    // A body of exactly the limit is read and judged on its content (here: not JSON).
    let r = http.send("POST", &format!("{PDS}/Patient"), &headers, &"x".repeat(MAX_BODY_BYTES)).await;
    assert_outcome(&r, 400, "INVALID_VALUE");
}

/// One request of the never-a-500 sweep.
struct Attempt {
    method: &'static str,
    path: String,
    if_match: Option<&'static str>,
    content_type: &'static str,
    body: String,
}

impl Attempt {
    fn get(path: String) -> Self {
        Attempt { method: "GET", path, if_match: None, content_type: "application/json", body: String::new() }
    }

    /// A PATCH of Oliver's version 1 with this body.
    fn patch(body: &str) -> Self {
        Attempt::patch_of(OLIVER, "W/\"1\"", body)
    }

    fn patch_of(nhs: &str, if_match: &'static str, body: &str) -> Self {
        Attempt {
            method: "PATCH",
            path: patient_path(nhs),
            if_match: Some(if_match),
            content_type: JSON_PATCH,
            body: body.to_owned(),
        }
    }

    fn post(body: impl Into<String>, content_type: &'static str) -> Self {
        Attempt { method: "POST", path: format!("{PDS}/Patient"), if_match: None, content_type, body: body.into() }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_is_an_operation_outcome_in_the_spine_code_system_and_never_a_500() {
    // GIVEN a spread of malformed and refused requests across every PDS route
    let (_dir, http, _) = reference_gateway().await;
    let gender = r#"{"patches": [{"op": "replace", "path": "/gender", "value": "female"}]}"#;
    let attempts = [
        Attempt::get(patient_path("abc")),
        Attempt::get(patient_path("9000%2F00009")),
        Attempt::get(format!("{PDS}/Patient?family=%FF%FE&birthdate=2010-10-22")),
        Attempt::get(format!("{PDS}/Patient?family=&birthdate=2010-10-22")),
        Attempt::get(format!("{PDS}/Patient?family=Smith&birthdate=ge")),
        Attempt::get(format!("{PDS}/Patient?family=Smith&birthdate=2010-10-22&_max-results=-1")),
        Attempt::get(format!("{PDS}/Patient?family=Smith&birthdate=2010-10-22&phone=**")),
        Attempt::get(related_path("123")),
        Attempt::patch("null"),
        Attempt::patch("[]"),
        Attempt::patch(r#"{"patches": [{"op": "replace", "path": "/", "value": {}}]}"#),
        Attempt::patch(r#"{"patches": [{"op": "remove", "path": "/name/99999999999999999999999"}]}"#),
        Attempt::patch(r#"{"patches": [{"op": "replace", "path": "/name/-/family", "value": "X"}]}"#),
        Attempt::patch(r#"{"patches": [{"op": "replace", "path": "/meta", "value": {}}]}"#),
        Attempt::patch(r#"{"patches": [{"op": "replace", "path": "/birthDate", "value": 12}]}"#),
        Attempt::patch(r#"{"patches": [{"op": "replace", "path": "/birthDate", "value": "2999-01-01"}]}"#),
        Attempt::patch(
            r#"{"patches": [{"op": "add", "path": "/telecom/-", "value": {"system": "email", "value": "no"}}]}"#,
        ),
        Attempt::patch(r#"{"patches": [{"op": "replace", "path": "/name/0/given/0", "value": "X"}]}"#),
        Attempt::patch_of(OLIVER, "garbage", gender),
        Attempt::patch_of(INVALIDATED, "W/\"1\"", gender),
        Attempt::patch_of(UNKNOWN, "W/\"1\"", gender),
        Attempt::post("[]", "application/json"),
        Attempt::post(r#"{"resourceType": "Observation"}"#, "application/json"),
        Attempt::post(
            r#"{"name": "Smith", "gender": "male", "birthDate": "1990-01-01", "address": [{}], "extension": [{}]}"#,
            "application/json",
        ),
        Attempt::post(person("Ann", "Smith", "female", "2999-01-01", "LS1 1AA").to_string(), "application/json"),
        Attempt::post(person("Ann", "Smith", "other", "1990-01-01", "LS1 1AA").to_string(), "application/fhir+json"),
    ];
    // WHEN each is sent THEN none is a 500, and every answer is a coded OperationOutcome
    for a in attempts {
        let rid = request_id();
        let mut headers = vec![("x-request-id", rid.as_str()), ("content-type", a.content_type)];
        if let Some(v) = a.if_match {
            headers.push(("if-match", v));
        }
        let r = http.send(a.method, &a.path, &headers, &a.body).await;
        let what = format!("{} {} {}", a.method, a.path, a.body);
        assert!((400..500).contains(&r.status), "{what}: {} {:#}", r.status, r.body);
        assert_eq!(r.body["resourceType"], "OperationOutcome", "{what}");
        assert_eq!(r.body["issue"][0]["details"]["coding"][0]["system"], SPINE_CODE_SYSTEM, "{what}");
        assert!(!r.code().is_empty(), "{what}: {:#}", r.body);
    }
    // AND nothing was changed by any of them
    assert_eq!(version_of(&get_patient(&http, OLIVER).await), "1");
}

// ---------------------------------------------------------------------------------------------
// GET /Patient/{id}
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_returns_the_patient_with_an_etag_equal_to_meta_version_id() {
    let (_dir, http, _) = reference_gateway().await;
    let r = get_patient(&http, JANE).await;
    assert_status(&r, 200);
    assert_eq!(r.header("content-type"), Some(FHIR_JSON));
    assert_eq!(r.body["resourceType"], "Patient");
    assert_eq!(r.body["id"], JANE);
    assert_eq!(r.body["identifier"][0]["value"], JANE);
    assert_eq!(version_of(&r), "1");
    assert_eq!(r.header("etag"), Some("W/\"1\""));
    assert_eq!(r.body["name"][0]["family"], "Smith");
    assert_eq!(r.body["birthDate"], "2010-10-22");
    assert_eq!(r.body["address"][0]["postalCode"], "LS1 6AE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restricted_patient_is_served_without_address_telecom_contact_or_gp() {
    let (_dir, http, _) = reference_gateway().await;
    let r = get_patient(&http, JANET_RESTRICTED).await;
    assert_status(&r, 200);
    assert_eq!(r.body["id"], JANET_RESTRICTED);
    assert_eq!(r.body["meta"]["security"][0]["code"], "R");
    for field in ["address", "telecom", "contact", "generalPractitioner"] {
        assert!(r.body.get(field).is_none(), "{field} must not be shown: {:#}", r.body);
    }
    // Demographics that are not location data are still served.
    assert_eq!(r.body["name"][0]["family"], "Smythe");
    assert_eq!(r.body["birthDate"], "2005-06-16");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_superseded_nhs_number_returns_the_surviving_record() {
    let (_dir, http, _) = reference_gateway().await;
    let r = get_patient(&http, SUPERSEDED).await;
    assert_status(&r, 200);
    assert_eq!(r.body["id"], JANE);
    assert_eq!(r.body["identifier"][0]["value"], JANE);
    assert_eq!(r.body["name"][0]["family"], "Smith");
    assert_eq!(r.header("etag"), Some("W/\"1\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalidated_nhs_number_is_404_invalidated_resource() {
    let (_dir, http, _) = reference_gateway().await;
    assert_outcome(&get_patient(&http, INVALIDATED).await, 404, "INVALIDATED_RESOURCE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_nhs_number_is_404_resource_not_found() {
    let (_dir, http, _) = reference_gateway().await;
    assert_outcome(&get_patient(&http, UNKNOWN).await, 404, "RESOURCE_NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_nhs_number_is_400_invalid_resource_id() {
    let (_dir, http, _) = reference_gateway().await;
    // A bad check digit, letters, too short, too long.
    for id in ["9000000000", "abc", "900000000", "90000000099"] {
        let r = get_patient(&http, id).await;
        assert_outcome(&r, 400, "INVALID_RESOURCE_ID");
        assert_eq!(r.body["issue"][0]["severity"], "error");
    }
}

// ---------------------------------------------------------------------------------------------
// GET /Patient?… (search)
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn family_and_birthdate_find_the_exact_match_with_score_one() {
    let (_dir, http, _) = reference_gateway().await;
    let r = search(&http, "family=Smith&birthdate=eq2010-10-22").await;
    let entries = searchset(&r);
    assert_eq!(r.body["total"], 1);
    assert!(r.body["timestamp"].is_string(), "{:#}", r.body);
    assert_eq!(r.header("content-type"), Some(FHIR_JSON));
    let e = &entries[0];
    assert_eq!(e["resource"]["id"], JANE);
    assert_eq!(e["search"]["score"].as_f64(), Some(1.0));
    assert_eq!(e["fullUrl"].as_str(), Some(patient_url(&http, JANE).as_str()));
    assert!(e["fullUrl"].as_str().unwrap().ends_with("/Patient/9000000009"));
    assert_eq!(e["resource"]["meta"]["versionId"], "1");
    // Names are matched case- and accent-insensitively; a date without prefix means eq.
    assert_eq!(found(&search(&http, "family=sMITH&birthdate=2010-10-22").await), vec![JANE]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_that_matches_nobody_is_an_empty_searchset() {
    let (_dir, http, _) = reference_gateway().await;
    let r = search(&http, "family=Smith&birthdate=2010-10-23").await;
    assert!(found(&r).is_empty());
    assert_eq!(r.body["total"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fuzzy_search_finds_a_sound_alike_family_with_a_score_below_one() {
    // GIVEN Jane Smith; WHEN searching fuzzily for "Smyth", given Jane
    let (_dir, http, _) = reference_gateway().await;
    let r = search(&http, "family=Smyth&given=Jane&birthdate=2010-10-22&_fuzzy-match=true").await;
    // THEN she is found, with a score that says the match was not exact
    assert_eq!(found(&r), vec![JANE]);
    let score = scores(&r)[0];
    assert!(score > 0.0 && score < 1.0, "score {score}");
    // AND the same search without fuzzy matching finds nobody.
    assert!(found(&search(&http, "family=Smyth&given=Jane&birthdate=2010-10-22").await).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fuzzy_search_finds_transposed_given_and_family_names() {
    let (_dir, http, _) = reference_gateway().await;
    let r = search(&http, "family=Jane&given=Smith&birthdate=2010-10-22&_fuzzy-match=true").await;
    assert_eq!(found(&r), vec![JANE]);
    let score = scores(&r)[0];
    assert!(score > 0.0 && score < 1.0, "score {score}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wildcard_family_matches_with_a_score_below_one() {
    let (_dir, http, _) = reference_gateway().await;
    let r = search(&http, "family=Sm*&birthdate=2010-10-22").await;
    assert_eq!(found(&r), vec![JANE]);
    let score = scores(&r)[0];
    assert!(score > 0.0 && score < 1.0, "a wildcard match is not exact: {score}");
    assert_eq!(found(&search(&http, "family=Sm*th&birthdate=2010-10-22").await), vec![JANE]);
    assert!(found(&search(&http, "family=Jo*&birthdate=2010-10-22").await).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_birthdate_range_is_given_by_repeating_the_parameter() {
    let (_dir, http, _) = reference_gateway().await;
    let r = search(&http, "family=Smith&birthdate=ge2010-01-01&birthdate=le2010-12-31").await;
    assert_eq!(found(&r), vec![JANE]);
    assert!(found(&search(&http, "family=Smith&birthdate=ge2011-01-01&birthdate=le2011-12-31").await).is_empty());
    // Open-ended ranges.
    assert_eq!(found(&search(&http, "family=Smith&birthdate=ge2010-10-22").await), vec![JANE]);
    assert_eq!(found(&search(&http, "family=Smith&birthdate=le2010-10-22").await), vec![JANE]);
    assert!(found(&search(&http, "family=Smith&birthdate=le2010-10-21").await).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gender_mismatch_drops_the_record_from_a_non_fuzzy_search() {
    let (_dir, http, _) = reference_gateway().await;
    assert_eq!(found(&search(&http, "family=Smith&birthdate=2010-10-22&gender=female").await), vec![JANE]);
    assert!(found(&search(&http, "family=Smith&birthdate=2010-10-22&gender=male").await).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postcode_search_finds_the_patient_at_that_postcode() {
    let (_dir, http, _) = reference_gateway().await;
    let r = search(&http, "family=Jones&birthdate=1975-03-14&address-postalcode=LS11%206AD").await;
    assert_eq!(found(&r), vec![OLIVER]);
    assert_eq!(scores(&r), vec![1.0]);
    // The deprecated parameter name, and a postcode written without its space, lower-case.
    let r = search(&http, "family=Jones&birthdate=1975-03-14&address-postcode=ls116ad").await;
    assert_eq!(found(&r), vec![OLIVER]);
    // Another postcode drops him.
    assert!(found(&search(&http, "family=Jones&birthdate=1975-03-14&address-postalcode=LS1%206AE").await).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn location_searches_never_return_a_restricted_patient_but_name_searches_return_her_redacted() {
    // GIVEN restricted Janet Smythe at LS2 9JT, registered with Y12345
    let (_dir, http, _) = reference_gateway().await;
    // WHEN searched by postcode or by GP THEN she is not returned at all
    for query in [
        "family=Smythe&birthdate=2005-06-16&address-postalcode=LS2%209JT",
        "family=Smythe&birthdate=2005-06-16&general-practitioner=Y12345",
        "family=Smythe&given=Janet&birthdate=2005-06-16&gender=female&address-postalcode=LS2%209JT&_fuzzy-match=true",
    ] {
        assert!(found(&search(&http, query).await).is_empty(), "{query}");
    }
    // WHEN searched by name THEN she is returned, without any location data
    let r = search(&http, "family=Smythe&birthdate=2005-06-16").await;
    let entries = searchset(&r);
    assert_eq!(found(&r), vec![JANET_RESTRICTED]);
    let janet = &entries[0]["resource"];
    assert_eq!(janet["meta"]["security"][0]["code"], "R");
    for field in ["address", "telecom", "contact", "generalPractitioner"] {
        assert!(janet.get(field).is_none(), "{field} must not be shown: {janet:#}");
    }
    // An unrestricted patient at the same GP is still found by GP.
    assert_eq!(
        found(&search(&http, "family=Smith&birthdate=2010-10-22&general-practitioner=Y12345").await),
        vec![JANE]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_matches_case_insensitively_and_phone_by_its_digits() {
    let (_dir, http, _) = reference_gateway().await;
    let base = "family=Smith&birthdate=2010-10-22";
    assert_eq!(found(&search(&http, &format!("{base}&email=JANE.Smith@Example.com")).await), vec![JANE]);
    assert!(found(&search(&http, &format!("{base}&email=someone.else@example.com")).await).is_empty());
    assert_eq!(found(&search(&http, &format!("{base}&phone=01632960587")).await), vec![JANE]);
    assert_eq!(found(&search(&http, &format!("{base}&phone=01632%20960587")).await), vec![JANE]);
    assert_eq!(found(&search(&http, &format!("{base}&phone=%2B44%201632%20960587")).await), vec![JANE]);
    assert!(found(&search(&http, &format!("{base}&phone=01632960999")).await).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exact_match_keeps_only_matches_with_score_one() {
    let (_dir, http, _) = reference_gateway().await;
    // A wildcard match scores below 1, so an exact-match search drops it.
    assert_eq!(found(&search(&http, "family=Sm*&birthdate=2010-10-22").await), vec![JANE]);
    assert!(found(&search(&http, "family=Sm*&birthdate=2010-10-22&_exact-match=true").await).is_empty());
    let r = search(&http, "family=Smith&birthdate=2010-10-22&_exact-match=true").await;
    assert_eq!(found(&r), vec![JANE]);
    assert_eq!(scores(&r), vec![1.0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_results_are_reduced_resources() {
    // GIVEN Jane Smith, who has a nominated pharmacy
    let (_dir, http, _) = reference_gateway().await;
    let got = get_patient(&http, JANE).await;
    let urls = |p: &Value| -> Vec<String> {
        p["extension"].as_array().into_iter().flatten().filter_map(|e| e["url"].as_str().map(str::to_owned)).collect()
    };
    assert!(urls(&got.body).contains(&NOMINATED_PHARMACY_URL.to_owned()), "{:#}", got.body);
    // WHEN she is found by a search THEN the result leaves the pharmacy out
    let entries = searchset(&search(&http, "family=Smith&birthdate=2010-10-22").await);
    let resource = &entries[0]["resource"];
    assert!(!urls(resource).contains(&NOMINATED_PHARMACY_URL.to_owned()), "{resource:#}");
    // AND keeps her usual name and home address.
    assert_eq!(resource["name"][0]["use"], "usual");
    assert_eq!(resource["address"][0]["use"], "home");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_family_name_is_found_only_with_history_after_a_patch_changes_it() {
    // GIVEN Oliver Jones's usual name is replaced by one with the family Whitaker
    let (_dir, http, _) = reference_gateway().await;
    let r = patch(&http, OLIVER, "W/\"1\"", json!([{"op": "replace", "path": "/name/0", "value": {
        "id": "124", "use": "usual", "period": {"start": "1975-03-14"}, "prefix": ["Mr"], "given": ["Oliver"], "family": "Whitaker"
    }}]))
    .await;
    assert_status(&r, 200);
    assert_eq!(r.body["name"][0]["family"], "Whitaker");
    // THEN the new family finds him exactly
    let r = search(&http, "family=Whitaker&birthdate=1975-03-14").await;
    assert_eq!(found(&r), vec![OLIVER]);
    assert_eq!(scores(&r), vec![1.0]);
    // AND the old family finds him only when history is searched, with a score below 1
    assert!(found(&search(&http, "family=Jones&birthdate=1975-03-14").await).is_empty());
    let r = search(&http, "family=Jones&birthdate=1975-03-14&_history=true").await;
    assert_eq!(found(&r), vec![OLIVER]);
    assert!(scores(&r)[0] < 1.0);
    // AND a fuzzy search, which always includes history, finds him by the old family too
    let r = search(&http, "family=Jones&given=Oliver&birthdate=1975-03-14&_fuzzy-match=true").await;
    assert_eq!(found(&r), vec![OLIVER]);
    // AND the served record shows only the current name.
    let got = get_patient(&http, OLIVER).await;
    assert_eq!(got.body["name"].as_array().map(Vec::len), Some(1));
    assert_eq!(got.body["name"][0]["family"], "Whitaker");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_name_goes_to_history() {
    // GIVEN Oliver's usual name removed (after its test) and a new usual name added
    let (_dir, http, _) = reference_gateway().await;
    let r = patch(
        &http,
        OLIVER,
        "W/\"1\"",
        json!([
            {"op": "test", "path": "/name/0/id", "value": "124"},
            {"op": "remove", "path": "/name/0"},
            {"op": "add", "path": "/name/-", "value": {"use": "usual", "given": ["Oliver"], "family": "Whitaker"}}
        ]),
    )
    .await;
    assert_status(&r, 200);
    assert!(r.body["name"][0]["id"].is_string(), "a new list item gets an id: {:#}", r.body);
    // THEN the old family is found with history, and only with it
    assert!(found(&search(&http, "family=Jones&birthdate=1975-03-14").await).is_empty());
    assert_eq!(found(&search(&http, "family=Jones&birthdate=1975-03-14&_history=true").await), vec![OLIVER]);
    assert_eq!(found(&search(&http, "family=Whitaker&birthdate=1975-03-14").await), vec![OLIVER]);
}

/// Creates five people with the family Manyfold born 1980-01-01 (different given names and
/// postcodes, so none is a duplicate of another); returns their NHS numbers by given name.
async fn seed_manyfolds(http: &Http) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (given, gender, postcode) in [
        ("Amelia", "female", "LS1 1AA"),
        ("Amalia", "female", "LS2 2BB"),
        ("Bartholomew", "male", "LS3 3CC"),
        ("Cedric", "male", "LS4 4DD"),
        ("Dorothy", "female", "LS5 5EE"),
    ] {
        let r = create(http, &person(given, "Manyfold", gender, "1980-01-01", postcode)).await;
        out.push((given, created_nhs(&r)));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_matches_than_max_results_is_200_too_many_matches_with_severity_information() {
    // GIVEN five patients with the same family and date of birth
    let (_dir, http, _) = reference_gateway().await;
    let people = seed_manyfolds(&http).await;
    // WHEN a search may return only 2 (or 4) of them
    for max in [2, 4] {
        let r = search(&http, &format!("family=Manyfold&birthdate=1980-01-01&_max-results={max}")).await;
        // THEN the answer is an HTTP 200 OperationOutcome telling the caller to refine the search
        assert_outcome(&r, 200, "TOO_MANY_MATCHES");
        assert_eq!(r.body["issue"][0]["severity"], "information");
        assert_eq!(r.body["issue"][0]["code"], "multiple-matches");
    }
    // AND exactly as many matches as allowed are returned
    let r = search(&http, "family=Manyfold&birthdate=1980-01-01&_max-results=5").await;
    let mut ids = found(&r);
    ids.sort();
    let mut expected: Vec<String> = people.into_iter().map(|(_, nhs)| nhs).collect();
    expected.sort();
    assert_eq!(ids, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_results_are_sorted_by_score_best_first() {
    // GIVEN five Manyfolds; Amelia matches the search exactly, Amalia sounds like her
    let (_dir, http, _) = reference_gateway().await;
    let people = seed_manyfolds(&http).await;
    let nhs_of = |given: &str| people.iter().find(|(g, _)| *g == given).map(|(_, n)| n.clone()).unwrap();
    // WHEN searching fuzzily for Amelia Manyfold
    let r = search(&http, "family=Manyfold&given=Amelia&birthdate=1980-01-01&_fuzzy-match=true").await;
    // THEN every Manyfold is found, best first
    let ids = found(&r);
    let s = scores(&r);
    assert_eq!(ids.len(), 5, "{:#}", r.body);
    assert!(s.windows(2).all(|w| w[0] >= w[1]), "scores not descending: {s:?}");
    assert_eq!((ids[0].clone(), s[0]), (nhs_of("Amelia"), 1.0));
    assert_eq!(ids[1], nhs_of("Amalia"));
    assert!(s[1] < 1.0 && s[1] > s[2], "{s:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_searches_are_400_with_the_spine_code_of_the_rule_they_break() {
    let (_dir, http, _) = reference_gateway().await;
    let cases = [
        ("", "UNSUPPORTED_SERVICE"),
        ("family=Smith&birthdate=2010-10-22&invalidParam=123", "ADDITIONAL_PROPERTIES"),
        ("family=Smith", "INVALID_SEARCH_DATA"),
        ("birthdate=2010-10-22&gender=female", "INVALID_SEARCH_DATA"),
        ("family=Smith&birthdate=22-10-2010", "INVALID_VALUE"),
        ("family=Smith&birthdate=2010-13-45", "INVALID_VALUE"),
        ("family=Smith&birthdate=2010-10-22&_max-results=0", "INVALID_VALUE"),
        ("family=Smith&birthdate=2010-10-22&_max-results=51", "INVALID_VALUE"),
        ("family=Smith&birthdate=2010-10-22&_max-results=ten", "INVALID_VALUE"),
        ("family=*mith&birthdate=2010-10-22", "INVALID_SEARCH_DATA"),
        ("family=S*&birthdate=2010-10-22", "INVALID_SEARCH_DATA"),
        ("family=Sm*&given=Jane&birthdate=2010-10-22&_fuzzy-match=true", "INVALID_SEARCH_DATA"),
        (
            "family=Smith&birthdate=2010-10-22&address-postalcode=LS1%206AE&address-postcode=LS1%206AE",
            "INVALID_SEARCH_DATA",
        ),
        ("family=Smith&birthdate=2010-10-22&_fuzzy-match=true", "INVALID_SEARCH_DATA"),
        ("family=Smith&birthdate=ge2010-10-23&birthdate=le2010-10-21", "INVALID_SEARCH_DATA"),
        ("family=Smith&family=Jones&birthdate=2010-10-22", "INVALID_SEARCH_DATA"),
        ("family=Smith&birthdate=2010-10-22&gender=mal", "INVALID_VALUE"),
        ("family=Smith&birthdate=2010-10-22&_fuzzy-match=yes", "INVALID_VALUE"),
        ("family=Smith&birthdate=2010-10-22&email=nope", "INVALID_VALUE"),
        ("family=Smith&birthdate=2010-10-22&email=j*%40example.com", "INVALID_SEARCH_DATA"),
        ("family=Abcdefghijklmnopqrstuvwxyzabcdefghij&birthdate=2010-10-22", "INVALID_VALUE"),
    ];
    for (query, code) in cases {
        let path = if query.is_empty() { format!("{PDS}/Patient") } else { format!("{PDS}/Patient?{query}") };
        let r = http.get(&path).await;
        assert_eq!((r.status, r.code()), (400, code), "{query}: {:#}", r.body);
        assert_eq!(r.body["issue"][0]["details"]["coding"][0]["system"], SPINE_CODE_SYSTEM, "{query}");
        assert_eq!(r.body["issue"][0]["severity"], "error", "{query}");
    }
}

// ---------------------------------------------------------------------------------------------
// PATCH /Patient/{id}
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_of_the_current_version_applies_and_bumps_the_version() {
    // GIVEN Oliver at version 1
    let (_dir, http, _) = reference_gateway().await;
    // WHEN his gender is replaced, naming version 1
    let r = patch(&http, OLIVER, "W/\"1\"", json!([{"op": "replace", "path": "/gender", "value": "female"}])).await;
    // THEN the answer is the updated patient at version 2
    assert_status(&r, 200);
    assert_eq!(r.header("content-type"), Some(FHIR_JSON));
    assert_eq!(r.body["id"], OLIVER);
    assert_eq!(r.body["gender"], "female");
    assert_eq!(version_of(&r), "2");
    assert_eq!(r.header("etag"), Some("W/\"2\""));
    // AND a following GET shows it
    let got = get_patient(&http, OLIVER).await;
    assert_eq!(got.body["gender"], "female");
    assert_eq!(version_of(&got), "2");
    assert_eq!(got.header("etag"), Some("W/\"2\""));
    // AND a quoted strong ETag naming the new version is accepted too
    let r = patch(&http, OLIVER, "\"2\"", json!([{"op": "replace", "path": "/gender", "value": "male"}])).await;
    assert_status(&r, 200);
    assert_eq!(version_of(&r), "3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_without_if_match_is_412_precondition_failed() {
    let (_dir, http, _) = reference_gateway().await;
    let body = json!({"patches": [{"op": "replace", "path": "/gender", "value": "female"}]}).to_string();
    let r = patch_as(&http, &request_id(), OLIVER, None, JSON_PATCH, &body).await;
    assert_outcome(&r, 412, "PRECONDITION_FAILED");
    let got = get_patient(&http, OLIVER).await;
    assert_eq!((got.body["gender"].as_str(), version_of(&got)), (Some("male"), "1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_naming_a_stale_version_is_409_resource_version_mismatch() {
    // GIVEN Oliver updated once, to version 2
    let (_dir, http, _) = reference_gateway().await;
    let ok = patch(&http, OLIVER, "W/\"1\"", json!([{"op": "replace", "path": "/gender", "value": "female"}])).await;
    assert_status(&ok, 200);
    // WHEN another update still names version 1 (or a version that never was)
    for stale in ["W/\"1\"", "W/\"7\""] {
        let r = patch(&http, OLIVER, stale, json!([{"op": "replace", "path": "/gender", "value": "unknown"}])).await;
        // THEN it is refused and nothing changes
        assert_outcome(&r, 409, "RESOURCE_VERSION_MISMATCH");
    }
    let got = get_patient(&http, OLIVER).await;
    assert_eq!((got.body["gender"].as_str(), version_of(&got)), (Some("female"), "2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_with_another_content_type_is_415() {
    let (_dir, http, _) = reference_gateway().await;
    let body = json!({"patches": [{"op": "replace", "path": "/gender", "value": "female"}]}).to_string();
    for content_type in ["application/json", "application/fhir+json", "text/plain"] {
        let r = patch_as(&http, &request_id(), OLIVER, Some("W/\"1\""), content_type, &body).await;
        assert_eq!(r.status, 415, "{content_type}: {:#}", r.body);
        assert_eq!(r.body["resourceType"], "OperationOutcome");
        assert_eq!(r.body["issue"][0]["details"]["coding"][0]["system"], SPINE_CODE_SYSTEM);
    }
    assert_eq!(version_of(&get_patient(&http, OLIVER).await), "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patches_breaking_the_pds_list_rules_are_400_invalid_update_and_change_nothing() {
    let (_dir, http, _) = reference_gateway().await;
    let before = get_patient(&http, JANE).await;
    let cases = [
        // An add to a top-level list must use the index '-'.
        (
            "add at an index",
            json!([{"op": "add", "path": "/name/0", "value": {"use": "nickname", "family": "Smithy"}}]),
        ),
        // A list item is removed only straight after a test of it.
        ("remove without test", json!([{"op": "remove", "path": "/telecom/0"}])),
        (
            "remove not straight after its test",
            json!([
                {"op": "test", "path": "/telecom/0/id", "value": "789"},
                {"op": "replace", "path": "/gender", "value": "unknown"},
                {"op": "remove", "path": "/telecom/0"}
            ]),
        ),
        // A list item is replaced whole only with its id.
        (
            "replace without id",
            json!([{"op": "replace", "path": "/address/0", "value": {"use": "home", "line": ["2 New Road"], "postalCode": "LS1 1AA"}}]),
        ),
        (
            "replace with another id",
            json!([{"op": "replace", "path": "/address/0", "value": {"id": "999", "use": "home", "line": ["2 New Road"], "postalCode": "LS1 1AA"}}]),
        ),
        // Part of a list item is changed only after naming its id.
        ("part without id", json!([{"op": "replace", "path": "/name/0/family", "value": "Smythe"}])),
        // The whole list is not removed at once.
        ("remove a whole list", json!([{"op": "remove", "path": "/telecom"}])),
    ];
    for (rule, patches) in cases {
        let r = patch(&http, JANE, "W/\"1\"", patches).await;
        assert_outcome(&r, 400, "INVALID_UPDATE");
        let after = get_patient(&http, JANE).await;
        assert_eq!(version_of(&after), "1", "{rule}");
        assert_eq!(after.body, before.body, "{rule} changed the record");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_whose_second_operation_fails_changes_nothing() {
    // GIVEN a patch whose first operation is fine and whose second fails its test
    let (_dir, http, _) = reference_gateway().await;
    let before = get_patient(&http, OLIVER).await;
    let r = patch(
        &http,
        OLIVER,
        "W/\"1\"",
        json!([
            {"op": "replace", "path": "/gender", "value": "female"},
            {"op": "test", "path": "/name/0/id", "value": "not-124"}
        ]),
    )
    .await;
    // THEN it is refused as a whole
    assert_outcome(&r, 400, "INVALID_UPDATE");
    let after = get_patient(&http, OLIVER).await;
    assert_eq!(after.body["gender"], "male");
    assert_eq!(version_of(&after), "1");
    assert_eq!(after.body, before.body);
    // AND a second operation that breaks a field rule after the first applied also changes nothing
    let r = patch(
        &http,
        OLIVER,
        "W/\"1\"",
        json!([
            {"op": "replace", "path": "/gender", "value": "female"},
            {"op": "replace", "path": "/birthDate", "value": "2999-01-01"}
        ]),
    )
    .await;
    assert_outcome(&r, 400, "INVALID_UPDATE");
    assert_eq!(get_patient(&http, OLIVER).await.body, before.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setting_gender_to_other_is_403_forbidden_update() {
    let (_dir, http, _) = reference_gateway().await;
    let r = patch(&http, OLIVER, "W/\"1\"", json!([{"op": "replace", "path": "/gender", "value": "other"}])).await;
    assert_outcome(&r, 403, "FORBIDDEN_UPDATE");
    assert_eq!(get_patient(&http, OLIVER).await.body["gender"], "male");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_gender_is_400_invalid_update() {
    let (_dir, http, _) = reference_gateway().await;
    let r = patch(&http, OLIVER, "W/\"1\"", json!([{"op": "remove", "path": "/gender"}])).await;
    assert_outcome(&r, 400, "INVALID_UPDATE");
    let got = get_patient(&http, OLIVER).await;
    assert_eq!((got.body["gender"].as_str(), version_of(&got)), (Some("male"), "1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_of_an_unknown_or_invalidated_patient_is_404_and_a_malformed_id_400() {
    let (_dir, http, _) = reference_gateway().await;
    let gender = json!([{"op": "replace", "path": "/gender", "value": "female"}]);
    assert_outcome(&patch(&http, UNKNOWN, "W/\"1\"", gender.clone()).await, 404, "RESOURCE_NOT_FOUND");
    assert_outcome(&patch(&http, INVALIDATED, "W/\"1\"", gender.clone()).await, 404, "INVALIDATED_RESOURCE");
    assert_outcome(&patch(&http, "9000000000", "W/\"1\"", gender).await, 400, "INVALID_RESOURCE_ID");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_ten_concurrent_patches_of_one_version_exactly_one_lands() {
    // GIVEN Oliver at version 1
    let (_dir, http, _) = reference_gateway().await;
    let http = Arc::new(http);
    // WHEN ten clients patch version 1 at once, each with its own request id
    let mut tasks = JoinSet::new();
    for i in 0..10 {
        let http = http.clone();
        let given = format!("Oliver{}", ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"][i]);
        tasks.spawn(async move {
            let patches = json!([
                {"op": "replace", "path": "/gender", "value": if i % 2 == 0 { "female" } else { "unknown" }},
                {"op": "replace", "path": "/name/0/id", "value": "124"},
                {"op": "replace", "path": "/name/0/given/0", "value": given}
            ]);
            patch(&http, OLIVER, "W/\"1\"", patches).await
        });
    }
    let replies: Vec<Reply> = tasks.join_all().await;
    // THEN exactly one is applied and every other is told the version moved on
    let ok: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(ok.len(), 1, "statuses: {:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    for r in replies.iter().filter(|r| r.status != 200) {
        assert_outcome(r, 409, "RESOURCE_VERSION_MISMATCH");
    }
    // AND the record holds the winner's change at version 2
    let got = get_patient(&http, OLIVER).await;
    assert_eq!(version_of(&got), "2");
    assert_eq!(got.body["gender"], ok[0].body["gender"]);
    assert_eq!(got.body["name"][0]["given"], ok[0].body["name"][0]["given"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_retried_with_the_same_request_id_is_applied_once() {
    // GIVEN a PATCH that was applied
    let (_dir, http, _) = reference_gateway().await;
    let rid = request_id();
    let body = json!({"patches": [{"op": "replace", "path": "/gender", "value": "female"}]}).to_string();
    let first = patch_as(&http, &rid, OLIVER, Some("W/\"1\""), JSON_PATCH, &body).await;
    assert_status(&first, 200);
    // WHEN the client retries it with the same X-Request-ID
    let second = patch_as(&http, &rid, OLIVER, Some("W/\"1\""), JSON_PATCH, &body).await;
    // THEN it gets the first answer again, not a version mismatch
    assert_status(&second, 200);
    assert_eq!(second.body, first.body);
    assert_eq!(second.header("etag"), Some("W/\"2\""));
    assert_eq!(second.header("x-request-id"), Some(rid.as_str()));
    // AND the version moved on once
    assert_eq!(version_of(&get_patient(&http, OLIVER).await), "2");
    // AND the same id on another patch is refused, not answered with the first patch's answer
    let other = json!({"patches": [{"op": "replace", "path": "/gender", "value": "male"}]}).to_string();
    let reused = patch_as(&http, &rid, OLIVER, Some("W/\"2\""), JSON_PATCH, &other).await;
    assert_outcome(&reused, 400, "INVALID_VALUE");
    let got = get_patient(&http, OLIVER).await;
    assert_eq!(version_of(&got), "2", "nothing applied");
    assert_eq!(got.body["gender"], "female");
}

// ---------------------------------------------------------------------------------------------
// POST /Patient
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_allocates_a_new_valid_nhs_number() {
    let (_dir, http, _) = reference_gateway().await;
    let r = create(&http, &person("Priya", "Chandrasekar", "female", "1991-04-12", "BD8 7HB")).await;
    let nhs = created_nhs(&r);
    assert!(!["9000000009", "9000000017", "9000000025"].contains(&nhs.as_str()));
    assert_eq!(r.header("content-type"), Some(FHIR_JSON));
    assert_eq!(r.header("location"), Some(patient_url(&http, &nhs).as_str()));
    assert_eq!(r.header("etag"), Some("W/\"1\""));
    assert_eq!(version_of(&r), "1");
    assert_eq!(r.body["identifier"][0]["system"], "https://fhir.nhs.uk/Id/nhs-number");
    assert_eq!(r.body["identifier"][0]["value"], nhs);
    assert!(r.body["name"][0]["id"].is_string(), "list items get ids: {:#}", r.body);
    // The new patient can be read and found.
    let got = get_patient(&http, &nhs).await;
    assert_status(&got, 200);
    assert_eq!(got.body["name"][0]["family"], "Chandrasekar");
    assert_eq!(got.header("etag"), Some("W/\"1\""));
    assert_eq!(found(&search(&http, "family=Chandrasekar&birthdate=1991-04-12").await), vec![nhs.clone()]);
    // The next person gets another number.
    let other = created_nhs(&create(&http, &person("Tom", "Okafor", "male", "1988-02-29", "M1 1AE")).await);
    assert_ne!(other, nhs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_creates_of_different_people_get_twenty_distinct_nhs_numbers() {
    let (_dir, http, _) = reference_gateway().await;
    let http = Arc::new(http);
    let mut tasks = JoinSet::new();
    for i in 0..20u32 {
        let http = http.clone();
        tasks.spawn(async move {
            let body =
                person("Parallel", "Crowd", "female", &format!("1990-01-{:02}", i + 1), &format!("LS{} 1AA", i + 1));
            create(&http, &body).await
        });
    }
    let replies: Vec<Reply> = tasks.join_all().await;
    let mut numbers: Vec<String> = replies.iter().map(created_nhs).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 20, "{numbers:?}");
    for nhs in &numbers {
        assert_eq!(get_patient(&http, nhs).await.body["id"], nhs.as_str());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_of_the_same_new_person_create_one_record() {
    // GIVEN ten clients registering the same new person at once, each with its own request id
    let (_dir, http, _) = reference_gateway().await;
    let http = Arc::new(http);
    let mut tasks = JoinSet::new();
    for _ in 0..10 {
        let http = http.clone();
        tasks.spawn(async move { create(&http, &person("Simul", "Taneous", "male", "1990-01-01", "LS1 1AA")).await });
    }
    let replies: Vec<Reply> = tasks.join_all().await;
    // THEN one is created and every other is told about that one record
    let statuses: Vec<(u16, &str)> = replies.iter().map(|r| (r.status, r.code())).collect();
    assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 1, "{statuses:?}");
    for r in replies.iter().filter(|r| r.status != 201) {
        assert_outcome(r, 200, "SINGLE_MATCH");
    }
    assert_eq!(found(&search(&http, "family=Taneous&birthdate=1990-01-01").await).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_a_patient_who_exists_is_200_single_match_and_creates_nothing() {
    // GIVEN Oliver Jones, 9000000017
    let (_dir, http, _) = reference_gateway().await;
    // WHEN a create describes him again
    let r = create(&http, &oliver_jones_again()).await;
    // THEN it is answered with his NHS number and nothing is created
    assert_outcome(&r, 200, "SINGLE_MATCH");
    let diagnostics = r.body["issue"][0]["diagnostics"].as_str().unwrap_or_default();
    assert!(diagnostics.contains(OLIVER), "{diagnostics}");
    assert_eq!(r.header("location"), None);
    assert_eq!(found(&search(&http, "family=Jones&birthdate=1975-03-14").await), vec![OLIVER]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_a_restricted_patient_again_is_a_single_match_too() {
    // GIVEN restricted Janet Smythe, 9000000025, at LS2 9JT
    let (_dir, http, _) = reference_gateway().await;
    // WHEN a create describes her again (with her home postcode)
    let r = create(&http, &person("Janet", "Smythe", "female", "2005-06-16", "LS2 9JT")).await;
    // THEN the duplicate check still finds her: a second NHS number for her would split her record
    assert_outcome(&r, 200, "SINGLE_MATCH");
    assert_eq!(found(&search(&http, "family=Smythe&birthdate=2005-06-16").await), vec![JANET_RESTRICTED]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_a_patient_with_two_existing_matches_is_200_multiple_matches() {
    // GIVEN person A created through the API
    let (_dir, http, store) = reference_gateway().await;
    let body = person("Beatrice", "Twinning", "female", "1985-05-05", "LS6 1AA");
    let a = create(&http, &body).await;
    let a_nhs = created_nhs(&a);
    // AND an identical record under another NHS number, loaded directly
    let twin_nhs = unused_nhs(960_000_000);
    let mut twin: Patient = serde_json::from_value(a.body.clone()).expect("the created patient is a Patient");
    twin.id = twin_nhs.to_string();
    twin.identifier[0].value = Some(twin_nhs.to_string());
    if let Some(meta) = twin.meta.as_mut() {
        meta.version_id = None;
    }
    let record =
        PatientRecord { status: RecordStatus::Active, patient: twin, history: History::default(), related: vec![] };
    PatientRepository::new(store.clone()).load(&[(twin_nhs, record, 1)]).await.expect("the twin loads");
    // WHEN the same details are posted again
    let r = create(&http, &body).await;
    // THEN the answer is MULTIPLE_MATCHES and nothing is created
    assert_outcome(&r, 200, "MULTIPLE_MATCHES");
    let mut ids = found(&search(&http, "family=Twinning&birthdate=1985-05-05").await);
    ids.sort();
    let mut expected = vec![a_nhs, twin_nhs.to_string()];
    expected.sort();
    assert_eq!(ids, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_duplicate_check_still_finds_a_match_among_more_than_fifty_namesakes() {
    // GIVEN sixty women named Anna Crowded born 1960-01-01, each at her own postcode: all similar
    // enough to a new Anna Crowded to pass a fuzzy search, only one the same person
    let (_dir, http, store) = reference_gateway().await;
    let numbers: Vec<NhsNumber> = (950_000_000..).filter_map(NhsNumber::from_base).take(60).collect();
    let records: Vec<(NhsNumber, PatientRecord, u64)> = numbers
        .iter()
        .enumerate()
        .map(|(i, nhs)| {
            let mut p: Patient =
                serde_json::from_value(person("Anna", "Crowded", "female", "1960-01-01", &format!("LS{i} 1AA")))
                    .expect("a create body is a Patient");
            p.id = nhs.to_string();
            let record = PatientRecord {
                status: RecordStatus::Active,
                patient: p,
                history: History::default(),
                related: vec![],
            };
            (*nhs, record, 1)
        })
        .collect();
    PatientRepository::new(store.clone()).load(&records).await.expect("the namesakes load");
    // WHEN a create describes the first of them exactly
    let r = create(&http, &person("Anna", "Crowded", "female", "1960-01-01", "LS0 1AA")).await;
    // THEN she is found, rather than the check giving up on too many similar patients
    assert_outcome(&r, 200, "SINGLE_MATCH");
    let diagnostics = r.body["issue"][0]["diagnostics"].as_str().unwrap_or_default();
    assert!(diagnostics.contains(&numbers[0].to_string()), "{diagnostics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_retried_with_the_same_request_id_returns_the_same_nhs_number_and_creates_nothing() {
    // GIVEN a create that was applied
    let (_dir, http, _) = reference_gateway().await;
    let rid = request_id();
    let body = person("Retry", "Onceonly", "male", "1970-07-07", "YO1 7HH");
    let first = create_as(&http, &rid, &body).await;
    let nhs = created_nhs(&first);
    // WHEN the client retries it with the same X-Request-ID
    let second = create_as(&http, &rid, &body).await;
    // THEN it gets the same answer (not SINGLE_MATCH against the record it created)
    assert_eq!(created_nhs(&second), nhs);
    assert_eq!(second.body, first.body);
    assert_eq!(second.header("location"), first.header("location"));
    // AND only one patient exists
    assert_eq!(found(&search(&http, "family=Onceonly&birthdate=1970-07-07").await), vec![nhs]);
    // AND a new request id for the same person is a duplicate
    assert_outcome(&create(&http, &body).await, 200, "SINGLE_MATCH");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_missing_a_required_field_is_400_missing_value() {
    let (_dir, http, _) = reference_gateway().await;
    for field in ["name", "gender", "birthDate", "address", "extension"] {
        let mut body = person("Mia", "Missing", "female", "1999-09-09", "LS1 1AA");
        body.as_object_mut().unwrap().remove(field);
        let r = create(&http, &body).await;
        assert_outcome(&r, 400, "MISSING_VALUE");
        let diagnostics = r.body["issue"][0]["diagnostics"].as_str().unwrap_or_default();
        assert!(diagnostics.contains(field), "{field}: {diagnostics}");
    }
    // The registering authority is the extension that must be there.
    let mut body = person("Mia", "Missing", "female", "1999-09-09", "LS1 1AA");
    body["extension"] = json!([{"url": "https://example.org/other", "valueString": "x"}]);
    assert_outcome(&create(&http, &body).await, 400, "MISSING_VALUE");
    assert!(found(&search(&http, "family=Missing&birthdate=1999-09-09").await).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_with_an_unknown_or_allocated_field_is_400_additional_properties() {
    let (_dir, http, _) = reference_gateway().await;
    for (field, value) in [("pets", json!("cat")), ("id", json!("9000000009")), ("identifier", json!([]))] {
        let mut body = person("Ada", "Extra", "female", "1999-09-09", "LS1 1AA");
        body[field] = value;
        let r = create(&http, &body).await;
        assert_outcome(&r, 400, "ADDITIONAL_PROPERTIES");
        let diagnostics = r.body["issue"][0]["diagnostics"].as_str().unwrap_or_default();
        assert!(diagnostics.contains(field), "{diagnostics}");
    }
    assert!(found(&search(&http, "family=Extra&birthdate=1999-09-09").await).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_with_a_body_that_is_not_json_is_400_invalid_value() {
    let (_dir, http, _) = reference_gateway().await;
    let rid = request_id();
    let headers = [("x-request-id", rid.as_str()), ("content-type", "application/json")];
    let r = http.send("POST", &format!("{PDS}/Patient"), &headers, "{\"name\": [").await;
    assert_outcome(&r, 400, "INVALID_VALUE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_with_another_content_type_is_415() {
    let (_dir, http, _) = reference_gateway().await;
    let rid = request_id();
    let body = person("Tess", "Plaintext", "female", "1999-09-09", "LS1 1AA").to_string();
    for content_type in ["text/plain", JSON_PATCH] {
        let headers = [("x-request-id", rid.as_str()), ("content-type", content_type)];
        let r = http.send("POST", &format!("{PDS}/Patient"), &headers, &body).await;
        assert_eq!(r.status, 415, "{content_type}: {:#}", r.body);
        assert_eq!(r.body["resourceType"], "OperationOutcome");
        assert_eq!(r.body["issue"][0]["details"]["coding"][0]["system"], SPINE_CODE_SYSTEM);
    }
    // application/fhir+json (with parameters) is accepted.
    let headers = [("x-request-id", rid.as_str()), ("content-type", "application/fhir+json; charset=utf-8")];
    let r = http.send("POST", &format!("{PDS}/Patient"), &headers, &body).await;
    created_nhs(&r);
}

// ---------------------------------------------------------------------------------------------
// GET /Patient/{id}/RelatedPerson
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn related_people_are_a_bundle_of_the_patients_relations() {
    let (_dir, http, _) = reference_gateway().await;
    let r = http.get(&related_path(JANE)).await;
    let entries = searchset(&r);
    assert_eq!(r.body["total"], 2);
    let ids: Vec<&str> = entries.iter().map(|e| e["resource"]["id"].as_str().unwrap_or_default()).collect();
    assert_eq!(ids, vec!["507B7621", "BE974742"]);
    for e in &entries {
        assert_eq!(e["resource"]["resourceType"], "RelatedPerson");
        assert_eq!(e["resource"]["patient"]["identifier"]["value"], JANE);
        let expected = format!("{}/RelatedPerson/{}", patient_url(&http, JANE), e["resource"]["id"].as_str().unwrap());
        assert_eq!(e["fullUrl"].as_str(), Some(expected.as_str()));
    }
    assert_eq!(entries[0]["resource"]["relationship"][0]["coding"][0]["code"], "MTH");
    // A superseded number leads to the surviving patient's relations.
    assert_eq!(searchset(&http.get(&related_path(SUPERSEDED)).await).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restricted_patient_has_an_empty_related_people_bundle() {
    let (_dir, http, _) = reference_gateway().await;
    let r = http.get(&related_path(JANET_RESTRICTED)).await;
    assert!(searchset(&r).is_empty());
    assert_eq!(r.body["total"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_without_related_people_is_404_resource_not_found() {
    let (_dir, http, _) = reference_gateway().await;
    // The minimal patient has no registered practice: asked as the patient themself.
    let patient = http.as_caller(Some(&support::identity::patient(MINIMAL)));
    assert_outcome(&patient.get(&related_path(MINIMAL)).await, 404, "RESOURCE_NOT_FOUND");
    assert_outcome(&http.get(&related_path(UNKNOWN)).await, 404, "RESOURCE_NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn related_people_of_an_invalidated_patient_is_404_invalidated_resource() {
    let (_dir, http, _) = reference_gateway().await;
    assert_outcome(&http.get(&related_path(INVALIDATED)).await, 404, "INVALIDATED_RESOURCE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn related_people_of_a_malformed_nhs_number_is_400_invalid_resource_id() {
    let (_dir, http, _) = reference_gateway().await;
    for id in ["9000000000", "abc"] {
        assert_outcome(&http.get(&related_path(id)).await, 400, "INVALID_RESOURCE_ID");
    }
}

// ---------------------------------------------------------------------------------------------
// Durability
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_survives_closing_and_reopening_the_store() {
    let dir = tempfile::tempdir().expect("temporary directory");
    // GIVEN a gateway on an embedded store in `dir` that applied a PATCH. It runs on a runtime of
    // its own so that dropping the runtime ends the gateway and closes the database.
    let path = dir.path().to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        runtime.block_on(async {
            let store = EmbeddedStore::open(&path).expect("the store opens");
            let records: Arc<dyn RecordStore> = Arc::new(store.records());
            seed_reference(records.clone()).await;
            let http = gateway(records, Arc::new(store.queues())).await;
            let r =
                patch(&http, OLIVER, "W/\"1\"", json!([{"op": "replace", "path": "/gender", "value": "female"}])).await;
            assert_status(&r, 200);
        });
        drop(runtime);
    })
    .join()
    .expect("the first gateway ran");
    // WHEN the same directory is opened again behind a new gateway
    let store = EmbeddedStore::open(dir.path()).expect("the store reopens");
    let http = gateway(Arc::new(store.records()), Arc::new(store.queues())).await;
    // THEN the update is still there
    let got = get_patient(&http, OLIVER).await;
    assert_status(&got, 200);
    assert_eq!(got.body["gender"], "female");
    assert_eq!(version_of(&got), "2");
    assert_eq!(got.header("etag"), Some("W/\"2\""));
}
