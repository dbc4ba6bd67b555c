//! The Lambda entry points. [`run`] serves an HTTP function through the shared edge with this
//! service's context, its token minter built once per cold start; [`run_authorizer`] runs the
//! API Gateway REQUEST authorizer on `lambda_runtime`, auditing every refusal. The signing key is the KMS key
//! `SPINE_SIGNING_KEY_ID`, or, under `cargo lambda watch`, the PEM file `SPINE_SIGNING_KEY_FILE`.

use std::sync::Arc;

use lambda_http::aws_lambda_events::apigw::ApiGatewayCustomAuthorizerRequestTypeRequest;
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use spine_shared::audit::{Attempt, AuditEvent, AuditSink, Outcome, QueueAuditSink};
use spine_shared::identity::{Denial, TokenVerifier};
use spine_shared::pipeline::{Handler, lambda, logging};
use time::OffsetDateTime;

use crate::authorizer::authorize;
use crate::config::TokenNames;
use crate::context::CisContext;
use crate::signing::{KmsSigner, NoSigner, TokenMinter};

/// Runs a CIS function as a Lambda: `run("cis-token", Token)`.
pub async fn run<H: Handler + 'static>(
    function: &'static str,
    handler: fn(CisContext) -> H,
) -> Result<(), lambda_http::Error> {
    logging::init();
    let adapters = spine_shared::config::adapters_from_env().await?;
    let access = lambda::access_from_env(&adapters);
    let names = TokenNames::from_env();
    // Only the token endpoint and the JWKS use the key; the others need no KMS permission.
    let minter: Arc<dyn TokenMinter> = match function {
        "cis-token" | "cis-jwks" => minter_from_env(&names).await?,
        _ => Arc::new(NoSigner),
    };
    let origin = spine_shared::config::origin_from_env();
    let ctx = CisContext::new(adapters.records, &origin, minter).with_names(names);
    lambda::serve(function, access, handler(ctx)).await
}

/// The signer the environment names: the KMS key `SPINE_SIGNING_KEY_ID`, or else the P-256 PEM
/// key file `SPINE_SIGNING_KEY_FILE` (for `cargo lambda watch` beside the local Spine).
pub async fn minter_from_env(names: &TokenNames) -> Result<Arc<dyn TokenMinter>, String> {
    if std::env::var_os("SPINE_SIGNING_KEY_ID").is_some() {
        return Ok(Arc::new(KmsSigner::from_env(&names.issuer).await?));
    }
    let path = std::env::var("SPINE_SIGNING_KEY_FILE")
        .map_err(|_| "neither SPINE_SIGNING_KEY_ID nor SPINE_SIGNING_KEY_FILE is set".to_owned())?;
    let pem = std::fs::read_to_string(&path).map_err(|e| format!("cannot read SPINE_SIGNING_KEY_FILE: {e}"))?;
    Ok(Arc::new(crate::keys::signer_from_pem(&pem, &names.issuer).map_err(|e| e.diagnostics)?))
}

/// Runs the REQUEST authorizer: tokens verified against the signing key's public half (read
/// once per cold start). A refusal is logged with its reason (never the token) and answered with
/// the error `Unauthorized`, which API Gateway turns into a 401.
pub async fn run_authorizer() -> Result<(), lambda_runtime::Error> {
    logging::init();
    let names = TokenNames::from_env();
    let minter = minter_from_env(&names).await?;
    let verifier = TokenVerifier::new(&names.issuer, &names.audience, &minter.jwks());
    let config = spine_shared::adapters::aws::config_from_env()?;
    let queue = Arc::new(spine_shared::adapters::aws::SqsQueue::from_config(&config));
    let audit = QueueAuditSink::new(queue, spine_shared::config::audit_queue_from_env());
    let (verifier, audit) = (&verifier, &audit);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayCustomAuthorizerRequestTypeRequest>| async move {
            match authorize(&event.payload, verifier, OffsetDateTime::now_utc()) {
                Ok(allow) => Ok(allow),
                Err(denial) => {
                    if let Some(e) = refusal_event(&event.payload, &denial) {
                        // The caller is refused either way; a refusal that cannot be queued is logged.
                        if audit.record(vec![e]).await.is_err() {
                            tracing::error!("authorizer refusal could not be audited");
                        }
                    }
                    Err(refused(&denial))
                }
            }
        },
    ))
    .await
}

/// What the authorizer does with a refusal: logs its reason (never the token) and answers
/// `Unauthorized`, API Gateway's cue for a 401.
pub fn refused(denial: &Denial) -> Diagnostic {
    tracing::info!(reason = %denial.reason, "authorizer refused a token");
    Diagnostic { error_type: "Unauthorized".into(), error_message: "Unauthorized".into() }
}

/// The audit event of a refusal at the authorizer: the route from the event's resource template
/// and method, the patient from the path when the route holds patient data, the caller's ids.
pub fn refusal_event(event: &ApiGatewayCustomAuthorizerRequestTypeRequest, denial: &Denial) -> Option<AuditEvent> {
    let method = event.http_method.as_ref()?.as_str();
    let resource = event.resource.as_deref()?;
    let route = spine_shared::routes::all().iter().find(|r| r.path == resource && r.method == method)?;
    let header = |n: &str| event.headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let request_id = header("x-request-id").unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let correlation_id = header("x-correlation-id");
    let patient = route
        .patient_data
        .then(|| event.path_parameters.get("id").and_then(|id| spine_shared::NhsNumber::parse(id).ok()))
        .flatten();
    let attempt = Attempt::now(&request_id, correlation_id.as_deref());
    let mut e = AuditEvent::new(route, &attempt, None, patient, Outcome::Refused, 401);
    e.reason = Some(denial.reason.to_string());
    Some(e)
}
