//! The API Gateway REQUEST authorizer's decision: a valid bearer token gets an Allow policy on
//! the whole stage with the verified claims in the context (which the functions' pipeline turns
//! back into the identity); anything else is a denial (the Lambda answers `Unauthorized`).
#![cfg(feature = "lambda")]

use std::time::Duration;

use lambda_http::aws_lambda_events::apigw::ApiGatewayCustomAuthorizerRequestTypeRequest;
use lambda_http::aws_lambda_events::iam::IamPolicyEffect;
use serde_json::json;
use spine_cis::authorizer::authorize;
use spine_shared::identity::{
    Claims, DenialKind, HealthcareWorker, Identity, Jwks, Principal, TokenSigner, TokenVerifier,
};
use time::OffsetDateTime;

const ISSUER: &str = "https://spine.test/oauth2";
const AUDIENCE: &str = "https://spine.test";
const METHOD_ARN: &str =
    "arn:aws:execute-api:eu-west-2:123456789012:abc123def4/prod/GET/personal-demographics/FHIR/R4/Patient/9000000009";

fn signer() -> TokenSigner {
    let pem = spine_shared::identity::generate_p256_pkcs8_pem().unwrap();
    spine_cis::keys::signer_from_pem(&pem, ISSUER).unwrap()
}

fn verifier(signer: &TokenSigner) -> TokenVerifier {
    TokenVerifier::new(ISSUER, AUDIENCE, &Jwks::from_signer(signer))
}

fn hart() -> Identity {
    Identity {
        subject: "555021930100".into(),
        principal: Principal::HealthcareWorker(HealthcareWorker {
            user_id: "555021930100".into(),
            role_profile_id: "555021935107".into(),
            job_role: "R8000".into(),
            organisation: "Y12345".into(),
            activities: vec!["B0820".into(), "B0825".into()],
        }),
    }
}

/// A REQUEST authorizer event as API Gateway sends it, with these headers.
fn event(headers: serde_json::Value) -> ApiGatewayCustomAuthorizerRequestTypeRequest {
    serde_json::from_value(json!({
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "resource": "/personal-demographics/FHIR/R4/Patient/{id}",
        "path": "/personal-demographics/FHIR/R4/Patient/9000000009",
        "httpMethod": "GET",
        "headers": headers,
        "queryStringParameters": {},
        "pathParameters": {"id": "9000000009"},
        "stageVariables": {},
        "requestContext": {
            "path": "/prod/personal-demographics/FHIR/R4/Patient/9000000009",
            "accountId": "123456789012",
            "resourceId": "x7k2p9",
            "stage": "prod",
            "requestId": "52029e76-dd88-4237-8ca9-e2c5088b5355",
            "resourcePath": "/personal-demographics/FHIR/R4/Patient/{id}",
            "httpMethod": "GET",
            "apiId": "abc123def4"
        }
    }))
    .unwrap()
}

fn bearer(token: &str) -> serde_json::Value {
    json!({"Authorization": format!("Bearer {token}"), "X-Request-ID": "60e0b220-8136-4ca5-ae46-1d97ef59d068"})
}

#[test]
fn a_valid_token_is_allowed_on_the_whole_stage_with_its_claims_in_the_context() {
    let s = signer();
    let token = s.mint(&hart(), AUDIENCE, Duration::from_secs(600)).unwrap();
    let response = authorize(&event(bearer(&token)), &verifier(&s), OffsetDateTime::now_utc()).unwrap();
    assert_eq!(response.principal_id.as_deref(), Some("555021930100"));
    let statement = &response.policy_document.statement[0];
    assert_eq!(statement.effect, IamPolicyEffect::Allow);
    assert_eq!(statement.action, ["execute-api:Invoke"]);
    assert_eq!(statement.resource, ["arn:aws:execute-api:eu-west-2:123456789012:abc123def4/prod/*/*"]);
    assert_eq!(response.policy_document.version.as_deref(), Some("2012-10-17"));

    // The context holds exactly `identity`, a string of the claims, which round-trips.
    let context = response.context.as_object().unwrap();
    assert_eq!(context.keys().collect::<Vec<_>>(), ["identity"]);
    let claims: Claims = serde_json::from_str(context["identity"].as_str().unwrap()).unwrap();
    assert_eq!((claims.iss.as_str(), claims.aud.as_str()), (ISSUER, AUDIENCE));
    assert_eq!(claims.into_identity().unwrap(), hart());

    // What API Gateway sends on: the response serialises in the authorizer's wire format.
    let wire = serde_json::to_value(&response).unwrap();
    assert_eq!(wire["principalId"], "555021930100");
    assert_eq!(wire["policyDocument"]["Statement"][0]["Effect"], "Allow");
    assert!(wire["context"]["identity"].is_string());
}

