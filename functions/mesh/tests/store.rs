//! The MESH store on both adapters: the embedded store (fjall, redb and a blob directory) and AWS
//! (DynamoDB and S3 on moto). Each scenario runs on a fresh table and bucket of each: mailboxes,
//! single-use tokens (also under concurrent use), messages of one and of several chunks sent out
//! of order, retried and raced (accepted exactly once, one blob per chunk), the refusals a chunk
//! upload can meet, inbox paging with a cursor and a workflow filter, acknowledgement and
//! undeliverable marking. (On moto the table is reached one request at a time: see [`OneAtATime`].)

use std::sync::Arc;

use bytes::Bytes;
use spine_mesh::headers::{ContentEncoding, SendHeaders};
use spine_mesh::model::chunk_blob_key;
use spine_mesh::store::check_download;
use spine_mesh::{
    AuthToken, InboxCursor, Mailbox, MeshStore, MeshStoreError, MessageId, MessageMeta, MessageStatus, MessageType,
    ReplayKey, TokenGenerator, WorkflowFilter,
};
use spine_shared::ports::{BlobStore, RecordStore};
use spine_shared::testing::{OneAtATime, dynamo, embedded, s3};
use time::OffsetDateTime;

const SENDER: &str = "X26ABC1";
const RECIPIENT: &str = "X26ABC2";
const OTHER: &str = "X26ABC3";
const WORKFLOW: &str = "TEST_WORKFLOW";

/// One backend's fresh table and bucket.
struct Backend {
    records: Arc<dyn RecordStore>,
    blobs: Arc<dyn BlobStore>,
    _dir: Option<tempfile::TempDir>,
}

impl Backend {
    fn store(&self) -> MeshStore {
        MeshStore::new(self.records.clone(), self.blobs.clone())
    }
}

fn embedded_backend() -> Backend {
    let (dir, store) = embedded();
    Backend { records: Arc::new(store.records()), blobs: Arc::new(store.blobs()), _dir: Some(dir) }
}

async fn moto_backend() -> Backend {
    Backend { records: Arc::new(OneAtATime::new(dynamo().await)), blobs: s3().await, _dir: None }
}

fn headers(to: &str, workflow: &str) -> SendHeaders {
    SendHeaders {
        to: to.into(),
        workflow_id: workflow.into(),
        chunk_range: None,
        subject: Some("Results".into()),
        local_id: Some("local-1".into()),
        partner_id: None,
        file_name: Some("results.dat".into()),
        content_encrypted: false,
        content_compressed: true,
        content_checksum: Some("md5:abc".into()),
        content_type: Some("text/plain".into()),
    }
}

/// A new DATA message from SENDER to `to`, not yet stored.
fn message(to: &str, workflow: &str, total: u32) -> MessageMeta {
    let now = OffsetDateTime::now_utc();
    MessageMeta::from_send(MessageId::generate(now), SENDER, &headers(to, workflow), ContentEncoding::Gzip, total, now)
}

fn body(id: &MessageId, n: u32) -> Bytes {
    Bytes::from(format!("chunk {n} of {id}\n").repeat(n as usize * 10))
}

/// Sends a complete message of `total` chunks (in order) and returns its id.
async fn send(store: &MeshStore, to: &str, workflow: &str, total: u32) -> MessageId {
    let meta = message(to, workflow, total);
    let id = meta.id.clone();
    let receipt = store.start_message(meta, body(&id, 1)).await.unwrap();
    assert_eq!(receipt.accepted_now, total == 1);
    for n in 2..=total {
        store.put_chunk(&id, SENDER, n, ContentEncoding::Gzip, body(&id, n)).await.unwrap();
    }
    id
}

/// Every message id in `mailbox`'s inbox, following cursors.
async fn whole_inbox(store: &MeshStore, mailbox: &str) -> Vec<MessageId> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.inbox(mailbox, None, 100, cursor.as_ref()).await.unwrap();
        out.extend(page.messages);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return out,
        }
    }
}

fn replay_key(nonce_count: u64) -> ReplayKey {
    let mut generator = TokenGenerator::with_nonce(b"shared-key", SENDER, "password", "nonce-1", nonce_count);
    AuthToken::parse(&generator.next_token(OffsetDateTime::now_utc())).unwrap().replay_key()
}

