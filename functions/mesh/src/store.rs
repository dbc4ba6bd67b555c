//! MESH's storage: [`MeshStore`] over the record store (mailboxes, message metadata, chunk
//! records, token replay records — see [`crate::model`] for the keys) and the blob store (one
//! object per chunk). Every operation is safe to run concurrently with itself and to retry.
//!
//! **A chunk is counted once.** Its bytes go to the blob `mesh/<id>/<n>` first (staged:
//! [`BlobStore::put_staged`] — durable, at the latest, with the chunk record's write); then one
//! transaction creates its chunk record (`attribute_not_exists`) *and* writes the message with
//! `chunks_received + 1` on the condition that the message still has the version just read. If the
//! record exists the chunk was received before (a retry): nothing is counted again. If only the
//! version changed, another chunk landed meanwhile: re-read and try again. So `chunks_received` is
//! exactly the number of distinct, range-checked chunk records, and every recorded chunk's blob
//! was written before its record.
//!
//! **A message is accepted exactly once.** The transaction that brings `chunks_received` to
//! `total_chunks` also sets `accepted` (and so puts the message in the recipient's inbox index).
//! It is conditional on the version it read, so of two concurrent final chunks only one commits
//! from that version; the other re-reads, sees its own chunk already counted or the message no
//! longer uploading, and does not transition. The caller whose write made the transition gets
//! [`ChunkReceipt::accepted_now`]. Acknowledge and undeliverable are the same compare-and-set.
//!
//! A retried chunk after acceptance, with the bytes already stored, is answered as a duplicate
//! rather than 423, because mesh-client retries chunk uploads whose response it lost; different
//! bytes for an accepted message are refused ([`MeshStoreError::NotUploading`]). While uploading,
//! a chunk sent again with different bytes replaces the stored ones (last write wins), as in the
//! sandbox.
//!
//! Nothing here logs; errors carry no passwords, tokens or content.

use std::sync::Arc;

use bytes::Bytes;
use sha2::{Digest, Sha256};
use spine_shared::ports::{
    BlobStore, Condition, Cursor, Index, IndexKey, KeyCondition, Query, RecordStore, StoreError, StoreResult, WriteOp,
};
use time::OffsetDateTime;

use crate::auth::ReplayKey;
use crate::headers::ContentEncoding;
use crate::inbox::{InboxCursor, InboxPage, WorkflowFilter};
use crate::message_id::MessageId;
use crate::model::{
    self, ChunkRecord, MESSAGE_SK, Mailbox, MessageMeta, MessageStatus, chunk_blob_key, chunk_sk, decode, inbox_pk,
    message_pk,
};
use crate::store_error::MeshStoreError;

pub type MeshResult<T> = Result<T, MeshStoreError>;

/// How many times a compare-and-set on one message is tried before giving up ([`MeshStoreError::Contended`]).
const MAX_ATTEMPTS: u32 = 50;

/// Counting an inbox stops here: `approx_inbox_count` is exact below it.
pub const INBOX_COUNT_CAP: usize = 10_000;

/// The items read per query page when scanning an inbox.
const SCAN_PAGE: usize = 500;

/// What a chunk upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkReceipt {
    /// The message after this upload.
    pub meta: MessageMeta,
    /// This upload completed the message: it became `accepted` (exactly one upload gets `true`).
    pub accepted_now: bool,
    /// The chunk had been received before; nothing was counted.
    pub duplicate: bool,
}

/// What a status change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The message after the call.
    pub meta: MessageMeta,
    /// This call changed the status (a repeat, or a message in another state, leaves it as it was).
    pub changed: bool,
}

/// What MESH needs of the blob store: a chunk in (staged: durable with its record's write), a
/// chunk out. A port this narrow lets a Lambda binary link only these two S3 calls.
#[async_trait::async_trait]
pub trait ChunkStore: Send + Sync {
    async fn put_staged(&self, key: &str, body: Bytes) -> StoreResult<()>;
    async fn get(&self, key: &str) -> StoreResult<Option<Bytes>>;
}

#[async_trait::async_trait]
impl<T: BlobStore + ?Sized> ChunkStore for T {
    async fn put_staged(&self, key: &str, body: Bytes) -> StoreResult<()> {
        BlobStore::put_staged(self, key, body).await
    }
    async fn get(&self, key: &str) -> StoreResult<Option<Bytes>> {
        BlobStore::get(self, key).await
    }
}

#[derive(Clone)]
pub struct MeshStore {
    records: Arc<dyn RecordStore>,
    blobs: Arc<dyn ChunkStore>,
}

