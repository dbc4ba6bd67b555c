//! Login accounts: the credentials the token endpoint's password grant checks. In the real
//! service a healthcare worker signs in to CIS2 with a smartcard and passcode, and a patient to
//! NHS login; here a username and passcode stand in for both. One item per account in the Spine
//! table, `LOGIN#<username>` / `LOGIN`, holding what the account is (a directory user, or a
//! patient's NHS number and NHS login subject) and its passcode hash (`crate::passcode`).

use serde::{Deserialize, Serialize};
use spine_shared::ports::{Condition, Item, RecordStore, StoreError};
use spine_shared::{NhsNumber, SpineError, SpineResult};

const SK: &str = "LOGIN";
/// Longer usernames are never looked up.
pub const MAX_USERNAME_BYTES: usize = 128;
/// The vector of trust of every patient account: NHS login's highest, P9 (verified identity)
/// with medium confidence in the credential (`Cp`) and device (`Cd`).
pub const P9: &str = "P9.Cp.Cd";

/// The table key of an account.
pub fn key(username: &str) -> (String, String) {
    (format!("LOGIN#{username}"), SK.to_owned())
}

/// Who an account signs in as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Account {
    /// A healthcare worker: a person of the Spine Directory, who then acts in one of their role
    /// profiles.
    Worker { user_id: String },
    /// A patient with an NHS login: their NHS number, NHS login subject and vector of trust.
    Patient { nhs_number: NhsNumber, subject: String, vector_of_trust: String },
}

/// A stored account. Debug leaves the hash out.
#[derive(Clone, Serialize, Deserialize)]
pub struct LoginAccount {
    #[serde(flatten)]
    pub account: Account,
    pub passcode_hash: String,
}

impl std::fmt::Debug for LoginAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginAccount").field("account", &self.account).finish_non_exhaustive()
    }
}

/// The NHS login subject of a patient username: a UUID derived from it, stable across stores.
pub fn patient_subject(username: &str) -> String {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x5b3c_9a1e_4c7d_4f0e_9a61_2d1f_0c6e_8b7a);
    uuid::Uuid::new_v5(&NAMESPACE, username.as_bytes()).to_string()
}

/// A username fit to look up: 1 to 128 printable characters, no spaces.
pub fn valid_username(username: &str) -> bool {
    !username.is_empty()
        && username.len() <= MAX_USERNAME_BYTES
        && username.chars().all(|c| c.is_ascii_graphic() || (!c.is_ascii() && !c.is_control() && !c.is_whitespace()))
}

/// The account with this username.
pub async fn find(store: &dyn RecordStore, username: &str) -> SpineResult<Option<LoginAccount>> {
    if !valid_username(username) {
        return Ok(None);
    }
    let (pk, sk) = key(username);
    match store.get(&pk, &sk).await? {
        Some(item) => serde_json::from_slice(&item.data).map(Some).map_err(SpineError::internal),
        None => Ok(None),
    }
}

/// Registers an account unless the username is taken; `false` when it was.
pub async fn register(store: &dyn RecordStore, username: &str, account: &LoginAccount) -> SpineResult<bool> {
    if !valid_username(username) {
        return Err(SpineError::internal("account usernames are 1 to 128 printable characters"));
    }
    let (pk, sk) = key(username);
    let data = serde_json::to_vec(account).map_err(SpineError::internal)?;
    match store.put(Item::new(pk, sk, data), Condition::NotExists).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_stored_with_their_kind() {
        let a = LoginAccount { account: Account::Worker { user_id: "555021930100".into() }, passcode_hash: "h".into() };
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v, serde_json::json!({"kind": "worker", "user_id": "555021930100", "passcode_hash": "h"}));
        assert!(!format!("{a:?}").contains("\"h\""));
        let p = LoginAccount {
            account: Account::Patient {
                nhs_number: NhsNumber::parse("9000000009").unwrap(),
                subject: patient_subject("patient-9000000009"),
                vector_of_trust: P9.into(),
            },
            passcode_hash: "h".into(),
        };
        let back: LoginAccount = serde_json::from_slice(&serde_json::to_vec(&p).unwrap()).unwrap();
        assert_eq!(back.account, p.account);
        assert!(!format!("{p:?}").contains("9000000009"));
    }

    #[test]
    fn usernames_are_bounded_and_printable() {
        assert!(valid_username("555021930100") && valid_username("patient-9000000009"));
        for bad in ["", "a b", "a\nb", "a\u{0}"] {
            assert!(!valid_username(bad), "{bad:?}");
        }
        assert!(!valid_username(&"a".repeat(MAX_USERNAME_BYTES + 1)));
        assert_eq!(patient_subject("x"), patient_subject("x"));
        assert_ne!(patient_subject("x"), patient_subject("y"));
    }
}
