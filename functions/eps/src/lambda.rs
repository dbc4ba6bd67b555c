//! The Lambda entry points of the EPS binaries: `run` serves a route through the shared Lambda
//! edge; `run_relay` is the outbox relay the table's stream invokes (keys of new outbox items in,
//! partial batch failures by sequence number out); `run_notifier` is the status queue's consumer
//! (SQS, partial batch failures); `run_expiry` is the daily expiry job. Clients are built once per
//! cold start.

use std::convert::Infallible;

use lambda_runtime::{LambdaEvent, service_fn};
use spine_shared::lambda_events::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage, StreamEvent};
use spine_shared::pipeline::{Handler, lambda, logging};

use crate::handlers::EpsContext;
use crate::notify::Notifier;
use crate::outbox::STATUS_EVENTS_QUEUE;
use crate::relay::Relay;

/// Runs an EPS route function as a Lambda: `run("eps-release", Release)`.
pub async fn run<H: Handler + 'static>(
    function: &'static str,
    handler: fn(EpsContext) -> H,
) -> Result<(), lambda_http::Error> {
    lambda::run(function, EpsContext::new, handler).await
}

/// The status queue's name: `SPINE_EPS_EVENTS_QUEUE`, or `eps-status-events`.
pub fn status_queue_from_env() -> String {
    std::env::var("SPINE_EPS_EVENTS_QUEUE").unwrap_or_else(|_| STATUS_EVENTS_QUEUE.to_owned())
}

/// Runs `eps-relay-status-events`: each stream record's outbox item to the status queue.
pub async fn run_relay() -> Result<(), lambda_runtime::Error> {
    logging::init();
    let adapters = spine_shared::config::adapters_from_env().await?;
    let relay = Relay { records: adapters.records, queue: adapters.queue, queue_name: status_queue_from_env() };
    let relay = &relay;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<StreamEvent>| async move {
        Ok::<_, Infallible>(relay_batch(relay, event.payload).await)
    }))
    .await
}

/// One stream batch: the failures by sequence number (the event source retries from the first).
pub async fn relay_batch(relay: &Relay, event: StreamEvent) -> SqsBatchResponse {
    let keys: Vec<(String, String)> =
        event.records.iter().map(|r| (r.key().0.to_owned(), r.key().1.to_owned())).collect();
    let failed = relay.relay(&keys).await;
    SqsBatchResponse {
        batch_item_failures: failed
            .into_iter()
            .map(|i| BatchItemFailure { item_identifier: event.records[i].dynamodb.sequence_number.clone() })
            .collect(),
    }
}

/// Runs `eps-expire-prescriptions` (EventBridge, daily): prescriptions past their validity expire.
pub async fn run_expiry() -> Result<(), lambda_runtime::Error> {
    logging::init();
    let adapters = spine_shared::config::adapters_from_env().await?;
    let store = crate::PrescriptionStore::new(adapters.records);
    let store = &store;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        let expired = expire_for(store, &event.payload)
            .await
            .map_err(|e| lambda_runtime::Error::from(e.diagnostics().to_owned()))?;
        tracing::info!(expired, "EPS expiry pass");
        Ok::<_, lambda_runtime::Error>(serde_json::json!({ "expired": expired }))
    }))
    .await
}

/// One expiry run for a scheduled event: as of the day of its `time` (when EventBridge scheduled
/// it, so a retried or replayed event expires what its day was due), or today without one.
pub async fn expire_for(store: &crate::PrescriptionStore, event: &serde_json::Value) -> Result<usize, crate::EpsError> {
    let scheduled = event["time"]
        .as_str()
        .and_then(|t| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok());
    let today = scheduled.unwrap_or_else(time::OffsetDateTime::now_utc).date();
    store.expire_due(today, crate::store::EXPIRY_WINDOW_DAYS).await
}

/// Runs `eps-notify-patients`: status events to patient notifications.
pub async fn run_notifier() -> Result<(), lambda_runtime::Error> {
    logging::init();
    let adapters = spine_shared::config::adapters_from_env().await?;
    let notifier = Notifier::new(adapters.records);
    let notifier = &notifier;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let messages = event.payload.records.into_iter().map(SqsMessage::into_received).collect();
        Ok::<_, Infallible>(SqsBatchResponse::from_outcome(notifier.consume(messages).await))
    }))
    .await
}
