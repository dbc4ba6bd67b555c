//! The mailbox routes: `_ping` (no token), the handshake (`POST /{mailbox}`: "my client is
//! alive", authenticated) and the inbox count.

use http::StatusCode;
use serde_json::json;
use spine_shared::pipeline::ApiRequest;

use super::authn::{authenticate, path_mailbox};
use super::{MeshContext, Reply};
use crate::error::MeshError;
use crate::headers::ApiVersion;

/// `GET /messageexchange/_ping`: up, no token needed.
pub fn ping() -> Reply {
    let body = json!({"status": "pass", "ping": "pong", "service": "mesh", "version": env!("CARGO_PKG_VERSION")});
    Reply::json(StatusCode::OK, ApiVersion::V1, &body)
}

/// `POST /messageexchange/{mailbox}`: v2 answers `{"mailboxId"}`, v1 an empty 200.
pub async fn handshake(ctx: &MeshContext, request: &ApiRequest, version: ApiVersion) -> Result<Reply, MeshError> {
    let mailbox = authenticate(ctx, request, Some(path_mailbox(request))).await?;
    Ok(match version {
        ApiVersion::V1 => Reply::empty(StatusCode::OK),
        ApiVersion::V2 => Reply::json(StatusCode::OK, version, &json!({"mailboxId": mailbox.id})),
    })
}

/// `GET /messageexchange/{mailbox}/count`: the messages waiting in the inbox.
pub async fn count(ctx: &MeshContext, request: &ApiRequest, version: ApiVersion) -> Result<Reply, MeshError> {
    let mailbox = authenticate(ctx, request, Some(path_mailbox(request))).await?;
    let count = ctx.store.inbox_count(&mailbox.id).await?;
    let exact = count < crate::store::INBOX_COUNT_CAP;
    Ok(match version {
        ApiVersion::V1 => Reply::json(
            StatusCode::OK,
            version,
            &json!({"count": count, "internalID": request.request_id(), "allResultsIncluded": exact}),
        ),
        ApiVersion::V2 => Reply::json(StatusCode::OK, version, &json!({"count": count})),
    })
}
