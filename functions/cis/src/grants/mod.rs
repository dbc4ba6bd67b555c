//! The token endpoint's grants: `password` (a healthcare worker in one of their role profiles,
//! or a patient — the local stand-ins for CIS2 smartcard login and NHS login) and
//! `client_credentials` with a signed JWT client assertion (RFC 7523, the NHS API platform's
//! application-restricted access). Each turns a form into the [`Identity`] a token is minted for.
//!
//! [`Identity`]: spine_shared::identity::Identity

pub mod client_credentials;
pub mod password;

use crate::form::{Form, shown};
use crate::oauth::{ErrorCode, OAuthError};

/// The scopes a token request may name. Tokens carry no scope of their own: what a caller may
/// do follows from its access mode and role, so these are accepted for the clients that send
/// them (CIS2's and NHS login's usual scopes) and any other is refused.
pub const SCOPES: [&str; 5] = ["openid", "profile", "nationalrbacaccess", "associatedorgs", "nhs_number"];

/// Refuses a `scope` naming anything not in [`SCOPES`].
pub fn check_scope(form: &Form) -> Result<(), OAuthError> {
    match form.get("scope").unwrap_or("").split(' ').find(|s| !s.is_empty() && !SCOPES.contains(s)) {
        Some(unknown) => {
            Err(OAuthError::new(ErrorCode::InvalidScope, format!("Scope {} is not offered", shown(unknown))))
        }
        None => Ok(()),
    }
}
