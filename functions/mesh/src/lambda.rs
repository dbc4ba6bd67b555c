//! The MESH Lambda binaries' wiring, once per cold start: the record store and queue from the
//! environment (`SPINE_STORE`, `SPINE_TABLE_NAME`), the chunk bucket (`SPINE_MESH_BUCKET`; the
//! embedded store's blobs under `cargo lambda watch`), the shared key (`MESH_SHARED_KEY`) and the
//! events queue (`SPINE_MESH_EVENTS_QUEUE`). Route functions then run the shared pipeline;
//! `mesh-expire-messages` runs [`crate::lifecycle::expire_undelivered`] on each scheduled event.

use std::sync::Arc;

use spine_sds::repository::DirectoryRepository;
use spine_shared::pipeline::lambda;
use spine_shared::ports::BlobStore;

use crate::api::{MeshContext, MeshHandler, MeshRoute};
use crate::events::MeshEvents;
use crate::store::MeshStore;

fn var(name: &str) -> Result<String, String> {
    std::env::var(name).ok().filter(|v| !v.is_empty()).ok_or_else(|| format!("{name} is not set"))
}

/// The chunk store the environment names.
fn blobs_from_env() -> Result<Arc<dyn BlobStore>, String> {
    #[cfg(feature = "embedded")]
    if std::env::var("SPINE_STORE").as_deref() == Ok("embedded") {
        let dir = std::env::var("SPINE_DATA_DIR").unwrap_or_else(|_| ".spine-data".into());
        let store = spine_shared::adapters::embedded::EmbeddedStore::open(std::path::Path::new(&dir))
            .map_err(|e| e.to_string())?;
        return Ok(Arc::new(store.blobs()));
    }
    let config = spine_shared::adapters::aws::config_from_env()?;
    Ok(Arc::new(spine_shared::adapters::aws::S3BlobStore::from_config(&config, var("SPINE_MESH_BUCKET")?)))
}

/// Everything a MESH function works over, on the adapters the environment named.
pub fn context_from_env(adapters: &spine_shared::config::Adapters) -> Result<MeshContext, String> {
    let shared_key: Arc<[u8]> = var("MESH_SHARED_KEY")?.into_bytes().into();
    Ok(MeshContext {
        store: MeshStore::new(adapters.records.clone(), blobs_from_env()?),
        directory: DirectoryRepository::new(adapters.records.clone()),
        shared_key,
        events: Some(MeshEvents::new(adapters.queue.clone(), MeshEvents::queue_name_from_env())),
    })
}

/// A MESH route function's `main`.
pub async fn run(function: &'static str) -> Result<(), lambda_http::Error> {
    spine_shared::pipeline::logging::init();
    let route = MeshRoute::from_function(function).ok_or_else(|| format!("{function} is not a MESH route"))?;
    let adapters = spine_shared::config::adapters_from_env().await?;
    let context = context_from_env(&adapters)?;
    let access = lambda::access_from_env(&adapters);
    lambda::serve(function, access, MeshHandler::new(route, context)).await
}

/// `mesh-expire-messages`' `main`: each scheduled event (EventBridge, hourly) runs one expiry pass.
pub async fn run_expiry() -> Result<(), lambda_runtime::Error> {
    spine_shared::pipeline::logging::init();
    let adapters = spine_shared::config::adapters_from_env().await?;
    let context = context_from_env(&adapters)?;
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
