//! MESH request headers: the `mex-*` send headers with the sandbox's maximum lengths and checks
//! (control characters, URLs, checksum characters; `common/mex_headers.py`), `mex-Chunk-Range`
//! (`n:total`), the gzip-only `Content-Encoding` rule, and the API version from `Accept`.
//! Lookups are case-insensitive (an [`http::HeaderMap`] keys by lower-cased name); values are
//! decoded as Latin-1, byte for byte, as the sandbox's server does, so any byte round-trips.

use http::HeaderMap;

use crate::error::MeshError;

/// Header names in MESH's canonical spelling (for responses; lookups ignore case).
pub mod names {
    pub const MEX_FROM: &str = "mex-From";
    pub const MEX_TO: &str = "mex-To";
    pub const MEX_WORKFLOW_ID: &str = "mex-WorkflowID";
    pub const MEX_CHUNK_RANGE: &str = "mex-Chunk-Range";
    pub const MEX_TOTAL_CHUNKS: &str = "mex-Total-Chunks";
    pub const MEX_SUBJECT: &str = "mex-Subject";
    pub const MEX_LOCAL_ID: &str = "mex-LocalID";
    pub const MEX_PARTNER_ID: &str = "mex-PartnerID";
    pub const MEX_FILE_NAME: &str = "mex-FileName";
    pub const MEX_CONTENT_ENCRYPTED: &str = "mex-Content-Encrypted";
    pub const MEX_CONTENT_COMPRESSED: &str = "mex-Content-Compressed";
    pub const MEX_CONTENT_CHECKSUM: &str = "mex-Content-Checksum";
    pub const MEX_CONTENT_TYPE: &str = "mex-Content-Type";
    pub const MEX_MESSAGE_ID: &str = "mex-MessageID";
    pub const MEX_MESSAGE_TYPE: &str = "mex-MessageType";
    pub const MEX_LINKED_MSG_ID: &str = "mex-LinkedMsgID";
    pub const MEX_ADDRESS_TYPE: &str = "mex-AddressType";
    pub const MEX_VERSION: &str = "mex-Version";
    pub const MEX_STATUS_CODE: &str = "mex-StatusCode";
    pub const MEX_STATUS_EVENT: &str = "mex-StatusEvent";
    pub const MEX_STATUS_DESCRIPTION: &str = "mex-StatusDescription";
    pub const MEX_STATUS_SUCCESS: &str = "mex-StatusSuccess";
    pub const MEX_STATUS_TIMESTAMP: &str = "mex-StatusTimestamp";
    pub const MEX_CLIENT_VERSION: &str = "mex-ClientVersion";
    pub const MEX_OS_NAME: &str = "mex-OSName";
    pub const MEX_OS_VERSION: &str = "mex-OSVersion";
    pub const MEX_OS_ARCHITECTURE: &str = "mex-OSArchitecture";
    pub const MEX_JAVA_VERSION: &str = "mex-JavaVersion";
}

/// Maximum lengths of the send headers (sandbox `send_message_mex_headers`), in characters (bytes,
/// since values are Latin-1).
pub mod limits {
    pub const MEX_TO: usize = 100;
    pub const MEX_WORKFLOW_ID: usize = 300;
    pub const MEX_CHUNK_RANGE: usize = 20;
    pub const MEX_SUBJECT: usize = 500;
    pub const MEX_LOCAL_ID: usize = 300;
    pub const MEX_PARTNER_ID: usize = 500;
    pub const MEX_FILE_NAME: usize = 300;
    pub const MEX_CONTENT_ENCRYPTED: usize = 20;
    pub const MEX_CONTENT_COMPRESSED: usize = 20;
    pub const MEX_CONTENT_CHECKSUM: usize = 100;
    pub const MEX_CONTENT_TYPE: usize = 100;
}

/// The first value of header `name` (any case), decoded as Latin-1; `None` when absent.
pub fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).map(|value| value.as_bytes().iter().map(|&b| char::from(b)).collect())
}

/// The header, rejected with code 06 when longer than `max` characters.
fn bounded(headers: &HeaderMap, name: &str, max: usize) -> Result<Option<String>, MeshError> {
    match header(headers, name) {
        Some(value) if value.chars().count() > max => Err(MeshError::malformed_control_file()),
        value => Ok(value),
    }
}

