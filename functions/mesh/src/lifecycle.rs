//! A message's life after it is accepted, as MESH runs it: a DATA message not acknowledged within
//! five days is taken out of the recipient's inbox (`undeliverable`) and its sender gets a
//! non-delivery REPORT (code 14) in theirs, linked to it; at thirty days every message, chunk record
//! and chunk is deleted (DynamoDB TTL and an S3 lifecycle rule in AWS; the embedded store purges
//! expired items when the local Spine starts and skips them on every read).
//!
//! [`expire_undelivered`] is the scheduled job (`mesh-expire-messages`, hourly in AWS, every
//! minute in the local Spine). It walks the `MESHACCEPTED#<day>` partitions of the days that can
//! hold overdue messages. Each expiry is one transaction ([`MeshStore::expire`]): a job that dies
//! half-way, or two that overlap, neither loses a report nor sends two.

use time::{Duration, OffsetDateTime};

use crate::events::{MeshEventKind, MeshEvents, publish};
use crate::message_id::MessageId;
use crate::model::{MESSAGE_RETENTION, MessageMeta, MessageStatus, MessageType, ReportStatus};
use crate::store::MeshStore;
use crate::store_error::MeshStoreError;

/// A DATA message not acknowledged within this long is undeliverable.
pub const UNDELIVERED_AFTER: Duration = Duration::days(5);

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpiryRun {
    /// Overdue messages found.
    pub found: usize,
    /// Messages this run expired (a report sent for each).
    pub expired: usize,
}

/// Expires every DATA message accepted before `now - 5 days` and still waiting.
pub async fn expire_undelivered(
    store: &MeshStore,
    events: Option<&MeshEvents>,
    now: OffsetDateTime,
) -> Result<ExpiryRun, MeshStoreError> {
    let cutoff = now - UNDELIVERED_AFTER;
    let mut run = ExpiryRun::default();
    // Messages live 30 days, so only the days from 30 days ago up to the cutoff can hold any.
    let mut day = now - MESSAGE_RETENTION - Duration::days(1);
    while day.date() <= cutoff.date() {
        for id in store.accepted_before(day, cutoff).await? {
            run.found += 1;
            let expired = store.expire(&id, |meta| non_delivery_report(meta, now)).await?;
            if expired.changed {
                run.expired += 1;
                publish(events, MeshEventKind::Expired, &expired.meta).await;
            }
        }
        day += Duration::days(1);
    }
    Ok(run)
}

/// The REPORT telling `undelivered`'s sender it was not collected: in the sender's inbox, from the
/// recipient, same workflow and local id, `mex-LinkedMsgID` the original, status 14.
pub fn non_delivery_report(undelivered: &MessageMeta, now: OffsetDateTime) -> MessageMeta {
    let error = crate::error::MeshError::undelivered_message(UNDELIVERED_AFTER.whole_days() as u32);
    MessageMeta {
        id: MessageId::generate(now),
        sender: undelivered.recipient.clone(),
        recipient: undelivered.sender.clone(),
        workflow_id: undelivered.workflow_id.clone(),
        status: MessageStatus::Accepted,
        message_type: MessageType::Report,
        linked_message_id: Some(undelivered.id.clone()),
        total_chunks: 0,
        chunks_received: 0,
        subject: None,
        local_id: undelivered.local_id.clone(),
        partner_id: None,
        file_name: None,
        checksum: None,
        content_type: None,
        content_encrypted: false,
        content_compressed: false,
        content_encoding: crate::model::StoredEncoding::Identity,
        created_at: now,
        accepted_at: Some(now),
        acknowledged_at: None,
        status_at: now,
        expires_at: (now + MESSAGE_RETENTION).unix_timestamp(),
        report: Some(ReportStatus {
            code: error.code.to_owned(),
            event: error.event.to_owned(),
            description: error.description.into_owned(),
        }),
    }
}
