//! The local Spine's identity material: key files in the data directory (the token signing key
//! and the demo application's key, P-256 PKCS#8 PEM, created on first start, mode 0600 in a 0700
//! directory), the identities of the ready-made tokens printed at start-up, and what
//! `spine token --user|--patient|--app` mints for. Local only: in AWS the signing key is in KMS
//! and no private key is ever on disk.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use spine_sds::model::{JobRole, Person, RoleProfile};
use spine_sds::repository::DirectoryRepository;
use spine_sds::seed::reference::people;
use spine_shared::NhsNumber;
use spine_shared::identity::{Identity, Jwk, Jwks};
use spine_shared::ports::RecordStore;

use crate::accounts::{P9, patient_subject};
use crate::seed::{DEMO_CLIENT_ASID, DEMO_CLIENT_ID, DEMO_CLIENT_ORGANISATION, demo_client, patient_username};
use crate::{clients, identities, keys};

/// Where the token signing key lives, under the data directory.
pub const SIGNING_KEY_FILE: &str = "keys/token-signing-key.pem";
/// Where the demo application's private key lives, under the data directory.
pub const DEMO_CLIENT_KEY_FILE: &str = "keys/spine-demo-app.pem";
/// How long the local Spine's ready-made and `spine token` tokens live: a working day, so a
/// token pasted into a shell keeps working. Local only; the token endpoint's live ten minutes.
pub const LOCAL_TOKEN_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// The PEM key at `path`, created (a new P-256 key, file mode 0600, directory 0700) if absent.
pub fn load_or_create_pem(path: &Path) -> Result<String, String> {
    match std::fs::read_to_string(path) {
        Ok(pem) => return Ok(pem),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    }
    let dir = path.parent().ok_or_else(|| format!("{} has no directory", path.display()))?;
    create_private_dir(dir)?;
    let pem = spine_shared::identity::generate_p256_pkcs8_pem().map_err(|e| e.diagnostics)?;
    // Written beside the target, then linked into place only if no key is there yet: a reader
    // never sees half a key, and of two processes starting at once both end up with the same one.
    let tmp = dir.join(format!(".{}.tmp-{}", file_name(path), std::process::id()));
    write_private(&tmp, pem.as_bytes())?;
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(pem),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
        }
        Err(e) => Err(format!("cannot create {}: {e}", path.display())),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn create_private_dir(dir: &Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The signing key's path under a data directory.
pub fn signing_key_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SIGNING_KEY_FILE)
}

/// A client's private key and its public JWK (`kid` its thumbprint).
#[derive(Clone)]
pub struct ClientKey {
    pub pem: String,
    pub jwk: Jwk,
}

impl std::fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientKey").field("kid", &self.jwk.kid).finish_non_exhaustive()
    }
}

/// The demo application's key in the data directory, created on first use.
pub fn load_or_create_demo_client_key(data_dir: &Path) -> Result<ClientKey, String> {
    let pem = load_or_create_pem(&data_dir.join(DEMO_CLIENT_KEY_FILE))?;
    let jwk = keys::jwk_from_pem(&pem).map_err(|e| e.diagnostics)?;
    Ok(ClientKey { pem, jwk })
}

fn reference_person(pick: impl Fn(&RoleProfile) -> bool) -> Option<(Person, RoleProfile)> {
    people().into_iter().find_map(|(p, roles)| roles.into_iter().find(|r| pick(r)).map(|r| (p, r)))
}

/// The identities of the local Spine's ready-made tokens, with a label each: Dr Amelia Hart at
/// Boar Lane (clinician), the admin/clinical support user, the pharmacist, the privacy officer,
/// the patient 9000000009 and the demo application.
pub fn seeded_identities() -> Vec<(String, Identity)> {
    let mut out = Vec::new();
    type Pick = fn(&RoleProfile) -> bool;
    let workers: [(&str, Pick); 4] = [
        ("clinician", |r| r.id == "555021935107"),
        ("admin", |r| r.job_role == JobRole::AdminClinicalSupport),
        ("pharmacist", |r| r.job_role == JobRole::HealthProfessional),
        ("privacy-officer", |r| r.job_role == JobRole::PrivacyOfficer),
    ];
    for (kind, pick) in workers {
        if let Some((person, role)) = reference_person(pick) {
            let name = format!("{} {}", person.given, person.family);
            let label = format!("{kind}: {name}, {} at {} (role {})", role.job_role.code(), role.ods, role.id);
            out.push((label, identities::worker(&person, &role)));
        }
    }
    let nhs = "9000000009";
    if let Ok(nhs_number) = NhsNumber::parse(nhs) {
        let subject = patient_subject(&patient_username(nhs));
        out.push((format!("patient: NHS number {nhs} (NHS login P9)"), identities::patient(nhs_number, &subject, P9)));
    }
    let app = demo_client(Jwks::default());
    let label = format!("application: {DEMO_CLIENT_ID} (ASID {DEMO_CLIENT_ASID} at {DEMO_CLIENT_ORGANISATION})");
    out.push((label, identities::application(&app)));
    out
}

/// Whom `spine token` mints for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MintFor {
    /// A directory user, in a role profile (required when they hold several).
    User { user_id: String, role: Option<String> },
    /// A patient (NHS login P9).
    Patient { nhs_number: String },
    /// A registered application.
    App { client_id: String },
}

/// The identity to mint for. With a store, the directory and client registry are read from it;
/// without one (the local Spine holds the database open), from the seeded reference directory,
/// which the store is generated from, and the demo client.
pub async fn resolve(target: &MintFor, store: Option<std::sync::Arc<dyn RecordStore>>) -> Result<Identity, String> {
    match target {
        MintFor::User { user_id, role } => {
            let found = match &store {
                Some(store) => {
                    DirectoryRepository::new(store.clone()).person(user_id).await.map_err(|e| e.diagnostics)?
                }
                None => generated(user_id),
            };
            let (person, roles) = found.ok_or_else(|| format!("no user {user_id} in the Spine Directory"))?;
            let chosen = identities::choose_role(&roles, role.as_deref()).map_err(|e| e.describe())?;
            Ok(identities::worker(&person, chosen))
        }
        MintFor::Patient { nhs_number } => {
            let nhs = NhsNumber::parse(nhs_number).map_err(|_| format!("{nhs_number} is not a valid NHS number"))?;
            Ok(identities::patient(nhs, &patient_subject(&patient_username(nhs_number)), P9))
        }
        MintFor::App { client_id } => {
            let client = match &store {
                Some(store) => clients::find(store.as_ref(), client_id).await.map_err(|e| e.diagnostics)?,
                None => (client_id == DEMO_CLIENT_ID).then(|| demo_client(Jwks::default())),
            };
            let client = client.ok_or_else(|| format!("no registered client {client_id}"))?;
            Ok(identities::application(&client))
        }
    }
}

/// A person of the generated directory: the one the local Spine seeds, reference people included.
fn generated(user_id: &str) -> Option<(Person, Vec<RoleProfile>)> {
    let directory = spine_sds::seed::Directory::generate();
    let person = directory.people.into_iter().find(|p| p.user_id == user_id)?;
    let roles = directory.roles.into_iter().filter(|r| r.user_id == user_id).collect();
    Some((person, roles))
}
