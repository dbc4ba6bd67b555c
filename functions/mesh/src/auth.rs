//! The `NHSMESH` authorization token every MESH request carries:
//! `Authorization: NHSMESH {mailbox}:{nonce}:{nonce_count}:{yyyyMMddHHmm UTC}:{hmac}` where `hmac`
//! is the hex HMAC-SHA256, keyed with the environment's shared key, of
//! `"{mailbox}:{nonce}:{nonce_count}:{password}:{timestamp}"` (mesh-client's `AuthTokenGenerator`).
//! Parsing, the checks a route makes (path mailbox, ±2 h timestamp, constant-time HMAC), the
//! replay-protection record key (each token is single-use), and a generator for tests and load tools.
//! Nothing here logs, and `Debug` output never shows a password or an HMAC.

use std::fmt;

use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::error::MeshError;

/// The authorization scheme.
pub const AUTH_SCHEME: &str = "NHSMESH";
/// How far a token's timestamp may be from the server's clock, either way.
pub const TIMESTAMP_TOLERANCE: Duration = Duration::hours(2);
/// The longest `Authorization` value accepted (mailbox ≤ 100, nonce ≤ 128, count ≤ 20 digits,
/// timestamp 12, HMAC 64, separators); anything longer is malformed.
pub const MAX_HEADER_LEN: usize = 400;
const MAX_MAILBOX_LEN: usize = 100;
const MAX_NONCE_LEN: usize = 128;
const MAX_NONCE_COUNT_DIGITS: usize = 20;
const MAC_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

/// Why a request's token was refused. Every variant is a 403; see [`AuthError::to_mesh_error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no Authorization header")]
    Missing,
    #[error("malformed NHSMESH token: {0}")]
    Malformed(&'static str),
    #[error("token mailbox does not match the path mailbox")]
    MailboxMismatch,
    #[error("token timestamp is more than 2 hours from the server's time")]
    TimestampOutOfRange,
    #[error("token HMAC does not match")]
    InvalidSignature,
    #[error("token already used")]
    Replayed,
}

impl AuthError {
    /// The MESH response: 403 with the sandbox's descriptions. A stale or future timestamp gets the
    /// same answer as a wrong HMAC ("Invalid Authentication Token"), so a caller learns nothing about
    /// which part failed.
    pub fn to_mesh_error(self) -> MeshError {
        match self {
            AuthError::Missing | AuthError::Malformed(_) => MeshError::auth_header_unreadable(),
            AuthError::MailboxMismatch => MeshError::mailbox_token_mismatch(),
            AuthError::TimestampOutOfRange | AuthError::InvalidSignature => MeshError::invalid_auth_token(),
            AuthError::Replayed => MeshError::duplicated_auth_token(),
        }
    }
}

impl From<AuthError> for MeshError {
    fn from(err: AuthError) -> Self {
        err.to_mesh_error()
    }
}

/// A parsed (not yet verified) NHSMESH token.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken {
    mailbox: String,
    nonce: String,
    nonce_count: String,
    timestamp_text: String,
    timestamp: OffsetDateTime,
    mac: [u8; MAC_LEN],
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthToken")
            .field("mailbox", &self.mailbox)
            .field("nonce", &self.nonce)
            .field("nonce_count", &self.nonce_count)
            .field("timestamp", &self.timestamp_text)
            .finish_non_exhaustive()
    }
}

/// Whether every character is printable ASCII other than space and `:`.
fn is_token_text(value: &str) -> bool {
    value.bytes().all(|b| b.is_ascii_graphic() && b != b':')
}

