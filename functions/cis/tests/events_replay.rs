//! The sample events of the CIS routes (`events/cis-token`, `cis-jwks`, `cis-create-episode`)
//! replayed through the Lambda edge (`lambda_http` parsing, the shared event conversion, the
//! pipeline with the API Gateway authorizer's context as the caller) on a store with the
//! reference directory, the CIS seed and the reference patients: each answers with the status its
//! file name starts with, in OAuth's error format on the token endpoint and as an
//! OperationOutcome elsewhere.
#![cfg(feature = "lambda")]

mod support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use spine_shared::SpineResult;
use spine_shared::audit::{AuditEvent, AuditSink};
use spine_shared::pipeline::lambda::to_api_request;
use spine_shared::pipeline::{self, Access, AuthorizerContext};
use spine_shared::routes;

/// Keeps the audit events the pipeline records.
#[derive(Default)]
struct Collected(Mutex<Vec<AuditEvent>>);

#[async_trait]
impl AuditSink for Collected {
    async fn record(&self, events: Vec<AuditEvent>) -> SpineResult<()> {
        self.0.lock().unwrap().extend(events);
        Ok(())
    }
}

fn event_files(function: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events").join(function);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

#[tokio::test]
async fn every_cis_sample_event_answers_with_its_status() {
    let mut replayed = 0;
    for function in ["cis-token", "cis-jwks", "cis-create-episode"] {
        let w = support::world_at("https://api.service.nhs.uk").await;
        let audit = Arc::new(Collected::default());
        let access = Access::new(Arc::new(AuthorizerContext), audit.clone());
        let route = routes::by_function(function).unwrap();
        let handler = spine_cis::handler_for(function, w.ctx.clone()).unwrap();
        for file in event_files(function) {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let expected: u16 = name[..3].parse().unwrap();
            let request = lambda_http::request::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            let response = pipeline::run(route, &access, &handler, to_api_request(route, request)).await;
            let body = response.json();
            assert_eq!(response.status, expected, "{function}/{name}: {body}");
            match (function, expected) {
                ("cis-token", 200) => assert!(body["access_token"].is_string(), "{name}"),
                ("cis-token", _) => assert!(body["error"].is_string(), "{name}: {body}"),
                ("cis-jwks", _) => assert_eq!(body["keys"].as_array().map(Vec::len), Some(1)),
                (_, 201) => assert_eq!(body["resourceType"], "EpisodeOfCare", "{name}"),
                _ => assert_eq!(body["resourceType"], "OperationOutcome", "{name}"),
            }
            replayed += 1;
        }
        if function == "cis-create-episode" {
            let events = audit.0.lock().unwrap();
            let opened: Vec<String> =
                events.iter().filter(|e| e.status == 201).filter_map(|e| e.patient.map(|p| p.to_string())).collect();
            assert_eq!(opened, ["9000000009", "9000000017"], "each recorded episode is audited with its patient");
            assert!(events.iter().any(|e| e.status == 403), "refusals are audited");
        }
    }
    assert!(replayed >= 23, "{replayed}");
}
