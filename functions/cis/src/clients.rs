//! The client registry of application-restricted callers (the NHS API platform's "signed JWT
//! authentication"): each client's id, accredited system id, organisation and the public keys it
//! signs its assertions with, at `CLIENT#<client_id>` / `CLIENT`. And the assertion ids (`jti`)
//! already used, at `JTI#<client_id>#<jti>` / `JTI`, each kept until the assertion expires (TTL),
//! so a replayed assertion is caught by a conditional put.

use serde::{Deserialize, Serialize};
use spine_shared::identity::Jwks;
use spine_shared::ports::{Condition, Item, RecordStore, StoreError};
use spine_shared::{SpineError, SpineResult};

const SK: &str = "CLIENT";
/// Longer client ids are never looked up.
pub const MAX_CLIENT_ID_BYTES: usize = 128;

/// A registered application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub client_id: String,
    /// Its accredited system id (SDS Device), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asid: Option<String>,
    /// The ODS code of the organisation that runs it.
    pub organisation: String,
    /// The public keys its assertions are signed with, each named by `kid`.
    pub jwks: Jwks,
}

/// The table key of a client.
pub fn key(client_id: &str) -> (String, String) {
    (format!("CLIENT#{client_id}"), SK.to_owned())
}

fn valid_client_id(client_id: &str) -> bool {
    !client_id.is_empty() && client_id.len() <= MAX_CLIENT_ID_BYTES && client_id.bytes().all(|b| b.is_ascii_graphic())
}

/// The registered client with this id.
pub async fn find(store: &dyn RecordStore, client_id: &str) -> SpineResult<Option<Client>> {
    if !valid_client_id(client_id) {
        return Ok(None);
    }
    let (pk, sk) = key(client_id);
    match store.get(&pk, &sk).await? {
        Some(item) => serde_json::from_slice(&item.data).map(Some).map_err(SpineError::internal),
        None => Ok(None),
    }
}

/// Registers (or re-registers, replacing its keys) a client.
pub async fn register(store: &dyn RecordStore, client: &Client) -> SpineResult<()> {
    if !valid_client_id(&client.client_id) {
        return Err(SpineError::internal("client ids are 1 to 128 printable ASCII characters"));
    }
    let (pk, sk) = key(&client.client_id);
    let data = serde_json::to_vec(client).map_err(SpineError::internal)?;
    Ok(store.put(Item::new(pk, sk, data), Condition::None).await?)
}

/// Records that `client_id` used assertion id `jti`, until `expires_at` (seconds since the
/// epoch); `false` when it had already been used.
pub async fn use_jti(store: &dyn RecordStore, client_id: &str, jti: &str, expires_at: i64) -> SpineResult<bool> {
    let data = format!(r#"{{"exp":{expires_at}}}"#).into_bytes();
    let item = Item::new(format!("JTI#{client_id}#{jti}"), "JTI", data).expiring_at(expires_at);
    match store.put(item, Condition::NotExists).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
