//! Downloading: `GET /{mailbox}/inbox/{id}` (chunk 1), `GET …/{id}/{n}` (chunk n) and
//! `HEAD …/{id}` (chunk 1's headers, no body). Only the recipient may, and only while the message
//! is `accepted` or `acknowledged` (403, 410); an unknown message or chunk is 404. A non-final
//! chunk is 206 Partial Content, the last 200; `Mex-Chunk-Range: n:N` is always sent, with every
//! `mex-*` header the sender set and the status headers (`00 TRANSFER` for data, the report's own
//! for a REPORT). Compression follows `Accept-Encoding` ([`super::encoding`]).

use bytes::Bytes;
use http::StatusCode;
use spine_shared::pipeline::ApiRequest;
use time::OffsetDateTime;

use super::authn::{authenticate, path_mailbox};
use super::encoding::{accepts_gzip, for_download};
use super::{MeshContext, Reply};
use crate::error::MeshError;
use crate::headers::ApiVersion;
use crate::message_id::MessageId;
use crate::model::{MessageMeta, MessageType, StoredEncoding};
use crate::store::check_download;

pub async fn first_chunk(ctx: &MeshContext, request: &ApiRequest, version: ApiVersion) -> Result<Reply, MeshError> {
    serve(ctx, request, version, 1, true).await
}

pub async fn head(ctx: &MeshContext, request: &ApiRequest, version: ApiVersion) -> Result<Reply, MeshError> {
    serve(ctx, request, version, 1, false).await
}

pub async fn chunk(ctx: &MeshContext, request: &ApiRequest, version: ApiVersion) -> Result<Reply, MeshError> {
    let n = request.path_param("chunk_number").and_then(|n| n.parse::<u32>().ok());
    let Some(n) = n else {
        authenticate(ctx, request, Some(path_mailbox(request))).await?;
        return Err(MeshError::message_does_not_exist());
    };
    serve(ctx, request, version, n, true).await
}

/// The message a path names: a malformed id names none (404).
pub fn path_message(request: &ApiRequest) -> Result<MessageId, MeshError> {
    let id = request.path_param("message_id").unwrap_or_default();
    MessageId::parse(id.trim()).map_err(|_| MeshError::message_does_not_exist().with_message_id(id))
}

async fn serve(
    ctx: &MeshContext,
    request: &ApiRequest,
    version: ApiVersion,
    n: u32,
    with_body: bool,
) -> Result<Reply, MeshError> {
    let mailbox = authenticate(ctx, request, Some(path_mailbox(request))).await?;
    let id = path_message(request)?;
    let meta = ctx.store.message(&id).await.map_err(|e| MeshError::from(e).with_message_id(id.as_str()))?;
    check_download(&meta, &mailbox.id).map_err(|e| MeshError::from(e).with_message_id(id.as_str()))?;
    let total = meta.total_chunks;
    if n < 1 || (n > total && !(n == 1 && total == 0)) {
        return Err(MeshError::message_does_not_exist().with_message_id(id.as_str()));
    }
    // HEAD describes the message (200); a GET of a chunk before the last is partial content.
    let status = if n >= total || !with_body { StatusCode::OK } else { StatusCode::PARTIAL_CONTENT };
    let mut reply = Reply::empty(status);
    reply.headers = message_headers(&meta, n);
    let content_type = match (&meta.content_type, version, total) {
        (Some(t), ApiVersion::V2, 0 | 1) => t.clone(),
        _ => "application/octet-stream".to_owned(),
    };
    reply = reply.with_header("content-type", content_type);
    if !with_body {
        return Ok(reply);
    }
    let stored = if total == 0 { Bytes::new() } else { ctx.store.chunk_of(&meta, n).await? };
    let gzip = accepts_gzip(request.header("accept-encoding"));
    let encoding =
        if meta.message_type == MessageType::Report { StoredEncoding::Identity } else { meta.content_encoding };
    let (body, encoded) = for_download(stored, encoding, gzip, version)?;
    if encoded {
        reply = reply.with_header("content-encoding", "gzip").with_header("mex-content-compressed", "Y");
    } else if meta.content_compressed {
        reply = reply.with_header("mex-content-compressed", "Y");
    }
    reply.body = body;
    Ok(reply)
}

/// The `mex-*` headers of chunk `n` of a message, empty ones left out.
fn message_headers(meta: &MessageMeta, n: u32) -> Vec<(String, String)> {
    let status_time = meta.accepted_at.unwrap_or(meta.status_at);
    let (code, event, description, success) = match &meta.report {
        Some(r) => (r.code.as_str(), r.event.as_str(), r.description.as_str(), "ERROR"),
        None => ("00", "TRANSFER", "Transferred to recipient mailbox", "SUCCESS"),
    };
    let file_name = meta.file_name.clone().unwrap_or_else(|| format!("{}.dat", meta.id));
    let message_type = match meta.message_type {
        MessageType::Data => "DATA",
        MessageType::Report => "REPORT",
    };
    let headers = [
        ("mex-from", Some(meta.sender.clone())),
        ("mex-to", Some(meta.recipient.clone())),
        ("mex-workflowid", Some(meta.workflow_id.clone())),
        ("mex-chunk-range", Some(format!("{n}:{}", meta.total_chunks.max(1)))),
        ("mex-total-chunks", Some(meta.total_chunks.to_string())),
        ("mex-addresstype", Some("ALL".to_owned())),
        ("mex-localid", meta.local_id.clone()),
        ("mex-partnerid", meta.partner_id.clone()),
        ("mex-filename", Some(file_name)),
        ("mex-subject", meta.subject.clone()),
        ("mex-version", Some("1.0".to_owned())),
        ("mex-messagetype", Some(message_type.to_owned())),
        ("mex-messageid", Some(meta.id.to_string())),
        ("mex-linkedmsgid", meta.linked_message_id.as_ref().map(|id| id.to_string())),
        ("mex-statuscode", Some(code.to_owned())),
        ("mex-statusevent", Some(event.to_owned())),
        ("mex-statusdescription", Some(description.to_owned())),
        ("mex-statussuccess", Some(success.to_owned())),
        ("mex-statustimestamp", Some(compact_time(status_time))),
        ("mex-content-encrypted", meta.content_encrypted.then(|| "Y".to_owned())),
        ("mex-content-checksum", meta.checksum.clone()),
        ("mex-content-type", meta.content_type.clone()),
        ("last-modified", Some(http_date(meta.status_at))),
    ];
    headers.into_iter().filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k.to_owned(), v))).collect()
}

/// `yyyyMMddHHmmss`, UTC (`mex-StatusTimestamp`).
pub(super) fn compact_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// An HTTP date (`Last-Modified`): `Sun, 22 Nov 2026 13:00:00 GMT`.
fn http_date(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let weekday = &at.weekday().to_string()[..3];
    let month = &at.month().to_string()[..3];
    format!(
        "{weekday}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT",
        at.day(),
        at.year(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times_as_mesh_and_http_do() {
        let at = time::macros::datetime!(2026-11-22 13:05:09 UTC);
        assert_eq!(compact_time(at), "20261122130509");
        assert_eq!(http_date(at), "Sun, 22 Nov 2026 13:05:09 GMT");
    }
}
