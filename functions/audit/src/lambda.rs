//! The Lambda entry points of the audit binaries: `run` serves the privacy officer's search
//! through the shared Lambda edge (lambda_http and the request pipeline) over the audit table;
//! `run_writer` is the SQS consumer (lambda_runtime, partial batch failures). Both set up JSON
//! logging and build their clients once per cold start.
//!
//! The shared `pipeline::lambda::run` builds its record store from `SPINE_TABLE_NAME` (the main
//! table); the search reads the audit table, so `run` builds its adapters itself (see
//! [`crate::env`]) and hands over to the shared `access_from_env` and `serve`: the search runs
//! through the same pipeline (authorizer identity, activity B8001, refusals audited).

use std::convert::Infallible;

use lambda_runtime::{LambdaEvent, service_fn};
use spine_shared::config::Adapters;
use spine_shared::pipeline::{Handler, lambda, logging};

use crate::env;
use crate::handlers::AuditContext;
use crate::sqs;
use spine_shared::lambda_events::SqsEvent;

/// Runs an audit API function as a Lambda: `run("audit-search-events", SearchEvents)`.
pub async fn run<H: Handler + 'static>(
    function: &'static str,
    handler: fn(AuditContext) -> H,
) -> Result<(), lambda_http::Error> {
    logging::init();
    let (table, queue) = env::search_adapters_from_env().await?;
    let access = lambda::access_from_env(&Adapters { records: table.clone(), queue });
    let origin = spine_shared::config::origin_from_env();
    lambda::serve(function, access, handler(AuditContext::new(table, &origin))).await
}

/// Runs the audit writer as the SQS-triggered Lambda `audit-writer`.
pub async fn run_writer() -> Result<(), lambda_runtime::Error> {
    logging::init();
    let writer = env::writer_from_env()?;
    let writer = &writer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Infallible>(sqs::handle(writer, event.payload).await)
    }))
    .await
}
