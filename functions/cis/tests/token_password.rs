//! The token endpoint's password grant over the handler, on an embedded store: healthcare workers
//! in a role profile, patients, and every way a request can fail.

mod support;

use spine_cis::accounts::patient_subject;
use spine_cis::grants::password::BAD_CREDENTIALS;
use spine_cis::seed::LOCAL_PASSCODE;
use spine_shared::identity::{Principal, TokenVerifier};
use support::{access_token, assert_oauth, world};
use time::OffsetDateTime;

fn login(username: &str, extra: &str) -> String {
    format!("grant_type=password&username={username}&password={LOCAL_PASSCODE}{extra}")
}

#[tokio::test]
async fn a_clinician_gets_a_ten_minute_token_for_the_selected_role() {
    let w = world().await;
    let r = w.token(&login("555021930100", "&selected_roleid=555021935107")).await;
    let body = r.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], "599");
    let issued_at: i128 = body["issued_at"].as_str().unwrap().parse().unwrap();
    assert!((OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000 - issued_at).abs() < 60_000);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("content-type"), Some("application/json"));

    let token = access_token(&r);
    let claims = w.verifier().verify_claims(&token, OffsetDateTime::now_utc()).unwrap();
    assert_eq!(claims.exp - claims.iat, 600);
    assert_eq!((claims.iss.as_str(), claims.aud.as_str()), ("https://spine.test/oauth2", "https://spine.test"));
    let identity = claims.into_identity().unwrap();
    assert_eq!(identity.subject, "555021930100");
    let Principal::HealthcareWorker(worker) = identity.principal else { panic!("a healthcare worker") };
    assert_eq!(worker.user_id, "555021930100");
    assert_eq!(worker.role_profile_id, "555021935107");
    assert_eq!((worker.job_role.as_str(), worker.organisation.as_str()), ("R8000", "Y12345"));
    assert_eq!(worker.activities, ["B0820", "B0825"]);
}

#[tokio::test]
async fn the_other_role_of_the_same_user_is_at_the_other_practice() {
    let w = world().await;
    let token = access_token(&w.token(&login("555021930100", "&selected_roleid=555021935108")).await);
    let Principal::HealthcareWorker(worker) = w.verifier().verify(&token, OffsetDateTime::now_utc()).unwrap().principal
    else {
        panic!("a healthcare worker")
    };
    assert_eq!((worker.role_profile_id.as_str(), worker.organisation.as_str()), ("555021935108", "B13001"));
}

#[tokio::test]
async fn a_user_with_one_role_needs_no_selection() {
    let w = world().await;
    for (user, role, job) in [
        ("555021930101", "555021935115", "R8001"),
        ("555021930102", "555021935123", "R8008"),
        ("555021930103", "555021935131", "R8003"),
        ("555021930104", "555021935140", "R0001"),
    ] {
        let token = access_token(&w.token(&login(user, "")).await);
        let identity = w.verifier().verify(&token, OffsetDateTime::now_utc()).unwrap();
        let Principal::HealthcareWorker(worker) = identity.principal else { panic!("a healthcare worker") };
        assert_eq!((worker.role_profile_id.as_str(), worker.job_role.as_str()), (role, job), "{user}");
    }
}

#[tokio::test]
async fn several_roles_without_a_selection_is_invalid_request_listing_them() {
    let w = world().await;
    let d = assert_oauth(&w.token(&login("555021930100", "")).await, 400, "invalid_request");
    assert!(d.contains("selected_roleid is required") && d.contains("555021935107, 555021935108"), "{d}");
}

#[tokio::test]
async fn a_role_profile_of_someone_else_is_invalid_request() {
    let w = world().await;
    for role in ["555021935115", "999999999999"] {
        let d = assert_oauth(
            &w.token(&login("555021930100", &format!("&selected_roleid={role}"))).await,
            400,
            "invalid_request",
        );
        assert!(d.contains("not one of this user's role profiles"), "{d}");
    }
}

