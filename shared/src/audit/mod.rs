//! The audit trail: an [`AuditEvent`] for every access to patient data (read, each search match,
//! update, create; allowed or refused) and for every refused call, sent by the pipeline to the audit
//! queue through an [`AuditSink`] before the answer leaves. If the events cannot be queued the access
//! fails (503): nothing is shown that was not audited. The audit writer (`functions/audit`) consumes the
//! queue into the audit table and the NDJSON archive by day.
//!
//! **One event per attempt.** An event's id is derived from the request id, the function, the
//! patient, the outcome and the time the request was answered ([`Attempt`]), so a redelivered
//! event is the same event and the writer stores it once, while a client's retry with the same
//! `X-Request-ID` is a second access and is audited as one: two events that share the request id.
//! A retry answered from the idempotency record still shows the data again, and the first
//! attempt's time and outcome stay on record.

pub mod batching;
#[cfg(feature = "embedded")]
pub mod journal;
pub mod sink;

use serde::{Deserialize, Serialize};

use crate::NhsNumber;
use crate::identity::{AccessMode, Identity, Principal};
use crate::routes::Route;

pub use batching::BatchingAuditSink;
#[cfg(feature = "embedded")]
pub use journal::AuditJournal;
#[cfg(feature = "embedded")]
pub use sink::JournalAuditSink;
pub use sink::{AUDIT_QUEUE, AuditSink, QueueAuditSink};

/// What the caller did, from the route's method and shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Read,
    Search,
    Update,
    Create,
}

impl Action {
    /// GET of one resource is a read, GET of a collection a search, PATCH/PUT an update, POST a create.
    pub fn of(route: &Route) -> Action {
        match route.method.as_str() {
            "GET" | "HEAD" if route.path.contains('{') => Action::Read,
            "GET" | "HEAD" => Action::Search,
            "POST" => Action::Create,
            _ => Action::Update,
        }
    }

    /// The FHIR `AuditEvent.action` code (C, R, U, D, E).
    pub fn fhir_code(self) -> &'static str {
        match self {
            Action::Read => "R",
            Action::Search => "E",
            Action::Update => "U",
            Action::Create => "C",
        }
    }
}

/// Whether the access happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The caller was allowed and the handler answered (any status, e.g. 200 or 404).
    Allowed,
    /// The caller was turned away: 401 or 403.
    Refused,
}

/// Why a healthcare worker may see a patient where the route needs a legitimate relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// The worker's organisation is the patient's registered GP practice.
    RegisteredPractice,
    /// The worker's organisation has an open care episode with the patient.
    CareEpisode,
    /// The worker claimed a relationship the Spine does not hold (raises a privacy alert).
    SelfClaimed,
    /// Emergency access with a stated reason (raises a privacy alert).
    Emergency,
}

impl Basis {
    /// Self-claimed and emergency access are reviewed by a privacy officer.
    pub fn raises_alert(self) -> bool {
        matches!(self, Basis::SelfClaimed | Basis::Emergency)
    }
}

/// One audited access. Holds patient data (the NHS number, a stated reason) and so is never
/// logged; Debug redacts the NHS number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: String,
    /// RFC 3339, UTC, microseconds.
    pub time: String,
    pub request_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    pub function: String,
    pub activity: String,
    pub action: Action,
    pub outcome: Outcome,
    /// The HTTP status the caller got.
    pub status: u16,
    /// Why the caller was refused; never token contents or patient data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Absent when no token could be verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_mode: Option<AccessMode>,
    /// The token subject: CIS user id, client id or NHS login id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_profile_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<NhsNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<Basis>,
    /// The reason stated for self-claimed or emergency access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stated_reason: Option<String>,
}

/// One attempt at a request, as its audit events name it: the caller's request and correlation
/// ids and the one time all the attempt's events carry.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    pub request_id: &'a str,
    pub correlation_id: Option<&'a str>,
    /// RFC 3339, UTC, microseconds.
    pub time: String,
}

impl<'a> Attempt<'a> {
    /// An attempt answered now.
    pub fn now(request_id: &'a str, correlation_id: Option<&'a str>) -> Self {
        Attempt { request_id, correlation_id, time: now_rfc3339() }
    }
}

