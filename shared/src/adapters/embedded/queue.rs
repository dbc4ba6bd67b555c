//! The embedded queue: messages in a redb table keyed by (queue, sequence), with SQS semantics —
//! a receive hides a message for its visibility timeout and counts the receive; a message received
//! more often than its queue's limit moves to the dead-letter queue on the next receive.

use std::sync::Arc;

use async_trait::async_trait;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use super::backend;
use super::group_commit::{Engine, GroupCommit};
use crate::ports::queue::{MAX_BATCH, QueueSpec};
use crate::ports::{OutgoingMessage, Queue, ReceivedMessage, StoreError, StoreResult};

/// queue name → "dead-letter queue name\nmax receives" (empty when none).
const QUEUES: TableDefinition<&str, &str> = TableDefinition::new("queues");
/// (queue, sequence) → message.
const MESSAGES: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("queue_messages");
/// queue name → next sequence.
const SEQUENCES: TableDefinition<&str, u64> = TableDefinition::new("queue_sequences");
/// The most messages one receive hands over (SQS: ten a call).
const RECEIVE_LIMIT: usize = 1_000;

pub(super) fn create_tables(db: &Database) -> StoreResult<()> {
    let txn = db.begin_write().map_err(backend)?;
    txn.open_table(QUEUES).map_err(backend)?;
    txn.open_table(MESSAGES).map_err(backend)?;
    txn.open_table(SEQUENCES).map_err(backend)?;
    txn.commit().map_err(backend)
}

/// The queues' redb database (with a B-tree store's records, the same file), committed to by its
/// writer. A queue is read from its head and deleted from there, which suits a B-tree (an LSM
/// tree's tombstones would slow it).
impl Engine for Arc<Database> {
    type Txn<'e> = redb::WriteTransaction;

    fn begin(&self, durable: bool) -> StoreResult<redb::WriteTransaction> {
        let mut txn = self.begin_write().map_err(backend)?;
        let durability = if durable { redb::Durability::Immediate } else { redb::Durability::None };
        txn.set_durability(durability).map_err(backend)?;
        Ok(txn)
    }

    fn commit(txn: redb::WriteTransaction) -> StoreResult<()> {
        txn.commit().map_err(backend)
    }
}

#[derive(Clone)]
pub struct EmbeddedQueue {
    db: Arc<Database>,
    writer: Arc<GroupCommit<Arc<Database>>>,
}

/// A stored message: id, body, receive count and when it becomes visible (ms since the epoch).
struct Stored {
    id: String,
    body: String,
    receive_count: u32,
    visible_at_ms: i64,
}

impl Stored {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + 64);
        out.extend_from_slice(&self.receive_count.to_le_bytes());
        out.extend_from_slice(&self.visible_at_ms.to_le_bytes());
        out.extend_from_slice(&(self.id.len() as u32).to_le_bytes());
        out.extend_from_slice(self.id.as_bytes());
        out.extend_from_slice(self.body.as_bytes());
        out
    }

    fn decode(b: &[u8]) -> StoreResult<Self> {
        let bad = || StoreError::Backend("corrupt queue message".into());
        let receive_count = u32::from_le_bytes(b.get(0..4).ok_or_else(bad)?.try_into().map_err(|_| bad())?);
        let visible_at_ms = i64::from_le_bytes(b.get(4..12).ok_or_else(bad)?.try_into().map_err(|_| bad())?);
        let n = u32::from_le_bytes(b.get(12..16).ok_or_else(bad)?.try_into().map_err(|_| bad())?) as usize;
        let id = String::from_utf8(b.get(16..16 + n).ok_or_else(bad)?.to_vec()).map_err(|_| bad())?;
        let body = String::from_utf8(b.get(16 + n..).ok_or_else(bad)?.to_vec()).map_err(|_| bad())?;
        Ok(Stored { id, body, receive_count, visible_at_ms })
    }
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// A receipt names the message and the receive it came from: "sequence.receive_count".
fn receipt(seq: u64, receive_count: u32) -> String {
    format!("{seq}.{receive_count}")
}

fn parse_receipt(r: &str) -> StoreResult<(u64, u32)> {
    let (seq, count) = r.split_once('.').ok_or_else(|| StoreError::Invalid("receipt".into()))?;
    Ok((
        seq.parse().map_err(|_| StoreError::Invalid("receipt".into()))?,
        count.parse().map_err(|_| StoreError::Invalid("receipt".into()))?,
    ))
}