#[tokio::test]
async fn a_patient_gets_a_p9_token_for_their_nhs_number() {
    let w = world().await;
    let token = access_token(&w.token(&login("patient-9000000009", "&scope=openid%20nhs_number")).await);
    let identity = w.verifier().verify(&token, OffsetDateTime::now_utc()).unwrap();
    assert_eq!(identity.subject, patient_subject("patient-9000000009"));
    let Principal::Patient(patient) = identity.principal else { panic!("a patient") };
    assert_eq!(patient.nhs_number.to_string(), "9000000009");
    assert_eq!(patient.vector_of_trust, "P9.Cp.Cd");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let w = world().await;
    let wrong = w.token("grant_type=password&username=555021930101&password=not-the-passcode").await;
    let unknown = w.token(&login("555029999999", "")).await;
    let odd = w.token(&format!("grant_type=password&username={}&password=x", "u".repeat(500))).await;
    for r in [&wrong, &unknown, &odd] {
        assert_eq!(assert_oauth(r, 400, "invalid_grant"), BAD_CREDENTIALS);
    }
    assert_eq!(wrong.body, unknown.body);
}

#[tokio::test]
async fn missing_fields_are_invalid_request() {
    let w = world().await;
    for (form, missing) in [
        ("grant_type=password&password=x", "username"),
        ("grant_type=password&username=555021930101", "password"),
        ("grant_type=password&username=555021930101&password=", "password"),
        ("username=555021930101&password=x", "grant_type"),
    ] {
        let d = assert_oauth(&w.token(form).await, 400, "invalid_request");
        assert_eq!(d, format!("Missing required parameter {missing}"), "{form}");
    }
}

#[tokio::test]
async fn other_grant_types_are_unsupported() {
    let w = world().await;
    for grant in ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer", "PASSWORD"] {
        assert_oauth(&w.token(&format!("grant_type={grant}&code=x")).await, 400, "unsupported_grant_type");
    }
}

#[tokio::test]
async fn repeated_parameters_and_unknown_scopes_are_refused() {
    let w = world().await;
    let repeated = w.token(&login("555021930101", "&username=555021930102")).await;
    assert_oauth(&repeated, 400, "invalid_request");
    let scoped = w.token(&login("555021930101", "&scope=openid%20admin")).await;
    assert_eq!(assert_oauth(&scoped, 400, "invalid_scope"), "Scope admin is not offered");
    access_token(&w.token(&login("555021930101", "&scope=openid%20nationalrbacaccess")).await);
}

#[tokio::test]
async fn a_body_that_is_not_a_form_is_invalid_request() {
    let w = world().await;
    let mut request = spine_shared::pipeline::ApiRequest {
        method: http::Method::POST,
        body: br#"{"grant_type":"password"}"#.to_vec().into(),
        ..Default::default()
    };
    request.headers.insert("content-type", "application/json".parse().unwrap());
    use spine_shared::pipeline::Handler;
    let r = spine_cis::handlers::Token(w.ctx.clone()).handle(&request).await.unwrap();
    assert_oauth(&r, 400, "invalid_request");
}

#[tokio::test]
async fn seeding_again_keeps_the_accounts_and_refreshes_the_demo_client() {
    let w = world().await;
    let key = support::new_key();
    let again = spine_cis::seed::seed(w.store.as_ref(), Some(&key.jwk), support::ITERATIONS).await.unwrap();
    assert_eq!(again, spine_cis::seed::Seeded { accounts: 0, clients: 1 });
    access_token(&w.token(&login("555021930101", "")).await);
    let client = spine_cis::clients::find(w.store.as_ref(), "spine-demo-app").await.unwrap().unwrap();
    assert_eq!(client.jwks.keys, vec![key.jwk]);
}

#[tokio::test]
async fn the_jwks_publishes_the_signing_key_for_five_minutes() {
    let w = world().await;
    let r = w.jwks().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("public, max-age=300"));
    let jwks: spine_shared::identity::Jwks = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(jwks.keys, vec![w.signer.jwk().clone()]);
    let key = &jwks.keys[0];
    assert_eq!((key.kty.as_str(), key.crv.as_str(), key.alg.as_deref()), ("EC", "P-256", Some("ES256")));
    assert_eq!(key.kid, spine_cis::keys::thumbprint(&key.x, &key.y));
    // A token from the endpoint verifies with the published set alone.
    let token = access_token(&w.token(&login("555021930101", "")).await);
    let verifier = TokenVerifier::new("https://spine.test/oauth2", "https://spine.test", &jwks);
    assert!(verifier.verify(&token, OffsetDateTime::now_utc()).is_ok());
}
