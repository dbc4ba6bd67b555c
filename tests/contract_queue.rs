//! The queue contract: one suite, run against the embedded queue and SQS (moto on loopback):
//! batches, visibility, deletion, redrive to the dead-letter queue, and the event-source-style
//! consumer with partial batch failures.

mod support;

use std::time::Duration;

use spine_shared::ports::queue::{QueueSpec, consume_batch};
use spine_shared::ports::{BatchOutcome, OutgoingMessage, Queue, ReceivedMessage, StoreError};

fn messages(bodies: &[&str]) -> Vec<OutgoingMessage> {
    bodies.iter().enumerate().map(|(i, b)| OutgoingMessage { id: format!("m{i}"), body: (*b).to_owned() }).collect()
}

/// Receives until `want` messages arrived or a few tries passed (SQS may return fewer per call).
async fn receive_all(q: &dyn Queue, name: &str, want: usize, visibility: u32) -> Vec<ReceivedMessage> {
    let mut out = Vec::new();
    for _ in 0..10 {
        out.extend(q.receive(name, 10, visibility).await.unwrap());
        if out.len() >= want {
            break;
        }
    }
    out
}

async fn contract(q: &dyn Queue, prefix: &str) {
    let dlq = format!("{prefix}-dlq");
    let main = format!("{prefix}-main");
    q.ensure_queue(&dlq, QueueSpec { dead_letter: None }).await.unwrap();
    q.ensure_queue(&main, QueueSpec { dead_letter: Some((dlq.clone(), 2)) }).await.unwrap();

    // Send a batch; receive it all, once.
    q.send_batch(&main, messages(&["a", "b", "c"])).await.unwrap();
    let got = receive_all(q, &main, 3, 30).await;
    let mut bodies: Vec<&str> = got.iter().map(|m| m.body.as_str()).collect();
    bodies.sort();
    assert_eq!(bodies, vec!["a", "b", "c"]);
    assert!(got.iter().all(|m| m.receive_count == 1));
    // Received messages stay hidden for their visibility timeout.
    assert!(q.receive(&main, 10, 30).await.unwrap().is_empty());
    // Deleted messages never come back; a message made visible again does, counted twice.
    let (a, rest) = got.split_first().unwrap();
    q.delete(&main, &a.receipt).await.unwrap();
    for m in rest {
        q.change_visibility(&main, &m.receipt, 0).await.unwrap();
    }
    let again = receive_all(q, &main, 2, 30).await;
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|m| m.receive_count == 2 && m.body != a.body));
    // Past the receive limit, messages move to the dead-letter queue.
    for m in &again {
        q.change_visibility(&main, &m.receipt, 0).await.unwrap();
    }
    assert!(q.receive(&main, 10, 30).await.unwrap().is_empty(), "a third receive moves them to the DLQ instead");
    let dead = receive_all(q, &dlq, 2, 30).await;
    assert_eq!(dead.len(), 2);
    for m in dead {
        q.delete(&dlq, &m.receipt).await.unwrap();
    }

    // The consumer: handled messages are deleted, failed ones come back.
    q.send_batch(&main, messages(&["ok-1", "fail", "ok-2"])).await.unwrap();
    let mut handled = Vec::new();
    let mut received = 0;
    for _ in 0..10 {
        received += consume_batch(q, &main, 10, 1, |batch| {
            let failed = batch.iter().filter(|m| m.body == "fail").map(|m| m.message_id.clone()).collect();
            handled.extend(batch.into_iter().filter(|m| m.body != "fail").map(|m| m.body));
            async move { BatchOutcome { failed_message_ids: failed } }
        })
        .await
        .unwrap();
        if received >= 3 {
            break;
        }
    }
    handled.sort();
    assert_eq!(handled, vec!["ok-1", "ok-2"]);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let back = receive_all(q, &main, 1, 30).await;
    assert_eq!(back.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), vec!["fail"]);

    // A batch of more than ten is gathered across receives where a receive hands over ten (SQS),
    // as Lambda's poller gathers it, and stops at the batch's size; the rest waits for the next.
    for chunk in [&["g"; 10][..], &["g"; 10], &["g"; 5]] {
        q.send_batch(&main, messages(chunk)).await.unwrap();
    }
    let mut sizes = Vec::new();
    for _ in 0..2 {
        consume_batch(q, &main, 20, 30, |batch| {
            sizes.push(batch.len());
            async { BatchOutcome { failed_message_ids: Vec::new() } }
        })
        .await
        .unwrap();
    }
    assert_eq!(sizes, [20, 5]);
    assert!(q.receive(&main, 10, 30).await.unwrap().is_empty(), "every gathered message was deleted");

    // Many received messages are deleted at once (more than one SQS batch), and stay deleted.
    for m in back {
        q.delete(&main, &m.receipt).await.unwrap();
    }
    for chunk in [&["d1", "d2", "d3", "d4", "d5", "d6"][..], &["d7", "d8", "d9", "d10", "d11", "d12"]] {
        q.send_batch(&main, messages(chunk)).await.unwrap();
    }
    let twelve = receive_all(q, &main, 12, 1).await;
    assert_eq!(twelve.len(), 12);
    q.delete_batch(&main, twelve.into_iter().map(|m| m.receipt).collect()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert!(q.receive(&main, 10, 30).await.unwrap().is_empty(), "deleted in a batch, gone for good");

    // A lazy send (durable later on a store that batches commits) arrives like any other.
    q.send_batch_lazy(&main, messages(&["lazy"])).await.unwrap();
    let lazy = receive_all(q, &main, 1, 30).await;
    assert_eq!(lazy.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["lazy"]);
    q.delete(&main, &lazy[0].receipt).await.unwrap();
    assert!(q.send_batch_lazy("no-such-queue", messages(&["x"])).await.is_err(), "an unknown queue is refused");

    // Batches hold 1 to 10 messages.
    let eleven: Vec<&str> = vec!["x"; 11];
    assert!(matches!(q.send_batch(&main, messages(&eleven)).await, Err(StoreError::Invalid(_))));
}

