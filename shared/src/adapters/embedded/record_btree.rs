//! The record store's B-tree engine: redb tables for the items, each secondary index and the blob
//! store's small objects, in the same database file as the queues. For stores only ever added to
//! (the audit store: its index entries arrive in time order, its items by hashed id), which an LSM
//! tree would merge again and again. Every write is atomic and durable as if it had its own redb
//! transaction; concurrent writes share one transaction and one commit ([`super::group_commit`]).
//! Reads run inline (microseconds).

use std::ops::Bound;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use redb::{Database, ReadableDatabase, ReadableTable, Table, TableDefinition};

use super::group_commit::GroupCommit;
use super::{backend, codec};
use crate::ports::record::validate_transaction;
use crate::ports::{
    Condition, Cursor, Index, IndexKey, Item, KeyCondition, Page, Query, RecordStore, StoreError, StoreResult, WriteOp,
    now_epoch_seconds,
};

type Key2<'a> = (&'a str, &'a str);
type Key4<'a> = (&'a str, &'a str, &'a str, &'a str);

const ITEMS: TableDefinition<Key2, &[u8]> = TableDefinition::new("items");
const GSI1: TableDefinition<Key4, ()> = TableDefinition::new("gsi1");
const GSI2: TableDefinition<Key4, ()> = TableDefinition::new("gsi2");
/// Small blob objects, by key (see [`super::blob`]): written in the record store's groups.
const BLOBS: TableDefinition<&str, &[u8]> = TableDefinition::new("blobs");

/// Sort keys never hold this character, so it bounds a prefix range from above.
const MAX_CHAR: &str = "\u{10FFFF}";

pub(super) fn create_tables(db: &Database) -> StoreResult<()> {
    let txn = db.begin_write().map_err(backend)?;
    txn.open_table(ITEMS).map_err(backend)?;
    txn.open_table(GSI1).map_err(backend)?;
    txn.open_table(GSI2).map_err(backend)?;
    txn.open_table(BLOBS).map_err(backend)?;
    txn.commit().map_err(backend)
}

#[derive(Clone)]
pub(super) struct BTreeRecords {
    db: Arc<Database>,
    writer: Arc<GroupCommit<Arc<Database>>>,
}

impl BTreeRecords {
    pub(super) fn new(db: Arc<Database>, writer: Arc<GroupCommit<Arc<Database>>>) -> Self {
        BTreeRecords { db, writer }
    }

    /// A put, committed durably or not.
    async fn put_with(&self, durable: bool, item: Item, condition: Condition) -> StoreResult<()> {
        self.write(durable, move |t, now| {
            if !t.holds(&item.pk, &item.sk, condition, now)? {
                return Err(StoreError::ConditionFailed { op: None });
            }
            t.insert(&item)
        })
        .await
    }

    /// A small blob object, if the database holds it.
    pub(super) fn blob(&self, key: &str) -> StoreResult<Option<Bytes>> {
        let txn = self.db.begin_read().map_err(backend)?;
        let table = txn.open_table(BLOBS).map_err(backend)?;
        Ok(table.get(key).map_err(backend)?.map(|v| Bytes::copy_from_slice(v.value())))
    }

    /// The keys of the small blob objects under `prefix`.
    pub(super) fn blob_keys(&self, prefix: &str) -> StoreResult<Vec<String>> {
        let txn = self.db.begin_read().map_err(backend)?;
        let table = txn.open_table(BLOBS).map_err(backend)?;
        let mut keys = Vec::new();
        for entry in table.range(prefix..).map_err(backend)? {
            let (k, _) = entry.map_err(backend)?;
            if !k.value().starts_with(prefix) {
                break;
            }
            keys.push(k.value().to_owned());
        }
        Ok(keys)
    }

    /// Writes (`Some`) or removes (`None`) a small blob object in the writer's next group
    /// (`durable: false`: committed without waiting for the disk, durable with the next durable
    /// commit).
    pub(super) async fn write_blob(&self, durable: bool, key: String, body: Option<Bytes>) -> StoreResult<()> {
        self.write(durable, move |t, _| {
            match body {
                Some(body) => t.blobs.insert(key.as_str(), body.as_ref()).map_err(backend)?,
                None => t.blobs.remove(key.as_str()).map_err(backend)?,
            };
            Ok(())
        })
        .await
    }

