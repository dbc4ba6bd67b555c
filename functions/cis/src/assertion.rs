//! Client assertions (RFC 7523 §3): the signed JWT an application authenticates with. Checked in
//! this order: an ES256 compact JWT with a `kid` (this rebuild signs and verifies ES256 only; the
//! NHS API platform uses RS512); `iss` = `sub` = a registered client id; `kid` one of that
//! client's keys, whose signature it carries; `aud` the token endpoint's URL; `exp` not passed and
//! at most five minutes ahead (`nbf` and `iat`, when present, not ahead); and a `jti` the client
//! has not used before (recorded until the assertion expires). Every failure is `invalid_client`
//! (401), as RFC 7523 §3.2 requires. [`sign`] makes an assertion, for clients and tests.

use std::time::Duration;

use p256::ecdsa::SigningKey;
use p256::pkcs8::DecodePrivateKey;
use serde::{Deserialize, Serialize};
use spine_shared::identity::LEEWAY_SECONDS;
use spine_shared::ports::RecordStore;
use spine_shared::{SpineError, SpineResult};
use time::OffsetDateTime;

use crate::clients::{self, Client};
use crate::config::MAX_ASSERTION_LIFETIME_SECS;
use crate::jws::{self, Header, JwsError};
use crate::keys;
use crate::oauth::{Failure, OAuthError};

/// Longer `jti` values are refused.
pub const MAX_JTI_BYTES: usize = 256;

/// `aud`: one URL or several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn names(&self, url: &str) -> bool {
        match self {
            Audience::One(a) => a == url,
            Audience::Many(all) => all.iter().any(|a| a == url),
        }
    }
}

/// The claims of a client assertion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertionClaims {
    #[serde(default)]
    pub iss: Option<String>,
    #[serde(default)]
    pub sub: Option<String>,
    #[serde(default)]
    pub aud: Option<Audience>,
    #[serde(default)]
    pub exp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(default)]
    pub jti: Option<String>,
}

fn refuse(description: &'static str) -> Failure {
    Failure::OAuth(OAuthError::invalid_client(description))
}

/// The registered client a client assertion authenticates, at `now`, for the token endpoint at
/// `token_url`. On success the assertion's `jti` is spent.
pub async fn authenticate(
    store: &dyn RecordStore,
    token_url: &str,
    assertion: &str,
    now: OffsetDateTime,
) -> Result<Client, Failure> {
    let parsed = jws::parse(assertion).map_err(|e| match e {
        JwsError::Algorithm => {
            refuse("client_assertion must be signed with ES256 (the only algorithm this Spine accepts)")
        }
        _ => refuse("client_assertion is not a well-formed JWT"),
    })?;
    let kid = parsed.header.kid.clone().ok_or_else(|| refuse("client_assertion has no 'kid' header"))?;
    let claims: AssertionClaims = parsed.claims().map_err(|_| refuse("client_assertion claims are malformed"))?;
    let client_id = match (&claims.iss, &claims.sub) {
        (Some(iss), Some(sub)) if iss == sub && !iss.is_empty() => iss.clone(),
        _ => return Err(refuse("Missing or non-matching 'iss'/'sub' claims in client_assertion")),
    };
    let client = clients::find(store, &client_id).await?.ok_or_else(|| refuse("Unknown client"))?;
    let key = client
        .jwks
        .keys
        .iter()
        .find(|k| k.kid == kid)
        .and_then(keys::public_key_of)
        .ok_or_else(|| refuse("client_assertion 'kid' names no key registered for this client"))?;
    parsed.verify(&key).map_err(|_| refuse("client_assertion signature does not verify"))?;
    if !claims.aud.as_ref().is_some_and(|a| a.names(token_url)) {
        return Err(refuse("Missing or invalid 'aud' claim in client_assertion: must be the token endpoint URL"));
    }
    let now = now.unix_timestamp();
    let exp = claims.exp.ok_or_else(|| refuse("Missing 'exp' claim in client_assertion"))?;
    if exp <= now - LEEWAY_SECONDS {
        return Err(refuse("client_assertion has expired"));
    }
    if exp > now + MAX_ASSERTION_LIFETIME_SECS + LEEWAY_SECONDS {
        return Err(refuse("Invalid 'exp' claim in client_assertion: more than 5 minutes in the future"));
    }
    if [claims.nbf, claims.iat].into_iter().flatten().any(|t| t > now + LEEWAY_SECONDS) {
        return Err(refuse("client_assertion is not valid yet"));
    }
    let jti = claims.jti.as_deref().filter(|j| !j.is_empty() && j.len() <= MAX_JTI_BYTES);
    let jti = jti.ok_or_else(|| refuse("Missing or invalid 'jti' claim in client_assertion"))?;
    if !clients::use_jti(store, &client.client_id, jti, exp + LEEWAY_SECONDS).await? {
        return Err(refuse("client_assertion 'jti' has already been used"));
    }
    Ok(client)
}

/// A client assertion signed with a PKCS#8 PEM P-256 key (its `kid` the key's thumbprint):
/// `iss` = `sub` = `client_id`, `aud` = `token_url`, a fresh `jti`, issued at `now`, expiring
/// after `ttl` (at most five minutes for the Spine to take it).
pub fn sign(pem: &str, client_id: &str, token_url: &str, now: OffsetDateTime, ttl: Duration) -> SpineResult<String> {
    let key = SigningKey::from_pkcs8_pem(pem).map_err(|_| SpineError::internal("client key is not a P-256 PEM key"))?;
    let kid = keys::jwk_of(&(*key.verifying_key()).into()).kid;
    let iat = now.unix_timestamp();
    let claims = AssertionClaims {
        iss: Some(client_id.to_owned()),
        sub: Some(client_id.to_owned()),
        aud: Some(Audience::One(token_url.to_owned())),
        exp: Some(iat + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2)),
        nbf: None,
        iat: Some(iat),
        jti: Some(uuid::Uuid::new_v4().to_string()),
    };
    jws::sign(&Header::es256(&kid), &claims, &key)
}
