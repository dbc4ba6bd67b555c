//! How the audit table keeps audit events, and the typed keys of every item the writer puts there.
//! The audit table is its own DynamoDB table with the main table's key schema (`pk`/`sk`, the two
//! overloaded GSIs, the TTL attribute), so one record store adapter serves both; locally it is a
//! separate embedded store. Nothing here expires: audit is retained (the table for searches, the
//! NDJSON archive for about eight years), so no item carries `expires_at`.
//!
//! | item                  | pk                   | sk      | gsi1                                         | gsi2                                     |
//! |-----------------------|----------------------|---------|----------------------------------------------|------------------------------------------|
//! | event                 | `EVENT#<time>#<id>`  | `EVENT` | `PATIENT#<nhs>` / `<time>#<id>` (if patient)  | `AGENT#<subject>` / `<time>#<id>` (if subject) |
//! | privacy alert         | `ALERT#<id>`         | `ALERT` | `ALERTS#<yyyy-mm-dd>` / `<time>#<id>`          | —                                        |
//!
//! Both items hold the event's JSON. `<time>` is RFC 3339 in UTC with microseconds, so sort keys
//! order by time and a date range is a `BETWEEN` on the sort key; `#<id>` keeps two events of the
//! same microsecond apart. A privacy officer looks at one patient's accesses, one user's accesses,
//! or the day's alerts, each one `Query`.
//!
//! **Why alerts are partitioned by day:** alerts (self-claimed or emergency access) are rare, and a
//! privacy officer reviews them a day at a time, so one partition per day holds a day's review in
//! one query, stays small, and never becomes a hot partition the way a single `ALERTS` partition
//! would over eight years.
//!
//! **Why the event item is keyed by its time, then its id:** the id is a hash (the pipeline
//! derives it from the attempt: request id, function, patient, outcome and time), so an item keyed
//! by it alone lands anywhere in the table; keyed by time first, each insert is an append at the
//! end of the embedded B-tree, which keeps its commits small as the store grows (bench/README.md,
//! "Time-ordered audit keys"). On DynamoDB the partition key is hashed either way. Writing the
//! same event again (a redelivery) replaces its item: the table is exactly-once by key. A client's
//! retry is another attempt, so another event (see `spine_shared::audit`).

use spine_shared::audit::AuditEvent;
use spine_shared::ports::{IndexKey, Item};

pub const EVENT_SK: &str = "EVENT";
pub const ALERT_SK: &str = "ALERT";

/// The event item's partition key: `EVENT#<time>#<id>`.
pub fn event_pk(event: &AuditEvent) -> String {
    format!("EVENT#{}", time_sk(event))
}

pub fn alert_pk(id: &str) -> String {
    format!("ALERT#{id}")
}

/// The gsi1 partition of a patient's events.
pub fn patient_pk(nhs_number: &str) -> String {
    format!("PATIENT#{nhs_number}")
}

/// The gsi2 partition of one caller's events: a CIS user id, a client id or an NHS login id.
pub fn agent_pk(subject: &str) -> String {
    format!("AGENT#{subject}")
}

/// The gsi1 partition of one day's privacy alerts (`yyyy-mm-dd`).
pub fn alerts_pk(day: &str) -> String {
    format!("ALERTS#{day}")
}

/// The index sort key of an event: its time, then its id.
pub fn time_sk(event: &AuditEvent) -> String {
    format!("{}#{}", event.time, event.id)
}

/// The items one event is stored as: the event item, and an alert item when a privacy officer
/// reviews it.
pub fn items(event: &AuditEvent) -> serde_json::Result<Vec<Item>> {
    let data = serde_json::to_vec(event)?;
    let sk = time_sk(event);
    let mut item = Item::new(event_pk(event), EVENT_SK, data.clone());
    if let Some(patient) = event.patient {
        item = item.with_gsi1(IndexKey::new(patient_pk(&patient.to_string()), sk.clone()));
    }
    if let Some(subject) = &event.subject {
        item = item.with_gsi2(IndexKey::new(agent_pk(subject), sk.clone()));
    }
    let mut out = vec![item];
    if event.is_alert() {
        out.push(Item::new(alert_pk(&event.id), ALERT_SK, data).with_gsi1(IndexKey::new(alerts_pk(event.day()), sk)));
    }
    Ok(out)
}

