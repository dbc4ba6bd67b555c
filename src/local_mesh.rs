//! MESH in the local Spine: its context over the embedded store (chunks as files under
//! `<data-dir>/blobs/mesh/`, events on the embedded `mesh-events` queue), the seeded mailboxes
//! (the Spine Directory's `X26ABC1`–`X26ABC3`, NHS England's, with the MESH sandbox's password
//! `password`, so `mesh-client` works as it does against the sandbox), and the lifecycle job the
//! schedule runs in AWS: every minute, the 5-day non-delivery reports, and the 30-day purge of
//! chunks — files and the small ones the blob store keeps in its database (the S3 lifecycle rule's
//! part; the records' TTL is the store's).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use spine_mesh::events::{MESH_EVENTS_QUEUE, MeshEvents};
use spine_mesh::{Mailbox, MeshContext, MeshStore, MessageId};
use spine_sds::repository::DirectoryRepository;
use spine_shared::adapters::embedded::EmbeddedBlobStore;
use spine_shared::ports::queue::QueueSpec;
use spine_shared::ports::{BlobStore, Queue, RecordStore};
use time::OffsetDateTime;

/// The shared key when `MESH_SHARED_KEY` is not set: the MESH sandbox's.
pub const DEFAULT_SHARED_KEY: &str = "TestKey";
/// The seeded mailboxes' password (the MESH sandbox's).
pub const SEEDED_PASSWORD: &str = "password";
/// The organisation whose directory mailboxes are seeded with passwords.
const SEEDED_ODS: &str = "X26";

/// The shared key: `MESH_SHARED_KEY`, or [`DEFAULT_SHARED_KEY`].
pub fn shared_key_from_env() -> String {
    std::env::var("MESH_SHARED_KEY").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| DEFAULT_SHARED_KEY.into())
}

/// MESH over the local stores; creates the events queue and its dead-letter queue.
pub async fn context(
    records: Arc<dyn RecordStore>,
    blobs: Arc<dyn BlobStore>,
    queue: Arc<dyn Queue>,
    shared_key: &str,
) -> Result<MeshContext, String> {
    let dlq = format!("{MESH_EVENTS_QUEUE}-dlq");
    queue.ensure_queue(&dlq, QueueSpec { dead_letter: None }).await.map_err(|e| e.to_string())?;
    queue
        .ensure_queue(MESH_EVENTS_QUEUE, QueueSpec { dead_letter: Some((dlq, 5)) })
        .await
        .map_err(|e| e.to_string())?;
    Ok(MeshContext {
        store: MeshStore::new(records.clone(), blobs),
        directory: DirectoryRepository::new(records),
        shared_key: shared_key.as_bytes().into(),
        events: Some(MeshEvents::new(queue, MESH_EVENTS_QUEUE)),
    })
}

/// Gives the directory's `X26` mailboxes MESH credentials; returns their ids.
pub async fn seed_mailboxes(ctx: &MeshContext) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    for m in ctx.directory.mesh_mailboxes_of(SEEDED_ODS).await.map_err(|e| e.to_string())? {
        let mailbox = Mailbox {
            id: m.id.clone(),
            ods_code: m.ods.clone(),
            name: m.description.clone(),
            workflows: m.workflows.clone(),
            password_plaintext: SEEDED_PASSWORD.into(),
        };
        ctx.store.put_mailbox(&mailbox).await.map_err(|e| e.to_string())?;
        ids.push(m.id);
    }
    Ok(ids)
}

/// Runs the lifecycle job every minute in the background.
pub fn spawn_lifecycle(ctx: MeshContext, blobs: EmbeddedBlobStore, blob_dir: PathBuf) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let now = OffsetDateTime::now_utc();
            match spine_mesh::lifecycle::expire_undelivered(&ctx.store, ctx.events.as_ref(), now).await {
                Ok(run) if run.expired > 0 => tracing::info!(expired = run.expired, "MESH non-delivery reports sent"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "MESH expiry pass failed"),
            }
            let dir = blob_dir.clone();
            let files = tokio::task::spawn_blocking(move || purge_chunks(&dir, now)).await.unwrap_or(0);
            let inline = purge_inline_chunks(&blobs, now).await;
            if files + inline > 0 {
                tracing::info!(files, inline, "MESH chunks purged after 30 days");
            }
        }
    });
}

/// Deletes the chunk files of messages created more than 30 days before `now` (a message id
/// starts with its creation time); returns how many messages' chunks went.
pub fn purge_chunks(blob_dir: &Path, now: OffsetDateTime) -> usize {
    let cutoff = now - spine_mesh::model::MESSAGE_RETENTION;
    let Ok(entries) = std::fs::read_dir(blob_dir.join("mesh")) else { return 0 };
    let mut purged = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(id) = name.to_str().and_then(|n| MessageId::parse(n).ok()) else { continue };
        if id.timestamp() < cutoff && std::fs::remove_dir_all(entry.path()).is_ok() {
            purged += 1;
        }
    }
    purged
}

/// Deletes the chunks kept in the database (small ones) of messages created more than 30 days
/// before `now`; returns how many chunks went.
pub async fn purge_inline_chunks(blobs: &EmbeddedBlobStore, now: OffsetDateTime) -> usize {
    let cutoff = now - spine_mesh::model::MESSAGE_RETENTION;
    let Ok(keys) = blobs.inline_keys("mesh/") else { return 0 };
    let mut purged = 0;
    for key in keys {
        let id = key.split('/').nth(1).and_then(|id| MessageId::parse(id).ok());
        if id.is_some_and(|id| id.timestamp() < cutoff) && blobs.delete(&key).await.is_ok() {
            purged += 1;
        }
    }
    purged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purges_only_chunks_older_than_thirty_days() {
        let dir = tempfile::tempdir().unwrap();
        let now = OffsetDateTime::now_utc();
        let old = MessageId::generate(now - time::Duration::days(31));
        let young = MessageId::generate(now - time::Duration::days(29));
        for id in [&old, &young] {
            std::fs::create_dir_all(dir.path().join("mesh").join(id.as_str())).unwrap();
            std::fs::write(dir.path().join("mesh").join(id.as_str()).join("1"), b"chunk").unwrap();
        }
        assert_eq!(purge_chunks(dir.path(), now), 1);
        assert!(!dir.path().join("mesh").join(old.as_str()).exists());
        assert!(dir.path().join("mesh").join(young.as_str()).join("1").exists());
    }

    #[tokio::test]
    async fn purges_small_chunks_kept_in_the_database_too() {
        let dir = tempfile::tempdir().unwrap();
        let store = spine_shared::adapters::embedded::EmbeddedStore::open(dir.path()).unwrap();
        let blobs = store.blobs();
        let now = OffsetDateTime::now_utc();
        let old = format!("mesh/{}/1", MessageId::generate(now - time::Duration::days(31)));
        let young = format!("mesh/{}/1", MessageId::generate(now - time::Duration::days(1)));
        for key in [&old, &young] {
            blobs.put(key, bytes::Bytes::from_static(b"small chunk")).await.unwrap();
        }
        assert_eq!(purge_inline_chunks(&blobs, now).await, 1);
        assert!(blobs.get(&old).await.unwrap().is_none());
        assert!(blobs.get(&young).await.unwrap().is_some());
    }
}
