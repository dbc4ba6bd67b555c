//! A consumer of the audit queue in-process (the writer benchmark, tests), as Lambda's SQS event
//! source mapping runs the `audit-writer` function in AWS (the local Spine consumes its audit
//! journal instead, `crate::journal_consumer`): receive a batch, hand it to the
//! [`AuditWriter`], delete what it stored, leave what it failed on to reappear after the
//! visibility timeout (and, after enough receives, to move to the dead-letter queue).
//!
//! Like an event source mapping with a large batch size (Lambda takes up to 10,000 messages with a
//! batching window), one turn gathers up to [`MAX_MESSAGES`] visible messages (receives of at most
//! ten, SQS's limit, until one comes back short) into one write. On the embedded store a write ends
//! with a durable commit that flushes every B-tree page the batch dirtied, plus an fsync per
//! archive object, so larger writes are what lets the writer keep up: 1,000 messages a write
//! doubled the writer's throughput over 100 (bench/audit_writer.sh). When the queue is quiet a
//! turn is whatever one receive returns, so nothing waits for a batch to fill. Deleting is still
//! one queue operation per message: the queue port has no batch delete.

use spine_shared::ports::queue::MAX_BATCH;
use spine_shared::ports::{Queue, StoreResult};

use crate::writer::AuditWriter;

/// How long a received message stays invisible: well above a write's time, so a message is not
/// delivered twice while it is being written.
pub const VISIBILITY_SECS: u32 = 30;

/// The most messages one write takes (the local event source mapping's batch size).
pub const MAX_MESSAGES: usize = 1000;

/// One turn: receive up to [`MAX_MESSAGES`], write them, delete the stored ones. Returns how many
/// messages were received (0: the queue had none visible).
pub async fn consume(queue: &dyn Queue, name: &str, writer: &AuditWriter) -> StoreResult<usize> {
    let mut messages = Vec::new();
    while messages.len() < MAX_MESSAGES {
        let got = queue.receive(name, MAX_BATCH.min(MAX_MESSAGES - messages.len()), VISIBILITY_SECS).await?;
        let full = got.len() == MAX_BATCH;
        messages.extend(got);
        if !full {
            break;
        }
    }
    let received = messages.len();
    if received == 0 {
        return Ok(0);
    }
    let receipts: Vec<(String, String)> = messages.iter().map(|m| (m.message_id.clone(), m.receipt.clone())).collect();
    let outcome = writer.write(messages).await;
    let stored: Vec<String> = receipts
        .into_iter()
        .filter(|(id, _)| !outcome.failed_message_ids.contains(id))
        .map(|(_, receipt)| receipt)
        .collect();
    // A delete that fails leaves stored messages to be delivered again, which the writer absorbs
    // (it is idempotent).
    if !stored.is_empty()
        && let Err(e) = queue.delete_batch(name, stored).await
    {
        tracing::warn!(error = %e, "audit messages stored but not deleted; they will be redelivered");
    }
    Ok(received)
}

/// Consumes until no message is visible (tests, the benchmark, shutdown). Returns how many
/// messages were received, failed ones included; stops at the first queue failure (logged).
pub async fn drain(queue: &dyn Queue, name: &str, writer: &AuditWriter) -> usize {
    let mut total = 0;
    loop {
        match consume(queue, name, writer).await {
            Ok(0) => return total,
            Ok(n) => total += n,
            Err(e) => {
                tracing::error!(error = %e, "audit queue could not be read; drain stops");
                return total;
            }
        }
    }
}
