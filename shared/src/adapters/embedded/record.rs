//! The record store's LSM engine (the default): fjall (a log-structured merge tree on disk)
//! keyspaces for the items, each secondary index and the blob store's small objects. A write
//! appends to fjall's journal and its memory table, so a request costs about what it writes,
//! wherever its keys fall (a B-tree rewrites a page per key). Every write is atomic and durable as if it had its own transaction;
//! concurrent writes share one transaction and one journal `fsync` ([`super::group_commit`]).
//! Reads run inline on a snapshot (microseconds).

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use fjall::{
    KeyspaceCreateOptions, KvSeparationOptions, PersistMode, Readable, SingleWriterTxDatabase, SingleWriterTxKeyspace,
};

use super::group_commit::{Engine, GroupCommit};
use super::{backend, codec, keys};
use crate::ports::record::validate_transaction;
use crate::ports::{
    Condition, Cursor, Index, IndexKey, Item, Page, Query, RecordStore, StoreError, StoreResult, WriteOp,
    now_epoch_seconds,
};

/// The database and its keyspaces.
pub(super) struct RecordDb {
    db: SingleWriterTxDatabase,
    items: SingleWriterTxKeyspace,
    gsi1: SingleWriterTxKeyspace,
    gsi2: SingleWriterTxKeyspace,
    /// Small blob objects, by key (see [`super::blob`]): written in the record store's groups.
    blobs: SingleWriterTxKeyspace,
}

impl RecordDb {
    /// Opens (or creates) the database in `dir` with a block cache of `cache_bytes`.
    pub(super) fn open(dir: &Path, cache_bytes: u64) -> StoreResult<Self> {
        let db = SingleWriterTxDatabase::builder(dir).cache_size(cache_bytes).open().map_err(backend)?;
        let keyspace = |name: &str| db.keyspace(name, KeyspaceCreateOptions::default).map_err(backend);
        // Blob objects (up to 256 KiB) live in blob files beside the tree (key-value separation),
        // so that merging sorted runs never copies them again.
        let separated = || KeyspaceCreateOptions::default().with_kv_separation(Some(KvSeparationOptions::default()));
        let blobs = db.keyspace("blobs", separated).map_err(backend)?;
        Ok(RecordDb { items: keyspace("items")?, gsi1: keyspace("gsi1")?, gsi2: keyspace("gsi2")?, blobs, db })
    }

    fn index(&self, index: Index) -> &SingleWriterTxKeyspace {
        match index {
            Index::Table => &self.items,
            Index::Gsi1 => &self.gsi1,
            Index::Gsi2 => &self.gsi2,
        }
    }
}

/// A durable commit `fdatasync`s fjall's journal; the others reach the OS only.
impl Engine for Arc<RecordDb> {
    type Txn<'e> = RecordTxn<'e>;

    fn begin(&self, durable: bool) -> StoreResult<RecordTxn<'_>> {
        let tx = self.db.write_tx().durability(durable.then_some(PersistMode::SyncData));
        Ok(RecordTxn { tx, db: self })
    }

    fn commit(txn: RecordTxn<'_>) -> StoreResult<()> {
        txn.tx.commit().map_err(backend)
    }
}

#[derive(Clone)]
pub(super) struct LsmRecords {
    db: Arc<RecordDb>,
    writer: Arc<GroupCommit<Arc<RecordDb>>>,
}

impl LsmRecords {
    pub(super) fn new(db: Arc<RecordDb>, writer: Arc<GroupCommit<Arc<RecordDb>>>) -> Self {
        LsmRecords { db, writer }
    }

    /// A put, committed durably or not.
    async fn put_with(&self, durable: bool, item: Item, condition: Condition) -> StoreResult<()> {
        keys::check_item(&item)?;
        self.write(durable, move |t, now| {
            let found = t.checked(&item.pk, &item.sk, condition, now, None)?;
            t.insert(&item, found);
            Ok(())
        })
        .await
    }

