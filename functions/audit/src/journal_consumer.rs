//! The local Spine's audit writer loop over the audit journal (its local audit queue, see
//! `spine_shared::audit::journal`): read up to [`MAX_EVENTS`] lines from the checkpoint, store
//! their events with the [`AuditWriter`] (`write_events`: the same table items and archive objects
//! as the `audit-writer` Lambda), and move the checkpoint past them once they are stored.
//!
//! Failures: if storing fails the checkpoint stays where it was and the turn is retried after a
//! back-off (the writer is idempotent, so the part that was stored is stored once).
//! A line that is not an audit event cannot have come from the sink; it is set aside in the
//! journal's `rejected.ndjson` rather than block the trail.

use std::sync::Arc;
use std::time::Duration;

use spine_shared::audit::{AuditEvent, AuditJournal};
use spine_shared::ports::StoreError;

use crate::writer::AuditWriter;

/// The most events one write takes (a second's worth under the EPS benchmark's load).
pub const MAX_EVENTS: usize = 10_000;

/// The pause after a turn that emptied the journal, as the `audit-writer` Lambda's batching window
/// in AWS (1 s): events gather meanwhile (the journal holds them durably), so that under load a
/// turn stores thousands of them with one commit, and an event reaches the audit store within about
/// a second. Each turn costs two `fsync`s, an archive object and the checkpoint, and rewrites the
/// audit store's upper B-tree pages and the tails of its time-ordered indexes: one turn of a few
/// thousand events shares what ten turns of a few hundred each paid for.
const GATHER: Duration = Duration::from_secs(1);
const BACK_OFF: Duration = Duration::from_secs(1);

/// Why a turn stopped short.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("audit journal: {0}")]
    Io(#[from] std::io::Error),
    #[error("audit store: {0}")]
    Store(#[from] StoreError),
}

/// One turn: returns how many lines it consumed, stored or set aside (0: nothing new).
pub async fn consume_journal(journal: &Arc<AuditJournal>, writer: &AuditWriter) -> Result<usize, JournalError> {
    let j = journal.clone();
    let (lines, next) = blocking(move || {
        let from = j.checkpoint()?;
        j.read(from, MAX_EVENTS)
    })
    .await?;
    if lines.is_empty() {
        return Ok(0);
    }
    let lines_read = lines.len();
    let mut events = Vec::with_capacity(lines.len());
    for line in lines {
        match serde_json::from_str::<AuditEvent>(&line) {
            Ok(event) => events.push(event),
            Err(_) => {
                tracing::warn!(bytes = line.len(), "a journal line that is not an audit event was set aside");
                let j = journal.clone();
                blocking(move || j.reject(&line)).await?;
            }
        }
    }
    if !events.is_empty() {
        writer.write_events(&events).await?;
    }
    let j = journal.clone();
    blocking(move || j.set_checkpoint(next)).await?;
    Ok(lines_read)
}

/// The local Spine's audit writer: runs until the task is dropped; logs failures and backs off.
pub async fn run_journal(journal: Arc<AuditJournal>, writer: Arc<AuditWriter>) {
    loop {
        match consume_journal(&journal, &writer).await {
            Ok(n) if n < MAX_EVENTS => tokio::time::sleep(GATHER).await,
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "audit journal not written to the audit store; retrying in a second");
                tokio::time::sleep(BACK_OFF).await;
            }
        }
    }
}

/// Consumes until the journal has nothing new (tests, shutdown). Returns the lines consumed.
pub async fn drain_journal(journal: &Arc<AuditJournal>, writer: &AuditWriter) -> Result<usize, JournalError> {
    let mut total = 0;
    loop {
        match consume_journal(journal, writer).await? {
            0 => return Ok(total),
            n => total += n,
        }
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, JournalError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| JournalError::Io(std::io::Error::other(e.to_string())))?
        .map_err(JournalError::Io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spine_shared::adapters::embedded::EmbeddedStore;
    use spine_shared::audit::journal::Flush;
    use spine_shared::audit::{Attempt, AuditSink, BatchingAuditSink, Outcome};
    use spine_shared::ports::{BlobStore, Index, KeyCondition, Query, RecordStore};

    #[tokio::test]
    async fn journaled_events_reach_the_audit_table_once_and_the_journal_moves_on() {
        let dir = tempfile::tempdir().unwrap();
        let journal = AuditJournal::open(&dir.path().join("journal"), Flush::DEFAULT).unwrap();
        let store = EmbeddedStore::open_btree(&dir.path().join("audit")).unwrap();
        let table: Arc<dyn RecordStore> = Arc::new(store.records());
        let archive: Arc<dyn BlobStore> = Arc::new(store.blobs());
        let writer = AuditWriter::new(table.clone(), archive);
        let sink = BatchingAuditSink::journaled(journal.clone());
        let route = spine_shared::routes::by_function("pds-get-patient").unwrap();
        let nhs = spine_shared::NhsNumber::parse("9000000009").unwrap();
        for i in 0..30 {
            let e = AuditEvent::new(
                route,
                &Attempt::now(&format!("req-{i}"), None),
                None,
                Some(nhs),
                Outcome::Allowed,
                200,
            );
            sink.record(vec![e]).await.unwrap();
        }
        journal.reject("ignored").unwrap();
        // A line no sink wrote (as if the disk had garbled one): set aside, the rest still flows.
        journal.append(&["{\"not\":\"an event\"}".to_owned()]).unwrap();
        assert_eq!(drain_journal(&journal, &writer).await.unwrap(), 31, "30 events and the line set aside");
        assert_eq!(drain_journal(&journal, &writer).await.unwrap(), 0, "nothing twice");
        let rejected = std::fs::read_to_string(dir.path().join("journal/rejected.ndjson")).unwrap();
        assert!(rejected.contains("an event"));
        let pk = crate::model::patient_pk(&nhs.to_string());
        let page = table.query(Query::new(Index::Gsi1, &pk, KeyCondition::All).limit(100)).await.unwrap();
        let mut ids: Vec<String> = page.items.iter().map(|i| crate::model::event_of(i).unwrap().request_id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 30);
    }
}
