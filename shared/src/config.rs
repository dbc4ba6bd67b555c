//! Choosing the adapters from the environment, once per cold start. `SPINE_STORE` is `aws` (the
//! default, DynamoDB table `SPINE_TABLE_NAME`) or `embedded` (fjall and redb in `SPINE_DATA_DIR`, for
//! `cargo lambda watch`; only in builds with the `embedded` feature).

use std::sync::Arc;

use crate::ports::RecordStore;

/// Where clients reach the APIs, for `fullUrl`s, unless `SPINE_BASE_URL` says otherwise.
pub const DEFAULT_ORIGIN: &str = "https://api.service.nhs.uk";

/// The origin of `fullUrl`s: `SPINE_BASE_URL`, or [`DEFAULT_ORIGIN`].
pub fn origin_from_env() -> String {
    std::env::var("SPINE_BASE_URL").unwrap_or_else(|_| DEFAULT_ORIGIN.to_owned())
}

/// The adapters a function needs: the record store and the queue (audit events and other
/// asynchronous work), from one embedded database or the AWS clients of one configuration.
#[derive(Clone)]
pub struct Adapters {
    pub records: Arc<dyn RecordStore>,
    pub queue: Arc<dyn crate::ports::Queue>,
}

/// The audit queue's name: `SPINE_AUDIT_QUEUE`, or [`crate::audit::AUDIT_QUEUE`].
pub fn audit_queue_from_env() -> String {
    std::env::var("SPINE_AUDIT_QUEUE").unwrap_or_else(|_| crate::audit::AUDIT_QUEUE.to_owned())
}

/// The adapters the environment names.
pub async fn adapters_from_env() -> Result<Adapters, String> {
    let kind = std::env::var("SPINE_STORE").unwrap_or_else(|_| "aws".into());
    match kind.as_str() {
        #[cfg(feature = "aws")]
        "aws" => {
            let table = std::env::var("SPINE_TABLE_NAME").map_err(|_| "SPINE_TABLE_NAME is not set".to_owned())?;
            let config = crate::adapters::aws::config_from_env()?;
            Ok(Adapters {
                records: Arc::new(crate::adapters::aws::DynamoRecordStore::from_config(&config, table)),
                queue: Arc::new(crate::adapters::aws::SqsQueue::from_config(&config)),
            })
        }
        #[cfg(feature = "embedded")]
        "embedded" => {
            let dir = std::env::var("SPINE_DATA_DIR").unwrap_or_else(|_| ".spine-data".into());
            let store = crate::adapters::embedded::EmbeddedStore::open(std::path::Path::new(&dir))
                .map_err(|e| e.to_string())?;
            let queue = store.queues();
            ensure_audit_queue(&queue, &audit_queue_from_env()).await.map_err(|e| e.to_string())?;
            Ok(Adapters { records: Arc::new(store.records()), queue: Arc::new(queue) })
        }
        other => Err(format!("SPINE_STORE={other} is not available in this build")),
    }
}

/// Creates the audit queue and its dead-letter queue where they do not exist (the embedded store;
/// in AWS the CDK stack creates them). A message received five times goes to `<name>-dlq`.
pub async fn ensure_audit_queue(queue: &dyn crate::ports::Queue, name: &str) -> crate::ports::StoreResult<()> {
    use crate::ports::queue::QueueSpec;
    let dlq = format!("{name}-dlq");
    queue.ensure_queue(&dlq, QueueSpec { dead_letter: None }).await?;
    queue.ensure_queue(name, QueueSpec { dead_letter: Some((dlq, 5)) }).await
}