// --- Scenarios ---

async fn mailboxes_are_stored_and_found_ignoring_case(b: Backend) {
    let store = b.store();
    let mailbox = Mailbox {
        id: "x26abc1".into(),
        ods_code: "X26".into(),
        name: "Test practice".into(),
        workflows: vec![WORKFLOW.into(), "PATH_MEDRPT_V3".into()],
        password_plaintext: "password".into(),
    };
    store.put_mailbox(&mailbox).await.unwrap();
    let found = store.mailbox("X26ABC1").await.unwrap().expect("the mailbox");
    assert_eq!(found, Mailbox { id: "X26ABC1".into(), ..mailbox.clone() });
    assert_eq!(found.password_plaintext, "password");
    assert_eq!(store.mailbox("x26abc1").await.unwrap(), Some(found));
    assert_eq!(store.mailbox(OTHER).await.unwrap(), None);
}

async fn a_replayed_token_is_refused(b: Backend) {
    let store = b.store();
    store.record_token(&replay_key(0)).await.unwrap();
    assert_eq!(store.record_token(&replay_key(0)).await, Err(MeshStoreError::Replayed));
    // The next count of the same nonce is another token.
    store.record_token(&replay_key(1)).await.unwrap();
    assert_eq!(store.record_token(&replay_key(1)).await, Err(MeshStoreError::Replayed));
    // A record past its TTL no longer counts (its token fails the timestamp check anyway).
    let expired = ReplayKey {
        key: "X26ABC1:old-nonce:7".into(),
        expires_at: OffsetDateTime::now_utc() - time::Duration::minutes(1),
    };
    store.record_token(&expired).await.unwrap();
    store.record_token(&expired).await.unwrap();
}

async fn concurrent_uses_of_one_token_admit_exactly_one(b: Backend) {
    let store = b.store();
    for count in 10..13 {
        let key = replay_key(count);
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (store, key) = (store.clone(), key.clone());
                tokio::spawn(async move { store.record_token(&key).await })
            })
            .collect();
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
        assert!(results.iter().all(|r| r.is_ok() || *r == Err(MeshStoreError::Replayed)), "{results:?}");
    }
}

async fn a_one_chunk_message_is_accepted_at_once(b: Backend) {
    let store = b.store();
    let meta = message(RECIPIENT, WORKFLOW, 1);
    let id = meta.id.clone();
    let receipt = store.start_message(meta.clone(), body(&id, 1)).await.unwrap();
    assert!(receipt.accepted_now && !receipt.duplicate);
    let stored = store.message(&id).await.unwrap();
    assert_eq!(stored, receipt.meta);
    assert_eq!(stored.status, MessageStatus::Accepted);
    assert_eq!((stored.total_chunks, stored.chunks_received), (1, 1));
    assert_eq!((stored.sender.as_str(), stored.recipient.as_str()), (SENDER, RECIPIENT));
    assert_eq!(stored.message_type, MessageType::Data);
    assert_eq!(stored.subject.as_deref(), Some("Results"));
    assert_eq!(stored.local_id.as_deref(), Some("local-1"));
    assert_eq!(stored.file_name.as_deref(), Some("results.dat"));
    assert_eq!(stored.checksum.as_deref(), Some("md5:abc"));
    assert!(stored.content_compressed && !stored.content_encrypted);
    assert_eq!(ContentEncoding::from(stored.content_encoding), ContentEncoding::Gzip);
    assert!(stored.accepted_at.is_some() && stored.acknowledged_at.is_none());
    assert_eq!(stored.expires_at, (meta.created_at + time::Duration::days(30)).unix_timestamp());
    assert_eq!(store.chunk(&id, 1).await.unwrap(), body(&id, 1));
    assert_eq!(store.chunk(&id, 2).await, Err(MeshStoreError::NotFound));
    assert_eq!(whole_inbox(&store, RECIPIENT).await, vec![id.clone()]);
    assert!(check_download(&stored, RECIPIENT).is_ok());
    assert_eq!(check_download(&stored, SENDER), Err(MeshStoreError::NotRecipient));
    // The id is taken.
    let again = MessageMeta { id: id.clone(), ..message(RECIPIENT, WORKFLOW, 1) };
    assert_eq!(store.start_message(again, Bytes::from_static(b"other")).await, Err(MeshStoreError::AlreadyExists));
    assert_eq!(store.chunk(&id, 1).await.unwrap(), body(&id, 1), "the existing message is untouched");
}

