//! EPS in the local Spine, wired as in AWS but in one process: the reference prescriptions
//! (`spine_eps::reference`) seeded, the status queue (and its dead-letter queue after five
//! receives) on the embedded store, and two background loops standing in for what Lambda's event
//! sources run in AWS — the outbox relay the table's stream invokes (here polling the outbox every
//! 100 ms) and the status queue's consumer, writing patient notifications — and the daily expiry
//! job (here every minute).

use std::sync::Arc;
use std::time::Duration;

use spine_eps::notify::Notifier;
use spine_eps::outbox::STATUS_EVENTS_QUEUE;
use spine_eps::relay::Relay;
use spine_shared::ports::queue::{QueueSpec, consume_batch};
use spine_shared::ports::{Queue, RecordStore};

/// How long a received status event stays invisible before it is retried.
const VISIBILITY_SECS: u32 = 30;

/// Creates the status queue and seeds the reference prescriptions.
pub async fn prepare(records: Arc<dyn RecordStore>, queue: &dyn Queue) -> Result<(), String> {
    let dlq = format!("{STATUS_EVENTS_QUEUE}-dlq");
    queue.ensure_queue(&dlq, QueueSpec { dead_letter: None }).await.map_err(|e| e.to_string())?;
    queue
        .ensure_queue(STATUS_EVENTS_QUEUE, QueueSpec { dead_letter: Some((dlq, 5)) })
        .await
        .map_err(|e| e.to_string())?;
    spine_eps::reference::seed(&spine_eps::PrescriptionStore::new(records)).await.map_err(|e| e.to_string())
}

/// Starts the expiry job.
pub fn spawn_expiry(records: Arc<dyn RecordStore>) {
    // The daily expiry job of AWS, every minute here (a run with nothing due reads a year of empty
    // partitions: cheap).
    let store = spine_eps::PrescriptionStore::new(records);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let today = time::OffsetDateTime::now_utc().date();
            match store.expire_due(today, spine_eps::store::EXPIRY_WINDOW_DAYS).await {
                Ok(0) => {}
                Ok(expired) => tracing::info!(expired, "EPS prescriptions expired"),
                Err(e) => tracing::warn!(error = %e, "EPS expiry pass failed"),
            }
        }
    });
}

/// Starts the relay and the consumer.
pub fn spawn_events(records: Arc<dyn RecordStore>, queue: Arc<dyn Queue>) {
    let relay = Relay { records: records.clone(), queue: queue.clone(), queue_name: STATUS_EVENTS_QUEUE.to_owned() };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        loop {
            tick.tick().await;
            if let Err(e) = relay.relay_pending().await {
                tracing::warn!(error = %e, "EPS outbox relay pass failed");
            }
        }
    });
    let notifier = Notifier::new(records);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        loop {
            tick.tick().await;
            // Drain what is there, then wait for the next tick.
            loop {
                match consume_batch(queue.as_ref(), STATUS_EVENTS_QUEUE, VISIBILITY_SECS, |batch| {
                    notifier.consume(batch)
                })
                .await
                {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "EPS status consumer pass failed");
                        break;
                    }
                }
            }
        }
    });
}
