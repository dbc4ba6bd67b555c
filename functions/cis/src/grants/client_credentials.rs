//! The client credentials grant with a signed JWT client assertion (RFC 7523 §2.2; the NHS API
//! platform's "signed JWT authentication"): `client_assertion_type` must be
//! `urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and `client_assertion` the JWT that
//! [`crate::assertion`] checks. The token is application-restricted: the client's identity.

use spine_shared::identity::Identity;
use time::OffsetDateTime;

use crate::assertion;
use crate::context::CisContext;
use crate::form::Form;
use crate::identities;
use crate::oauth::{Failure, OAuthError};

/// The only client assertion type taken.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The application a client assertion authenticates.
pub async fn grant(ctx: &CisContext, form: &Form, now: OffsetDateTime) -> Result<Identity, Failure> {
    if form.get("client_assertion_type") != Some(JWT_BEARER) {
        return Err(OAuthError::invalid_request(format!(
            "Missing or invalid client_assertion_type - must be '{JWT_BEARER}'"
        ))
        .into());
    }
    let jwt = form.required("client_assertion")?;
    super::check_scope(form)?;
    let client = assertion::authenticate(ctx.store.as_ref(), &ctx.names.token_url(), jwt, now).await?;
    Ok(identities::application(&client))
}
