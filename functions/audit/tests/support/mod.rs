//! What the audit crate's integration tests share: fresh embedded stores, the moto server the test
//! script started (required: a missing server fails the test, it is never skipped), an audit table,
//! bucket and queues on it, audit events to write, and a blob store that always fails.
#![allow(dead_code)]

use async_trait::async_trait;
use bytes::Bytes;
use spine_shared::NhsNumber;
use spine_shared::audit::{Action, AuditBatch, AuditEvent, Basis, Outcome};
use spine_shared::identity::AccessMode;
use spine_shared::ports::{BlobStore, ReceivedMessage, StoreError, StoreResult};
use tokio::io::AsyncRead;

#[allow(unused_imports)]
pub use spine_shared::testing::{aws_config, create_table, dynamo, embedded, moto_url, s3, sqs, unique};

pub const JANE: &str = "9000000009";
pub const OLIVER: &str = "9000000017";
pub const DR_HART: &str = "555021930100";

/// An event id that is a UUID, unique per call.
pub fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `yyyy-mm-ddT<hh:mm:ss>.000000Z`.
pub fn at(day: &str, hms: &str) -> String {
    format!("{day}T{hms}.000000Z")
}

/// Dr Hart (healthcare worker at Y12345) reading `patient` at `time`.
pub fn event(patient: &str, time: &str) -> AuditEvent {
    AuditEvent {
        id: id(),
        time: time.to_owned(),
        request_id: id(),
        correlation_id: Some("corr-1".into()),
        function: "pds-get-patient".into(),
        activity: "B0820".into(),
        action: Action::Read,
        outcome: Outcome::Allowed,
        status: 200,
        reason: None,
        access_mode: Some(AccessMode::HealthcareWorker),
        subject: Some(DR_HART.into()),
        role_profile_id: Some("555021935107".into()),
        job_role: Some("R8000".into()),
        organisation: Some("Y12345".into()),
        patient: Some(NhsNumber::parse(patient).expect("NHS number")),
        basis: Some(Basis::RegisteredPractice),
        stated_reason: None,
    }
}

/// The same access, self-claimed: a privacy alert.
pub fn alert(patient: &str, time: &str) -> AuditEvent {
    AuditEvent {
        basis: Some(Basis::SelfClaimed),
        stated_reason: Some("Patient at the walk-in centre".into()),
        ..event(patient, time)
    }
}

/// A message body: the events of one request.
pub fn body(events: &[AuditEvent]) -> String {
    serde_json::to_string(&AuditBatch { events: events.to_vec() }).expect("serialises")
}

/// A message as the queue would deliver it.
pub fn received(message_id: &str, events: &[AuditEvent]) -> ReceivedMessage {
    ReceivedMessage {
        message_id: message_id.to_owned(),
        receipt: format!("receipt-{message_id}"),
        body: body(events),
        receive_count: 1,
    }
}

/// A message that is not an audit batch.
pub fn poison(message_id: &str) -> ReceivedMessage {
    ReceivedMessage { body: "{\"not\":\"audit\"}".into(), ..received(message_id, &[]) }
}

/// A blob store whose every call fails, as an unreachable bucket would.
pub struct FailingBlobs;

fn down<T>() -> StoreResult<T> {
    Err(StoreError::Backend("archive unreachable".into()))
}

#[async_trait]
impl BlobStore for FailingBlobs {
    async fn put(&self, _: &str, _: Bytes) -> StoreResult<()> {
        down()
    }
    async fn put_stream(&self, _: &str, _: &mut (dyn AsyncRead + Unpin + Send)) -> StoreResult<u64> {
        down()
    }
    async fn get(&self, _: &str) -> StoreResult<Option<Bytes>> {
        down()
    }
    async fn get_range(&self, _: &str, _: u64, _: u64) -> StoreResult<Option<Bytes>> {
        down()
    }
    async fn size(&self, _: &str) -> StoreResult<Option<u64>> {
        down()
    }
    async fn delete(&self, _: &str) -> StoreResult<()> {
        down()
    }
    async fn presign_get(&self, _: &str, _: u64) -> StoreResult<Option<String>> {
        down()
    }
}
