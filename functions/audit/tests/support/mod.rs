//! What the audit crate's integration tests share: fresh embedded stores, the moto server the test
//! script started (required: a missing server fails the test, it is never skipped), an audit table,
//! bucket and queues on it, audit events to write, and a blob store that always fails.
#![allow(dead_code)]

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_dynamodb::config::BehaviorVersion;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType,
};
use aws_types::SdkConfig;
use aws_types::region::Region;
use bytes::Bytes;
use spine_shared::NhsNumber;
use spine_shared::adapters::aws::{DynamoRecordStore, S3BlobStore, SqsQueue};
use spine_shared::adapters::embedded::EmbeddedStore;
use spine_shared::audit::{Action, AuditBatch, AuditEvent, Basis, Outcome};
use spine_shared::identity::AccessMode;
use spine_shared::ports::{BlobStore, ReceivedMessage, RecordStore, StoreError, StoreResult};
use tokio::io::AsyncRead;

/// A fresh embedded store in a temporary directory (kept alive by the returned guard).
pub fn embedded() -> (tempfile::TempDir, EmbeddedStore) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = EmbeddedStore::open(dir.path()).expect("embedded store opens");
    (dir, store)
}

/// The moto server started by `scripts/test.sh`. The AWS side of every test is required.
pub fn moto_url() -> String {
    std::env::var("SPINE_TEST_MOTO_URL").expect(
        "SPINE_TEST_MOTO_URL is not set: the AWS adapter tests need moto on loopback. Run scripts/test.sh, \
         or start one with scripts/moto.sh start and export SPINE_TEST_MOTO_URL",
    )
}

/// SDK configuration pointing at moto with dummy credentials.
pub fn aws_config() -> SdkConfig {
    let creds = aws_credential_types::Credentials::new("testing", "testing", None, None, "spine-tests");
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-2"))
        .endpoint_url(moto_url())
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(creds))
        .http_client(spine_shared::adapters::aws::http_client())
        .build()
}

/// A unique name for a test's own table, queue or bucket.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// Creates an audit table on moto (the main table's key schema, as the CDK stack defines both).
pub async fn create_table(config: &SdkConfig) -> String {
    let client = aws_sdk_dynamodb::Client::new(config);
    let name = unique("spine-audit");
    let attr = |n: &str| {
        AttributeDefinition::builder().attribute_name(n).attribute_type(ScalarAttributeType::S).build().unwrap()
    };
    let key = |n: &str, t: KeyType| KeySchemaElement::builder().attribute_name(n).key_type(t).build().unwrap();
    let gsi = |n: &str| {
        GlobalSecondaryIndex::builder()
            .index_name(n)
            .key_schema(key(&format!("{n}pk"), KeyType::Hash))
            .key_schema(key(&format!("{n}sk"), KeyType::Range))
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
            .unwrap()
    };
    let mut req = client.create_table().table_name(&name).billing_mode(BillingMode::PayPerRequest);
    for a in ["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"] {
        req = req.attribute_definitions(attr(a));
    }
    req.key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .global_secondary_indexes(gsi("gsi1"))
        .global_secondary_indexes(gsi("gsi2"))
        .send()
        .await
        .expect("moto creates the table");
    name
}

/// The audit table on moto (fresh).
pub async fn dynamo() -> Arc<dyn RecordStore> {
    let config = aws_config();
    let table = create_table(&config).await;
    Arc::new(DynamoRecordStore::from_config(&config, table))
}

/// A fresh S3 bucket on moto.
pub async fn s3() -> Arc<dyn BlobStore> {
    let config = aws_config();
    let bucket = unique("spine-audit");
    let blobs = S3BlobStore::from_config(&config, &bucket);
    blobs
        .client()
        .create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest2)
                .build(),
        )
        .send()
        .await
        .expect("moto creates the bucket");
    Arc::new(blobs)
}

/// SQS on moto.
pub fn sqs() -> SqsQueue {
    SqsQueue::from_config(&aws_config())
}

pub const JANE: &str = "9000000009";
pub const OLIVER: &str = "9000000017";
pub const DR_HART: &str = "555021930100";

/// An event id that is a UUID, unique per call.
pub fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `yyyy-mm-ddT<hh:mm:ss>.000000Z`.
pub fn at(day: &str, hms: &str) -> String {
    format!("{day}T{hms}.000000Z")
}

/// Dr Hart (healthcare worker at Y12345) reading `patient` at `time`.
pub fn event(patient: &str, time: &str) -> AuditEvent {
    AuditEvent {
        id: id(),
        time: time.to_owned(),
        request_id: id(),
        correlation_id: Some("corr-1".into()),
        function: "pds-get-patient".into(),
        activity: "B0820".into(),
        action: Action::Read,
        outcome: Outcome::Allowed,
        status: 200,
        reason: None,
        access_mode: Some(AccessMode::HealthcareWorker),
        subject: Some(DR_HART.into()),
        role_profile_id: Some("555021935107".into()),
        job_role: Some("R8000".into()),
        organisation: Some("Y12345".into()),
        patient: Some(NhsNumber::parse(patient).expect("NHS number")),
        basis: Some(Basis::RegisteredPractice),
        stated_reason: None,
    }
}

/// The same access, self-claimed: a privacy alert.
pub fn alert(patient: &str, time: &str) -> AuditEvent {
    AuditEvent {
        basis: Some(Basis::SelfClaimed),
        stated_reason: Some("Patient at the walk-in centre".into()),
        ..event(patient, time)
    }
}

/// A message body: the events of one request.
pub fn body(events: &[AuditEvent]) -> String {
    serde_json::to_string(&AuditBatch { events: events.to_vec() }).expect("serialises")
}

/// A message as the queue would deliver it.
pub fn received(message_id: &str, events: &[AuditEvent]) -> ReceivedMessage {
    ReceivedMessage {
        message_id: message_id.to_owned(),
        receipt: format!("receipt-{message_id}"),
        body: body(events),
        receive_count: 1,
    }
}

/// A message that is not an audit batch.
pub fn poison(message_id: &str) -> ReceivedMessage {
    ReceivedMessage { body: "{\"not\":\"audit\"}".into(), ..received(message_id, &[]) }
}

/// A blob store whose every call fails, as an unreachable bucket would.
pub struct FailingBlobs;

fn down<T>() -> StoreResult<T> {
    Err(StoreError::Backend("archive unreachable".into()))
}

#[async_trait]
impl BlobStore for FailingBlobs {
    async fn put(&self, _: &str, _: Bytes) -> StoreResult<()> {
        down()
    }
    async fn put_stream(&self, _: &str, _: &mut (dyn AsyncRead + Unpin + Send)) -> StoreResult<u64> {
        down()
    }
    async fn get(&self, _: &str) -> StoreResult<Option<Bytes>> {
        down()
    }
    async fn get_range(&self, _: &str, _: u64, _: u64) -> StoreResult<Option<Bytes>> {
        down()
    }
    async fn size(&self, _: &str) -> StoreResult<Option<u64>> {
        down()
    }
    async fn delete(&self, _: &str) -> StoreResult<()> {
        down()
    }
    async fn presign_get(&self, _: &str, _: u64) -> StoreResult<Option<String>> {
        down()
    }
}
