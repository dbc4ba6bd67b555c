//! How MESH keeps its state in the single table, and the typed keys of every item it writes.
//! Chunk bodies are not in the table: each chunk is one blob object, `mesh/<id>/<n>`
//! ([`chunk_blob_key`]); the table holds the metadata that says which chunks exist.
//!
//! | item                 | pk                        | sk                 | gsi1 (inbox, sparse)                                   | TTL                     |
//! |----------------------|---------------------------|--------------------|--------------------------------------------------------|-------------------------|
//! | mailbox              | `MESHMAILBOX#<MAILBOX>`   | `MAILBOX`          | —                                                      | —                       |
//! | message metadata     | `MESHMSG#<id>`            | `MESSAGE`          | `MESHINBOX#<RECIPIENT>` / `<accepted time>#<id>`        | created + 30 days       |
//! | (same item, gsi2)    |                           |                    | `MESHACCEPTED#<yyyymmdd>` / `<accepted time>#<id>` (DATA, while accepted) |  |
//! | received chunk       | `MESHMSG#<id>`            | `CHUNK#<n, 10 digits>` | —                                                  | the message's           |
//! | token replay record  | `MESHTOKEN#<replay key>`  | `TOKEN`            | —                                                      | the token's `expires_at` |
//!
//! Mailbox ids are upper-cased in every key and field (the sandbox upper-cases them; tokens and
//! paths compare them ignoring case). Message ids are upper case already ([`MessageId`]).
//!
//! **The inbox is a sparse index on the message item itself:** a message has the gsi1 key only
//! while its status is `accepted`, so the status change and the inbox entry are one write and can
//! never disagree; acknowledging or marking it undeliverable drops the key, and the message leaves
//! the inbox in the same write. `<accepted time>` is `yyyymmddHHMMSSffffff` UTC (the message-id
//! time format: fixed width, so sort keys order by time), and `#<id>` orders two messages of the same
//! microsecond. Ordering by *acceptance* rather than creation means a message completed late is
//! appended after those already listed, so a client paging with a cursor never skips it. (On
//! DynamoDB the index is eventually consistent: a just-accepted message can take a moment to list.)
//!
//! **Chunk records** make uploads idempotent: a chunk is counted when its record is created
//! (`attribute_not_exists`) in the same transaction that bumps the message's `chunks_received`
//! under a version condition — see [`crate::store`].
//!
//! **The mailbox password is stored in plaintext** (`password_plaintext`): the NHSMESH token is an
//! HMAC over the password, so the server must hold the password itself to verify one — it cannot be
//! kept as a one-way hash. This item is the local/test source; in AWS the password must come from
//! an encrypted store (Secrets Manager, or a KMS-encrypted attribute) and never from a plain table
//! item. `Debug` never shows it.
//!
//! Expiry: the message and its chunk records expire 30 days after creation (MESH deletes messages
//! after 30 days); the chunk blobs need the same rule as an S3 lifecycle expiration on `mesh/`.
//! The replay record lives as long as its token could pass the timestamp check.

use std::fmt;

use serde::{Deserialize, Serialize};
use spine_shared::ports::{IndexKey, Item};
use time::{Duration, OffsetDateTime};

use crate::headers::{ContentEncoding, SendHeaders};
use crate::message_id::MessageId;

/// How long MESH keeps a message (and its chunks) after it was created.
pub const MESSAGE_RETENTION: Duration = Duration::days(30);

pub const MAILBOX_SK: &str = "MAILBOX";
pub const MESSAGE_SK: &str = "MESSAGE";
pub const TOKEN_SK: &str = "TOKEN";
pub const CHUNK_PREFIX: &str = "CHUNK#";

pub fn mailbox_pk(mailbox: &str) -> String {
    format!("MESHMAILBOX#{}", mailbox.to_ascii_uppercase())
}

pub fn message_pk(id: &MessageId) -> String {
    format!("MESHMSG#{id}")
}

/// The sort key of chunk `n`'s record: zero-padded so chunk records sort by number.
pub fn chunk_sk(n: u32) -> String {
    format!("{CHUNK_PREFIX}{n:010}")
}

