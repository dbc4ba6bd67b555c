//! The one request pipeline every HTTP handler goes through, in order: the request id
//! (`X-Request-ID`, a UUID, required) and correlation id (optional), both echoed; the body limit;
//! the handler; then the single mapping of `SpineError` to status + `OperationOutcome`. Each
//! request runs in a tracing span carrying its ids, and is logged once, without patient data.

pub mod idempotency;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod logging;
mod request;
mod response;

use std::time::Instant;

use async_trait::async_trait;
use tracing::Instrument;

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
}

#[async_trait]
impl Handler for Box<dyn Handler> {
    async fn handle(&self, request: &ApiRequest) -> SpineResult<ApiResponse> {
        self.as_ref().handle(request).await
    }
}

/// Runs a request through the pipeline for `route` and always produces a response.
pub async fn run(route: &Route, handler: &dyn Handler, mut request: ApiRequest) -> ApiResponse {
    let started = Instant::now();
    let ids = match RequestIds::from_headers(&request.headers) {
        Ok(ids) => ids,
        Err((e, echo)) => {
            let response = error_response(&e);
            tracing::info!(function = %route.function, status = response.status, code = e.code.spine_code(), "request refused");
            return echo.apply(response);
        }
    };
    let span = tracing::info_span!("request", request_id = %ids.request_id, correlation_id = ids.correlation_id.as_deref().unwrap_or(""), function = %route.function);
    request.ids = Some(ids.clone());
    async move {
        let outcome = if request.body.len() > MAX_BODY_BYTES {
            Err(SpineError::new(ErrorCode::PayloadTooLarge, format!("The request body exceeds {MAX_BODY_BYTES} bytes")))
        } else {
            handler.handle(&request).await
        };
        let response = match outcome {
            Ok(r) => r,
            Err(e) => error_response(&e),
        };
        tracing::info!(status = response.status, elapsed_us = started.elapsed().as_micros() as u64, "request handled");
        ids.apply(response)
    }
    .instrument(span)
    .await
}

/// The response of an error: its status and its OperationOutcome.
pub fn error_response(e: &SpineError) -> ApiResponse {
    let mut r = ApiResponse::fhir_json(e.status(), &e.to_outcome());
    if e.code == ErrorCode::ServiceUnavailable {
        r = r.with_header("retry-after", "5");
    }
    r
}
