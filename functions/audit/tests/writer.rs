//! The audit writer on both adapters: the embedded store (audit table, blob directory, queue) and
//! AWS (DynamoDB, S3 and SQS on moto). Each scenario runs on a fresh audit table, archive and
//! queue of each: events land once however often their message is delivered; a poison message is
//! reported failed (and reaches the dead-letter queue) while the rest are written; the archive
//! holds each day's events as NDJSON; alerts get their ALERT item; a table or archive that fails
//! fails the messages it concerns; `drain` consumes a real queue; the `audit-writer`
//! sample event answers with its partial batch failure.

mod support;

use std::sync::Arc;

use spine_audit::{AuditWriter, archive, model};
use spine_shared::audit::AuditEvent;
use spine_shared::ports::queue::{MAX_BATCH, QueueSpec, consume_batch};
use spine_shared::ports::{BlobStore, Index, KeyCondition, OutgoingMessage, Query, Queue, RecordStore};
use support::*;

/// One backend's fresh audit table, archive and queue.
struct Backend {
    table: Arc<dyn RecordStore>,
    archive: Arc<dyn BlobStore>,
    queue: Arc<dyn Queue>,
    _dir: Option<tempfile::TempDir>,
}

impl Backend {
    fn writer(&self) -> AuditWriter {
        AuditWriter::new(self.table.clone(), self.archive.clone())
    }

    /// A fresh queue with a dead-letter queue after two receives; returns (queue, dead-letter queue).
    async fn queue(&self) -> (String, String) {
        let name = unique("audit");
        let dlq = format!("{name}-dlq");
        self.queue.ensure_queue(&dlq, QueueSpec { dead_letter: None }).await.unwrap();
        self.queue.ensure_queue(&name, QueueSpec { dead_letter: Some((dlq.clone(), 2)) }).await.unwrap();
        (name, dlq)
    }

    async fn send(&self, queue: &str, bodies: Vec<String>) {
        for chunk in bodies.chunks(10) {
            let batch =
                chunk.iter().enumerate().map(|(i, b)| OutgoingMessage { id: i.to_string(), body: b.clone() }).collect();
            self.queue.send_batch(queue, batch).await.unwrap();
        }
    }
}

fn embedded_backend() -> Backend {
    let (dir, store) = embedded();
    Backend {
        table: Arc::new(store.records()),
        archive: Arc::new(store.blobs()),
        queue: Arc::new(store.queues()),
        _dir: Some(dir),
    }
}

async fn moto_backend() -> Backend {
    Backend { table: dynamo().await, archive: s3().await, queue: Arc::new(sqs()), _dir: None }
}

