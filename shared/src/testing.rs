//! What every crate's integration tests share (feature `testing`, dev-dependencies only): a fresh
//! embedded store on disk, and the moto server the test script starts — required: a missing
//! server fails the test, it is never skipped — with SDK configuration, tables, buckets and queues
//! on it shaped as the CDK stack makes them.

use std::sync::Arc;

use aws_sdk_dynamodb::config::BehaviorVersion;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType,
};
use aws_types::SdkConfig;
use aws_types::region::Region;

use crate::adapters::aws::{DynamoRecordStore, S3BlobStore, SqsQueue};
use crate::adapters::embedded::EmbeddedStore;
use crate::ports::{BlobStore, Condition, Item, Page, Query, RecordStore, StoreResult, WriteOp};

/// A fresh embedded store in a temporary directory (kept alive by the returned guard).
pub fn embedded() -> (tempfile::TempDir, EmbeddedStore) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = EmbeddedStore::open(dir.path()).expect("embedded store opens");
    (dir, store)
}

/// The moto server started by `scripts/test.sh`. The AWS side of every contract is required.
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
        .http_client(crate::adapters::aws::http_client())
        .build()
}

/// A unique name for a test's own table, queue or bucket.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// Creates a table with the Spine's key schema (pk/sk, GSIs gsi1 and gsi2, as the CDK stack
/// defines the main and the audit table) on moto and returns its name.
pub async fn create_table(config: &SdkConfig) -> String {
    let client = aws_sdk_dynamodb::Client::new(config);
    let name = unique("spine");
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

/// A DynamoDB record store on a fresh table on moto.
pub async fn dynamo() -> Arc<dyn RecordStore> {
    let config = aws_config();
    let table = create_table(&config).await;
    Arc::new(DynamoRecordStore::from_config(&config, table))
}

/// An S3 blob store on a fresh bucket on moto.
pub async fn s3() -> Arc<dyn BlobStore> {
    Arc::new(s3_blob_store().await)
}

/// The S3 adapter itself on a fresh bucket on moto (for what only it does: presigned URLs).
pub async fn s3_blob_store() -> S3BlobStore {
    let config = aws_config();
    let bucket = unique("spine");
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
    blobs
}

/// SQS on moto.
pub fn sqs() -> SqsQueue {
    SqsQueue::from_config(&aws_config())
}

/// moto (5.2) serves requests on threads without a lock: two concurrent conditional writes can
/// both pass their condition, and a transaction that fails restores a copy of the whole table
/// taken when it began — undoing writes that other requests committed meanwhile. DynamoDB does
/// neither (each conditional write and each transaction is atomic). So wrap moto's table in this
/// for concurrency tests: it takes one request at a time, and a service's own calls still
/// interleave with one another exactly as they can on DynamoDB, which is what those tests exercise.
pub struct OneAtATime {
    inner: Arc<dyn RecordStore>,
    lock: tokio::sync::Mutex<()>,
}

impl OneAtATime {
    pub fn new(inner: Arc<dyn RecordStore>) -> Self {
        OneAtATime { inner, lock: tokio::sync::Mutex::new(()) }
    }
}

#[async_trait::async_trait]
impl RecordStore for OneAtATime {
    async fn get(&self, pk: &str, sk: &str) -> StoreResult<Option<Item>> {
        let _one = self.lock.lock().await;
        self.inner.get(pk, sk).await
    }

    async fn put(&self, item: Item, condition: Condition) -> StoreResult<()> {
        let _one = self.lock.lock().await;
        self.inner.put(item, condition).await
    }

    async fn delete(&self, pk: &str, sk: &str, condition: Condition) -> StoreResult<()> {
        let _one = self.lock.lock().await;
        self.inner.delete(pk, sk, condition).await
    }

    async fn query(&self, query: Query) -> StoreResult<Page> {
        let _one = self.lock.lock().await;
        self.inner.query(query).await
    }

    async fn transact_write(&self, ops: Vec<WriteOp>) -> StoreResult<()> {
        let _one = self.lock.lock().await;
        self.inner.transact_write(ops).await
    }

    async fn batch_put(&self, items: Vec<Item>) -> StoreResult<()> {
        let _one = self.lock.lock().await;
        self.inner.batch_put(items).await
    }
}
