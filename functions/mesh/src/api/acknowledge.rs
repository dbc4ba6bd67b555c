//! `PUT /{mailbox}/inbox/{id}/status/acknowledged`: the recipient has the message; it leaves the
//! inbox. Idempotent — acknowledging again answers the same; only the recipient may (403); an
//! unknown message is 404. The call that makes the change announces it (`acknowledged`).

use http::StatusCode;
use serde_json::json;
use spine_shared::pipeline::ApiRequest;

use super::authn::{authenticate, path_mailbox};
use super::download::path_message;
use super::{MeshContext, Reply};
use crate::error::MeshError;
use crate::events::{MeshEventKind, publish};
use crate::headers::ApiVersion;

pub async fn acknowledge(ctx: &MeshContext, request: &ApiRequest, version: ApiVersion) -> Result<Reply, MeshError> {
    let mailbox = authenticate(ctx, request, Some(path_mailbox(request))).await?;
    let id = path_message(request)?;
    let done =
        ctx.store.acknowledge(&id, &mailbox.id).await.map_err(|e| MeshError::from(e).with_message_id(id.as_str()))?;
    if done.changed {
        publish(ctx.events.as_ref(), MeshEventKind::Acknowledged, &done.meta).await;
    }
    Ok(match version {
        ApiVersion::V1 => Reply::json(StatusCode::OK, version, &json!({"messageId": id.as_str()})),
        ApiVersion::V2 => Reply::empty(StatusCode::OK),
    })
}
