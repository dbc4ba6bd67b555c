//! The local Spine's audit trail, wired as in AWS but in one process: the audit journal is the
//! audit queue (`spine_shared::audit::journal`), each request's events are appended to it before
//! the answer leaves, and the audit writer consumes it in-process (as Lambda's event source
//! mapping runs the `audit-writer` function) into the audit store, a database of its own like the
//! audit table, with its NDJSON archive beside it.

use std::path::Path;
use std::sync::Arc;

use spine_shared::adapters::embedded::EmbeddedStore;
use spine_shared::audit::journal::Flush;
use spine_shared::audit::{AuditJournal, AuditSink, BatchingAuditSink, JournalAuditSink};
use spine_shared::ports::RecordStore;

/// The local audit trail: the sink the pipeline records into, the journal behind it, and the
/// audit store the writer fills (what the privacy officer's search reads).
pub struct LocalAudit {
    pub sink: Arc<dyn AuditSink>,
    pub journal: Arc<AuditJournal>,
    pub store: Arc<dyn RecordStore>,
}

/// Opens `<data_dir>/audit-journal` and `<data_dir>/audit`; starts the writer unless
/// `writer` is false (events then wait in the journal until a start with the writer on).
pub fn open(data_dir: &Path, flush: Flush, writer: bool) -> Result<LocalAudit, String> {
    let journal_dir = data_dir.join("audit-journal");
    let journal =
        AuditJournal::open(&journal_dir, flush).map_err(|e| format!("cannot open {}: {e}", journal_dir.display()))?;
    let audit_dir = data_dir.join("audit");
    let audit_store =
        EmbeddedStore::open_btree(&audit_dir).map_err(|e| format!("cannot open {}: {e}", audit_dir.display()))?;
    let store: Arc<dyn RecordStore> = Arc::new(audit_store.records());
    if writer {
        let writer = spine_audit::AuditWriter::new(store.clone(), Arc::new(audit_store.blobs()));
        tokio::spawn(spine_audit::run_journal(journal.clone(), Arc::new(writer)));
    }
    // Waiting for the disk is worth grouping requests for; a write to the page cache is not.
    let sink: Arc<dyn AuditSink> = if journal.flushes_each_append() {
        Arc::new(BatchingAuditSink::journaled(journal.clone()))
    } else {
        Arc::new(JournalAuditSink::new(journal.clone()))
    };
    Ok(LocalAudit { sink, journal, store })
}

/// The flush policy from `SPINE_AUDIT_FLUSH` (`each`, or milliseconds; default 10 ms).
pub fn flush_from_env() -> Result<Flush, String> {
    match std::env::var("SPINE_AUDIT_FLUSH") {
        Ok(v) => Flush::parse(&v).ok_or_else(|| format!("SPINE_AUDIT_FLUSH={v}: expected `each` or milliseconds")),
        Err(_) => Ok(Flush::DEFAULT),
    }
}
