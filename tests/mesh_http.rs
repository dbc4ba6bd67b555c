//! MESH over HTTP on the local gateway (embedded store, the MESH reference mailboxes): a chunked
//! message end to end in the v2 shapes, and every kind of bad request answered with the MESH status
//! and error code and MESH's own error body — never a 500, never an OperationOutcome — with nothing
//! lost or delivered twice. (NHS England's mesh-client runs against the real binary in
//! `scripts/mesh-compat.sh`.)

mod support;

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use spine_mesh::reference::{self, ACCEPTED_ID, UPLOADING_ID};
use spine_shared::ports::RecordStore;

const V2: &str = "application/vnd.mesh.v2+json";

struct Mesh {
    origin: String,
    client: Client<HttpConnector, Full<Bytes>>,
    _dir: tempfile::TempDir,
}

#[derive(Debug)]
struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Asserts a MESH v2 error: status, code, and a body that is MESH's, not FHIR's.
    #[track_caller]
    fn assert_mesh_error(&self, status: u16, code: &str) {
        let body = self.json();
        assert_eq!(self.status, status, "{body}");
        assert_eq!(body["detail"][0]["code"], code, "{body}");
        assert!(body["detail"][0]["msg"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
        assert!(body.get("resourceType").is_none(), "{body}");
    }
}

async fn mesh() -> Mesh {
    let (dir, store) = support::embedded();
    let records: Arc<dyn RecordStore> = Arc::new(store.records());
    support::seed_reference(records.clone()).await;
    let stores = support::identity::stores(records);
    support::seed_mesh_reference(&stores.mesh).await;
    let queue = Arc::new(store.queues());
    spine_shared::config::ensure_audit_queue(queue.as_ref(), support::identity::AUDIT_QUEUE).await.unwrap();
    let origin = spine::start(stores, support::identity::access(queue), "127.0.0.1:0").await.unwrap();
    Mesh { origin, client: Client::builder(TokioExecutor::new()).build_http(), _dir: dir }
}

impl Mesh {
    /// A request as `mailbox` (a fresh token) unless the headers carry their own Authorization.
    async fn call(&self, mailbox: &str, method: &str, path: &str, headers: &[(&str, &str)], body: Bytes) -> Answer {
        let mut req = http::Request::builder().method(method).uri(format!("{}{path}", self.origin));
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("authorization")) && !mailbox.is_empty() {
            req = req.header("authorization", reference::token(mailbox));
        }
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("accept")) {
            req = req.header("accept", V2);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = self.client.request(req.body(Full::new(body)).unwrap()).await.expect("the gateway answers");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert!(status < 500, "{method} {path}: {status} {}", String::from_utf8_lossy(&body));
        Answer { status, headers, body }
    }

    async fn get(&self, mailbox: &str, path: &str) -> Answer {
        self.call(mailbox, "GET", path, &[], Bytes::new()).await
    }

    async fn send_first(&self, from: &str, to: &str, range: &str, body: &'static [u8]) -> Answer {
        let headers = [("mex-to", to), ("mex-workflowid", "TEST_WORKFLOW"), ("mex-chunk-range", range)];
        self.call(from, "POST", &format!("/messageexchange/{from}/outbox"), &headers, Bytes::from_static(body)).await
    }

    async fn send_chunk(&self, from: &str, id: &str, n: u32, range: &str, body: &'static [u8]) -> Answer {
        let path = format!("/messageexchange/{from}/outbox/{id}/{n}");
        self.call(from, "POST", &path, &[("mex-chunk-range", range)], Bytes::from_static(body)).await
    }

    async fn inbox(&self, mailbox: &str) -> Vec<String> {
        let list = self.get(mailbox, &format!("/messageexchange/{mailbox}/inbox")).await;
        assert_eq!(list.status, 200);
        list.json()["messages"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
    }
}

#[tokio::test]
async fn a_chunked_message_goes_from_outbox_to_inbox_and_is_acknowledged_once() {
    let m = mesh().await;
    let sent = m.send_first("X26ABC1", "X26ABC3", "1:3", b"one,").await;
    assert_eq!(sent.status, 202);
    let id = sent.json()["message_id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 27, "yyyymmddHHMMSSffffff_XXXXXX");
    assert!(!m.inbox("X26ABC3").await.contains(&id), "not listed while uploading");
    // Chunks may come in any order; a retried chunk with the same bytes is counted once.
    assert_eq!(m.send_chunk("X26ABC1", &id, 3, "3:3", b"three").await.status, 202);
    assert_eq!(m.send_chunk("X26ABC1", &id, 3, "3:3", b"three").await.status, 202);
    assert!(!m.inbox("X26ABC3").await.contains(&id), "chunk 2 is still missing");
    assert_eq!(m.send_chunk("X26ABC1", &id, 2, "2:3", b"two,").await.status, 202);
    assert_eq!(m.inbox("X26ABC3").await, vec![id.clone()]);

    let count = m.get("X26ABC3", "/messageexchange/X26ABC3/count").await;
    assert_eq!(count.json()["count"], 1);
    let mut whole = Vec::new();
    for (n, status) in [(1, 206), (2, 206), (3, 200)] {
        let path = if n == 1 {
            format!("/messageexchange/X26ABC3/inbox/{id}")
        } else {
            format!("/messageexchange/X26ABC3/inbox/{id}/{n}")
        };
        let chunk = m.get("X26ABC3", &path).await;
        assert_eq!(chunk.status, status);
        assert_eq!(chunk.header("mex-chunk-range"), format!("{n}:3"));
        assert_eq!((chunk.header("mex-from"), chunk.header("mex-messageid")), ("X26ABC1", id.as_str()));
        assert_eq!(chunk.header("content-encoding"), "", "no Accept-Encoding: gzip, so plain");
        whole.extend_from_slice(&chunk.body);
    }
    assert_eq!(whole, b"one,two,three");

    let head = m.call("X26ABC3", "HEAD", &format!("/messageexchange/X26ABC3/inbox/{id}"), &[], Bytes::new()).await;
    assert_eq!((head.status, head.body.len(), head.header("mex-chunk-range")), (200, 0, "1:3"));

    let track = m.get("X26ABC1", &format!("/messageexchange/X26ABC1/outbox/tracking?messageID={id}")).await;
    assert_eq!((track.status, track.json()["status"].as_str()), (200, Some("accepted")));
    let ack_path = format!("/messageexchange/X26ABC3/inbox/{id}/status/acknowledged");
    for _ in 0..2 {
        assert_eq!(m.call("X26ABC3", "PUT", &ack_path, &[], Bytes::new()).await.status, 200, "idempotent");
    }
    assert!(m.inbox("X26ABC3").await.is_empty());
    let track = m.get("X26ABC1", &format!("/messageexchange/X26ABC1/outbox/tracking?messageID={id}")).await;
    assert_eq!(track.json()["status"], "acknowledged");
    // Still downloadable once acknowledged (as MESH allows), never listed again.
    assert_eq!(m.get("X26ABC3", &format!("/messageexchange/X26ABC3/inbox/{id}/3")).await.status, 200);
}

#[tokio::test]
async fn downloads_are_compressed_for_callers_that_accept_gzip_when_it_helps() {
    let m = mesh().await;
    const REPORT: &[u8] = b"Sodium 140 mmol/L; Potassium 4.1 mmol/L; Sodium 140 mmol/L; Potassium 4.1 mmol/L; \
        Sodium 140 mmol/L; Potassium 4.1 mmol/L; Sodium 140 mmol/L; Potassium 4.1 mmol/L.";
    let sent = m.send_first("X26ABC1", "X26ABC3", "1:1", REPORT).await;
    let id = sent.json()["message_id"].as_str().unwrap().to_owned();
    let path = format!("/messageexchange/X26ABC3/inbox/{id}");
    let gz = m.call("X26ABC3", "GET", &path, &[("accept-encoding", "gzip")], Bytes::new()).await;
    assert_eq!((gz.status, gz.header("content-encoding")), (200, "gzip"));
    assert!(gz.body.len() < REPORT.len());
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz.body.as_ref()), &mut plain).unwrap();
    assert_eq!(plain, REPORT);
    // A short chunk that gzip would only lengthen goes out as stored.
    let small = format!("/messageexchange/X26ABC2/inbox/{ACCEPTED_ID}");
    let as_is = m.call("X26ABC2", "GET", &small, &[("accept-encoding", "gzip")], Bytes::new()).await;
    assert_eq!((as_is.header("content-encoding"), as_is.body.as_ref()), ("", reference::SINGLE_CHUNK_BODY));
}

