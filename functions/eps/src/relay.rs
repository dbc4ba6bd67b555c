//! The outbox relay: sends outbox items (status events committed with their changes) to the
//! status queue, then deletes them. In AWS the table's stream hands it the keys of new outbox
//! items (`eps-relay-status-events`); the local Spine calls [`relay_pending`] on a timer. An item
//! already relayed (and deleted) is skipped; one sent but not deleted (a crash between the two) is
//! sent again — at least once, and consumers key on the event id.

use std::sync::Arc;

use spine_shared::ports::record::MAX_TRANSACTION_OPS;
use spine_shared::ports::{
    Condition, Index, Item, KeyCondition, OutgoingMessage, Query, Queue, RecordStore, StoreError, WriteOp,
};

use crate::outbox::{OUTBOX_SHARDS, is_outbox_key, shard_pk};

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
        for batch in found.chunks(10) {
            let messages = batch
                .iter()
                .map(|(_, item)| {
                    // A batch entry's id: the event id (the sort key), in the characters SQS allows.
                    let id =
                        item.sk.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
                    let body = String::from_utf8(item.data.clone())
                        .map_err(|_| StoreError::Invalid("an outbox item is not UTF-8".into()))?;
                    Ok(OutgoingMessage { id, body })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            self.queue.send_batch(&self.queue_name, messages).await?;
        }
        for batch in found.chunks(MAX_TRANSACTION_OPS) {
            let deletes = batch
                .iter()
                .map(|(_, item)| WriteOp::Delete {
                    pk: item.pk.clone(),
                    sk: item.sk.clone(),
                    condition: Condition::None,
                })
                .collect();
            self.records.transact_write(deletes).await?;
        }
        Ok(())
    }

    /// Relays whatever the outbox holds, oldest first per shard (the local Spine's relay; in AWS a
    /// sweep for anything the stream's retries gave up on). Returns how many were relayed.
    pub async fn relay_pending(&self) -> Result<usize, StoreError> {
        let mut relayed = 0;
        for shard in 0..OUTBOX_SHARDS {
            let page =
                self.records.query(Query::new(Index::Table, shard_pk(shard), KeyCondition::All).limit(100)).await?;
            if page.items.is_empty() {
                continue;
            }
            let keys: Vec<(String, String)> = page.items.into_iter().map(|i| (i.pk, i.sk)).collect();
            let wanted: Vec<usize> = (0..keys.len()).collect();
            self.relay_all(&keys, &wanted).await?;
            relayed += keys.len();
        }
        Ok(relayed)
    }
}