impl EmbeddedQueue {
    pub(super) fn new(db: Arc<Database>, writer: Arc<GroupCommit<Arc<Database>>>) -> Self {
        EmbeddedQueue { db, writer }
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&redb::WriteTransaction) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        self.write_with(true, f).await
    }

    /// A write of the given durability, in the store writer's next group (with the record store's
    /// writes: one `fsync` for all). Receives commit without `fsync`: a crash forgets that a message
    /// was received, so it is delivered again sooner — which at-least-once delivery allows — and so
    /// do batch deletes (a crash forgets them: the messages are delivered again) and lazy sends
    /// ([`Queue::send_batch_lazy`]); other sends, and single deletes, are durable before they
    /// return. Closing the store writes what was committed without `fsync`. Like every job in a
    /// group, a write fails before it changes anything (an unknown queue, a stale receipt) or with
    /// a storage fault.
    async fn write_with<T: Send + 'static>(
        &self,
        durable: bool,
        f: impl FnOnce(&redb::WriteTransaction) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        self.writer.write(durable, move |txn, _| f(txn)).await
    }

    /// Appends a batch in the writer's next group, with the given durability.
    async fn send_with(&self, durable: bool, queue: &str, batch: Vec<OutgoingMessage>) -> StoreResult<()> {
        if batch.is_empty() || batch.len() > MAX_BATCH {
            return Err(StoreError::Invalid(format!("a batch has 1 to {MAX_BATCH} messages")));
        }
        let queue = queue.to_owned();
        self.write_with(durable, move |txn| {
            spec_of(txn, &queue)?;
            let now = now_ms();
            for m in batch {
                let stored =
                    Stored { id: uuid::Uuid::new_v4().to_string(), body: m.body, receive_count: 0, visible_at_ms: now };
                append(txn, &queue, &stored)?;
            }
            Ok(())
        })
        .await
    }

    /// How many messages the queue holds, visible or not (for tests and the local Spine's status).
    pub fn depth(&self, queue: &str) -> StoreResult<usize> {
        let txn = self.db.begin_read().map_err(backend)?;
        let messages = txn.open_table(MESSAGES).map_err(backend)?;
        let n = messages.range((queue, 0)..=(queue, u64::MAX)).map_err(backend)?.count();
        Ok(n)
    }
}

fn spec_of(txn: &redb::WriteTransaction, queue: &str) -> StoreResult<Option<(String, u32)>> {
    let queues = txn.open_table(QUEUES).map_err(backend)?;
    let spec = queues.get(queue).map_err(backend)?.ok_or_else(|| StoreError::Invalid(format!("no queue {queue}")))?;
    let spec = spec.value();
    Ok(spec.split_once('\n').and_then(|(dlq, n)| Some((dlq.to_owned(), n.parse().ok()?))))
}

fn append(txn: &redb::WriteTransaction, queue: &str, stored: &Stored) -> StoreResult<()> {
    let mut seqs = txn.open_table(SEQUENCES).map_err(backend)?;
    let seq = seqs.get(queue).map_err(backend)?.map(|v| v.value()).unwrap_or(0);
    seqs.insert(queue, seq + 1).map_err(backend)?;
    let mut messages = txn.open_table(MESSAGES).map_err(backend)?;
    messages.insert((queue, seq), stored.encode().as_slice()).map_err(backend)?;
    Ok(())
}

