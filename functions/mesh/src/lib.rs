//! MESH (the Message Exchange for Social care and Health) — the core the MESH routes share:
//! the `NHSMESH` authorization token ([`auth`]), message ids ([`message_id`]), the `mex-*` request
//! headers and API-version negotiation ([`headers`]), and MESH errors with their v1/v2 JSON bodies
//! ([`error`]). Behaviour follows NHS England's MESH API as the official `mesh-client` (PyPI) and
//! the MESH sandbox exercise it. Its storage ([`store`]) keeps mailboxes, messages, chunks and the
//! token replay records on the record and blob ports ([`model`] has the keys; [`inbox`] the
//! listing's filter and cursor; [`store_error`] the answers and their MESH statuses). [`api`] is
//! every `/messageexchange` route; [`lifecycle`] the 5-day non-delivery reports; [`events`] what
//! goes on the `mesh-events` queue; [`lambda`] the Lambda binaries' wiring.

pub mod api;
pub mod auth;
pub mod error;
pub mod events;
pub mod headers;
pub mod inbox;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod lifecycle;
pub mod message_id;
pub mod model;
pub mod reference;
pub mod store;
pub mod store_error;

pub use api::{MeshContext, handler_for};
pub use auth::{AuthError, AuthToken, ReplayKey, TokenGenerator};
pub use error::MeshError;
pub use headers::{ApiVersion, ChunkRange, ContentEncoding, SendHeaders};
pub use inbox::{InboxCursor, InboxPage, WorkflowFilter};
pub use message_id::MessageId;
pub use model::{Mailbox, MessageMeta, MessageStatus, MessageType};
pub use store::{ChunkReceipt, MeshStore, Transition};
pub use store_error::MeshStoreError;

/// The largest chunk a send takes: API Gateway's 10 MB and Lambda's 6 MB invocation payload, where a
/// binary body arrives base64-encoded (4/3 larger), leave 4,500,000 bytes (6,000,000 encoded) with
/// room for the event around it. The route table's `max_body` for the upload routes says the same.
pub const MAX_CHUNK_BYTES: usize = 4_500_000;
