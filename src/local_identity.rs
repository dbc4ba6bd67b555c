//! The local Spine's identity material, in its data directory: the token signing key
//! (`keys/token-signing-key.pem`) and the demo application's key (`keys/spine-demo-app.pem`),
//! both P-256 PKCS#8 PEM created on first start (file 0600, directory 0700); the CIS seed (login
//! accounts with the synthetic local passcode, the demo client); the ready-made tokens printed at
//! start-up; and what `spine token --user <id> [--role <id>] | --patient <nhs> | --app <client>`
//! prints. Issuer `{origin}/oauth2`, audience `{origin}`, as the token endpoint's tokens.

use std::path::Path;
use std::sync::Arc;

use spine_cis::config::TokenNames;
use spine_cis::local::{self, ClientKey, LOCAL_TOKEN_TTL};
use spine_shared::identity::TokenSigner;
use spine_shared::ports::RecordStore;

pub use spine_cis::local::MintFor;
pub use spine_cis::seed::{LOCAL_PASSCODE, Seeded};

/// The token signer of the local Spine: the key in `<data_dir>/keys/token-signing-key.pem`,
/// created if absent, published under its RFC 7638 thumbprint.
pub fn load_or_create_signing_key(data_dir: &Path, issuer: &str) -> Result<TokenSigner, String> {
    let pem = local::load_or_create_pem(&local::signing_key_path(data_dir))?;
    spine_cis::keys::signer_from_pem(&pem, issuer).map_err(|e| e.diagnostics)
}

/// The demo application's key pair: the private key in `<data_dir>/keys/spine-demo-app.pem`
/// (created if absent) and its public JWK, which the client registry holds.
pub fn load_or_create_demo_client_key(data_dir: &Path) -> Result<ClientKey, String> {
    local::load_or_create_demo_client_key(data_dir)
}

/// Seeds the CIS login accounts and the demo client (with the data directory's demo key).
/// Idempotent; passcodes are hashed with `iterations` (`spine_cis::passcode::DEFAULT_ITERATIONS`
/// for the local Spine, fewer in tests).
pub async fn seed(store: &dyn RecordStore, data_dir: &Path, iterations: u32) -> Result<Seeded, String> {
    let key = load_or_create_demo_client_key(data_dir)?;
    spine_cis::seed::seed(store, Some(&key.jwk), iterations).await.map_err(|e| e.diagnostics)
}

/// One ready-made token per kind of caller (clinician, admin, pharmacist, privacy officer,
/// patient, application), labelled, each valid for [`LOCAL_TOKEN_TTL`].
pub fn seeded_tokens(signer: &TokenSigner, audience: &str) -> Vec<(String, String)> {
    local::seeded_identities()
        .into_iter()
        .filter_map(|(label, identity)| signer.mint(&identity, audience, LOCAL_TOKEN_TTL).ok().map(|t| (label, t)))
        .collect()
}

/// The token `spine token …` prints, signed with the data directory's key. The directory and
/// client registry are read from the embedded store at `data_dir`; while the local Spine runs it
/// holds that database open, and the seeded reference directory (what the store is generated
/// from) and the demo client are used instead.
pub async fn mint_cli(target: &MintFor, data_dir: &Path, origin: &str) -> Result<String, String> {
    let names = TokenNames::for_origin(origin);
    let signer = load_or_create_signing_key(data_dir, &names.issuer)?;
    let identity = local::resolve(target, open_seeded_store(data_dir).await).await?;
    signer.mint(&identity, &names.audience, LOCAL_TOKEN_TTL).map_err(|e| e.diagnostics)
}

/// The embedded store at `data_dir`, if it exists, can be opened (the running Spine holds it
/// otherwise) and holds the seeded directory.
async fn open_seeded_store(data_dir: &Path) -> Option<Arc<dyn RecordStore>> {
    if !spine_shared::adapters::embedded::EmbeddedStore::exists(data_dir) {
        return None;
    }
    let store = spine_shared::adapters::embedded::EmbeddedStore::open(data_dir).ok()?;
    let records: Arc<dyn RecordStore> = Arc::new(store.records());
    spine_sds::seed::seeded(records.as_ref()).await.ok()?.then_some(records)
}
