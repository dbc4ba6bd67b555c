//! The audit functions' adapters from the environment, once per cold start. The audit trail has
//! its own table and bucket, so these read their own variables (not `SPINE_TABLE_NAME`):
//! `SPINE_STORE` is `aws` (the default: DynamoDB table `SPINE_AUDIT_TABLE_NAME`, S3 bucket
//! `SPINE_AUDIT_BUCKET`, and SQS for the search's own audit events) or `embedded` (an embedded
//! store in `SPINE_AUDIT_DATA_DIR`, default `<SPINE_DATA_DIR>/audit`, and the main store's audit
//! queue, for `cargo lambda watch`; only in builds with the `embedded` feature).

use std::sync::Arc;

use spine_shared::ports::{Queue, RecordStore};

use crate::writer::AuditWriter;

fn var(name: &str) -> Result<String, String> {
    std::env::var(name).ok().filter(|v| !v.is_empty()).ok_or_else(|| format!("{name} is not set"))
}

/// Whether `SPINE_STORE` asks for the embedded store (and this build has it).
fn embedded_requested() -> Result<bool, String> {
    match std::env::var("SPINE_STORE").unwrap_or_else(|_| "aws".into()).as_str() {
        "aws" => Ok(false),
        "embedded" if cfg!(feature = "embedded") => Ok(true),
        other => Err(format!("SPINE_STORE={other} is not available in this build")),
    }
}

/// The audit table and the queue the search's own audit events go to.
pub async fn search_adapters_from_env() -> Result<(Arc<dyn RecordStore>, Arc<dyn Queue>), String> {
    #[cfg(feature = "embedded")]
    if embedded_requested()? {
        let main = spine_shared::config::adapters_from_env().await?;
        return Ok((Arc::new(embedded::audit_store()?.records()), main.queue));
    }
    embedded_requested()?;
    let config = spine_shared::adapters::aws::config_from_env()?;
    let table = spine_shared::adapters::aws::DynamoRecordStore::from_config(&config, var("SPINE_AUDIT_TABLE_NAME")?);
    Ok((Arc::new(table), Arc::new(spine_shared::adapters::aws::SqsQueue::from_config(&config))))
}

/// The writer over the audit table and the archive bucket.
pub fn writer_from_env() -> Result<AuditWriter, String> {
    #[cfg(feature = "embedded")]
    if embedded_requested()? {
        let store = embedded::audit_store()?;
        return Ok(AuditWriter::new(Arc::new(store.records()), Arc::new(store.blobs())));
    }
    embedded_requested()?;
    let config = spine_shared::adapters::aws::config_from_env()?;
    let table = spine_shared::adapters::aws::DynamoRecordStore::from_config(&config, var("SPINE_AUDIT_TABLE_NAME")?);
    // The concrete stores (not `dyn RecordStore`/`dyn BlobStore`): the writer calls only their
    // puts, so only those are linked into the `audit-writer` binary (see `crate::stores`).
    let archive = Arc::new(spine_shared::adapters::aws::S3BlobStore::from_config(&config, var("SPINE_AUDIT_BUCKET")?));
    Ok(AuditWriter::new(Arc::new(table), archive))
}

#[cfg(feature = "embedded")]
mod embedded {
    use spine_shared::adapters::embedded::EmbeddedStore;

    /// The embedded audit store: `SPINE_AUDIT_DATA_DIR`, or `audit/` in `SPINE_DATA_DIR`.
    pub fn audit_store() -> Result<EmbeddedStore, String> {
        let dir = std::env::var("SPINE_AUDIT_DATA_DIR").unwrap_or_else(|_| {
            format!("{}/audit", std::env::var("SPINE_DATA_DIR").unwrap_or_else(|_| ".spine-data".into()))
        });
        EmbeddedStore::open_btree(std::path::Path::new(&dir)).map_err(|e| e.to_string())
    }
}
