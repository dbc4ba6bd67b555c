//! OAuth 2.0's own answers (RFC 6749 §5): the token response in the NHS API platform's shape
//! (`expires_in` and `issued_at` as strings) and the error response
//! `{"error": …, "error_description": …}`, 400 or, for `invalid_client`, 401. Both JSON, never
//! cached. Errors here are answers to the client, not faults: a fault of ours is a `SpineError`.

use std::borrow::Cow;

use serde::Serialize;
use spine_shared::SpineError;
use spine_shared::pipeline::ApiResponse;

/// The error codes of RFC 6749 §5.2 the token endpoint answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnsupportedGrantType,
    InvalidScope,
}

impl ErrorCode {
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidClient => 401,
            _ => 400,
        }
    }
}

/// An OAuth error answer. The description is for the client developer: it never holds a
/// credential, a token or a username.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OAuthError {
    pub error: ErrorCode,
    pub error_description: Cow<'static, str>,
}

impl OAuthError {
    pub fn new(error: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError { error, error_description: description.into() }
    }

    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError::new(ErrorCode::InvalidRequest, description)
    }

    pub fn invalid_client(description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError::new(ErrorCode::InvalidClient, description)
    }

    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError::new(ErrorCode::InvalidGrant, description)
    }

    pub fn status(&self) -> u16 {
        self.error.status()
    }

    pub fn response(&self) -> ApiResponse {
        json_response(self.status(), self)
    }
}

/// Why a grant gave no token: an OAuth answer for the client, or a fault of ours (500).
#[derive(Debug)]
pub enum Failure {
    OAuth(OAuthError),
    Fault(SpineError),
}

impl From<OAuthError> for Failure {
    fn from(e: OAuthError) -> Self {
        Failure::OAuth(e)
    }
}

impl From<SpineError> for Failure {
    fn from(e: SpineError) -> Self {
        Failure::Fault(e)
    }
}

/// A successful token response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: &'static str,
    /// Milliseconds since the epoch, as a string.
    pub issued_at: String,
}

impl TokenResponse {
    pub fn bearer(access_token: String, issued_at_ms: i128) -> Self {
        TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: crate::config::EXPIRES_IN,
            issued_at: issued_at_ms.to_string(),
        }
    }

    pub fn response(&self) -> ApiResponse {
        json_response(200, self)
    }
}

/// A JSON answer no cache may keep (RFC 6749 §5.1).
fn json_response<T: Serialize>(status: u16, body: &T) -> ApiResponse {
    ApiResponse::fhir_json(status, body)
        .with_header("content-type", "application/json")
        .with_header("cache-control", "no-store")
        .with_header("pragma", "no-cache")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_oauth_json_and_never_cached() {
        let r = OAuthError::invalid_client("unknown client").response();
        assert_eq!(r.status, 401);
        assert_eq!(r.json(), serde_json::json!({"error": "invalid_client", "error_description": "unknown client"}));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert_eq!(OAuthError::new(ErrorCode::UnsupportedGrantType, "x").response().status, 400);
        assert_eq!(OAuthError::new(ErrorCode::InvalidScope, "x").response().json()["error"], "invalid_scope");
    }

    #[test]
    fn a_token_response_has_the_platform_shape() {
        let v = TokenResponse::bearer("t".into(), 1_700_000_000_123).response().json();
        assert_eq!(
            v,
            serde_json::json!({"access_token": "t", "token_type": "Bearer", "expires_in": "599", "issued_at": "1700000000123"})
        );
    }
}
