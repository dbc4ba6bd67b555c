//! Every sample event in `events/<function>/` is an API Gateway REST (v1) event that
//! `cargo lambda invoke --data-file` accepts. Each is replayed here through the Lambda edge
//! (`lambda_http` parsing, our event-to-request conversion, the pipeline, the handler the local
//! Spine registers for the route) on a store holding every service's reference data (the PDS
//! reference patients, the Spine Directory's reference organisations), and must answer with the
//! status its file name starts with.
//! The replay runs on the embedded store and on DynamoDB (moto).

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use spine_shared::audit::QueueAuditSink;
use spine_shared::pipeline::{self, Access, AuthorizerContext, lambda::to_api_request};
use spine_shared::ports::{Queue, RecordStore};
use spine_shared::routes;

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("events")
}

/// The event files of a function, in file-name order.
fn event_files(function: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(events_dir().join(function))
        .unwrap_or_else(|_| panic!("events/{function}/ exists"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

async fn replay(make_store: impl AsyncFn() -> (Arc<dyn RecordStore>, Arc<dyn Queue>)) {
    let mut replayed = 0;
    for route in routes::all() {
        // Each function's events run in order on a fresh store with every service's reference data,
        // through the handler the local Spine registers for the route, with the access a Lambda has:
        // the identity from the authorizer's context, audit events on the queue.
        let (store, queue) = make_store().await;
        support::seed_reference(store.clone()).await;
        let stores = support::identity::stores(store);
        support::seed_mesh_reference(&stores.mesh).await;
        let mut handlers =
            spine::services::handlers(&stores, "https://api.service.nhs.uk").expect("every route has a handler");
        let Some(handler) = handlers.remove(&route.function) else { continue };
        spine_shared::config::ensure_audit_queue(queue.as_ref(), support::identity::AUDIT_QUEUE).await.unwrap();
        let audit = QueueAuditSink::new(queue.clone(), support::identity::AUDIT_QUEUE);
        let access = Access::new(Arc::new(AuthorizerContext), Arc::new(audit));
        let files = event_files(&route.function);
        assert!(!files.is_empty(), "events/{} has no events", route.function);
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let expected: u16 = name[..3].parse().unwrap_or_else(|_| panic!("{name} starts with a status"));
            let text = std::fs::read_to_string(&file).unwrap();
            let mut request = lambda_http::request::from_str(&text)
                .unwrap_or_else(|e| panic!("{name}: not an API Gateway event: {e}"));
            if route.is_mesh() && !name.contains("stale-token") {
                fresh_mesh_token(&mut request);
            }
            let response = pipeline::run(route, &access, &handler, to_api_request(route, request)).await;
            assert_eq!(
                response.status,
                expected,
                "{}/{name}: {}",
                route.function,
                String::from_utf8_lossy(&response.body)
            );
            let body = response.json();
            if route.is_mesh() {
                check_mesh_body(&name, expected, &response);
            } else if expected >= 400 && route.function == "cis-token" {
                assert!(body["error"].is_string(), "{name}: an OAuth error");
            } else if route.function == "eps-process-message" && name.contains("cancel") {
                // EPS answers a cancellation, taken or not, with a message Bundle carrying its
                // R-code; one it cannot match to a prescription (R-0008, R-5000) with an
                // OperationOutcome carrying it.
                let code = if body["resourceType"] == "OperationOutcome" {
                    &body["issue"][0]["details"]["coding"][0]["code"]
                } else {
                    assert_eq!(body["type"], "message", "{name}");
                    &body["entry"][1]["resource"]["extension"][0]["extension"][0]["valueCoding"]["code"]
                };
                assert!(code.as_str().is_some_and(|c| c.starts_with("R-") && name.contains(&c[2..])), "{name}: {code}");
            } else if expected >= 400 && route.service == "eps" {
                // As EPS: a generic validation error names its FHIR issue type only; the others
                // carry EPS's code as well.
                assert_eq!(body["resourceType"], "OperationOutcome", "{name}");
                assert!(body["issue"][0]["code"].is_string(), "{name}");
                let generic =
                    ["value", "invalid", "structure"].contains(&body["issue"][0]["code"].as_str().unwrap_or(""));
                assert!(generic || body["issue"][0]["details"]["coding"][0]["code"].is_string(), "{name}");
            } else if expected >= 400 {
                assert_eq!(body["resourceType"], "OperationOutcome", "{name}");
                assert!(body["issue"][0]["details"]["coding"][0]["code"].is_string(), "{name}");
            } else if route.function == "cis-token" {
                assert!(body["access_token"].is_string(), "{name}: an OAuth token response");
            } else if route.function == "cis-jwks" {
                assert!(body["keys"].is_array(), "{name}: a JWK set");
            } else {
                assert!(body["resourceType"].is_string(), "{name}");
            }
            replayed += 1;
        }
    }
    assert!(replayed >= 90, "only {replayed} events replayed");
}

/// A MESH event's `NHSMESH` token is only good for two hours after the event was written, and
/// once: the replay signs a fresh one for the same mailbox (events named `*stale-token*` keep theirs).
fn fresh_mesh_token(request: &mut lambda_http::Request) {
    let Some(old) = request.headers().get("authorization").and_then(|v| v.to_str().ok()) else { return };
    let Some(mailbox) = old.strip_prefix("NHSMESH ").and_then(|t| t.split(':').next()) else { return };
    let token = spine_mesh::reference::token(mailbox);
    request.headers_mut().insert("authorization", token.parse().unwrap());
}

/// MESH answers in its own shapes: errors as v1 `{errorCode, errorDescription}` or v2
/// `{detail: [{event, code, msg}]}`, never an OperationOutcome.
fn check_mesh_body(name: &str, expected: u16, response: &spine_shared::pipeline::ApiResponse) {
    let body = response.json();
    assert_ne!(body["resourceType"], "OperationOutcome", "{name}");
    if expected >= 400 {
        assert!(body["detail"][0]["msg"].is_string() || body["errorDescription"].is_string(), "{name}: {body}");
    }
}

#[tokio::test]
async fn every_sample_event_answers_with_its_status_on_the_embedded_store() {
    let dirs = std::cell::RefCell::new(Vec::new());
    replay(async || {
        let (dir, store) = support::embedded();
        dirs.borrow_mut().push(dir);
        (Arc::new(store.records()) as Arc<dyn RecordStore>, Arc::new(store.queues()) as Arc<dyn Queue>)
    })
    .await;
}

#[tokio::test]
async fn every_sample_event_answers_with_its_status_on_dynamodb_and_sqs() {
    replay(async || {
        let queue = spine_shared::adapters::aws::SqsQueue::from_config(&support::aws_config());
        (support::dynamo().await, Arc::new(queue) as Arc<dyn Queue>)
    })
    .await;
}

#[test]
fn every_function_has_events_and_every_event_directory_a_function() {
    let functions: Vec<String> = routes::all().iter().map(|r| r.function.clone()).collect();
    for entry in std::fs::read_dir(events_dir()).unwrap() {
        let entry = entry.unwrap();
        if entry.path().is_dir() {
            let name = entry.file_name().to_string_lossy().into_owned();
            // The authorizer, the audit writer, MESH's expiry and EPS's relay and consumer take other
            // events (a REQUEST authorizer event, SQS batches, a scheduled events, a DynamoDB stream
            // batch); their own tests replay them.
            let other = [
                "cis-authorizer",
                "audit-writer",
                "mesh-expire-messages",
                "eps-expire-prescriptions",
                "eps-relay-status-events",
                "eps-notify-patients",
            ]
            .contains(&name.as_str());
            assert!(other || functions.contains(&name), "events/{name} names no function of the route table");
        }
    }
    for f in &functions {
        assert!(!event_files(f).is_empty(), "events/{f} is empty");
        for file in event_files(f) {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let ok = name.len() > 9 && name[..3].bytes().all(|b| b.is_ascii_digit()) && name.as_bytes()[3] == b'-';
            assert!(ok, "{f}/{name} must be named <status>-<slug>.json");
        }
    }
}

#[test]
fn repeated_query_parameters_keep_every_value_through_the_lambda_edge() {
    let route = routes::by_function("sds-get-device").unwrap();
    let text = std::fs::read_to_string(events_dir().join("sds-get-device/200-with-party-key.json")).unwrap();
    let request = to_api_request(route, lambda_http::request::from_str(&text).unwrap());
    let identifiers: Vec<&str> =
        request.query.iter().filter(|(k, _)| k == "identifier").map(|(_, v)| v.as_str()).collect();
    assert_eq!(
        identifiers,
        [
            "https://fhir.nhs.uk/Id/nhsServiceInteractionId|urn:nhs:names:services:psis:REPC_IN150016UK05",
            "https://fhir.nhs.uk/Id/nhsMhsPartyKey|Y12345-0000806"
        ]
    );
    let route = routes::by_function("pds-search-patients").unwrap();
    let text = std::fs::read_to_string(events_dir().join("pds-search-patients/200-birthdate-range.json")).unwrap();
    let request = to_api_request(route, lambda_http::request::from_str(&text).unwrap());
    let names: Vec<&str> = request.query.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["birthdate", "birthdate", "family"], "names sorted, every value kept");
}
