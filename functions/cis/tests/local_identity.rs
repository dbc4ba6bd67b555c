//! The local Spine's identity material (`src/local_identity.rs` of the root package, compiled
//! here as it is until the local Spine wires it in): key files created once with private
//! permissions, ready-made tokens for each kind of caller, `spine token`, and the seed.

#[path = "../../../src/local_identity.rs"]
#[allow(unused_imports)] // re-exports for the local Spine that these tests do not name
mod local_identity;

use std::sync::Arc;

use local_identity::{MintFor, load_or_create_demo_client_key, load_or_create_signing_key, mint_cli, seeded_tokens};
use spine_shared::identity::{AccessMode, Jwks, Principal, TokenVerifier};
use spine_shared::ports::RecordStore;
use time::OffsetDateTime;

const ORIGIN: &str = "http://127.0.0.1:8080";
const ISSUER: &str = "http://127.0.0.1:8080/oauth2";

fn verifier_for(data_dir: &std::path::Path) -> TokenVerifier {
    let signer = load_or_create_signing_key(data_dir, ISSUER).unwrap();
    TokenVerifier::new(ISSUER, ORIGIN, &Jwks::from_signer(&signer))
}

#[test]
fn keys_are_created_once_and_kept_private() {
    let dir = tempfile::tempdir().unwrap();
    let first = load_or_create_signing_key(dir.path(), ISSUER).unwrap();
    let again = load_or_create_signing_key(dir.path(), ISSUER).unwrap();
    assert_eq!(first.jwk(), again.jwk(), "the key survives a restart");
    assert_eq!(first.jwk().kid, spine_cis::keys::thumbprint(&first.jwk().x, &first.jwk().y));
    let demo = load_or_create_demo_client_key(dir.path()).unwrap();
    assert_eq!(demo.jwk, load_or_create_demo_client_key(dir.path()).unwrap().jwk);
    assert_ne!(demo.jwk, *first.jwk());
    assert!(!format!("{demo:?}").contains("PRIVATE"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("keys")), 0o700);
        assert_eq!(mode(&dir.path().join("keys/token-signing-key.pem")), 0o600);
        assert_eq!(mode(&dir.path().join("keys/spine-demo-app.pem")), 0o600);
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("keys")).unwrap().collect();
    assert_eq!(leftovers.len(), 2, "no temporary files left");
}

#[test]
fn a_key_file_that_is_not_a_key_is_an_error_not_a_new_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("keys")).unwrap();
    std::fs::write(dir.path().join("keys/token-signing-key.pem"), "garbage").unwrap();
    assert!(load_or_create_signing_key(dir.path(), ISSUER).is_err());
    assert_eq!(std::fs::read_to_string(dir.path().join("keys/token-signing-key.pem")).unwrap(), "garbage");
}