#[test]
fn the_header_name_and_scheme_are_case_insensitive() {
    let s = signer();
    let token = s.mint(&hart(), AUDIENCE, Duration::from_secs(600)).unwrap();
    for headers in
        [json!({"authorization": format!("bearer {token}")}), json!({"AUTHORIZATION": format!("BEARER {token}")})]
    {
        assert!(authorize(&event(headers), &verifier(&s), OffsetDateTime::now_utc()).is_ok());
    }
}

#[test]
fn no_or_a_malformed_authorization_header_is_denied() {
    let s = signer();
    for headers in [
        json!({}),
        json!({"Authorization": ""}),
        json!({"Authorization": "Basic dXNlcjpwYXNz"}),
        json!({"Authorization": "Bearer"}),
        json!({"Authorization": "Bearer not.a.jwt"}),
        json!({"Authorization": "Bearer abc"}),
    ] {
        let denial = authorize(&event(headers.clone()), &verifier(&s), OffsetDateTime::now_utc()).unwrap_err();
        assert_eq!(denial.kind, DenialKind::Unauthenticated, "{headers}");
    }
}

#[test]
fn a_token_of_another_key_is_denied() {
    let s = signer();
    let token = signer().mint(&hart(), AUDIENCE, Duration::from_secs(600)).unwrap();
    assert!(authorize(&event(bearer(&token)), &verifier(&s), OffsetDateTime::now_utc()).is_err());
    // Same kid, tampered signature.
    let good = s.mint(&hart(), AUDIENCE, Duration::from_secs(600)).unwrap();
    let (head, sig) = good.rsplit_once('.').unwrap();
    let flipped = if sig.starts_with('A') { sig.replacen('A', "B", 1) } else { format!("A{}", &sig[1..]) };
    let denial = authorize(&event(bearer(&format!("{head}.{flipped}"))), &verifier(&s), OffsetDateTime::now_utc());
    assert!(denial.is_err());
}

#[test]
fn an_expired_token_is_denied() {
    let s = signer();
    let issued = OffsetDateTime::now_utc() - time::Duration::hours(1);
    let token = s.mint_at(&hart(), AUDIENCE, Duration::from_secs(600), issued).unwrap();
    let denial = authorize(&event(bearer(&token)), &verifier(&s), OffsetDateTime::now_utc()).unwrap_err();
    assert_eq!(denial.reason, "token has expired");
}

#[test]
fn a_token_for_another_audience_or_from_another_issuer_is_denied() {
    let s = signer();
    let token = s.mint(&hart(), "https://elsewhere.test", Duration::from_secs(600)).unwrap();
    let denial = authorize(&event(bearer(&token)), &verifier(&s), OffsetDateTime::now_utc()).unwrap_err();
    assert_eq!(denial.reason, "token is for another audience");
    let other_issuer = TokenVerifier::new("https://other/oauth2", AUDIENCE, &Jwks::from_signer(&s));
    let token = s.mint(&hart(), AUDIENCE, Duration::from_secs(600)).unwrap();
    assert!(authorize(&event(bearer(&token)), &other_issuer, OffsetDateTime::now_utc()).is_err());
}

#[test]
fn an_event_without_a_method_arn_is_denied() {
    let s = signer();
    let token = s.mint(&hart(), AUDIENCE, Duration::from_secs(600)).unwrap();
    let mut e = event(bearer(&token));
    e.method_arn = None;
    assert!(authorize(&e, &verifier(&s), OffsetDateTime::now_utc()).is_err());
}

#[test]
fn the_sample_authorizer_events_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/cis-authorizer");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let e: ApiGatewayCustomAuthorizerRequestTypeRequest = serde_json::from_str(&text).unwrap();
        assert!(e.method_arn.is_some(), "{}", path.display());
        // Their tokens are signed by no key we hold (or expired): every one is denied.
        assert!(authorize(&e, &verifier(&signer()), OffsetDateTime::now_utc()).is_err(), "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 2);
}

#[test]
fn a_refusal_at_the_authorizer_becomes_an_audit_event_of_its_route_and_patient() {
    let s = signer();
    let mut headers = bearer("not-a-token");
    headers["X-Request-ID"] = json!("60e0b220-8136-4ca5-ae46-1d97ef59d068");
    let e = event(headers);
    let denial = authorize(&e, &verifier(&s), OffsetDateTime::now_utc()).unwrap_err();
    let audit = spine_cis::lambda::refusal_event(&e, &denial).expect("the route is in the table");
    assert_eq!((audit.function.as_str(), audit.status), ("pds-get-patient", 401));
    assert_eq!(audit.outcome, spine_shared::audit::Outcome::Refused);
    assert_eq!(audit.request_id, "60e0b220-8136-4ca5-ae46-1d97ef59d068");
    assert_eq!(audit.patient.map(|p| p.to_string()).as_deref(), Some("9000000009"));
    assert!(audit.subject.is_none() && audit.reason.is_some());
}
