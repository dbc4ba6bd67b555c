//! MESH (the Message Exchange for Social care and Health) — the core the MESH routes share:
//! the `NHSMESH` authorization token ([`auth`]), message ids ([`message_id`]), the `mex-*` request
//! headers and API-version negotiation ([`headers`]), and MESH errors with their v1/v2 JSON bodies
//! ([`error`]). Behaviour follows NHS England's MESH API as the official `mesh-client` (PyPI) and
//! the MESH sandbox exercise it. Its storage ([`store`]) keeps mailboxes, messages, chunks and the
//! token replay records on the record and blob ports ([`model`] has the keys; [`inbox`] the
//! listing's filter and cursor; [`store_error`] the answers and their MESH statuses). The HTTP
//! routes (handshake, inbox, outbox, tracking, lookup) come next.

pub mod auth;
pub mod error;
pub mod headers;
pub mod inbox;
pub mod message_id;
pub mod model;
pub mod store;
pub mod store_error;

pub use auth::{AuthError, AuthToken, ReplayKey, TokenGenerator};
pub use error::MeshError;
pub use headers::{ApiVersion, ChunkRange, ContentEncoding, SendHeaders};
pub use inbox::{InboxCursor, InboxPage, WorkflowFilter};
pub use message_id::MessageId;
pub use model::{Mailbox, MessageMeta, MessageStatus, MessageType};
pub use store::{ChunkReceipt, MeshStore, Transition};
pub use store_error::MeshStoreError;