/// The gsi1 partition of a mailbox's inbox.
pub fn inbox_pk(mailbox: &str) -> String {
    format!("MESHINBOX#{}", mailbox.to_ascii_uppercase())
}

/// The gsi2 partition of the DATA messages accepted on `at`'s UTC day and still waiting: what the
/// expiry job walks, a day at a time.
pub fn accepted_day_pk(at: OffsetDateTime) -> String {
    format!("MESHACCEPTED#{}", &sortable_time(at)[..8])
}

pub fn token_pk(replay_key: &str) -> String {
    format!("MESHTOKEN#{replay_key}")
}

/// The blob object of chunk `n` of message `id`.
pub fn chunk_blob_key(id: &MessageId, n: u32) -> String {
    format!("mesh/{id}/{n}")
}

/// `yyyymmddHHMMSSffffff` in UTC: fixed width, so it sorts as time does.
pub fn sortable_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}{:06}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond()
    )
}

/// A MESH mailbox: who may log in as it (its password) and what it may receive.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    /// The mailbox id (`X26ABC1`), upper case.
    pub id: String,
    pub ods_code: String,
    pub name: String,
    /// The workflow ids this mailbox may receive.
    pub workflows: Vec<String>,
    /// The password as given, in plaintext: the NHSMESH HMAC needs it (see the module comment;
    /// in AWS it must come from an encrypted store).
    pub password_plaintext: String,
}

impl fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailbox")
            .field("id", &self.id)
            .field("ods_code", &self.ods_code)
            .field("name", &self.name)
            .field("workflows", &self.workflows)
            .finish_non_exhaustive()
    }
}

impl Mailbox {
    pub fn item(&self) -> Item {
        let mut doc = self.clone();
        doc.id = doc.id.to_ascii_uppercase();
        Item::new(mailbox_pk(&doc.id), MAILBOX_SK, encode(&doc))
    }

    /// Whether the mailbox may receive `workflow_id`.
    pub fn receives(&self, workflow_id: &str) -> bool {
        self.workflows.iter().any(|w| w == workflow_id)
    }
}

/// A message's lifecycle (MESH sandbox `models/message.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    /// Chunk 1 arrived; more chunks are expected.
    Uploading,
    /// Every chunk arrived; the message is in the recipient's inbox.
    Accepted,
    /// The recipient acknowledged it; it has left the inbox.
    Acknowledged,
    /// Not collected in time; it has left the inbox (a non-delivery report goes to the sender).
    Undeliverable,
    Error,
}

/// `mex-MessageType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MessageType {
    Data,
    Report,
}

/// A chunk's `Content-Encoding` as stored (chunk 1's; later chunks must match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoredEncoding {
    Identity,
    Gzip,
}

impl From<ContentEncoding> for StoredEncoding {
    fn from(e: ContentEncoding) -> Self {
        match e {
            ContentEncoding::Identity => StoredEncoding::Identity,
            ContentEncoding::Gzip => StoredEncoding::Gzip,
        }
    }
}

impl From<StoredEncoding> for ContentEncoding {
    fn from(e: StoredEncoding) -> Self {
        match e {
            StoredEncoding::Identity => ContentEncoding::Identity,
            StoredEncoding::Gzip => ContentEncoding::Gzip,
        }
    }
}

/// Times as RFC 3339 text in the stored document.
mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    pub fn serialize<S: Serializer>(at: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&at.format(&Rfc3339).map_err(serde::ser::Error::custom)?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let text = String::deserialize(d)?;
        OffsetDateTime::parse(&text, &Rfc3339).map_err(serde::de::Error::custom)
    }

    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(at: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => super::serialize(at, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OffsetDateTime>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|text| OffsetDateTime::parse(&text, &Rfc3339).map_err(serde::de::Error::custom))
                .transpose()
        }
    }
}