#[tokio::test]
async fn bad_tokens_are_refused_with_403_and_a_token_works_once() {
    let m = mesh().await;
    let path = "/messageexchange/X26ABC1";
    let none = m.call("", "POST", path, &[], Bytes::new()).await;
    assert_eq!(none.status, 403);
    let other = m.call("X26ABC2", "POST", path, &[], Bytes::new()).await;
    assert_eq!(other.status, 403, "a token for another mailbox");
    let wrong = spine_mesh::TokenGenerator::new(b"TestKey", "X26ABC1", "not-the-password")
        .next_token(time::OffsetDateTime::now_utc());
    assert_eq!(m.call("", "POST", path, &[("authorization", &wrong)], Bytes::new()).await.status, 403);
    let stale = spine_mesh::TokenGenerator::new(b"TestKey", "X26ABC1", "password")
        .next_token(time::OffsetDateTime::now_utc() - time::Duration::hours(3));
    assert_eq!(m.call("", "POST", path, &[("authorization", &stale)], Bytes::new()).await.status, 403);
    let token = reference::token("X26ABC1");
    assert_eq!(m.call("", "POST", path, &[("authorization", &token)], Bytes::new()).await.status, 200);
    let replay = m.call("", "POST", path, &[("authorization", &token)], Bytes::new()).await;
    assert_eq!(replay.status, 403, "a replayed token");
    for r in [&none, &other, &replay] {
        assert!(r.json()["detail"][0]["msg"].is_string(), "{:?}", r.json());
    }
}

