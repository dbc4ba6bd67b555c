//! `POST /care-identity/FHIR/R4/EpisodeOfCare`: a healthcare worker (activity B0264) records an
//! open episode of care between a patient and the organisation of the role they act in — a
//! legitimate relationship the access checks then find. The organisation is always the caller's
//! own: a body whose `managingOrganization` names another is refused (403), so a caller cannot
//! open relationships for organisations they do not work for. `period.end` is optional (default
//! and maximum 90 days from now) and must be in the future. The patient must exist. Answers 201
//! with the EpisodeOfCare (id `<nhs>-<ods>`), whether it opened the episode or extended one.

use async_trait::async_trait;
use serde_json::{Value, json};
use spine_shared::fhir::{FHIR_JSON, NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM};
use spine_shared::identity::{LEEWAY_SECONDS, Principal};
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};
use spine_shared::{ErrorCode, NhsNumber, SpineError, SpineResult};
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime, Time};

use crate::context::CisContext;
use crate::episodes::{self, Episode, MAX_EPISODE_DAYS};
use crate::form::shown;

/// The system of the role profile id in `careManager`.
const ROLE_PROFILE_SYSTEM: &str = "https://fhir.nhs.uk/Id/sds-role-profile-id";

pub struct CreateEpisode(pub CisContext);

fn invalid(message: impl Into<String>) -> SpineError {
    SpineError::new(ErrorCode::InvalidValue, message)
}

fn missing(field: &str) -> SpineError {
    SpineError::new(ErrorCode::MissingValue, format!("Missing value - '{field}'"))
}

#[async_trait]
impl Handler for CreateEpisode {
    async fn handle(&self, request: &ApiRequest) -> SpineResult<ApiResponse> {
        let ctx = &self.0;
        let now = OffsetDateTime::now_utc();
        let Some(Principal::HealthcareWorker(worker)) = request.caller().map(|c| &c.principal) else {
            return Err(SpineError::new(ErrorCode::Forbidden, "Only a healthcare worker can record a care episode"));
        };
        let body = parse_body(request)?;
        let nhs = patient(&body)?;
        check_organisation(&body, &worker.organisation)?;
        let end = period_end(&body, now)?;
        if !patient_exists(ctx, nhs).await? {
            return Err(SpineError::new(ErrorCode::ResourceNotFound, "Patient not found"));
        }
        let episode = episodes::record(ctx.store.as_ref(), nhs, &worker.organisation, end, now).await?;
        tracing::info!(organisation = %episode.organisation, "care episode recorded");
        let resource = resource(nhs, &episode, &worker.role_profile_id);
        Ok(ApiResponse::fhir_json(201, &resource).with_patients([nhs]))
    }
}

fn parse_body(request: &ApiRequest) -> SpineResult<Value> {
    let media_type = request.header("content-type").unwrap_or("").split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/json") && !media_type.eq_ignore_ascii_case(FHIR_JSON) {
        return Err(SpineError::new(
            ErrorCode::UnsupportedMediaType,
            "Unsupported media type - the body must be application/fhir+json or application/json",
        ));
    }
    let body: Value = serde_json::from_slice(&request.body)
        .map_err(|_| invalid("Invalid value - the body is not a JSON EpisodeOfCare"))?;
    if body.get("resourceType").and_then(Value::as_str) != Some("EpisodeOfCare") {
        return Err(invalid("Invalid value - 'resourceType' must be 'EpisodeOfCare'"));
    }
    match body.get("status").map(Value::as_str) {
        None => return Err(missing("status")),
        Some(Some("active")) => {}
        Some(_) => return Err(invalid("Invalid value - 'status' must be 'active': only open episodes are recorded")),
    }
    Ok(body)
}

/// `patient.identifier`: an NHS number.
fn patient(body: &Value) -> SpineResult<NhsNumber> {
    let identifier = body.pointer("/patient/identifier").ok_or_else(|| missing("patient.identifier"))?;
    if identifier.get("system").and_then(Value::as_str) != Some(NHS_NUMBER_SYSTEM) {
        return Err(invalid(format!("Invalid value - 'patient.identifier.system' must be '{NHS_NUMBER_SYSTEM}'")));
    }
    let value = identifier.get("value").and_then(Value::as_str).ok_or_else(|| missing("patient.identifier.value"))?;
    NhsNumber::parse(value)
        .map_err(|_| SpineError::new(ErrorCode::InvalidResourceId, format!("Invalid NHS number - '{}'", shown(value))))
}

/// `managingOrganization`, if given, must be the caller's own organisation.
fn check_organisation(body: &Value, own: &str) -> SpineResult<()> {
    let Some(org) = body.get("managingOrganization") else { return Ok(()) };
    let identifier = org.get("identifier").ok_or_else(|| missing("managingOrganization.identifier"))?;
    if identifier.get("system").and_then(Value::as_str) != Some(ODS_CODE_SYSTEM) {
        return Err(invalid(format!(
            "Invalid value - 'managingOrganization.identifier.system' must be '{ODS_CODE_SYSTEM}'"
        )));
    }
    match identifier.get("value").and_then(Value::as_str) {
        Some(ods) if ods.eq_ignore_ascii_case(own) => Ok(()),
        Some(_) => Err(SpineError::new(
            ErrorCode::Forbidden,
            "An episode can be recorded only for the organisation of the caller's role",
        )),
        None => Err(missing("managingOrganization.identifier.value")),
    }
}

/// `period.end`: a dateTime (or a date, meaning the end of that day, UTC) after `now` and at most
/// 90 days ahead; absent, 90 days from now.
fn period_end(body: &Value, now: OffsetDateTime) -> SpineResult<OffsetDateTime> {
    let latest = now + Duration::days(MAX_EPISODE_DAYS);
    let Some(end) = body.pointer("/period/end") else { return Ok(latest) };
    let text = end.as_str().ok_or_else(|| invalid("Invalid value - 'period.end' must be a dateTime"))?;
    let end = parse_date_time(text)
        .ok_or_else(|| invalid(format!("Invalid value - 'period.end' is not a dateTime: '{}'", shown(text))))?;
    if end <= now {
        return Err(invalid("Invalid value - 'period.end' must be in the future"));
    }
    if end > latest + Duration::seconds(LEEWAY_SECONDS) {
        return Err(invalid(format!("Invalid value - 'period.end' must be at most {MAX_EPISODE_DAYS} days from now")));
    }
    Ok(end.min(latest))
}

fn parse_date_time(text: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(t);
    }
    let date = Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some(date.with_time(Time::from_hms(23, 59, 59).ok()?).assume_utc())
}

/// Whether PDS holds a record for the patient.
async fn patient_exists(ctx: &CisContext, nhs: NhsNumber) -> SpineResult<bool> {
    Ok(ctx.store.get(&format!("PATIENT#{nhs}"), "RECORD").await?.is_some())
}

fn resource(nhs: NhsNumber, episode: &Episode, role_profile_id: &str) -> Value {
    json!({
        "resourceType": "EpisodeOfCare",
        "id": format!("{nhs}-{}", episode.organisation),
        "status": "active",
        "patient": {"identifier": {"system": NHS_NUMBER_SYSTEM, "value": nhs.to_string()}},
        "managingOrganization": {"identifier": {"system": ODS_CODE_SYSTEM, "value": episode.organisation}},
        "period": {"start": episode.start, "end": episode.end},
        "careManager": {"identifier": {"system": ROLE_PROFILE_SYSTEM, "value": role_profile_id}}
    })
}
