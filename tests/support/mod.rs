//! What the workspace's integration tests share: a fresh embedded store on disk, the moto server
//! the test script started (required: a missing server fails the test), AWS clients and tables on
//! it, every service's reference data, and a small HTTP client for the local gateway.
#![allow(dead_code)]

pub mod identity;

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use spine_shared::ports::{Queue, RecordStore};

#[allow(unused_imports)]
pub use spine_shared::testing::{aws_config, create_table, dynamo, embedded, moto_url, unique};

/// Seeds every service's reference data: the PDS reference patients, the Spine Directory's
/// reference organisations, the CIS login accounts and EPS's reference prescriptions (no synthetic
/// population, no full directory).
pub async fn seed_reference(store: Arc<dyn RecordStore>) {
    spine_pds::seed::seed_reference(store.clone()).await.expect("reference patients load");
    spine_sds::seed::seed_reference(store.clone()).await.expect("reference organisations load");
    // The CIS login accounts, hashed with few iterations: tests need speed, not strength.
    spine_cis::seed::seed(store.as_ref(), None, 1_000).await.expect("login accounts load");
    spine_eps::reference::seed(&spine_eps::PrescriptionStore::new(store)).await.expect("reference prescriptions load");
}

/// MESH's reference mailboxes and messages (`spine_mesh::reference`) in `mesh`'s store.
pub async fn seed_mesh_reference(mesh: &spine_mesh::MeshContext) {
    spine_mesh::reference::seed(&mesh.store).await.expect("MESH reference data loads");
}

/// A fresh v4 UUID for `X-Request-ID`.
pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A response as the tests look at it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The Spine code of an OperationOutcome body.
    pub fn code(&self) -> &str {
        self.body.pointer("/issue/0/details/coding/0/code").and_then(Value::as_str).unwrap_or("")
    }
}

/// Asserts an OperationOutcome answer: the status, the Spine code, and the code system.
#[track_caller]
pub fn assert_outcome(r: &Reply, status: u16, code: &str) {
    assert_eq!((r.status, r.code()), (status, code), "unexpected answer: {:#}", r.body);
    assert_eq!(r.body["resourceType"], "OperationOutcome", "{:#}", r.body);
    assert_eq!(
        r.body["issue"][0]["details"]["coding"][0]["system"],
        spine_shared::fhir::SPINE_ERROR_CODE_SYSTEM,
        "{:#}",
        r.body
    );
}

/// A small HTTP/1.1 client for the local gateway. It sends `token` as a bearer token unless a
/// request names its own `authorization` header (or `token` is `None`).
pub struct Http {
    pub origin: String,
    pub token: Option<String>,
    /// The gateway's audit queue, when talking to a local gateway.
    pub audit: Option<Arc<dyn Queue>>,
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
}

impl Http {
    /// A plain client: no token, no audit queue.
    pub fn new(origin: String) -> Self {
        Http { origin, token: None, audit: None, client: Client::builder(TokioExecutor::new()).build_http() }
    }

    /// A client of a local gateway: calls as Dr Amelia Hart (clinician) by default.
    pub fn local(origin: String, audit: Arc<dyn Queue>) -> Self {
        Http { token: Some(identity::token(&identity::clinician())), audit: Some(audit), ..Http::new(origin) }
    }

    /// The same gateway, calling as `who` (`None`: no token).
    pub fn as_caller(&self, who: Option<&spine_shared::identity::Identity>) -> Http {
        Http {
            origin: self.origin.clone(),
            token: who.map(identity::token),
            audit: self.audit.clone(),
            client: self.client.clone(),
        }
    }

    /// The audit events queued since the last call.
    pub async fn audit_events(&self) -> Vec<spine_shared::audit::AuditEvent> {
        identity::drain_audit(self.audit.as_deref().expect("a local gateway's client")).await
    }

    pub async fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut req = http::Request::builder().method(method).uri(format!("{}{path}", self.origin));
        let own_auth = headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("authorization"));
        if let (Some(token), false) = (&self.token, own_auth) {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(Bytes::from(body.to_owned()))).expect("request builds");
        let resp = self.client.request(req).await.expect("the gateway answers");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply { status, headers, body }
    }

    /// GET with a fresh request id.
    pub async fn get(&self, path: &str) -> Reply {
        let id = request_id();
        self.send("GET", path, &[("x-request-id", &id)], "").await
    }
}

/// Starts the local gateway over `store` on a free port, auditing onto `queue`.
pub async fn gateway(store: Arc<dyn RecordStore>, queue: Arc<dyn Queue>) -> Http {
    spine_shared::config::ensure_audit_queue(queue.as_ref(), identity::AUDIT_QUEUE).await.expect("audit queue");
    let origin = spine::start(identity::stores(store), identity::access(queue.clone()), "127.0.0.1:0")
        .await
        .expect("the gateway starts");
    Http::local(origin, queue)
}

/// A gateway over a fresh embedded store with the reference patients; audit on its queue.
pub async fn reference_gateway() -> (tempfile::TempDir, Http, Arc<dyn RecordStore>) {
    let (dir, store) = embedded();
    let records: Arc<dyn RecordStore> = Arc::new(store.records());
    seed_reference(records.clone()).await;
    let http = gateway(records.clone(), Arc::new(store.queues())).await;
    (dir, http, records)
}

pub const PDS: &str = "/personal-demographics/FHIR/R4";
