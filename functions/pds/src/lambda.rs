//! The Lambda entry point of every PDS binary: the shared runner with this service's context.

use spine_shared::pipeline::{Handler, lambda};

use crate::handlers::PdsContext;

/// Runs a PDS function as a Lambda: `run("pds-get-patient", GetPatient)`.
pub async fn run<H: Handler + 'static>(
    function: &'static str,
    handler: fn(PdsContext) -> H,
) -> Result<(), lambda_http::Error> {
    lambda::run(function, PdsContext::new, handler).await
}
