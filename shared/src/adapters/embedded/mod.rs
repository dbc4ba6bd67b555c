//! The embedded adapters, durable across restarts, with one writer thread per database that
//! commits concurrent writes in groups ([`group_commit`]). A store's records are on one of two
//! engines ([`record_store`]):
//! - [`EmbeddedStore::open`] (the default): the record store's items, indexes and small blobs in a
//!   fjall database (`records/`, an LSM tree: a write costs what it writes, wherever its keys
//!   fall), the queues in a redb file (`queues.redb`, a B-tree: queues are read and deleted from
//!   their head);
//! - [`EmbeddedStore::open_btree`]: records, small blobs and queues in one redb file
//!   (`spine.redb`), for stores only ever added to (the audit store).
//!
//! Larger blobs are files (`blobs/`). The record store streams the keys it commits to whoever
//! subscribed ([`stream`]), as DynamoDB streams do in AWS.

mod blob;
mod codec;
mod group_commit;
mod keys;
mod queue;
mod record;
mod record_btree;
mod record_store;
mod stream;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use blob::EmbeddedBlobStore;
pub use queue::EmbeddedQueue;
pub use record_store::EmbeddedRecordStore;

use group_commit::GroupCommit;

use crate::ports::{StoreError, StoreResult};

/// The LSM engine's database directory, under the data directory.
const RECORDS_DIR: &str = "records";
/// The B-tree engine's database file (records, small blobs and queues).
const BTREE_FILE: &str = "spine.redb";
/// The queues' database file beside the LSM engine's records.
const QUEUES_FILE: &str = "queues.redb";

/// The open embedded store: the databases behind the record store and the queues, and the blob
/// directory.
#[derive(Clone)]
pub struct EmbeddedStore {
    records: EmbeddedRecordStore,
    queues: Arc<redb::Database>,
    queues_writer: Arc<GroupCommit<Arc<redb::Database>>>,
    blob_dir: PathBuf,
}

/// The page cache of a queues-only redb file: it holds messages in flight, not the data set.
const QUEUE_CACHE_BYTES: usize = 64 * 1024 * 1024;

impl EmbeddedStore {
    /// Opens (or creates) the store in `dir`, records on the LSM engine: `dir/records/`,
    /// `dir/queues.redb` and `dir/blobs/`.
    pub fn open(dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(dir.join("blobs")).map_err(backend)?;
        let db = Arc::new(record::RecordDb::open(&dir.join(RECORDS_DIR), cache_bytes() as u64)?);
        let writer = Arc::new(GroupCommit::start("records-writer", db.clone())?);
        let records = EmbeddedRecordStore::lsm(record::LsmRecords::new(db, writer));
        let (queues, queues_writer) = open_redb(&dir.join(QUEUES_FILE), QUEUE_CACHE_BYTES, "queues-writer")?;
        Ok(EmbeddedStore { records, queues, queues_writer, blob_dir: dir.join("blobs") })
    }

    /// Opens (or creates) the store in `dir`, records on the B-tree engine: `dir/spine.redb` and
    /// `dir/blobs/`. For stores only ever added to, like the audit store: the LSM engine would
    /// merge their ever-growing sorted runs again and again.
    pub fn open_btree(dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(dir.join("blobs")).map_err(backend)?;
        let (db, writer) = open_redb(&dir.join(BTREE_FILE), cache_bytes(), "btree-writer")?;
        record_btree::create_tables(&db)?;
        let records = EmbeddedRecordStore::btree(record_btree::BTreeRecords::new(db.clone(), writer.clone()));
        Ok(EmbeddedStore { records, queues: db, queues_writer: writer, blob_dir: dir.join("blobs") })
    }

    /// Whether `dir` holds a store (either `open` created).
    pub fn exists(dir: &Path) -> bool {
        dir.join(RECORDS_DIR).exists() || dir.join(BTREE_FILE).exists()
    }

    pub fn records(&self) -> EmbeddedRecordStore {
        self.records.clone()
    }

    pub fn queues(&self) -> EmbeddedQueue {
        EmbeddedQueue::new(self.queues.clone(), self.queues_writer.clone())
    }

    pub fn blobs(&self) -> EmbeddedBlobStore {
        EmbeddedBlobStore::new(self.blob_dir.clone(), self.records())
    }
}

/// A redb database file with the queues' tables, and its writer.
type Redb = (Arc<redb::Database>, Arc<GroupCommit<Arc<redb::Database>>>);

/// Opens a redb file; its writer thread is called `writer` (so profiles and per-thread I/O tell the
/// queues' file from a B-tree store's).
fn open_redb(path: &Path, cache: usize, writer: &str) -> StoreResult<Redb> {
    let db = Arc::new(redb::Database::builder().set_cache_size(cache).create(path).map_err(backend)?);
    queue::create_tables(&db)?;
    let writer = Arc::new(GroupCommit::start(writer, db.clone())?);
    Ok((db, writer))
}

/// The record store's cache (LSM: blocks; B-tree: pages): `SPINE_DB_CACHE_MB` MiB, default 1024
/// (the whole store of a 100,000-patient Spine stays in memory; a smaller cache bounds the
/// process's memory instead).
fn cache_bytes() -> usize {
    std::env::var("SPINE_DB_CACHE_MB").ok().and_then(|v| v.parse::<usize>().ok()).unwrap_or(1024) * 1024 * 1024
}

pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}