#[tokio::test]
async fn the_embedded_queue_keeps_the_contract() {
    let (_dir, store) = support::embedded();
    contract(&store.queues(), "spine").await;
    // One receive hands over more than SQS's ten: a consumer's batch of a hundred is one commit.
    let q = store.queues();
    q.ensure_queue("wide", QueueSpec { dead_letter: None }).await.unwrap();
    for _ in 0..3 {
        q.send_batch("wide", messages(&["w"; 10])).await.unwrap();
    }
    assert!(q.receive_limit() >= 100);
    assert_eq!(q.receive("wide", 25, 30).await.unwrap().len(), 25);
}

#[tokio::test]
async fn the_sqs_queue_keeps_the_contract() {
    let q = spine_shared::adapters::aws::SqsQueue::from_config(&support::aws_config());
    contract(&q, &support::unique("spine")).await;
}

/// The embedded queue's writes go through its commit groups while record writes go through the
/// record store's: under concurrent load every valid send lands exactly once, a send to an unknown
/// queue fails alone (without spoiling its group), the records written alongside are all there, and
/// everything sent survives reopening the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded_queue_writes_are_grouped_beside_record_writes() {
    use spine_shared::ports::{Condition, Item, RecordStore};
    let (dir, store) = support::embedded();
    let (q, records) = (store.queues(), store.records());
    q.ensure_queue("grouped", QueueSpec { dead_letter: None }).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (q, records) = (q.clone(), records.clone());
        tasks.push(tokio::spawn(async move {
            let body = format!("message {i}");
            let bad = q.send_batch("no-such-queue", messages(&[&body])).await;
            let sent = q.send_batch("grouped", messages(&[&body])).await;
            let put = records.put(Item::new(format!("GROUPED#{i}"), "X", vec![1]), Condition::NotExists).await;
            (bad, sent, put)
        }));
    }
    for task in tasks {
        let (bad, sent, put) = task.await.unwrap();
        assert!(matches!(bad, Err(StoreError::Invalid(_))), "an unknown queue is refused: {bad:?}");
        sent.unwrap();
        put.unwrap();
    }
    drop((q, records, store));

    let store = spine_shared::adapters::embedded::EmbeddedStore::open(dir.path()).unwrap();
    let q = store.queues();
    let mut bodies = Vec::new();
    loop {
        let got = q.receive("grouped", 10, 60).await.unwrap();
        if got.is_empty() {
            break;
        }
        bodies.extend(got.into_iter().map(|m| m.body));
    }
    bodies.sort();
    let mut want: Vec<String> = (0..200).map(|i| format!("message {i}")).collect();
    want.sort();
    assert_eq!(bodies, want, "each send exactly once, after reopening");
    assert_eq!(q.depth("no-such-queue").unwrap(), 0);
    for i in [0, 99, 199] {
        assert!(store.records().get(&format!("GROUPED#{i}"), "X").await.unwrap().is_some());
    }
}

/// A batch delete commits without waiting for the disk (a crash may forget it, and the messages
/// are delivered again, as at-least-once delivery allows), but a closed store has written it:
/// after reopening, what was deleted stays deleted and what was not is still there.
#[tokio::test]
async fn embedded_batch_deletes_survive_a_clean_close() {
    let (dir, store) = support::embedded();
    let q = store.queues();
    q.ensure_queue("deletes", QueueSpec { dead_letter: None }).await.unwrap();
    q.send_batch("deletes", messages(&["a", "b", "c"])).await.unwrap();
    let got = q.receive("deletes", 10, 0).await.unwrap();
    assert_eq!(got.len(), 3);
    let (gone, kept): (Vec<_>, Vec<_>) = got.into_iter().partition(|m| m.body != "b");
    q.delete_batch("deletes", gone.into_iter().map(|m| m.receipt).collect()).await.unwrap();
    assert_eq!(q.depth("deletes").unwrap(), 1, "the delete is visible at once");
    drop((q, store));

    let store = spine_shared::adapters::embedded::EmbeddedStore::open(dir.path()).unwrap();
    let q = store.queues();
    let left: Vec<String> = q.receive("deletes", 10, 60).await.unwrap().into_iter().map(|m| m.body).collect();
    assert_eq!(left, vec![kept[0].body.clone()]);
    assert_eq!(q.depth("deletes").unwrap(), 1);
}
