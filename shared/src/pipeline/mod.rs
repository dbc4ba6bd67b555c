//! The one request pipeline every HTTP handler goes through, in order: the request id
//! (`X-Request-ID`, a UUID, required — made here for public and MESH routes when absent) and
//! correlation id (optional), both echoed; the route's body limit; the caller's identity and the
//! route's activity and access modes (401/403 `ACCESS_DENIED`); the handler (on MESH routes the
//! handler checks the `NHSMESH` token itself); the audit event of the access (or refusal), which
//! must be queued before the answer leaves; then the single mapping of `SpineError` to status +
//! `OperationOutcome`. Each request runs in a tracing span carrying its ids, and is logged once,
//! without patient data.

pub mod access;
mod audit;
pub mod idempotency;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod logging;
mod request;
mod response;

use std::time::Instant;

use async_trait::async_trait;
use tracing::Instrument;

pub use access::{Access, Authenticator, AuthorizerContext};
pub use request::{ApiRequest, Echo, RequestIds};
pub use response::ApiResponse;

use crate::error::{ErrorCode, SpineError, SpineResult};
use crate::routes::Route;

/// The largest request body a Spine FHIR interaction takes. PDS bodies are a few kilobytes;
/// anything near API Gateway's 10 MB cap is refused here first.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// One interaction's business logic: typed input in, a response or a `SpineError` out.
#[async_trait]
pub trait Handler: Send + Sync {
    async fn handle(&self, request: &ApiRequest) -> SpineResult<ApiResponse>;

    /// The answer to a request refused before the handler ran (a body over the route's limit, an
    /// unknown path under the service): an OperationOutcome, unless the service has its own error
    /// format (MESH).
    fn reject(&self, e: &SpineError, _request_id: Option<&str>) -> ApiResponse {
        error_response(e)
    }
}

#[async_trait]
impl Handler for Box<dyn Handler> {
    async fn handle(&self, request: &ApiRequest) -> SpineResult<ApiResponse> {
        self.as_ref().handle(request).await
    }

    fn reject(&self, e: &SpineError, request_id: Option<&str>) -> ApiResponse {
        self.as_ref().reject(e, request_id)
    }
}

/// Runs a request through the pipeline for `route` and always produces a response.
pub async fn run(route: &Route, access: &Access, handler: &dyn Handler, mut request: ApiRequest) -> ApiResponse {
    let started = Instant::now();
    if (route.is_public() || route.is_mesh()) && !request.headers.contains_key("x-request-id") {
        // OAuth clients, JWKS fetchers and MESH clients do not send one: these routes make their
        // own (and echo it, for support calls).
        if let Ok(v) = http::HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
            request.headers.insert("x-request-id", v);
        }
    }
    let ids = match RequestIds::from_headers(&request.headers) {
        Ok(ids) => ids,
        Err((e, echo)) => {
            let response = error_response(&e);
            tracing::info!(function = %route.function, status = response.status, code = e.code.spine_code(), "request refused");
            return echo.apply(response);
        }
    };
    let span = tracing::info_span!("request", request_id = %ids.request_id, correlation_id = ids.loggable_correlation_id(), function = %route.function);
    request.ids = Some(ids.clone());
    async move {
        let response = if request.body.len() > route.body_limit() {
            handler.reject(&too_large(route), Some(&ids.request_id))
        } else if route.is_public() || route.is_mesh() {
            respond(handler, &request).await
        } else {
            protected(route, access, handler, request).await
        };
        tracing::info!(status = response.status, elapsed_us = started.elapsed().as_micros() as u64, "request handled");
        ids.apply(response)
    }
    .instrument(span)
    .await
}

async fn respond(handler: &dyn Handler, request: &ApiRequest) -> ApiResponse {
    match handler.handle(request).await {
        Ok(r) => r,
        Err(e) => error_response(&e),
    }
}

/// A route that needs a token: who is calling, may they, the handler, then the audit trail. A
/// refusal is audited like an access; an answer that cannot be audited is not given (503).
async fn protected(route: &Route, access: &Access, handler: &dyn Handler, mut request: ApiRequest) -> ApiResponse {
    let now = time::OffsetDateTime::now_utc();
    let allowed = access
        .authenticator
        .authenticate(&request, now)
        .and_then(|identity| access.policy.allows(&identity, route).map(|()| identity));
    let (response, denial) = match allowed {
        Ok(identity) => {
            request.identity = Some(identity);
            (respond(handler, &request).await, None)
        }
        Err(denial) => {
            tracing::info!(reason = %denial, "caller refused");
            (error_response(&denial.clone().into()), Some(denial))
        }
    };
    match audit::record(route, access, &request, &response, denial.as_ref()).await {
        Ok(()) => response,
        Err(e) => error_response(&e),
    }
}

/// The refusal of a body over `route`'s limit (413).
pub fn too_large(route: &Route) -> SpineError {
    SpineError::new(ErrorCode::PayloadTooLarge, format!("The request body exceeds {} bytes", route.body_limit()))
}

/// The response of an error: its status and its OperationOutcome.
pub fn error_response(e: &SpineError) -> ApiResponse {
    let mut r = ApiResponse::fhir_json(e.status(), &e.to_outcome());
    if e.code == ErrorCode::ServiceUnavailable {
        r = r.with_header("retry-after", "5");
    }
    r
}
