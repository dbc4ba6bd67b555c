//! Access end to end over the local gateway: the PDS rules for each access mode (a patient sees
//! only their own record; application-restricted search is one unique match with `_max-results`
//! 1), role activities, legitimate relationships with self-claimed and emergency access raising
//! privacy alerts, the audit trail of every access (one event per search match; a retry is a second
//! access), and failing closed
//! when the audit queue cannot take an event.

mod support;

use std::sync::Arc;

use spine_shared::audit::{Action, Basis, Outcome};
use spine_shared::relationship::Episode;
use support::identity as who;
use support::{PDS, assert_outcome};

const JANE: &str = "9000000009";
const OLIVER: &str = "9000000017";
const MINIMAL: &str = "9000000033";

fn patient_path(nhs: &str) -> String {
    format!("{PDS}/Patient/{nhs}")
}

#[tokio::test]
async fn a_patient_reads_their_own_record_and_no_other() {
    let (_dir, http, _) = support::reference_gateway().await;
    let jane = http.as_caller(Some(&who::patient(JANE)));
    assert_eq!(jane.get(&patient_path(JANE)).await.status, 200);
    let other = jane.get(&patient_path(OLIVER)).await;
    assert_outcome(&other, 403, "ACCESS_DENIED");
    assert!(other.body.get("name").is_none());
    assert_outcome(&jane.get(&format!("{}/RelatedPerson", patient_path(OLIVER))).await, 403, "ACCESS_DENIED");
    // An unknown number is refused the same way: a patient learns nothing about other records.
    assert_outcome(&jane.get(&patient_path("9111231130")).await, 403, "ACCESS_DENIED");
    assert_outcome(
        &jane.get(&format!("{PDS}/Patient?family=Smith&birthdate=eq2010-10-22")).await,
        403,
        "ACCESS_DENIED",
    );

    let events = http.audit_events().await;
    let refused: Vec<_> = events.iter().filter(|e| e.outcome == Outcome::Refused).collect();
    assert_eq!(refused.len(), 4, "{events:?}");
    assert!(refused.iter().any(|e| e.patient.map(|p| p.to_string()).as_deref() == Some(OLIVER)));
}