    /// Writes (`Some`) or removes (`None`) a small blob object in the writer's next group
    /// (`durable: false`: committed without waiting for the disk, durable with the next durable
    /// commit).
    pub(super) async fn write_blob(&self, durable: bool, key: String, body: Option<Bytes>) -> StoreResult<()> {
        self.writer
            .write(durable, move |t, _| {
                match body {
                    Some(body) => t.tx.insert(&t.db.blobs, key.as_str(), body.as_ref()),
                    None => t.tx.remove(&t.db.blobs, key.as_str()),
                }
                Ok(())
            })
            .await
    }

    /// A small blob object, if the database holds it.
    pub(super) fn blob(&self, key: &str) -> StoreResult<Option<Bytes>> {
        let value = self.db.blobs.get(key).map_err(backend)?;
        Ok(value.map(|v| Bytes::copy_from_slice(&v)))
    }

    /// The keys of the small blob objects under `prefix`.
    pub(super) fn blob_keys(&self, prefix: &str) -> StoreResult<Vec<String>> {
        let snapshot = self.db.db.read_tx();
        let mut out = Vec::new();
        for entry in snapshot.prefix(self.db.blobs.inner(), prefix) {
            let key = entry.key().map_err(backend)?;
            out.push(String::from_utf8(key.to_vec()).map_err(backend)?);
        }
        Ok(out)
    }

    /// Deletes every expired item, as DynamoDB's TTL sweeper would. Returns how many went.
    pub fn purge_expired(&self) -> StoreResult<usize> {
        let now = now_epoch_seconds();
        let snapshot = self.db.db.read_tx();
        let mut expired = Vec::new();
        for entry in snapshot.iter(self.db.items.inner()) {
            let (k, v) = entry.into_inner().map_err(backend)?;
            if codec::expires_at(&v).is_some_and(|t| t <= now) {
                let [pk, sk] = keys::split::<2>(&k)?;
                expired.push((pk.to_owned(), sk.to_owned()));
            }
        }
        let mut txn = self.db.begin(true)?;
        for (pk, sk) in &expired {
            let found = txn.checked(pk, sk, Condition::None, now, None)?;
            txn.remove(found);
        }
        Arc::<RecordDb>::commit(txn)?;
        Ok(expired.len())
    }

    /// A write of the given durability, in the writer's next group. Writes that are not durable
    /// reach the disk with the next durable commit (or are lost together on a crash).
    async fn write<T: Send + 'static>(
        &self,
        durable: bool,
        f: impl FnOnce(&mut RecordTxn<'_>, i64) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        self.writer.write(durable, f).await
    }

    fn query_sync(&self, q: &Query) -> StoreResult<Page> {
        let now = now_epoch_seconds();
        let snapshot = self.db.db.read_tx();
        let limit = q.limit.unwrap_or(usize::MAX).max(1);
        let mut page = Page::default();
        let mut examined = 0usize;
        let mut last: Option<Cursor> = None;
        let range = match q.index {
            Index::Table => keys::table_range(q),
            Index::Gsi1 | Index::Gsi2 => keys::index_range(q),
        };
        let entries = snapshot.range(self.db.index(q.index).inner(), range);
        let entries: Box<dyn Iterator<Item = fjall::Guard>> =
            if q.ascending { Box::new(entries) } else { Box::new(entries.rev()) };
        for entry in entries {
            let (k, v) = entry.into_inner().map_err(backend)?;
            let (pk, sk, value, index_key) = if q.index == Index::Table {
                let [pk, sk] = keys::split::<2>(&k)?;
                if !q.sk.matches(sk) {
                    continue;
                }
                (pk, sk, Some(v), None)
            } else {
                let [ipk, isk, pk, sk] = keys::split::<4>(&k)?;
                if !q.sk.matches(isk) {
                    continue;
                }
                let value = snapshot.get(self.db.items.inner(), keys::join(&[pk, sk])).map_err(backend)?;
                (pk, sk, value, Some(IndexKey::new(ipk, isk)))
            };
            examined += 1;
            if let Some(v) = value
                && codec::expires_at(&v).is_none_or(|t| t > now)
            {
                page.items.push(codec::decode(pk, sk, &v)?);
            }
            last = Some(Cursor { pk: pk.to_owned(), sk: sk.to_owned(), index_key });
            if examined == limit {
                break;
            }
        }
        if examined == limit {
            page.next = last;
        }
        Ok(page)
    }
}