/// Every event of an index partition, newest first.
async fn partition(table: &dyn RecordStore, index: Index, pk: &str) -> Vec<AuditEvent> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = table.query(Query::new(index, pk, KeyCondition::All).descending().limit(100).after(cursor)).await;
        let page = page.unwrap();
        out.extend(page.items.iter().map(|i| model::event_of(i).unwrap()));
        match page.next {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

fn ids(events: &[AuditEvent]) -> Vec<String> {
    let mut ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
    ids.sort();
    ids
}

async fn writes_each_event_once_however_often_delivered(b: Backend) {
    let (jane, oliver) = (event(JANE, &at("2025-11-21", "09:00:00")), event(OLIVER, &at("2025-11-21", "09:00:01")));
    let claimed = alert(JANE, &at("2025-11-21", "09:00:02"));
    let a = [jane.clone(), oliver.clone()];
    let w = b.writer();
    // The same message twice in a batch (SQS duplicates it)…
    let outcome = w
        .write(vec![received("m1", &a), received("m2", std::slice::from_ref(&claimed)), received("m1-again", &a)])
        .await;
    assert!(outcome.failed_message_ids.is_empty(), "{outcome:?}");
    // …and again in a later batch (redelivered after a timeout).
    assert!(w.write(vec![received("m1-later", &a)]).await.failed_message_ids.is_empty());
    let table = b.table.as_ref();
    assert_eq!(ids(&partition(table, Index::Gsi1, "PATIENT#9000000009").await), ids(&[jane.clone(), claimed.clone()]));
    assert_eq!(partition(table, Index::Gsi1, "PATIENT#9000000017").await, vec![oliver.clone()]);
    assert_eq!(partition(table, Index::Gsi2, &format!("AGENT#{DR_HART}")).await.len(), 3);
    let stored = table.get(&model::event_pk(&jane), model::EVENT_SK).await.unwrap().expect("the event item");
    assert_eq!(model::event_of(&stored).unwrap(), jane);
    assert_eq!(stored.expires_at, None, "audit is retained");
}

async fn a_retried_request_is_a_second_access(b: Backend) {
    let first = event(JANE, &at("2025-11-21", "09:00:00"));
    // The client retried with the same X-Request-ID five seconds later: another attempt, so the
    // pipeline made another event with the same request id.
    let retry = AuditEvent { id: id(), time: at("2025-11-21", "09:00:05"), ..first.clone() };
    let w = b.writer();
    assert!(w.write(vec![received("m1", std::slice::from_ref(&first))]).await.failed_message_ids.is_empty());
    assert!(w.write(vec![received("m2", std::slice::from_ref(&retry))]).await.failed_message_ids.is_empty());
    // The first attempt is redelivered after both: still stored once.
    assert!(w.write(vec![received("m1-again", std::slice::from_ref(&first))]).await.failed_message_ids.is_empty());
    assert_eq!(partition(b.table.as_ref(), Index::Gsi1, "PATIENT#9000000009").await, vec![retry, first]);
}

async fn poison_is_failed_and_dead_lettered_while_the_rest_is_written(b: Backend) {
    let (queue, dlq) = b.queue().await;
    let good = event(JANE, &at("2025-11-21", "10:00:00"));
    b.send(&queue, vec![body(std::slice::from_ref(&good)), "{\"events\":[{\"id\":1}]}".into()]).await;
    let w = b.writer();
    let mut received = 0;
    for _ in 0..10 {
        received += consume_batch(b.queue.as_ref(), &queue, MAX_BATCH, 0, |m| w.write(m)).await.unwrap();
        if received >= 2 {
            break;
        }
    }
    assert_eq!(partition(b.table.as_ref(), Index::Gsi1, "PATIENT#9000000009").await, vec![good]);
    // The poison message comes back until its receive limit, then moves to the dead-letter queue.
    let mut dead = Vec::new();
    for _ in 0..20 {
        consume_batch(b.queue.as_ref(), &queue, MAX_BATCH, 0, |m| w.write(m)).await.unwrap();
        dead.extend(b.queue.receive(&dlq, 10, 30).await.unwrap());
        if !dead.is_empty() {
            break;
        }
    }
    assert_eq!(dead.len(), 1, "the poison message is dead-lettered");
    assert_eq!(dead[0].body, "{\"events\":[{\"id\":1}]}");
    assert!(b.queue.receive(&queue, 10, 30).await.unwrap().is_empty(), "the good message was deleted");
}

async fn the_archive_holds_each_days_events_as_ndjson(b: Backend) {
    let late = event(JANE, &at("2025-11-21", "23:59:59"));
    let early = event(OLIVER, &at("2025-11-21", "08:00:00"));
    let next_day = alert(JANE, &at("2025-11-22", "00:00:01"));
    let w = b.writer();
    let batch = vec![received("m1", &[late.clone(), next_day.clone()]), received("m2", std::slice::from_ref(&early))];
    assert!(w.write(batch).await.failed_message_ids.is_empty());
    let events = vec![late.clone(), next_day.clone(), early.clone()];
    let groups = archive::day_groups(&events);
    assert_eq!(groups.len(), 2);
    for (group, expected) in groups.iter().zip([vec![early, late], vec![next_day]]) {
        let (key, _) = archive::object(&events, group).unwrap();
        assert!(key.starts_with(&format!("audit/{}/", group.day.replace('-', "/"))), "{key}");
        let object = b.archive.get(&key).await.unwrap().expect("the day's object");
        let text = String::from_utf8(object.to_vec()).unwrap();
        let lines: Vec<AuditEvent> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines, expected, "one event a line, in time order");
        assert!(lines.iter().all(|e| e.day() == group.day));
        assert!(text.ends_with('\n'));
    }
}