/// Whether `value` holds a control character (U+0000–U+001F, tab included), as the sandbox checks.
pub fn contains_control_chars(value: &str) -> bool {
    value.chars().any(|c| c <= '\u{1f}')
}

/// Whether `value` starts with `http://` or `https://` (any case).
pub fn is_url(value: &str) -> bool {
    let lower = value.get(..8).unwrap_or(value).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Whether a checksum uses only letters, digits, whitespace and `:-/` (after trimming).
pub fn is_valid_checksum(value: &str) -> bool {
    value.trim().chars().all(|c| c.is_ascii_alphanumeric() || c.is_whitespace() || matches!(c, ':' | '-' | '/'))
}

/// A Y/N flag as the sandbox reads it (`strtobool`): y, yes, t, true, on, 1 (any case) are true;
/// anything else, including an unrecognised value, is false.
pub fn parse_flag(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "y" | "yes" | "t" | "true" | "on" | "1")
}

/// The `mex-*` headers of a send (the first chunk), validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendHeaders {
    /// Recipient mailbox, trimmed and upper-cased.
    pub to: String,
    /// Workflow id, trimmed.
    pub workflow_id: String,
    /// `mex-Chunk-Range` as sent (trimmed); check it with [`ChunkRange::check`].
    pub chunk_range: Option<String>,
    pub subject: Option<String>,
    pub local_id: Option<String>,
    pub partner_id: Option<String>,
    pub file_name: Option<String>,
    pub content_encrypted: bool,
    pub content_compressed: bool,
    pub content_checksum: Option<String>,
    pub content_type: Option<String>,
}

impl SendHeaders {
    /// Reads and validates the send headers. Errors, in order: `mex-To` absent → 08; `mex-WorkflowID`
    /// absent → 06; any header over its maximum length → 06; a control character in any text header,
    /// or a URL in `mex-To`, `mex-WorkflowID` or `mex-Content-Checksum` → 06; a checksum with other
    /// characters than letters, digits, whitespace and `:-/` → 400 "Invalid checksum"; `mex-To`
    /// empty after trimming → 08; `mex-WorkflowID` empty after trimming → 06.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, MeshError> {
        use names as n;
        if !headers.contains_key(n::MEX_TO) {
            return Err(MeshError::missing_to_address());
        }
        if !headers.contains_key(n::MEX_WORKFLOW_ID) {
            return Err(MeshError::malformed_control_file());
        }
        let to = bounded(headers, n::MEX_TO, limits::MEX_TO)?.unwrap_or_default();
        let workflow_id = bounded(headers, n::MEX_WORKFLOW_ID, limits::MEX_WORKFLOW_ID)?.unwrap_or_default();
        let chunk_range = bounded(headers, n::MEX_CHUNK_RANGE, limits::MEX_CHUNK_RANGE)?;
        let subject = bounded(headers, n::MEX_SUBJECT, limits::MEX_SUBJECT)?;
        let local_id = bounded(headers, n::MEX_LOCAL_ID, limits::MEX_LOCAL_ID)?;
        let partner_id = bounded(headers, n::MEX_PARTNER_ID, limits::MEX_PARTNER_ID)?;
        let file_name = bounded(headers, n::MEX_FILE_NAME, limits::MEX_FILE_NAME)?;
        let encrypted = bounded(headers, n::MEX_CONTENT_ENCRYPTED, limits::MEX_CONTENT_ENCRYPTED)?;
        let compressed = bounded(headers, n::MEX_CONTENT_COMPRESSED, limits::MEX_CONTENT_COMPRESSED)?;
        let checksum = bounded(headers, n::MEX_CONTENT_CHECKSUM, limits::MEX_CONTENT_CHECKSUM)?;
        let content_type = bounded(headers, n::MEX_CONTENT_TYPE, limits::MEX_CONTENT_TYPE)?;

        let to = to.trim().to_ascii_uppercase();
        let workflow_id = workflow_id.trim().to_owned();
        let chunk_range = chunk_range.map(|v| v.trim().to_owned());

