//! Who may call, and the record of who did: an [`Authenticator`] turns the request into the
//! caller's [`Identity`] (in a Lambda from the API Gateway authorizer's context; in the local
//! gateway by verifying the bearer token in-process, with the same verifier the authorizer runs),
//! the [`Policy`] decides whether that identity may call the route, and the [`AuditSink`] records
//! the access. [`Access`] bundles the three for the pipeline.

use std::sync::Arc;

use time::OffsetDateTime;

use super::ApiRequest;
use crate::audit::AuditSink;
use crate::identity::{Claims, Denial, Identity, LEEWAY_SECONDS, Policy};

/// Establishes who is calling, or why they cannot be let in (a 401 [`Denial`]).
pub trait Authenticator: Send + Sync {
    fn authenticate(&self, request: &ApiRequest, now: OffsetDateTime) -> Result<Identity, Denial>;
}

/// What the pipeline needs to protect and audit a route.
#[derive(Clone)]
pub struct Access {
    pub authenticator: Arc<dyn Authenticator>,
    pub policy: &'static Policy,
    pub audit: Arc<dyn AuditSink>,
}

impl Access {
    pub fn new(authenticator: Arc<dyn Authenticator>, audit: Arc<dyn AuditSink>) -> Self {
        Access { authenticator, policy: Policy::embedded(), audit }
    }
}

/// The Lambda side: the claims the API Gateway authorizer verified and put in the request
/// context. The function checks expiry again, since API Gateway caches an authorizer's answer.
pub struct AuthorizerContext;

impl Authenticator for AuthorizerContext {
    fn authenticate(&self, request: &ApiRequest, now: OffsetDateTime) -> Result<Identity, Denial> {
        let raw = request
            .authorizer_claims
            .as_deref()
            .ok_or_else(|| Denial::unauthenticated("no authorizer context on the request"))?;
        let claims: Claims =
            serde_json::from_str(raw).map_err(|_| Denial::unauthenticated("authorizer context is not our claims"))?;
        if claims.exp <= now.unix_timestamp() - LEEWAY_SECONDS {
            return Err(Denial::unauthenticated("token has expired"));
        }
        claims.into_identity()
    }
}

/// The local gateway's side: `Authorization: Bearer <token>` verified in-process, remembering
/// each token it verified until the token expires, as API Gateway caches its authorizer's answer
/// per token: an ES256 verification costs ~0.2 ms of CPU, and a client sends the same token for
/// its whole life. Only the exact token string hits the cache, so a forged or altered token is
/// always verified in full; expiry is checked on every use.
#[cfg(feature = "tokens")]
pub struct BearerToken {
    verifier: crate::identity::TokenVerifier,
    verified: std::sync::RwLock<std::collections::HashMap<String, (Identity, i64)>>,
}

/// Tokens remembered at most; past it the cache starts afresh.
#[cfg(feature = "tokens")]
const MAX_REMEMBERED: usize = 10_000;

#[cfg(feature = "tokens")]
impl BearerToken {
    pub fn new(verifier: crate::identity::TokenVerifier) -> Self {
        BearerToken { verifier, verified: Default::default() }
    }
}

#[cfg(feature = "tokens")]
impl Authenticator for BearerToken {
    fn authenticate(&self, request: &ApiRequest, now: OffsetDateTime) -> Result<Identity, Denial> {
        let token = bearer_token(request)?;
        let now_s = now.unix_timestamp();
        if let Some((identity, exp)) = self.verified.read().ok().and_then(|m| m.get(token).cloned()) {
            if exp > now_s - LEEWAY_SECONDS {
                return Ok(identity);
            }
            return Err(Denial::unauthenticated("token has expired"));
        }
        let claims = self.verifier.verify_claims(token, now)?;
        let exp = claims.exp;
        let identity = claims.into_identity()?;
        if let Ok(mut m) = self.verified.write() {
            if m.len() >= MAX_REMEMBERED {
                m.clear();
            }
            m.insert(token.to_owned(), (identity.clone(), exp));
        }
        Ok(identity)
    }
}

