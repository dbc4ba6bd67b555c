//! The EPS interactions, one handler each, over a shared context: `$prepare`, `$process-message`
//! (order, cancellation, dispense notification), `Task/$release`, `Task` (return, withdrawal),
//! `Claim` and the tracker (`GET Task`). `handler_for` maps a function name of the route table to
//! its handler, for the Lambda binaries and the local gateway.
//!
//! What they share: EPS refusals are answered as EPS's OperationOutcomes (never through the
//! pipeline's PDS-coded errors); every write runs at most once per `X-Request-ID` — its answer is
//! committed in the same transaction as its change ([`write_once`]) and a retry gets that answer;
//! the caller is a healthcare worker whose organisation is the prescriber or dispenser.

mod claim;
mod prepare;
mod process_message;
mod release;
mod track_tasks;
mod update_task;

use std::future::Future;
use std::sync::Arc;

use serde_json::Value;
use spine_pds::repository::PatientRepository;
use spine_sds::repository::DirectoryRepository;
use spine_shared::identity::policy::Policy;
use spine_shared::identity::{HealthcareWorker, Principal};
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler, idempotency};
use spine_shared::ports::RecordStore;
use spine_shared::{NhsNumber, SpineResult};

pub use claim::SubmitClaim;
pub use prepare::Prepare;
pub use process_message::ProcessMessage;
pub use release::Release;
pub use track_tasks::TrackTasks;
pub use update_task::UpdateTask;

use crate::error::EpsError;
use crate::fhir::outcome;
use crate::model::Prescription;
use crate::store::{PrescriptionStore, Seal};

/// The activity prescribing needs (creating, signing, cancelling).
pub const PRESCRIBING: &str = "B8002";
/// The activity dispensing needs.
pub const DISPENSING: &str = "B0570";

/// What every EPS handler works with.
#[derive(Clone)]
pub struct EpsContext {
    pub store: PrescriptionStore,
    pub patients: PatientRepository,
    pub directory: DirectoryRepository,
}

impl EpsContext {
    pub fn new(records: Arc<dyn RecordStore>, _origin: &str) -> Self {
        EpsContext {
            store: PrescriptionStore::new(records.clone()),
            patients: PatientRepository::new(records.clone()),
            directory: DirectoryRepository::new(records),
        }
    }

    fn records(&self) -> &dyn RecordStore {
        self.store.records().as_ref()
    }
}

/// The handler of an EPS function, by its name in the route table.
pub fn handler_for(function: &str, ctx: EpsContext) -> Option<Box<dyn Handler>> {
    Some(match function {
        "eps-prepare" => Box::new(Prepare(ctx)),
        "eps-process-message" => Box::new(ProcessMessage(ctx)),
        "eps-release" => Box::new(Release(ctx)),
        "eps-update-task" => Box::new(UpdateTask(ctx)),
        "eps-claim" => Box::new(SubmitClaim(ctx)),
        "eps-track-tasks" => Box::new(TrackTasks(ctx)),
        _ => return None,
    })
}

/// An EPS outcome as the pipeline's answer: a refusal becomes EPS's OperationOutcome.
pub(crate) fn answer(result: Result<ApiResponse, EpsError>) -> SpineResult<ApiResponse> {
    Ok(result.unwrap_or_else(|e| outcome::refusal(&e)))
}

/// The request body as JSON.
pub(crate) fn body_json(req: &ApiRequest) -> Result<Value, EpsError> {
    serde_json::from_slice(&req.body).map_err(|_| EpsError::invalid("The request body is not valid JSON."))
}

/// The calling healthcare worker (the routes admit applications only where the handler says).
pub(crate) fn worker(req: &ApiRequest) -> Result<&HealthcareWorker, EpsError> {
    match req.caller().map(|c| &c.principal) {
        Some(Principal::HealthcareWorker(w)) => Ok(w),
        _ => Err(EpsError::access_denied("This interaction needs a user-restricted (healthcare worker) caller.")),
    }
}

/// Refuses a worker without `activity` (directly, by their role's baseline or by inclusion).
pub(crate) fn require(worker: &HealthcareWorker, activity: &str, what: &str) -> Result<(), EpsError> {
    if Policy::embedded().activities_of(worker).contains(activity) {
        Ok(())
    } else {
        Err(EpsError::access_denied(format!(
            "Role {} does not have activity {activity} needed to {what}.",
            worker.job_role
        )))
    }
}

/// The 200 informational answer of an accepted message, naming its patient for the audit trail.
pub(crate) fn accepted(diagnostics: &str, nhs: &str) -> ApiResponse {
    ApiResponse::fhir_json(200, &outcome::informational(diagnostics)).with_patients(NhsNumber::parse(nhs).ok())
}

/// A dispenser's write to a prescription of patient `nhs` (the message's), answered with the
/// informational outcome `text`, at most once per `X-Request-ID`: `op` makes the change, on a
/// store that refuses it unless the prescription is found and is the patient's
/// ([`PrescriptionStore::of_patient`]).
pub(crate) async fn accepted_once<F, Fut>(
    ctx: &EpsContext,
    function: &'static str,
    req: &ApiRequest,
    nhs: &NhsNumber,
    text: String,
    op: F,
) -> SpineResult<ApiResponse>
where
    F: FnOnce(PrescriptionStore) -> Fut,
    Fut: Future<Output = Result<Prescription, EpsError>>,
{
    let receipt_text = text.clone();
    write_once(
        ctx,
        function,
        req,
        move |changed| accepted(&receipt_text, &changed[0].nhs_number),
        |store| async move {
            let p = op(store.of_patient(nhs)).await?;
            Ok(accepted(&text, &p.nhs_number))
        },
    )
    .await
}

/// Runs a write at most once per `X-Request-ID` to `function`: `op` runs on a store sealed with
/// `receipt`, which turns the prescriptions a change leaves into the answer to record with the
/// change, in its transaction, on the condition that no answer is recorded yet. So a first attempt
/// reads nothing more than its change needs: when its change lands, `op`'s own answer is returned
/// (the same answer, from the same prescriptions). Any other outcome — a refusal, an answer without
/// a change, a receipt already recorded — may be a retry of a request answered before, or the twin
/// of one answered meanwhile: then the answer recorded for the id is returned (or, for another
/// request under the same id, `INVALID_VALUE`), and only if there is none `op`'s own.
pub(crate) async fn write_once<F, Fut>(
    ctx: &EpsContext,
    function: &'static str,
    req: &ApiRequest,
    receipt: impl Fn(&[Prescription]) -> ApiResponse + Send + Sync + 'static,
    op: F,
) -> SpineResult<ApiResponse>
where
    F: FnOnce(PrescriptionStore) -> Fut,
    Fut: Future<Output = Result<ApiResponse, EpsError>>,
{
    let key = idempotency::Key::of(function, req);
    let record = key.clone();
    let seal = Seal::new(move |changed| record.record(&receipt(changed)));
    let own = match op(ctx.store.sealed(seal.clone())).await {
        Err(e) if e.is_already_applied() => answer(Err(EpsError::internal("an idempotency record vanished"))),
        other => answer(other),
    };
    key.settle(ctx.records(), seal.landed(), own).await
}