    /// Deletes every expired item, as DynamoDB's TTL sweeper would. Returns how many went.
    pub fn purge_expired(&self) -> StoreResult<usize> {
        let now = now_epoch_seconds();
        let txn = self.db.begin_write().map_err(backend)?;
        let mut purged = 0;
        {
            let mut tables = Tables::open(&txn)?;
            let mut expired = Vec::new();
            for entry in tables.items.iter().map_err(backend)? {
                let (k, v) = entry.map_err(backend)?;
                if codec::expires_at(v.value()).is_some_and(|t| t <= now) {
                    let (pk, sk) = k.value();
                    expired.push((pk.to_owned(), sk.to_owned()));
                }
            }
            for (pk, sk) in expired {
                tables.remove(&pk, &sk)?;
                purged += 1;
            }
        }
        txn.commit().map_err(backend)?;
        Ok(purged)
    }

    /// A write on the record tables in the writer's next group. Writes that are not durable reach
    /// the disk with the next durable commit (or are lost together on a crash).
    async fn write<T: Send + 'static>(
        &self,
        durable: bool,
        f: impl FnOnce(&mut Tables<'_>, i64) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        self.writer
            .write(durable, move |txn, now| {
                let mut tables = Tables::open(txn)?;
                f(&mut tables, now)
            })
            .await
    }

    fn query_sync(&self, q: &Query) -> StoreResult<Page> {
        let now = now_epoch_seconds();
        let txn = self.db.begin_read().map_err(backend)?;
        let items = txn.open_table(ITEMS).map_err(backend)?;
        let limit = q.limit.unwrap_or(usize::MAX).max(1);
        let mut page = Page::default();
        let mut examined = 0usize;
        let mut last: Option<Cursor> = None;
        match q.index {
            Index::Table => {
                let (lo, hi) = bounds2(q);
                let range = items.range::<Key2>((borrow2(&lo), borrow2(&hi))).map_err(backend)?;
                let iter: Box<dyn Iterator<Item = _>> =
                    if q.ascending { Box::new(range) } else { Box::new(range.rev()) };
                for entry in iter {
                    let (k, v) = entry.map_err(backend)?;
                    let (pk, sk) = k.value();
                    if !q.sk.matches(sk) {
                        continue;
                    }
                    examined += 1;
                    last = Some(Cursor { pk: pk.to_owned(), sk: sk.to_owned(), index_key: None });
                    if codec::expires_at(v.value()).is_none_or(|t| t > now) {
                        page.items.push(codec::decode(pk, sk, v.value())?);
                    }
                    if examined == limit {
                        break;
                    }
                }
            }
            Index::Gsi1 | Index::Gsi2 => {
                let def = if q.index == Index::Gsi1 { GSI1 } else { GSI2 };
                let index = txn.open_table(def).map_err(backend)?;
                let (lo, hi) = bounds4(q);
                let range = index.range::<Key4>((borrow4(&lo), borrow4(&hi))).map_err(backend)?;
                let iter: Box<dyn Iterator<Item = _>> =
                    if q.ascending { Box::new(range) } else { Box::new(range.rev()) };
                for entry in iter {
                    let (k, _) = entry.map_err(backend)?;
                    let (ipk, isk, pk, sk) = k.value();
                    if !q.sk.matches(isk) {
                        continue;
                    }
                    examined += 1;
                    last =
                        Some(Cursor { pk: pk.to_owned(), sk: sk.to_owned(), index_key: Some(IndexKey::new(ipk, isk)) });
                    if let Some(v) = items.get((pk, sk)).map_err(backend)?
                        && codec::expires_at(v.value()).is_none_or(|t| t > now)
                    {
                        page.items.push(codec::decode(pk, sk, v.value())?);
                    }
                    if examined == limit {
                        break;
                    }
                }
            }
        }
        if examined == limit {
            page.next = last;
        }
        Ok(page)
    }
}

/// A bound over owned tuple parts, borrowed when the range is built.
type OwnedBound<const N: usize> = Bound<[String; N]>;