#[test]
fn there_is_a_ready_made_token_for_each_kind_of_caller() {
    let dir = tempfile::tempdir().unwrap();
    let signer = load_or_create_signing_key(dir.path(), ISSUER).unwrap();
    let tokens = seeded_tokens(&signer, ORIGIN);
    let verifier = verifier_for(dir.path());
    let now = OffsetDateTime::now_utc();
    let identities: Vec<_> = tokens.iter().map(|(_, t)| verifier.verify(t, now).unwrap()).collect();
    let roles: Vec<&str> = identities
        .iter()
        .filter_map(|i| match &i.principal {
            Principal::HealthcareWorker(w) => Some(w.job_role.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(roles, ["R8000", "R8008", "R8003", "R0001"]);
    let Principal::HealthcareWorker(hart) = &identities[0].principal else { panic!("a worker") };
    assert_eq!((hart.role_profile_id.as_str(), hart.organisation.as_str()), ("555021935107", "Y12345"));
    let modes: Vec<AccessMode> = identities.iter().map(|i| i.access_mode()).collect();
    assert!(modes.contains(&AccessMode::Patient) && modes.contains(&AccessMode::Application));
    assert!(tokens[0].0.contains("Amelia Hart"), "{}", tokens[0].0);
    // Local tokens outlive the endpoint's ten minutes: still valid in two hours.
    assert!(verifier.verify(&tokens[0].1, now + time::Duration::hours(2)).is_ok());
}

#[tokio::test]
async fn spine_token_mints_from_the_directory_without_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let verifier = verifier_for(dir.path());
    let now = OffsetDateTime::now_utc();
    let mint = |t: MintFor| {
        let d = dir.path().to_owned();
        async move { mint_cli(&t, &d, ORIGIN).await }
    };
    let user = |id: &str, role: Option<&str>| MintFor::User { user_id: id.into(), role: role.map(Into::into) };

    let token = mint(user("555021930100", Some("555021935108"))).await.unwrap();
    let Principal::HealthcareWorker(w) = verifier.verify(&token, now).unwrap().principal else { panic!() };
    assert_eq!(w.organisation, "B13001");
    // A generated staff member (not a reference person), with their only role.
    let token = mint(user("600000000001", None)).await.unwrap();
    assert!(verifier.verify(&token, now).is_ok());
    assert!(mint(user("555021930100", None)).await.unwrap_err().contains("selected_roleid is required"));
    assert!(mint(user("555021930100", Some("555021935115"))).await.is_err());
    assert!(mint(user("999999999999", None)).await.unwrap_err().contains("no user"));

    let token = mint(MintFor::Patient { nhs_number: "9000000017".into() }).await.unwrap();
    let Principal::Patient(p) = verifier.verify(&token, now).unwrap().principal else { panic!() };
    assert_eq!(p.nhs_number.to_string(), "9000000017");
    assert!(mint(MintFor::Patient { nhs_number: "9000000000".into() }).await.is_err());

    let token = mint(MintFor::App { client_id: "spine-demo-app".into() }).await.unwrap();
    let Principal::Application(a) = verifier.verify(&token, now).unwrap().principal else { panic!() };
    assert_eq!((a.asid.as_deref(), a.organisation.as_str()), (Some("200000000101"), "Y12345"));
    assert!(mint(MintFor::App { client_id: "nobody".into() }).await.is_err());
}

#[tokio::test]
async fn spine_token_reads_a_seeded_store_and_the_seed_registers_the_demo_key() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = spine_shared::adapters::embedded::EmbeddedStore::open(dir.path()).unwrap();
        let records: Arc<dyn RecordStore> = Arc::new(store.records());
        spine_sds::seed::seed(records.clone()).await.unwrap();
        let seeded = local_identity::seed(records.as_ref(), dir.path(), 1_000).await.unwrap();
        assert_eq!((seeded.accounts, seeded.clients), (9, 1));
        let demo = load_or_create_demo_client_key(dir.path()).unwrap();
        let client = spine_cis::clients::find(records.as_ref(), "spine-demo-app").await.unwrap().unwrap();
        assert_eq!(client.jwks.keys, vec![demo.jwk]);
        // A client registered in the store only (not the demo one) is found there.
        let other = spine_cis::clients::Client {
            client_id: "practice-system".into(),
            asid: None,
            organisation: "Y23456".into(),
            jwks: Jwks::default(),
        };
        spine_cis::clients::register(records.as_ref(), &other).await.unwrap();
    } // closed, as when the local Spine is not running
    let token = mint_cli(&MintFor::App { client_id: "practice-system".into() }, dir.path(), ORIGIN).await.unwrap();
    let identity = verifier_for(dir.path()).verify(&token, OffsetDateTime::now_utc()).unwrap();
    assert_eq!(identity.subject, "practice-system");
    let token = mint_cli(&MintFor::User { user_id: "555021930101".into(), role: None }, dir.path(), ORIGIN).await;
    assert!(verifier_for(dir.path()).verify(&token.unwrap(), OffsetDateTime::now_utc()).is_ok());
}
