//! MESH's events and lifecycle on both adapters (embedded: fjall, blob files and the redb queue;
//! AWS: DynamoDB, S3 and SQS on moto): a send through the API announces `accepted` once, an
//! acknowledgement `acknowledged` once; the expiry job turns a DATA message left five days into
//! `undeliverable`, puts a code-14 REPORT linked to it in the sender's inbox and announces
//! `expired` — once, however often it runs. The scheduled sample event runs the job too.

use std::sync::Arc;

use serde_json::Value;
use spine_mesh::api::handler_for;
use spine_mesh::events::{MESH_EVENTS_QUEUE, MeshEvents};
use spine_mesh::lifecycle::expire_undelivered;
use spine_mesh::reference::{self, ACCEPTED_ID, TWO_CHUNK_ID};
use spine_mesh::{MeshContext, MeshStore, MessageId, MessageStatus, MessageType};
use spine_sds::repository::DirectoryRepository;
use spine_shared::pipeline::{ApiRequest, Handler};
use spine_shared::ports::queue::QueueSpec;
use spine_shared::ports::{Queue, RecordStore};
use spine_shared::testing::{aws_config, dynamo, embedded, s3, unique};
use time::OffsetDateTime;

struct Backend {
    ctx: MeshContext,
    queue: Arc<dyn Queue>,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

async fn with_queue(
    records: Arc<dyn RecordStore>,
    blobs: Arc<dyn spine_shared::ports::BlobStore>,
    queue: Arc<dyn Queue>,
    name: String,
    dir: Option<tempfile::TempDir>,
) -> Backend {
    queue.ensure_queue(&name, QueueSpec { dead_letter: None }).await.unwrap();
    let ctx = MeshContext {
        store: MeshStore::new(records.clone(), blobs),
        directory: DirectoryRepository::new(records),
        shared_key: reference::SHARED_KEY.as_bytes().into(),
        events: Some(MeshEvents::new(queue.clone(), name.clone())),
    };
    reference::seed(&ctx.store).await.unwrap();
    Backend { ctx, queue, name, _dir: dir }
}

async fn embedded_backend() -> Backend {
    let (dir, store) = embedded();
    with_queue(
        Arc::new(store.records()),
        Arc::new(store.blobs()),
        Arc::new(store.queues()),
        MESH_EVENTS_QUEUE.into(),
        Some(dir),
    )
    .await
}

async fn moto_backend() -> Backend {
    let queue = Arc::new(spine_shared::adapters::aws::SqsQueue::from_config(&aws_config()));
    with_queue(dynamo().await, s3().await, queue, unique("mesh-events"), None).await
}

impl Backend {
    /// Every event on the queue so far: (event, message id).
    async fn events(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        loop {
            let batch = self.queue.receive(&self.name, 10, 30).await.unwrap();
            if batch.is_empty() {
                return out;
            }
            for m in batch {
                let v: Value = serde_json::from_str(&m.body).unwrap();
                out.push((v["event"].as_str().unwrap().to_owned(), v["message_id"].as_str().unwrap().to_owned()));
                self.queue.delete(&self.name, &m.receipt).await.unwrap();
            }
        }
    }

