//! What every PDS binary's `main` does: JSON logging, the record store from the environment
//! (built once per cold start), the function's handler, then the Lambda runtime loop.

use spine_shared::pipeline::{lambda, logging};

use crate::handlers::{DEFAULT_ORIGIN, PdsContext, handler_for};

/// Runs the named PDS function as a Lambda.
pub async fn run(function: &'static str) -> Result<(), lambda_http::Error> {
    logging::init();
    let store = spine_shared::config::record_store_from_env().await?;
    let origin = std::env::var("SPINE_BASE_URL").unwrap_or_else(|_| DEFAULT_ORIGIN.to_owned());
    let handler = handler_for(function, PdsContext::new(store, &origin)).ok_or("no PDS handler with this name")?;
    lambda::serve(function, handler).await
}
