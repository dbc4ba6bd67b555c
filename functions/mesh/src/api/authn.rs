//! Who is calling: the `NHSMESH` token of a request, checked in the order MESH does — a readable
//! token, its mailbox the path's, a mailbox that exists, a timestamp within two hours, the HMAC
//! over the mailbox's password with the shared key — and then spent: its (mailbox, nonce, nonce
//! count) is recorded by a conditional write, so a token works once ([`MeshStore::record_token`]).
//! Every refusal is a 403 that says nothing of the password; nothing here logs a token.

use spine_shared::pipeline::ApiRequest;
use time::OffsetDateTime;

use super::MeshContext;
use crate::auth::AuthToken;
use crate::error::MeshError;
use crate::model::Mailbox;
#[cfg(doc)]
use crate::store::MeshStore;

/// The mailbox a request's token proves, and spends the token. `path_mailbox` is the route's
/// `{mailbox_id}` (absent on lookup routes, where any mailbox's token will do).
pub async fn authenticate(
    ctx: &MeshContext,
    request: &ApiRequest,
    path_mailbox: Option<&str>,
) -> Result<Mailbox, MeshError> {
    let token = AuthToken::from_headers(&request.headers)?;
    if let Some(path_mailbox) = path_mailbox {
        token.check_mailbox(path_mailbox)?;
    }
    let mailbox = ctx.store.mailbox(token.mailbox()).await?.ok_or_else(MeshError::no_mailbox_matched)?;
    token.check_timestamp(OffsetDateTime::now_utc())?;
    token.check_signature(&ctx.shared_key, &mailbox.password_plaintext)?;
    ctx.store.record_token(&token.replay_key()).await?;
    Ok(mailbox)
}

/// The route's `{mailbox_id}` (always present on the routes that name it).
pub fn path_mailbox(request: &ApiRequest) -> &str {
    request.path_param("mailbox_id").unwrap_or_default()
}
