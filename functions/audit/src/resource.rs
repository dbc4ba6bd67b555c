//! How one stored audit event reads as a FHIR R4 `AuditEvent`:
//!
//! - `type`: `rest` (audit-event-type); `subtype`: the RESTful interaction (`read`, `search-type`,
//!   `patch`, `create`) and, for an access a privacy officer reviews, `privacy-alert` in our code
//!   system `https://spine.nhs.example/CodeSystem/audit-alert`.
//! - `action` C/R/U/E; `recorded` the event time; `outcome` `0` (success: the caller was allowed,
//!   whatever the handler answered) or `4` (minor failure: refused with 401/403 — nothing was
//!   shown), `outcomeDesc` the refusal's reason.
//! - **The legitimate relationship** is `purposeOfEvent`: one concept coded in
//!   `https://spine.nhs.example/CodeSystem/legitimate-relationship` (`registered-practice`,
//!   `care-episode`, `self-claimed`, `emergency`) with the caller's stated reason as its `text`.
//!   It is the reason the access was allowed, which is what `purposeOfEvent` holds.
//! - `agent[0]` the caller (`requestor`): `type` the access mode (our `access-mode` system), `who`
//!   the token subject — a CIS user id (`https://fhir.nhs.uk/Id/sds-user-id`), a client id or an
//!   NHS login id (our `Id/` systems), or only the display `Unauthenticated caller` —, `role` the
//!   job role R-code (UK Core `UKCore-SDSJobRoleName`) and `altId` the role profile id
//!   (`NHSD-Session-URID`) the worker acted in. `agent[1]`, when known, the caller's organisation
//!   by ODS code (as SCR's own `AuditEvent` lists it).
//! - `source`: the Spine, an application server.
//! - `entity`: the patient by NHS number (role Patient), and the request by its `X-Request-ID`
//!   with the function, activity, HTTP status and correlation id as details.

use spine_shared::audit::{self, Action, Basis, Outcome};
use spine_shared::identity::AccessMode;

use crate::fhir::*;

/// The FHIR `AuditEvent` of a stored event.
pub fn audit_event(e: &audit::AuditEvent) -> AuditEvent {
    let mut subtype = vec![interaction(e.action)];
    if e.is_alert() {
        subtype.push(Coding::new(ALERT_SYSTEM, PRIVACY_ALERT, Some("Privacy alert")));
    }
    AuditEvent {
        resource_type: "AuditEvent",
        id: e.id.clone(),
        kind: Coding::new(AUDIT_EVENT_TYPE_SYSTEM, "rest", Some("RESTful Operation")),
        subtype,
        action: e.action.fhir_code(),
        recorded: e.time.clone(),
        outcome: match e.outcome {
            Outcome::Allowed => "0",
            Outcome::Refused => "4",
        },
        outcome_desc: e.reason.clone(),
        purpose_of_event: e
            .basis
            .map(|b| CodeableConcept { coding: vec![relationship(b)], text: e.stated_reason.clone() })
            .into_iter()
            .collect(),
        agent: agents(e),
        source: Source {
            observer: Reference::display("Spine"),
            kind: vec![Coding::new(SOURCE_TYPE_SYSTEM, "4", Some("Application Server"))],
        },
        entity: entities(e),
    }
}

fn interaction(action: Action) -> Coding {
    let (code, display) = match action {
        Action::Read => ("read", "read"),
        Action::Search => ("search-type", "search type"),
        Action::Update => ("patch", "patch"),
        Action::Create => ("create", "create"),
    };
    Coding::new(RESTFUL_INTERACTION_SYSTEM, code, Some(display))
}

fn relationship(basis: Basis) -> Coding {
    let (code, display) = match basis {
        Basis::RegisteredPractice => ("registered-practice", "Registered GP practice"),
        Basis::CareEpisode => ("care-episode", "Open care episode"),
        Basis::SelfClaimed => ("self-claimed", "Self-claimed legitimate relationship"),
        Basis::Emergency => ("emergency", "Emergency access"),
    };
    Coding::new(RELATIONSHIP_SYSTEM, code, Some(display))
}

fn agents(e: &audit::AuditEvent) -> Vec<Agent> {
    let system = match e.access_mode {
        Some(AccessMode::HealthcareWorker) => Some(SDS_USER_ID_SYSTEM),
        Some(AccessMode::Application) => Some(CLIENT_ID_SYSTEM),
        Some(AccessMode::Patient) => Some(NHS_LOGIN_ID_SYSTEM),
        None => None,
    };
    let who = match (system, &e.subject) {
        (Some(system), Some(subject)) => Reference::to(system, subject),
        _ => Reference::display("Unauthenticated caller"),
    };
    let caller = Agent {
        kind: e.access_mode.map(|m| CodeableConcept::of(Coding::new(ACCESS_MODE_SYSTEM, m.as_str(), None))),
        role: e.job_role.iter().map(|r| CodeableConcept::of(Coding::new(JOB_ROLE_SYSTEM, r, None))).collect(),
        who,
        alt_id: e.role_profile_id.clone(),
        requestor: true,
    };
    let organisation = e.organisation.as_deref().map(|ods| Agent {
        kind: None,
        role: vec![],
        who: Reference::to(ODS_CODE_SYSTEM, ods),
        alt_id: None,
        requestor: false,
    });
    std::iter::once(caller).chain(organisation).collect()
}

