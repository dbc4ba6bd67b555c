//! Sending: `POST /{mailbox}/outbox` (the `mex-*` headers and chunk 1) and
//! `POST /{mailbox}/outbox/{id}/{n}` (chunk n ≥ 2), both 202. Chunk 1 creates the message
//! (`uploading`, or `accepted` at once when it is the only chunk) with a new id; the upload that
//! brings the last missing chunk makes it `accepted`, exactly once, and announces it. A chunk is
//! at most [`crate::MAX_CHUNK_BYTES`] (the route table's `max_body`; more is 413 before this runs),
//! so a message of any size passes chunk by chunk and is never held whole.
//!
//! Checks, in MESH's order: the token; the `mex-*` headers (codes 06/08, checksum);
//! `Content-Encoding` (gzip only, 422); `mex-Chunk-Range` (417); an empty body (02); the recipient
//! exists (code 12); then the store's (unknown message 404, not the sender 403, no longer
//! uploading 423, out of range 406, encoding changed 417).

use http::StatusCode;
use serde_json::json;
use spine_shared::pipeline::ApiRequest;
use time::OffsetDateTime;

use super::authn::{authenticate, path_mailbox};
use super::download::path_message;
use super::{MeshContext, Reply};
use crate::error::MeshError;
use crate::events::{MeshEventKind, publish};
use crate::headers::{ApiVersion, ChunkRange, ContentEncoding, SendHeaders};
use crate::message_id::MessageId;
use crate::model::MessageMeta;
use crate::store::ChunkReceipt;

pub async fn send(ctx: &MeshContext, request: &ApiRequest, version: ApiVersion) -> Result<Reply, MeshError> {
    let mailbox = authenticate(ctx, request, Some(path_mailbox(request))).await?;
    let headers = SendHeaders::from_headers(&request.headers)?;
    let encoding = ContentEncoding::from_headers(&request.headers)?;
    let range = ChunkRange::check(headers.chunk_range.as_deref(), 1)?;
    if request.body.is_empty() {
        return Err(MeshError::missing_data_file());
    }
    if ctx.store.mailbox(&headers.to).await?.is_none() {
        return Err(MeshError::unregistered_recipient());
    }
    let now = OffsetDateTime::now_utc();
    let id = MessageId::generate(now);
    let meta = MessageMeta::from_send(id.clone(), &mailbox.id, &headers, encoding, range.total, now);
    let receipt = ctx.store.start_message(meta, request.body.clone()).await?;
    announce(ctx, &receipt).await;
    Ok(match version {
        ApiVersion::V1 => Reply::json(StatusCode::ACCEPTED, version, &json!({"messageID": id.as_str()})),
        ApiVersion::V2 => Reply::json(StatusCode::ACCEPTED, version, &json!({"message_id": id.as_str()})),
    })
}

pub async fn chunk(ctx: &MeshContext, request: &ApiRequest, version: ApiVersion) -> Result<Reply, MeshError> {
    let mailbox = authenticate(ctx, request, Some(path_mailbox(request))).await?;
    let id = path_message(request)?;
    let n = request
        .path_param("chunk_number")
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| *n >= 1)
        .ok_or_else(MeshError::invalid_header_chunks)?;
    ChunkRange::from_headers(&request.headers, n)?;
    let encoding = ContentEncoding::from_headers(&request.headers)?;
    if request.body.is_empty() {
        return Err(MeshError::missing_data_file().with_message_id(id.as_str()));
    }
    let receipt = ctx
        .store
        .put_chunk(&id, &mailbox.id, n, encoding, request.body.clone())
        .await
        .map_err(|e| MeshError::from(e).with_message_id(id.as_str()))?;
    announce(ctx, &receipt).await;
    Ok(match version {
        ApiVersion::V1 => Reply::json(StatusCode::ACCEPTED, version, &json!({"messageID": id.as_str(), "blockID": n})),
        ApiVersion::V2 => Reply::empty(StatusCode::ACCEPTED),
    })
}

async fn announce(ctx: &MeshContext, receipt: &ChunkReceipt) {
    if receipt.accepted_now {
        publish(ctx.events.as_ref(), MeshEventKind::Accepted, &receipt.meta).await;
    }
}
