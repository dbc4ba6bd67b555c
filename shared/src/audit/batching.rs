//! Group commit for the audit trail of a busy process (the local Spine): each request serialises
//! its events, hands them to [`BatchingAuditSink`] and waits; one background task takes everything
//! that has arrived, commits it in one go, and then answers every waiting request. A request still
//! gets its answer only once its events are durable (fail closed), but a thousand concurrent
//! requests cost one commit, not a thousand. The commit goes to a queue (a few large messages of
//! `AuditBatch` bodies in one call: SQS, or the embedded queue) or, in the local Spine, to the
//! [`AuditJournal`](super::journal::AuditJournal) (one `write` and one `fdatasync`).
//!
//! A Lambda serves one request at a time and sends directly ([`super::QueueAuditSink`]).

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};

use super::sink::audit_unavailable;
use super::{AuditEvent, AuditSink};
use crate::SpineResult;
use crate::ports::Queue;
use crate::ports::queue::{MAX_BATCH, OutgoingMessage};

/// Events per queue message: an event is well under 1 KB, so a message stays far below SQS's
/// 256 KiB limit.
const EVENTS_PER_MESSAGE: usize = 200;
/// Requests waiting for one commit at most.
const MAX_WAITING: usize = EVENTS_PER_MESSAGE * MAX_BATCH;

/// A request's events, each already serialised (on the request's own task, so the one committing
/// task only joins strings), and where to say whether they were queued.
type Waiting = (Vec<String>, oneshot::Sender<bool>);

/// Where a group of events is committed.
enum Target {
    Queue(Arc<dyn Queue>, String),
    #[cfg(feature = "embedded")]
    Journal(Arc<super::journal::AuditJournal>),
}

/// An [`AuditSink`] that group-commits onto a queue or the local audit journal.
pub struct BatchingAuditSink {
    tx: mpsc::Sender<Waiting>,
}

impl BatchingAuditSink {
    /// Starts the committing task, onto queue `name`, on the current Tokio runtime.
    pub fn start(queue: Arc<dyn Queue>, name: impl Into<String>) -> Self {
        Self::spawn(Target::Queue(queue, name.into()))
    }

    /// Starts the committing task, onto the local audit journal.
    #[cfg(feature = "embedded")]
    pub fn journaled(journal: Arc<super::journal::AuditJournal>) -> Self {
        Self::spawn(Target::Journal(journal))
    }

    fn spawn(target: Target) -> Self {
        let (tx, rx) = mpsc::channel(MAX_WAITING * 4);
        tokio::spawn(commit_loop(target, rx));
        BatchingAuditSink { tx }
    }
}

#[async_trait]
impl AuditSink for BatchingAuditSink {
    async fn record(&self, events: Vec<AuditEvent>) -> SpineResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let json =
            events.iter().map(serde_json::to_string).collect::<Result<Vec<_>, _>>().map_err(|_| audit_unavailable())?;
        let (done, queued) = oneshot::channel();
        self.tx.send((json, done)).await.map_err(|_| audit_unavailable())?;
        match queued.await {
            Ok(true) => Ok(()),
            _ => Err(audit_unavailable()),
        }
    }
}

async fn commit_loop(target: Target, mut rx: mpsc::Receiver<Waiting>) {
    let mut waiting: Vec<Waiting> = Vec::new();
    while rx.recv_many(&mut waiting, MAX_WAITING).await > 0 {
        let events: Vec<String> = waiting.iter_mut().flat_map(|(e, _)| std::mem::take(e)).collect();
        let count = events.len();
        let ok = match commit(&target, events).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, events = count, "audit events could not be recorded; accesses refused");
                false
            }
        };
        for (_, done) in waiting.drain(..) {
            let _ = done.send(ok);
        }
    }
}

async fn commit(target: &Target, events: Vec<String>) -> Result<(), String> {
    match target {
        Target::Queue(queue, name) => {
            // An `AuditBatch` body per EVENTS_PER_MESSAGE events; one queue call per MAX_BATCH
            // messages: nearly always one.
            let messages: Vec<OutgoingMessage> = events
                .chunks(EVENTS_PER_MESSAGE)
                .enumerate()
                .map(|(i, chunk)| OutgoingMessage {
                    id: i.to_string(),
                    body: format!("{{\"events\":[{}]}}", chunk.join(",")),
                })
                .collect();
            for call in messages.chunks(MAX_BATCH) {
                queue.send_batch(name, call.to_vec()).await.map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        #[cfg(feature = "embedded")]
        Target::Journal(journal) => {
            let journal = journal.clone();
            tokio::task::spawn_blocking(move || journal.append(&events))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())
        }
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use super::*;
    use crate::audit::{Attempt, AuditBatch, Outcome};

    /// Fifty requests (ids r0..r49) recording one event each, all at once; every one succeeds.
    async fn record_fifty_at_once(sink: &Arc<BatchingAuditSink>) {
        let route = crate::routes::by_function("pds-get-patient").unwrap();
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let sink = sink.clone();
                tokio::spawn(async move {
                    let e = AuditEvent::new(
                        route,
                        &Attempt::now(&format!("r{i}"), None),
                        None,
                        None,
                        Outcome::Allowed,
                        200,
                    );
                    sink.record(vec![e]).await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
    }

    #[tokio::test]
    async fn concurrent_requests_share_commits_and_every_event_arrives_as_an_audit_batch() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::adapters::embedded::EmbeddedStore::open(dir.path()).unwrap();
        let queue: Arc<dyn Queue> = Arc::new(store.queues());
        crate::config::ensure_audit_queue(queue.as_ref(), "audit").await.unwrap();
        let sink = Arc::new(BatchingAuditSink::start(queue.clone(), "audit"));
        record_fifty_at_once(&sink).await;
        let mut ids = std::collections::BTreeSet::new();
        loop {
            let got = queue.receive("audit", 10, 30).await.unwrap();
            if got.is_empty() {
                break;
            }
            for m in got {
                let batch: AuditBatch = serde_json::from_str(&m.body).unwrap();
                ids.extend(batch.events.into_iter().map(|e| e.request_id));
            }
        }
        assert_eq!(ids.len(), 50);
        // A queue that does not exist: the caller is told.
        let broken = BatchingAuditSink::start(queue, "no-such-queue");
        let route = crate::routes::by_function("pds-get-patient").unwrap();
        let e = AuditEvent::new(route, &Attempt::now("r", None), None, None, Outcome::Allowed, 200);
        assert!(broken.record(vec![e]).await.is_err());
    }

    #[tokio::test]
    async fn journaled_requests_share_flushes_and_every_event_is_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let journal =
            crate::audit::journal::AuditJournal::open(dir.path(), crate::audit::journal::Flush::EachAppend).unwrap();
        let sink = Arc::new(BatchingAuditSink::journaled(journal.clone()));
        record_fifty_at_once(&sink).await;
        let (lines, _) = journal.read(journal.checkpoint().unwrap(), 1000).unwrap();
        let ids: std::collections::BTreeSet<String> =
            lines.iter().map(|l| serde_json::from_str::<AuditEvent>(l).unwrap().request_id).collect();
        assert_eq!(ids.len(), 50);
    }
}
