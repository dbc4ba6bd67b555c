//! The password grant (RFC 6749 §4.3), this rebuild's stand-in for signing in: a healthcare
//! worker's CIS user id and passcode (CIS2: smartcard and passcode), then the role profile they
//! act in (`selected_roleid`, required when they hold several); or a patient's NHS login username
//! and passcode. A wrong username and a wrong passcode get the same answer after the same work,
//! so the endpoint does not reveal which usernames exist.

use spine_shared::identity::Identity;

use crate::accounts::{self, Account};
use crate::context::CisContext;
use crate::form::Form;
use crate::identities;
use crate::oauth::{Failure, OAuthError};
use crate::passcode;

/// The one answer to a wrong username or passcode.
pub const BAD_CREDENTIALS: &str = "The username or password is incorrect";

/// The identity a username and passcode sign in as.
pub async fn grant(ctx: &CisContext, form: &Form) -> Result<Identity, Failure> {
    let username = form.required("username")?;
    let passcode = form.required("password")?;
    super::check_scope(form)?;
    let found = accounts::find(ctx.store.as_ref(), username).await?;
    let stored = found.as_ref().map(|a| a.passcode_hash.clone());
    if !check(passcode.to_owned(), stored, ctx.hash_iterations).await {
        return Err(OAuthError::invalid_grant(BAD_CREDENTIALS).into());
    }
    let Some(account) = found else { return Err(OAuthError::invalid_grant(BAD_CREDENTIALS).into()) };
    match account.account {
        Account::Worker { user_id } => {
            let Some((person, roles)) = ctx.directory.person(&user_id).await? else {
                tracing::warn!("a login account names no directory person");
                return Err(OAuthError::invalid_grant(BAD_CREDENTIALS).into());
            };
            let role = identities::choose_role(&roles, form.get("selected_roleid")).map_err(|e| match e {
                identities::RoleChoice::NoRole => OAuthError::invalid_grant(e.describe()),
                _ => OAuthError::invalid_request(e.describe()),
            })?;
            Ok(identities::worker(&person, role))
        }
        Account::Patient { nhs_number, subject, vector_of_trust } => {
            Ok(identities::patient(nhs_number, &subject, &vector_of_trust))
        }
    }
}

/// Verifies the passcode off the async threads (PBKDF2 takes tens of milliseconds); with no
/// account, spends the same time and fails.
async fn check(passcode: String, stored: Option<String>, iterations: u32) -> bool {
    let work = move || match stored {
        Some(hash) => passcode::verify(&passcode, &hash),
        None => {
            passcode::waste(&passcode, iterations);
            false
        }
    };
    tokio::task::spawn_blocking(work).await.unwrap_or(false)
}
