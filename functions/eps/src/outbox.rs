//! Status events, published at least once through a transactional outbox: every committed change
//! of a prescription writes, in the same transaction, an outbox item holding the event (so a change
//! without its event, or an event without its change, cannot happen). A relay sends outbox items to
//! the `eps-status-events` queue and then deletes them: in AWS the table's stream invokes
//! `eps-relay-status-events` for each new outbox item; the local Spine polls the outbox. A relay
//! that fails between sending and deleting sends again, so consumers get each event at least once
//! and key on its `event_id` (`<prescription id>:<version>`, unique per change).

use serde::{Deserialize, Serialize};
use spine_shared::ports::{Condition, Item, WriteOp};

use crate::model::Prescription;

/// The queue status events are published on.
pub const STATUS_EVENTS_QUEUE: &str = "eps-status-events";
/// Outbox items are spread over this many partitions (the local relay reads them all; in AWS no
/// single partition takes every change).
pub const OUTBOX_SHARDS: u32 = 16;
/// The outbox partitions' common prefix (what a stream filter selects).
pub const OUTBOX_PREFIX: &str = "EPSOUTBOX#";

/// A change of a prescription, as consumers see it. It names the patient (for notifications): it
/// travels only on the encrypted queue, never into logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusEvent {
    /// `<prescription id>:<version>`: unique per change, the consumers' idempotency key.
    pub event_id: String,
    pub prescription_id: String,
    pub nhs_number: String,
    /// The prescription status code after the change (0001–0009) and before it (absent on creation).
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_status: Option<String>,
    /// The dispenser holding it after the change, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispenser: Option<String>,
    /// Each line item's id and status code after the change.
    pub items: Vec<(String, String)>,
    /// When the change was committed (RFC 3339).
    pub at: String,
}

impl StatusEvent {
    pub fn of(next: &Prescription, previous: Option<&Prescription>, version: u64, at: &str) -> Self {
        StatusEvent {
            event_id: format!("{}:{version}", next.id),
            prescription_id: next.id.clone(),
            nhs_number: next.nhs_number.clone(),
            status: next.state.status.code().to_owned(),
            previous_status: previous.map(|p| p.state.status.code().to_owned()),
            dispenser: next.state.dispenser.clone(),
            items: next.items.iter().map(|i| (i.id.clone(), i.status.code().to_owned())).collect(),
            at: at.to_owned(),
        }
    }
}

fn shard(prescription_id: &str) -> u32 {
    prescription_id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32)) % OUTBOX_SHARDS
}

/// The partition of outbox shard `n`.
pub fn shard_pk(n: u32) -> String {
    format!("{OUTBOX_PREFIX}{n}")
}

/// Whether a table key is an outbox item's (what the stream filter selects in AWS).
pub fn is_outbox_key(pk: &str) -> bool {
    pk.starts_with(OUTBOX_PREFIX)
}

/// An outbox item's key: the shard's partition (so the local relay reads a shard with one query,
/// and no index entry is written), and the prescription id with the version zero-padded (so a
/// prescription's events are relayed in order).
pub fn key(prescription_id: &str, version: u64) -> (String, String) {
    (shard_pk(shard(prescription_id)), format!("{prescription_id}:{version:06}"))
}

/// The write that puts `event`, the change to `version`, in the outbox, with the change.
pub fn put(event: &StatusEvent, version: u64) -> WriteOp {
    let (pk, sk) = key(&event.prescription_id, version);
    let data = serde_json::to_vec(event).unwrap_or_default();
    WriteOp::Put { item: Item::new(pk, sk, data), condition: Condition::NotExists }
}
