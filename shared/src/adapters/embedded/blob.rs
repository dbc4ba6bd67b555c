//! The embedded blob store. An object of at most [`INLINE_MAX`] bytes is a row of the database's
//! `blobs` table, written in the record store's commit groups (one `fsync` for many writers, as
//! S3 takes many small PUTs at once); a larger one is a file under the blob directory, written to a
//! temporary file, synced and renamed into place, so a reader never sees half an object and a large
//! object never passes through the database. A key is in one place at a time: writing it in one
//! removes it from the other.

use std::io::SeekFrom;
use std::path::PathBuf;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::backend;
use super::record_store::EmbeddedRecordStore;
use crate::ports::blob::{PART_SIZE, validate_key};
use crate::ports::{BlobStore, StoreResult};

/// Objects up to this size are kept in the database; larger ones are files.
pub const INLINE_MAX: usize = 256 * 1024;

#[derive(Clone)]
pub struct EmbeddedBlobStore {
    dir: PathBuf,
    records: EmbeddedRecordStore,
}

impl EmbeddedBlobStore {
    pub(super) fn new(dir: PathBuf, records: EmbeddedRecordStore) -> Self {
        EmbeddedBlobStore { dir, records }
    }

    /// The object's bytes if the database holds it.
    fn inline(&self, key: &str) -> StoreResult<Option<Bytes>> {
        self.records.blob(key)
    }

    async fn remove_inline(&self, key: &str) -> StoreResult<()> {
        if self.inline(key)?.is_none() {
            return Ok(());
        }
        let key = key.to_owned();
        self.records.write_blob(true, key, None).await
    }

    async fn remove_file(&self, key: &str) -> StoreResult<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(backend(e)),
        }
    }

    /// A small object into the database (durably, or staged for the next durable commit); a large
    /// one into a synced file.
    async fn put_durable(&self, key: &str, body: Bytes, durable: bool) -> StoreResult<()> {
        self.path(key)?;
        if body.len() <= INLINE_MAX {
            self.records.write_blob(durable, key.to_owned(), Some(body)).await?;
            return self.remove_file(key).await;
        }
        let temp = self.temp_path();
        let mut file = tokio::fs::File::create(&temp).await.map_err(backend)?;
        file.write_all(&body).await.map_err(backend)?;
        file.sync_all().await.map_err(backend)?;
        self.commit(temp, key).await?;
        self.remove_inline(key).await
    }

    /// The keys under `prefix` kept in the database (the local MESH purge walks them; files it
    /// finds in the directory).
    pub fn inline_keys(&self, prefix: &str) -> StoreResult<Vec<String>> {
        self.records.blob_keys(prefix)
    }

    fn path(&self, key: &str) -> StoreResult<PathBuf> {
        validate_key(key)?;
        Ok(self.dir.join(key))
    }

    fn temp_path(&self) -> PathBuf {
        self.dir.join(format!(".tmp-{}", uuid::Uuid::new_v4()))
    }

    async fn commit(&self, temp: PathBuf, key: &str) -> StoreResult<()> {
        let path = self.path(key)?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(backend)?;
        }
        tokio::fs::rename(&temp, &path).await.map_err(backend)
    }
}

#[async_trait]
impl BlobStore for EmbeddedBlobStore {
    async fn put(&self, key: &str, body: Bytes) -> StoreResult<()> {
        self.put_durable(key, body, true).await
    }

    /// A small object shares the record store's commits: staged, it is committed without waiting
    /// for the disk and becomes durable with the record write that follows it (the durable
    /// commit's journal `fsync` makes every earlier commit durable). A large one is a synced file either way.
    async fn put_staged(&self, key: &str, body: Bytes) -> StoreResult<()> {
        self.put_durable(key, body, false).await
    }

    async fn put_stream(&self, key: &str, body: &mut (dyn AsyncRead + Unpin + Send)) -> StoreResult<u64> {
        self.path(key)?;
        let temp = self.temp_path();
        let mut file = tokio::fs::File::create(&temp).await.map_err(backend)?;
        let mut buf = vec![0u8; PART_SIZE.min(1 << 20)];
        let mut total = 0u64;
        loop {
            let n = match body.read(&mut buf).await {
                Ok(n) => n,
                Err(e) => {
                    let _ = tokio::fs::remove_file(&temp).await;
                    return Err(backend(e));
                }
            };
            if n == 0 {
                break;
            }
            file.write_all(&buf[..n]).await.map_err(backend)?;
            total += n as u64;
        }
        file.sync_all().await.map_err(backend)?;
        self.commit(temp, key).await?;
        self.remove_inline(key).await?;
        Ok(total)
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Bytes>> {
        if let Some(b) = self.inline(key)? {
            return Ok(Some(b));
        }
        match tokio::fs::read(self.path(key)?).await {
            Ok(b) => Ok(Some(Bytes::from(b))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }

    async fn get_range(&self, key: &str, start: u64, end_inclusive: u64) -> StoreResult<Option<Bytes>> {
        if let Some(b) = self.inline(key)? {
            let size = b.len() as u64;
            if start >= size || end_inclusive < start {
                return Ok(Some(Bytes::new()));
            }
            return Ok(Some(b.slice(start as usize..=end_inclusive.min(size - 1) as usize)));
        }
        let mut file = match tokio::fs::File::open(self.path(key)?).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(backend(e)),
        };
        let size = file.metadata().await.map_err(backend)?.len();
        if start >= size || end_inclusive < start {
            return Ok(Some(Bytes::new()));
        }
        let end = end_inclusive.min(size - 1);
        file.seek(SeekFrom::Start(start)).await.map_err(backend)?;
        let mut buf = vec![0u8; (end - start + 1) as usize];
        file.read_exact(&mut buf).await.map_err(backend)?;
        Ok(Some(Bytes::from(buf)))
    }

    async fn size(&self, key: &str) -> StoreResult<Option<u64>> {
        if let Some(b) = self.inline(key)? {
            return Ok(Some(b.len() as u64));
        }
        match tokio::fs::metadata(self.path(key)?).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.remove_inline(key).await?;
        self.remove_file(key).await
    }

    async fn presign_get(&self, key: &str, _expires_secs: u64) -> StoreResult<Option<String>> {
        self.path(key)?;
        Ok(None)
    }
}
