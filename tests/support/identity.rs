//! Identities and tokens for the end-to-end tests: one ES256 key per test process, the seeded
//! directory's people as healthcare workers, an application, patients, and the local gateway's
//! access (bearer tokens verified in-process, audit events on a real embedded queue).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use spine_shared::NhsNumber;
use spine_shared::audit::{AuditBatch, AuditEvent, AuditSink, BatchingAuditSink};
use spine_shared::identity::{
    Application, HealthcareWorker, Identity, Jwks, Patient, Principal, TokenSigner, TokenVerifier,
    generate_p256_pkcs8_pem,
};
use spine_shared::pipeline::Access;
use spine_shared::pipeline::access::BearerToken;
use spine_shared::ports::Queue;

pub const ISSUER: &str = "https://spine.test/oauth2";
pub const AUDIENCE: &str = "https://spine.test";
pub const AUDIT_QUEUE: &str = "spine-audit";

/// The process's token-signing key.
pub fn signer() -> &'static TokenSigner {
    minter_arc()
}

fn minter_arc() -> &'static Arc<TokenSigner> {
    static SIGNER: OnceLock<Arc<TokenSigner>> = OnceLock::new();
    SIGNER.get_or_init(|| {
        Arc::new(TokenSigner::from_pem(&generate_p256_pkcs8_pem().unwrap(), "test-key-1", ISSUER).expect("test key"))
    })
}

/// The gateway's stores over `records` (audit items in the same store: their keys are apart),
/// with the test key as the token endpoint's key.
pub fn stores(records: Arc<dyn spine_shared::ports::RecordStore>) -> spine::Stores {
    spine::Stores {
        mesh: mesh_context(records.clone()),
        records: records.clone(),
        audit: records,
        minter: minter_arc().clone(),
        token_names: spine_cis::config::TokenNames { issuer: ISSUER.into(), audience: AUDIENCE.into() },
    }
}

/// MESH over `records`, its chunks in one blob store per test process (chunk keys name their
/// message, so tests never collide), in a temporary directory.
pub fn mesh_context(records: Arc<dyn spine_shared::ports::RecordStore>) -> spine_mesh::MeshContext {
    static CHUNKS: OnceLock<(tempfile::TempDir, spine_shared::adapters::embedded::EmbeddedStore)> = OnceLock::new();
    let (_, store) = CHUNKS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = spine_shared::adapters::embedded::EmbeddedStore::open(dir.path()).expect("blob store");
        (dir, store)
    });
    let blobs = store.blobs();
    spine_mesh::MeshContext {
        store: spine_mesh::MeshStore::new(records.clone(), Arc::new(blobs)),
        directory: spine_sds::repository::DirectoryRepository::new(records),
        shared_key: b"TestKey".as_slice().into(),
        events: None,
    }
}

pub fn verifier() -> TokenVerifier {
    TokenVerifier::new(ISSUER, AUDIENCE, &Jwks::from_signer(signer()))
}

/// A ten-minute token for `identity`.
pub fn token(identity: &Identity) -> String {
    signer().mint(identity, AUDIENCE, Duration::from_secs(600)).expect("token")
}

/// A healthcare worker in one role profile (the directory's people, or any other for the tests).
pub fn worker(user: &str, role_profile: &str, job_role: &str, ods: &str, activities: &[&str]) -> Identity {
    Identity {
        subject: user.into(),
        principal: Principal::HealthcareWorker(HealthcareWorker {
            user_id: user.into(),
            role_profile_id: role_profile.into(),
            job_role: job_role.into(),
            organisation: ods.into(),
            activities: activities.iter().map(|a| (*a).to_owned()).collect(),
        }),
    }
}

/// Dr Amelia Hart, clinical practitioner (R8000) at her first GP practice: may read and amend.
pub fn clinician() -> Identity {
    worker("555021930100", "555021935107", "R8000", "Y12345", &[])
}

/// Imran Qureshi, pharmacist (R8003, Perform Pharmacy Activities) at Trevelyan Square Pharmacy FA666.
pub fn pharmacist() -> Identity {
    pharmacist_at("FA666")
}

/// A pharmacist at any pharmacy.
pub fn pharmacist_at(ods: &str) -> Identity {
    worker("555021930103", "555021935131", "R8003", ods, &[])
}

/// A clerk (R8010): may view demographics, not amend them.
pub fn clerk() -> Identity {
    worker("555021930199", "555021935199", "R8010", "Y12345", &[])
}

pub fn application() -> Identity {
    Identity {
        subject: "spine-test-app".into(),
        principal: Principal::Application(Application {
            client_id: "spine-test-app".into(),
            asid: Some("200000000101".into()),
            organisation: "Y12345".into(),
        }),
    }
}

pub fn patient(nhs: &str) -> Identity {
    Identity {
        subject: format!("nhs-login-{nhs}"),
        principal: Principal::Patient(Patient {
            nhs_number: NhsNumber::parse(nhs).expect("an NHS number"),
            vector_of_trust: "P9.Cp.Cd".into(),
        }),
    }
}

/// The local gateway's access, as the local Spine has it: bearer tokens from [`signer`], audit
/// events group-committed onto `queue`.
pub fn access(queue: Arc<dyn Queue>) -> Access {
    access_with(Arc::new(BatchingAuditSink::start(queue, AUDIT_QUEUE)))
}

pub fn access_with(audit: Arc<dyn AuditSink>) -> Access {
    Access::new(Arc::new(BearerToken::new(verifier())), audit)
}

/// Every audit event queued so far (and consumes them).
pub async fn drain_audit(queue: &dyn Queue) -> Vec<AuditEvent> {
    let mut events = Vec::new();
    loop {
        let batch = queue.receive(AUDIT_QUEUE, 10, 30).await.expect("the audit queue answers");
        if batch.is_empty() {
            return events;
        }
        for m in batch {
            let b: AuditBatch = serde_json::from_str(&m.body).expect("an audit batch");
            events.extend(b.events);
            queue.delete(AUDIT_QUEUE, &m.receipt).await.expect("delete");
        }
    }
}
