//! EPS in the local Spine, wired as in AWS but in one process: the reference prescriptions
//! (`spine_eps::reference`) seeded, the status queue (and its dead-letter queue after five
//! receives) on the embedded store, and two background loops standing in for what Lambda's event
//! sources run in AWS — the outbox relay the table's stream invokes (here the embedded store's
//! stream) and the status queue's consumers, writing patient notifications — and the daily expiry
//! job (here every minute).

use std::sync::Arc;
use std::time::Duration;

use spine_eps::notify::{BATCH_SIZE, Notifier};
use spine_eps::outbox::{OUTBOX_SHARDS, STATUS_EVENTS_QUEUE};
use spine_eps::relay::{PENDING_PAGE, Relay};
use spine_shared::ports::queue::{QueueSpec, consume_batch};
use spine_shared::ports::{Queue, RecordStore};
use tokio::sync::mpsc::Receiver;

/// How long a received status event stays invisible before it is retried.
const VISIBILITY_SECS: u32 = 30;
/// How often the relay sweeps the outbox.
const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// The most keys from the stream the relay takes at once.
const RELAY_BATCH: usize = 1000;
/// How long a relay pass lets keys gather once the first has come: under load a pass then takes
/// about 10 ms of changes at once (one read, one queue commit and its `fsync`, one delete) where it
/// took a few; alone, an event waits this much longer. (In AWS the stream's poller gathers records
/// per shard, a few times a second.)
const RELAY_GATHER: Duration = Duration::from_millis(10);
/// How many batches of status events are consumed at once.
const CONSUMERS: usize = 4;

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

/// Starts the relay and the consumers. The relay gets the keys of new outbox items from the
/// record store's stream (`outbox_keys`), as `eps-relay-status-events` gets them from DynamoDB's,
/// and sweeps the outbox at start and every [`SWEEP_EVERY`] for what the stream did not hand over
/// (items from before a restart, or whose relaying failed): a sweep reads past every deleted outbox
/// item the store still remembers, so it is not what carries the load.
pub fn spawn_events(records: Arc<dyn RecordStore>, queue: Arc<dyn Queue>, mut outbox_keys: Receiver<(String, String)>) {
    let relay = Relay { records: records.clone(), queue: queue.clone(), queue_name: STATUS_EVENTS_QUEUE.to_owned() };
    tokio::spawn(async move {
        let mut sweep = tokio::time::interval(SWEEP_EVERY);
        let mut keys = Vec::new();
        loop {
            tokio::select! {
                _ = sweep.tick() => sweep_outbox(&relay).await,
                n = outbox_keys.recv_many(&mut keys, RELAY_BATCH) => {
                    if n == 0 {
                        break;
                    }
                    // A full pass (a backlog) goes at once; a partial one gathers first.
                    if keys.len() < RELAY_BATCH {
                        tokio::time::sleep(RELAY_GATHER).await;
                        while keys.len() < RELAY_BATCH {
                            match outbox_keys.try_recv() {
                                Ok(key) => keys.push(key),
                                Err(_) => break,
                            }
                        }
                    }
                    // Those that failed stay in the outbox for the next sweep.
                    relay.relay(&keys).await;
                    keys.clear();
                }
            }
        }
    });
    // Several consumers, as Lambda polls a queue with several batches at once: their receives,
    // notifications and deletes share the stores' group commits. Each takes up to BATCH_SIZE events
    // at once, as the notifier's event source mapping does (there gathered for up to a second; here
    // what has come since the last pass, every 100 ms), so a batch is one receive, one
    // notification commit and one delete.
    let notifier = Notifier::new(records);
    for _ in 0..CONSUMERS {
        let (notifier, queue) = (notifier.clone(), queue.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tick.tick().await;
                // Drain what is there, then wait for the next tick.
                loop {
                    match consume_batch(queue.as_ref(), STATUS_EVENTS_QUEUE, BATCH_SIZE, VISIBILITY_SECS, |batch| {
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
}

/// Relays what the outbox holds, pass after pass while the passes find a backlog (more than half
/// of what a pass can take); what remains is the stream's.
async fn sweep_outbox(relay: &Relay) {
    loop {
        match relay.relay_pending().await {
            Ok(n) if n * 2 > PENDING_PAGE * OUTBOX_SHARDS as usize => {}
            Ok(_) => break,
            Err(e) => {
                tracing::warn!(error = %e, "EPS outbox sweep failed");
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use spine_eps::outbox::{self, OUTBOX_PREFIX, StatusEvent, shard_pk};
    use spine_shared::adapters::embedded::EmbeddedStore;
    use spine_shared::ports::{Index, KeyCondition, Query};

    use super::*;

    async fn outbox_len(records: &dyn RecordStore) -> usize {
        let mut n = 0;
        for shard in 0..OUTBOX_SHARDS {
            n += records.query(Query::new(Index::Table, shard_pk(shard), KeyCondition::All)).await.unwrap().items.len();
        }
        n
    }

    async fn notified(records: &dyn RecordStore, nhs_number: &str, event_id: &str) -> bool {
        let pk = spine_eps::notify::notification_pk(nhs_number);
        let page = records.query(Query::new(Index::Table, pk, KeyCondition::All)).await.unwrap();
        page.items.iter().any(|i| i.sk.ends_with(event_id))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_relay_sweeps_what_came_before_and_follows_the_stream_after() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path()).unwrap();
        let records: Arc<dyn RecordStore> = Arc::new(store.records());
        let queue: Arc<dyn Queue> = Arc::new(store.queues());
        // The reference prescriptions' events, written before anyone listens: the sweep's.
        prepare(records.clone(), queue.as_ref()).await.unwrap();
        assert!(outbox_len(records.as_ref()).await > 0);
        spawn_events(records.clone(), queue.clone(), store.records().subscribe(OUTBOX_PREFIX));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while outbox_len(records.as_ref()).await > 0 {
            assert!(tokio::time::Instant::now() < deadline, "the sweep at start did not empty the outbox");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // An event written after that sweep: only the stream can hand it over before the next one.
        let event = StatusEvent {
            event_id: "TEST-STREAM:1".into(),
            prescription_id: "TEST-STREAM".into(),
            nhs_number: "9000000009".into(),
            status: "0002".into(),
            previous_status: Some("0001".into()),
            dispenser: Some("FA565".into()),
            items: Vec::new(),
            at: "2026-11-22T12:00:00Z".into(),
        };
        records.transact_write(vec![outbox::put(&event, 1)]).await.unwrap();
        // Relayed, so deleted from the outbox, and consumed: the patient is told.
        while !notified(records.as_ref(), "9000000009", "TEST-STREAM:1").await || outbox_len(records.as_ref()).await > 0
        {
            assert!(tokio::time::Instant::now() < deadline, "the event was not relayed and consumed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
