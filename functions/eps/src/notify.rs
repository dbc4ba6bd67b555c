//! The status events' consumer (`eps-notify-patients`): turns a prescription's status changes into
//! notifications for its patient (released to a pharmacy, dispensed, cancelled, not dispensed) —
//! the items an NHS App notification service would read (`EPSNOTIFICATION#<NHS number>`, by time).
//! Each event is applied once whatever the queue redelivers: the event id is recorded in the same
//! transaction as the notification, with a condition that it is new. A malformed event fails
//! alone (the rest of the batch is deleted; after five receives it moves to the dead-letter queue).

use std::sync::Arc;

use spine_shared::ports::record::MAX_TRANSACTION_OPS;
use spine_shared::ports::{
    BatchOutcome, Condition, Item, ReceivedMessage, RecordStore, StoreError, WriteOp, now_epoch_seconds,
};

use crate::outbox::StatusEvent;
use crate::status::PrescriptionStatus;

/// How long an event id is remembered: far beyond the queue's 14-day retention.
const SEEN_FOR_SECS: i64 = 30 * 24 * 60 * 60;

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

    /// Applies a batch; the ids of the messages that failed are retried. The batch's new events
    /// are written in one transaction; should it fail (a twin delivery applied one meanwhile, or
    /// the store failed), each is applied on its own.
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
        // One event twice in a batch: the first stands for both.
        let mut unique: Vec<&StatusEvent> = Vec::with_capacity(events.len());
        for (_, e) in &events {
            if !unique.iter().any(|u| u.event_id == e.event_id) {
                unique.push(e);
            }
        }
        let ops: Vec<WriteOp> = unique.iter().flat_map(|e| Self::writes(e)).collect();
        let together =
            !ops.is_empty() && ops.len() <= MAX_TRANSACTION_OPS && self.records.transact_write(ops).await.is_ok();
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

    /// An event's writes: its id, new (the condition), and the patient's notification, if any.
    fn writes(event: &StatusEvent) -> Vec<WriteOp> {
        let seen = Item::new(format!("EPSEVENT#{}", event.event_id), "SEEN", Vec::new())
            .expiring_at(now_epoch_seconds() + SEEN_FOR_SECS);
        let mut ops = vec![WriteOp::Put { item: seen, condition: Condition::NotExists }];
        if let Some(text) = message_for(event) {
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
            ops.push(WriteOp::Put { item, condition: Condition::None });
        }
        ops
    }

    async fn apply(&self, event: &StatusEvent) -> Result<(), StoreError> {
        let ops = Self::writes(event);
        match self.records.transact_write(ops).await {
            // Seen before: applied then.
            Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