/// What a write found under its key (expired or not; its document left out), once its condition
/// held.
struct Stored(Option<Item>);

/// One write transaction of the record store's writer: items with their index entries, and small
/// blob objects.
pub(super) struct RecordTxn<'e> {
    tx: fjall::SingleWriterWriteTx<'e>,
    db: &'e RecordDb,
}

impl RecordTxn<'_> {
    /// The item under this key, expired or not, without its document (a write needs only its
    /// version, expiry and index keys).
    fn stored(&self, pk: &str, sk: &str) -> StoreResult<Option<Item>> {
        match self.tx.get(self.db.items.inner(), keys::join(&[pk, sk])).map_err(backend)? {
            Some(v) => Ok(Some(codec::decode_header(pk, sk, &v)?.0)),
            None => Ok(None),
        }
    }

    /// The item under this key if `condition` holds for it (on the live, unexpired item), to
    /// replace or remove it without reading it again; `Err(ConditionFailed)` otherwise.
    fn checked(&self, pk: &str, sk: &str, condition: Condition, now: i64, op: Option<usize>) -> StoreResult<Stored> {
        keys::check(&[pk, sk])?;
        let stored = self.stored(pk, sk)?;
        let live = stored.as_ref().filter(|item| !item.is_expired(now));
        let holds = match condition {
            Condition::None => true,
            Condition::NotExists => live.is_none(),
            Condition::Exists => live.is_some(),
            Condition::VersionIs(v) => live.is_some_and(|i| i.version == v),
        };
        if holds { Ok(Stored(stored)) } else { Err(StoreError::ConditionFailed { op }) }
    }

    /// Removes the item `checked` found, with its index entries.
    fn remove(&mut self, found: Stored) {
        if let Some(old) = found.0 {
            self.tx.remove(&self.db.items, keys::join(&[&old.pk, &old.sk]));
            self.unindex(&old, None, None);
        }
    }

    /// Writes the item and its index entries over the one `checked` found; its keys were checked
    /// ([`keys::check_item`]) before the job wrote anything.
    fn insert(&mut self, item: &Item, found: Stored) {
        let (pk, sk) = (item.pk.as_str(), item.sk.as_str());
        let old = found.0;
        self.tx.insert(&self.db.items, keys::join(&[pk, sk]), codec::encode(item));
        // An index entry the new item keeps is left alone; the replaced item's others go.
        if let Some(old) = &old {
            self.unindex(old, item.gsi1.as_ref(), item.gsi2.as_ref());
        }
        for (index, key, before) in [
            (&self.db.gsi1, &item.gsi1, old.as_ref().and_then(|o| o.gsi1.as_ref())),
            (&self.db.gsi2, &item.gsi2, old.as_ref().and_then(|o| o.gsi2.as_ref())),
        ] {
            if let Some(k) = key
                && before != Some(k)
            {
                self.tx.insert(index, keys::join(&[&k.pk, &k.sk, pk, sk]), []);
            }
        }
    }

    /// Removes `old`'s index entries other than the ones kept (`keep1`, `keep2`).
    fn unindex(&mut self, old: &Item, keep1: Option<&IndexKey>, keep2: Option<&IndexKey>) {
        for (index, key, keep) in [(&self.db.gsi1, &old.gsi1, keep1), (&self.db.gsi2, &old.gsi2, keep2)] {
            if let Some(k) = key
                && keep != Some(k)
            {
                self.tx.remove(index, keys::join(&[&k.pk, &k.sk, &old.pk, &old.sk]));
            }
        }
    }
}

#[async_trait]
impl RecordStore for LsmRecords {
    async fn get(&self, pk: &str, sk: &str) -> StoreResult<Option<Item>> {
        match self.db.items.get(keys::join(&[pk, sk])).map_err(backend)? {
            Some(v) => {
                let item = codec::decode(pk, sk, &v)?;
                Ok((!item.is_expired(now_epoch_seconds())).then_some(item))
            }
            None => Ok(None),
        }
    }

