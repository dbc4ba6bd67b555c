//! The audit trail's own service: the writer that consumes the audit queue (one message = the
//! events of one request, sent by the pipeline's `QueueAuditSink`) into the audit table and the
//! NDJSON archive by day — the `audit-writer` Lambda in AWS, `run_journal` over the audit journal in the local Spine —
//! and the privacy officer's FHIR `AuditEvent` search (`audit-search-events`) over that table.

pub mod archive;
pub mod batch;
pub mod consumer;
#[cfg(feature = "lambda")]
pub mod env;
pub mod fhir;
pub mod handlers;
#[cfg(feature = "local")]
pub mod journal_consumer;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod model;
pub mod resource;
pub mod sqs;
pub mod stores;
pub mod writer;

pub use consumer::drain;
pub use handlers::{AuditContext, handler_for};
#[cfg(feature = "local")]
pub use journal_consumer::{drain_journal, run_journal};
pub use writer::AuditWriter;
