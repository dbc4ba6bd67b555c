//! The record store port: DynamoDB's operations on a single table with two overloaded global
//! secondary indexes — get, conditional put, conditional delete, key-range query on the table or
//! an index, transactional write, batch put — and TTL. Items are whole documents: an update is a
//! put whose condition names the version it replaces.

use async_trait::async_trait;

use super::StoreResult;

/// Which key space a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Index {
    /// The table's own `pk`/`sk`.
    Table,
    /// `gsi1pk`/`gsi1sk`.
    Gsi1,
    /// `gsi2pk`/`gsi2sk`.
    Gsi2,
}

impl Index {
    /// The DynamoDB index name, `None` for the table.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Index::Table => None,
            Index::Gsi1 => Some("gsi1"),
            Index::Gsi2 => Some("gsi2"),
        }
    }
}

/// A secondary-index key of an item.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndexKey {
    pub pk: String,
    pub sk: String,
}

impl IndexKey {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        IndexKey { pk: pk.into(), sk: sk.into() }
    }
}

/// One item: its keys, its index keys, a version for optimistic concurrency, an optional expiry
/// (TTL, seconds since the epoch) and an opaque document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub pk: String,
    pub sk: String,
    pub gsi1: Option<IndexKey>,
    pub gsi2: Option<IndexKey>,
    pub version: u64,
    pub expires_at: Option<i64>,
    pub data: Vec<u8>,
}

impl Item {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>, data: Vec<u8>) -> Self {
        Item { pk: pk.into(), sk: sk.into(), gsi1: None, gsi2: None, version: 1, expires_at: None, data }
    }

    pub fn with_version(mut self, version: u64) -> Self {
        self.version = version;
        self
    }

    pub fn with_gsi1(mut self, key: IndexKey) -> Self {
        self.gsi1 = Some(key);
        self
    }

    pub fn with_gsi2(mut self, key: IndexKey) -> Self {
        self.gsi2 = Some(key);
        self
    }

    pub fn expiring_at(mut self, epoch_seconds: i64) -> Self {
        self.expires_at = Some(epoch_seconds);
        self
    }

    /// Whether the TTL has passed at `now`. Expired items are never returned, on either adapter.
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }

    /// This item's key on `index`.
    pub fn key_on(&self, index: Index) -> Option<IndexKey> {
        match index {
            Index::Table => Some(IndexKey::new(self.pk.clone(), self.sk.clone())),
            Index::Gsi1 => self.gsi1.clone(),
            Index::Gsi2 => self.gsi2.clone(),
        }
    }
}

/// A write's precondition on the item currently stored under the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// No condition.
    None,
    /// No item with this key exists (`attribute_not_exists(pk)`).
    NotExists,
    /// An item with this key exists.
    Exists,
    /// The stored item has exactly this version (`version = :v`).
    VersionIs(u64),
}

/// A sort-key condition of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCondition {
    All,
    Equals(String),
    BeginsWith(String),
    /// Inclusive on both ends, as DynamoDB's `BETWEEN`.
    Between(String, String),
}

impl KeyCondition {
    pub fn matches(&self, sk: &str) -> bool {
        match self {
            KeyCondition::All => true,
            KeyCondition::Equals(v) => sk == v,
            KeyCondition::BeginsWith(p) => sk.starts_with(p.as_str()),
            KeyCondition::Between(a, b) => a.as_str() <= sk && sk <= b.as_str(),
        }
    }
}

/// Where the previous page of a query stopped: the last item's table key and index key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub pk: String,
    pub sk: String,
    pub index_key: Option<IndexKey>,
}

/// A key-range query: one partition of the table or of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub index: Index,
    pub pk: String,
    pub sk: KeyCondition,
    pub limit: Option<usize>,
    pub ascending: bool,
    pub start_after: Option<Cursor>,
}