async fn alerts_get_an_alert_item_in_their_day(b: Backend) {
    let claimed = alert(JANE, &at("2025-11-21", "12:00:00"));
    let ordinary = event(JANE, &at("2025-11-21", "12:00:01"));
    let w = b.writer();
    assert!(w.write(vec![received("m1", &[claimed.clone(), ordinary.clone()])]).await.failed_message_ids.is_empty());
    let item = b.table.get(&model::alert_pk(&claimed.id), model::ALERT_SK).await.unwrap().expect("the alert item");
    assert_eq!(model::event_of(&item).unwrap(), claimed);
    assert_eq!(b.table.get(&model::alert_pk(&ordinary.id), model::ALERT_SK).await.unwrap(), None);
    assert_eq!(partition(b.table.as_ref(), Index::Gsi1, "ALERTS#2025-11-21").await, vec![claimed]);
    assert!(partition(b.table.as_ref(), Index::Gsi1, "ALERTS#2025-11-22").await.is_empty());
}

async fn an_archive_that_fails_fails_the_messages_of_that_day(b: Backend, failing: Arc<dyn BlobStore>) {
    let w = AuditWriter::new(b.table.clone(), failing);
    let e = event(JANE, &at("2025-11-21", "12:00:00"));
    let outcome = w.write(vec![received("m1", std::slice::from_ref(&e)), poison("p1"), received("m2", &[])]).await;
    let mut failed = outcome.failed_message_ids;
    failed.sort();
    assert_eq!(failed, ["m1", "p1"], "m2 had nothing to archive");
    // The table has it (the redelivery rewrites the same item).
    assert_eq!(partition(b.table.as_ref(), Index::Gsi1, "PATIENT#9000000009").await, vec![e]);
}

async fn drain_consumes_a_real_queue(b: Backend) {
    let (queue, _) = b.queue().await;
    let mut bodies: Vec<String> =
        (0..120).map(|i| body(&[event(JANE, &at("2025-11-21", &format!("10:{:02}:{:02}", i / 60, i % 60)))])).collect();
    bodies.push(body(&(0..50).map(|i| event(OLIVER, &at("2025-11-21", &format!("11:00:{i:02}")))).collect::<Vec<_>>()));
    bodies.push("poison".into());
    b.send(&queue, bodies).await;
    let w = b.writer();
    let mut drained = 0;
    for _ in 0..5 {
        drained += spine_audit::drain(b.queue.as_ref(), &queue, &w).await;
        if drained >= 122 {
            break;
        }
    }
    assert_eq!(drained, 122);
    assert_eq!(partition(b.table.as_ref(), Index::Gsi1, "PATIENT#9000000009").await.len(), 120);
    assert_eq!(partition(b.table.as_ref(), Index::Gsi1, "PATIENT#9000000017").await.len(), 50);
    assert!(b.queue.receive(&queue, 10, 30).await.unwrap().is_empty(), "only the invisible poison message is left");
}

async fn the_sample_lambda_event_answers_with_its_poison_message(b: Backend) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/audit-writer/sqs-batch.json");
    let event: spine_shared::lambda_events::SqsEvent =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(event.records.len(), 2);
    let answer = spine_audit::sqs::handle(&b.writer(), event.clone()).await;
    let json = serde_json::to_value(&answer).unwrap();
    assert_eq!(json, serde_json::json!({"batchItemFailures": [{"itemIdentifier": event.records[1].message_id}]}));
    let good = spine_audit::batch::parse(&event.records[0].body).unwrap().events;
    let stored = partition(b.table.as_ref(), Index::Gsi1, "PATIENT#9000000009").await;
    assert_eq!(ids(&stored), ids(&good));
}