    async fn call(
        &self,
        function: &str,
        mailbox: &str,
        path: &str,
        params: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: &'static [u8],
    ) -> spine_shared::pipeline::ApiResponse {
        let mut request = ApiRequest {
            method: if function == "mesh-acknowledge" { http::Method::PUT } else { http::Method::POST },
            path: path.into(),
            path_params: params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            body: bytes::Bytes::from_static(body),
            ..Default::default()
        };
        request.headers.insert("authorization", reference::token(mailbox).parse().unwrap());
        request.headers.insert("accept", "application/vnd.mesh.v2+json".parse().unwrap());
        for (k, v) in headers {
            request.headers.insert(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        handler_for(function, self.ctx.clone()).unwrap().handle(&request).await.unwrap()
    }
}

async fn events_follow_the_changes_they_announce(b: Backend) {
    let sent = b
        .call(
            "mesh-send",
            "X26ABC1",
            "/messageexchange/X26ABC1/outbox",
            &[("mailbox_id", "X26ABC1")],
            &[("mex-to", "X26ABC3"), ("mex-workflowid", "TEST_WORKFLOW")],
            b"results",
        )
        .await;
    assert_eq!(sent.status, 202);
    let id = sent.json()["message_id"].as_str().unwrap().to_owned();
    let ack = |who: &'static str| {
        let id = id.clone();
        let b = &b;
        async move {
            let params = [("mailbox_id", who), ("message_id", id.as_str())];
            b.call("mesh-acknowledge", who, "/ack", &params, &[], b"").await.status
        }
    };
    assert_eq!(ack("X26ABC3").await, 200);
    assert_eq!(ack("X26ABC3").await, 200);
    assert_eq!(ack("X26ABC1").await, 403, "only the recipient");
    assert_eq!(b.events().await, vec![("accepted".to_owned(), id.clone()), ("acknowledged".to_owned(), id)]);
}

async fn undelivered_messages_expire_into_a_report_once(b: Backend) {
    b.events().await; // the reference messages' own `accepted` events are not these
    let store = &b.ctx.store;
    let now = OffsetDateTime::now_utc();
    let early = expire_undelivered(store, b.ctx.events.as_ref(), now + time::Duration::days(4)).await.unwrap();
    assert_eq!(early.expired, 0, "four days is not five");
    let later = now + time::Duration::days(6);
    let run = expire_undelivered(store, b.ctx.events.as_ref(), later).await.unwrap();
    assert_eq!((run.found, run.expired), (2, 2));
    assert_eq!(expire_undelivered(store, b.ctx.events.as_ref(), later).await.unwrap().expired, 0, "once");
    for id in [ACCEPTED_ID, TWO_CHUNK_ID] {
        assert_eq!(store.message(&MessageId::parse(id).unwrap()).await.unwrap().status, MessageStatus::Undeliverable);
    }
    assert!(store.inbox("X26ABC2", None, 10, None).await.unwrap().messages.is_empty(), "out of the recipient's inbox");
    let reports = store.inbox("X26ABC1", None, 10, None).await.unwrap().messages;
    assert_eq!(reports.len(), 2, "one report each in the sender's inbox");
    let mut linked = Vec::new();
    for id in &reports {
        let report = store.message(id).await.unwrap();
        assert_eq!(report.message_type, MessageType::Report);
        assert_eq!(report.report.as_ref().unwrap().code, "14");
        assert_eq!((report.sender.as_str(), report.recipient.as_str()), ("X26ABC2", "X26ABC1"));
        linked.push(report.linked_message_id.unwrap().to_string());
    }
    linked.sort();
    assert_eq!(linked, [ACCEPTED_ID, TWO_CHUNK_ID]);
    let mut events = b.events().await;
    events.sort();
    assert_eq!(events, [("expired".into(), ACCEPTED_ID.into()), ("expired".into(), TWO_CHUNK_ID.into())]);
    // The report downloads with its status headers and no body.
    let path = format!("/messageexchange/X26ABC1/inbox/{}", reports[0]);
    let mut request = ApiRequest { method: http::Method::GET, path: path.clone(), ..Default::default() };
    request.path_params = vec![("mailbox_id".into(), "X26ABC1".into()), ("message_id".into(), reports[0].to_string())];
    request.headers.insert("authorization", reference::token("X26ABC1").parse().unwrap());
    let got = handler_for("mesh-download", b.ctx.clone()).unwrap().handle(&request).await.unwrap();
    assert_eq!(
        (got.status, got.header("mex-statuscode"), got.header("mex-messagetype")),
        (200, Some("14"), Some("REPORT"))
    );
    assert!(got.header("mex-linkedmsgid").is_some() && got.body.is_empty());
}

#[tokio::test]
async fn events_on_the_embedded_queue() {
    events_follow_the_changes_they_announce(embedded_backend().await).await;
}

#[tokio::test]
async fn events_on_sqs() {
    events_follow_the_changes_they_announce(moto_backend().await).await;
}

#[tokio::test]
async fn expiry_on_the_embedded_store() {
    undelivered_messages_expire_into_a_report_once(embedded_backend().await).await;
}

#[tokio::test]
async fn expiry_on_dynamodb() {
    undelivered_messages_expire_into_a_report_once(moto_backend().await).await;
}

#[test]
fn the_scheduled_sample_event_is_an_eventbridge_event() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/mesh-expire-messages/scheduled-event.json");
    let event: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(
        (event["source"].as_str(), event["detail-type"].as_str()),
        (Some("aws.events"), Some("Scheduled Event"))
    );
}