async fn chunks_out_of_order_and_retried_are_accepted_once(b: Backend) {
    let store = b.store();
    let meta = message(RECIPIENT, WORKFLOW, 3);
    let id = meta.id.clone();
    let mut receipts = vec![store.start_message(meta, body(&id, 1)).await.unwrap()];
    assert_eq!(receipts[0].meta.status, MessageStatus::Uploading);
    assert!(whole_inbox(&store, RECIPIENT).await.is_empty(), "not listed while uploading");
    let put = |n: u32| store.put_chunk(&id, SENDER, n, ContentEncoding::Gzip, body(&id, n));
    receipts.push(put(3).await.unwrap());
    receipts.push(put(3).await.unwrap());
    receipts.push(put(1).await.unwrap());
    assert_eq!(store.message(&id).await.unwrap().chunks_received, 2);
    receipts.push(put(2).await.unwrap());
    // Retries after acceptance, with the same bytes (a lost response), are duplicates, not 423.
    receipts.push(put(2).await.unwrap());
    receipts.push(put(3).await.unwrap());
    let flags: Vec<(bool, bool)> = receipts.iter().map(|r| (r.accepted_now, r.duplicate)).collect();
    assert_eq!(
        flags,
        [(false, false), (false, false), (false, true), (false, true), (true, false), (false, true), (false, true)]
    );
    let stored = store.message(&id).await.unwrap();
    assert_eq!((stored.status, stored.chunks_received), (MessageStatus::Accepted, 3));
    for n in 1..=3 {
        assert_eq!(b.blobs.get(&chunk_blob_key(&id, n)).await.unwrap(), Some(body(&id, n)), "blob {n}");
        assert_eq!(store.chunk(&id, n).await.unwrap(), body(&id, n));
    }
    assert_eq!(b.blobs.get(&chunk_blob_key(&id, 4)).await.unwrap(), None);
    assert_eq!(b.blobs.get(&chunk_blob_key(&id, 0)).await.unwrap(), None);
    assert_eq!(whole_inbox(&store, RECIPIENT).await, vec![id]);
}

async fn concurrent_final_chunks_accept_once(b: Backend) {
    let store = b.store();
    for _ in 0..3 {
        let meta = message(RECIPIENT, WORKFLOW, 4);
        let id = meta.id.clone();
        store.start_message(meta, body(&id, 1)).await.unwrap();
        // Chunks 2..4 at once, each twice (a client retrying while the first is in flight).
        let tasks: Vec<_> = [2, 3, 4, 2, 3, 4]
            .into_iter()
            .map(|n| {
                let (store, id) = (store.clone(), id.clone());
                tokio::spawn(async move { store.put_chunk(&id, SENDER, n, ContentEncoding::Gzip, body(&id, n)).await })
            })
            .collect();
        let mut receipts = Vec::new();
        for t in tasks {
            receipts.push(t.await.unwrap().unwrap());
        }
        assert_eq!(receipts.iter().filter(|r| r.accepted_now).count(), 1, "accepted exactly once");
        assert_eq!(receipts.iter().filter(|r| !r.duplicate).count(), 3, "each chunk counted once");
        let stored = store.message(&id).await.unwrap();
        assert_eq!((stored.status, stored.chunks_received), (MessageStatus::Accepted, 4));
        for n in 1..=4 {
            assert_eq!(store.chunk(&id, n).await.unwrap(), body(&id, n));
        }
    }
    assert_eq!(whole_inbox(&store, RECIPIENT).await.len(), 3);
}

