//! `POST /oauth2/token`: the token endpoint (RFC 6749 §3.2). Reads the form, runs its grant
//! (`password` or `client_credentials`; any other is `unsupported_grant_type`), and answers with
//! a ten-minute ES256 access token for the identity the grant established. OAuth errors are
//! answered in OAuth's format; only a fault of ours becomes a 500 `OperationOutcome`. The log
//! line names the grant and the outcome, never a username, passcode, assertion or token.

use async_trait::async_trait;
use spine_shared::SpineResult;
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};
use time::OffsetDateTime;

use crate::config::TOKEN_TTL;
use crate::context::CisContext;
use crate::form::{Form, shown};
use crate::grants::{client_credentials, password};
use crate::oauth::{ErrorCode, Failure, OAuthError, TokenResponse};

pub struct Token(pub CisContext);

#[async_trait]
impl Handler for Token {
    async fn handle(&self, request: &ApiRequest) -> SpineResult<ApiResponse> {
        let ctx = &self.0;
        let now = OffsetDateTime::now_utc();
        let form = match Form::parse(request) {
            Ok(form) => form,
            Err(e) => return Ok(refused("unknown", e)),
        };
        let grant_type = form.get("grant_type").unwrap_or("");
        let outcome = match grant_type {
            "password" => password::grant(ctx, &form).await,
            "client_credentials" => client_credentials::grant(ctx, &form, now).await,
            "" => Err(OAuthError::invalid_request("Missing required parameter grant_type").into()),
            other => Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                format!("grant_type {} is not supported: use password or client_credentials", shown(other)),
            )
            .into()),
        };
        let grant = if matches!(grant_type, "password" | "client_credentials") { grant_type } else { "other" };
        let identity = match outcome {
            Ok(identity) => identity,
            Err(Failure::OAuth(e)) => return Ok(refused(grant, e)),
            Err(Failure::Fault(e)) => return Err(e),
        };
        let issued_at = OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        let token = ctx.minter.mint(&identity, &ctx.names.audience, TOKEN_TTL).await?;
        tracing::info!(grant, access_mode = identity.access_mode().as_str(), "token issued");
        Ok(TokenResponse::bearer(token, issued_at).response())
    }
}

fn refused(grant: &str, e: OAuthError) -> ApiResponse {
    tracing::info!(grant, error = ?e.error, "token refused");
    e.response()
}
