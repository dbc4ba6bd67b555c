//! Group commit for the audit trail of a busy process (the local Spine): each request hands its
//! events to [`BatchingAuditSink`] and waits; one background task takes everything that has
//! arrived, sends it as a few large messages in one queue call (one durable commit), and then
//! answers every waiting request. A request still gets its answer only once its events are on the
//! queue (fail closed), but a thousand concurrent requests cost one commit, not a thousand.
//!
//! A Lambda serves one request at a time and sends directly ([`super::QueueAuditSink`]).

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};

use super::sink::audit_unavailable;
use super::{AuditBatch, AuditEvent, AuditSink};
use crate::SpineResult;
use crate::ports::Queue;
use crate::ports::queue::{MAX_BATCH, OutgoingMessage};

/// Events per queue message: an event is well under 1 KB, so a message stays far below SQS's
/// 256 KiB limit.
const EVENTS_PER_MESSAGE: usize = 200;
/// Requests waiting for one commit at most.
const MAX_WAITING: usize = EVENTS_PER_MESSAGE * MAX_BATCH;

type Waiting = (Vec<AuditEvent>, oneshot::Sender<bool>);

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
        let (done, queued) = oneshot::channel();
        self.tx.send((events, done)).await.map_err(|_| audit_unavailable())?;
        match queued.await {
            Ok(true) => Ok(()),
            _ => Err(audit_unavailable()),
        }
    }
}

async fn commit_loop(queue: Arc<dyn Queue>, name: String, mut rx: mpsc::Receiver<Waiting>) {
    let mut waiting: Vec<Waiting> = Vec::new();
    while rx.recv_many(&mut waiting, MAX_WAITING).await > 0 {
        let events: Vec<&AuditEvent> = waiting.iter().flat_map(|(e, _)| e.iter()).collect();
        let mut ok = true;
        // One queue call per MAX_BATCH messages: nearly always one.
        let messages: Vec<OutgoingMessage> = events
            .chunks(EVENTS_PER_MESSAGE)
            .enumerate()
            .filter_map(|(i, chunk)| {
                let batch = AuditBatch { events: chunk.iter().map(|e| (*e).clone()).collect() };
                serde_json::to_string(&batch).ok().map(|body| OutgoingMessage { id: i.to_string(), body })
            })
            .collect();
        let expected = events.len().div_ceil(EVENTS_PER_MESSAGE);
        if messages.len() != expected {
            ok = false;
        }
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
