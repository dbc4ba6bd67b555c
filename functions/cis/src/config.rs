//! The names tokens carry and the lifetimes the service gives them. Issuer `{origin}/oauth2`,
//! audience `{origin}` and token endpoint `{issuer}/token` everywhere; in AWS from
//! `SPINE_TOKEN_ISSUER` / `SPINE_TOKEN_AUDIENCE`, by default from `SPINE_BASE_URL`.

use std::time::Duration;

/// How long an access token lives: ten minutes, as on the NHS API platform.
pub const TOKEN_TTL: Duration = Duration::from_secs(600);
/// `expires_in` as the platform reports it: a string, one second short of the lifetime.
pub const EXPIRES_IN: &str = "599";
/// The furthest in the future a client assertion's `exp` may be.
pub const MAX_ASSERTION_LIFETIME_SECS: i64 = 300;

/// The issuer and audience of the Spine's tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenNames {
    /// `iss` of every token, e.g. `https://api.service.nhs.uk/oauth2`.
    pub issuer: String,
    /// `aud` of every token, e.g. `https://api.service.nhs.uk`.
    pub audience: String,
}

impl TokenNames {
    /// The names for an origin such as `http://127.0.0.1:8080`.
    pub fn for_origin(origin: &str) -> Self {
        let origin = origin.trim_end_matches('/');
        TokenNames { issuer: format!("{origin}/oauth2"), audience: origin.to_owned() }
    }

    /// `SPINE_TOKEN_ISSUER` and `SPINE_TOKEN_AUDIENCE`, each defaulting to the names of
    /// `SPINE_BASE_URL`'s origin.
    pub fn from_env() -> Self {
        let defaults = TokenNames::for_origin(&spine_shared::config::origin_from_env());
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        TokenNames {
            issuer: var("SPINE_TOKEN_ISSUER").unwrap_or(defaults.issuer),
            audience: var("SPINE_TOKEN_AUDIENCE").unwrap_or(defaults.audience),
        }
    }

    /// The token endpoint's URL: the `aud` a client assertion must name.
    pub fn token_url(&self) -> String {
        format!("{}/token", self.issuer.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_origin() {
        let n = TokenNames::for_origin("http://127.0.0.1:8080/");
        assert_eq!(n.issuer, "http://127.0.0.1:8080/oauth2");
        assert_eq!(n.audience, "http://127.0.0.1:8080");
        assert_eq!(n.token_url(), "http://127.0.0.1:8080/oauth2/token");
    }
}
