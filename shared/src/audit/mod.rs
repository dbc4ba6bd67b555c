//! The audit trail: an [`AuditEvent`] for every access to patient data (read, each search match,
//! update, create; allowed or refused) and for every refused call, sent by the pipeline to the audit
//! queue through an [`AuditSink`] before the answer leaves. If the events cannot be queued the access
//! fails (503): nothing is shown that was not audited. The audit writer (`functions/audit`) consumes the
//! queue into the audit table and the NDJSON archive by day.
//!
//! An event's id is derived from the request id, the function, the patient and the outcome, so a
//! client's retry with the same `X-Request-ID` produces the same ids and the writer stores each once.

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

impl AuditEvent {
    /// An event for `route`, identified from the request id, function, patient and outcome.
    pub fn new(
        route: &Route,
        ids: (&str, Option<&str>),
        identity: Option<&Identity>,
        patient: Option<NhsNumber>,
        outcome: Outcome,
        status: u16,
    ) -> AuditEvent {
        let (request_id, correlation_id) = ids;
        let key = format!(
            "{request_id}|{}|{}|{outcome:?}",
            route.function,
            patient.map(|p| p.to_string()).unwrap_or_default()
        );
        let id = uuid::Uuid::new_v5(&EVENT_NAMESPACE, key.as_bytes()).to_string();
        let mut event = AuditEvent {
            id,
            time: now_rfc3339(),
            request_id: request_id.to_owned(),
            correlation_id: correlation_id.map(str::to_owned),
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
    fn a_retry_gives_the_same_event_ids() {
        let route = routes::by_function("pds-get-patient").unwrap();
        let nhs = NhsNumber::parse("9000000009").ok();
        let a = AuditEvent::new(route, ("r1", None), None, nhs, Outcome::Allowed, 200);
        let b = AuditEvent::new(route, ("r1", None), None, nhs, Outcome::Allowed, 200);
        let c = AuditEvent::new(route, ("r2", None), None, nhs, Outcome::Allowed, 200);
        assert_eq!(a.id, b.id);
        assert_ne!(a.id, c.id);
        assert_eq!(a.day().len(), 10);
        assert!(!format!("{a:?}").contains("9000000009"));
    }
}
