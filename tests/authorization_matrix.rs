//! The authorization matrix: every protected route of the route table × every way a caller can
//! be turned away — no token, a bad signature, an expired token, the wrong issuer or audience, a
//! role without the route's activity, a patient token for another patient, application-restricted
//! where the route does not allow it — answers 401 or 403 `ACCESS_DENIED` with an OperationOutcome
//! and nothing else, and the refusal is on the audit queue. Run on the embedded store and queue,
//! and on DynamoDB and SQS (moto).

mod support;

use std::sync::Arc;
use std::time::Duration;

use spine_shared::audit::Outcome;
use spine_shared::identity::{Identity, TokenSigner, generate_p256_pkcs8_pem};
use spine_shared::ports::{Queue, RecordStore};
use spine_shared::routes::{self, Route};
use support::identity::{self as who, AUDIENCE, ISSUER};
use support::{Http, assert_outcome};

/// A patient who is not the one every path names (9000000009).
const OTHER_PATIENT: &str = "9000000017";

/// The path of a route with its parameters filled in: a reference patient or organisation.
fn path_of(route: &Route) -> String {
    let id = if route.service == "sds" { "Y12345" } else { "9000000009" };
    route.path.replace("{id}", id)
}

fn mint(signer: &TokenSigner, identity: &Identity, audience: &str, ttl: Duration) -> String {
    signer.mint(identity, audience, ttl).unwrap()
}

/// Every refusal to try on `route`: a label, the Authorization header (None: none sent), and the
/// status it must get.
fn refusals(route: &Route) -> Vec<(&'static str, Option<String>, u16)> {
    let clinician = who::clinician();
    let stranger = TokenSigner::from_pem(&generate_p256_pkcs8_pem().unwrap(), "test-key-1", ISSUER).unwrap();
    let other_issuer =
        TokenSigner::from_pem(&generate_p256_pkcs8_pem().unwrap(), "test-key-1", "https://evil.test").unwrap();
    let ten_minutes = Duration::from_secs(600);
    let expired = who::signer()
        .mint_at(
            &clinician,
            AUDIENCE,
            Duration::from_secs(60),
            time::OffsetDateTime::now_utc() - time::Duration::hours(1),
        )
        .unwrap();
    let bearer = |t: String| Some(format!("Bearer {t}"));
    let mut cases = vec![
        ("no token", None, 401),
        ("not a bearer token", Some("Basic c3BpbmU6c3BpbmU=".to_owned()), 401),
        ("malformed token", bearer("not.a.jwt".into()), 401),
        ("bad signature", bearer(mint(&stranger, &clinician, AUDIENCE, ten_minutes)), 401),
        ("expired", bearer(expired), 401),
        // Signed by another key under a kid we trust, from another issuer: 401 either way.
        ("wrong issuer", bearer(mint(&other_issuer, &clinician, AUDIENCE, ten_minutes)), 401),
        ("wrong audience", bearer(mint(who::signer(), &clinician, "https://elsewhere.test", ten_minutes)), 401),
        ("patient token for another patient", bearer(who::token(&who::patient(OTHER_PATIENT))), 403),
    ];
    if route.activity != spine_shared::identity::policy::ANY_CALLER {
        let no_such_role = who::worker("555021930199", "555021935199", "R9999", "Y12345", &[]);
        cases.push(("role without the activity", bearer(who::token(&no_such_role)), 403));
    }
    if !route.access.iter().any(|m| m == "application") {
        cases.push(("application-restricted", bearer(who::token(&who::application())), 403));
    }
    if !route.access.iter().any(|m| m == "healthcare-worker") {
        cases.push(("healthcare worker", bearer(who::token(&clinician)), 403));
    }
    cases
}

async fn matrix(http: Http) {
    let mut tried = 0;
    // MESH routes take no bearer token (NHSMESH, in the handler): tests/mesh_http.rs covers them.
    for route in routes::all().iter().filter(|r| !r.is_public() && !r.is_mesh()) {
        let path = path_of(route);
        for (label, auth, status) in refusals(route) {
            let request_id = support::request_id();
            let mut headers = vec![("x-request-id", request_id.as_str()), ("content-type", "application/json")];
            let auth = auth.unwrap_or_default();
            if !auth.is_empty() {
                headers.push(("authorization", auth.as_str()));
            }
            let caller = http.as_caller(None);
            let reply = caller.send(&route.method, &path, &headers, "{}").await;
            let what = format!("{} {} as {label}", route.method, route.path);
            assert_eq!(reply.status, status, "{what}: {:#}", reply.body);
            assert_outcome(&reply, status, "ACCESS_DENIED");
            assert_eq!(reply.body["issue"].as_array().map(Vec::len), Some(1), "{what}: nothing but the outcome");
            assert!(reply.header("etag").is_none() && reply.header("location").is_none(), "{what}");

            let events = http.audit_events().await;
            let refused: Vec<_> = events.iter().filter(|e| e.request_id == request_id).collect();
            assert_eq!(refused.len(), 1, "{what}: one audit event, got {refused:?}");
            let e = refused[0];
            assert_eq!(
                (e.outcome, e.status, e.function.as_str()),
                (Outcome::Refused, status, route.function.as_str()),
                "{what}"
            );
            assert!(e.reason.as_deref().is_some_and(|r| !r.is_empty()), "{what}: the refusal says why");
            tried += 1;
        }
    }
    assert!(tried >= 95, "only {tried} refusals tried");
}

#[tokio::test]
async fn every_protected_route_refuses_every_bad_caller_on_the_embedded_adapters() {
    let (_dir, http, _) = support::reference_gateway().await;
    matrix(http).await;
}

#[tokio::test]
async fn every_protected_route_refuses_every_bad_caller_on_dynamodb_and_sqs() {
    let store: Arc<dyn RecordStore> = support::dynamo().await;
    support::seed_reference(store.clone()).await;
    let queue: Arc<dyn Queue> = Arc::new(spine_shared::adapters::aws::SqsQueue::from_config(&support::aws_config()));
    matrix(support::gateway(store, queue).await).await;
}