fn borrow2(b: &OwnedBound<2>) -> Bound<Key2<'_>> {
    match b {
        Bound::Included(k) => Bound::Included((k[0].as_str(), k[1].as_str())),
        Bound::Excluded(k) => Bound::Excluded((k[0].as_str(), k[1].as_str())),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn borrow4(b: &OwnedBound<4>) -> Bound<Key4<'_>> {
    match b {
        Bound::Included(k) => Bound::Included((k[0].as_str(), k[1].as_str(), k[2].as_str(), k[3].as_str())),
        Bound::Excluded(k) => Bound::Excluded((k[0].as_str(), k[1].as_str(), k[2].as_str(), k[3].as_str())),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// The sort-key interval a condition selects: (low inclusive, high inclusive); `None` high means
/// the end of the partition.
fn sk_interval(c: &KeyCondition) -> (String, Option<String>) {
    match c {
        KeyCondition::All => (String::new(), None),
        KeyCondition::Equals(v) => (v.clone(), Some(v.clone())),
        KeyCondition::BeginsWith(p) => (p.clone(), Some(format!("{p}{MAX_CHAR}"))),
        KeyCondition::Between(a, b) => (a.clone(), Some(b.clone())),
    }
}

fn bounds2(q: &Query) -> (OwnedBound<2>, OwnedBound<2>) {
    let (lo, hi) = sk_interval(&q.sk);
    let mut low = Bound::Included([q.pk.clone(), lo]);
    let mut high = match hi {
        Some(hi) => Bound::Included([q.pk.clone(), hi]),
        None => Bound::Excluded([format!("{}\0", q.pk), String::new()]),
    };
    if let Some(c) = &q.start_after {
        let at = Bound::Excluded([q.pk.clone(), c.sk.clone()]);
        if q.ascending { low = at } else { high = at }
    }
    (low, high)
}

fn bounds4(q: &Query) -> (OwnedBound<4>, OwnedBound<4>) {
    let (lo, hi) = sk_interval(&q.sk);
    let mut low = Bound::Included([q.pk.clone(), lo, String::new(), String::new()]);
    let mut high = match hi {
        Some(hi) => Bound::Included([q.pk.clone(), hi, MAX_CHAR.to_owned(), MAX_CHAR.to_owned()]),
        None => Bound::Excluded([format!("{}\0", q.pk), String::new(), String::new(), String::new()]),
    };
    if let Some(Cursor { pk, sk, index_key: Some(ik) }) = &q.start_after {
        let at = Bound::Excluded([ik.pk.clone(), ik.sk.clone(), pk.clone(), sk.clone()]);
        if q.ascending { low = at } else { high = at }
    }
    (low, high)
}

/// The open tables of one write transaction.
pub(super) struct Tables<'t> {
    items: Table<'t, Key2<'static>, &'static [u8]>,
    gsi1: Table<'t, Key4<'static>, ()>,
    gsi2: Table<'t, Key4<'static>, ()>,
    blobs: Table<'t, &'static str, &'static [u8]>,
}

impl<'t> Tables<'t> {
    fn open(txn: &'t redb::WriteTransaction) -> StoreResult<Self> {
        Ok(Tables {
            items: txn.open_table(ITEMS).map_err(backend)?,
            gsi1: txn.open_table(GSI1).map_err(backend)?,
            gsi2: txn.open_table(GSI2).map_err(backend)?,
            blobs: txn.open_table(BLOBS).map_err(backend)?,
        })
    }

    /// The live (present, unexpired) item under this key.
    fn current(&self, pk: &str, sk: &str, now: i64) -> StoreResult<Option<Item>> {
        match self.items.get((pk, sk)).map_err(backend)? {
            Some(v) => {
                let item = codec::decode(pk, sk, v.value())?;
                Ok((!item.is_expired(now)).then_some(item))
            }
            None => Ok(None),
        }
    }

    fn holds(&self, pk: &str, sk: &str, condition: Condition, now: i64) -> StoreResult<bool> {
        if condition == Condition::None {
            return Ok(true);
        }
        let current = self.current(pk, sk, now)?;
        Ok(match condition {
            Condition::None => true,
            Condition::NotExists => current.is_none(),
            Condition::Exists => current.is_some(),
            Condition::VersionIs(v) => current.is_some_and(|i| i.version == v),
        })
    }

    fn remove(&mut self, pk: &str, sk: &str) -> StoreResult<()> {
        let old = self.items.remove((pk, sk)).map_err(backend)?.map(|v| codec::decode(pk, sk, v.value()));
        if let Some(old) = old {
            let old = old?;
            if let Some(k) = &old.gsi1 {
                self.gsi1.remove((k.pk.as_str(), k.sk.as_str(), pk, sk)).map_err(backend)?;
            }
            if let Some(k) = &old.gsi2 {
                self.gsi2.remove((k.pk.as_str(), k.sk.as_str(), pk, sk)).map_err(backend)?;
            }
        }
        Ok(())
    }

    fn insert(&mut self, item: &Item) -> StoreResult<()> {
        let (pk, sk) = (item.pk.as_str(), item.sk.as_str());
        let previous = self.items.insert((pk, sk), codec::encode(item).as_slice()).map_err(backend)?;
        let old = previous.map(|v| codec::decode(pk, sk, v.value())).transpose()?;
        let (old_gsi1, old_gsi2) = old.map_or((None, None), |o| (o.gsi1, o.gsi2));
        // An index entry the new item keeps is left alone (rewriting it would copy its page);
        // the replaced item's other entries go.
        if old_gsi1 != item.gsi1 {
            if let Some(k) = &old_gsi1 {
                self.gsi1.remove((k.pk.as_str(), k.sk.as_str(), pk, sk)).map_err(backend)?;
            }
            if let Some(k) = &item.gsi1 {
                self.gsi1.insert((k.pk.as_str(), k.sk.as_str(), pk, sk), ()).map_err(backend)?;
            }
        }
        if old_gsi2 != item.gsi2 {
            if let Some(k) = &old_gsi2 {
                self.gsi2.remove((k.pk.as_str(), k.sk.as_str(), pk, sk)).map_err(backend)?;
            }
            if let Some(k) = &item.gsi2 {
                self.gsi2.insert((k.pk.as_str(), k.sk.as_str(), pk, sk), ()).map_err(backend)?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl RecordStore for BTreeRecords {
    async fn get(&self, pk: &str, sk: &str) -> StoreResult<Option<Item>> {
        let txn = self.db.begin_read().map_err(backend)?;
        let items = txn.open_table(ITEMS).map_err(backend)?;
        match items.get((pk, sk)).map_err(backend)? {
            Some(v) => {
                let item = codec::decode(pk, sk, v.value())?;
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
            if !t.holds(&pk, &sk, condition, now)? {
                return Err(StoreError::ConditionFailed { op: None });
            }
            t.remove(&pk, &sk)
        })
        .await
    }

    async fn query(&self, query: Query) -> StoreResult<Page> {
        self.query_sync(&query)
    }

    async fn transact_write(&self, ops: Vec<WriteOp>) -> StoreResult<()> {
        validate_transaction(&ops)?;
        self.write(true, move |t, now| {
            for (i, op) in ops.iter().enumerate() {
                let (pk, sk) = op.key();
                let condition = op.condition();
                if !t.holds(pk, sk, condition, now)? {
                    // Returning before commit drops the transaction: nothing is written.
                    return Err(StoreError::ConditionFailed { op: Some(i) });
                }
            }
            for op in &ops {
                match op {
                    WriteOp::Put { item, .. } => t.insert(item)?,
                    WriteOp::Delete { pk, sk, .. } => t.remove(pk, sk)?,
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
        self.write(false, move |t, _| {
            for item in &items {
                t.insert(item)?;
            }
            Ok(())
        })
        .await
    }

    async fn batch_get(&self, keys: Vec<(String, String)>) -> StoreResult<Vec<Item>> {
        let now = now_epoch_seconds();
        let txn = self.db.begin_read().map_err(backend)?;
        let items = txn.open_table(ITEMS).map_err(backend)?;
        let mut out = Vec::with_capacity(keys.len());
        for (pk, sk) in &keys {
            if let Some(v) = items.get((pk.as_str(), sk.as_str())).map_err(backend)? {
                let item = codec::decode(pk, sk, v.value())?;
                if !item.is_expired(now) {
                    out.push(item);
                }
            }
        }
        Ok(out)
    }
}
