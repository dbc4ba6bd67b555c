//! `POST /Claim`: the dispenser that dispensed a prescription claims for it; with `replacementOf`
//! naming the claim on record, amends it until the 5th of the following month
//! (`CLAIM_AMEND_PERIOD_ISSUE` after; `DISPENSE_AMEND_IDENTIFIER_MISMATCH` for any other target).
//! Sending the same claim again changes nothing.

use async_trait::async_trait;
use spine_shared::SpineResult;
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};

use super::{EpsContext, accepted, answer, body_json, same_patient, worker, write_once};
use crate::error::EpsError;
use crate::fhir::messages;

const FUNCTION: &str = "eps-claim";

pub struct SubmitClaim(pub EpsContext);

#[async_trait]
impl Handler for SubmitClaim {
    async fn handle(&self, req: &ApiRequest) -> SpineResult<ApiResponse> {
        let parsed = worker(req).and_then(|w| Ok((w, messages::claim(&body_json(req)?)?)));
        let (caller, message) = match parsed {
            Ok(parsed) => parsed,
            Err(e) => return answer(Err(e)),
        };
        let dispenser = caller.organisation.clone();
        let text = format!("Claim for prescription {} accepted.", message.id.as_str());
        let receipt_text = text.clone();
        write_once(
            &self.0,
            FUNCTION,
            req,
            move |changed| accepted(&receipt_text, &changed[0].nhs_number),
            |store| async move {
                let id = message.id.as_str();
                let current = store.get(id).await?.ok_or_else(EpsError::prescription_not_found)?;
                same_patient(&current, &message.nhs)?;
                let today = time::OffsetDateTime::now_utc().date();
                let p = store.claim(id, &dispenser, &message.claim, message.replacement_of.as_deref(), today).await?;
                Ok(accepted(&text, &p.nhs_number))
            },
        )
        .await
    }
}