async fn chunk_uploads_are_refused_when_they_must_be(b: Backend) {
    let store = b.store();
    let meta = message(RECIPIENT, WORKFLOW, 2);
    let id = meta.id.clone();
    store.start_message(meta, body(&id, 1)).await.unwrap();
    let put = |mailbox: &'static str, n: u32, encoding: ContentEncoding, bytes: Bytes| {
        let (store, id) = (store.clone(), id.clone());
        async move { store.put_chunk(&id, mailbox, n, encoding, bytes).await }
    };
    let unknown = MessageId::generate(OffsetDateTime::now_utc());
    assert_eq!(
        store.put_chunk(&unknown, SENDER, 2, ContentEncoding::Gzip, body(&unknown, 2)).await,
        Err(MeshStoreError::NotFound)
    );
    assert_eq!(put(RECIPIENT, 2, ContentEncoding::Gzip, body(&id, 2)).await, Err(MeshStoreError::NotSender));
    assert_eq!(
        put(SENDER, 3, ContentEncoding::Gzip, body(&id, 3)).await,
        Err(MeshStoreError::ChunkOutOfRange { chunk: 3, total: 2 })
    );
    assert_eq!(
        put(SENDER, 0, ContentEncoding::Gzip, body(&id, 0)).await,
        Err(MeshStoreError::ChunkOutOfRange { chunk: 0, total: 2 })
    );
    assert_eq!(put(SENDER, 2, ContentEncoding::Identity, body(&id, 2)).await, Err(MeshStoreError::EncodingChanged));
    assert_eq!(store.message(&id).await.unwrap().chunks_received, 1, "nothing refused was counted");
    assert_eq!(b.blobs.get(&chunk_blob_key(&id, 2)).await.unwrap(), None, "nor stored");

    let accepted = put(SENDER, 2, ContentEncoding::Gzip, body(&id, 2)).await.unwrap();
    assert!(accepted.accepted_now);
    // After acceptance: other bytes for a received chunk, or any out-of-range chunk, are refused.
    assert_eq!(
        put(SENDER, 2, ContentEncoding::Gzip, Bytes::from_static(b"other")).await,
        Err(MeshStoreError::NotUploading)
    );
    assert_eq!(put(SENDER, 3, ContentEncoding::Gzip, body(&id, 3)).await, Err(MeshStoreError::NotUploading));
    assert_eq!(store.chunk(&id, 2).await.unwrap(), body(&id, 2), "the stored chunk is unchanged");
    store.acknowledge(&id, RECIPIENT).await.unwrap();
    assert_eq!(
        put(SENDER, 1, ContentEncoding::Gzip, Bytes::from_static(b"late")).await,
        Err(MeshStoreError::NotUploading)
    );
    let stored = store.message(&id).await.unwrap();
    assert_eq!((stored.status, stored.chunks_received), (MessageStatus::Acknowledged, 2));
}

async fn a_chunk_sent_again_while_uploading_replaces_the_stored_one(b: Backend) {
    let store = b.store();
    let meta = message(RECIPIENT, WORKFLOW, 3);
    let id = meta.id.clone();
    store.start_message(meta, body(&id, 1)).await.unwrap();
    let first = store.put_chunk(&id, SENDER, 2, ContentEncoding::Gzip, Bytes::from_static(b"first")).await.unwrap();
    let second = store.put_chunk(&id, SENDER, 2, ContentEncoding::Gzip, Bytes::from_static(b"second")).await.unwrap();
    assert!(!first.duplicate && second.duplicate);
    assert_eq!(store.message(&id).await.unwrap().chunks_received, 2);
    store.put_chunk(&id, SENDER, 3, ContentEncoding::Gzip, body(&id, 3)).await.unwrap();
    assert_eq!(store.chunk(&id, 2).await.unwrap(), Bytes::from_static(b"second"));
    // A retry of what is stored now is a duplicate after acceptance; the replaced bytes are not.
    let retry = store.put_chunk(&id, SENDER, 2, ContentEncoding::Gzip, Bytes::from_static(b"second")).await.unwrap();
    assert!(retry.duplicate && !retry.accepted_now);
    assert_eq!(
        store.put_chunk(&id, SENDER, 2, ContentEncoding::Gzip, Bytes::from_static(b"first")).await,
        Err(MeshStoreError::NotUploading)
    );
}

