//! The local Spine's login accounts and demo application: a worker account for each reference
//! person of the Spine Directory (username = their CIS user id), a patient account for some of
//! the PDS reference patients (username `patient-<nhs>`), all with the passcode
//! [`LOCAL_PASSCODE`], and the demo application [`DEMO_CLIENT_ID`] with the public key its
//! assertions are signed with. **Synthetic, local-only data**: the passcode is published here on
//! purpose and must never protect anything real. Idempotent: existing accounts are kept as they
//! are (and not hashed again); the demo client's keys are replaced, so a regenerated key file
//! takes effect on the next start.

use spine_sds::seed::reference::{JANE_GP, people};
use spine_shared::identity::{Jwk, Jwks};
use spine_shared::ports::RecordStore;
use spine_shared::{NhsNumber, SpineError, SpineResult};

use crate::accounts::{self, Account, LoginAccount, P9, patient_subject};
use crate::clients::{self, Client};
use crate::passcode;

/// Every seeded account's passcode. Synthetic local data, public on purpose.
pub const LOCAL_PASSCODE: &str = "spine-local-passcode";
/// The reference patients with an NHS login account.
pub const PATIENTS: [&str; 4] = ["9000000009", "9000000017", "9000000025", "9000000033"];
/// The demo application-restricted client: Boar Lane's GP system (ASID 200000000101).
pub const DEMO_CLIENT_ID: &str = "spine-demo-app";
pub const DEMO_CLIENT_ASID: &str = "200000000101";
pub const DEMO_CLIENT_ORGANISATION: &str = JANE_GP;

/// What a seed did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Seeded {
    /// Accounts registered now (the others were there already).
    pub accounts: usize,
    /// Clients registered or updated.
    pub clients: usize,
}

/// The username of a patient's account.
pub fn patient_username(nhs: &str) -> String {
    format!("patient-{nhs}")
}

/// The demo client as registered, with these keys.
pub fn demo_client(jwks: Jwks) -> Client {
    Client {
        client_id: DEMO_CLIENT_ID.to_owned(),
        asid: Some(DEMO_CLIENT_ASID.to_owned()),
        organisation: DEMO_CLIENT_ORGANISATION.to_owned(),
        jwks,
    }
}

/// Seeds the accounts (passcodes hashed with `iterations`) and, given its public key, the demo
/// client.
pub async fn seed(store: &dyn RecordStore, demo_client_key: Option<&Jwk>, iterations: u32) -> SpineResult<Seeded> {
    let mut seeded = Seeded::default();
    let mut wanted: Vec<(String, Account)> =
        people().into_iter().map(|(p, _)| (p.user_id.clone(), Account::Worker { user_id: p.user_id })).collect();
    for nhs in PATIENTS {
        let username = patient_username(nhs);
        let nhs_number = NhsNumber::parse(nhs).map_err(SpineError::internal)?;
        let account =
            Account::Patient { nhs_number, subject: patient_subject(&username), vector_of_trust: P9.to_owned() };
        wanted.push((username, account));
    }
    for (username, account) in wanted {
        if accounts::find(store, &username).await?.is_some() {
            continue;
        }
        let passcode_hash = tokio::task::spawn_blocking(move || passcode::hash(LOCAL_PASSCODE, iterations))
            .await
            .map_err(SpineError::internal)?;
        if accounts::register(store, &username, &LoginAccount { account, passcode_hash }).await? {
            seeded.accounts += 1;
        }
    }
    if let Some(jwk) = demo_client_key {
        clients::register(store, &demo_client(Jwks { keys: vec![jwk.clone()] })).await?;
        seeded.clients += 1;
    }
    Ok(seeded)
}