#[tokio::test]
async fn application_restricted_search_is_one_unique_match() {
    let (_dir, http, _) = support::reference_gateway().await;
    let app = http.as_caller(Some(&who::application()));
    let r = app.get(&format!("{PDS}/Patient?family=Smith&birthdate=eq2010-10-22&_max-results=5")).await;
    assert_outcome(&r, 403, "INVALID_VALUE");
    let r = app.get(&format!("{PDS}/Patient?family=Jones&birthdate=eq1975-03-14&_max-results=1")).await;
    assert_eq!(r.status, 200, "{:#}", r.body);
    assert_eq!(r.body["total"], 1);
    // Without `_max-results`, an application still gets one match at most.
    let r = app.get(&format!("{PDS}/Patient?family=Jones&birthdate=eq1975-03-14")).await;
    assert_eq!(r.body["entry"].as_array().map(Vec::len), Some(1), "{:#}", r.body);
    // No PATCH and no POST in application-restricted mode.
    let id = support::request_id();
    let headers =
        [("x-request-id", id.as_str()), ("if-match", "W/\"1\""), ("content-type", "application/json-patch+json")];
    let r = app.send("PATCH", &patient_path(JANE), &headers, r#"{"patches":[]}"#).await;
    assert_outcome(&r, 403, "ACCESS_DENIED");
}

#[tokio::test]
async fn a_clerk_may_view_but_not_amend() {
    let (_dir, http, _) = support::reference_gateway().await;
    let clerk = http.as_caller(Some(&who::clerk()));
    assert_eq!(clerk.get(&patient_path(JANE)).await.status, 200);
    let id = support::request_id();
    let headers =
        [("x-request-id", id.as_str()), ("if-match", "W/\"1\""), ("content-type", "application/json-patch+json")];
    let patch = r#"{"patches":[{"op":"replace","path":"/gender","value":"female"}]}"#;
    let r = clerk.send("PATCH", &patient_path(JANE), &headers, patch).await;
    assert_outcome(&r, 403, "ACCESS_DENIED");
    assert!(r.body["issue"][0]["diagnostics"].as_str().unwrap().contains("B0825"));
    // Nothing changed.
    let after = http.get(&patient_path(JANE)).await;
    assert_eq!(after.header("etag"), Some("W/\"1\""));
}

#[tokio::test]
async fn every_access_is_audited_with_who_and_which_patient() {
    let (_dir, http, _) = support::reference_gateway().await;
    let id = support::request_id();
    let correlation = "corr-123";
    let r =
        http.send("GET", &patient_path(JANE), &[("x-request-id", &id), ("x-correlation-id", correlation)], "").await;
    assert_eq!(r.status, 200);
    let events = http.audit_events().await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!((e.action, e.outcome, e.status), (Action::Read, Outcome::Allowed, 200));
    assert_eq!(e.patient.map(|p| p.to_string()).as_deref(), Some(JANE));
    assert_eq!((e.request_id.as_str(), e.correlation_id.as_deref()), (id.as_str(), Some(correlation)));
    assert_eq!(e.subject.as_deref(), Some("555021930100"));
    assert_eq!(e.role_profile_id.as_deref(), Some("555021935107"));
    assert_eq!((e.job_role.as_deref(), e.organisation.as_deref()), (Some("R8000"), Some("Y12345")));
    assert_eq!(e.activity, "B0820");

    // A search: one event per match.
    let r = http.get(&format!("{PDS}/Patient?family=Sm*&birthdate=ge1900-01-01&_max-results=50")).await;
    let matches = r.body["entry"].as_array().map(Vec::len).unwrap_or(0);
    assert!(matches >= 1, "{:#}", r.body);
    let events = http.audit_events().await;
    assert_eq!(events.len(), matches);
    assert!(events.iter().all(|e| e.action == Action::Search && e.patient.is_some()));
    // A search with no match is still one event, without a patient.
    http.get(&format!("{PDS}/Patient?family=Nobody&birthdate=eq1900-01-01")).await;
    let events = http.audit_events().await;
    assert_eq!((events.len(), events[0].patient), (1, None));
    // A read of an unknown record is audited too (status 404).
    http.get(&patient_path("9111231130")).await;
    assert_eq!(http.audit_events().await[0].status, 404);
    // Directory lookups hold no patient data and are not audited when allowed.
    http.get("/spine-directory/FHIR/R4/Organization/Y12345").await;
    assert!(http.audit_events().await.is_empty());
}

#[tokio::test]
async fn a_retry_with_the_same_request_id_is_audited_as_a_second_access() {
    let (_dir, http, _) = support::reference_gateway().await;
    // A read, retried: the data was shown twice, so two events of the one request.
    let id = support::request_id();
    for _ in 0..2 {
        assert_eq!(http.send("GET", &patient_path(JANE), &[("x-request-id", &id)], "").await.status, 200);
    }
    let mut reads = http.audit_events().await;
    reads.sort_by(|a, b| a.time.cmp(&b.time));
    assert_eq!(reads.len(), 2, "{reads:?}");
    assert!(reads.iter().all(|e| e.request_id == id && e.action == Action::Read));
    assert_ne!(reads[0].id, reads[1].id);
    assert!(reads[0].time < reads[1].time, "the first attempt keeps its own time");
    // A PATCH, retried: applied once (answered again from the idempotency record), audited twice.
    let id = support::request_id();
    let headers =
        [("x-request-id", id.as_str()), ("if-match", "W/\"1\""), ("content-type", "application/json-patch+json")];
    let patch = r#"{"patches":[{"op":"replace","path":"/gender","value":"female"}]}"#;
    let first = http.send("PATCH", &patient_path(OLIVER), &headers, patch).await;
    let retry = http.send("PATCH", &patient_path(OLIVER), &headers, patch).await;
    assert_eq!((first.status, retry.status, retry.header("etag")), (200, 200, Some("W/\"2\"")));
    let updates = http.audit_events().await;
    assert_eq!(updates.len(), 2, "{updates:?}");
    assert!(updates.iter().all(|e| e.request_id == id && e.action == Action::Update && e.status == 200));
    assert_ne!(updates[0].id, updates[1].id);
}

#[tokio::test]
async fn an_access_that_cannot_be_audited_is_not_given() {
    let (_dir, store) = support::embedded();
    let records: Arc<dyn spine_shared::ports::RecordStore> = Arc::new(store.records());
    support::seed_reference(records.clone()).await;
    // The gateway's audit queue does not exist: every send fails.
    let queue = Arc::new(store.queues());
    let sink = spine_shared::audit::BatchingAuditSink::start(queue, "no-such-queue");
    let origin = spine::start(who::stores(records), who::access_with(Arc::new(sink)), "127.0.0.1:0").await.unwrap();
    let mut http = support::Http::new(origin);
    http.token = Some(who::token(&who::clinician()));
    let r = http.get(&patient_path(JANE)).await;
    assert_outcome(&r, 503, "SERVICE_UNAVAILABLE");
    assert!(r.body.get("name").is_none() && r.header("etag").is_none());
    assert!(r.header("retry-after").is_some());
    // A refusal that cannot be audited is still a refusal.
    assert_eq!(http.as_caller(None).get(&patient_path(JANE)).await.status, 503);
}

#[tokio::test]
async fn related_people_need_a_legitimate_relationship_or_a_claimed_one() {
    let (_dir, http, records) = support::reference_gateway().await;
    let related = |nhs: &str| format!("{PDS}/Patient/{nhs}/RelatedPerson");
    // Jane is registered at Y12345, Dr Hart's practice.
    assert_eq!(http.get(&related(JANE)).await.status, 200);
    let e = http.audit_events().await;
    assert_eq!((e[0].basis, e[0].is_alert()), (Some(Basis::RegisteredPractice), false));

    // A clinician elsewhere has none.
    let elsewhere = http.as_caller(Some(&who::worker("555021930100", "555021935108", "R8000", "Y23999", &[])));
    assert_outcome(&elsewhere.get(&related(JANE)).await, 403, "ACCESS_DENIED");
    assert_eq!(http.audit_events().await[0].outcome, Outcome::Refused);

    // A self-claimed relationship with a reason is allowed, and raises a privacy alert.
    let id = support::request_id();
    let claim = [
        ("x-request-id", id.as_str()),
        ("nhsd-legitimate-relationship", "self-claimed"),
        ("nhsd-access-reason", "Patient attended the walk-in centre"),
    ];
    let r = elsewhere.send("GET", &related(JANE), &claim, "").await;
    assert_eq!(r.status, 200, "{:#}", r.body);
    let e = http.audit_events().await;
    assert_eq!((e[0].basis, e[0].is_alert()), (Some(Basis::SelfClaimed), true));
    assert_eq!(e[0].stated_reason.as_deref(), Some("Patient attended the walk-in centre"));

    // Emergency access needs a reason too.
    let id = support::request_id();
    let no_reason = [("x-request-id", id.as_str()), ("nhsd-legitimate-relationship", "emergency")];
    assert_outcome(&elsewhere.send("GET", &related(JANE), &no_reason, "").await, 400, "INVALID_VALUE");
    let id = support::request_id();
    let bad_kind = [("x-request-id", id.as_str()), ("nhsd-legitimate-relationship", "curious")];
    assert_outcome(&elsewhere.send("GET", &related(JANE), &bad_kind, "").await, 400, "INVALID_VALUE");

    // An open care episode is a relationship; a closed one is not.
    let now = time::OffsetDateTime::now_utc();
    let fmt = |t: time::OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap();
    let nhs = spine_shared::NhsNumber::parse(OLIVER).unwrap();
    let closed = Episode {
        organisation: "Y23999".into(),
        start: fmt(now - time::Duration::days(30)),
        end: fmt(now - time::Duration::days(1)),
    };
    records.put(closed.item(nhs), spine_shared::ports::Condition::None).await.unwrap();
    assert_outcome(&elsewhere.get(&related(OLIVER)).await, 403, "ACCESS_DENIED");
    let open = Episode { end: fmt(now + time::Duration::days(30)), ..closed };
    records.put(open.item(nhs), spine_shared::ports::Condition::None).await.unwrap();
    assert_eq!(elsewhere.get(&related(OLIVER)).await.status, 200);
    let e = http.audit_events().await;
    assert_eq!(e.last().unwrap().basis, Some(Basis::CareEpisode));

    // Patients need none for their own record.
    let minimal = http.as_caller(Some(&who::patient(MINIMAL)));
    assert_outcome(&minimal.get(&related(MINIMAL)).await, 404, "RESOURCE_NOT_FOUND");
}
