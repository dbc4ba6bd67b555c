//! The response every handler returns: a status, headers and a body, turned into a Lambda or a
//! hyper response at the edge.

use bytes::Bytes;
use serde::Serialize;

use crate::NhsNumber;
use crate::audit::Basis;
use crate::fhir::FHIR_JSON;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// The patients whose data the answer holds or the call changed: the pipeline audits one event
    /// for each (a search, one per match). Never sent to the caller.
    pub patients: Vec<NhsNumber>,
    /// For routes that need a legitimate relationship: what it rested on, and the reason the
    /// caller stated for a self-claimed or emergency one.
    pub basis: Option<(Basis, Option<String>)>,
}

impl ApiResponse {
    /// A FHIR JSON response. Serialising our own types cannot fail; if it ever did, the caller
    /// would get an empty 500 rather than a panic.
    pub fn fhir_json<T: Serialize>(status: u16, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(b) => {
                let headers = vec![("content-type".into(), FHIR_JSON.into())];
                ApiResponse { status, headers, body: Bytes::from(b), ..Default::default() }
            }
            Err(_) => ApiResponse { status: 500, ..Default::default() },
        }
    }

    /// Adds a header, replacing one of the same name.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// Names the patients the answer touched, for the audit trail.
    pub fn with_patients(mut self, patients: impl IntoIterator<Item = NhsNumber>) -> Self {
        self.patients.extend(patients);
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
