//! The ports: what the Spine needs from storage and messaging, no more than DynamoDB, SQS and S3
//! give. Each has an AWS adapter and an embedded adapter (`crate::adapters`), and one contract test
//! suite (`tests/contract_*.rs` at the workspace root) that both must pass.

pub mod blob;
pub mod queue;
pub mod record;

pub use blob::BlobStore;
pub use queue::{BatchOutcome, OutgoingMessage, Queue, ReceivedMessage};
pub use record::{Condition, Cursor, Index, IndexKey, Item, KeyCondition, Page, Query, RecordStore, WriteOp};

/// A failure of a port. `ConditionFailed` is an answer (a condition did not hold); the others are
/// faults of the backend.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A write's condition did not hold. In a transaction, `op` is the index of the operation whose
    /// condition failed, when the backend says.
    #[error("condition failed (operation {op:?})")]
    ConditionFailed { op: Option<usize> },
    /// Two transactions touched the same item at once; retrying may succeed.
    #[error("transaction conflict")]
    Conflict,
    /// A request the port refuses before it reaches the backend (too many items, bad key, …).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The backend failed or could not be reached.
    #[error("backend failure: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Seconds since the Unix epoch, the unit of TTL attributes.
pub fn now_epoch_seconds() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
