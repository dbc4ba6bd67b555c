//! The token endpoint's client credentials grant with a signed JWT client assertion (RFC 7523):
//! the application-restricted token, and every way an assertion is refused.

mod support;

use std::time::Duration;

use p256::pkcs8::DecodePrivateKey;
use serde_json::json;
use spine_cis::assertion::{AssertionClaims, Audience};
use spine_cis::jws::{self, Header};
use spine_shared::identity::Principal;
use support::{TOKEN_URL, World, access_token, assert_oauth, client_credentials, world};
use time::OffsetDateTime;

/// The demo client's claims, valid now, with a fresh jti.
fn claims() -> AssertionClaims {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    AssertionClaims {
        iss: Some("spine-demo-app".into()),
        sub: Some("spine-demo-app".into()),
        aud: Some(Audience::One(TOKEN_URL.into())),
        exp: Some(now + 240),
        nbf: None,
        iat: Some(now),
        jti: Some(uuid::Uuid::new_v4().to_string()),
    }
}

/// An assertion with these claims signed by the demo client's registered key.
fn signed(w: &World, claims: &AssertionClaims) -> String {
    let key = p256::ecdsa::SigningKey::from_pkcs8_pem(&w.client_key.pem).unwrap();
    jws::sign(&Header::es256(&w.client_key.jwk.kid), claims, &key).unwrap()
}

async fn refused(w: &World, assertion: &str) -> String {
    assert_oauth(&w.token(&client_credentials(assertion)).await, 401, "invalid_client")
}

#[tokio::test]
async fn a_valid_assertion_gets_an_application_token() {
    let w = world().await;
    let token = access_token(&w.token(&client_credentials(&w.assertion())).await);
    let identity = w.verifier().verify(&token, OffsetDateTime::now_utc()).unwrap();
    assert_eq!(identity.subject, "spine-demo-app");
    let Principal::Application(app) = identity.principal else { panic!("an application") };
    assert_eq!(app.client_id, "spine-demo-app");
    assert_eq!(app.asid.as_deref(), Some("200000000101"));
    assert_eq!(app.organisation, "Y12345");
}

#[tokio::test]
async fn a_replayed_assertion_is_invalid_client_and_a_fresh_one_works() {
    let w = world().await;
    let assertion = w.assertion();
    access_token(&w.token(&client_credentials(&assertion)).await);
    assert!(refused(&w, &assertion).await.contains("already been used"));
    access_token(&w.token(&client_credentials(&w.assertion())).await);
}

#[tokio::test]
async fn an_audience_list_naming_the_token_endpoint_is_taken() {
    let w = world().await;
    let c = AssertionClaims { aud: Some(Audience::Many(vec!["https://other".into(), TOKEN_URL.into()])), ..claims() };
    access_token(&w.token(&client_credentials(&signed(&w, &c))).await);
}

#[tokio::test]
async fn a_signature_by_another_key_is_invalid_client() {
    let w = world().await;
    let other = support::new_key();
    let key = p256::ecdsa::SigningKey::from_pkcs8_pem(&other.pem).unwrap();
    // The registered kid, someone else's key.
    let forged = jws::sign(&Header::es256(&w.client_key.jwk.kid), &claims(), &key).unwrap();
    assert!(refused(&w, &forged).await.contains("signature does not verify"));
}

#[tokio::test]
async fn the_audience_must_be_the_token_endpoint() {
    let w = world().await;
    for aud in [Some(Audience::One("https://spine.test/oauth2".into())), Some(Audience::Many(vec![])), None] {
        let d = refused(&w, &signed(&w, &AssertionClaims { aud, ..claims() })).await;
        assert!(d.contains("'aud'"), "{d}");
    }
}

