//! What the CIS tests share: a store on disk with the directory's reference set, the CIS seed
//! (accounts hashed with few iterations, the demo client with a fresh key) and a few PDS patient
//! records; a token signer; the context; and requests to the handlers.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use spine_cis::CisContext;
use spine_cis::handlers::{CreateEpisode, GetJwks, Token};
use spine_cis::local::ClientKey;
use spine_shared::adapters::embedded::EmbeddedStore;
use spine_shared::identity::{Jwks, TokenSigner, TokenVerifier};
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};
use spine_shared::ports::{Condition, Item, RecordStore};

pub const ORIGIN: &str = "https://spine.test";
pub const TOKEN_URL: &str = "https://spine.test/oauth2/token";
/// Passcode hashing in tests: few iterations, to stay fast in debug builds.
pub const ITERATIONS: u32 = 1_000;
/// The PDS reference patients the tests give records (9111231130 has none).
pub const PATIENTS: [&str; 3] = ["9000000009", "9000000017", "9000000025"];

pub struct World {
    _dir: tempfile::TempDir,
    pub store: Arc<dyn RecordStore>,
    pub signer: Arc<TokenSigner>,
    pub ctx: CisContext,
    pub client_key: ClientKey,
}

pub fn new_key() -> ClientKey {
    let pem = spine_shared::identity::generate_p256_pkcs8_pem().unwrap();
    let jwk = spine_cis::keys::jwk_from_pem(&pem).unwrap();
    ClientKey { pem, jwk }
}

pub async fn world() -> World {
    world_at(ORIGIN).await
}

/// A world whose tokens name `origin` (the sample events use `https://api.service.nhs.uk`).
pub async fn world_at(origin: &str) -> World {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn RecordStore> = Arc::new(EmbeddedStore::open(dir.path()).unwrap().records());
    spine_sds::seed::seed_reference(store.clone()).await.unwrap();
    let client_key = new_key();
    spine_cis::seed::seed(store.as_ref(), Some(&client_key.jwk), ITERATIONS).await.unwrap();
    for nhs in PATIENTS {
        store.put(Item::new(format!("PATIENT#{nhs}"), "RECORD", b"{}".to_vec()), Condition::None).await.unwrap();
    }
    let pem = spine_shared::identity::generate_p256_pkcs8_pem().unwrap();
    let signer = Arc::new(spine_cis::keys::signer_from_pem(&pem, &format!("{origin}/oauth2")).unwrap());
    let ctx = CisContext::new(store.clone(), origin, signer.clone()).with_hash_iterations(ITERATIONS);
    World { _dir: dir, store, signer, ctx, client_key }
}

impl World {
    pub fn verifier(&self) -> TokenVerifier {
        TokenVerifier::new(&format!("{ORIGIN}/oauth2"), ORIGIN, &Jwks::from_signer(&self.signer))
    }

    /// `POST /oauth2/token` with a form body.
    pub async fn token(&self, form: &str) -> ApiResponse {
        let mut r = ApiRequest { method: http::Method::POST, body: form.to_owned().into(), ..Default::default() };
        r.headers.insert("content-type", "application/x-www-form-urlencoded".parse().unwrap());
        Token(self.ctx.clone()).handle(&r).await.unwrap()
    }

    pub async fn jwks(&self) -> ApiResponse {
        GetJwks(self.ctx.clone()).handle(&ApiRequest::default()).await.unwrap()
    }

    /// `POST /care-identity/FHIR/R4/EpisodeOfCare` as `caller`.
    pub async fn create_episode(
        &self,
        caller: Option<spine_shared::identity::Identity>,
        content_type: &str,
        body: &str,
    ) -> Result<ApiResponse, spine_shared::SpineError> {
        let mut r = ApiRequest { method: http::Method::POST, body: body.to_owned().into(), ..Default::default() };
        r.headers.insert("content-type", content_type.parse().unwrap());
        r.identity = caller;
        CreateEpisode(self.ctx.clone()).handle(&r).await
    }

    /// A client assertion for the demo client, signed with its registered key.
    pub fn assertion(&self) -> String {
        spine_cis::assertion::sign(
            &self.client_key.pem,
            spine_cis::seed::DEMO_CLIENT_ID,
            TOKEN_URL,
            time::OffsetDateTime::now_utc(),
            Duration::from_secs(300),
        )
        .unwrap()
    }
}

/// The form of a client credentials grant with this assertion.
pub fn client_credentials(assertion: &str) -> String {
    format!(
        "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={assertion}"
    )
}

/// Asserts an OAuth error answer and returns its description.
pub fn assert_oauth(r: &ApiResponse, status: u16, error: &str) -> String {
    let body = r.json();
    assert_eq!((r.status, body["error"].as_str().unwrap_or("")), (status, error), "{body}");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    body["error_description"].as_str().unwrap_or("").to_owned()
}

/// The access token of a successful answer.
pub fn access_token(r: &ApiResponse) -> String {
    let body: Value = r.json();
    assert_eq!(r.status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}
