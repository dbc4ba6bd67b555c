//! Identity end to end over the local gateway: a healthcare worker logs in at the token endpoint
//! and selects a role profile, a patient logs in (NHS login style), an application proves its
//! client credentials with a signed JWT assertion; each token works on the routes it should; the
//! JWKS publishes the key that verifies them; and the privacy officer finds every access in the
//! audit trail (written by the audit writer from the queue), with the privacy alerts of the day.

mod support;

use std::time::Duration;

use serde_json::Value;
use spine_cis::seed::{DEMO_CLIENT_ID, LOCAL_PASSCODE};
use spine_shared::identity::{Jwks, TokenVerifier};
use support::identity::{self as who, AUDIENCE, AUDIT_QUEUE, ISSUER};
use support::{Http, PDS, assert_outcome};

async fn token(http: &Http, form: &str) -> (u16, Value) {
    let plain = http.as_caller(None);
    let r = plain.send("POST", "/oauth2/token", &[("content-type", "application/x-www-form-urlencoded")], form).await;
    (r.status, r.body)
}

#[tokio::test]
async fn logged_in_callers_reach_what_their_tokens_allow() {
    let (_dir, http, _) = support::reference_gateway().await;
    let (status, body) = token(
        &http,
        &format!("grant_type=password&username=555021930100&password={LOCAL_PASSCODE}&selected_roleid=555021935107"),
    )
    .await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!((body["token_type"].as_str(), body["expires_in"].as_str()), (Some("Bearer"), Some("599")));
    assert!(body["access_token"].as_str().is_some_and(|t| t.split('.').count() == 3), "{body:#}");
    let mut clinician = http.as_caller(None);
    clinician.token = body["access_token"].as_str().map(str::to_owned);
    assert_eq!(clinician.get(&format!("{PDS}/Patient/9000000009")).await.status, 200);

    // The JWKS (no X-Request-ID needed) verifies the issued token.
    let jwks = http.as_caller(None).send("GET", "/oauth2/jwks", &[], "").await;
    assert_eq!(jwks.status, 200);
    assert!(jwks.header("x-request-id").is_some());
    let jwks: Jwks = serde_json::from_value(jwks.body).unwrap();
    let verified = TokenVerifier::new(ISSUER, AUDIENCE, &jwks)
        .verify(clinician.token.as_deref().unwrap(), time::OffsetDateTime::now_utc())
        .unwrap();
    assert_eq!(verified.subject, "555021930100");

    // A patient logs in and sees their own record only.
    let (status, body) =
        token(&http, &format!("grant_type=password&username=patient-9000000017&password={LOCAL_PASSCODE}")).await;
    assert_eq!(status, 200, "{body:#}");
    let mut patient = http.as_caller(None);
    patient.token = body["access_token"].as_str().map(str::to_owned);
    assert_eq!(patient.get(&format!("{PDS}/Patient/9000000017")).await.status, 200);
    assert_outcome(&patient.get(&format!("{PDS}/Patient/9000000009")).await, 403, "ACCESS_DENIED");

    // A wrong passcode gets nothing.
    let (status, body) = token(&http, "grant_type=password&username=555021930100&password=guess").await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn an_application_signs_in_with_a_client_assertion() {
    let (dir, store) = support::embedded();
    let records: std::sync::Arc<dyn spine_shared::ports::RecordStore> = std::sync::Arc::new(store.records());
    support::seed_reference(records.clone()).await;
    spine::local_identity::seed(records.as_ref(), dir.path(), 1_000).await.unwrap();
    let key = spine::local_identity::load_or_create_demo_client_key(dir.path()).unwrap();
    let http = support::gateway(records, std::sync::Arc::new(store.queues())).await;

    let now = time::OffsetDateTime::now_utc();
    let assertion =
        spine_cis::assertion::sign(&key.pem, DEMO_CLIENT_ID, &format!("{ISSUER}/token"), now, Duration::from_secs(300))
            .unwrap();
    let form = format!(
        "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={assertion}"
    );
    let (status, body) = token(&http, &form).await;
    assert_eq!(status, 200, "{body:#}");
    let mut app = http.as_caller(None);
    app.token = body["access_token"].as_str().map(str::to_owned);
    let r = app.get(&format!("{PDS}/Patient?family=Jones&birthdate=eq1975-03-14&_max-results=1")).await;
    assert_eq!(r.status, 200, "{:#}", r.body);
    // The same assertion again is a replay.
    let (status, body) = token(&http, &form).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn the_privacy_officer_finds_every_access_and_the_alerts() {
    let (_dir, store) = support::embedded();
    let records: std::sync::Arc<dyn spine_shared::ports::RecordStore> = std::sync::Arc::new(store.records());
    support::seed_reference(records.clone()).await;
    let queue = std::sync::Arc::new(store.queues());
    let http = support::gateway(records.clone(), queue.clone()).await;

    http.get(&format!("{PDS}/Patient/9000000009")).await;
    let elsewhere = http.as_caller(Some(&who::worker("555021930100", "555021935108", "R8000", "Y23999", &[])));
    let id = support::request_id();
    let claim = [
        ("x-request-id", id.as_str()),
        ("nhsd-legitimate-relationship", "emergency"),
        ("nhsd-access-reason", "Unconscious in A&E"),
    ];
    assert_eq!(elsewhere.send("GET", &format!("{PDS}/Patient/9000000009/RelatedPerson"), &claim, "").await.status, 200);
    assert_eq!(http.as_caller(None).get(&format!("{PDS}/Patient/9000000009")).await.status, 401);

    // The audit writer takes the queue into the audit store (here the same store).
    let archive = std::sync::Arc::new(store.blobs());
    let writer = spine_audit::AuditWriter::new(records.clone(), archive);
    assert!(spine_audit::drain(queue.as_ref(), AUDIT_QUEUE, &writer).await >= 1);

    let officer = http.as_caller(Some(&who::worker("555021930104", "555021935140", "R0001", "Y12345", &[])));
    let r = officer.get("/audit/FHIR/R4/AuditEvent?patient=9000000009").await;
    assert_eq!(r.status, 200, "{:#}", r.body);
    let entries = r.body["entry"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 3, "{:#}", r.body);
    assert!(entries.iter().all(|e| e["resource"]["resourceType"] == "AuditEvent"));
    let today = time::OffsetDateTime::now_utc().date();
    let r = officer.get(&format!("/audit/FHIR/R4/AuditEvent?type=privacy-alert&date={today}")).await;
    assert_eq!(r.body["entry"].as_array().map(Vec::len), Some(1), "{:#}", r.body);
    let r = officer.get("/audit/FHIR/R4/AuditEvent?agent=555021930100").await;
    assert_eq!(r.body["entry"].as_array().map(Vec::len), Some(2), "{:#}", r.body);
    // Nobody else may look.
    assert_outcome(&http.get("/audit/FHIR/R4/AuditEvent?patient=9000000009").await, 403, "ACCESS_DENIED");
}

/// The local Spine's own audit wiring (`spine::local_audit`): the journal before the answer, the
/// writer in-process, the privacy officer's search over what it stored; for both flush policies.
async fn the_local_audit_trail_reaches_the_privacy_officer(flush: spine_shared::audit::journal::Flush) {
    let (dir, store) = support::embedded();
    let records: std::sync::Arc<dyn spine_shared::ports::RecordStore> = std::sync::Arc::new(store.records());
    support::seed_reference(records.clone()).await;
    let audit = spine::local_audit::open(&dir.path().join("local"), flush, true).expect("local audit opens");
    let stores = spine::Stores { audit: audit.store.clone(), ..who::stores(records) };
    let origin = spine::start(stores, who::access_with(audit.sink.clone()), "127.0.0.1:0").await.unwrap();
    let http = support::Http::new(origin).as_caller(Some(&who::clinician()));
    assert_eq!(http.get(&format!("{PDS}/Patient/9000000009")).await.status, 200);
    assert_eq!(http.as_caller(None).get(&format!("{PDS}/Patient/9000000017")).await.status, 401);

    let officer = http.as_caller(Some(&who::worker("555021930104", "555021935140", "R0001", "Y12345", &[])));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    for (patient, outcome) in [("9000000009", "0"), ("9000000017", "4")] {
        loop {
            let r = officer.get(&format!("/audit/FHIR/R4/AuditEvent?patient={patient}")).await;
            assert_eq!(r.status, 200, "{:#}", r.body);
            if let Some(entries) = r.body["entry"].as_array().filter(|e| !e.is_empty()) {
                assert_eq!(entries.len(), 1, "{:#}", r.body);
                assert_eq!(entries[0]["resource"]["outcome"], outcome, "{:#}", r.body);
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the writer stores the journal's events");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    // Once the events are stored the writer moves its checkpoint past them (just after the store's
    // commit, so it may trail the search by a moment).
    while !dir.path().join("local/audit-journal/checkpoint").exists() {
        assert!(std::time::Instant::now() < deadline, "the writer moves its checkpoint");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_local_audit_trail_with_the_default_flush() {
    the_local_audit_trail_reaches_the_privacy_officer(spine_shared::audit::journal::Flush::DEFAULT).await;
}

#[tokio::test]
async fn the_local_audit_trail_flushing_each_append() {
    the_local_audit_trail_reaches_the_privacy_officer(spine_shared::audit::journal::Flush::EachAppend).await;
}
