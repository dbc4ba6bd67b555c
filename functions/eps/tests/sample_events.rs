//! EPS's sample events: the committed files are exactly what the generator
//! (`examples/eps_sample_events.rs`) writes, and the two that are not API Gateway events — the
//! relay's DynamoDB stream batch and the consumer's SQS batch — are replayed through the Lambda
//! handlers' own entry points on the embedded store with the reference prescriptions (the route
//! events are replayed by the workspace's `tests/events_replay.rs`).

#[allow(dead_code)]
#[path = "../examples/eps_sample_events.rs"]
mod generator;

use std::path::Path;
use std::sync::Arc;

use spine_eps::notify::{Notifier, notification_pk};
use spine_eps::relay::Relay;
use spine_eps::{PrescriptionStore, reference};
use spine_shared::lambda_events::{SqsEvent, SqsMessage, StreamEvent};
use spine_shared::ports::queue::QueueSpec;
use spine_shared::ports::{Index, KeyCondition, Query, Queue, RecordStore};

fn read(function: &str, name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events").join(function).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn sample_events_are_what_the_generator_writes() {
    for (function, name, event) in generator::events().into_iter().chain(generator::other_events()) {
        let committed: serde_json::Value = serde_json::from_str(&read(function, name)).unwrap();
        assert_eq!(
            committed, event,
            "events/{function}/{name}: run `cargo run -p spine-eps --example eps_sample_events`"
        );
    }
}

#[tokio::test]
async fn the_relays_stream_event_sends_the_outbox_item_once_and_deletes_it() {
    let (_dir, store) = spine_shared::testing::embedded();
    let records: Arc<dyn RecordStore> = Arc::new(store.records());
    reference::seed(&PrescriptionStore::new(records.clone())).await.unwrap();
    let queue: Arc<dyn Queue> = Arc::new(store.queues());
    queue.ensure_queue("eps-status-events", QueueSpec { dead_letter: None }).await.unwrap();
    let relay = Relay { records: records.clone(), queue: queue.clone(), queue_name: "eps-status-events".into() };

    let event: StreamEvent =
        serde_json::from_str(&read("eps-relay-status-events", "200-two-outbox-inserts.json")).unwrap();
    let answer = spine_eps::lambda::relay_batch(&relay, event.clone()).await;
    assert!(answer.batch_item_failures.is_empty(), "{answer:?}");
    let sent = queue.receive("eps-status-events", 10, 30).await.unwrap();
    assert_eq!(sent.len(), 1, "the first key's item (the second was never written)");
    let body: serde_json::Value = serde_json::from_str(&sent[0].body).unwrap();
    assert_eq!(
        (body["event_id"].as_str(), body["status"].as_str()),
        (Some(&*format!("{}:1", reference::WAITING)), Some("0001"))
    );
    assert!(
        records
            .get(&format!("EPSOUTBOX#{}", reference::WAITING), &format!("{}:1", reference::WAITING))
            .await
            .unwrap()
            .is_none()
    );
    // Delivered again (the stream retries a batch): nothing more is sent.
    spine_eps::lambda::relay_batch(&relay, event).await;
    assert!(queue.receive("eps-status-events", 10, 0).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_expiry_jobs_scheduled_event_expires_what_was_never_dispensed_once() {
    let (_dir, store) = spine_shared::testing::embedded();
    let prescriptions = PrescriptionStore::new(Arc::new(store.records()));
    reference::seed(&prescriptions).await.unwrap();
    let event: serde_json::Value =
        serde_json::from_str(&read("eps-expire-prescriptions", "scheduled-event.json")).unwrap();
    let status = |id: &'static str| {
        let prescriptions = prescriptions.clone();
        async move { prescriptions.get(id).await.unwrap().unwrap().state.status.code() }
    };
    // The day before their validity ends, nothing expires.
    let mut early = event.clone();
    early["time"] = serde_json::json!("2027-05-02T02:00:00Z");
    assert_eq!(spine_eps::lambda::expire_for(&prescriptions, &early).await.unwrap(), 0);
    assert_eq!(spine_eps::lambda::expire_for(&prescriptions, &event).await.unwrap(), 3);
    for id in [reference::WAITING, reference::WITH_DISPENSER, reference::TO_CANCEL] {
        assert_eq!(status(id).await, "0004", "{id}");
        let p = prescriptions.get(id).await.unwrap().unwrap();
        assert!(p.items.iter().all(|i| i.status.code() == "0006"), "{id}: its items expired");
    }
    assert_eq!(status(reference::DISPENSED).await, "0006", "dispensed: not expired");
    // Its markers are gone: the next run (and a replay) change nothing.
    assert_eq!(spine_eps::lambda::expire_for(&prescriptions, &event).await.unwrap(), 0);
}

#[tokio::test]
async fn the_consumers_sqs_event_applies_the_event_once_and_fails_the_malformed_message_alone() {
    let (_dir, store) = spine_shared::testing::embedded();
    let records: Arc<dyn RecordStore> = Arc::new(store.records());
    let event: SqsEvent =
        serde_json::from_str(&read("eps-notify-patients", "200-released-delivered-twice-and-one-malformed.json"))
            .unwrap();
    let malformed = event.records[2].message_id.clone();
    let messages = event.records.into_iter().map(SqsMessage::into_received).collect();
    let outcome = Notifier::new(records.clone()).consume(messages).await;
    assert_eq!(outcome.failed_message_ids, [malformed]);
    let page =
        records.query(Query::new(Index::Table, notification_pk(reference::PATIENT), KeyCondition::All)).await.unwrap();
    assert_eq!(page.items.len(), 1, "one notification for the event delivered twice");
    let note: serde_json::Value = serde_json::from_slice(&page.items[0].data).unwrap();
    assert_eq!(note["message"], "Your prescription has been sent to a pharmacy.");
}