#[tokio::test]
async fn embedded_writes_each_event_once_however_often_delivered() {
    writes_each_event_once_however_often_delivered(embedded_backend()).await;
}

#[tokio::test]
async fn moto_writes_each_event_once_however_often_delivered() {
    writes_each_event_once_however_often_delivered(moto_backend().await).await;
}

#[tokio::test]
async fn embedded_a_retried_request_is_a_second_access() {
    a_retried_request_is_a_second_access(embedded_backend()).await;
}

#[tokio::test]
async fn moto_a_retried_request_is_a_second_access() {
    a_retried_request_is_a_second_access(moto_backend().await).await;
}

#[tokio::test]
async fn embedded_poison_is_failed_and_dead_lettered_while_the_rest_is_written() {
    poison_is_failed_and_dead_lettered_while_the_rest_is_written(embedded_backend()).await;
}

#[tokio::test]
async fn sqs_poison_is_failed_and_dead_lettered_while_the_rest_is_written() {
    poison_is_failed_and_dead_lettered_while_the_rest_is_written(moto_backend().await).await;
}

#[tokio::test]
async fn embedded_the_archive_holds_each_days_events_as_ndjson() {
    the_archive_holds_each_days_events_as_ndjson(embedded_backend()).await;
}

#[tokio::test]
async fn s3_the_archive_holds_each_days_events_as_ndjson() {
    the_archive_holds_each_days_events_as_ndjson(moto_backend().await).await;
}

#[tokio::test]
async fn embedded_alerts_get_an_alert_item_in_their_day() {
    alerts_get_an_alert_item_in_their_day(embedded_backend()).await;
}

#[tokio::test]
async fn moto_alerts_get_an_alert_item_in_their_day() {
    alerts_get_an_alert_item_in_their_day(moto_backend().await).await;
}

#[tokio::test]
async fn embedded_an_archive_that_fails_fails_the_messages_of_that_day() {
    an_archive_that_fails_fails_the_messages_of_that_day(embedded_backend(), Arc::new(FailingBlobs)).await;
}

#[tokio::test]
async fn s3_an_archive_bucket_that_does_not_exist_fails_the_messages_of_that_day() {
    let missing = spine_shared::adapters::aws::S3BlobStore::from_config(&aws_config(), unique("no-such-bucket"));
    an_archive_that_fails_fails_the_messages_of_that_day(moto_backend().await, Arc::new(missing)).await;
}

#[tokio::test]
async fn a_table_that_does_not_exist_fails_every_message() {
    let missing = spine_shared::adapters::aws::DynamoRecordStore::from_config(&aws_config(), unique("no-such-table"));
    let archive = s3().await;
    let w = AuditWriter::new(Arc::new(missing), archive.clone());
    let e = event(JANE, &at("2025-11-21", "12:00:00"));
    let outcome = w
        .write(vec![received("m1", std::slice::from_ref(&e)), received("m2", &[alert(OLIVER, &e.time)]), poison("p1")])
        .await;
    let mut failed = outcome.failed_message_ids;
    failed.sort();
    assert_eq!(failed, ["m1", "m2", "p1"]);
    let events = vec![e];
    let (key, _) = archive::object(&events, &archive::day_groups(&events)[0]).unwrap();
    assert_eq!(archive.get(&key).await.unwrap(), None, "nothing is archived that is not in the table");
}

#[tokio::test]
async fn embedded_drain_consumes_a_real_queue() {
    drain_consumes_a_real_queue(embedded_backend()).await;
}

#[tokio::test]
async fn sqs_drain_consumes_a_real_queue() {
    drain_consumes_a_real_queue(moto_backend().await).await;
}

#[tokio::test]
async fn embedded_the_sample_lambda_event_answers_with_its_poison_message() {
    the_sample_lambda_event_answers_with_its_poison_message(embedded_backend()).await;
}

#[tokio::test]
async fn moto_the_sample_lambda_event_answers_with_its_poison_message() {
    the_sample_lambda_event_answers_with_its_poison_message(moto_backend().await).await;
}
