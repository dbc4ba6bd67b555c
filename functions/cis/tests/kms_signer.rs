//! The KMS token signer against a real KMS API (moto on loopback, started by `scripts/test.sh`;
//! required: without `SPINE_TEST_MOTO_URL` these tests fail). An ECC_NIST_P256 SIGN_VERIFY key
//! signs tokens that the shared `TokenVerifier` accepts with the JWKS built from `GetPublicKey`.
#![cfg(feature = "kms")]

use std::time::Duration;

use aws_sdk_kms::config::BehaviorVersion;
use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use aws_types::SdkConfig;
use aws_types::region::Region;
use spine_cis::signing::{KmsSigner, TokenMinter};
use spine_shared::identity::{Application, Identity, Principal, TokenVerifier};
use time::OffsetDateTime;

const ISSUER: &str = "https://spine.test/oauth2";
const AUDIENCE: &str = "https://spine.test";

fn moto_url() -> String {
    std::env::var("SPINE_TEST_MOTO_URL").expect(
        "SPINE_TEST_MOTO_URL is not set: the KMS signer tests need moto on loopback. Run scripts/test.sh, \
         or start one with scripts/moto.sh start and eval \"$(scripts/moto.sh env)\"",
    )
}

fn client() -> aws_sdk_kms::Client {
    let creds = aws_credential_types::Credentials::new("testing", "testing", None, None, "spine-tests");
    let config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-2"))
        .endpoint_url(moto_url())
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(creds))
        .http_client(spine_shared::adapters::aws::http_client())
        .build();
    aws_sdk_kms::Client::new(&config)
}

async fn create_key(client: &aws_sdk_kms::Client, spec: KeySpec, usage: KeyUsageType) -> String {
    let out = client.create_key().key_spec(spec).key_usage(usage).send().await.expect("moto creates the key");
    out.key_metadata().expect("key metadata").key_id().to_owned()
}

fn app() -> Identity {
    Identity {
        subject: "spine-demo-app".into(),
        principal: Principal::Application(Application {
            client_id: "spine-demo-app".into(),
            asid: Some("200000000101".into()),
            organisation: "Y12345".into(),
        }),
    }
}

#[tokio::test]
async fn tokens_signed_in_kms_verify_against_its_published_key() {
    let client = client();
    let key_id = create_key(&client, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let signer = KmsSigner::connect(client, &key_id, ISSUER).await.unwrap();
    let jwks = signer.jwks();
    let jwk = &jwks.keys[0];
    assert_eq!((jwk.kty.as_str(), jwk.crv.as_str(), jwk.alg.as_deref()), ("EC", "P-256", Some("ES256")));
    assert_eq!(jwk.kid, spine_cis::keys::thumbprint(&jwk.x, &jwk.y));
    assert!(!format!("{signer:?}").contains(&key_id));

    let verifier = TokenVerifier::new(ISSUER, AUDIENCE, &jwks);
    // Several tokens: ECDSA signatures vary (and KMS may return high-S ones, which are normalised).
    for _ in 0..8 {
        let token = signer.mint(&app(), AUDIENCE, Duration::from_secs(600)).await.unwrap();
        let claims = verifier.verify_claims(&token, OffsetDateTime::now_utc()).unwrap();
        assert_eq!(claims.exp - claims.iat, 600);
        assert_eq!(claims.into_identity().unwrap(), app());
        let header = spine_cis::jws::parse(&token).unwrap().header;
        assert_eq!((header.typ.as_deref(), header.kid.as_deref()), (Some("JWT"), Some(jwk.kid.as_str())));
    }
}

#[tokio::test]
async fn the_key_is_found_by_its_arn_too() {
    let client = client();
    let key_id = create_key(&client, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let arn =
        client.describe_key().key_id(&key_id).send().await.unwrap().key_metadata().unwrap().arn().unwrap().to_owned();
    let signer = KmsSigner::connect(client, &arn, ISSUER).await.unwrap();
    let token = signer.mint(&app(), AUDIENCE, Duration::from_secs(600)).await.unwrap();
    assert!(TokenVerifier::new(ISSUER, AUDIENCE, &signer.jwks()).verify(&token, OffsetDateTime::now_utc()).is_ok());
}

#[tokio::test]
async fn keys_that_cannot_sign_es256_are_refused_at_start() {
    let client = client();
    let symmetric = create_key(&client, KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt).await;
    assert!(KmsSigner::connect(client.clone(), &symmetric, ISSUER).await.is_err());
    let p384 = create_key(&client, KeySpec::EccNistP384, KeyUsageType::SignVerify).await;
    assert!(KmsSigner::connect(client.clone(), &p384, ISSUER).await.is_err());
    assert!(KmsSigner::connect(client, "alias/no-such-key", ISSUER).await.is_err());
}
