//! Where the pipeline sends audit events: [`QueueAuditSink`] puts the events of one request into one
//! message on the audit queue (SQS in a Lambda); [`JournalAuditSink`] appends them to the local
//! Spine's audit journal; [`super::BatchingAuditSink`] groups many requests' events per commit. A failure is a 503 for the
//! caller: the pipeline never answers with patient data it could not audit.

use std::sync::Arc;

use async_trait::async_trait;

use super::{AuditBatch, AuditEvent};
use crate::ports::Queue;
use crate::ports::queue::OutgoingMessage;
use crate::{ErrorCode, SpineError, SpineResult};

/// The audit queue's name unless `SPINE_AUDIT_QUEUE` says otherwise.
pub const AUDIT_QUEUE: &str = "spine-audit";

/// Records audit events durably (queued) or fails.
#[async_trait]
pub trait AuditSink: Send + Sync {
    async fn record(&self, events: Vec<AuditEvent>) -> SpineResult<()>;
}

/// Sends each request's events as one message on a queue.
pub struct QueueAuditSink {
    queue: Arc<dyn Queue>,
    name: String,
}

impl QueueAuditSink {
    pub fn new(queue: Arc<dyn Queue>, name: impl Into<String>) -> Self {
        QueueAuditSink { queue, name: name.into() }
    }

    /// The queue's name.
    pub fn queue_name(&self) -> &str {
        &self.name
    }
}

/// The caller's answer when the audit trail cannot take an access.
pub fn audit_unavailable() -> SpineError {
    SpineError::new(
        ErrorCode::ServiceUnavailable,
        "The access could not be recorded in the audit trail, so it was not allowed; retry with the same X-Request-ID",
    )
}

#[async_trait]
impl AuditSink for QueueAuditSink {
    async fn record(&self, events: Vec<AuditEvent>) -> SpineResult<()> {
        let Some(first) = events.first() else {
            return Ok(());
        };
        let id = first.id.clone();
        let body = serde_json::to_string(&AuditBatch { events }).map_err(|_| audit_unavailable())?;
        self.queue.send_batch(&self.name, vec![OutgoingMessage { id: "0".into(), body }]).await.map_err(|e| {
            tracing::error!(error = %e, event_id = %id, "audit event could not be queued; access refused");
            audit_unavailable()
        })
    }
}

/// An [`AuditSink`] that appends each request's events to the journal directly, on the
/// request's own task (a write to the page cache: nothing to wait for, so nothing to group).
/// With [`super::journal::Flush::EachAppend`] use [`super::BatchingAuditSink::journaled`], which groups requests
/// per flush.
#[cfg(feature = "embedded")]
pub struct JournalAuditSink {
    journal: Arc<super::AuditJournal>,
}

#[cfg(feature = "embedded")]
impl JournalAuditSink {
    pub fn new(journal: Arc<super::AuditJournal>) -> Self {
        JournalAuditSink { journal }
    }
}

#[cfg(feature = "embedded")]
#[async_trait]
impl AuditSink for JournalAuditSink {
    async fn record(&self, events: Vec<AuditEvent>) -> crate::SpineResult<()> {
        let lines =
            events.iter().map(serde_json::to_string).collect::<Result<Vec<_>, _>>().map_err(|_| audit_unavailable())?;
        self.journal.append(&lines).map_err(|e| {
            tracing::error!(error = %e, events = lines.len(), "audit events could not be recorded; access refused");
            audit_unavailable()
        })
    }
}