        let texts = [
            Some(&to),
            Some(&workflow_id),
            chunk_range.as_ref(),
            subject.as_ref(),
            local_id.as_ref(),
            partner_id.as_ref(),
            file_name.as_ref(),
            checksum.as_ref(),
            content_type.as_ref(),
        ];
        if texts.into_iter().flatten().any(|v| contains_control_chars(v))
            || is_url(&to)
            || is_url(&workflow_id)
            || checksum.as_deref().is_some_and(is_url)
        {
            return Err(MeshError::malformed_control_file());
        }
        if checksum.as_deref().is_some_and(|c| !is_valid_checksum(c)) {
            return Err(MeshError::invalid_checksum());
        }
        if to.is_empty() {
            return Err(MeshError::missing_to_address());
        }
        if workflow_id.is_empty() {
            return Err(MeshError::malformed_control_file());
        }

        let non_empty = |v: Option<String>| v.filter(|s| !s.is_empty());
        Ok(SendHeaders {
            to,
            workflow_id,
            chunk_range: non_empty(chunk_range),
            subject: non_empty(subject),
            local_id: non_empty(local_id),
            partner_id: non_empty(partner_id),
            file_name: non_empty(file_name),
            content_encrypted: encrypted.as_deref().is_some_and(parse_flag),
            content_compressed: compressed.as_deref().is_some_and(parse_flag),
            content_checksum: non_empty(checksum),
            content_type: non_empty(content_type),
        })
    }
}

/// A `mex-Chunk-Range` value `n:total`, 1 ≤ n ≤ total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkRange {
    pub chunk: u32,
    pub total: u32,
}

impl ChunkRange {
    /// Parses `n:total` (spaces around either number allowed). Anything else → 417 `InvalidHeaderChunks`.
    pub fn parse(value: &str) -> Result<Self, MeshError> {
        let number = |s: &str| {
            let s = s.trim();
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse::<u32>().ok()
        };
        let (chunk, total) = value.split_once(':').ok_or_else(MeshError::invalid_header_chunks)?;
        match (number(chunk), number(total)) {
            (Some(chunk), Some(total)) if 1 <= chunk && chunk <= total => Ok(ChunkRange { chunk, total }),
            _ => Err(MeshError::invalid_header_chunks()),
        }
    }

    /// The range of a request for chunk `request_chunk` (1 for the send itself, n ≥ 2 for
    /// `/outbox/{id}/{n}`), given its `mex-Chunk-Range` header: absent or empty means `1:1` and is
    /// only allowed for chunk 1; present, it must parse and name `request_chunk`.
    pub fn check(header: Option<&str>, request_chunk: u32) -> Result<Self, MeshError> {
        match header.map(str::trim).filter(|v| !v.is_empty()) {
            None if request_chunk == 1 => Ok(ChunkRange { chunk: 1, total: 1 }),
            None => Err(MeshError::invalid_header_chunks()),
            Some(value) => {
                let range = Self::parse(value)?;
                if range.chunk == request_chunk { Ok(range) } else { Err(MeshError::invalid_header_chunks()) }
            }
        }
    }

    /// Reads `mex-Chunk-Range` from a chunk upload (n ≥ 2) and checks it as [`ChunkRange::check`];
    /// over 20 characters or with control characters → 417 `InvalidHeaderChunks`.
    pub fn from_headers(headers: &HeaderMap, request_chunk: u32) -> Result<Self, MeshError> {
        let value = header(headers, names::MEX_CHUNK_RANGE);
        if value.as_deref().is_some_and(|v| v.chars().count() > limits::MEX_CHUNK_RANGE || contains_control_chars(v)) {
            return Err(MeshError::invalid_header_chunks());
        }
        Self::check(value.as_deref(), request_chunk)
    }

    /// Whether this is the last chunk.
    pub fn is_last(&self) -> bool {
        self.chunk == self.total
    }
}

impl std::fmt::Display for ChunkRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.chunk, self.total)
    }
}

/// A request body's `Content-Encoding`: MESH accepts none or gzip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentEncoding {
    Identity,
    Gzip,
}

