//! The NDJSON archive: the long-term copy of the audit trail (about eight years, in S3 or the
//! embedded blob directory), one JSON event per line, partitioned by day. Each batch the writer
//! handles becomes one object per day its events fall on, at `audit/yyyy/mm/dd/<id>.ndjson`, where
//! `<id>` is a UUID v5 of the sorted event ids in it: a redelivered identical batch overwrites the
//! same object.
//!
//! The archive is **at-least-once**: a message redelivered in a different batch (after a partial
//! failure, a timeout or SQS's own duplicate delivery) lands in a second object, so an event may
//! appear in two objects of its day, always the same line. Readers deduplicate by event id (an id
//! names one attempt, so copies are identical). The audit table is exactly-once by key.

use bytes::Bytes;
use spine_shared::audit::AuditEvent;

/// The key prefix of every archive object.
pub const PREFIX: &str = "audit";

/// The namespace of archive object ids (UUID v5 over the sorted event ids).
const OBJECT_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x9d2f_31c4_58b0_4e7a_8c61_0f5e_a3b2_7d19);

/// One day's share of a batch: the day and the indexes of its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayGroup {
    pub day: String,
    pub events: Vec<usize>,
}

/// The batch's events grouped by day, days in order; within a day, by time then id.
pub fn day_groups(events: &[AuditEvent]) -> Vec<DayGroup> {
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by(|&a, &b| (&events[a].time, &events[a].id).cmp(&(&events[b].time, &events[b].id)));
    let mut groups: Vec<DayGroup> = Vec::new();
    for i in order {
        let day = events[i].day();
        match groups.last_mut() {
            Some(g) if g.day == day => g.events.push(i),
            _ => groups.push(DayGroup { day: day.to_owned(), events: vec![i] }),
        }
    }
    groups
}

/// The object of one day group: its key and its NDJSON body.
pub fn object(events: &[AuditEvent], group: &DayGroup) -> serde_json::Result<(String, Bytes)> {
    let mut ids: Vec<&str> = group.events.iter().map(|&i| events[i].id.as_str()).collect();
    ids.sort_unstable();
    let id = uuid::Uuid::new_v5(&OBJECT_NAMESPACE, ids.join("\n").as_bytes());
    let mut body = Vec::with_capacity(group.events.len() * 512);
    for &i in &group.events {
        serde_json::to_writer(&mut body, &events[i])?;
        body.push(b'\n');
    }
    Ok((object_key(&group.day, &id.to_string()), Bytes::from(body)))
}

/// `audit/yyyy/mm/dd/<id>.ndjson` for a `yyyy-mm-dd` day.
pub fn object_key(day: &str, id: &str) -> String {
    format!("{PREFIX}/{}/{id}.ndjson", day.replace('-', "/"))
}

/// The key prefix of one day's objects.
pub fn day_prefix(day: &str) -> String {
    format!("{PREFIX}/{}/", day.replace('-', "/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::event;

    #[test]
    fn events_are_grouped_by_day_in_time_order() {
        let events = vec![
            event("c", "2025-11-23T00:00:00.000001Z"),
            event("a", "2025-11-22T10:00:00.000000Z"),
            event("b", "2025-11-22T09:00:00.000000Z"),
        ];
        let groups = day_groups(&events);
        assert_eq!(
            groups,
            vec![
                DayGroup { day: "2025-11-22".into(), events: vec![2, 1] },
                DayGroup { day: "2025-11-23".into(), events: vec![0] }
            ]
        );
        let (key, body) = object(&events, &groups[0]).unwrap();
        assert!(key.starts_with("audit/2025/11/22/") && key.ends_with(".ndjson"), "{key}");
        assert!(key.starts_with(&day_prefix("2025-11-22")));
        let lines: Vec<AuditEvent> =
            body.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(|l| serde_json::from_slice(l).unwrap()).collect();
        assert_eq!(lines, vec![events[2].clone(), events[1].clone()]);
        assert!(body.ends_with(b"\n"));
    }

    #[test]
    fn the_object_id_depends_only_on_the_events_in_it() {
        let a = vec![event("a", "2025-11-22T10:00:00.000000Z"), event("b", "2025-11-22T09:00:00.000000Z")];
        let b = vec![a[1].clone(), a[0].clone()];
        let key = |events: &[AuditEvent]| object(events, &day_groups(events)[0]).unwrap().0;
        assert_eq!(key(&a), key(&b));
        assert_ne!(key(&a), key(&a[..1]));
    }
}
