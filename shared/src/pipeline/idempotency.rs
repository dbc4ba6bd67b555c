//! Idempotent writes keyed on `X-Request-ID`: the response of a write is stored in the same
//! transaction as the write itself (a conditional put that fails if the key exists), so a retry
//! with the same id gets the first answer back and nothing is applied twice. A write does not read
//! the record first: one that lands was the first; one that does not looks for an earlier answer
//! ([`Key::settle`]).
//!
//! A retry repeats its request exactly, from the same caller. The record keeps a fingerprint of
//! the request it answered (method, path, query, body, caller), and an id sent again with anything
//! else is refused (400 `INVALID_VALUE`): answering it with another request's response would lose
//! the new request silently, or hand one caller another's answer.

use std::fmt::Write;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{ApiRequest, ApiResponse};
use crate::error::{ErrorCode, SpineError, SpineResult};
use crate::identity::Principal;
use crate::ports::{Condition, Item, RecordStore, WriteOp, now_epoch_seconds};

/// How long a stored answer is kept: a day, far beyond any client's retry window.
pub const RETENTION_SECS: i64 = 24 * 60 * 60;

#[derive(Serialize, Deserialize)]
struct Stored {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    /// The fingerprint of the request answered (absent in records written before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    request: Option<String>,
}

/// One request's idempotency record: where it is kept (per function and `X-Request-ID`) and the
/// fingerprint of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pk: String,
    sk: String,
    fingerprint: String,
}

impl Key {
    pub fn of(function: &str, request: &ApiRequest) -> Self {
        Key {
            pk: format!("IDEMPOTENCY#{function}#{}", request.request_id().to_ascii_lowercase()),
            sk: "RESPONSE".to_owned(),
            fingerprint: fingerprint(request),
        }
    }

    /// The stored answer of an earlier request with this id to this function, if any; an error if
    /// that request was a different one.
    async fn replay(&self, store: &dyn RecordStore) -> SpineResult<Option<ApiResponse>> {
        let Some(item) = store.get(&self.pk, &self.sk).await? else { return Ok(None) };
        let stored: Stored = serde_json::from_slice(&item.data).map_err(SpineError::internal)?;
        if stored.request.as_ref().is_some_and(|f| f != &self.fingerprint) {
            return Err(SpineError::new(
                ErrorCode::InvalidValue,
                "Invalid value - X-Request-ID was already used for a different request: a retry repeats its request exactly, and a new request needs a new X-Request-ID.",
            ));
        }
        Ok(Some(ApiResponse {
            status: stored.status,
            headers: stored.headers,
            body: stored.body.into_bytes().into(),
            ..Default::default()
        }))
    }

    /// The answer to a write made without reading this record first, whose transaction held
    /// [`Key::record`]'s receipt: if the write `landed`, its own answer (the receipt's condition
    /// proved that no answer was recorded); otherwise — refused, answered without a write, or its
    /// receipt already there — the answer recorded for this request id if there is one (a retry,
    /// or a concurrent twin that landed first; for another request under the same id,
    /// `INVALID_VALUE`), else its own. A first attempt that lands reads nothing more.
    pub async fn settle(
        &self,
        store: &dyn RecordStore,
        landed: bool,
        own: SpineResult<ApiResponse>,
    ) -> SpineResult<ApiResponse> {
        if landed {
            return own;
        }
        match self.replay(store).await? {
            Some(first) => Ok(first),
            None => own,
        }
    }

    /// The write that records `response` as the answer to this request; it fails (and with it
    /// the whole transaction) if an answer is already recorded.
    pub fn record(&self, response: &ApiResponse) -> WriteOp {
        let stored = Stored {
            status: response.status,
            headers: response.headers.clone(),
            body: String::from_utf8_lossy(&response.body).into_owned(),
            request: Some(self.fingerprint.clone()),
        };
        let data = serde_json::to_vec(&stored).unwrap_or_default();
        WriteOp::Put {
            item: Item::new(self.pk.clone(), self.sk.clone(), data).expiring_at(now_epoch_seconds() + RETENTION_SECS),
            condition: Condition::NotExists,
        }
    }
}

/// SHA-256 (hex) of what makes a request the one it is: method, path, query, body, and who sent
/// it (subject, and role profile for staff). Headers are left out: a retry may carry a fresh
/// token or correlation id.
fn fingerprint(request: &ApiRequest) -> String {
    let mut h = Sha256::new();
    let mut part = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    part(request.method.as_str().as_bytes());
    part(request.path.as_bytes());
    for (name, value) in &request.query {
        part(name.as_bytes());
        part(value.as_bytes());
    }
    part(&request.body);
    if let Some(caller) = request.caller() {
        part(caller.subject.as_bytes());
        if let Principal::HealthcareWorker(w) = &caller.principal {
            part(w.role_profile_id.as_bytes());
        }
    }
    h.finalize().iter().fold(String::with_capacity(64), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(id: &str, body: &str) -> ApiRequest {
        let mut r = ApiRequest {
            method: http::Method::POST,
            path: "/x".into(),
            body: body.to_owned().into(),
            ..Default::default()
        };
        r.ids = Some(super::super::request::RequestIds { request_id: id.into(), correlation_id: None });
        r
    }

    #[test]
    fn the_fingerprint_is_the_request_not_its_id_or_headers() {
        let a = Key::of("f", &request("id-1", "{}"));
        let mut again = request("ID-1", "{}");
        again.headers.insert("authorization", "Bearer another".parse().unwrap());
        assert_eq!(a, Key::of("f", &again), "a retry (its id in any case, a fresh token) is the same key");
        assert!(a.fingerprint.len() == 64 && a.fingerprint.bytes().all(|b| b.is_ascii_hexdigit()), "{}", a.fingerprint);
        assert_ne!(a.fingerprint, Key::of("f", &request("id-1", "{ }")).fingerprint, "another body");
        let mut other_path = request("id-1", "{}");
        other_path.path = "/y".into();
        assert_ne!(a.fingerprint, Key::of("f", &other_path).fingerprint, "another path");
        assert_ne!(a.pk, Key::of("g", &request("id-1", "{}")).pk, "each function has its own records");
    }
}
