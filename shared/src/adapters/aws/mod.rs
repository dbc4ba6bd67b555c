//! The AWS adapters: DynamoDB for records, SQS for queues, S3 for blobs. Clients are built once
//! per cold start from Lambda's environment (see [`config_from_env`]).

mod blob;
mod http1;
mod queue;
mod record;

pub use blob::S3BlobStore;
pub use queue::SqsQueue;
pub use record::DynamoRecordStore;

use crate::ports::StoreError;

/// The SDK configuration from the environment, as Lambda provides it: `AWS_REGION`, the
/// function role's credentials in `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
/// `AWS_SESSION_TOKEN`, and optionally `AWS_ENDPOINT_URL` (a local AWS-API server such as moto).
/// Built once per cold start, with no network call. (aws-config's provider chain — profiles, SSO,
/// STS, IMDS — is not linked: a Lambda never needs it, and it would double the binary.)
pub fn config_from_env() -> Result<aws_types::SdkConfig, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")).ok_or("AWS_REGION is not set")?;
    let key = var("AWS_ACCESS_KEY_ID").ok_or("AWS_ACCESS_KEY_ID is not set")?;
    let secret = var("AWS_SECRET_ACCESS_KEY").ok_or("AWS_SECRET_ACCESS_KEY is not set")?;
    let credentials =
        aws_credential_types::Credentials::new(key, secret, var("AWS_SESSION_TOKEN"), None, "environment");
    let mut builder = aws_types::SdkConfig::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_types::region::Region::new(region))
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(credentials))
        .http_client(http_client());
    if let Some(endpoint) = var("AWS_ENDPOINT_URL") {
        builder = builder.endpoint_url(endpoint);
    }
    Ok(builder.build())
}

/// The HTTP(S) client every SDK client uses: HTTP/1.1 over rustls on ring ([`http1`]). The SDK's
/// default (rustls on aws-lc, HTTP/2 as well) would double the size of every Lambda binary.
pub fn http_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    http1::http1_client()
}

/// Whether the SDK talks to a custom endpoint (a local AWS-API server), which for S3 needs
/// path-style addressing.
pub fn custom_endpoint(config: &aws_types::SdkConfig) -> bool {
    config.endpoint_url().is_some()
}

pub(crate) fn backend<E: std::error::Error + 'static>(e: E) -> StoreError {
    StoreError::Backend(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())
}