#[tokio::test]
async fn expired_and_too_long_lived_assertions_are_invalid_client() {
    let w = world().await;
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let expired = AssertionClaims { exp: Some(now - 120), iat: Some(now - 400), ..claims() };
    assert!(refused(&w, &signed(&w, &expired)).await.contains("expired"));
    let far = AssertionClaims { exp: Some(now + 3600), ..claims() };
    assert!(refused(&w, &signed(&w, &far)).await.contains("more than 5 minutes"));
    let no_exp = AssertionClaims { exp: None, ..claims() };
    assert!(refused(&w, &signed(&w, &no_exp)).await.contains("'exp'"));
    let future = AssertionClaims { nbf: Some(now + 200), ..claims() };
    assert!(refused(&w, &signed(&w, &future)).await.contains("not valid yet"));
}

#[tokio::test]
async fn an_unknown_client_or_kid_is_invalid_client() {
    let w = world().await;
    let stranger = AssertionClaims { iss: Some("stranger".into()), sub: Some("stranger".into()), ..claims() };
    assert_eq!(refused(&w, &signed(&w, &stranger)).await, "Unknown client");
    let key = p256::ecdsa::SigningKey::from_pkcs8_pem(&w.client_key.pem).unwrap();
    let unknown_kid = jws::sign(&Header::es256("not-a-registered-kid"), &claims(), &key).unwrap();
    assert!(refused(&w, &unknown_kid).await.contains("'kid'"));
    let mut no_kid = Header::es256("x");
    no_kid.kid = None;
    assert!(refused(&w, &jws::sign(&no_kid, &claims(), &key).unwrap()).await.contains("no 'kid'"));
}

#[tokio::test]
async fn iss_and_sub_must_both_name_the_client() {
    let w = world().await;
    for (iss, sub) in
        [(Some("spine-demo-app"), Some("other")), (None, Some("spine-demo-app")), (Some("spine-demo-app"), None)]
    {
        let c = AssertionClaims { iss: iss.map(Into::into), sub: sub.map(Into::into), ..claims() };
        assert!(refused(&w, &signed(&w, &c)).await.contains("'iss'/'sub'"));
    }
}

#[tokio::test]
async fn a_missing_jti_is_invalid_client() {
    let w = world().await;
    for jti in [None, Some(String::new()), Some("j".repeat(300))] {
        assert!(refused(&w, &signed(&w, &AssertionClaims { jti, ..claims() })).await.contains("'jti'"));
    }
}

#[tokio::test]
async fn only_es256_is_accepted() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let w = world().await;
    let enc = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let payload = enc(serde_json::to_value(claims()).unwrap());
    let kid = w.client_key.jwk.kid.clone();
    for header in [json!({"alg": "none"}), json!({"alg": "HS256", "kid": kid}), json!({"alg": "RS512", "kid": kid})] {
        let token = format!("{}.{payload}.{}", enc(header.clone()), URL_SAFE_NO_PAD.encode(b"sig"));
        assert!(refused(&w, &token).await.contains("ES256"), "{header}");
    }
    let unsigned = format!("{}.{payload}.", enc(json!({"alg": "none"})));
    assert!(refused(&w, &unsigned).await.contains("ES256"));
    assert!(refused(&w, "not-a-jwt").await.contains("well-formed"));
}

#[tokio::test]
async fn the_assertion_type_and_the_assertion_are_required() {
    let w = world().await;
    let assertion = w.assertion();
    for form in [
        format!("grant_type=client_credentials&client_assertion={assertion}"),
        format!("grant_type=client_credentials&client_assertion_type=urn:other&client_assertion={assertion}"),
        "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer".to_owned(),
    ] {
        assert_oauth(&w.token(&form).await, 400, "invalid_request");
    }
    // The refused requests spent nothing: the same assertion still works.
    access_token(&w.token(&client_credentials(&assertion)).await);
}

#[tokio::test]
async fn the_assertion_helper_signs_what_the_spine_takes() {
    let w = world().await;
    let long = spine_cis::assertion::sign(
        &w.client_key.pem,
        "spine-demo-app",
        TOKEN_URL,
        OffsetDateTime::now_utc(),
        Duration::from_secs(3600),
    )
    .unwrap();
    assert!(refused(&w, &long).await.contains("more than 5 minutes"));
}