impl ContentEncoding {
    /// The `Content-Encoding` of a send or chunk: absent or empty → identity, `gzip` (any case,
    /// trimmed) → gzip, anything else (including `identity`, `deflate`, lists) → 422
    /// `UnsupportedContentEncoding`, as in the sandbox.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, MeshError> {
        let value = header(headers, http::header::CONTENT_ENCODING.as_str()).unwrap_or_default();
        match value.trim().to_ascii_lowercase().as_str() {
            "" => Ok(ContentEncoding::Identity),
            "gzip" => Ok(ContentEncoding::Gzip),
            _ => Err(MeshError::unsupported_content_encoding()),
        }
    }

    /// A later chunk must use the first chunk's encoding, else 417 "cannot change content encoding".
    pub fn check_unchanged(first: Self, this: Self) -> Result<(), MeshError> {
        if first == this { Ok(()) } else { Err(MeshError::content_encoding_changed()) }
    }
}

/// The MESH API version a request asks for, which selects the JSON shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ApiVersion {
    V1,
    V2,
}

impl ApiVersion {
    /// The version from `Accept`: absent, empty, `application/json`, `*/*` or anything without
    /// `vnd.mesh` → v1; the first `vnd.mesh` media range decides otherwise: it must be exactly
    /// `application/vnd.mesh.v{N}+json` (any case, parameters after `;` ignored), N < 2 → v1,
    /// N ≥ 2 → v2; a malformed one → 400 "Accept header api format incorrect".
    pub fn from_accept(accept: Option<&str>) -> Result<Self, MeshError> {
        let Some(accept) = accept else { return Ok(ApiVersion::V1) };
        for range in accept.split(',') {
            let media = range.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            if !media.contains("vnd.mesh") {
                continue;
            }
            let digits = media
                .strip_prefix("application/vnd.mesh.v")
                .and_then(|rest| rest.strip_suffix("+json"))
                .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(MeshError::accept_header_malformed)?;
            // Digits that overflow are a large version, i.e. v2 behaviour.
            return Ok(match digits.parse::<u32>() {
                Ok(n) if n < 2 => ApiVersion::V1,
                _ => ApiVersion::V2,
            });
        }
        Ok(ApiVersion::V1)
    }

    /// The version from a request's `Accept` header (see [`ApiVersion::from_accept`]).
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, MeshError> {
        Self::from_accept(header(headers, http::header::ACCEPT.as_str()).as_deref())
    }

    /// The `Content-Type` of JSON responses in this version.
    pub fn content_type(self) -> &'static str {
        match self {
            ApiVersion::V1 => "application/json",
            ApiVersion::V2 => "application/vnd.mesh.v2+json",
        }
    }
}

