//! MESH's asynchronous events: a JSON message on the `mesh-events` queue (SQS in AWS) when a
//! message is accepted into an inbox, acknowledged by its recipient, or expires undelivered. An
//! event names the message, its mailboxes and workflow, never its content.
//!
//! Events follow the state change they announce: the change is committed first, then the event is
//! sent once, by the call that made the change ([`crate::store::ChunkReceipt::accepted_now`],
//! [`crate::store::Transition::changed`]). A failed send is logged (without ids of people, there
//! are none here) and does not undo the change; see the README for why and what closes the gap.

use std::sync::Arc;

use serde::Serialize;
use spine_shared::ports::{OutgoingMessage, Queue};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::model::MessageMeta;

/// The queue's default name (`SPINE_MESH_EVENTS_QUEUE` overrides it).
pub const MESH_EVENTS_QUEUE: &str = "mesh-events";

/// What happened to a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MeshEventKind {
    Accepted,
    Acknowledged,
    Expired,
}

/// The event's JSON body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeshEvent {
    pub event: MeshEventKind,
    pub message_id: String,
    pub sender: String,
    pub recipient: String,
    pub workflow_id: String,
    pub message_type: crate::model::MessageType,
    pub at: String,
}

impl MeshEvent {
    pub fn new(event: MeshEventKind, meta: &MessageMeta, at: OffsetDateTime) -> Self {
        MeshEvent {
            event,
            message_id: meta.id.to_string(),
            sender: meta.sender.clone(),
            recipient: meta.recipient.clone(),
            workflow_id: meta.workflow_id.clone(),
            message_type: meta.message_type,
            at: at.format(&Rfc3339).unwrap_or_default(),
        }
    }
}

/// Sends MESH events to one queue.
#[derive(Clone)]
pub struct MeshEvents {
    queue: Arc<dyn Queue>,
    name: String,
}

impl MeshEvents {
    pub fn new(queue: Arc<dyn Queue>, name: impl Into<String>) -> Self {
        MeshEvents { queue, name: name.into() }
    }

    /// The queue name from `SPINE_MESH_EVENTS_QUEUE`, or [`MESH_EVENTS_QUEUE`].
    pub fn queue_name_from_env() -> String {
        std::env::var("SPINE_MESH_EVENTS_QUEUE")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| MESH_EVENTS_QUEUE.into())
    }

    /// Sends the event; a failure is logged and swallowed (the state change stands). At most once
    /// already, so it is sent lazily: the embedded queue need not wait for the disk.
    pub async fn publish(&self, event: MeshEvent) {
        let body = match serde_json::to_string(&event) {
            Ok(b) => b,
            Err(_) => return,
        };
        let message = OutgoingMessage { id: "0".into(), body };
        if let Err(e) = self.queue.send_batch_lazy(&self.name, vec![message]).await {
            tracing::warn!(event = ?event.event, error = %e, "MESH event not sent");
        }
    }
}

/// Publishes if there is somewhere to publish.
pub async fn publish(events: Option<&MeshEvents>, kind: MeshEventKind, meta: &MessageMeta) {
    if let Some(events) = events {
        events.publish(MeshEvent::new(kind, meta, OffsetDateTime::now_utc())).await;
    }
}
