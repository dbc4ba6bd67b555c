//! `POST /Claim`: the dispenser that dispensed a prescription claims for it; with `replacementOf`
//! naming the claim on record, amends it until the 5th of the following month
//! (`CLAIM_AMEND_PERIOD_ISSUE` after; `DISPENSE_AMEND_IDENTIFIER_MISMATCH` for any other target).
//! Sending the same claim again changes nothing.

use async_trait::async_trait;
use spine_shared::SpineResult;
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};

use super::{EpsContext, accepted_once, answer, body_json, worker};
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
        let today = time::OffsetDateTime::now_utc().date();
        let nhs = message.nhs;
        accepted_once(&self.0, FUNCTION, req, &nhs, text, |store| async move {
            let id = message.id.as_str();
            store.claim(id, &dispenser, &message.claim, message.replacement_of.as_deref(), today).await
        })
        .await
    }
}
