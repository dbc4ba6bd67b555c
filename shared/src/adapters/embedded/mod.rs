//! The embedded adapters, durable across restarts: the record store's items, indexes and small
//! blobs in a fjall database (`records/`, log-structured: a write costs what it writes), the queues
//! in a redb database file (`queues.redb`, a B-tree: queues are read and deleted from their head),
//! larger blobs as files (`blobs/`). Each database has one writer thread that commits concurrent
//! writes in groups ([`group_commit`]).

mod blob;
mod codec;
mod group_commit;
mod keys;
mod queue;
mod record;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use blob::EmbeddedBlobStore;
pub use queue::EmbeddedQueue;
pub use record::EmbeddedRecordStore;

use group_commit::GroupCommit;

use crate::ports::{StoreError, StoreResult};

/// The record store's database directory, under the data directory.
const RECORDS_DIR: &str = "records";

/// The open embedded store: the database behind the record store and the queues, and the blob
/// directory.
#[derive(Clone)]
pub struct EmbeddedStore {
    records: Arc<record::RecordDb>,
    records_writer: Arc<GroupCommit<Arc<record::RecordDb>>>,
    queues: Arc<redb::Database>,
    queues_writer: Arc<GroupCommit<Arc<redb::Database>>>,
    blob_dir: PathBuf,
}

/// The queues' page cache: they hold messages in flight, not the data set.
const QUEUE_CACHE_BYTES: usize = 64 * 1024 * 1024;

impl EmbeddedStore {
    /// Opens (or creates) the store in `dir`: `dir/records/`, `dir/queues.redb` and `dir/blobs/`.
    pub fn open(dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(dir.join("blobs")).map_err(backend)?;
        let records = Arc::new(record::RecordDb::open(&dir.join(RECORDS_DIR), cache_bytes())?);
        let records_writer = Arc::new(GroupCommit::start("records-writer", records.clone())?);
        let queues = redb::Database::builder()
            .set_cache_size(QUEUE_CACHE_BYTES)
            .create(dir.join("queues.redb"))
            .map_err(backend)?;
        let queues = Arc::new(queues);
        queue::create_tables(&queues)?;
        let queues_writer = Arc::new(GroupCommit::start("queues-writer", queues.clone())?);
        Ok(EmbeddedStore { records, records_writer, queues, queues_writer, blob_dir: dir.join("blobs") })
    }

    /// Whether `dir` holds a store (one `open` created).
    pub fn exists(dir: &Path) -> bool {
        dir.join(RECORDS_DIR).exists()
    }

    pub fn records(&self) -> EmbeddedRecordStore {
        EmbeddedRecordStore::new(self.records.clone(), self.records_writer.clone())
    }

    pub fn queues(&self) -> EmbeddedQueue {
        EmbeddedQueue::new(self.queues.clone(), self.queues_writer.clone())
    }

    pub fn blobs(&self) -> EmbeddedBlobStore {
        EmbeddedBlobStore::new(self.blob_dir.clone(), self.records())
    }
}

/// The record store's block cache: `SPINE_DB_CACHE_MB` MiB, default 1024 (the whole store of a
/// 100,000-patient Spine stays in memory; a smaller cache bounds the process's memory instead).
fn cache_bytes() -> u64 {
    std::env::var("SPINE_DB_CACHE_MB").ok().and_then(|v| v.parse::<u64>().ok()).unwrap_or(1024) * 1024 * 1024
}

pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}