impl Query {
    pub fn new(index: Index, pk: impl Into<String>, sk: KeyCondition) -> Self {
        Query { index, pk: pk.into(), sk, limit: None, ascending: true, start_after: None }
    }

    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }

    pub fn descending(mut self) -> Self {
        self.ascending = false;
        self
    }

    pub fn after(mut self, cursor: Option<Cursor>) -> Self {
        self.start_after = cursor;
        self
    }
}

/// One page of a query's results, in sort-key order (ties on an index broken by table key).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    pub items: Vec<Item>,
    /// Present when more items may follow.
    pub next: Option<Cursor>,
}

/// One operation of a transactional write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    Put {
        item: Item,
        condition: Condition,
    },
    Delete {
        pk: String,
        sk: String,
        condition: Condition,
    },
    /// Asserts a condition on an item without changing it.
    Check {
        pk: String,
        sk: String,
        condition: Condition,
    },
}

impl WriteOp {
    pub fn key(&self) -> (&str, &str) {
        match self {
            WriteOp::Put { item, .. } => (&item.pk, &item.sk),
            WriteOp::Delete { pk, sk, .. } | WriteOp::Check { pk, sk, .. } => (pk, sk),
        }
    }

    /// The condition the operation's item must meet.
    pub fn condition(&self) -> Condition {
        match self {
            WriteOp::Put { condition, .. } | WriteOp::Delete { condition, .. } | WriteOp::Check { condition, .. } => {
                *condition
            }
        }
    }
}

/// The most operations in one transaction, as DynamoDB allows.
pub const MAX_TRANSACTION_OPS: usize = 100;

#[async_trait]
pub trait RecordStore: Send + Sync {
    /// The item with this key, unless absent or expired.
    async fn get(&self, pk: &str, sk: &str) -> StoreResult<Option<Item>>;

    /// Writes the item if `condition` holds, replacing any item with the same key.
    async fn put(&self, item: Item, condition: Condition) -> StoreResult<()>;

    /// [`RecordStore::put`] for a record whose loss in a power cut costs little (a spent token's
    /// replay record): a store that batches commits may make it visible at once and durable with
    /// its next durable commit, instead of making the caller wait for the disk. Conditions hold
    /// exactly as for `put`. DynamoDB (every write durable) does a plain `put`.
    async fn put_lazy(&self, item: Item, condition: Condition) -> StoreResult<()> {
        self.put(item, condition).await
    }

    /// Deletes the item with this key if `condition` holds.
    async fn delete(&self, pk: &str, sk: &str, condition: Condition) -> StoreResult<()>;

    /// One page of a key-range query. Expired items are left out.
    async fn query(&self, query: Query) -> StoreResult<Page>;

    /// All or nothing: every condition holds and every write lands, or nothing changes and the
    /// error names the failing operation. At most [`MAX_TRANSACTION_OPS`] operations, each on a
    /// different key.
    async fn transact_write(&self, ops: Vec<WriteOp>) -> StoreResult<()>;

    /// Unconditional puts of many items (bulk loading). Not atomic as a whole.
    async fn batch_put(&self, items: Vec<Item>) -> StoreResult<()>;

    /// Several gets. Absent and expired items are left out; order is not kept.
    async fn batch_get(&self, keys: Vec<(String, String)>) -> StoreResult<Vec<Item>> {
        let mut out = Vec::with_capacity(keys.len());
        for (pk, sk) in keys {
            if let Some(item) = self.get(&pk, &sk).await? {
                out.push(item);
            }
        }
        Ok(out)
    }
}

/// Checks a transaction's shape the way DynamoDB does, before any adapter runs it.
pub fn validate_transaction(ops: &[WriteOp]) -> StoreResult<()> {
    if ops.is_empty() || ops.len() > MAX_TRANSACTION_OPS {
        return Err(super::StoreError::Invalid(format!("a transaction has 1 to {MAX_TRANSACTION_OPS} operations")));
    }
    let mut keys: Vec<(&str, &str)> = ops.iter().map(WriteOp::key).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return Err(super::StoreError::Invalid("two operations of a transaction name the same item".into()));
    }
    Ok(())
}
