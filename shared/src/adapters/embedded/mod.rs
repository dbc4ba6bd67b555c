//! The embedded adapters: one redb database file holds the record store's table and indexes and
//! the queues; blobs live as files in a directory beside it. Durable across restarts.

mod blob;
mod codec;
mod group_commit;
mod queue;
mod record;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use blob::EmbeddedBlobStore;
pub use queue::EmbeddedQueue;
pub use record::EmbeddedRecordStore;

use crate::ports::{StoreError, StoreResult};

/// The open embedded store: the database behind the record store and the queues, and the blob
/// directory.
#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<redb::Database>,
    writer: Arc<group_commit::GroupCommit>,
    blob_dir: PathBuf,
}

impl EmbeddedStore {
    /// Opens (or creates) the store in `dir`: `dir/spine.redb` and `dir/blobs/`.
    pub fn open(dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(dir.join("blobs")).map_err(backend)?;
        let db =
            redb::Database::builder().set_cache_size(cache_bytes()).create(dir.join("spine.redb")).map_err(backend)?;
        let db = Arc::new(db);
        let writer = group_commit::GroupCommit::start(db.clone())?;
        let store = EmbeddedStore { db, writer, blob_dir: dir.join("blobs") };
        record::create_tables(&store.db)?;
        queue::create_tables(&store.db)?;
        Ok(store)
    }

    pub fn records(&self) -> EmbeddedRecordStore {
        EmbeddedRecordStore::new(self.db.clone(), self.writer.clone())
    }

    pub fn queues(&self) -> EmbeddedQueue {
        EmbeddedQueue::new(self.db.clone(), self.writer.clone())
    }

    pub fn blobs(&self) -> EmbeddedBlobStore {
        EmbeddedBlobStore::new(self.blob_dir.clone(), self.records())
    }
}

/// The database's page cache: `SPINE_DB_CACHE_MB` MiB, default 1024 (the whole store of a
/// 100,000-patient Spine stays in memory; a smaller cache bounds the process's memory instead).
fn cache_bytes() -> usize {
    std::env::var("SPINE_DB_CACHE_MB").ok().and_then(|v| v.parse::<usize>().ok()).unwrap_or(1024) * 1024 * 1024
}

pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}