impl AuditEvent {
    /// An event for `route`, identified from the attempt (request id and time), function, patient
    /// and outcome.
    pub fn new(
        route: &Route,
        attempt: &Attempt<'_>,
        identity: Option<&Identity>,
        patient: Option<NhsNumber>,
        outcome: Outcome,
        status: u16,
    ) -> AuditEvent {
        let key = format!(
            "{}|{}|{}|{outcome:?}|{}",
            attempt.request_id,
            route.function,
            patient.map(|p| p.to_string()).unwrap_or_default(),
            attempt.time
        );
        let id = uuid::Uuid::new_v5(&EVENT_NAMESPACE, key.as_bytes()).to_string();
        let mut event = AuditEvent {
            id,
            time: attempt.time.clone(),
            request_id: attempt.request_id.to_owned(),
            correlation_id: attempt.correlation_id.map(str::to_owned),
            function: route.function.clone(),
            activity: route.activity.clone(),
            action: Action::of(route),
            outcome,
            status,
            reason: None,
            access_mode: None,
            subject: None,
            role_profile_id: None,
            job_role: None,
            organisation: None,
            patient,
            basis: None,
            stated_reason: None,
        };
        if let Some(identity) = identity {
            event.set_identity(identity);
        }
        event
    }

    fn set_identity(&mut self, identity: &Identity) {
        self.access_mode = Some(identity.access_mode());
        self.subject = Some(identity.subject.clone());
        match &identity.principal {
            Principal::HealthcareWorker(w) => {
                self.role_profile_id = Some(w.role_profile_id.clone());
                self.job_role = Some(w.job_role.clone());
                self.organisation = Some(w.organisation.clone());
            }
            Principal::Application(a) => self.organisation = Some(a.organisation.clone()),
            Principal::Patient(_) => {}
        }
    }

    /// Whether a privacy officer reviews this access.
    pub fn is_alert(&self) -> bool {
        self.outcome == Outcome::Allowed && self.basis.is_some_and(Basis::raises_alert)
    }

    /// The day it happened, `yyyy-mm-dd` (the archive's partition).
    pub fn day(&self) -> &str {
        self.time.get(..10).unwrap_or("")
    }
}

/// The namespace of event ids (UUID v5).
const EVENT_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x5b1e_a0d1_7c4e_4f6a_9a51_3d2c_1e0f_a417);

fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    now.format(&format).unwrap_or_default()
}

/// What one queue message carries: the events of one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditBatch {
    pub events: Vec<AuditEvent>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes;

    #[test]
    fn actions_follow_the_route_shape() {
        let of = |f: &str| Action::of(routes::by_function(f).unwrap());
        assert_eq!(of("pds-get-patient"), Action::Read);
        assert_eq!(of("pds-search-patients"), Action::Search);
        assert_eq!(of("pds-update-patient"), Action::Update);
        assert_eq!(of("pds-create-patient"), Action::Create);
    }

    #[test]
    fn an_attempt_names_each_event_once_and_a_retry_is_a_second_access() {
        let route = routes::by_function("pds-get-patient").unwrap();
        let nhs = NhsNumber::parse("9000000009").ok();
        let at = |request_id, time: &str| Attempt { request_id, correlation_id: None, time: time.into() };
        let first = at("r1", "2026-11-23T09:00:00.000001Z");
        let a = AuditEvent::new(route, &first, None, nhs, Outcome::Allowed, 200);
        // The same attempt's event, made again (as a redelivery carries it): the same id.
        assert_eq!(AuditEvent::new(route, &first, None, nhs, Outcome::Allowed, 200), a);
        // Another patient, another outcome, another request: other ids.
        let other = AuditEvent::new(route, &first, None, NhsNumber::parse("9000000017").ok(), Outcome::Allowed, 200);
        assert_ne!(other.id, a.id);
        assert_ne!(AuditEvent::new(route, &first, None, nhs, Outcome::Refused, 403).id, a.id);
        assert_ne!(AuditEvent::new(route, &at("r2", &first.time), None, nhs, Outcome::Allowed, 200).id, a.id);
        // The retry, later, with the same X-Request-ID: a second event of the same request.
        let retry = AuditEvent::new(route, &at("r1", "2026-11-23T09:00:02.000001Z"), None, nhs, Outcome::Allowed, 200);
        assert_ne!(retry.id, a.id);
        assert_eq!((retry.request_id.as_str(), a.time.as_str()), ("r1", "2026-11-23T09:00:00.000001Z"));
        let now = AuditEvent::new(route, &Attempt::now("r3", None), None, nhs, Outcome::Allowed, 200);
        assert_eq!((now.day().len(), now.time.len()), (10, 27));
        assert!(!format!("{a:?}").contains("9000000009"));
    }
}