/// A message's metadata: everything but its chunks' bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageMeta {
    pub id: MessageId,
    /// The sending mailbox, upper case.
    pub sender: String,
    /// The recipient mailbox, upper case.
    pub recipient: String,
    pub workflow_id: String,
    pub status: MessageStatus,
    pub message_type: MessageType,
    /// On a REPORT: the message it reports on (`mex-LinkedMsgID`).
    pub linked_message_id: Option<MessageId>,
    pub total_chunks: u32,
    /// How many distinct chunks have been recorded.
    pub chunks_received: u32,
    pub subject: Option<String>,
    pub local_id: Option<String>,
    pub partner_id: Option<String>,
    pub file_name: Option<String>,
    pub checksum: Option<String>,
    pub content_type: Option<String>,
    pub content_encrypted: bool,
    pub content_compressed: bool,
    /// Chunk 1's `Content-Encoding`; every later chunk must have the same.
    pub content_encoding: StoredEncoding,
    #[serde(with = "rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "rfc3339::option", default)]
    pub accepted_at: Option<OffsetDateTime>,
    #[serde(with = "rfc3339::option", default)]
    pub acknowledged_at: Option<OffsetDateTime>,
    /// When the status last changed (`Last-Modified`, `mex-StatusTimestamp`).
    #[serde(with = "rfc3339")]
    pub status_at: OffsetDateTime,
    /// TTL, seconds since the epoch: created + [`MESSAGE_RETENTION`].
    pub expires_at: i64,
    /// On a REPORT: what it reports (a non-delivery report says code 14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<ReportStatus>,
}

/// The status a REPORT message carries (`mex-StatusCode`, `-Event`, `-Description`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportStatus {
    pub code: String,
    pub event: String,
    pub description: String,
}

impl MessageMeta {
    /// A DATA message from a send's headers, before any chunk is recorded: `uploading`, nothing
    /// received. `sender` is the authenticated mailbox; `total_chunks` comes from `mex-Chunk-Range`.
    pub fn from_send(
        id: MessageId,
        sender: &str,
        headers: &SendHeaders,
        encoding: ContentEncoding,
        total_chunks: u32,
        now: OffsetDateTime,
    ) -> Self {
        MessageMeta {
            id,
            sender: sender.to_ascii_uppercase(),
            recipient: headers.to.to_ascii_uppercase(),
            workflow_id: headers.workflow_id.clone(),
            status: MessageStatus::Uploading,
            message_type: MessageType::Data,
            linked_message_id: None,
            total_chunks,
            chunks_received: 0,
            subject: headers.subject.clone(),
            local_id: headers.local_id.clone(),
            partner_id: headers.partner_id.clone(),
            file_name: headers.file_name.clone(),
            checksum: headers.content_checksum.clone(),
            content_type: headers.content_type.clone(),
            content_encrypted: headers.content_encrypted,
            content_compressed: headers.content_compressed,
            content_encoding: encoding.into(),
            created_at: now,
            accepted_at: None,
            acknowledged_at: None,
            status_at: now,
            expires_at: (now + MESSAGE_RETENTION).unix_timestamp(),
            report: None,
        }
    }

    /// The inbox sort key, once accepted: `<accepted time>#<id>`.
    pub fn inbox_sk(&self) -> Option<String> {
        self.accepted_at.map(|at| format!("{}#{}", sortable_time(at), self.id))
    }

    /// The stored item at `version`: in the recipient's inbox index exactly while `accepted`.
    pub fn item(&self, version: u64) -> Item {
        let mut item = Item::new(message_pk(&self.id), MESSAGE_SK, encode(self))
            .with_version(version)
            .expiring_at(self.expires_at);
        if self.status == MessageStatus::Accepted
            && let Some(sk) = self.inbox_sk()
        {
            item = item.with_gsi1(IndexKey::new(inbox_pk(&self.recipient), sk.clone()));
            if self.message_type == MessageType::Data
                && let Some(at) = self.accepted_at
            {
                item = item.with_gsi2(IndexKey::new(accepted_day_pk(at), sk));
            }
        }
        item
    }

    pub fn is_sender(&self, mailbox: &str) -> bool {
        self.sender.eq_ignore_ascii_case(mailbox)
    }

    pub fn is_recipient(&self, mailbox: &str) -> bool {
        self.recipient.eq_ignore_ascii_case(mailbox)
    }
}

/// What the table remembers of a received chunk (not its bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkRecord {
    pub size: u64,
    /// Hex SHA-256 of the bytes stored, to recognise a retry of the same chunk.
    pub sha256: String,
}

