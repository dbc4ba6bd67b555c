//! MESH (the Message Exchange for Social care and Health) — the core the MESH routes share:
//! the `NHSMESH` authorization token ([`auth`]), message ids ([`message_id`]), the `mex-*` request
//! headers and API-version negotiation ([`headers`]), and MESH errors with their v1/v2 JSON bodies
//! ([`error`]). Behaviour follows NHS England's MESH API as the official `mesh-client` (PyPI) and
//! the MESH sandbox exercise it. The HTTP routes (handshake, inbox, outbox, tracking, lookup) and
//! the storage (mailboxes, messages, chunks, the token replay records) come next.

pub mod auth;
pub mod error;
pub mod headers;
pub mod message_id;

pub use auth::{AuthError, AuthToken, ReplayKey, TokenGenerator};
pub use error::MeshError;
pub use headers::{ApiVersion, ChunkRange, ContentEncoding, SendHeaders};
pub use message_id::MessageId;
