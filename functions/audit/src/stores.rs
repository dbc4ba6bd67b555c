//! What the audit writer needs of its two stores, and nothing more: of the audit table, putting
//! items (one at a time and in batches); of the archive bucket, putting whole objects. Any record
//! store or blob store behind an `Arc` is one. The writer holds only these, so the `audit-writer`
//! Lambda, built around the concrete DynamoDB and S3 stores, links their puts and none of their
//! queries, reads, deletes, transactions, multipart uploads or presigning (which kept the binary
//! over 4 MiB while it held `dyn RecordStore` and `dyn BlobStore`).

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use spine_shared::ports::{BlobStore, Condition, Item, RecordStore, StoreResult};

/// The audit table, as the writer uses it.
#[async_trait]
pub trait AuditTable: Send + Sync {
    async fn put(&self, item: Item, condition: Condition) -> StoreResult<()>;
    async fn batch_put(&self, items: Vec<Item>) -> StoreResult<()>;
}

#[async_trait]
impl<T: RecordStore + ?Sized> AuditTable for Arc<T> {
    async fn put(&self, item: Item, condition: Condition) -> StoreResult<()> {
        RecordStore::put(self.as_ref(), item, condition).await
    }

    async fn batch_put(&self, items: Vec<Item>) -> StoreResult<()> {
        RecordStore::batch_put(self.as_ref(), items).await
    }
}

/// The archive bucket, as the writer uses it.
#[async_trait]
pub trait Archive: Send + Sync {
    async fn put(&self, key: &str, body: Bytes) -> StoreResult<()>;
}

#[async_trait]
impl<T: BlobStore + ?Sized> Archive for Arc<T> {
    async fn put(&self, key: &str, body: Bytes) -> StoreResult<()> {
        BlobStore::put(self.as_ref(), key, body).await
    }
}
