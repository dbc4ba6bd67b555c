//! The AWS adapters: DynamoDB for records, SQS for queues, S3 for blobs. Clients are built once
//! per cold start from the standard environment (`AWS_REGION`, credentials, and `AWS_ENDPOINT_URL`
//! to point them at a local AWS-API server such as moto).

mod blob;
mod queue;
mod record;

pub use blob::S3BlobStore;
pub use queue::SqsQueue;
pub use record::DynamoRecordStore;

use crate::ports::StoreError;

/// The shared SDK configuration, loaded once.
pub async fn load_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// Whether the SDK talks to a custom endpoint (a local AWS-API server), which for S3 needs
/// path-style addressing.
pub fn custom_endpoint(config: &aws_config::SdkConfig) -> bool {
    config.endpoint_url().is_some()
}

pub(crate) fn backend<E: std::error::Error + 'static>(e: E) -> StoreError {
    StoreError::Backend(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())
}
