//! What every PDS binary's `main` does: JSON logging, the record store from the environment
//! (built once per cold start), the function's handler, then the Lambda runtime loop. Each binary
//! names its own handler type, so it links that handler's code and no other.

use spine_shared::pipeline::{Handler, lambda, logging};

use crate::handlers::{DEFAULT_ORIGIN, PdsContext};

/// Runs a PDS function as a Lambda: `run("pds-get-patient", GetPatient)`.
pub async fn run<H: Handler + 'static>(
    function: &'static str,
    handler: fn(PdsContext) -> H,
) -> Result<(), lambda_http::Error> {
    logging::init();
    let store = spine_shared::config::record_store_from_env().await?;
    let origin = std::env::var("SPINE_BASE_URL").unwrap_or_else(|_| DEFAULT_ORIGIN.to_owned());
    lambda::serve(function, handler(PdsContext::new(store, &origin))).await
}
