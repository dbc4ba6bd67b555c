//! MESH's reference data, for the sample events in `events/mesh-*` and the tests: the three
//! mailboxes NHS England's MESH sandbox has (`X26ABC1`–`X26ABC3`, password `password`, workflow
//! `TEST_WORKFLOW`) and three messages from `X26ABC1` to `X26ABC2` with fixed ids — one accepted
//! single-chunk message, one accepted two-chunk message, and one three-chunk message still
//! uploading (chunk 1 of 3 received). Their ids are fixed, their times are the seeding's (so
//! nothing has expired).

use bytes::Bytes;
use time::OffsetDateTime;

use crate::MeshStore;
use crate::auth::TokenGenerator;
use crate::headers::{ContentEncoding, SendHeaders};
use crate::message_id::MessageId;
use crate::model::{Mailbox, MessageMeta};
use crate::store_error::MeshStoreError;

pub const MAILBOXES: [&str; 3] = ["X26ABC1", "X26ABC2", "X26ABC3"];
pub const PASSWORD: &str = "password";
pub const SHARED_KEY: &str = "TestKey";
pub const WORKFLOW: &str = "TEST_WORKFLOW";
/// Accepted, one chunk: [`SINGLE_CHUNK_BODY`].
pub const ACCEPTED_ID: &str = "20261122090000000000_0000A1";
pub const SINGLE_CHUNK_BODY: &[u8] = b"Hello from X26ABC1: a reference MESH message.";
/// Accepted, two chunks.
pub const TWO_CHUNK_ID: &str = "20261122090000000000_0000A2";
/// Uploading, chunk 1 of 3 received.
pub const UPLOADING_ID: &str = "20261122090000000000_0000A3";

/// Seeds the mailboxes and messages.
pub async fn seed(store: &MeshStore) -> Result<(), MeshStoreError> {
    for id in MAILBOXES {
        let mailbox = Mailbox {
            id: id.into(),
            ods_code: "X26".into(),
            name: format!("NHS England test mailbox {}", &id[6..]),
            workflows: vec![WORKFLOW.into()],
            password_plaintext: PASSWORD.into(),
        };
        store.put_mailbox(&mailbox).await?;
    }
    let now = OffsetDateTime::now_utc();
    let message = |id: &str, total: u32| {
        let headers = SendHeaders {
            to: "X26ABC2".into(),
            workflow_id: WORKFLOW.into(),
            chunk_range: None,
            subject: Some("Reference message".into()),
            local_id: Some(format!("reference-{}", &id[id.len() - 2..])),
            partner_id: None,
            file_name: Some("reference.txt".into()),
            content_encrypted: false,
            content_compressed: false,
            content_checksum: None,
            content_type: Some("text/plain".into()),
        };
        let id = MessageId::parse(id).expect("a reference id is a MESH id");
        MessageMeta::from_send(id, "X26ABC1", &headers, ContentEncoding::Identity, total, now)
    };
    let exists = |r: Result<_, MeshStoreError>| match r {
        Ok(_) | Err(MeshStoreError::AlreadyExists) => Ok(()),
        Err(e) => Err(e),
    };
    exists(store.start_message(message(ACCEPTED_ID, 1), Bytes::from_static(SINGLE_CHUNK_BODY)).await)?;
    exists(store.start_message(message(TWO_CHUNK_ID, 2), Bytes::from_static(b"first chunk; ")).await)?;
    let two = MessageId::parse(TWO_CHUNK_ID).expect("id");
    store.put_chunk(&two, "X26ABC1", 2, ContentEncoding::Identity, Bytes::from_static(b"second chunk.")).await?;
    exists(store.start_message(message(UPLOADING_ID, 3), Bytes::from_static(b"chunk one of three")).await)?;
    Ok(())
}

/// A fresh `NHSMESH` token for a reference mailbox (fresh nonce, this minute).
pub fn token(mailbox: &str) -> String {
    TokenGenerator::new(SHARED_KEY.as_bytes(), mailbox, PASSWORD).next_token(OffsetDateTime::now_utc())
}