#[cfg(test)]
mod tests {
    use http::{HeaderName, HeaderValue, StatusCode};

    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(value.as_bytes()).unwrap(),
            );
        }
        headers
    }

    fn send(extra: &[(&str, &str)]) -> Result<SendHeaders, MeshError> {
        let mut pairs = vec![("Mex-To", " x26abc2 "), ("Mex-WorkflowID", "TEST_WORKFLOW")];
        pairs.extend_from_slice(extra);
        SendHeaders::from_headers(&map(&pairs))
    }

    fn code(result: Result<SendHeaders, MeshError>) -> (u16, &'static str) {
        let err = result.unwrap_err();
        (err.status.as_u16(), err.code)
    }

    #[test]
    fn reads_headers_case_insensitively_and_normalises() {
        let headers = send(&[
            ("MEX-SUBJECT", "Results"),
            ("mex-localid", "local-1"),
            ("Mex-PartnerID", "partner"),
            ("Mex-FileName", "a.csv"),
            ("Mex-Content-Encrypted", "Y"),
            ("Mex-Content-Compressed", "N"),
            ("Mex-Content-Checksum", "md5:b10a8db164e0754105b7a99be72e3fe5"),
            ("Mex-Content-Type", "text/csv"),
            ("Mex-Chunk-Range", " 1:3 "),
        ])
        .unwrap();
        assert_eq!(headers.to, "X26ABC2");
        assert_eq!(headers.workflow_id, "TEST_WORKFLOW");
        assert_eq!(headers.subject.as_deref(), Some("Results"));
        assert_eq!(headers.local_id.as_deref(), Some("local-1"));
        assert_eq!(headers.partner_id.as_deref(), Some("partner"));
        assert_eq!(headers.file_name.as_deref(), Some("a.csv"));
        assert!(headers.content_encrypted);
        assert!(!headers.content_compressed);
        assert_eq!(headers.content_checksum.as_deref(), Some("md5:b10a8db164e0754105b7a99be72e3fe5"));
        assert_eq!(headers.content_type.as_deref(), Some("text/csv"));
        assert_eq!(headers.chunk_range.as_deref(), Some("1:3"));
    }

    #[test]
    fn optional_headers_absent_or_empty_are_none() {
        let headers = send(&[("mex-subject", "")]).unwrap();
        assert_eq!(headers.subject, None);
        assert_eq!(headers.local_id, None);
        assert_eq!(headers.chunk_range, None);
        assert!(!headers.content_encrypted);
    }

    #[test]
    fn non_ascii_bytes_round_trip_as_latin1() {
        let mut headers = map(&[("mex-to", "X26ABC2"), ("mex-workflowid", "W")]);
        headers.insert("mex-subject", HeaderValue::from_bytes("Café".as_bytes()).unwrap());
        let parsed = SendHeaders::from_headers(&headers).unwrap();
        let bytes: Vec<u8> = parsed.subject.unwrap().chars().map(|c| c as u8).collect();
        assert_eq!(bytes, "Café".as_bytes());
    }

    #[test]
    fn missing_to_is_08_and_missing_workflow_is_06() {
        assert_eq!(code(SendHeaders::from_headers(&map(&[("mex-workflowid", "W")]))), (400, "08"));
        assert_eq!(code(SendHeaders::from_headers(&map(&[("mex-to", "   "), ("mex-workflowid", "W")]))), (400, "08"));
        assert_eq!(code(SendHeaders::from_headers(&map(&[("mex-to", "X26ABC2")]))), (400, "06"));
        assert_eq!(
            code(SendHeaders::from_headers(&map(&[("mex-to", "X26ABC2"), ("mex-workflowid", " ")]))),
            (400, "06")
        );
    }

    #[test]
    fn headers_at_their_limit_pass_and_one_over_fails() {
        let cases = [
            ("mex-to", limits::MEX_TO),
            ("mex-workflowid", limits::MEX_WORKFLOW_ID),
            ("mex-subject", limits::MEX_SUBJECT),
            ("mex-localid", limits::MEX_LOCAL_ID),
            ("mex-partnerid", limits::MEX_PARTNER_ID),
            ("mex-filename", limits::MEX_FILE_NAME),
            ("mex-content-checksum", limits::MEX_CONTENT_CHECKSUM),
            ("mex-content-type", limits::MEX_CONTENT_TYPE),
            ("mex-content-encrypted", limits::MEX_CONTENT_ENCRYPTED),
        ];
        for (name, max) in cases {
            let ok = "a".repeat(max);
            let long = "a".repeat(max + 1);
            let mut headers = map(&[("mex-to", "X26ABC2"), ("mex-workflowid", "W")]);
            headers.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(&ok).unwrap());
            assert!(SendHeaders::from_headers(&headers).is_ok(), "{name} at {max}");
            headers.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(&long).unwrap());
            assert_eq!(code(SendHeaders::from_headers(&headers)), (400, "06"), "{name} over {max}");
        }
        assert_eq!(code(send(&[("mex-chunk-range", &format!("1:{}", "1".repeat(19)))])), (400, "06"));
    }

    #[test]
    fn limits_match_the_sandbox() {
        assert_eq!(
            [
                limits::MEX_TO,
                limits::MEX_WORKFLOW_ID,
                limits::MEX_CHUNK_RANGE,
                limits::MEX_SUBJECT,
                limits::MEX_LOCAL_ID,
                limits::MEX_PARTNER_ID,
                limits::MEX_FILE_NAME,
                limits::MEX_CONTENT_CHECKSUM,
            ],
            [100, 300, 20, 500, 300, 500, 300, 100]
        );
    }

    #[test]
    fn control_characters_are_06() {
        // HTTP header values can carry a tab; the other control characters are refused by the
        // HTTP layer itself, so the character check is also tested directly.
        for name in ["mex-subject", "mex-filename", "mex-localid", "mex-content-type"] {
            assert_eq!(code(send(&[(name, "a\tb")])), (400, "06"), "{name}");
        }
        assert_eq!(
            code(SendHeaders::from_headers(&map(&[("mex-to", "X26\tABC2"), ("mex-workflowid", "W")]))),
            (400, "06")
        );
        assert!(contains_control_chars("a\u{0}b"));
        assert!(contains_control_chars("line\nbreak"));
        assert!(contains_control_chars("\u{1f}"));
        assert!(!contains_control_chars("plain text ~ \u{7f}"));
    }

    #[test]
    fn urls_in_to_workflow_or_checksum_are_06() {
        assert_eq!(
            code(SendHeaders::from_headers(&map(&[("mex-to", "https://x"), ("mex-workflowid", "W")]))),
            (400, "06")
        );
        assert_eq!(
            code(SendHeaders::from_headers(&map(&[("mex-to", "X26ABC2"), ("mex-workflowid", "HTTP://evil")]))),
            (400, "06")
        );
        assert_eq!(code(send(&[("mex-content-checksum", "http://a")])), (400, "06"));
        // A URL elsewhere is only text.
        assert!(send(&[("mex-subject", "see https://example.org")]).is_ok());
        assert!(is_url("hTTpS://x"));
        assert!(!is_url("httpx://x"));
        assert!(!is_url("http"));
    }

    #[test]
    fn checksum_characters_are_limited() {
        assert!(send(&[("mex-content-checksum", "SHA256: ab-cd/ef")]).is_ok());
        let err = send(&[("mex-content-checksum", "abc;def")]).unwrap_err();
        assert_eq!((err.status, err.code), (StatusCode::BAD_REQUEST, "Invalid checksum"));
    }

    #[test]
    fn flags_follow_strtobool() {
        for yes in ["Y", "y", "yes", "TRUE", "t", "on", "1", " Y "] {
            assert!(parse_flag(yes), "{yes}");
        }
        for no in ["N", "no", "false", "0", "", "maybe"] {
            assert!(!parse_flag(no), "{no}");
        }
    }

    #[test]
    fn chunk_range_parses_n_of_total() {
        assert_eq!(ChunkRange::parse("1:1").unwrap(), ChunkRange { chunk: 1, total: 1 });
        assert_eq!(ChunkRange::parse(" 2 : 5 ").unwrap(), ChunkRange { chunk: 2, total: 5 });
        assert_eq!(ChunkRange::parse("3:3").unwrap().to_string(), "3:3");
        assert!(ChunkRange::parse("3:3").unwrap().is_last());
        assert!(!ChunkRange::parse("2:3").unwrap().is_last());
    }

    #[test]
    fn bad_chunk_ranges_are_417() {
        for bad in ["", "1", "0:1", "2:1", "1:0", "a:2", "1:b", "1:2:3", "-1:2", "+1:2", "1:99999999999", " : "] {
            let err = ChunkRange::parse(bad).unwrap_err();
            assert_eq!((err.status.as_u16(), err.code), (417, "InvalidHeaderChunks"), "{bad:?}");
        }
    }

    #[test]
    fn chunk_range_must_match_the_request() {
        assert_eq!(ChunkRange::check(None, 1).unwrap(), ChunkRange { chunk: 1, total: 1 });
        assert_eq!(ChunkRange::check(Some(" "), 1).unwrap(), ChunkRange { chunk: 1, total: 1 });
        assert_eq!(ChunkRange::check(Some("1:4"), 1).unwrap(), ChunkRange { chunk: 1, total: 4 });
        assert_eq!(ChunkRange::check(Some("3:4"), 3).unwrap(), ChunkRange { chunk: 3, total: 4 });
        assert!(ChunkRange::check(None, 2).is_err());
        assert!(ChunkRange::check(Some("2:4"), 1).is_err());
        assert!(ChunkRange::check(Some("2:4"), 3).is_err());
    }

    #[test]
    fn chunk_range_from_a_chunk_upload() {
        assert_eq!(ChunkRange::from_headers(&map(&[("Mex-Chunk-Range", "2:2")]), 2).unwrap().total, 2);
        assert!(ChunkRange::from_headers(&map(&[]), 2).is_err());
        assert!(ChunkRange::from_headers(&map(&[("mex-chunk-range", "2:\t2")]), 2).is_err());
        let long = format!("2:{}", "0".repeat(19));
        assert!(ChunkRange::from_headers(&map(&[("mex-chunk-range", &long)]), 2).is_err());
    }

    #[test]
    fn content_encoding_is_gzip_or_nothing() {
        assert_eq!(ContentEncoding::from_headers(&map(&[])).unwrap(), ContentEncoding::Identity);
        assert_eq!(
            ContentEncoding::from_headers(&map(&[("content-encoding", "")])).unwrap(),
            ContentEncoding::Identity
        );
        assert_eq!(
            ContentEncoding::from_headers(&map(&[("Content-Encoding", " GZIP ")])).unwrap(),
            ContentEncoding::Gzip
        );
        for bad in ["deflate", "br", "identity", "gzip, br", "x-gzip"] {
            let err = ContentEncoding::from_headers(&map(&[("content-encoding", bad)])).unwrap_err();
            assert_eq!((err.status.as_u16(), err.code), (422, "UnsupportedContentEncoding"), "{bad}");
        }
    }

    #[test]
    fn content_encoding_cannot_change_between_chunks() {
        assert!(ContentEncoding::check_unchanged(ContentEncoding::Gzip, ContentEncoding::Gzip).is_ok());
        let err = ContentEncoding::check_unchanged(ContentEncoding::Gzip, ContentEncoding::Identity).unwrap_err();
        assert_eq!(err.status.as_u16(), 417);
        assert_eq!(err.description, "cannot change content encoding");
    }

    #[test]
    fn accept_negotiation() {
        let v = |accept: Option<&str>| ApiVersion::from_accept(accept);
        assert_eq!(v(None).unwrap(), ApiVersion::V1);
        assert_eq!(v(Some("")).unwrap(), ApiVersion::V1);
        assert_eq!(v(Some("application/json")).unwrap(), ApiVersion::V1);
        assert_eq!(v(Some("*/*")).unwrap(), ApiVersion::V1);
        assert_eq!(v(Some("application/vnd.mesh.v1+json")).unwrap(), ApiVersion::V1);
        assert_eq!(v(Some("application/vnd.mesh.v2+json")).unwrap(), ApiVersion::V2);
        assert_eq!(v(Some("Application/VND.MESH.V2+JSON")).unwrap(), ApiVersion::V2);
        assert_eq!(v(Some("application/vnd.mesh.v2+json; q=0.9")).unwrap(), ApiVersion::V2);
        assert_eq!(v(Some("application/json, application/vnd.mesh.v2+json")).unwrap(), ApiVersion::V2);
        assert_eq!(v(Some("application/vnd.mesh.v3+json")).unwrap(), ApiVersion::V2);
        for bad in [
            "application/vnd.mesh.v2",
            "application/vnd.mesh.v+json",
            "application/vnd.mesh.vX+json",
            "text/vnd.mesh.v2+json",
            "application/vnd.mesh.v2+xml",
        ] {
            let err = v(Some(bad)).unwrap_err();
            assert_eq!(err.status, StatusCode::BAD_REQUEST, "{bad}");
            assert_eq!(err.description, "Accept header api format incorrect");
        }
    }

    #[test]
    fn accept_from_a_header_map() {
        let headers = map(&[("ACCEPT", "application/vnd.mesh.v2+json")]);
        assert_eq!(ApiVersion::from_headers(&headers).unwrap(), ApiVersion::V2);
        assert_eq!(ApiVersion::from_headers(&map(&[])).unwrap(), ApiVersion::V1);
        assert_eq!(ApiVersion::V2.content_type(), "application/vnd.mesh.v2+json");
        assert_eq!(ApiVersion::V1.content_type(), "application/json");
    }
}