#[tokio::test]
async fn bad_sends_get_the_mesh_status_and_code() {
    let m = mesh().await;
    let send = |headers: Vec<(&'static str, &'static str)>, body: &'static [u8]| {
        let m = &m;
        async move {
            let path = "/messageexchange/X26ABC1/outbox";
            m.call("X26ABC1", "POST", path, &headers, Bytes::from_static(body)).await
        }
    };
    let base = || vec![("mex-to", "X26ABC2"), ("mex-workflowid", "TEST_WORKFLOW")];
    send(vec![("mex-to", "X26NOTREAL"), ("mex-workflowid", "TEST_WORKFLOW")], b"x").await.assert_mesh_error(417, "12");
    send(vec![("mex-workflowid", "TEST_WORKFLOW")], b"x").await.assert_mesh_error(400, "08");
    send(vec![("mex-to", "X26ABC2")], b"x").await.assert_mesh_error(400, "06");
    let mut control = base();
    control.push(("mex-subject", "tab\there"));
    send(control, b"x").await.assert_mesh_error(400, "06");
    let mut url = base();
    url[1] = ("mex-workflowid", "https://example.com/w");
    send(url, b"x").await.assert_mesh_error(400, "06");
    let mut long = base();
    long.push(("mex-localid", Box::leak("L".repeat(301).into_boxed_str())));
    send(long, b"x").await.assert_mesh_error(400, "06");
    let mut br = base();
    br.push(("content-encoding", "br"));
    assert_eq!(send(br, b"x").await.status, 422);
    let mut range = base();
    range.push(("mex-chunk-range", "2:1"));
    assert_eq!(send(range, b"x").await.status, 417);
    assert_eq!(send(base(), b"").await.status, 417, "no data file");
    let v1 = m
        .call(
            "X26ABC1",
            "POST",
            "/messageexchange/X26ABC1/outbox",
            &[("accept", "application/json")],
            Bytes::from_static(b"x"),
        )
        .await;
    assert_eq!((v1.status, v1.json()["errorCode"].as_str()), (400, Some("08")), "v1 body: {}", v1.json());
    let bad_accept = m
        .call(
            "X26ABC1",
            "POST",
            "/messageexchange/X26ABC1",
            &[("accept", "application/vnd.mesh.vX+json")],
            Bytes::new(),
        )
        .await;
    assert_eq!(bad_accept.status, 400);
}

