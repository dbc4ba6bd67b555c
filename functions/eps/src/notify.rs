//! The status events' consumer (`eps-notify-patients`): turns a prescription's status changes into
//! notifications for its patient (released to a pharmacy, dispensed, cancelled, not dispensed) —
//! the items an NHS App notification service would read (`EPSNOTIFICATION#<NHS number>`, by time).
//! Each event is applied once whatever the queue redelivers: its notification's key is the event's
//! (time and event id) and its content the event's, so a redelivery writes the same item again and
//! changes nothing; an event that tells the patient nothing writes nothing. A malformed event fails
//! alone (the rest of the batch is deleted; after five receives it moves to the dead-letter queue).

use std::sync::Arc;

use spine_shared::ports::record::MAX_TRANSACTION_OPS;
use spine_shared::ports::{BatchOutcome, Condition, Item, ReceivedMessage, RecordStore, StoreError, WriteOp};

use crate::outbox::StatusEvent;
use crate::status::PrescriptionStatus;

/// The most status events one batch carries (CDK's `EPS_NOTIFY_BATCH_SIZE`, gathered for up to a
/// second): the most one transaction writes, so a batch's notifications are one commit.
pub const BATCH_SIZE: usize = MAX_TRANSACTION_OPS;

pub fn notification_pk(nhs_number: &str) -> String {
    format!("EPSNOTIFICATION#{nhs_number}")
}

/// What the patient is told of a change, if anything.
pub fn message_for(event: &StatusEvent) -> Option<&'static str> {
    if event.previous_status.as_deref() == Some(event.status.as_str()) {
        return None;
    }
    match PrescriptionStatus::from_code(&event.status)? {
        PrescriptionStatus::WithDispenser => Some("Your prescription has been sent to a pharmacy."),
        PrescriptionStatus::Dispensed => Some("Your prescription has been dispensed."),
        PrescriptionStatus::Cancelled => Some("Your prescription has been cancelled by your prescriber."),
        PrescriptionStatus::NotDispensed => Some("Your prescription was not dispensed."),
        _ => None,
    }
}

#[derive(Clone)]
pub struct Notifier {
    records: Arc<dyn RecordStore>,
}

impl Notifier {
    pub fn new(records: Arc<dyn RecordStore>) -> Self {
        Notifier { records }
    }

    /// Applies a batch; the ids of the messages that failed are retried. The batch's notifications
    /// are written in one transaction; should it fail, each is written on its own.
    pub async fn consume(&self, messages: Vec<ReceivedMessage>) -> BatchOutcome {
        let mut failed_message_ids = Vec::new();
        let mut events = Vec::with_capacity(messages.len());
        for m in messages {
            match serde_json::from_str::<StatusEvent>(&m.body) {
                Ok(event) => events.push((m.message_id, event)),
                Err(_) => {
                    tracing::warn!(message_id = %m.message_id, "a status event is malformed");
                    failed_message_ids.push(m.message_id);
                }
            }
        }
        // One event twice in a batch: the first stands for both (a transaction writes a key once).
        let mut ops: Vec<WriteOp> = Vec::with_capacity(events.len());
        for (i, (_, e)) in events.iter().enumerate() {
            if !events[..i].iter().any(|(_, u)| u.event_id == e.event_id) {
                ops.extend(Self::write(e));
            }
        }
        let together =
            ops.is_empty() || (ops.len() <= MAX_TRANSACTION_OPS && self.records.transact_write(ops).await.is_ok());
        if !together {
            for (id, event) in &events {
                if let Err(e) = self.apply(event).await {
                    tracing::warn!(error = %e, "a status event was not applied; it will be retried");
                    failed_message_ids.push(id.clone());
                }
            }
        }
        BatchOutcome { failed_message_ids }
    }

    /// An event's write: the patient's notification, if the event tells them anything, keyed by the
    /// event (so writing it again is writing the same item).
    fn write(event: &StatusEvent) -> Option<WriteOp> {
        let text = message_for(event)?;
        let data = serde_json::json!({
            "prescription_id": event.prescription_id,
            "status": event.status,
            "message": text,
            "at": event.at,
        });
        let item = Item::new(
            notification_pk(&event.nhs_number),
            format!("{}#{}", event.at, event.event_id),
            serde_json::to_vec(&data).unwrap_or_default(),
        );
        Some(WriteOp::Put { item, condition: Condition::None })
    }

    async fn apply(&self, event: &StatusEvent) -> Result<(), StoreError> {
        match Self::write(event) {
            Some(op) => self.records.transact_write(vec![op]).await,
            None => Ok(()),
        }
    }
}