#[async_trait]
impl Queue for EmbeddedQueue {
    async fn ensure_queue(&self, name: &str, spec: QueueSpec) -> StoreResult<()> {
        let name = name.to_owned();
        self.write(move |txn| {
            let mut queues = txn.open_table(QUEUES).map_err(backend)?;
            let value = match &spec.dead_letter {
                Some((dlq, n)) => format!("{dlq}\n{n}"),
                None => String::new(),
            };
            queues.insert(name.as_str(), value.as_str()).map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn send_batch(&self, queue: &str, batch: Vec<OutgoingMessage>) -> StoreResult<()> {
        self.send_with(true, queue, batch).await
    }

    async fn send_batch_lazy(&self, queue: &str, batch: Vec<OutgoingMessage>) -> StoreResult<()> {
        self.send_with(false, queue, batch).await
    }

    /// A receive is one commit however many it hands over, so a consumer's batch of a hundred costs
    /// one commit, not ten.
    fn receive_limit(&self) -> usize {
        RECEIVE_LIMIT
    }

    async fn receive(&self, queue: &str, max: usize, visibility_secs: u32) -> StoreResult<Vec<ReceivedMessage>> {
        let queue = queue.to_owned();
        let max = max.clamp(1, RECEIVE_LIMIT);
        self.write_with(false, move |txn| {
            let dead_letter = spec_of(txn, &queue)?;
            let now = now_ms();
            let mut out = Vec::new();
            let mut to_dlq = Vec::new();
            {
                let mut messages = txn.open_table(MESSAGES).map_err(backend)?;
                let mut visible = Vec::new();
                for entry in messages.range((queue.as_str(), 0)..=(queue.as_str(), u64::MAX)).map_err(backend)? {
                    let (k, v) = entry.map_err(backend)?;
                    let stored = Stored::decode(v.value())?;
                    if stored.visible_at_ms <= now {
                        visible.push((k.value().1, stored));
                        if visible.len() >= max + 16 {
                            break;
                        }
                    }
                }
                for (seq, mut stored) in visible {
                    if out.len() == max {
                        break;
                    }
                    if let Some((_, limit)) = &dead_letter
                        && stored.receive_count >= *limit
                    {
                        messages.remove((queue.as_str(), seq)).map_err(backend)?;
                        to_dlq.push(stored);
                        continue;
                    }
                    stored.receive_count += 1;
                    stored.visible_at_ms = now + i64::from(visibility_secs) * 1000;
                    messages.insert((queue.as_str(), seq), stored.encode().as_slice()).map_err(backend)?;
                    out.push(ReceivedMessage {
                        message_id: stored.id.clone(),
                        receipt: receipt(seq, stored.receive_count),
                        body: stored.body,
                        receive_count: stored.receive_count,
                    });
                }
            }
            if let Some((dlq, _)) = &dead_letter {
                for mut stored in to_dlq {
                    stored.receive_count = 0;
                    stored.visible_at_ms = now;
                    append(txn, dlq, &stored)?;
                }
            }
            Ok(out)
        })
        .await
    }

    async fn delete(&self, queue: &str, receipt: &str) -> StoreResult<()> {
        let (seq, _) = parse_receipt(receipt)?;
        let queue = queue.to_owned();
        self.write(move |txn| {
            let mut messages = txn.open_table(MESSAGES).map_err(backend)?;
            messages.remove((queue.as_str(), seq)).map_err(backend)?;
            Ok(())
        })
        .await
    }

    /// One commit without `fsync` (see [`EmbeddedQueue::write_with`]): a consumer's batch deletes
    /// follow its durable work, so a forgotten delete costs a redelivery, which consumers absorb.
    async fn delete_batch(&self, queue: &str, receipts: Vec<String>) -> StoreResult<()> {
        let seqs = receipts.iter().map(|r| parse_receipt(r).map(|(seq, _)| seq)).collect::<StoreResult<Vec<_>>>()?;
        let queue = queue.to_owned();
        self.write_with(false, move |txn| {
            let mut messages = txn.open_table(MESSAGES).map_err(backend)?;
            for seq in seqs {
                messages.remove((queue.as_str(), seq)).map_err(backend)?;
            }
            Ok(())
        })
        .await
    }

    async fn change_visibility(&self, queue: &str, receipt: &str, visibility_secs: u32) -> StoreResult<()> {
        let (seq, count) = parse_receipt(receipt)?;
        let queue = queue.to_owned();
        self.write(move |txn| {
            let mut messages = txn.open_table(MESSAGES).map_err(backend)?;
            let stored = match messages.get((queue.as_str(), seq)).map_err(backend)? {
                Some(v) => Stored::decode(v.value())?,
                None => return Err(StoreError::Invalid("receipt of a deleted message".into())),
            };
            if stored.receive_count != count {
                return Err(StoreError::Invalid("receipt of an earlier receive".into()));
            }
            let stored = Stored { visible_at_ms: now_ms() + i64::from(visibility_secs) * 1000, ..stored };
            messages.insert((queue.as_str(), seq), stored.encode().as_slice()).map_err(backend)?;
            Ok(())
        })
        .await
    }
}
