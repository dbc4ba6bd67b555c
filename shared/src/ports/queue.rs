//! The queue port, shaped like SQS and Lambda's SQS event source: send in batches; receive a batch
//! that stays invisible for a while; delete what was handled; a message received too often moves to
//! its dead-letter queue. [`consume_batch`] drives a consumer the way the event source mapping does,
//! with partial batch failure reporting.

use std::future::Future;

use async_trait::async_trait;

use super::StoreResult;

/// A message to send. `id` identifies it within its batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    pub id: String,
    pub body: String,
}

/// A received message: its id, the receipt that deletes it, its body and how often it has been
/// received (1 the first time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub message_id: String,
    pub receipt: String,
    pub body: String,
    pub receive_count: u32,
}

/// What a consumer reports for a batch: the ids of the messages it failed on (Lambda's
/// `batchItemFailures`). Everything else in the batch counts as handled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub failed_message_ids: Vec<String>,
}

/// How a queue is set up: its dead-letter queue and after how many receives a message goes there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    pub dead_letter: Option<(String, u32)>,
}

/// The most messages SQS sends or receives in one call.
pub const MAX_BATCH: usize = 10;

#[async_trait]
pub trait Queue: Send + Sync {
    /// Creates the queue if it does not exist (tests and the local Spine; CDK does it in AWS).
    async fn ensure_queue(&self, name: &str, spec: QueueSpec) -> StoreResult<()>;

    /// Sends up to [`MAX_BATCH`] messages.
    async fn send_batch(&self, queue: &str, messages: Vec<OutgoingMessage>) -> StoreResult<()>;

    /// [`Queue::send_batch`] for messages whose loss in a power cut costs no more than it already
    /// may (events a service sends at most once, after its change commits): a store that batches
    /// commits may make them visible at once and durable with its next durable commit, instead of
    /// making the caller wait for the disk. SQS (every send durable) does a plain send.
    async fn send_batch_lazy(&self, queue: &str, messages: Vec<OutgoingMessage>) -> StoreResult<()> {
        self.send_batch(queue, messages).await
    }

    /// Receives up to `max` visible messages (at most [`Queue::receive_limit`]), hiding them for
    /// `visibility_secs`.
    async fn receive(&self, queue: &str, max: usize, visibility_secs: u32) -> StoreResult<Vec<ReceivedMessage>>;

    /// The most messages one [`Queue::receive`] hands over: SQS's ten, unless the store can do
    /// more in one call.
    fn receive_limit(&self) -> usize {
        MAX_BATCH
    }

    /// Deletes a received message.
    async fn delete(&self, queue: &str, receipt: &str) -> StoreResult<()>;

    /// Makes a received message visible again after `visibility_secs` (0: now).
    async fn change_visibility(&self, queue: &str, receipt: &str, visibility_secs: u32) -> StoreResult<()>;

    /// Deletes many received messages (SQS `DeleteMessageBatch`, ten at a time; one commit on the
    /// embedded queue, without waiting for the disk: a crash may forget it, and the messages come
    /// again). A receipt of an already deleted message is not an error.
    async fn delete_batch(&self, queue: &str, receipts: Vec<String>) -> StoreResult<()> {
        for receipt in receipts {
            self.delete(queue, &receipt).await?;
        }
        Ok(())
    }
}

/// One turn of an event source mapping: gather a batch of up to `batch_size` visible messages
/// (receiving as often as the store's [`Queue::receive_limit`] needs, as Lambda's poller gathers a
/// batch of more than ten, and no longer once a receive comes back short), hand it to the
/// consumer, delete what it handled, and leave what it failed on to reappear after
/// `visibility_secs` (and, after enough receives, to move to the dead-letter queue). Returns how
/// many messages were received.
pub async fn consume_batch<F, Fut>(
    queue: &dyn Queue,
    name: &str,
    batch_size: usize,
    visibility_secs: u32,
    consumer: F,
) -> StoreResult<usize>
where
    F: FnOnce(Vec<ReceivedMessage>) -> Fut,
    Fut: Future<Output = BatchOutcome>,
{
    let (batch_size, limit) = (batch_size.max(1), queue.receive_limit().max(1));
    let mut batch = Vec::new();
    while batch.len() < batch_size {
        let ask = (batch_size - batch.len()).min(limit);
        let got = queue.receive(name, ask, visibility_secs).await?;
        let short = got.len() < ask;
        batch.extend(got);
        if short {
            break;
        }
    }
    let received = batch.len();
    if received == 0 {
        return Ok(0);
    }
    let receipts: Vec<(String, String)> = batch.iter().map(|m| (m.message_id.clone(), m.receipt.clone())).collect();
    let outcome = consumer(batch).await;
    let handled: Vec<String> = receipts
        .into_iter()
        .filter(|(id, _)| !outcome.failed_message_ids.contains(id))
        .map(|(_, receipt)| receipt)
        .collect();
    if !handled.is_empty() {
        queue.delete_batch(name, handled).await?;
    }
    Ok(received)
}
