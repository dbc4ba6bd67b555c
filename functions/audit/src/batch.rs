//! From received queue messages to one set of events to write: each message body must be an
//! [`AuditBatch`] whose events have a UUID id and an RFC 3339 UTC time with microseconds (the
//! pipeline's format, which sorts as text); a message that is not is poison. Events are
//! deduplicated by their item key (time and id) across the batch — SQS may deliver a message twice,
//! and DynamoDB refuses a `BatchWriteItem` naming one key twice. A client's retry is another
//! attempt with another time, so its events are other events and are all kept. Each event
//! remembers which messages carried it, so a failure to store it fails exactly those messages.

use std::collections::HashMap;

use spine_shared::audit::{AuditBatch, AuditEvent};
use spine_shared::ports::ReceivedMessage;

use crate::model;

/// Why a message is poison. Never holds any of the message's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Poison {
    NotAnAuditBatch,
    EventIdNotUuid,
    EventTimeMalformed,
}

impl Poison {
    pub fn as_str(self) -> &'static str {
        match self {
            Poison::NotAnAuditBatch => "not an audit batch",
            Poison::EventIdNotUuid => "an event id is not a UUID",
            Poison::EventTimeMalformed => "an event time is not RFC 3339 UTC with microseconds",
        }
    }
}

/// Parses and checks one message body.
pub fn parse(body: &str) -> Result<AuditBatch, Poison> {
    let batch: AuditBatch = serde_json::from_str(body).map_err(|_| Poison::NotAnAuditBatch)?;
    for e in &batch.events {
        if uuid::Uuid::try_parse(&e.id).is_err() {
            return Err(Poison::EventIdNotUuid);
        }
        if !well_formed_time(&e.time) {
            return Err(Poison::EventTimeMalformed);
        }
    }
    Ok(batch)
}

/// `yyyy-mm-ddThh:mm:ss.ffffffZ`, a real instant.
fn well_formed_time(t: &str) -> bool {
    t.len() == 27
        && t.ends_with('Z')
        && t.as_bytes()[19] == b'.'
        && time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).is_ok()
}

/// The events of a batch's good messages, each once, and the messages that carried them.
#[derive(Debug, Default)]
pub struct Collected {
    /// Unique by item key (time and id), in the order first seen.
    pub events: Vec<AuditEvent>,
    /// For each event, the indexes (into `message_ids`) of the messages that carried it.
    carriers: Vec<Vec<usize>>,
    /// The ids of the messages that parsed.
    pub message_ids: Vec<String>,
    /// The ids of poison messages, each with why.
    pub poison: Vec<(String, Poison)>,
}

impl Collected {
    pub fn from_messages(messages: &[ReceivedMessage]) -> Self {
        let mut out = Collected::default();
        let mut by_key: HashMap<String, usize> = HashMap::new();
        for m in messages {
            let batch = match parse(&m.body) {
                Ok(b) => b,
                Err(why) => {
                    out.poison.push((m.message_id.clone(), why));
                    continue;
                }
            };
            let message = out.message_ids.len();
            out.message_ids.push(m.message_id.clone());
            for event in batch.events {
                let key = model::time_sk(&event);
                match by_key.get(&key) {
                    Some(&i) => {
                        if !out.carriers[i].contains(&message) {
                            out.carriers[i].push(message);
                        }
                    }
                    None => {
                        by_key.insert(key, out.events.len());
                        out.events.push(event);
                        out.carriers.push(vec![message]);
                    }
                }
            }
        }
        out
    }

    /// The ids of the messages that carried any of these events, each once.
    pub fn messages_of(&self, events: &[usize]) -> Vec<String> {
        let mut idx: Vec<usize> = events.iter().flat_map(|&e| self.carriers[e].iter().copied()).collect();
        idx.sort_unstable();
        idx.dedup();
        idx.into_iter().map(|i| self.message_ids[i].clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::event;

    const A: &str = "00000000-0000-4000-8000-00000000000a";
    const B: &str = "00000000-0000-4000-8000-00000000000b";
    const C: &str = "00000000-0000-4000-8000-00000000000c";

    fn message(id: &str, events: Vec<AuditEvent>) -> ReceivedMessage {
        ReceivedMessage {
            message_id: id.into(),
            receipt: format!("r-{id}"),
            body: serde_json::to_string(&AuditBatch { events }).unwrap(),
            receive_count: 1,
        }
    }

    #[test]
    fn poison_is_named_without_content() {
        assert_eq!(parse("{").unwrap_err(), Poison::NotAnAuditBatch);
        assert_eq!(parse(r#"{"events":[{"id":"x"}]}"#).unwrap_err(), Poison::NotAnAuditBatch);
        let bad_id = serde_json::to_string(&AuditBatch { events: vec![event("e1", "2025-11-22T06:25:00.000001Z")] });
        assert_eq!(parse(&bad_id.unwrap()).unwrap_err(), Poison::EventIdNotUuid);
        for t in ["2025-11-22T06:25:00Z", "2025-11-22T06:25:00.000001+00:00", "2025-13-22T06:25:00.000001Z"] {
            let body = serde_json::to_string(&AuditBatch { events: vec![event(A, t)] }).unwrap();
            assert_eq!(parse(&body).unwrap_err(), Poison::EventTimeMalformed, "{t}");
        }
        assert!(parse(r#"{"events":[]}"#).unwrap().events.is_empty());
    }

    #[test]
    fn events_are_kept_once_with_every_message_that_carried_them() {
        let first = event(A, "2025-11-22T06:25:00.000001Z");
        let other = event(B, "2025-11-22T06:25:00.000002Z");
        let retry = event(C, "2025-11-22T06:25:01.000001Z");
        let messages = vec![
            message("m1", vec![first.clone(), other.clone()]),
            ReceivedMessage { body: "not json".into(), ..message("m2", vec![]) },
            // The first message delivered again, and a retry of its request (another attempt).
            message("m1-again", vec![first.clone(), other.clone()]),
            message("m3", vec![retry.clone()]),
        ];
        let c = Collected::from_messages(&messages);
        assert_eq!(c.events, vec![first, other, retry]);
        assert_eq!(c.message_ids, ["m1", "m1-again", "m3"]);
        assert_eq!(c.poison, [("m2".to_owned(), Poison::NotAnAuditBatch)]);
        assert_eq!(c.messages_of(&[0]), ["m1", "m1-again"]);
        assert_eq!(c.messages_of(&[2]), ["m3"]);
        assert_eq!(c.messages_of(&[1, 2]), ["m1", "m1-again", "m3"]);
    }
}
