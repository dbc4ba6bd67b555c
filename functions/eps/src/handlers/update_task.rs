//! `POST /Task`: the dispenser holding a prescription returns it to the Spine (status `rejected`,
//! with a return reason) — it waits for release again, or is cancelled if it was marked for
//! cancellation — or withdraws its latest dispense notification (status `in-progress`, code
//! `abort`, with a withdrawal reason; focus names the notification), putting the prescription
//! back as the notification before it left it. The patient must be the prescription's.

use async_trait::async_trait;
use spine_shared::SpineResult;
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};

use super::{EpsContext, accepted, answer, body_json, same_patient, worker, write_once};
use crate::fhir::messages::{self, TaskUpdate};

const FUNCTION: &str = "eps-update-task";

pub struct UpdateTask(pub EpsContext);

#[async_trait]
impl Handler for UpdateTask {
    async fn handle(&self, req: &ApiRequest) -> SpineResult<ApiResponse> {
        let parsed = worker(req).and_then(|w| Ok((w, messages::task_update(&body_json(req)?)?)));
        let (caller, (update, nhs)) = match parsed {
            Ok(parsed) => parsed,
            Err(e) => return answer(Err(e)),
        };
        let dispenser = caller.organisation.clone();
        let text = match &update {
            TaskUpdate::Return { id, .. } => format!("Prescription {} returned.", id.as_str()),
            TaskUpdate::Withdraw { id, .. } => {
                format!("Dispense notification for prescription {} withdrawn.", id.as_str())
            }
        };
        let receipt_text = text.clone();
        write_once(
            &self.0,
            FUNCTION,
            req,
            move |changed| accepted(&receipt_text, &changed[0].nhs_number),
            |store| async move {
                let id = match &update {
                    TaskUpdate::Return { id, .. } | TaskUpdate::Withdraw { id, .. } => id.as_str(),
                };
                let current = store.get(id).await?.ok_or_else(crate::error::EpsError::prescription_not_found)?;
                same_patient(&current, &nhs)?;
                let p = match &update {
                    TaskUpdate::Return { .. } => store.return_to_spine(id, &dispenser).await?,
                    TaskUpdate::Withdraw { notification, .. } => store.withdraw(id, &dispenser, notification).await?,
                };
                Ok(accepted(&text, &p.nhs_number))
            },
        )
        .await
    }
}
