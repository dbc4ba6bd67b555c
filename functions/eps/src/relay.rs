//! The outbox relay: sends outbox items (status events committed with their changes) to the
//! status queue, then deletes them. In AWS the table's stream hands it the keys of new outbox
//! items (`eps-relay-status-events`); the local Spine calls [`relay_pending`] on a timer. An item
//! already relayed (and deleted) is skipped; one sent but not deleted (a crash between the two) is
//! sent again — at least once, and consumers key on the event id.

use std::sync::Arc;

use spine_shared::ports::{Condition, Index, KeyCondition, OutgoingMessage, Query, Queue, RecordStore, StoreError};

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
    /// those that failed, to be retried.
    pub async fn relay(&self, keys: &[(String, String)]) -> Vec<usize> {
        let mut failed = Vec::new();
        for (i, (pk, sk)) in keys.iter().enumerate() {
            if !is_outbox_key(pk) {
                continue;
            }
            if let Err(e) = self.relay_one(pk, sk).await {
                tracing::warn!(error = %e, "an outbox item was not relayed; it will be retried");
                failed.push(i);
            }
        }
        failed
    }

    async fn relay_one(&self, pk: &str, sk: &str) -> Result<(), StoreError> {
        let Some(item) = self.records.get(pk, sk).await? else { return Ok(()) };
        let body =
            String::from_utf8(item.data).map_err(|_| StoreError::Invalid("an outbox item is not UTF-8".into()))?;
        // A batch entry's id: the event id (the sort key), with the characters SQS allows.
        let id: String = sk.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
        let message = OutgoingMessage { id, body };
        self.queue.send_batch(&self.queue_name, vec![message]).await?;
        self.records.delete(pk, sk, Condition::None).await
    }

    /// Relays whatever the outbox holds, oldest first per shard (the local Spine's relay; in AWS a
    /// sweep for anything the stream's retries gave up on). Returns how many were relayed.
    pub async fn relay_pending(&self) -> Result<usize, StoreError> {
        let mut relayed = 0;
        for shard in 0..OUTBOX_SHARDS {
            let page =
                self.records.query(Query::new(Index::Gsi1, shard_pk(shard), KeyCondition::All).limit(100)).await?;
            let keys: Vec<(String, String)> = page.items.into_iter().map(|i| (i.pk, i.sk)).collect();
            let failed = self.relay(&keys).await;
            relayed += keys.len() - failed.len();
        }
        Ok(relayed)
    }
}