impl AuthToken {
    /// Parses an `Authorization` value. The scheme `NHSMESH` (any case) and at least one space are
    /// required, then exactly five `:`-separated parts: a mailbox (1–100 printable characters), a
    /// nonce (1–128), a nonce count (1–20 ASCII digits), a `yyyyMMddHHmm` UTC timestamp that is a real
    /// time, and a 64-digit hex HMAC (any case). Surrounding whitespace is ignored.
    pub fn parse(header: &str) -> Result<Self, AuthError> {
        let header = header.trim();
        if header.is_empty() {
            return Err(AuthError::Missing);
        }
        if header.len() > MAX_HEADER_LEN {
            return Err(AuthError::Malformed("too long"));
        }
        let (scheme, credentials) = header.split_once(' ').ok_or(AuthError::Malformed("no scheme"))?;
        if !scheme.eq_ignore_ascii_case(AUTH_SCHEME) {
            return Err(AuthError::Malformed("not the NHSMESH scheme"));
        }
        let parts: Vec<&str> = credentials.trim_start().split(':').collect();
        let [mailbox, nonce, nonce_count, timestamp_text, mac_hex] = parts[..] else {
            return Err(AuthError::Malformed("not five parts"));
        };
        if mailbox.is_empty() || mailbox.len() > MAX_MAILBOX_LEN || !is_token_text(mailbox) {
            return Err(AuthError::Malformed("bad mailbox"));
        }
        if nonce.is_empty() || nonce.len() > MAX_NONCE_LEN || !is_token_text(nonce) {
            return Err(AuthError::Malformed("bad nonce"));
        }
        if nonce_count.is_empty()
            || nonce_count.len() > MAX_NONCE_COUNT_DIGITS
            || !nonce_count.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(AuthError::Malformed("bad nonce count"));
        }
        let timestamp = parse_timestamp(timestamp_text).ok_or(AuthError::Malformed("bad timestamp"))?;
        let mut mac = [0u8; MAC_LEN];
        if mac_hex.len() != 2 * MAC_LEN || hex::decode_to_slice(mac_hex, &mut mac).is_err() {
            return Err(AuthError::Malformed("bad hmac"));
        }
        Ok(AuthToken {
            mailbox: mailbox.to_owned(),
            nonce: nonce.to_owned(),
            nonce_count: nonce_count.to_owned(),
            timestamp_text: timestamp_text.to_owned(),
            timestamp,
            mac,
        })
    }

    /// The token from a request's `Authorization` header (absent → [`AuthError::Missing`]; a value
    /// that is not ASCII → malformed).
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, AuthError> {
        let value = headers.get(http::header::AUTHORIZATION).ok_or(AuthError::Missing)?;
        Self::parse(value.to_str().map_err(|_| AuthError::Malformed("not ASCII"))?)
    }

    /// The mailbox as written in the token.
    pub fn mailbox(&self) -> &str {
        &self.mailbox
    }

    /// The nonce as written in the token.
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// The nonce count as written in the token (digits; leading zeros kept, as they are signed).
    pub fn nonce_count(&self) -> &str {
        &self.nonce_count
    }

    /// The token's timestamp (UTC, minute precision).
    pub fn timestamp(&self) -> OffsetDateTime {
        self.timestamp
    }

    /// The path's mailbox must be the token's. Mailbox ids are compared ignoring ASCII case (the
    /// sandbox upper-cases the path's); the HMAC still covers the token's mailbox exactly as sent.
    pub fn check_mailbox(&self, path_mailbox: &str) -> Result<(), AuthError> {
        if self.mailbox.eq_ignore_ascii_case(path_mailbox) { Ok(()) } else { Err(AuthError::MailboxMismatch) }
    }

    /// The timestamp must be within [`TIMESTAMP_TOLERANCE`] of `now`, in the past or the future.
    pub fn check_timestamp(&self, now: OffsetDateTime) -> Result<(), AuthError> {
        if (now - self.timestamp).abs() <= TIMESTAMP_TOLERANCE { Ok(()) } else { Err(AuthError::TimestampOutOfRange) }
    }

    /// The HMAC must be the one `shared_key` and the mailbox's plaintext `password` give, compared in
    /// constant time.
    pub fn check_signature(&self, shared_key: &[u8], password: &str) -> Result<(), AuthError> {
        let expected =
            signature(shared_key, &self.mailbox, &self.nonce, &self.nonce_count, password, &self.timestamp_text);
        if bool::from(expected.ct_eq(&self.mac)) { Ok(()) } else { Err(AuthError::InvalidSignature) }
    }

    /// All three checks, in the order a route makes them: mailbox, timestamp, then HMAC. Replay
    /// protection (a conditional write of [`AuthToken::replay_key`]) comes after a success.
    pub fn verify(
        &self,
        path_mailbox: &str,
        shared_key: &[u8],
        password: &str,
        now: OffsetDateTime,
    ) -> Result<(), AuthError> {
        self.check_mailbox(path_mailbox)?;
        self.check_timestamp(now)?;
        self.check_signature(shared_key, password)
    }

    /// The single-use record for this token: its key (see [`replay_key`]) and when it may be
    /// forgotten. The token passes the timestamp check until `timestamp + 2 h`, so the record must
    /// live at least that long; one extra minute covers an inclusive/exclusive mismatch in the
    /// store's expiry test. (For a token made now this is the usual 2-hour TTL.)
    pub fn replay_key(&self) -> ReplayKey {
        ReplayKey {
            key: replay_key(&self.mailbox, &self.nonce, &self.nonce_count),
            expires_at: self.timestamp + TIMESTAMP_TOLERANCE + Duration::minutes(1),
        }
    }
}

