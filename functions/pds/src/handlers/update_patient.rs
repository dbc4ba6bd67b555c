//! `PATCH /Patient/{id}`: a PDS JSON Patch applied atomically to the version named by `If-Match`
//! (missing: 412 `PRECONDITION_FAILED`; stale: 409 `RESOURCE_VERSION_MISMATCH`). The write is
//! conditional on that version, so of two concurrent updates of one version only one lands;
//! names, addresses and contact points it drops go to the record's history. A retry with the same
//! `X-Request-ID` returns the first answer and applies nothing again.

use async_trait::async_trait;
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler, idempotency};
use spine_shared::{ErrorCode, NhsNumber, SpineError, SpineResult};

use super::{PdsContext, access, assign_ids, media_type, nhs_from_path, patient_response};
use crate::model::{History, PatientRecord};
use crate::repository::WriteOutcome;
use crate::{patch, rules};

pub const FUNCTION: &str = "pds-update-patient";
pub const PATCH_MEDIA_TYPE: &str = "application/json-patch+json";

pub struct UpdatePatient(pub PdsContext);

/// The version an `If-Match` header names: `W/"n"` (or `"n"`).
fn if_match(req: &ApiRequest) -> SpineResult<u64> {
    let Some(raw) = req.header("if-match") else {
        return Err(SpineError::new(
            ErrorCode::PreconditionFailed,
            "Invalid request with error - If-Match header must be supplied to update this resource",
        ));
    };
    let v = raw.trim();
    let v = v.strip_prefix("W/").unwrap_or(v);
    v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).and_then(|n| n.parse::<u64>().ok()).ok_or_else(|| {
        SpineError::new(ErrorCode::InvalidValue, "Invalid value - If-Match must be a version ETag such as W/\"2\"")
    })
}

/// Moves whatever the update dropped into the history: every old name, address and contact point
/// the new record no longer holds as it was — removed, or changed in place under the same id (the
/// old family of a replaced usual name must stay searchable with `_history`).
fn remember_dropped(old: &PatientRecord, new: &mut PatientRecord) {
    fn dropped<T: Clone + PartialEq>(old: &[T], new: &[T]) -> Vec<T> {
        old.iter().filter(|o| !new.contains(o)).cloned().collect()
    }
    let (o, n) = (&old.patient, &new.patient);
    let names = dropped(&o.name, &n.name);
    let addresses = dropped(&o.address, &n.address);
    let telecom = dropped(&o.telecom, &n.telecom);
    let h: &mut History = &mut new.history;
    h.names.extend(names);
    h.addresses.extend(addresses);
    h.telecom.extend(telecom);
}

#[async_trait]
impl Handler for UpdatePatient {
    async fn handle(&self, req: &ApiRequest) -> SpineResult<ApiResponse> {
        let repo = &self.0.repo;
        let nhs = nhs_from_path(req)?;
        access::own_record_only(req, nhs)?;
        if media_type(req) != PATCH_MEDIA_TYPE {
            return Err(SpineError::new(
                ErrorCode::UnsupportedMediaType,
                format!("Invalid request with error - Content-Type must be {PATCH_MEDIA_TYPE}"),
            ));
        }
        let key = idempotency::Key::of(FUNCTION, req);
        // Every answer but a landed update's may be a retry's: `settle` looks for the first.
        let own = self.update(req, nhs, &key).await;
        key.settle(repo.store(), own.is_ok(), own).await
    }
}

impl UpdatePatient {
    /// The update, with `key`'s receipt in its transaction: an answer only if it landed.
    async fn update(&self, req: &ApiRequest, nhs: NhsNumber, key: &idempotency::Key) -> SpineResult<ApiResponse> {
        let repo = &self.0.repo;
        let expected = if_match(req)?;
        let current = repo.live(nhs).await?;
        if expected != current.version {
            return Err(SpineError::new(
                ErrorCode::ResourceVersionMismatch,
                format!(
                    "Invalid update with error - This resource has changed since you last read. Please re-read and try again with the new version number ({}).",
                    current.version
                ),
            ));
        }
        let mut patient = patch::apply(&current.record.patient, &req.body)?;
        rules::validate(Some(&current.record.patient), &mut patient, rules::today())?;
        assign_ids(&mut patient);
        let mut record = PatientRecord { patient, ..current.record.clone() };
        remember_dropped(&current.record, &mut record);

        let version = current.version + 1;
        let mut served = record.to_fhir(version);
        if served.is_restricted() {
            served.redact_restricted();
        }
        let response = patient_response(200, &served, version);
        let answer = key.record(&response);
        match repo.update(&current, &record, vec![answer]).await? {
            WriteOutcome::Written => Ok(response.with_patients([current.nhs])),
            WriteOutcome::VersionConflict | WriteOutcome::Contended => Err(SpineError::new(
                ErrorCode::ResourceVersionMismatch,
                "Invalid update with error - This resource has changed since you last read. Please re-read and try again with the new version number.",
            )),
            WriteOutcome::AlreadyApplied => Err(SpineError::internal("idempotency record vanished")),
        }
    }
}
