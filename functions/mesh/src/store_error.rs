//! Why a [`crate::store::MeshStore`] operation did not do what was asked, and the MESH response
//! each answer becomes ([`MeshError`]): the statuses of the MESH sandbox (404 unknown message,
//! 403 not the sender / recipient or a replayed token, 423 not uploading, 406 chunk out of range,
//! 417 changed encoding, 410 gone), then 500/503 for the store's own faults. No variant carries a
//! password, a token or message content.

use spine_shared::ports::StoreError;

use crate::error::MeshError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeshStoreError {
    /// No such message (or it has expired).
    #[error("no such message")]
    NotFound,
    /// The caller is not the message's sender.
    #[error("not the message's sender")]
    NotSender,
    /// The caller is not the message's recipient.
    #[error("not the message's recipient")]
    NotRecipient,
    /// A chunk for a message whose status is no longer `uploading` (other than a retry of a chunk
    /// already stored with the same bytes).
    #[error("the message is not uploading")]
    NotUploading,
    /// Chunk number 0 or above the message's total.
    #[error("chunk {chunk} is outside 1..={total}")]
    ChunkOutOfRange { chunk: u32, total: u32 },
    /// A later chunk's `Content-Encoding` differs from chunk 1's.
    #[error("content encoding differs from chunk 1's")]
    EncodingChanged,
    /// The message is no longer available to its recipient (acknowledged, undeliverable, error).
    #[error("the message is gone")]
    Gone,
    /// The token (mailbox, nonce, nonce count) was used before.
    #[error("token already used")]
    Replayed,
    /// A message with this id exists already (generate another id).
    #[error("message id already in use")]
    AlreadyExists,
    /// Other writers kept changing the message; retrying later may succeed.
    #[error("too much contention on the message")]
    Contended,
    /// The record or blob store failed, or a stored item did not decode.
    #[error("store failure: {0}")]
    Backend(String),
}

impl From<StoreError> for MeshStoreError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => MeshStoreError::Contended,
            other => MeshStoreError::Backend(other.to_string()),
        }
    }
}

impl From<serde_json::Error> for MeshStoreError {
    fn from(e: serde_json::Error) -> Self {
        MeshStoreError::Backend(format!("stored item does not decode: {e}"))
    }
}

impl MeshStoreError {
    /// The MESH response for this answer.
    pub fn to_mesh_error(&self) -> MeshError {
        match self {
            MeshStoreError::NotFound => MeshError::message_does_not_exist(),
            MeshStoreError::NotSender => MeshError::not_sender(),
            MeshStoreError::NotRecipient => MeshError::not_recipient(),
            MeshStoreError::NotUploading => MeshError::message_not_uploading(),
            MeshStoreError::ChunkOutOfRange { .. } => MeshError::chunk_out_of_range(),
            MeshStoreError::EncodingChanged => MeshError::content_encoding_changed(),
            MeshStoreError::Gone => MeshError::message_gone(),
            MeshStoreError::Replayed => crate::auth::AuthError::Replayed.to_mesh_error(),
            MeshStoreError::Contended => MeshError::service_unavailable(),
            MeshStoreError::AlreadyExists | MeshStoreError::Backend(_) => MeshError::internal_error(),
        }
    }
}

impl From<MeshStoreError> for MeshError {
    fn from(e: MeshStoreError) -> Self {
        e.to_mesh_error()
    }
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;

    #[test]
    fn each_answer_has_its_mesh_status() {
        let cases = [
            (MeshStoreError::NotFound, StatusCode::NOT_FOUND),
            (MeshStoreError::NotSender, StatusCode::FORBIDDEN),
            (MeshStoreError::NotRecipient, StatusCode::FORBIDDEN),
            (MeshStoreError::NotUploading, StatusCode::LOCKED),
            (MeshStoreError::ChunkOutOfRange { chunk: 4, total: 3 }, StatusCode::NOT_ACCEPTABLE),
            (MeshStoreError::EncodingChanged, StatusCode::EXPECTATION_FAILED),
            (MeshStoreError::Gone, StatusCode::GONE),
            (MeshStoreError::Replayed, StatusCode::FORBIDDEN),
            (MeshStoreError::AlreadyExists, StatusCode::INTERNAL_SERVER_ERROR),
            (MeshStoreError::Contended, StatusCode::SERVICE_UNAVAILABLE),
            (MeshStoreError::Backend("x".into()), StatusCode::INTERNAL_SERVER_ERROR),
        ];
        for (err, status) in cases {
            assert_eq!(MeshError::from(err.clone()).status, status, "{err:?}");
        }
        assert_eq!(MeshError::from(MeshStoreError::Replayed), MeshError::duplicated_auth_token());
        assert_eq!(MeshError::from(MeshStoreError::NotFound).code, "20");
    }

    #[test]
    fn a_transaction_conflict_is_contention_and_other_faults_are_backend() {
        assert_eq!(MeshStoreError::from(StoreError::Conflict), MeshStoreError::Contended);
        assert!(matches!(MeshStoreError::from(StoreError::Backend("down".into())), MeshStoreError::Backend(_)));
    }
}