impl ChunkRecord {
    pub fn item(&self, id: &MessageId, n: u32, expires_at: i64) -> Item {
        Item::new(message_pk(id), chunk_sk(n), encode(self)).expiring_at(expires_at)
    }
}

/// The replay record of a token: no document, only its key and TTL.
pub fn token_item(replay_key: &crate::auth::ReplayKey) -> Item {
    Item::new(token_pk(&replay_key.key), TOKEN_SK, Vec::new()).expiring_at(replay_key.expires_at.unix_timestamp())
}

pub fn encode<T: Serialize>(doc: &T) -> Vec<u8> {
    // Plain structs of strings, numbers and enums always serialise.
    serde_json::to_vec(doc).unwrap_or_default()
}

pub fn decode<T: serde::de::DeserializeOwned>(item: &Item) -> serde_json::Result<T> {
    serde_json::from_slice(&item.data)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn meta(status: MessageStatus) -> MessageMeta {
        let headers = SendHeaders {
            to: "x26abc2".into(),
            workflow_id: "TEST_WORKFLOW".into(),
            chunk_range: None,
            subject: Some("s".into()),
            local_id: None,
            partner_id: None,
            file_name: None,
            content_encrypted: false,
            content_compressed: true,
            content_checksum: None,
            content_type: None,
        };
        let now = datetime!(2025-11-22 06:25:00.000001 UTC);
        let id = MessageId::parse("20251122062500000001_0A1B2C").unwrap();
        let mut m = MessageMeta::from_send(id, "x26abc1", &headers, ContentEncoding::Gzip, 3, now);
        m.status = status;
        m.accepted_at = Some(datetime!(2025-11-22 06:26:00.5 UTC));
        m
    }

    #[test]
    fn only_an_accepted_message_is_in_the_inbox_index() {
        let item = meta(MessageStatus::Accepted).item(4);
        assert_eq!(
            (item.pk.as_str(), item.sk.as_str(), item.version),
            ("MESHMSG#20251122062500000001_0A1B2C", "MESSAGE", 4)
        );
        assert_eq!(
            item.gsi1,
            Some(IndexKey::new("MESHINBOX#X26ABC2", "20251122062600500000#20251122062500000001_0A1B2C"))
        );
        for status in [MessageStatus::Uploading, MessageStatus::Acknowledged, MessageStatus::Undeliverable] {
            assert_eq!(meta(status).item(1).gsi1, None, "{status:?}");
        }
    }

    #[test]
    fn a_message_expires_30_days_after_creation_and_round_trips() {
        let m = meta(MessageStatus::Uploading);
        assert_eq!(m.expires_at, datetime!(2025-12-22 06:25:00.000001 UTC).unix_timestamp());
        assert_eq!((m.sender.as_str(), m.recipient.as_str()), ("X26ABC1", "X26ABC2"));
        let item = m.item(1);
        assert_eq!(item.expires_at, Some(m.expires_at));
        assert_eq!(decode::<MessageMeta>(&item).unwrap(), m);
    }

    #[test]
    fn chunk_keys_sort_by_number() {
        assert!(chunk_sk(9) < chunk_sk(10));
        let id = MessageId::parse("20251122062500000001_0A1B2C").unwrap();
        assert_eq!(chunk_blob_key(&id, 3), "mesh/20251122062500000001_0A1B2C/3");
    }

    #[test]
    fn a_mailbox_never_shows_its_password() {
        let m = Mailbox {
            id: "x26abc1".into(),
            ods_code: "X26".into(),
            name: "Test".into(),
            workflows: vec!["TEST_WORKFLOW".into()],
            password_plaintext: "secret-password".into(),
        };
        assert!(!format!("{m:?}").contains("secret-password"));
        let item = m.item();
        assert_eq!((item.pk.as_str(), item.sk.as_str()), ("MESHMAILBOX#X26ABC1", "MAILBOX"));
        assert_eq!(decode::<Mailbox>(&item).unwrap().id, "X26ABC1");
        assert!(m.receives("TEST_WORKFLOW") && !m.receives("OTHER"));
    }
}
