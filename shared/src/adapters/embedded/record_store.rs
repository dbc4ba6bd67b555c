//! The embedded record store: one port, on either engine — the LSM tree ([`super::record`],
//! the default: a write costs what it writes, wherever its keys fall) or the B-tree
//! ([`super::record_btree`]: for stores appended to in key order, like the audit store). Both keep
//! the same contract (`tests/contract_record_store.rs` runs it on each). This file only dispatches.

use async_trait::async_trait;
use bytes::Bytes;

use super::record::LsmRecords;
use super::record_btree::BTreeRecords;
use crate::ports::{Condition, Item, Page, Query, RecordStore, StoreResult, WriteOp};

#[derive(Clone)]
pub struct EmbeddedRecordStore(Engine);

#[derive(Clone)]
enum Engine {
    Lsm(LsmRecords),
    BTree(BTreeRecords),
}

/// Runs `$call` on whichever engine the store has.
macro_rules! on_engine {
    ($self:ident, $r:ident => $call:expr) => {
        match &$self.0 {
            Engine::Lsm($r) => $call,
            Engine::BTree($r) => $call,
        }
    };
}

impl EmbeddedRecordStore {
    pub(super) fn lsm(records: LsmRecords) -> Self {
        EmbeddedRecordStore(Engine::Lsm(records))
    }

    pub(super) fn btree(records: BTreeRecords) -> Self {
        EmbeddedRecordStore(Engine::BTree(records))
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
        on_engine!(self, r => r.put(item, condition).await)
    }

    async fn put_lazy(&self, item: Item, condition: Condition) -> StoreResult<()> {
        on_engine!(self, r => r.put_lazy(item, condition).await)
    }

    async fn delete(&self, pk: &str, sk: &str, condition: Condition) -> StoreResult<()> {
        on_engine!(self, r => r.delete(pk, sk, condition).await)
    }

    async fn query(&self, query: Query) -> StoreResult<Page> {
        on_engine!(self, r => r.query(query).await)
    }

    async fn transact_write(&self, ops: Vec<WriteOp>) -> StoreResult<()> {
        on_engine!(self, r => r.transact_write(ops).await)
    }

    async fn batch_put(&self, items: Vec<Item>) -> StoreResult<()> {
        on_engine!(self, r => r.batch_put(items).await)
    }

    async fn batch_get(&self, keys: Vec<(String, String)>) -> StoreResult<Vec<Item>> {
        on_engine!(self, r => r.batch_get(keys).await)
    }
}
