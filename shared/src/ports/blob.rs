//! The blob store port, shaped like S3: put (whole, or streamed in parts for large objects), get
//! whole or a byte range, head, delete, and a presigned GET URL where the backend offers one.

use async_trait::async_trait;
use bytes::Bytes;
use tokio::io::AsyncRead;

use super::StoreResult;

/// The part size of streamed uploads: S3's multipart minimum.
pub const PART_SIZE: usize = 5 * 1024 * 1024;

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores `body` under `key`, replacing any object there.
    async fn put(&self, key: &str, body: Bytes) -> StoreResult<()>;

    /// [`BlobStore::put`] for an object that only counts once a durable write to the record store
    /// made after it names it (a MESH chunk and its chunk record): a store that shares its commits
    /// with the record store may make it durable with that write instead of on its own. Until then
    /// a crash may lose it — harmless, since nothing refers to it yet. S3 does a plain `put`.
    async fn put_staged(&self, key: &str, body: Bytes) -> StoreResult<()> {
        self.put(key, body).await
    }

    /// Streams `body` to `key` in parts of [`PART_SIZE`], never holding it whole. Returns its size.
    async fn put_stream(&self, key: &str, body: &mut (dyn AsyncRead + Unpin + Send)) -> StoreResult<u64>;

    /// The whole object, if present.
    async fn get(&self, key: &str) -> StoreResult<Option<Bytes>>;

    /// Bytes `start..=end` of the object (clamped to its size), if present.
    async fn get_range(&self, key: &str, start: u64, end_inclusive: u64) -> StoreResult<Option<Bytes>>;

    /// The object's size, if present.
    async fn size(&self, key: &str) -> StoreResult<Option<u64>>;

    /// Deletes the object; deleting an absent object succeeds.
    async fn delete(&self, key: &str) -> StoreResult<()>;

    /// A URL that GETs the object without credentials until `expires_secs` pass, where the backend
    /// can sign one (S3); `None` where it cannot (the embedded store).
    async fn presign_get(&self, key: &str, expires_secs: u64) -> StoreResult<Option<String>>;
}

/// Checks a blob key: non-empty, relative, no `..` segment, printable ASCII.
pub fn validate_key(key: &str) -> StoreResult<()> {
    let ok = !key.is_empty()
        && key.len() <= 1024
        && !key.starts_with('/')
        && key.split('/').all(|s| !s.is_empty() && s != "." && s != "..")
        && key.bytes().all(|b| b.is_ascii_graphic());
    if ok { Ok(()) } else { Err(super::StoreError::Invalid("blob key".into())) }
}
