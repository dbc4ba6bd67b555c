//! Group commit for the audit trail of a busy process (the local Spine): each request serialises
//! its events, hands them to [`BatchingAuditSink`] and waits; one background task takes everything
//! that has arrived, sends it as a few large messages (`AuditBatch` bodies) in one queue call (one
//! durable commit), and then answers every waiting request. A request still gets its answer only
//! once its events are on the queue (fail closed), but a thousand concurrent requests cost one
//! commit, not a thousand.
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

/// An [`AuditSink`] that group-commits onto a queue.
pub struct BatchingAuditSink {
    tx: mpsc::Sender<Waiting>,
}

impl BatchingAuditSink {
    /// Starts the committing task on the current Tokio runtime.
    pub fn start(queue: Arc<dyn Queue>, name: impl Into<String>) -> Self {
        let (tx, rx) = mpsc::channel(MAX_WAITING * 4);
        tokio::spawn(commit_loop(queue, name.into(), rx));
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

async fn commit_loop(queue: Arc<dyn Queue>, name: String, mut rx: mpsc::Receiver<Waiting>) {
    let mut waiting: Vec<Waiting> = Vec::new();
    while rx.recv_many(&mut waiting, MAX_WAITING).await > 0 {
        let events: Vec<&str> = waiting.iter().flat_map(|(e, _)| e.iter().map(String::as_str)).collect();
        let mut ok = true;
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
            if !ok {
                break;
            }
            if let Err(e) = queue.send_batch(&name, call.to_vec()).await {
                tracing::error!(error = %e, events = events.len(), "audit events could not be queued; accesses refused");
                ok = false;
            }
        }
        for (_, done) in waiting.drain(..) {
            let _ = done.send(ok);
        }
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use super::*;
    use crate::audit::{AuditBatch, Outcome};

    #[tokio::test]
    async fn concurrent_requests_share_commits_and_every_event_arrives_as_an_audit_batch() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::adapters::embedded::EmbeddedStore::open(dir.path()).unwrap();
        let queue: Arc<dyn Queue> = Arc::new(store.queues());
        crate::config::ensure_audit_queue(queue.as_ref(), "audit").await.unwrap();
        let sink = Arc::new(BatchingAuditSink::start(queue.clone(), "audit"));
        let route = crate::routes::by_function("pds-get-patient").unwrap();
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let sink = sink.clone();
                tokio::spawn(async move {
                    let e = AuditEvent::new(route, (&format!("r{i}"), None), None, None, Outcome::Allowed, 200);
                    sink.record(vec![e]).await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
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
        let e = AuditEvent::new(route, ("r", None), None, None, Outcome::Allowed, 200);
        assert!(broken.record(vec![e]).await.is_err());
    }
}