impl MeshStore {
    pub fn new(records: Arc<dyn RecordStore>, blobs: Arc<dyn BlobStore>) -> Self {
        MeshStore { records, blobs: Arc::new(BlobChunks(blobs)) }
    }

    /// Over a chunk store of its own (the Lambda binaries: S3's two calls only).
    pub fn with_chunks(records: Arc<dyn RecordStore>, blobs: Arc<dyn ChunkStore>) -> Self {
        MeshStore { records, blobs }
    }

    // --- Mailboxes ---

    /// Creates or replaces a mailbox.
    pub async fn put_mailbox(&self, mailbox: &Mailbox) -> MeshResult<()> {
        Ok(self.records.put(mailbox.item(), Condition::None).await?)
    }

    /// The mailbox with this id (any case).
    pub async fn mailbox(&self, id: &str) -> MeshResult<Option<Mailbox>> {
        match self.records.get(&model::mailbox_pk(id), model::MAILBOX_SK).await? {
            Some(item) => Ok(Some(decode(&item)?)),
            None => Ok(None),
        }
    }

    // --- Tokens ---

    /// Records a verified token as used. The write succeeds only if no live record has this key,
    /// so of any number of concurrent uses exactly one is `Ok`; the others are
    /// [`MeshStoreError::Replayed`].
    pub async fn record_token(&self, key: &ReplayKey) -> MeshResult<()> {
        // A replay record lost in a power cut costs little, so the embedded store need not wait for
        // the disk (`put_lazy`); DynamoDB writes it durably either way.
        match self.records.put_lazy(model::token_item(key), Condition::NotExists).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed { .. }) => Err(MeshStoreError::Replayed),
            Err(e) => Err(e.into()),
        }
    }

    // --- Sending ---

    /// Creates message `meta` (its id, parties, headers, `total_chunks` ≥ 1, chunk 1's encoding)
    /// with `chunk1` as its first chunk: chunk 1's blob, then one transaction that creates the
    /// message (`attribute_not_exists`) already counting chunk 1 — `accepted` at once when it is the
    /// only chunk, else `uploading` — with chunk 1's record. An id in use is
    /// [`MeshStoreError::AlreadyExists`] and creates nothing; it is checked before the blob is
    /// written, so another message's chunk is never touched (short of two senders drawing the same
    /// id in the same microsecond — one in 2^24 — between that check and the write).
    pub async fn start_message(&self, meta: MessageMeta, chunk1: Bytes) -> MeshResult<ChunkReceipt> {
        if meta.total_chunks == 0 {
            return Err(MeshStoreError::ChunkOutOfRange { chunk: 1, total: 0 });
        }
        if self.records.get(&message_pk(&meta.id), MESSAGE_SK).await?.is_some() {
            return Err(MeshStoreError::AlreadyExists);
        }
        let now = OffsetDateTime::now_utc();
        let accepted = meta.total_chunks == 1;
        let meta = MessageMeta {
            status: if accepted { MessageStatus::Accepted } else { MessageStatus::Uploading },
            chunks_received: 1,
            accepted_at: accepted.then_some(now),
            acknowledged_at: None,
            status_at: if accepted { now } else { meta.status_at },
            ..meta
        };
        let record = ChunkRecord { size: chunk1.len() as u64, sha256: hex::encode(Sha256::digest(&chunk1)) };
        self.blobs.put_staged(&chunk_blob_key(&meta.id, 1), chunk1).await?;
        let ops = vec![
            WriteOp::Put { item: meta.item(1), condition: Condition::NotExists },
            WriteOp::Put { item: record.item(&meta.id, 1, meta.expires_at), condition: Condition::NotExists },
        ];
        match self.records.transact_write(ops).await {
            Ok(()) => Ok(ChunkReceipt { meta, accepted_now: accepted, duplicate: false }),
            Err(StoreError::ConditionFailed { .. }) => Err(MeshStoreError::AlreadyExists),
            Err(e) => Err(e.into()),
        }
    }

    /// Stores chunk `n` of message `id`, sent by `sender` with `encoding`. Checks, in the sandbox's
    /// order: the message exists (404), `sender` sent it (403), it is still uploading (423, except
    /// for a retry of a stored chunk with the same bytes), `n` is within 1..=total (406), the
    /// encoding is chunk 1's (417). The upload that records the last missing chunk makes the
    /// message `accepted` (see the module comment).
    pub async fn put_chunk(
        &self,
        id: &MessageId,
        sender: &str,
        n: u32,
        encoding: ContentEncoding,
        body: Bytes,
    ) -> MeshResult<ChunkReceipt> {
        let digest = hex::encode(Sha256::digest(&body));
        let record = ChunkRecord { size: body.len() as u64, sha256: digest };
        let mut blob_written = false;
        for attempt in 0..MAX_ATTEMPTS {
            let (meta, version) = self.load(id).await?;
            if !meta.is_sender(sender) {
                return Err(MeshStoreError::NotSender);
            }
            let in_range = (1..=meta.total_chunks).contains(&n);
            if meta.status != MessageStatus::Uploading {
                if in_range && self.chunk_record(id, n).await?.is_some_and(|r| r.sha256 == record.sha256) {
                    return Ok(ChunkReceipt { meta, accepted_now: false, duplicate: true });
                }
                return Err(MeshStoreError::NotUploading);
            }
            if !in_range {
                return Err(MeshStoreError::ChunkOutOfRange { chunk: n, total: meta.total_chunks });
            }
            if ContentEncoding::from(meta.content_encoding) != encoding {
                return Err(MeshStoreError::EncodingChanged);
            }
            if !blob_written {
                // A retry of a chunk already stored with these bytes has nothing to write.
                if self.chunk_record(id, n).await?.is_some_and(|r| r.sha256 == record.sha256) {
                    return Ok(ChunkReceipt { meta, accepted_now: false, duplicate: true });
                }
                self.blobs.put_staged(&chunk_blob_key(id, n), body.clone()).await?;
                blob_written = true;
            }

            let now = OffsetDateTime::now_utc();
            let mut next = meta.clone();
            next.chunks_received += 1;
            let accepted_now = next.chunks_received >= next.total_chunks;
            if accepted_now {
                next.status = MessageStatus::Accepted;
                next.accepted_at = Some(now);
                next.status_at = now;
            }
            let ops = vec![
                WriteOp::Put { item: record.item(id, n, meta.expires_at), condition: Condition::NotExists },
                WriteOp::Put { item: next.item(version + 1), condition: Condition::VersionIs(version) },
            ];
            match self.records.transact_write(ops).await {
                Ok(()) => return Ok(ChunkReceipt { meta: next, accepted_now, duplicate: false }),
                Err(StoreError::ConditionFailed { op: Some(0) }) => {
                    return self.recorded_before(id, n, meta, &record).await;
                }
                Err(StoreError::ConditionFailed { op: None }) if self.chunk_record(id, n).await?.is_some() => {
                    return self.recorded_before(id, n, meta, &record).await;
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) => backoff(attempt).await,
                Err(e) => return Err(e.into()),
            }
        }
        Err(MeshStoreError::Contended)
    }

    /// Chunk `n` was recorded by an earlier upload; this one (a retry) has just rewritten its blob.
    /// If the bytes differ the record follows the blob, so a later retry is judged against what is
    /// stored. Nothing is counted.
    async fn recorded_before(
        &self,
        id: &MessageId,
        n: u32,
        meta: MessageMeta,
        record: &ChunkRecord,
    ) -> MeshResult<ChunkReceipt> {
        if self.chunk_record(id, n).await?.is_some_and(|r| r.sha256 != record.sha256) {
            self.records.put(record.item(id, n, meta.expires_at), Condition::Exists).await?;
        }
        let (meta, _) = self.load(id).await?;
        Ok(ChunkReceipt { meta, accepted_now: false, duplicate: true })
    }

    async fn chunk_record(&self, id: &MessageId, n: u32) -> MeshResult<Option<ChunkRecord>> {
        match self.records.get(&message_pk(id), &chunk_sk(n)).await? {
            Some(item) => Ok(Some(decode(&item)?)),
            None => Ok(None),
        }
    }

    // --- Receiving ---

    /// The message's metadata (whatever its status; access rules are the caller's, see
    /// [`check_download`]).
    pub async fn message(&self, id: &MessageId) -> MeshResult<MessageMeta> {
        Ok(self.load(id).await?.0)
    }

    /// The whole of chunk `n` ([`MeshStoreError::NotFound`] for a chunk outside the message or not
    /// uploaded yet, as the sandbox answers 404).
    pub async fn chunk(&self, id: &MessageId, n: u32) -> MeshResult<Bytes> {
        let (meta, _) = self.load(id).await?;
        self.chunk_of(&meta, n).await
    }

    /// [`MeshStore::chunk`] of a message already read.
    pub async fn chunk_of(&self, meta: &MessageMeta, n: u32) -> MeshResult<Bytes> {
        if !(1..=meta.total_chunks).contains(&n) {
            return Err(MeshStoreError::NotFound);
        }
        self.blobs.get(&chunk_blob_key(&meta.id, n)).await?.ok_or(MeshStoreError::NotFound)
    }

    /// One page of `mailbox`'s inbox: at most `max` (at least 1) accepted messages after `cursor`,
    /// oldest acceptance first, those whose workflow `filter` matches; `next` when more matching
    /// messages follow; and the inbox's size.
    pub async fn inbox(
        &self,
        mailbox: &str,
        filter: Option<&WorkflowFilter>,
        max: usize,
        cursor: Option<&InboxCursor>,
    ) -> MeshResult<InboxPage> {
        let max = max.max(1);
        let pk = inbox_pk(mailbox);
        let mut start = cursor.map(|c| Cursor {
            pk: message_pk(c.message_id()),
            sk: MESSAGE_SK.to_owned(),
            index_key: Some(IndexKey::new(pk.clone(), c.as_str())),
        });
        let mut messages = Vec::new();
        let mut last_sort_key: Option<String> = None;
        let mut more = false;
        'pages: loop {
            // Unfiltered, one item past the page says whether another page follows.
            let limit = if filter.is_none() { max + 1 - messages.len() } else { SCAN_PAGE };
            let page = self
                .records
                .query(Query::new(Index::Gsi1, pk.clone(), KeyCondition::All).limit(limit).after(start))
                .await?;
            for item in &page.items {
                let meta: MessageMeta = decode(item)?;
                if meta.status != MessageStatus::Accepted || filter.is_some_and(|f| !f.matches(&meta.workflow_id)) {
                    continue;
                }
                if messages.len() == max {
                    more = true;
                    break 'pages;
                }
                last_sort_key = item.gsi1.as_ref().map(|k| k.sk.clone());
                messages.push(meta.id);
            }
            match page.next {
                Some(next) => start = Some(next),
                None => break,
            }
        }
        let next = if more { last_sort_key.as_deref().and_then(InboxCursor::parse) } else { None };
        Ok(InboxPage { messages, next, approx_inbox_count: self.count_inbox(&pk).await? })
    }

    /// How many messages wait in `mailbox`'s inbox (exact below [`INBOX_COUNT_CAP`]).
    pub async fn inbox_count(&self, mailbox: &str) -> MeshResult<usize> {
        self.count_inbox(&inbox_pk(mailbox)).await
    }

    async fn count_inbox(&self, pk: &str) -> MeshResult<usize> {
        let mut count = 0;
        let mut start = None;
        loop {
            let page = self
                .records
                .query(Query::new(Index::Gsi1, pk, KeyCondition::All).limit(SCAN_PAGE).after(start))
                .await?;
            count += page.items.len();
            match page.next {
                Some(next) if count < INBOX_COUNT_CAP => start = Some(next),
                _ => return Ok(count.min(INBOX_COUNT_CAP)),
            }
        }
    }

    /// The recipient acknowledges the message: an `accepted` message becomes `acknowledged` and
    /// leaves the inbox. Idempotent: acknowledging again (or a message in any other state) changes
    /// nothing and answers the same way. Only the recipient may ([`MeshStoreError::NotRecipient`]).
    pub async fn acknowledge(&self, id: &MessageId, by_mailbox: &str) -> MeshResult<Transition> {
        self.transition(id, Some(by_mailbox), |meta, now| {
            meta.status = MessageStatus::Acknowledged;
            meta.acknowledged_at = Some(now);
        })
        .await
    }

    /// An `accepted` message not collected in time becomes `undeliverable` and leaves the inbox
    /// (the non-delivery report is the caller's; `changed` says whether this call made it).
    pub async fn mark_undeliverable(&self, id: &MessageId) -> MeshResult<Transition> {
        self.transition(id, None, |meta, _| meta.status = MessageStatus::Undeliverable).await
    }

    /// Expires an undelivered message: an `accepted` DATA message becomes `undeliverable` (leaving
    /// the recipient's inbox) and, in the same transaction, `report` — the non-delivery REPORT —
    /// lands in the sender's inbox. Exactly one call changes it; any other status is left alone.
    pub async fn expire(&self, id: &MessageId, report: impl Fn(&MessageMeta) -> MessageMeta) -> MeshResult<Transition> {
        for attempt in 0..MAX_ATTEMPTS {
            let (meta, version) = self.load(id).await?;
            if meta.status != MessageStatus::Accepted || meta.message_type != crate::model::MessageType::Data {
                return Ok(Transition { meta, changed: false });
            }
            let now = OffsetDateTime::now_utc();
            let mut next = meta.clone();
            next.status = MessageStatus::Undeliverable;
            next.status_at = now;
            let ops = vec![
                WriteOp::Put { item: next.item(version + 1), condition: Condition::VersionIs(version) },
                WriteOp::Put { item: report(&meta).item(1), condition: Condition::NotExists },
            ];
            match self.records.transact_write(ops).await {
                Ok(()) => return Ok(Transition { meta: next, changed: true }),
                Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) => backoff(attempt).await,
                Err(e) => return Err(e.into()),
            }
        }
        Err(MeshStoreError::Contended)
    }

    /// The DATA messages accepted on `day`'s UTC day (any time in it) before `cutoff` and still
    /// waiting, oldest first (gsi2; eventually consistent on DynamoDB, and every state change is
    /// re-checked by [`MeshStore::expire`]).
    pub async fn accepted_before(&self, day: OffsetDateTime, cutoff: OffsetDateTime) -> MeshResult<Vec<MessageId>> {
        let pk = model::accepted_day_pk(day);
        let upper = format!("{}#~", model::sortable_time(cutoff));
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let q = Query::new(Index::Gsi2, pk.clone(), KeyCondition::Between("0".to_owned(), upper.clone()))
                .limit(SCAN_PAGE)
                .after(start);
            let page = self.records.query(q).await?;
            for item in &page.items {
                let meta: MessageMeta = decode(item)?;
                if meta.status == MessageStatus::Accepted && meta.accepted_at.is_some_and(|at| at < cutoff) {
                    out.push(meta.id);
                }
            }
            match page.next {
                Some(next) => start = Some(next),
                None => return Ok(out),
            }
        }
    }

    /// Compare-and-set from `accepted` by `change`; any other status is left as it is.
    async fn transition(
        &self,
        id: &MessageId,
        recipient: Option<&str>,
        change: impl Fn(&mut MessageMeta, OffsetDateTime),
    ) -> MeshResult<Transition> {
        for attempt in 0..MAX_ATTEMPTS {
            let (meta, version) = self.load(id).await?;
            if recipient.is_some_and(|r| !meta.is_recipient(r)) {
                return Err(MeshStoreError::NotRecipient);
            }
            if meta.status != MessageStatus::Accepted {
                return Ok(Transition { meta, changed: false });
            }
            let now = OffsetDateTime::now_utc();
            let mut next = meta.clone();
            change(&mut next, now);
            next.status_at = now;
            match self.records.put(next.item(version + 1), Condition::VersionIs(version)).await {
                Ok(()) => return Ok(Transition { meta: next, changed: true }),
                Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) => backoff(attempt).await,
                Err(e) => return Err(e.into()),
            }
        }
        Err(MeshStoreError::Contended)
    }

    /// The message and the version it is stored at.
    async fn load(&self, id: &MessageId) -> MeshResult<(MessageMeta, u64)> {
        let item = self.records.get(&message_pk(id), MESSAGE_SK).await?.ok_or(MeshStoreError::NotFound)?;
        Ok((decode(&item)?, item.version))
    }
}

