//! The embedded record store: one port, on either engine — the LSM tree ([`super::record`],
//! the default: a write costs what it writes, wherever its keys fall) or the B-tree
//! ([`super::record_btree`]: for stores only ever added to, like the audit store). Both keep
//! the same contract (`tests/contract_record_store.rs` runs it on each). This file dispatches, and
//! hands each commit's new keys to the store's stream ([`super::stream`]).

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::mpsc;

use super::record::LsmRecords;
use super::record_btree::BTreeRecords;
use super::stream::KeyStream;
use crate::ports::{Condition, Item, Page, Query, RecordStore, StoreResult, WriteOp};

#[derive(Clone)]
pub struct EmbeddedRecordStore {
    engine: Engine,
    stream: Arc<KeyStream>,
}

#[derive(Clone)]
enum Engine {
    Lsm(LsmRecords),
    BTree(BTreeRecords),
}

/// Runs `$call` on whichever engine the store has.
macro_rules! on_engine {
    ($self:ident, $r:ident => $call:expr) => {
        match &$self.engine {
            Engine::Lsm($r) => $call,
            Engine::BTree($r) => $call,
        }
    };
}

impl EmbeddedRecordStore {
    pub(super) fn lsm(records: LsmRecords) -> Self {
        EmbeddedRecordStore { engine: Engine::Lsm(records), stream: Arc::default() }
    }

    pub(super) fn btree(records: BTreeRecords) -> Self {
        EmbeddedRecordStore { engine: Engine::BTree(records), stream: Arc::default() }
    }

    /// The keys of the items put under `prefix` from now on, each once its commit has succeeded
    /// (deletes are not streamed): a DynamoDB stream with a filter, for the local Spine's stream
    /// consumers. Keys are dropped when the receiver falls [`super::stream::BUFFER`] behind.
    pub fn subscribe(&self, prefix: &str) -> mpsc::Receiver<(String, String)> {
        self.stream.subscribe(prefix)
    }

    /// Runs `write`; once it has committed, streams `keys` (the items it put under a subscribed
    /// prefix, taken before the write consumed them).
    async fn streamed(
        &self,
        keys: Vec<(String, String)>,
        write: impl Future<Output = StoreResult<()>>,
    ) -> StoreResult<()> {
        write.await?;
        self.stream.publish(keys);
        Ok(())
    }

    /// Deletes every expired item, as DynamoDB's TTL sweeper would. Returns how many went.
    pub fn purge_expired(&self) -> StoreResult<usize> {
        on_engine!(self, r => r.purge_expired())
    }

    /// A small blob object, if the database holds it ([`super::blob`]).
    pub(super) fn blob(&self, key: &str) -> StoreResult<Option<Bytes>> {
        on_engine!(self, r => r.blob(key))
    }

    /// The keys of the small blob objects under `prefix`.
    pub(super) fn blob_keys(&self, prefix: &str) -> StoreResult<Vec<String>> {
        on_engine!(self, r => r.blob_keys(prefix))
    }

    /// Writes (`Some`) or removes (`None`) a small blob object with the record store's writes.
    pub(super) async fn write_blob(&self, durable: bool, key: String, body: Option<Bytes>) -> StoreResult<()> {
        on_engine!(self, r => r.write_blob(durable, key, body).await)
    }
}

#[async_trait]
impl RecordStore for EmbeddedRecordStore {
    async fn get(&self, pk: &str, sk: &str) -> StoreResult<Option<Item>> {
        on_engine!(self, r => r.get(pk, sk).await)
    }

    async fn put(&self, item: Item, condition: Condition) -> StoreResult<()> {
        let keys = self.stream.keys_of_items([&item]);
        self.streamed(keys, async { on_engine!(self, r => r.put(item, condition).await) }).await
    }

    async fn put_lazy(&self, item: Item, condition: Condition) -> StoreResult<()> {
        let keys = self.stream.keys_of_items([&item]);
        self.streamed(keys, async { on_engine!(self, r => r.put_lazy(item, condition).await) }).await
    }

    async fn delete(&self, pk: &str, sk: &str, condition: Condition) -> StoreResult<()> {
        on_engine!(self, r => r.delete(pk, sk, condition).await)
    }

    async fn query(&self, query: Query) -> StoreResult<Page> {
        on_engine!(self, r => r.query(query).await)
    }

    async fn transact_write(&self, ops: Vec<WriteOp>) -> StoreResult<()> {
        let keys = self.stream.keys_of(&ops);
        self.streamed(keys, async { on_engine!(self, r => r.transact_write(ops).await) }).await
    }

    async fn batch_put(&self, items: Vec<Item>) -> StoreResult<()> {
        let keys = self.stream.keys_of_items(&items);
        self.streamed(keys, async { on_engine!(self, r => r.batch_put(items).await) }).await
    }

    async fn batch_get(&self, keys: Vec<(String, String)>) -> StoreResult<Vec<Item>> {
        on_engine!(self, r => r.batch_get(keys).await)
    }
}

#[cfg(test)]
mod tests {
    use super::super::EmbeddedStore;
    use crate::ports::{Condition, Item, RecordStore, WriteOp};

    fn put(pk: &str, sk: &str, condition: Condition) -> WriteOp {
        WriteOp::Put { item: Item::new(pk, sk, Vec::new()), condition }
    }

    #[tokio::test]
    async fn committed_puts_under_the_prefix_are_streamed_and_failed_writes_are_not() {
        let opens: [fn(&std::path::Path) -> crate::ports::StoreResult<EmbeddedStore>; 2] =
            [EmbeddedStore::open, EmbeddedStore::open_btree];
        for open in opens {
            let dir = tempfile::tempdir().unwrap();
            let records = open(dir.path()).unwrap().records();
            let mut keys = records.subscribe("OUTBOX#");
            records.put(Item::new("OUTBOX#1", "a", Vec::new()), Condition::None).await.unwrap();
            records.put(Item::new("OTHER#1", "b", Vec::new()), Condition::None).await.unwrap();
            // A transaction whose condition fails writes nothing, so streams nothing.
            let refused = records
                .transact_write(vec![put("OUTBOX#1", "c", Condition::None), put("OUTBOX#1", "a", Condition::NotExists)])
                .await;
            assert!(refused.is_err());
            records
                .transact_write(vec![
                    put("OUTBOX#2", "d", Condition::None),
                    WriteOp::Delete { pk: "OUTBOX#1".into(), sk: "a".into(), condition: Condition::None },
                ])
                .await
                .unwrap();
            records.batch_put(vec![Item::new("OUTBOX#3", "e", Vec::new())]).await.unwrap();
            let mut streamed = Vec::new();
            while let Ok(key) = keys.try_recv() {
                streamed.push(key);
            }
            let expected: Vec<(String, String)> =
                [("OUTBOX#1", "a"), ("OUTBOX#2", "d"), ("OUTBOX#3", "e")].map(|(p, s)| (p.into(), s.into())).into();
            assert_eq!(streamed, expected, "puts only, committed only, in commit order");
        }
    }
}
