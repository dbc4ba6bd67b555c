//! `POST /$prepare`: the digest, timestamp and algorithm a prescriber signs for a prescription
//! order. The order must keep every rule (its MedicationRequests consistent, a valid prescription
//! id and NHS number, a patient PDS knows), be requested by the calling role profile, and its id
//! must not be taken (`DUPLICATE_PRESCRIPTION_ID`). Nothing is stored.

use async_trait::async_trait;
use spine_shared::SpineResult;
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};

use super::{EpsContext, answer, body_json, worker};
use crate::error::EpsError;
use crate::fhir::{messages, resources};
use crate::{nomination, signature};

pub struct Prepare(pub EpsContext);

/// Reads an order and checks what both `$prepare` and the order's processing check before the
/// signature: the requester is the caller, the id is free, PDS knows the patient. The nominated
/// pharmacy comes back with it.
pub(crate) async fn checked_order<'a>(
    ctx: &EpsContext,
    req: &ApiRequest,
    bundle: &'a serde_json::Value,
) -> Result<(messages::Order<'a>, Option<String>), EpsError> {
    let caller = worker(req)?;
    let order = messages::order(bundle)?;
    if order.role_profile != caller.role_profile_id {
        return Err(EpsError::access_denied("The prescription's requester is not the calling role profile."));
    }
    if ctx.store.get(order.id.as_str()).await?.is_some() {
        return Err(EpsError::duplicate_prescription_id());
    }
    let nominated = nomination::nominated_pharmacy(&ctx.patients, order.nhs).await?;
    Ok((order, nominated))
}

#[async_trait]
impl Handler for Prepare {
    async fn handle(&self, req: &ApiRequest) -> SpineResult<ApiResponse> {
        answer(prepare(&self.0, req).await)
    }
}

async fn prepare(ctx: &EpsContext, req: &ApiRequest) -> Result<ApiResponse, EpsError> {
    let bundle = body_json(req)?;
    let (order, _) = checked_order(ctx, req, &bundle).await?;
    let timestamp = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| EpsError::internal(e.to_string()))?;
    let digest = signature::prepare(&order.fragments, &timestamp);
    let body = resources::prepare_parameters(&digest, &timestamp, signature::ALGORITHM);
    Ok(ApiResponse::fhir_json(200, &body).with_patients([order.nhs]))
}