async fn the_inbox_pages_with_a_cursor_and_a_workflow_filter(b: Backend) {
    let store = b.store();
    let mut sent = Vec::new();
    for i in 0..25 {
        let workflow = if i % 3 == 0 { "PATH_MEDRPT_V3" } else { WORKFLOW };
        let total = if i % 5 == 0 { 2 } else { 1 };
        sent.push((send(&store, RECIPIENT, workflow, total).await, workflow));
    }
    // Neither an unfinished message nor another mailbox's messages are listed.
    let unfinished = message(RECIPIENT, WORKFLOW, 2);
    store.start_message(unfinished.clone(), body(&unfinished.id, 1)).await.unwrap();
    send(&store, OTHER, WORKFLOW, 1).await;

    // The expected order: by acceptance time, then id.
    let mut expected = Vec::new();
    for (id, workflow) in &sent {
        expected.push((store.message(id).await.unwrap().inbox_sk().unwrap(), id.clone(), *workflow));
    }
    expected.sort();
    let ids = |w: Option<&str>| -> Vec<MessageId> {
        expected.iter().filter(|(_, _, wf)| w.is_none_or(|w| *wf == w)).map(|(_, id, _)| id.clone()).collect()
    };

    // Unfiltered: 10, 10, 5.
    let mut listed = Vec::new();
    let mut cursor: Option<InboxCursor> = None;
    let mut sizes = Vec::new();
    loop {
        let page = store.inbox(RECIPIENT, None, 10, cursor.as_ref()).await.unwrap();
        assert_eq!(page.approx_inbox_count, 25);
        sizes.push(page.messages.len());
        listed.extend(page.messages);
        // The cursor survives a round trip through a link.
        match page.next.map(|c| InboxCursor::parse(c.as_str()).unwrap()) {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(sizes, [10, 10, 5]);
    assert_eq!(listed, ids(None));

    // Filtered to the 16 TEST_WORKFLOW messages: 10, 6.
    let filter = WorkflowFilter::parse("TEST_WORKFLOW").unwrap();
    let first = store.inbox(RECIPIENT, Some(&filter), 10, None).await.unwrap();
    assert_eq!(first.messages.len(), 10);
    let next = first.next.clone().expect("a second page");
    let second = store.inbox(RECIPIENT, Some(&filter), 10, Some(&next)).await.unwrap();
    assert_eq!(second.messages.len(), 6);
    assert_eq!(second.next, None);
    assert_eq!(second.approx_inbox_count, 25, "the count ignores the filter");
    assert_eq!([first.messages, second.messages].concat(), ids(Some(WORKFLOW)));

    // The 9 others, by prefix and by negation: one page, nothing after it.
    for f in ["PATH_*", "!TEST_WORKFLOW", "*MEDRPT*"] {
        let page = store.inbox(RECIPIENT, WorkflowFilter::parse(f).as_ref(), 10, None).await.unwrap();
        assert_eq!(page.messages, ids(Some("PATH_MEDRPT_V3")), "{f}");
        assert_eq!(page.next, None, "{f}");
    }
    // A page that ends exactly at the last match has no next.
    let exact = store.inbox(RECIPIENT, WorkflowFilter::parse("PATH_*").as_ref(), 9, None).await.unwrap();
    assert_eq!((exact.messages.len(), exact.next), (9, None));
    let empty = store.inbox(RECIPIENT, WorkflowFilter::parse("NOTHING").as_ref(), 10, None).await.unwrap();
    assert!(empty.messages.is_empty() && empty.next.is_none());

    let other = store.inbox(OTHER, None, 10, None).await.unwrap();
    assert_eq!((other.messages.len(), other.approx_inbox_count), (1, 1));
    assert!(store.inbox("NOBODY", None, 10, None).await.unwrap().messages.is_empty());
}

async fn acknowledging_twice_answers_the_same_and_empties_the_inbox(b: Backend) {
    let store = b.store();
    let id = send(&store, RECIPIENT, WORKFLOW, 2).await;
    let kept = send(&store, RECIPIENT, WORKFLOW, 1).await;
    assert_eq!(store.acknowledge(&id, SENDER).await, Err(MeshStoreError::NotRecipient));
    let unknown = MessageId::generate(OffsetDateTime::now_utc());
    assert_eq!(store.acknowledge(&unknown, RECIPIENT).await, Err(MeshStoreError::NotFound));

    let first = store.acknowledge(&id, &RECIPIENT.to_ascii_lowercase()).await.unwrap();
    assert!(first.changed);
    assert_eq!(first.meta.status, MessageStatus::Acknowledged);
    assert!(first.meta.acknowledged_at.is_some());
    let second = store.acknowledge(&id, RECIPIENT).await.unwrap();
    assert!(!second.changed);
    assert_eq!(second.meta, first.meta, "the same answer");
    assert_eq!(store.message(&id).await.unwrap(), first.meta);

    assert_eq!(whole_inbox(&store, RECIPIENT).await, vec![kept.clone()]);
    assert_eq!(store.inbox(RECIPIENT, None, 10, None).await.unwrap().approx_inbox_count, 1);
    // Still downloadable by its recipient after acknowledgement, as in the sandbox.
    assert!(check_download(&first.meta, RECIPIENT).is_ok());
    assert_eq!(store.chunk(&id, 2).await.unwrap(), body(&id, 2));
    // An acknowledged message is never made undeliverable.
    let late = store.mark_undeliverable(&id).await.unwrap();
    assert!(!late.changed && late.meta.status == MessageStatus::Acknowledged);

    // Concurrent acknowledgements: one changes it, all answer acknowledged.
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (store, kept) = (store.clone(), kept.clone());
            tokio::spawn(async move { store.acknowledge(&kept, RECIPIENT).await })
        })
        .collect();
    let mut changed = 0;
    for t in tasks {
        let tr = t.await.unwrap().unwrap();
        assert_eq!(tr.meta.status, MessageStatus::Acknowledged);
        changed += usize::from(tr.changed);
    }
    assert_eq!(changed, 1);
    assert!(whole_inbox(&store, RECIPIENT).await.is_empty());
}