/// A whole blob store as a chunk store.
struct BlobChunks(Arc<dyn BlobStore>);

#[async_trait::async_trait]
impl ChunkStore for BlobChunks {
    async fn put_staged(&self, key: &str, body: Bytes) -> StoreResult<()> {
        self.0.put_staged(key, body).await
    }
    async fn get(&self, key: &str) -> StoreResult<Option<Bytes>> {
        self.0.get(key).await
    }
}

/// Whether `mailbox` may download the message, as the sandbox decides: only its recipient
/// (else 403), and only while `accepted` or `acknowledged` (else 410).
pub fn check_download(meta: &MessageMeta, mailbox: &str) -> MeshResult<()> {
    if !meta.is_recipient(mailbox) {
        return Err(MeshStoreError::NotRecipient);
    }
    match meta.status {
        MessageStatus::Accepted | MessageStatus::Acknowledged => Ok(()),
        _ => Err(MeshStoreError::Gone),
    }
}

/// A short pause before retrying a compare-and-set, growing with the attempt, with jitter so
/// competing writers spread out.
async fn backoff(attempt: u32) {
    use rand_core::RngCore;
    let jitter = u64::from(rand_core::OsRng.next_u32() % 5);
    let millis = u64::from(attempt.min(10)) * 2 + jitter;
    tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
}
