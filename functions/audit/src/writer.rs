//! The audit writer: consumes messages of the audit queue (one message = the events of one
//! request) into the audit table and the NDJSON archive, and reports which messages it failed on
//! (Lambda's partial batch failure), the same code under the `audit-writer` Lambda and the local
//! Spine's in-process consumer.
//!
//! **Idempotent.** An event's id is derived from its attempt (request id and time), function,
//! patient and outcome, and the event item is keyed by its time and id, so a redelivered message
//! overwrites its own items instead of adding new ones: the table holds each event once. A client's
//! retry with the same `X-Request-ID` is another access, audited as its own events (same request
//! id, later time). The archive is at-least-once (see [`crate::archive`]).
//!
//! **Never acknowledges what is not stored.** A message that does not parse is poison: it is
//! reported failed (so SQS moves it to the dead-letter queue after `maxReceiveCount`) and only its
//! id is logged. If the table write fails, every good message of the batch is reported failed; if
//! a day's archive object cannot be written, every message with an event on that day is.
//!
//! **Durable before acknowledged.** The events go in with `batch_put`, except the last, which is a
//! plain `put`: on DynamoDB every write is durable anyway, and on the embedded store `batch_put`
//! commits without an fsync and becomes durable with the next single write — so that put makes the
//! whole batch durable before any message is deleted from the queue.

use spine_shared::audit::AuditEvent;
use spine_shared::ports::{BatchOutcome, Condition, Item, ReceivedMessage, StoreError};

use crate::archive;
use crate::batch::Collected;
use crate::model;
use crate::stores::{Archive, AuditTable};

/// Writes audit events to the audit table and the archive.
pub struct AuditWriter {
    table: Box<dyn AuditTable>,
    archive: Box<dyn Archive>,
}

impl AuditWriter {
    /// `table` is the audit table (not the main table); `archive` the audit bucket.
    pub fn new(table: impl AuditTable + 'static, archive: impl Archive + 'static) -> Self {
        AuditWriter { table: Box::new(table), archive: Box::new(archive) }
    }

    /// Stores the events of `messages`; the outcome names the messages to leave on the queue.
    pub async fn write(&self, messages: Vec<ReceivedMessage>) -> BatchOutcome {
        let received = messages.len();
        let batch = Collected::from_messages(&messages);
        let mut failed: Vec<String> = Vec::new();
        for (message_id, why) in &batch.poison {
            let receive_count = messages.iter().find(|m| &m.message_id == message_id).map_or(0, |m| m.receive_count);
            tracing::warn!(%message_id, receive_count, reason = why.as_str(), "poison audit message left for the dead-letter queue");
            failed.push(message_id.clone());
        }
        if batch.events.is_empty() {
            return BatchOutcome { failed_message_ids: failed };
        }
        if let Err(e) = self.put_items(&batch.events).await {
            tracing::error!(error = %e, messages = batch.message_ids.len(), "audit table write failed; the batch will be redelivered");
            failed.extend(batch.message_ids.iter().cloned());
            return BatchOutcome { failed_message_ids: failed };
        }
        for group in archive::day_groups(&batch.events) {
            if let Err(e) = self.put_object(&batch.events, &group).await {
                let of_day = batch.messages_of(&group.events);
                tracing::error!(error = %e, day = %group.day, messages = of_day.len(), "audit archive write failed; the day's messages will be redelivered");
                for id in of_day {
                    if !failed.contains(&id) {
                        failed.push(id);
                    }
                }
            }
        }
        tracing::info!(received, events = batch.events.len(), failed = failed.len(), "audit batch written");
        BatchOutcome { failed_message_ids: failed }
    }

    /// Stores events that come with no messages to account for (the local Spine's audit journal):
    /// the table, then each day's archive object; the first failure stops it and is returned.
    pub async fn write_events(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        self.put_items(events).await?;
        for group in archive::day_groups(events) {
            self.put_object(events, &group).await?;
        }
        Ok(())
    }

    async fn put_items(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        let mut items: Vec<Item> = Vec::with_capacity(events.len() + 4);
        for e in events {
            items.extend(model::items(e).map_err(|e| StoreError::Invalid(e.to_string()))?);
        }
        let Some(last) = items.pop() else { return Ok(()) };
        if !items.is_empty() {
            self.table.batch_put(items).await?;
        }
        self.table.put(last, Condition::None).await
    }

    async fn put_object(&self, events: &[AuditEvent], group: &archive::DayGroup) -> Result<(), StoreError> {
        let (key, body) = archive::object(events, group).map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.archive.put(&key, body).await
    }
}