/// A token's replay-protection record: write it with "only if absent (or expired)"; a failed write
/// means the token was used before ([`AuthError::Replayed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayKey {
    /// The record key.
    pub key: String,
    /// When the record may be deleted (DynamoDB TTL).
    pub expires_at: OffsetDateTime,
}

/// The replay-protection record key of (mailbox, nonce, nonce count):
/// `{MAILBOX upper-cased}:{nonce}:{nonce_count}`. The parts cannot contain `:`, so the key is
/// unambiguous; the nonce and count are kept exactly as signed.
pub fn replay_key(mailbox: &str, nonce: &str, nonce_count: &str) -> String {
    format!("{}:{nonce}:{nonce_count}", mailbox.to_ascii_uppercase())
}

/// `yyyyMMddHHmm` (12 ASCII digits) as a UTC time, if it is a real one.
fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    if text.len() != 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |range: std::ops::Range<usize>| text[range].parse::<u16>().ok();
    let month = Month::try_from(u8::try_from(n(4..6)?).ok()?).ok()?;
    let date = Date::from_calendar_date(i32::from(n(0..4)?), month, u8::try_from(n(6..8)?).ok()?).ok()?;
    let time = Time::from_hms(u8::try_from(n(8..10)?).ok()?, u8::try_from(n(10..12)?).ok()?, 0).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// `at` as a token timestamp, `yyyyMMddHHmm` in UTC.
pub fn format_timestamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!("{:04}{:02}{:02}{:02}{:02}", at.year(), u8::from(at.month()), at.day(), at.hour(), at.minute())
}

/// The token HMAC: HMAC-SHA256 keyed with `shared_key` over
/// `"{mailbox}:{nonce}:{nonce_count}:{password}:{timestamp}"` (UTF-8; mesh-client sends ASCII).
pub fn signature(
    shared_key: &[u8],
    mailbox: &str,
    nonce: &str,
    nonce_count: &str,
    password: &str,
    timestamp: &str,
) -> [u8; MAC_LEN] {
    // HMAC accepts a key of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(shared_key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    for (i, part) in [mailbox, nonce, nonce_count, password, timestamp].into_iter().enumerate() {
        if i > 0 {
            mac.update(b":");
        }
        mac.update(part.as_bytes());
    }
    mac.finalize().into_bytes().into()
}

