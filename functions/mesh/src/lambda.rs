//! The MESH Lambda binaries' wiring, once per cold start, from the environment the CDK stack sets:
//! the record store and queue (`SPINE_STORE`, `SPINE_TABLE_NAME`); the chunk bucket
//! (`SPINE_MESH_BUCKET`, only for the functions that touch chunks; the embedded store's blobs under
//! `cargo lambda watch`); the shared key — in AWS a Secrets Manager secret
//! (`MESH_SHARED_KEY_SECRET_ARN`, read once), locally `MESH_SHARED_KEY`; and the events queue
//! (`SPINE_MESH_EVENTS_QUEUE`). Route functions then run the shared pipeline;
//! `mesh-expire-messages` (no shared key, no bucket) runs [`crate::lifecycle::expire_undelivered`]
//! on each scheduled event.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use spine_sds::repository::DirectoryRepository;
use spine_shared::config::Adapters;
use spine_shared::pipeline::lambda;
use spine_shared::ports::{StoreError, StoreResult};

use crate::api::{MeshContext, MeshHandler, MeshRoute};
use crate::events::MeshEvents;
use crate::store::ChunkStore;
use crate::store::MeshStore;

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The chunk store the environment names; a function given no bucket has none.
fn blobs_from_env() -> Result<Arc<dyn ChunkStore>, String> {
    #[cfg(feature = "embedded")]
    if std::env::var("SPINE_STORE").as_deref() == Ok("embedded") {
        let dir = var("SPINE_DATA_DIR").unwrap_or_else(|| ".spine-data".into());
        let store = spine_shared::adapters::embedded::EmbeddedStore::open(std::path::Path::new(&dir))
            .map_err(|e| e.to_string())?;
        return Ok(Arc::new(store.blobs()));
    }
    let Some(bucket) = var("SPINE_MESH_BUCKET") else { return Ok(Arc::new(NoChunks)) };
    let config = spine_shared::adapters::aws::config_from_env()?;
    Ok(Arc::new(spine_shared::adapters::aws::S3BlobStore::from_config(&config, bucket)))
}

/// The shared key: `MESH_SHARED_KEY`, else the secret `MESH_SHARED_KEY_SECRET_ARN` names.
async fn shared_key_from_env() -> Result<Arc<[u8]>, String> {
    if let Some(key) = var("MESH_SHARED_KEY") {
        return Ok(key.into_bytes().into());
    }
    let arn =
        var("MESH_SHARED_KEY_SECRET_ARN").ok_or("neither MESH_SHARED_KEY nor MESH_SHARED_KEY_SECRET_ARN is set")?;
    let config = spine_shared::adapters::aws::config_from_env()?;
    shared_key_from_secret(&aws_sdk_secretsmanager::Client::new(&config), &arn).await
}

/// Reads the shared key from a Secrets Manager secret (its string value is the key).
pub async fn shared_key_from_secret(client: &aws_sdk_secretsmanager::Client, arn: &str) -> Result<Arc<[u8]>, String> {
    let secret = client.get_secret_value().secret_id(arn).send().await.map_err(|e| {
        format!("cannot read the MESH shared key secret: {}", aws_sdk_secretsmanager::error::DisplayErrorContext(e))
    })?;
    let key = secret.secret_string().filter(|s| !s.is_empty()).ok_or("the MESH shared key secret is empty")?;
    Ok(key.as_bytes().into())
}

/// MESH over the adapters the environment named, keyed by `shared_key`, with chunks in `blobs`.
fn context(adapters: &Adapters, shared_key: Arc<[u8]>, blobs: Arc<dyn ChunkStore>) -> MeshContext {
    MeshContext {
        store: MeshStore::with_chunks(adapters.records.clone(), blobs),
        directory: DirectoryRepository::new(adapters.records.clone()),
        shared_key,
        events: Some(MeshEvents::new(adapters.queue.clone(), MeshEvents::queue_name_from_env())),
    }
}

/// A MESH route function's `main`: route number `R` ([`MeshRoute::number`]) under its function name.
pub async fn run<const R: u8>(function: &'static str) -> Result<(), lambda_http::Error> {
    spine_shared::pipeline::logging::init();
    let route = MeshHandler::<R>::ROUTE;
    if MeshRoute::from_function(function) != Some(route) {
        return Err(format!("{function} is not MESH route {route:?}").into());
    }
    let adapters = spine_shared::config::adapters_from_env().await?;
    // Decided at compile time, so a function that never touches chunks does not link S3 at all.
    let blobs: Arc<dyn ChunkStore> =
        if const { MeshRoute::from_number(R).touches_chunks() } { blobs_from_env()? } else { Arc::new(NoChunks) };
    let context = context(&adapters, shared_key_from_env().await?, blobs);
    let access = lambda::access_from_env(&adapters);
    lambda::serve(function, access, MeshHandler::<R>::new(context)).await
}

/// `mesh-expire-messages`' `main`: each scheduled event (EventBridge, hourly) runs one expiry pass.
pub async fn run_expiry() -> Result<(), lambda_runtime::Error> {
    spine_shared::pipeline::logging::init();
    let adapters = spine_shared::config::adapters_from_env().await?;
    // The job verifies no tokens: it has no shared key.
    let context = context(&adapters, Arc::from(Vec::new()), Arc::new(NoChunks));
    let context = &context;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |_event: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            let now = time::OffsetDateTime::now_utc();
            let run = crate::lifecycle::expire_undelivered(&context.store, context.events.as_ref(), now)
                .await
                .map_err(|e| lambda_runtime::Error::from(e.to_string()))?;
            tracing::info!(found = run.found, expired = run.expired, "MESH expiry pass");
            Ok::<_, lambda_runtime::Error>(serde_json::json!({"found": run.found, "expired": run.expired}))
        },
    ))
    .await
}

/// The chunk store of a function the stack gives no bucket (it never touches chunks): every call
/// is a fault, not a silent success.
struct NoChunks;

fn no_chunks<T>() -> StoreResult<T> {
    Err(StoreError::Backend("this function has no chunk store (SPINE_MESH_BUCKET)".into()))
}

#[async_trait]
impl ChunkStore for NoChunks {
    async fn put_staged(&self, _key: &str, _body: Bytes) -> StoreResult<()> {
        no_chunks()
    }
    async fn get(&self, _key: &str) -> StoreResult<Option<Bytes>> {
        no_chunks()
    }
}
