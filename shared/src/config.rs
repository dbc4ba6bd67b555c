//! Choosing the adapters from the environment, once per cold start. `SPINE_STORE` is `aws` (the
//! default, DynamoDB table `SPINE_TABLE_NAME`) or `embedded` (redb in `SPINE_DATA_DIR`, for
//! `cargo lambda watch`; only in builds with the `embedded` feature).

use std::sync::Arc;

use crate::ports::RecordStore;

/// Where clients reach the APIs, for `fullUrl`s, unless `SPINE_BASE_URL` says otherwise.
pub const DEFAULT_ORIGIN: &str = "https://api.service.nhs.uk";

/// The origin of `fullUrl`s: `SPINE_BASE_URL`, or [`DEFAULT_ORIGIN`].
pub fn origin_from_env() -> String {
    std::env::var("SPINE_BASE_URL").unwrap_or_else(|_| DEFAULT_ORIGIN.to_owned())
}

/// The record store the environment names.
pub async fn record_store_from_env() -> Result<Arc<dyn RecordStore>, String> {
    let kind = std::env::var("SPINE_STORE").unwrap_or_else(|_| "aws".into());
    match kind.as_str() {
        #[cfg(feature = "aws")]
        "aws" => {
            let table = std::env::var("SPINE_TABLE_NAME").map_err(|_| "SPINE_TABLE_NAME is not set".to_owned())?;
            let config = crate::adapters::aws::config_from_env()?;
            Ok(Arc::new(crate::adapters::aws::DynamoRecordStore::from_config(&config, table)))
        }
        #[cfg(feature = "embedded")]
        "embedded" => {
            let dir = std::env::var("SPINE_DATA_DIR").unwrap_or_else(|_| ".spine-data".into());
            let store = crate::adapters::embedded::EmbeddedStore::open(std::path::Path::new(&dir))
                .map_err(|e| e.to_string())?;
            Ok(Arc::new(store.records()))
        }
        other => Err(format!("SPINE_STORE={other} is not available in this build")),
    }
}
