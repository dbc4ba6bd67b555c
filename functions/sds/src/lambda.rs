//! The Lambda entry point of every directory binary: the shared runner with this service's context.

use spine_shared::pipeline::{Handler, lambda};

use crate::handlers::SdsContext;

/// Runs a directory function as a Lambda: `run("sds-get-device", GetDevice)`.
pub async fn run<H: Handler + 'static>(
    function: &'static str,
    handler: fn(SdsContext) -> H,
) -> Result<(), lambda_http::Error> {
    lambda::run(function, SdsContext::new, handler).await
}
