//! The request examples of the PDS specification (`tests/fixtures/spec/`), run through our rules:
//! every PATCH example applies under the PDS patch rules to a patient holding what the example
//! tests, and passes the field rules unless its result breaks one (removing gender, or the only
//! usual name); every
//! create example is a valid create, and sending one twice is a `SINGLE_MATCH`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use spine_pds::handlers::PdsContext;
use spine_pds::{handler_for, patch, rules};
use spine_shared::ErrorCode;
use spine_shared::fhir::Patient;
use spine_shared::pipeline::{self, ApiRequest};
use spine_shared::routes;

fn spec(dir: &str) -> Vec<(String, Value)> {
    let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec").join(dir);
    let mut out: Vec<(String, Value)> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// A patient holding what the PATCH examples test: the name object the whole-object test names,
/// address id 456, no nominated pharmacy (one example adds it), and the dispenser and
/// death-notification extensions at the indexes the examples use.
fn patient_the_examples_expect() -> Patient {
    let examples = spec("PatientPatch");
    let name =
        examples.iter().find(|(f, _)| f == "delete-name-alternative.json").unwrap().1["patches"][0]["value"].clone();
    let ext = |url: &str| json!({"url": format!("https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-{url}"), "valueReference": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y12345"}}});
    serde_json::from_value(json!({
        "resourceType": "Patient",
        "id": "9000000009",
        "name": [name],
        "gender": "female",
        "birthDate": "2010-10-22",
        "address": [{"id": "456", "use": "home", "period": {"start": "2020-01-01"}, "line": ["1 Trevelyan Square", "Boar Lane", "Leeds"], "postalCode": "LS1 6AE"}],
        "extension": [
            ext("MedicalApplianceSupplier"),
            ext("PreferredDispenserOrganization"),
            {"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace", "valueAddress": {"city": "Leeds", "country": "GBR"}},
            {"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DeathNotificationStatus", "extension": [
                {"url": "deathNotificationStatus", "valueCodeableConcept": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-DeathNotificationStatus", "code": "2"}]}}
            ]}
        ]
    }))
    .unwrap()
}

#[test]
fn every_patch_example_of_the_specification_applies() {
    let patient = patient_the_examples_expect();
    let examples = spec("PatientPatch");
    assert_eq!(examples.len(), 11);
    for (file, body) in examples {
        let mut patched = patch::apply(&patient, body.to_string().as_bytes()).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_ne!(patched, patient, "{file} changed nothing");
        let checked = rules::validate(Some(&patient), &mut patched, rules::today());
        if ["delete-gender.json", "delete-name.json", "delete-name-alternative.json"].contains(&file.as_str()) {
            // Valid patches whose result breaks a field rule: gender cannot be removed (the
            // specification's own note), and a patient keeps exactly one usual name.
            assert_eq!(checked.unwrap_err().code, ErrorCode::InvalidUpdate, "{file}");
        } else {
            checked.unwrap_or_else(|e| panic!("{file}: {e}"));
        }
    }
}

#[tokio::test]
async fn every_create_example_creates_and_a_second_send_is_a_single_match() {
    let dir = tempfile::tempdir().unwrap();
    let store = spine_shared::adapters::embedded::EmbeddedStore::open(dir.path()).unwrap();
    let ctx = PdsContext::new(Arc::new(store.records()), "https://api.service.nhs.uk");
    let route = routes::by_function("pds-create-patient").unwrap();
    let handler = handler_for(&route.function, ctx).unwrap();
    let queue = Arc::new(store.queues());
    spine_shared::config::ensure_audit_queue(queue.as_ref(), "audit").await.unwrap();
    let audit = spine_shared::audit::QueueAuditSink::new(queue, "audit");
    let access = pipeline::Access::new(Arc::new(pipeline::AuthorizerContext), Arc::new(audit));
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let clinician = serde_json::json!({"iss": "i", "aud": "a", "sub": "555021930100", "iat": now, "exp": now + 600,
        "jti": "j", "access_mode": "healthcare-worker", "user_id": "555021930100", "role_profile_id": "555021935107",
        "job_role": "R8000", "organisation": "Y12345"});
    let post = |body: &Value| {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-request-id", uuid::Uuid::new_v4().to_string().parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        ApiRequest {
            method: http::Method::POST,
            path: route.path.clone(),
            headers,
            body: body.to_string().into(),
            authorizer_claims: Some(clinician.to_string()),
            ..Default::default()
        }
    };
    for (file, body) in spec("PatientCreate") {
        let first = pipeline::run(route, &access, &handler, post(&body)).await;
        assert_eq!(first.status, 201, "{file}: {}", String::from_utf8_lossy(&first.body));
        let nhs = first.json()["id"].as_str().unwrap().to_owned();
        assert!(spine_shared::NhsNumber::parse(&nhs).is_ok());
        let again = pipeline::run(route, &access, &handler, post(&body)).await;
        assert_eq!(again.status, 200, "{file}");
        assert_eq!(again.json()["issue"][0]["details"]["coding"][0]["code"], "SINGLE_MATCH", "{file}");
        assert!(again.json()["issue"][0]["diagnostics"].as_str().unwrap().contains(&nhs), "{file}");
    }
}
