//! The adapters of the ports: `aws` (DynamoDB, SQS, S3) for Lambda, `embedded` (fjall and redb on local
//! disk and a blob directory) for the local Spine and the tests. Neither is a test double: both pass
//! the same contract suites.

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "embedded")]
pub mod embedded;
