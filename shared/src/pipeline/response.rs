//! The response every handler returns: a status, headers and a body, turned into a Lambda or a
//! hyper response at the edge.

use bytes::Bytes;
use serde::Serialize;

use crate::fhir::FHIR_JSON;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl ApiResponse {
    /// A FHIR JSON response. Serialising our own types cannot fail; if it ever did, the caller
    /// would get an empty 500 rather than a panic.
    pub fn fhir_json<T: Serialize>(status: u16, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(b) => {
                ApiResponse { status, headers: vec![("content-type".into(), FHIR_JSON.into())], body: Bytes::from(b) }
            }
            Err(_) => ApiResponse { status: 500, headers: Vec::new(), body: Bytes::new() },
        }
    }

    /// Adds a header, replacing one of the same name.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as JSON (tests and idempotent replays).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}
