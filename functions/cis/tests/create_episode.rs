//! Recording care episodes: a healthcare worker opens (or extends) an episode between a patient
//! and their own organisation; the reader finds it while it is open.

mod support;

use serde_json::{Value, json};
use spine_cis::episodes::{self, open_episode};
use spine_shared::identity::{HealthcareWorker, Identity, Patient, Principal};
use spine_shared::{ErrorCode, NhsNumber, SpineError};
use support::world;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

const FHIR: &str = "application/fhir+json";

fn hart() -> Identity {
    Identity {
        subject: "555021930100".into(),
        principal: Principal::HealthcareWorker(HealthcareWorker {
            user_id: "555021930100".into(),
            role_profile_id: "555021935107".into(),
            job_role: "R8000".into(),
            organisation: "Y12345".into(),
            activities: vec!["B0820".into(), "B0825".into()],
        }),
    }
}

fn body(nhs: &str, extra: Value) -> String {
    let mut v = json!({
        "resourceType": "EpisodeOfCare",
        "status": "active",
        "patient": {"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}}
    });
    if let (Some(v), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
        v.extend(extra.clone());
    }
    v.to_string()
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

fn time_of(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().unwrap(), &Rfc3339).unwrap()
}

fn nhs(s: &str) -> NhsNumber {
    NhsNumber::parse(s).unwrap()
}

fn assert_error(result: Result<spine_shared::pipeline::ApiResponse, SpineError>, code: ErrorCode) -> String {
    let e = result.unwrap_err();
    assert_eq!(e.code, code, "{}", e.diagnostics);
    e.diagnostics
}

#[tokio::test]
async fn a_clinician_opens_a_ninety_day_episode_at_their_organisation() {
    let w = world().await;
    let now = OffsetDateTime::now_utc();
    let r = w.create_episode(Some(hart()), FHIR, &body("9000000009", json!({}))).await.unwrap();
    assert_eq!(r.status, 201);
    assert_eq!(r.patients, vec![nhs("9000000009")]);
    let v = r.json();
    assert_eq!(v["resourceType"], "EpisodeOfCare");
    assert_eq!(v["id"], "9000000009-Y12345");
    assert_eq!(v["status"], "active");
    assert_eq!(v["managingOrganization"]["identifier"]["value"], "Y12345");
    assert_eq!(v["careManager"]["identifier"]["value"], "555021935107");
    let end = time_of(&v["period"]["end"]);
    assert!((end - (now + Duration::days(90))).abs() < Duration::seconds(60), "{end}");

    let episode = open_episode(w.store.as_ref(), nhs("9000000009"), "Y12345").await.unwrap().unwrap();
    assert_eq!((episode.organisation.as_str(), time_of(&json!(episode.end))), ("Y12345", end));
    assert!(open_episode(w.store.as_ref(), nhs("9000000009"), "Y23456").await.unwrap().is_none());
    assert!(open_episode(w.store.as_ref(), nhs("9000000017"), "Y12345").await.unwrap().is_none());
    let (pk, sk) = episodes::key(nhs("9000000009"), "Y12345");
    assert_eq!((pk.as_str(), sk.as_str()), ("PATIENT#9000000009", "EPISODE#Y12345"));
    let item = w.store.get(&pk, &sk).await.unwrap().unwrap();
    assert_eq!(item.expires_at, Some(end.unix_timestamp()));
    let stored: Value = serde_json::from_slice(&item.data).unwrap();
    assert_eq!(stored["organisation"], "Y12345");
    assert!(stored["start"].is_string() && stored["end"].is_string());
}

#[tokio::test]
async fn recording_again_moves_the_end_and_keeps_the_start() {
    let w = world().await;
    let end = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() + Duration::days(10);
    let extra = json!({"period": {"end": rfc3339(end)}});
    let first = w.create_episode(Some(hart()), FHIR, &body("9000000009", extra)).await.unwrap().json();
    assert_eq!(time_of(&first["period"]["end"]), end);
    let later = end + Duration::days(20);
    let extra = json!({"period": {"end": rfc3339(later)}});
    let second = w.create_episode(Some(hart()), "application/json", &body("9000000009", extra)).await.unwrap();
    assert_eq!(second.status, 201);
    let second = second.json();
    assert_eq!(second["period"]["start"], first["period"]["start"]);
    assert_eq!(time_of(&second["period"]["end"]), later);
    let episode = open_episode(w.store.as_ref(), nhs("9000000009"), "Y12345").await.unwrap().unwrap();
    assert_eq!(time_of(&json!(episode.end)), later);
}

#[tokio::test]
async fn a_date_means_the_end_of_that_day() {
    let w = world().await;
    let day = (OffsetDateTime::now_utc() + Duration::days(5)).date();
    let extra = json!({"period": {"end": day.to_string()}});
    let v = w.create_episode(Some(hart()), FHIR, &body("9000000017", extra)).await.unwrap().json();
    assert_eq!(v["period"]["end"], format!("{day}T23:59:59Z"));
}

#[tokio::test]
async fn a_past_malformed_or_too_distant_end_is_invalid_value() {
    let w = world().await;
    let now = OffsetDateTime::now_utc();
    for (end, says) in [
        (json!(rfc3339(now - Duration::hours(1))), "in the future"),
        (json!("next tuesday"), "not a dateTime"),
        (json!(20260101), "must be a dateTime"),
        (json!(rfc3339(now + Duration::days(91))), "at most 90 days"),
    ] {
        let d = assert_error(
            w.create_episode(Some(hart()), FHIR, &body("9000000009", json!({"period": {"end": end}}))).await,
            ErrorCode::InvalidValue,
        );
        assert!(d.contains(says), "{d}");
    }
    assert!(open_episode(w.store.as_ref(), nhs("9000000009"), "Y12345").await.unwrap().is_none());
}

#[tokio::test]
async fn the_patient_must_be_valid_and_known() {
    let w = world().await;
    assert_error(
        w.create_episode(Some(hart()), FHIR, &body("9000000000", json!({}))).await,
        ErrorCode::InvalidResourceId,
    );
    assert_error(w.create_episode(Some(hart()), FHIR, &body("12345", json!({}))).await, ErrorCode::InvalidResourceId);
    assert_error(
        w.create_episode(Some(hart()), FHIR, &body("9111231130", json!({}))).await,
        ErrorCode::ResourceNotFound,
    );
    let other_system = json!({"resourceType": "EpisodeOfCare", "status": "active",
        "patient": {"identifier": {"system": "https://example.com/id", "value": "9000000009"}}});
    assert_error(w.create_episode(Some(hart()), FHIR, &other_system.to_string()).await, ErrorCode::InvalidValue);
    let no_patient = json!({"resourceType": "EpisodeOfCare", "status": "active"});
    assert_error(w.create_episode(Some(hart()), FHIR, &no_patient.to_string()).await, ErrorCode::MissingValue);
}

#[tokio::test]
async fn another_organisation_is_forbidden_and_the_callers_own_is_taken() {
    let w = world().await;
    let org = |ods: &str| json!({"managingOrganization": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": ods}}});
    assert_error(w.create_episode(Some(hart()), FHIR, &body("9000000009", org("Y23456"))).await, ErrorCode::Forbidden);
    assert!(open_episode(w.store.as_ref(), nhs("9000000009"), "Y23456").await.unwrap().is_none());
    let r = w.create_episode(Some(hart()), FHIR, &body("9000000009", org("Y12345"))).await.unwrap();
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn only_an_active_episode_of_care_in_json_is_taken() {
    let w = world().await;
    let status = |s: Value| {
        json!({"resourceType": "EpisodeOfCare", "status": s,
            "patient": {"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}}})
        .to_string()
    };
    assert_error(w.create_episode(Some(hart()), FHIR, &status(json!("finished"))).await, ErrorCode::InvalidValue);
    let no_status = json!({"resourceType": "EpisodeOfCare"}).to_string();
    assert_error(w.create_episode(Some(hart()), FHIR, &no_status).await, ErrorCode::MissingValue);
    let patient = json!({"resourceType": "Patient", "status": "active"}).to_string();
    assert_error(w.create_episode(Some(hart()), FHIR, &patient).await, ErrorCode::InvalidValue);
    assert_error(w.create_episode(Some(hart()), FHIR, "{not json").await, ErrorCode::InvalidValue);
    let text = w.create_episode(Some(hart()), "text/plain", &body("9000000009", json!({}))).await;
    assert_error(text, ErrorCode::UnsupportedMediaType);
}

#[tokio::test]
async fn only_a_healthcare_worker_records_episodes() {
    let w = world().await;
    let patient = Identity {
        subject: "nhs-login".into(),
        principal: Principal::Patient(Patient { nhs_number: nhs("9000000009"), vector_of_trust: "P9.Cp.Cd".into() }),
    };
    assert_error(w.create_episode(Some(patient), FHIR, &body("9000000009", json!({}))).await, ErrorCode::Forbidden);
    assert_error(w.create_episode(None, FHIR, &body("9000000009", json!({}))).await, ErrorCode::Forbidden);
}