/// A complete `Authorization` value, `NHSMESH {mailbox}:{nonce}:{count}:{timestamp}:{hex hmac}`.
pub fn generate_token(
    shared_key: &[u8],
    mailbox: &str,
    password: &str,
    nonce: &str,
    nonce_count: u64,
    at: OffsetDateTime,
) -> String {
    let timestamp = format_timestamp(at);
    let count = nonce_count.to_string();
    let mac = signature(shared_key, mailbox, nonce, &count, password, &timestamp);
    format!("{AUTH_SCHEME} {mailbox}:{nonce}:{count}:{timestamp}:{}", hex::encode(mac))
}

/// Makes tokens the way mesh-client does: one random (uuid4) nonce per generator, the count
/// starting at 0 and rising by one per token. For tests and load generators.
#[derive(Clone)]
pub struct TokenGenerator {
    shared_key: Vec<u8>,
    mailbox: String,
    password: String,
    nonce: String,
    nonce_count: u64,
}

impl fmt::Debug for TokenGenerator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenGenerator")
            .field("mailbox", &self.mailbox)
            .field("nonce", &self.nonce)
            .field("nonce_count", &self.nonce_count)
            .finish_non_exhaustive()
    }
}

impl TokenGenerator {
    /// A generator with a fresh uuid4 nonce.
    pub fn new(shared_key: &[u8], mailbox: &str, password: &str) -> Self {
        Self::with_nonce(shared_key, mailbox, password, &uuid::Uuid::new_v4().to_string(), 0)
    }

    /// A generator with a given nonce and next count.
    pub fn with_nonce(shared_key: &[u8], mailbox: &str, password: &str, nonce: &str, nonce_count: u64) -> Self {
        TokenGenerator {
            shared_key: shared_key.to_vec(),
            mailbox: mailbox.to_owned(),
            password: password.to_owned(),
            nonce: nonce.to_owned(),
            nonce_count,
        }
    }