fn entities(e: &audit::AuditEvent) -> Vec<Entity> {
    let patient = e.patient.map(|nhs| Entity {
        what: Reference::to(NHS_NUMBER_SYSTEM, &nhs.to_string()),
        kind: Coding::new(ENTITY_TYPE_SYSTEM, "1", Some("Person")),
        role: Some(Coding::new(OBJECT_ROLE_SYSTEM, "1", Some("Patient"))),
        detail: vec![],
    });
    let mut detail = vec![
        Detail { kind: "function", value_string: e.function.clone() },
        Detail { kind: "activity", value_string: e.activity.clone() },
        Detail { kind: "http-status", value_string: e.status.to_string() },
    ];
    if let Some(c) = &e.correlation_id {
        detail.push(Detail { kind: "x-correlation-id", value_string: c.clone() });
    }
    let request = Entity {
        what: Reference::to(REQUEST_ID_SYSTEM, &e.request_id),
        kind: Coding::new(ENTITY_TYPE_SYSTEM, "2", Some("System Object")),
        role: None,
        detail,
    };
    patient.into_iter().chain(std::iter::once(request)).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::model::tests::event;

    fn fhir(e: &audit::AuditEvent) -> Value {
        serde_json::to_value(audit_event(e)).unwrap()
    }

    #[test]
    fn a_workers_read_names_who_what_and_why() {
        let v = fhir(&event("e1", "2025-11-22T06:25:00.000001Z"));
        assert_eq!(v["resourceType"], "AuditEvent");
        assert_eq!(v["type"]["code"], "rest");
        assert_eq!(v["subtype"], json!([{"system": RESTFUL_INTERACTION_SYSTEM, "code": "read", "display": "read"}]));
        assert_eq!((v["action"].as_str(), v["outcome"].as_str()), (Some("R"), Some("0")));
        assert_eq!(v["recorded"], "2025-11-22T06:25:00.000001Z");
        assert_eq!(v["agent"][0]["who"]["identifier"], json!({"system": SDS_USER_ID_SYSTEM, "value": "555021935106"}));
        assert_eq!(v["agent"][0]["role"][0]["coding"][0], json!({"system": JOB_ROLE_SYSTEM, "code": "R8000"}));
        assert_eq!(
            (v["agent"][0]["altId"].as_str(), v["agent"][0]["requestor"].as_bool()),
            (Some("555021935107"), Some(true))
        );
        assert_eq!(v["agent"][0]["type"]["coding"][0]["code"], "healthcare-worker");
        assert_eq!(v["agent"][1]["who"]["identifier"], json!({"system": ODS_CODE_SYSTEM, "value": "Y12345"}));
        assert_eq!(v["entity"][0]["what"]["identifier"], json!({"system": NHS_NUMBER_SYSTEM, "value": "9000000009"}));
        assert_eq!(v["entity"][1]["what"]["identifier"]["system"], REQUEST_ID_SYSTEM);
        assert_eq!(v["entity"][1]["detail"][0], json!({"type": "function", "valueString": "pds-get-patient"}));
        assert_eq!(v["purposeOfEvent"][0]["coding"][0]["code"], "registered-practice");
        assert!(v.get("outcomeDesc").is_none());
    }

    #[test]
    fn an_emergency_access_is_a_privacy_alert_with_its_stated_reason() {
        let mut e = event("e2", "2025-11-22T06:25:00.000001Z");
        e.basis = Some(Basis::Emergency);
        e.stated_reason = Some("Unconscious patient in A&E".into());
        let v = fhir(&e);
        assert_eq!(
            v["subtype"][1],
            json!({"system": ALERT_SYSTEM, "code": "privacy-alert", "display": "Privacy alert"})
        );
        assert_eq!(v["purposeOfEvent"][0]["coding"][0]["code"], "emergency");
        assert_eq!(v["purposeOfEvent"][0]["text"], "Unconscious patient in A&E");
    }

    #[test]
    fn a_refusal_without_a_token_is_outcome_4_by_an_unauthenticated_caller() {
        let mut e = event("e3", "2025-11-22T06:25:00.000001Z");
        e.outcome = Outcome::Refused;
        e.status = 401;
        e.reason = Some("no access token".into());
        (e.access_mode, e.subject, e.role_profile_id, e.job_role, e.organisation, e.basis) =
            (None, None, None, None, None, None);
        let v = fhir(&e);
        assert_eq!((v["outcome"].as_str(), v["outcomeDesc"].as_str()), (Some("4"), Some("no access token")));
        assert_eq!(v["agent"], json!([{"who": {"display": "Unauthenticated caller"}, "requestor": true}]));
        assert!(v.get("purposeOfEvent").is_none());
        assert_eq!(v["entity"][1]["detail"][2], json!({"type": "http-status", "valueString": "401"}));
    }
}
