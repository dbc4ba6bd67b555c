//! MESH errors: [`MeshError`] (HTTP status, MESH event, code and description) and its two JSON
//! bodies — v1 `{messageID, errorEvent, errorCode, errorDescription}` and v2
//! `{message_id, internal_id, detail: [{event, code, msg}]}` — chosen by the request's API version.
//! Events, codes and descriptions follow the MESH sandbox (`common/constants.py` `ErrorCodeMap`,
//! `views/error.py`); a few statuses the references leave open are documented on their constructors.

use std::borrow::Cow;

use http::StatusCode;
use serde::Serialize;

use crate::headers::ApiVersion;

/// One MESH error: what a route answers with, in the body shape of the caller's API version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("MESH error {status}: event {event:?} code {code:?}: {description}")]
pub struct MeshError {
    /// The HTTP status of the response.
    pub status: StatusCode,
    /// The MESH error code, e.g. `"06"`, `"12"` (some sandbox codes are words, e.g. `"InvalidHeaderChunks"`;
    /// the authorization failures have an empty code).
    pub code: &'static str,
    /// The processing step, e.g. `"SEND"`, `"TRANSFER"`, `"COLLECT"` (empty for authorization failures).
    pub event: &'static str,
    /// Human-readable description.
    pub description: Cow<'static, str>,
    /// The message the error is about, when there is one (`messageID` / `message_id`).
    pub message_id: Option<String>,
}

/// The v1 error body (`application/json`).
#[derive(Debug, Serialize)]
struct V1Body<'a> {
    #[serde(rename = "messageID", skip_serializing_if = "Option::is_none")]
    message_id: Option<&'a str>,
    #[serde(rename = "errorEvent")]
    error_event: &'a str,
    #[serde(rename = "errorCode")]
    error_code: &'a str,
    #[serde(rename = "errorDescription")]
    error_description: &'a str,
}

/// The v2 error body (`application/vnd.mesh.v2+json`).
#[derive(Debug, Serialize)]
struct V2Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    message_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    internal_id: Option<&'a str>,
    detail: [V2Detail<'a>; 1],
}

#[derive(Debug, Serialize)]
struct V2Detail<'a> {
    event: &'a str,
    code: &'a str,
    msg: &'a str,
}

impl MeshError {
    /// A MESH error with a fixed description.
    pub const fn new(status: StatusCode, event: &'static str, code: &'static str, description: &'static str) -> Self {
        MeshError { status, code, event, description: Cow::Borrowed(description), message_id: None }
    }

    /// The same error about message `message_id` (shown as `messageID` / `message_id`).
    pub fn with_message_id(mut self, message_id: impl Into<String>) -> Self {
        self.message_id = Some(message_id.into());
        self
    }

    /// The JSON body for `version`. `internal_id` (the request's id) appears in v2 bodies only, as
    /// in the sandbox; absent fields are omitted.
    pub fn body(&self, version: ApiVersion, internal_id: Option<&str>) -> serde_json::Value {
        let message_id = self.message_id.as_deref();
        let result = match version {
            ApiVersion::V1 => serde_json::to_value(V1Body {
                message_id,
                error_event: self.event,
                error_code: self.code,
                error_description: &self.description,
            }),
            ApiVersion::V2 => serde_json::to_value(V2Body {
                message_id,
                internal_id,
                detail: [V2Detail { event: self.event, code: self.code, msg: &self.description }],
            }),
        };
        // Serialising these plain string structs cannot fail.
        result.unwrap_or(serde_json::Value::Null)
    }

    /// The body serialised, ready to send with [`ApiVersion::content_type`].
    pub fn body_bytes(&self, version: ApiVersion, internal_id: Option<&str>) -> Vec<u8> {
        self.body(version, internal_id).to_string().into_bytes()
    }

    // --- Send-time control-file errors (the MESH codes) ---

    /// 02: the message has no body. 417 `COLLECT` "Data file is missing or inaccessible." (sandbox
    /// `MissingDataFile`).
    pub const fn missing_data_file() -> Self {
        Self::new(StatusCode::EXPECTATION_FAILED, "COLLECT", "02", "Data file is missing or inaccessible.")
    }