    /// The next token, stamped `now`.
    pub fn next_token(&mut self, now: OffsetDateTime) -> String {
        let token = generate_token(&self.shared_key, &self.mailbox, &self.password, &self.nonce, self.nonce_count, now);
        self.nonce_count += 1;
        token
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use time::macros::datetime;

    use super::*;

    const KEY: &[u8] = b"TestKey";
    const MAILBOX: &str = "X26ABC1";
    const PASSWORD: &str = "password";
    const NONCE: &str = "2c001608-5f09-4840-9611-bea43e666a30";
    const NOW: OffsetDateTime = datetime!(2024-02-29 13:05:42 UTC);

    // Produced by mesh-client 5.0.2's own `AuthTokenGenerator` (Python, with `uuid.uuid4` and
    // `datetime.now` patched to the fixed values) — see the crate's report for the script.
    const MESH_CLIENT_TOKEN_0: &str = "NHSMESH X26ABC1:2c001608-5f09-4840-9611-bea43e666a30:0:202402291305:\
                                       87599147d5165ca6d5d04e12956f877399d1af86b0117e4cf94228b1a061d617";
    const MESH_CLIENT_TOKEN_1: &str = "NHSMESH X26ABC1:2c001608-5f09-4840-9611-bea43e666a30:1:202402291305:\
                                       a9ef6925123064be5a16df117d4e2078927252d00845dc9d32f03909705e1c60";
    // Key `BackBone` (mesh-client's default), password `s3cr3t-P@ss`, the 42nd token (count 41).
    const MESH_CLIENT_TOKEN_BACKBONE: &str = "NHSMESH MAILBOX01:1c820cd4-be3e-43ff-807f-e65362892722:41:202312312359:\
                                              aaf089cf5600135fc5515015d7b474f874252a4accf070c0f47c4799a9775b8d";

    fn token(count: u64, at: OffsetDateTime) -> AuthToken {
        AuthToken::parse(&generate_token(KEY, MAILBOX, PASSWORD, NONCE, count, at)).unwrap()
    }

    #[test]
    fn generator_is_byte_identical_to_mesh_client() {
        let mut generator = TokenGenerator::with_nonce(KEY, MAILBOX, PASSWORD, NONCE, 0);
        assert_eq!(generator.next_token(NOW), MESH_CLIENT_TOKEN_0);
        assert_eq!(generator.next_token(NOW), MESH_CLIENT_TOKEN_1);
        let backbone = generate_token(
            b"BackBone",
            "MAILBOX01",
            "s3cr3t-P@ss",
            "1c820cd4-be3e-43ff-807f-e65362892722",
            41,
            datetime!(2023-12-31 23:59:59 UTC),
        );
        assert_eq!(backbone, MESH_CLIENT_TOKEN_BACKBONE);
    }

    #[test]
    fn mesh_client_tokens_verify() {
        for raw in [MESH_CLIENT_TOKEN_0, MESH_CLIENT_TOKEN_1] {
            let token = AuthToken::parse(raw).unwrap();
            assert_eq!(token.verify(MAILBOX, KEY, PASSWORD, NOW), Ok(()));
        }
        let token = AuthToken::parse(MESH_CLIENT_TOKEN_BACKBONE).unwrap();
        assert_eq!(token.verify("MAILBOX01", b"BackBone", "s3cr3t-P@ss", datetime!(2024-01-01 01:00 UTC)), Ok(()));
    }

    #[test]
    fn parses_the_parts() {
        let token = AuthToken::parse(MESH_CLIENT_TOKEN_1).unwrap();
        assert_eq!(token.mailbox(), MAILBOX);
        assert_eq!(token.nonce(), NONCE);
        assert_eq!(token.nonce_count(), "1");
        assert_eq!(token.timestamp(), datetime!(2024-02-29 13:05 UTC));
    }

    #[test]
    fn scheme_is_case_insensitive_and_hmac_hex_any_case() {
        let raw = MESH_CLIENT_TOKEN_0.replace("NHSMESH ", "nhsmesh  ").to_uppercase().replace("NHSMESH", "NhsMesh");
        let raw = raw.replace(&NONCE.to_uppercase(), NONCE);
        let token = AuthToken::parse(&format!("  {raw}  ")).unwrap();
        assert_eq!(token.check_signature(KEY, PASSWORD), Ok(()));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let good = MESH_CLIENT_TOKEN_0;
        let mac = good.rsplit(':').next().unwrap();
        let cases = [
            "Bearer abc".to_owned(),
            "NHSMESH".to_owned(),
            good.replace("NHSMESH ", ""),
            good.replace("NHSMESH ", "NHSMESHX "),
            format!("NHSMESH X26ABC1:{NONCE}:0:202402291305"),
            format!("{good}:extra"),
            format!("NHSMESH :{NONCE}:0:202402291305:{mac}"),
            format!("NHSMESH X26 ABC1:{NONCE}:0:202402291305:{mac}"),
            format!("NHSMESH X26ABC1::0:202402291305:{mac}"),
            format!("NHSMESH X26ABC1:{NONCE}::202402291305:{mac}"),
            format!("NHSMESH X26ABC1:{NONCE}:-1:202402291305:{mac}"),
            format!("NHSMESH X26ABC1:{NONCE}:1a:202402291305:{mac}"),
            format!("NHSMESH X26ABC1:{NONCE}:0:2024022913:{mac}"),
            format!("NHSMESH X26ABC1:{NONCE}:0:202402301305:{mac}"),
            format!("NHSMESH X26ABC1:{NONCE}:0:202413011305:{mac}"),
            format!("NHSMESH X26ABC1:{NONCE}:0:202402292460:{mac}"),
            format!("NHSMESH X26ABC1:{NONCE}:0:2024-2-29T13:{mac}"),
            format!("NHSMESH X26ABC1:{NONCE}:0:202402291305:{}", &mac[..63]),
            format!("NHSMESH X26ABC1:{NONCE}:0:202402291305:{}g", &mac[..63]),
            format!("NHSMESH X26ABC1:{}:0:202402291305:{mac}", "n".repeat(129)),
            format!("NHSMESH {}:{NONCE}:0:202402291305:{mac}", "M".repeat(101)),
            format!("NHSMESH X26ABC1:{NONCE}:{}:202402291305:{mac}", "1".repeat(21)),
            format!("NHSMESH X26ABC1:{NONCE}:0:202402291305:{mac}{}", "0".repeat(400)),
        ];
        for raw in &cases {
            assert!(matches!(AuthToken::parse(raw), Err(AuthError::Malformed(_))), "{raw:?}");
        }
        assert_eq!(AuthToken::parse(""), Err(AuthError::Missing));
        assert_eq!(AuthToken::parse("   "), Err(AuthError::Missing));
    }

    #[test]
    fn header_map_lookup() {
        let mut headers = HeaderMap::new();
        assert_eq!(AuthToken::from_headers(&headers), Err(AuthError::Missing));
        headers.insert(http::header::AUTHORIZATION, HeaderValue::from_static(MESH_CLIENT_TOKEN_0));
        assert_eq!(AuthToken::from_headers(&headers).unwrap().nonce_count(), "0");
        headers.insert(http::header::AUTHORIZATION, HeaderValue::from_bytes("NHSMESH é".as_bytes()).unwrap());
        assert!(matches!(AuthToken::from_headers(&headers), Err(AuthError::Malformed(_))));
    }

    #[test]
    fn wrong_password_or_key_is_invalid_signature() {
        let token = token(0, NOW);
        assert_eq!(token.verify(MAILBOX, KEY, "passw0rd", NOW), Err(AuthError::InvalidSignature));
        assert_eq!(token.verify(MAILBOX, KEY, "", NOW), Err(AuthError::InvalidSignature));
        assert_eq!(token.verify(MAILBOX, b"BackBone", PASSWORD, NOW), Err(AuthError::InvalidSignature));
    }

    #[test]
    fn tampered_parts_break_the_signature() {
        let good = generate_token(KEY, MAILBOX, PASSWORD, NONCE, 7, NOW);
        for tampered in [
            good.replace(":7:", ":8:"),
            good.replace(":7:", ":07:"),
            good.replace(NONCE, "3c001608-5f09-4840-9611-bea43e666a30"),
            good.replace("202402291305", "202402291306"),
            good.replace("X26ABC1", "X26ABC2"),
        ] {
            let token = AuthToken::parse(&tampered).unwrap();
            assert_eq!(token.check_signature(KEY, PASSWORD), Err(AuthError::InvalidSignature), "{tampered}");
        }
    }

    #[test]
    fn timestamp_window_is_two_hours_both_ways() {
        let token = token(0, NOW); // stamped 13:05
        let stamped = datetime!(2024-02-29 13:05 UTC);
        assert_eq!(token.check_timestamp(stamped + Duration::hours(2)), Ok(()));
        assert_eq!(token.check_timestamp(stamped - Duration::hours(2)), Ok(()));
        assert_eq!(
            token.check_timestamp(stamped + Duration::hours(2) + Duration::seconds(1)),
            Err(AuthError::TimestampOutOfRange)
        );
        assert_eq!(
            token.check_timestamp(stamped - Duration::hours(2) - Duration::seconds(1)),
            Err(AuthError::TimestampOutOfRange)
        );
        // A correctly signed stale or future token still fails verification.
        assert_eq!(token.verify(MAILBOX, KEY, PASSWORD, NOW + Duration::hours(3)), Err(AuthError::TimestampOutOfRange));
        assert_eq!(token.verify(MAILBOX, KEY, PASSWORD, NOW - Duration::hours(3)), Err(AuthError::TimestampOutOfRange));
        // Timestamps are UTC whatever the caller's offset.
        assert_eq!(token.check_timestamp(datetime!(2024-02-29 14:05 +01:00)), Ok(()));
    }

    #[test]
    fn mailbox_must_match_the_path() {
        let token = token(0, NOW);
        assert_eq!(token.check_mailbox("X26ABC1"), Ok(()));
        assert_eq!(token.check_mailbox("x26abc1"), Ok(()));
        assert_eq!(token.check_mailbox("X26ABC2"), Err(AuthError::MailboxMismatch));
        assert_eq!(token.check_mailbox(""), Err(AuthError::MailboxMismatch));
        assert_eq!(token.verify("X26ABC2", KEY, PASSWORD, NOW), Err(AuthError::MailboxMismatch));
    }

    #[test]
    fn errors_map_to_403_mesh_errors() {
        let cases = [
            (AuthError::Missing, "Error reading from Authorization header"),
            (AuthError::Malformed("x"), "Error reading from Authorization header"),
            (AuthError::MailboxMismatch, "Mailbox id does not match token"),
            (AuthError::TimestampOutOfRange, "Invalid Authentication Token"),
            (AuthError::InvalidSignature, "Invalid Authentication Token"),
            (AuthError::Replayed, "Error Duplicated Authentication Token"),
        ];
        for (err, description) in cases {
            let mesh = MeshError::from(err);
            assert_eq!(mesh.status, http::StatusCode::FORBIDDEN);
            assert_eq!(mesh.description, description);
        }
    }

    #[test]
    fn replay_key_and_expiry() {
        let token = AuthToken::parse(MESH_CLIENT_TOKEN_1).unwrap();
        let record = token.replay_key();
        assert_eq!(record.key, "X26ABC1:2c001608-5f09-4840-9611-bea43e666a30:1");
        assert_eq!(record.expires_at, datetime!(2024-02-29 15:06 UTC));
        assert_eq!(replay_key("x26abc1", NONCE, "1"), record.key);
        // Each token of a generator has its own record.
        assert_ne!(AuthToken::parse(MESH_CLIENT_TOKEN_0).unwrap().replay_key().key, record.key);
        // The record outlives the token's acceptance window.
        assert!(token.check_timestamp(record.expires_at).is_err());
    }

    #[test]
    fn generator_counts_up_with_one_random_nonce() {
        let mut generator = TokenGenerator::new(KEY, MAILBOX, PASSWORD);
        let first = AuthToken::parse(&generator.next_token(NOW)).unwrap();
        let second = AuthToken::parse(&generator.next_token(NOW)).unwrap();
        assert_eq!(first.nonce(), second.nonce());
        assert_eq!(uuid::Uuid::parse_str(first.nonce()).unwrap().get_version_num(), 4);
        assert_eq!((first.nonce_count(), second.nonce_count()), ("0", "1"));
        assert_eq!(first.verify(MAILBOX, KEY, PASSWORD, NOW), Ok(()));
        assert_eq!(second.verify(MAILBOX, KEY, PASSWORD, NOW), Ok(()));
        assert_ne!(TokenGenerator::new(KEY, MAILBOX, PASSWORD).nonce, generator.nonce);
    }

    #[test]
    fn debug_output_hides_secrets() {
        let generator = TokenGenerator::with_nonce(KEY, MAILBOX, "hunter2-secret", NONCE, 0);
        let shown = format!("{generator:?}");
        assert!(!shown.contains("hunter2-secret") && !shown.contains("TestKey"), "{shown}");
        let token = AuthToken::parse(MESH_CLIENT_TOKEN_0).unwrap();
        let shown = format!("{token:?}");
        assert!(!shown.contains("87599147") && shown.contains("X26ABC1"), "{shown}");
    }

    #[test]
    fn format_timestamp_is_utc_minutes() {
        assert_eq!(format_timestamp(datetime!(2024-02-29 13:05:59.9 UTC)), "202402291305");
        assert_eq!(format_timestamp(datetime!(2024-03-01 00:30 +01:00)), "202402292330");
    }
}
