//! The outbox relay: sends outbox items (status events committed with their changes) to the
//! status queue, then deletes them. The table's stream hands it the keys of new outbox items: in
//! AWS DynamoDB's (`eps-relay-status-events`), locally the embedded store's; a sweep
//! ([`Relay::relay_pending`]) finds what no stream handed over. An item
//! already relayed (and deleted) is skipped; one sent but not deleted (a crash between the two) is
//! sent again — at least once, and consumers key on the event id.

use std::sync::Arc;

use futures_util::future::join_all;

use spine_shared::ports::record::MAX_TRANSACTION_OPS;
use spine_shared::ports::{
    Condition, Index, Item, KeyCondition, OutgoingMessage, Query, Queue, RecordStore, StoreError, WriteOp,
};

use crate::outbox::{OUTBOX_SHARDS, is_outbox_key, shard_pk};

/// How many items per shard one [`Relay::relay_pending`] pass takes.
pub const PENDING_PAGE: usize = 100;

/// What the relay works with: the table, the queue and the status queue's name.
#[derive(Clone)]
pub struct Relay {
    pub records: Arc<dyn RecordStore>,
    pub queue: Arc<dyn Queue>,
    pub queue_name: String,
}

impl Relay {
    /// Relays the outbox items with these keys (other keys are ignored); returns the positions of
    /// those that failed, to be retried. The items are read together, sent in batches of ten and
    /// deleted together: a batch that fails is retried whole (its events may go twice).
    pub async fn relay(&self, keys: &[(String, String)]) -> Vec<usize> {
        let wanted: Vec<usize> = (0..keys.len()).filter(|&i| is_outbox_key(&keys[i].0)).collect();
        if wanted.is_empty() {
            return Vec::new();
        }
        match self.relay_all(keys, &wanted).await {
            Ok(()) => Vec::new(),
            Err(e) => {
                tracing::warn!(error = %e, "outbox items were not relayed; they will be retried");
                wanted
            }
        }
    }

    async fn relay_all(&self, keys: &[(String, String)], wanted: &[usize]) -> Result<(), StoreError> {
        let items = self.records.batch_get(wanted.iter().map(|&i| keys[i].clone()).collect()).await?;
        // Sent in the outbox's order: the keys' order (a stream's, or the outbox index's).
        let mut found: Vec<(usize, Item)> = items
            .into_iter()
            .filter_map(|item| {
                wanted.iter().position(|&i| keys[i].0 == item.pk && keys[i].1 == item.sk).map(|p| (p, item))
            })
            .collect();
        found.sort_by_key(|(p, _)| *p);
        self.send_and_delete(found.into_iter().map(|(_, item)| item).collect()).await
    }

    /// Sends `items` in batches of ten, all at once (the embedded queue commits them together, in
    /// this order, with one `fsync`; SQS takes the calls in parallel), then deletes them, also at
    /// once. Nothing is deleted unless every batch was sent.
    async fn send_and_delete(&self, items: Vec<Item>) -> Result<(), StoreError> {
        let batches = items.chunks(10).map(messages).collect::<Result<Vec<_>, StoreError>>()?;
        let sends = batches.into_iter().map(|batch| self.queue.send_batch(&self.queue_name, batch));
        join_all(sends).await.into_iter().collect::<Result<Vec<()>, StoreError>>()?;
        let deletes = items.chunks(MAX_TRANSACTION_OPS).map(|batch| {
            let ops = batch
                .iter()
                .map(|item| WriteOp::Delete { pk: item.pk.clone(), sk: item.sk.clone(), condition: Condition::None })
                .collect();
            self.records.transact_write(ops)
        });
        join_all(deletes).await.into_iter().collect::<Result<Vec<()>, StoreError>>()?;
        Ok(())
    }

    /// Relays whatever the outbox holds, up to [`PENDING_PAGE`] items per shard, oldest first per
    /// shard: a sweep for what no stream handed a relay (written before a restart, or failed to
    /// send). The shards are read at once and their items sent together. Returns how many were
    /// relayed.
    pub async fn relay_pending(&self) -> Result<usize, StoreError> {
        let reads = (0..OUTBOX_SHARDS).map(|shard| {
            self.records.query(Query::new(Index::Table, shard_pk(shard), KeyCondition::All).limit(PENDING_PAGE))
        });
        let mut items = Vec::new();
        for page in join_all(reads).await {
            items.extend(page?.items);
        }
        let relayed = items.len();
        if relayed > 0 {
            self.send_and_delete(items).await?;
        }
        Ok(relayed)
    }
}

/// A batch's messages: each outbox item's event, with its id (the event id, the sort key) in the
/// characters SQS allows.
fn messages(batch: &[Item]) -> Result<Vec<OutgoingMessage>, StoreError> {
    batch
        .iter()
        .map(|item| {
            let id = item.sk.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
            let body = String::from_utf8(item.data.clone())
                .map_err(|_| StoreError::Invalid("an outbox item is not UTF-8".into()))?;
            Ok(OutgoingMessage { id, body })
        })
        .collect()
}