    /// 06: malformed `mex-*` headers (control characters, a URL in to/workflow/checksum, a header
    /// over its maximum length, a missing or empty `mex-WorkflowID`). 400 `TRANSFER`
    /// "MalformedControlFile", the description the sandbox's header validation sends.
    pub const fn malformed_control_file() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "TRANSFER", "06", "MalformedControlFile")
    }

    /// 07: the sender address does not match the authenticated mailbox. The references give no
    /// status; 417 like the other send-time rejections.
    pub const fn invalid_from_address() -> Self {
        Self::new(StatusCode::EXPECTATION_FAILED, "SEND", "07", "Invalid From Address in the control file")
    }

    /// 08: `mex-To` missing or empty. 400 `SEND` "TO_DTS missing".
    pub const fn missing_to_address() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "SEND", "08", "TO_DTS missing")
    }

    /// 11: a message type other than DATA. The references give no status; 417.
    pub const fn invalid_message_type() -> Self {
        Self::new(StatusCode::EXPECTATION_FAILED, "SEND", "11", "Invalid Message Type for the transfer")
    }

    /// 12: the recipient mailbox does not exist. 417 `SEND` "Unregistered to address".
    pub const fn unregistered_recipient() -> Self {
        Self::new(StatusCode::EXPECTATION_FAILED, "SEND", "12", "Unregistered to address")
    }

    /// 14: the recipient did not acknowledge the message within `days` days. Its event, code and
    /// description are what the non-delivery REPORT carries in `mex-Status*`; the status (410 Gone)
    /// only applies if a route ever surfaces it directly.
    pub fn undelivered_message(days: u32) -> Self {
        MeshError {
            status: StatusCode::GONE,
            code: "14",
            event: "SEND",
            description: Cow::Owned(format!("Message not collected by recipient after {days} days")),
            message_id: None,
        }
    }

    /// 16: the sender may not send messages of this type. The references give no status or exact
    /// description (the spec's table says "Sender is not allowed to send messages of this type"); 417.
    pub const fn sender_not_allowed() -> Self {
        Self::new(StatusCode::EXPECTATION_FAILED, "SEND", "16", "Sender is not allowed to send messages of this type")
    }

    /// 17: the workflow is not registered for the mailbox. The references give no status; 417.
    pub const fn workflow_not_registered() -> Self {
        Self::new(StatusCode::EXPECTATION_FAILED, "SEND", "17", "Workflow ID not registered for mailbox")
    }

    /// A `mex-Content-Checksum` with characters other than letters, digits, whitespace and `:-/`.
    /// 400 with the sandbox's word code "Invalid checksum".
    pub const fn invalid_checksum() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "SEND", "Invalid checksum", "Invalid checksum")
    }

    /// A bad `mex-Chunk-Range` (not `n:total` with 1 ≤ n ≤ total, or not the chunk in the path).
    /// 417 with the sandbox's word code `InvalidHeaderChunks`.
    pub const fn invalid_header_chunks() -> Self {
        Self::new(
            StatusCode::EXPECTATION_FAILED,
            "SEND",
            "InvalidHeaderChunks",
            "Invalid chunk values sent in mex-Chunk-Range header",
        )
    }

    /// A `Content-Encoding` other than gzip. 422 with the sandbox's word code `UnsupportedContentEncoding`.
    pub const fn unsupported_content_encoding() -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "SEND",
            "UnsupportedContentEncoding",
            "Unsupported content encoding",
        )
    }

    /// A later chunk whose `Content-Encoding` differs from the first chunk's. 417; the sandbox
    /// sends only the description, so event and code are empty.
    pub const fn content_encoding_changed() -> Self {
        Self::new(StatusCode::EXPECTATION_FAILED, "", "", "cannot change content encoding")
    }

    // --- Requests ---

    /// A malformed `vnd.mesh` media type in `Accept`. 400, description only (as the sandbox).
    pub const fn accept_header_malformed() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "", "", "Accept header api format incorrect")
    }

    /// 20: no such message. 404 `RECEIVE` "Message does not exist".
    pub const fn message_does_not_exist() -> Self {
        Self::new(StatusCode::NOT_FOUND, "RECEIVE", "20", "Message does not exist")
    }

    /// The message was already acknowledged or has expired. 410 with the sandbox's event, code and
    /// description.
    pub const fn message_gone() -> Self {
        Self::new(StatusCode::GONE, "SEND", "Message already accepted", "Message no longer available for download")
    }

    // --- Authorization (all 403; the sandbox sends descriptions only, except EPL-151) ---

    /// The `Authorization` header is missing or not a well-formed NHSMESH token.
    pub const fn auth_header_unreadable() -> Self {
        Self::new(StatusCode::FORBIDDEN, "", "", "Error reading from Authorization header")
    }

    /// The token's mailbox is not the mailbox in the path.
    pub const fn mailbox_token_mismatch() -> Self {
        Self::new(StatusCode::FORBIDDEN, "", "", "Mailbox id does not match token")
    }

    /// Wrong HMAC (shared key or password) or a timestamp outside the accepted window.
    pub const fn invalid_auth_token() -> Self {
        Self::new(StatusCode::FORBIDDEN, "", "", "Invalid Authentication Token")
    }

    /// The token was used before (replay).
    pub const fn duplicated_auth_token() -> Self {
        Self::new(StatusCode::FORBIDDEN, "", "", "Error Duplicated Authentication Token")
    }

    /// The path's mailbox does not exist. 403 `SEND` `EPL-151` "No mailbox matched".
    pub const fn no_mailbox_matched() -> Self {
        Self::new(StatusCode::FORBIDDEN, "SEND", "EPL-151", "No mailbox matched")
    }

    // --- Message access and upload state (the sandbox sends a bare status; descriptions are ours) ---

    /// The caller is not the message's sender (a chunk upload). 403; the sandbox sends FastAPI's
    /// bare 403, so event and code are empty.
    pub const fn not_sender() -> Self {
        Self::new(StatusCode::FORBIDDEN, "", "", "Forbidden")
    }

    /// The caller is not the message's recipient (download, acknowledge). 403, as [`Self::not_sender`].
    pub const fn not_recipient() -> Self {
        Self::new(StatusCode::FORBIDDEN, "", "", "Forbidden")
    }

    /// A chunk for a message that is no longer `uploading`. 423 Locked, as the sandbox; it sends no
    /// description, so this one is ours.
    pub const fn message_not_uploading() -> Self {
        Self::new(StatusCode::LOCKED, "SEND", "", "Message is not being uploaded")
    }

    /// A chunk number above the message's total on upload. 406 Not Acceptable, as the sandbox; the
    /// description is ours. (On download the sandbox answers 404 instead.)
    pub const fn chunk_out_of_range() -> Self {
        Self::new(StatusCode::NOT_ACCEPTABLE, "SEND", "", "Chunk number out of range")
    }

    /// A request body (a chunk) over the platform's limit: 413. API Gateway takes 10 MB and Lambda
    /// 6 MB once base64-encoded, so a chunk may be at most [`crate::MAX_CHUNK_BYTES`].
    pub const fn chunk_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "SEND",
            "",
            "Chunk too large: at most 4500000 bytes per chunk (send larger messages in more chunks)",
        )
    }

    /// The store failed. 500.
    pub const fn internal_error() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "", "", "Internal Server Error")
    }

    /// Too much contention on one message to finish the write now. 503, which mesh-client retries.
    pub const fn service_unavailable() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "", "", "Service Unavailable")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn v1_body_has_the_sandbox_field_names() {
        let body = MeshError::malformed_control_file().body(ApiVersion::V1, Some("req-1"));
        assert_eq!(
            body,
            json!({"errorEvent": "TRANSFER", "errorCode": "06", "errorDescription": "MalformedControlFile"})
        );
    }

    #[test]
    fn v1_body_carries_the_message_id() {
        let err = MeshError::invalid_header_chunks().with_message_id("20240229130542123456_0A1B2C");
        assert_eq!(err.status, StatusCode::EXPECTATION_FAILED);
        assert_eq!(
            err.body(ApiVersion::V1, None),
            json!({
                "messageID": "20240229130542123456_0A1B2C",
                "errorEvent": "SEND",
                "errorCode": "InvalidHeaderChunks",
                "errorDescription": "Invalid chunk values sent in mex-Chunk-Range header"
            })
        );
    }

    #[test]
    fn v2_body_has_detail_list_and_internal_id() {
        let err = MeshError::unregistered_recipient().with_message_id("20240229130542123456_0A1B2C");
        assert_eq!(
            err.body(ApiVersion::V2, Some("req-1")),
            json!({
                "message_id": "20240229130542123456_0A1B2C",
                "internal_id": "req-1",
                "detail": [{"event": "SEND", "code": "12", "msg": "Unregistered to address"}]
            })
        );
    }

    #[test]
    fn v2_body_omits_absent_ids() {
        let body = MeshError::invalid_auth_token().body(ApiVersion::V2, None);
        assert_eq!(body, json!({"detail": [{"event": "", "code": "", "msg": "Invalid Authentication Token"}]}));
    }

    #[test]
    fn body_bytes_are_the_json_body() {
        let bytes = MeshError::missing_to_address().body_bytes(ApiVersion::V1, None);
        let parsed: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(parsed, json!({"errorEvent": "SEND", "errorCode": "08", "errorDescription": "TO_DTS missing"}));
    }

    #[test]
    fn codes_events_and_statuses() {
        let cases = [
            (MeshError::missing_data_file(), 417, "COLLECT", "02"),
            (MeshError::malformed_control_file(), 400, "TRANSFER", "06"),
            (MeshError::invalid_from_address(), 417, "SEND", "07"),
            (MeshError::missing_to_address(), 400, "SEND", "08"),
            (MeshError::invalid_message_type(), 417, "SEND", "11"),
            (MeshError::unregistered_recipient(), 417, "SEND", "12"),
            (MeshError::undelivered_message(5), 410, "SEND", "14"),
            (MeshError::sender_not_allowed(), 417, "SEND", "16"),
            (MeshError::workflow_not_registered(), 417, "SEND", "17"),
            (MeshError::message_does_not_exist(), 404, "RECEIVE", "20"),
            (MeshError::unsupported_content_encoding(), 422, "SEND", "UnsupportedContentEncoding"),
            (MeshError::content_encoding_changed(), 417, "", ""),
            (MeshError::accept_header_malformed(), 400, "", ""),
            (MeshError::auth_header_unreadable(), 403, "", ""),
            (MeshError::no_mailbox_matched(), 403, "SEND", "EPL-151"),
        ];
        for (err, status, event, code) in cases {
            assert_eq!(err.status.as_u16(), status, "{err}");
            assert_eq!(err.event, event, "{err}");
            assert_eq!(err.code, code, "{err}");
            assert!(!err.description.is_empty(), "{err}");
        }
    }

    #[test]
    fn undelivered_description_names_the_days() {
        assert_eq!(MeshError::undelivered_message(5).description, "Message not collected by recipient after 5 days");
    }
}