    async fn put(&self, item: Item, condition: Condition) -> StoreResult<()> {
        self.put_with(true, item, condition).await
    }

    /// Committed without waiting for the disk ([`super::group_commit`] commits these first, in a
    /// non-durable transaction); they reach the disk with the next durable commit.
    async fn put_lazy(&self, item: Item, condition: Condition) -> StoreResult<()> {
        self.put_with(false, item, condition).await
    }

    async fn delete(&self, pk: &str, sk: &str, condition: Condition) -> StoreResult<()> {
        let (pk, sk) = (pk.to_owned(), sk.to_owned());
        self.write(true, move |t, now| {
            let found = t.checked(&pk, &sk, condition, now, None)?;
            t.remove(found);
            Ok(())
        })
        .await
    }

    async fn query(&self, query: Query) -> StoreResult<Page> {
        self.query_sync(&query)
    }

    async fn transact_write(&self, ops: Vec<WriteOp>) -> StoreResult<()> {
        validate_transaction(&ops)?;
        for op in &ops {
            if let WriteOp::Put { item, .. } = op {
                keys::check_item(item)?;
            }
        }
        self.write(true, move |t, now| {
            let mut found = Vec::with_capacity(ops.len());
            for (i, op) in ops.iter().enumerate() {
                let (pk, sk) = op.key();
                let condition = op.condition();
                // Returning before the writes leaves the transaction as it was: nothing is written.
                found.push(t.checked(pk, sk, condition, now, Some(i))?);
            }
            for (op, found) in ops.iter().zip(found) {
                match op {
                    WriteOp::Put { item, .. } => t.insert(item, found),
                    WriteOp::Delete { .. } => t.remove(found),
                    WriteOp::Check { .. } => {}
                }
            }
            Ok(())
        })
        .await
    }

    /// Bulk loads skip the fsync: they become durable with the next conditional or single write
    /// (every seed ends with one), and a crash before it loses whole batches, never half of one.
    async fn batch_put(&self, items: Vec<Item>) -> StoreResult<()> {
        items.iter().try_for_each(keys::check_item)?;
        self.write(false, move |t, now| {
            for item in &items {
                let found = t.checked(&item.pk, &item.sk, Condition::None, now, None)?;
                t.insert(item, found);
            }
            Ok(())
        })
        .await
    }

    async fn batch_get(&self, keys: Vec<(String, String)>) -> StoreResult<Vec<Item>> {
        let now = now_epoch_seconds();
        let snapshot = self.db.db.read_tx();
        let mut out = Vec::with_capacity(keys.len());
        for (pk, sk) in &keys {
            if let Some(v) = snapshot.get(self.db.items.inner(), keys::join(&[pk, sk])).map_err(backend)? {
                let item = codec::decode(pk, sk, &v)?;
                if !item.is_expired(now) {
                    out.push(item);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::EmbeddedStore;
    use crate::ports::{Condition, IndexKey, Item, RecordStore, StoreError, WriteOp};

    /// A key part holding NUL is refused before anything is written (the embedded store's keys
    /// are the parts joined by NUL); the transaction it was part of writes nothing.
    #[tokio::test]
    async fn a_key_with_a_nul_is_refused_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path()).unwrap().records();
        let bad = store.put(Item::new("P#\0", "R", vec![1]), Condition::None).await;
        assert!(matches!(bad, Err(StoreError::Invalid(_))), "{bad:?}");
        let bad_index = Item::new("P#2", "R", vec![1]).with_gsi1(IndexKey::new("F#\0", "x"));
        let ops = vec![
            WriteOp::Put { item: Item::new("P#1", "R", vec![1]), condition: Condition::NotExists },
            WriteOp::Put { item: bad_index, condition: Condition::None },
        ];
        assert!(matches!(store.transact_write(ops).await, Err(StoreError::Invalid(_))));
        assert_eq!(store.get("P#1", "R").await.unwrap(), None);
        assert_eq!(store.get("P#2", "R").await.unwrap(), None);
    }
}