/// The event a stored item holds.
pub fn event_of(item: &Item) -> serde_json::Result<AuditEvent> {
    serde_json::from_slice(&item.data)
}

#[cfg(test)]
pub(crate) mod tests {
    use spine_shared::NhsNumber;
    use spine_shared::audit::{Action, AuditEvent, Basis, Outcome};

    use super::*;

    /// A healthcare worker's read of 9000000009 at `time`.
    pub fn event(id: &str, time: &str) -> AuditEvent {
        AuditEvent {
            id: id.to_owned(),
            time: time.to_owned(),
            request_id: "60e0b220-8136-4ca5-ae46-1d97ef59d068".into(),
            correlation_id: None,
            function: "pds-get-patient".into(),
            activity: "B0820".into(),
            action: Action::Read,
            outcome: Outcome::Allowed,
            status: 200,
            reason: None,
            access_mode: Some(spine_shared::identity::AccessMode::HealthcareWorker),
            subject: Some("555021935106".into()),
            role_profile_id: Some("555021935107".into()),
            job_role: Some("R8000".into()),
            organisation: Some("Y12345".into()),
            patient: NhsNumber::parse("9000000009").ok(),
            basis: Some(Basis::RegisteredPractice),
            stated_reason: None,
        }
    }

    #[test]
    fn an_event_is_indexed_by_patient_and_by_agent_in_time_order() {
        let e = event("e1", "2025-11-22T06:25:00.000001Z");
        let items = items(&e).unwrap();
        assert_eq!(items.len(), 1);
        let item = &items[0];
        assert_eq!((item.pk.as_str(), item.sk.as_str()), ("EVENT#2025-11-22T06:25:00.000001Z#e1", "EVENT"));
        assert_eq!(item.gsi1, Some(IndexKey::new("PATIENT#9000000009", "2025-11-22T06:25:00.000001Z#e1")));
        assert_eq!(item.gsi2, Some(IndexKey::new("AGENT#555021935106", "2025-11-22T06:25:00.000001Z#e1")));
        assert_eq!(item.expires_at, None, "audit is retained");
        assert_eq!(event_of(item).unwrap(), e);
    }

    #[test]
    fn an_event_without_patient_or_subject_has_no_index_keys() {
        let mut e = event("e2", "2025-11-22T06:25:00.000001Z");
        e.patient = None;
        e.subject = None;
        let items = items(&e).unwrap();
        assert_eq!((items[0].gsi1.clone(), items[0].gsi2.clone()), (None, None));
    }

    #[test]
    fn self_claimed_and_emergency_access_add_an_alert_item_in_the_day_partition() {
        for basis in [Basis::SelfClaimed, Basis::Emergency] {
            let mut e = event("e3", "2025-11-22T23:59:59.999999Z");
            e.basis = Some(basis);
            let items = items(&e).unwrap();
            assert_eq!(items.len(), 2);
            assert_eq!((items[1].pk.as_str(), items[1].sk.as_str()), ("ALERT#e3", "ALERT"));
            assert_eq!(items[1].gsi1, Some(IndexKey::new("ALERTS#2025-11-22", "2025-11-22T23:59:59.999999Z#e3")));
            assert_eq!(items[1].gsi2, None);
        }
        let mut refused = event("e4", "2025-11-22T06:25:00.000001Z");
        refused.basis = Some(Basis::Emergency);
        refused.outcome = Outcome::Refused;
        assert_eq!(items(&refused).unwrap().len(), 1, "a refused access shows nothing to review");
    }
}
