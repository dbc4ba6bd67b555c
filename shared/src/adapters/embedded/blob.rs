//! The embedded blob store: one file per object under a directory, written to a temporary file and
//! renamed into place so a reader never sees half an object.

use std::io::SeekFrom;
use std::path::PathBuf;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::backend;
use crate::ports::blob::{PART_SIZE, validate_key};
use crate::ports::{BlobStore, StoreResult};

#[derive(Clone)]
pub struct EmbeddedBlobStore {
    dir: PathBuf,
}

impl EmbeddedBlobStore {
    pub(super) fn new(dir: PathBuf) -> Self {
        EmbeddedBlobStore { dir }
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
        self.path(key)?;
        let temp = self.temp_path();
        let mut file = tokio::fs::File::create(&temp).await.map_err(backend)?;
        file.write_all(&body).await.map_err(backend)?;
        file.sync_all().await.map_err(backend)?;
        self.commit(temp, key).await
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
        Ok(total)
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Bytes>> {
        match tokio::fs::read(self.path(key)?).await {
            Ok(b) => Ok(Some(Bytes::from(b))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }

    async fn get_range(&self, key: &str, start: u64, end_inclusive: u64) -> StoreResult<Option<Bytes>> {
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
        match tokio::fs::metadata(self.path(key)?).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(backend(e)),
        }
    }

    async fn presign_get(&self, key: &str, _expires_secs: u64) -> StoreResult<Option<String>> {
        self.path(key)?;
        Ok(None)
    }
}
