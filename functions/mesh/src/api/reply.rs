//! Building MESH answers: JSON in the caller's API version, chunk bodies with their headers, and
//! MESH error bodies ([`error`]).

use bytes::Bytes;
use http::StatusCode;
use serde::Serialize;
use spine_shared::pipeline::ApiResponse;

use crate::error::MeshError;
use crate::headers::ApiVersion;

/// A successful MESH answer, before it becomes the pipeline's response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Reply {
    /// `body` as JSON, with the version's content type.
    pub fn json<T: Serialize>(status: StatusCode, version: ApiVersion, body: &T) -> Self {
        let body = serde_json::to_vec(body).unwrap_or_default();
        Reply { status, headers: vec![("content-type".into(), version.content_type().into())], body: Bytes::from(body) }
    }

    /// No body.
    pub fn empty(status: StatusCode) -> Self {
        Reply { status, headers: Vec::new(), body: Bytes::new() }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    pub fn into_response(self) -> ApiResponse {
        ApiResponse { status: self.status.as_u16(), headers: self.headers, body: self.body, ..Default::default() }
    }
}

/// The response of a MESH error in `version`'s body shape, naming the request (`internal_id`, v2).
pub fn error(e: &MeshError, version: ApiVersion, internal_id: Option<&str>) -> ApiResponse {
    ApiResponse {
        status: e.status.as_u16(),
        headers: vec![("content-type".into(), version.content_type().into())],
        body: Bytes::from(e.body_bytes(version, internal_id)),
        ..Default::default()
    }
}