async fn an_uncollected_message_becomes_undeliverable_once(b: Backend) {
    let store = b.store();
    let id = send(&store, RECIPIENT, WORKFLOW, 1).await;
    let first = store.mark_undeliverable(&id).await.unwrap();
    assert!(first.changed);
    assert_eq!(first.meta.status, MessageStatus::Undeliverable);
    assert!(!store.mark_undeliverable(&id).await.unwrap().changed);
    assert!(whole_inbox(&store, RECIPIENT).await.is_empty());
    assert_eq!(check_download(&first.meta, RECIPIENT), Err(MeshStoreError::Gone));
    // Acknowledging it now changes nothing.
    let ack = store.acknowledge(&id, RECIPIENT).await.unwrap();
    assert!(!ack.changed && ack.meta.status == MessageStatus::Undeliverable);
    // An unfinished message is not undeliverable either (it never reached the inbox).
    let unfinished = message(RECIPIENT, WORKFLOW, 2);
    store.start_message(unfinished.clone(), body(&unfinished.id, 1)).await.unwrap();
    let t = store.mark_undeliverable(&unfinished.id).await.unwrap();
    assert!(!t.changed && t.meta.status == MessageStatus::Uploading);
    assert_eq!(check_download(&t.meta, RECIPIENT), Err(MeshStoreError::Gone));
}

// --- Entry points: every scenario on both adapters ---

macro_rules! on_both_adapters {
    ($($scenario:ident),* $(,)?) => {
        mod embedded_store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::embedded_backend()).await;
                }
            )*
        }
        mod moto {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::moto_backend().await).await;
                }
            )*
        }
    };
}

on_both_adapters!(
    mailboxes_are_stored_and_found_ignoring_case,
    a_replayed_token_is_refused,
    concurrent_uses_of_one_token_admit_exactly_one,
    a_one_chunk_message_is_accepted_at_once,
    chunks_out_of_order_and_retried_are_accepted_once,
    concurrent_final_chunks_accept_once,
    chunk_uploads_are_refused_when_they_must_be,
    a_chunk_sent_again_while_uploading_replaces_the_stored_one,
    the_inbox_pages_with_a_cursor_and_a_workflow_filter,
    acknowledging_twice_answers_the_same_and_empties_the_inbox,
    an_uncollected_message_becomes_undeliverable_once,
);
