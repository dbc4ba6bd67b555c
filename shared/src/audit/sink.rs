//! Where the pipeline sends audit events: [`QueueAuditSink`] puts the events of one request into one
//! message on the audit queue (SQS, or the embedded queue locally). A failure is a 503 for the
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