/// The token of an `Authorization: Bearer …` header; anything else is a 401.
pub fn bearer_token(request: &ApiRequest) -> Result<&str, Denial> {
    let mut values = request.headers.get_all("authorization").iter();
    let value = values.next().ok_or_else(|| Denial::unauthenticated("no Authorization header"))?;
    if values.next().is_some() {
        return Err(Denial::unauthenticated("more than one Authorization header"));
    }
    let value = value.to_str().map_err(|_| Denial::unauthenticated("Authorization header is not ASCII"))?;
    let (scheme, token) =
        value.trim().split_once(' ').ok_or_else(|| Denial::unauthenticated("Authorization header is not Bearer"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(Denial::unauthenticated("Authorization header is not Bearer"));
    }
    Ok(token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::fixtures;

    fn request(claims: Option<String>) -> ApiRequest {
        ApiRequest { authorizer_claims: claims, ..Default::default() }
    }

    #[test]
    fn authorizer_claims_become_the_identity_until_they_expire() {
        let now = OffsetDateTime::now_utc();
        let id = fixtures::worker("R8000", &[]);
        let claims = Claims::new(&id, "iss", "aud", now.unix_timestamp() - 60, now.unix_timestamp() + 60, "j".into());
        let json = serde_json::to_string(&claims).unwrap();
        assert_eq!(AuthorizerContext.authenticate(&request(Some(json.clone())), now).unwrap(), id);
        let later = now + time::Duration::minutes(5);
        assert!(AuthorizerContext.authenticate(&request(Some(json)), later).is_err());
        assert!(AuthorizerContext.authenticate(&request(None), now).is_err());
        assert!(AuthorizerContext.authenticate(&request(Some("{}".into())), now).is_err());
    }

    #[test]
    fn only_one_bearer_header_is_accepted() {
        let with = |values: &[&str]| {
            let mut r = ApiRequest::default();
            for v in values {
                r.headers.append("authorization", v.parse().unwrap());
            }
            r
        };
        assert_eq!(bearer_token(&with(&["Bearer abc"])).unwrap(), "abc");
        assert_eq!(bearer_token(&with(&["bearer  abc "])).unwrap(), "abc");
        for bad in [&[][..], &["Basic abc"], &["Bearer"], &["Bearer "], &["abc"], &["Bearer a", "Bearer b"]] {
            assert!(bearer_token(&with(bad)).is_err(), "{bad:?}");
        }
    }

    #[cfg(feature = "tokens")]
    #[test]
    fn a_remembered_token_still_expires_and_an_altered_one_is_verified_in_full() {
        use crate::identity::{Jwks, TokenSigner, TokenVerifier, generate_p256_pkcs8_pem};
        let signer = TokenSigner::from_pem(&generate_p256_pkcs8_pem().unwrap(), "k", "iss").unwrap();
        let bearer = BearerToken::new(TokenVerifier::new("iss", "aud", &Jwks::from_signer(&signer)));
        let now = OffsetDateTime::now_utc();
        let token =
            signer.mint_at(&fixtures::worker("R8010", &[]), "aud", std::time::Duration::from_secs(60), now).unwrap();
        let with = |t: &str| {
            let mut r = ApiRequest::default();
            r.headers.insert("authorization", format!("Bearer {t}").parse().unwrap());
            r
        };
        assert!(bearer.authenticate(&with(&token), now).is_ok());
        assert!(bearer.authenticate(&with(&token), now).is_ok(), "from the cache");
        assert!(bearer.authenticate(&with(&format!("{token}A")), now).is_err(), "altered: verified, refused");
        let later = now + time::Duration::minutes(5);
        assert!(bearer.authenticate(&with(&token), later).is_err(), "expired, though remembered");
    }
}
