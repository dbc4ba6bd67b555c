//! Idempotent writes keyed on `X-Request-ID`: the response of a write is stored in the same
//! transaction as the write itself (a conditional put that fails if the key exists), so a retry
//! with the same id gets the first answer back and nothing is applied twice.

use serde::{Deserialize, Serialize};

use super::{ApiRequest, ApiResponse};
use crate::error::{SpineError, SpineResult};
use crate::ports::{Condition, Item, RecordStore, WriteOp, now_epoch_seconds};

/// How long a stored answer is kept: a day, far beyond any client's retry window.
pub const RETENTION_SECS: i64 = 24 * 60 * 60;

#[derive(Serialize, Deserialize)]
struct Stored {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

fn key(function: &str, request_id: &str) -> (String, String) {
    (format!("IDEMPOTENCY#{function}#{}", request_id.to_ascii_lowercase()), "RESPONSE".to_owned())
}

/// The stored answer of an earlier request with this id to this function, if any.
pub async fn replay(store: &dyn RecordStore, function: &str, request: &ApiRequest) -> SpineResult<Option<ApiResponse>> {
    let (pk, sk) = key(function, request.request_id());
    let Some(item) = store.get(&pk, &sk).await? else { return Ok(None) };
    let stored: Stored = serde_json::from_slice(&item.data).map_err(SpineError::internal)?;
    Ok(Some(ApiResponse {
        status: stored.status,
        headers: stored.headers,
        body: stored.body.into_bytes().into(),
        ..Default::default()
    }))
}

/// The write that records `response` as the answer to this request; it fails (and with it the
/// whole transaction) if an answer is already recorded.
pub fn record(function: &str, request: &ApiRequest, response: &ApiResponse) -> WriteOp {
    let (pk, sk) = key(function, request.request_id());
    let stored = Stored {
        status: response.status,
        headers: response.headers.clone(),
        body: String::from_utf8_lossy(&response.body).into_owned(),
    };
    let data = serde_json::to_vec(&stored).unwrap_or_default();
    WriteOp::Put {
        item: Item::new(pk, sk, data).expiring_at(now_epoch_seconds() + RETENTION_SECS),
        condition: Condition::NotExists,
    }
}