#[tokio::test]
async fn bad_chunks_are_refused_and_nothing_is_counted_twice() {
    let m = mesh().await;
    let sent = m.send_first("X26ABC1", "X26ABC3", "1:2", b"first").await;
    let id = sent.json()["message_id"].as_str().unwrap().to_owned();
    assert_eq!(m.send_chunk("X26ABC2", &id, 2, "2:2", b"x").await.status, 403, "not the sender");
    assert_eq!(m.send_chunk("X26ABC1", "20261122090000000000_00FFFF", 2, "2:2", b"x").await.status, 404);
    assert_eq!(m.send_chunk("X26ABC1", &id, 3, "3:3", b"x").await.status, 406, "beyond the message's chunks");
    assert_eq!(m.send_chunk("X26ABC1", &id, 2, "3:3", b"x").await.status, 417, "range naming another chunk");
    let gz = [("mex-chunk-range", "2:2"), ("content-encoding", "gzip")];
    let changed = m
        .call("X26ABC1", "POST", &format!("/messageexchange/X26ABC1/outbox/{id}/2"), &gz, Bytes::from_static(b"x"))
        .await;
    assert_eq!(changed.status, 417, "encoding changed between chunks");
    assert!(!m.inbox("X26ABC3").await.contains(&id));
    assert_eq!(m.send_chunk("X26ABC1", &id, 2, "2:2", b"second").await.status, 202);
    assert_eq!(m.send_chunk("X26ABC1", &id, 2, "2:2", b"second").await.status, 202, "a retry");
    assert_eq!(m.send_chunk("X26ABC1", &id, 2, "2:2", b"other bytes").await.status, 423, "no longer uploading");
    assert_eq!(m.inbox("X26ABC3").await, vec![id], "delivered once");
}

#[tokio::test]
async fn the_platform_limits_and_unknown_paths_answer_in_mesh_shapes() {
    let m = mesh().await;
    let big = Bytes::from(vec![b'x'; spine_mesh::MAX_CHUNK_BYTES + 1]);
    let path = format!("/messageexchange/X26ABC1/outbox/{UPLOADING_ID}/2");
    let too_big = m.call("X26ABC1", "POST", &path, &[("mex-chunk-range", "2:3")], big).await;
    assert_eq!(too_big.status, 413);
    assert!(too_big.json()["detail"][0]["msg"].as_str().unwrap().contains("4500000"), "{}", too_big.json());
    let nowhere = m.get("X26ABC1", "/messageexchange/X26ABC1/nowhere").await;
    assert_eq!(nowhere.status, 404);
    assert!(nowhere.json()["detail"].is_array() && nowhere.json().get("resourceType").is_none());
    let wrong_method = m.call("X26ABC1", "DELETE", "/messageexchange/X26ABC1/inbox", &[], Bytes::new()).await;
    assert_eq!(wrong_method.status, 405);
    assert!(wrong_method.json()["detail"].is_array());
    assert_eq!(m.get("", "/messageexchange/_ping").await.json()["status"], "pass");
}

#[tokio::test]
async fn only_the_recipient_downloads_and_only_the_sender_tracks() {
    let m = mesh().await;
    let path = format!("/messageexchange/X26ABC3/inbox/{ACCEPTED_ID}");
    assert_eq!(m.get("X26ABC3", &path).await.status, 403);
    let uploading = format!("/messageexchange/X26ABC2/inbox/{UPLOADING_ID}");
    assert_eq!(m.get("X26ABC2", &uploading).await.status, 410);
    m.get("X26ABC2", "/messageexchange/X26ABC2/inbox/not-an-id").await.assert_mesh_error(404, "20");
    let track = format!("/messageexchange/X26ABC2/outbox/tracking?messageID={ACCEPTED_ID}");
    assert_eq!(m.get("X26ABC2", &track).await.status, 404, "the recipient is not the sender");
    let lookup = m.get("X26ABC1", "/messageexchange/endpointlookup/X26/TEST_WORKFLOW").await;
    let results = lookup.json()["results"].clone();
    assert!(results.as_array().unwrap().iter().any(|r| r["mailbox_id"] == "X26ABC1"), "{results}");
    let search = m.get("X26ABC1", "/messageexchange/workflowsearch/TEST_WORKFLOW").await;
    assert!(search.json()["results"].as_array().unwrap().len() >= 3, "{}", search.json());
}
