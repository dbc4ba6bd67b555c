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

/// The local gateway's side: `Authorization: Bearer <token>` verified in-process.
#[cfg(feature = "tokens")]
pub struct BearerToken(pub crate::identity::TokenVerifier);

#[cfg(feature = "tokens")]
impl Authenticator for BearerToken {
    fn authenticate(&self, request: &ApiRequest, now: OffsetDateTime) -> Result<Identity, Denial> {
        let token = bearer_token(request)?;
        self.0.verify(token, now)
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
}
