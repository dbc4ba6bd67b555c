//! `POST /$process-message`: one route, three messages, each needing its own activity (checked
//! here against the same policy as the route table's):
//! - `prescription-order` (prescribing, B8002): the order's rules as `$prepare` checks them, then
//!   its signature, verified against the public key the Spine Directory registers for the
//!   requester's role profile (`MISSING_DIGITAL_SIGNATURE`; a bad or mismatched one is
//!   `FAILURE_TO_PROCESS_MESSAGE`). The prescription is stored with its signed Bundle, waiting
//!   for the patient's nominated pharmacy (from PDS) or a patient release.
//! - `prescription-order-update` (prescribing): cancellation of the line item it names, answered
//!   with a message Bundle carrying EPS's R-code — R-0001 cancelled (the prescription too, with
//!   its last item, 200); R-0002/R-0003 with the dispenser, marked for cancellation; R-0004…R-0010
//!   not cancelled (400, the Bundle too); R-0008 not found and R-5000 the NHS number, the
//!   prescribing organisation or the line item does not match (400 OperationOutcomes), as EPS's
//!   specification lists them.
//! - `dispense-notification` (dispensing, B0570): the dispenser holding it reports every line
//!   item's outcome; `replacementOf` amends the latest notification only.

use async_trait::async_trait;
use serde_json::Value;
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};
use spine_shared::{NhsNumber, SpineResult};

use super::prepare::checked_order;
use super::{
    DISPENSING, EpsContext, PRESCRIBING, accepted, accepted_once, answer, body_json, require, worker, write_once,
};
use crate::error::EpsError;
use crate::fhir::messages::{self, MessageKind};
use crate::fhir::resources;
use crate::lifecycle::{CancelCode, State};
use crate::model::{LineItem, Prescription};
use crate::signature;
use crate::status::{LineItemStatus, PrescriptionStatus};

const FUNCTION: &str = "eps-process-message";

pub struct ProcessMessage(pub EpsContext);

#[async_trait]
impl Handler for ProcessMessage {
    async fn handle(&self, req: &ApiRequest) -> SpineResult<ApiResponse> {
        let ctx = &self.0;
        let bundle = match body_json(req).and_then(|b| messages::message_kind(&b).map(|k| (b, k))) {
            Ok(parsed) => parsed,
            Err(e) => return answer(Err(e)),
        };
        let (bundle, kind) = bundle;
        let activity = match kind {
            MessageKind::Order | MessageKind::OrderUpdate => (PRESCRIBING, "prescribe or cancel"),
            MessageKind::DispenseNotification => (DISPENSING, "send a dispense notification"),
        };
        if let Err(e) = worker(req).and_then(|w| require(w, activity.0, activity.1)) {
            return answer(Err(e));
        }
        match kind {
            MessageKind::Order => order(ctx, req, bundle).await,
            MessageKind::OrderUpdate => cancel(ctx, req, bundle).await,
            MessageKind::DispenseNotification => dispense(ctx, req, bundle).await,
        }
    }
}

fn created(p: &Prescription) -> ApiResponse {
    accepted(&format!("Prescription {} created.", p.id), &p.nhs_number)
}

async fn order(ctx: &EpsContext, req: &ApiRequest, bundle: Value) -> SpineResult<ApiResponse> {
    let checked = async {
        let caller = worker(req)?;
        let (order, nominated) = checked_order(ctx, req, &bundle).await?;
        let data = order.signature.ok_or_else(EpsError::missing_signature)?;
        let role = ctx
            .directory
            .role_profile(&order.role_profile)
            .await
            .map_err(|e| EpsError::internal(format!("reading a role profile: {}", e.code.spine_code())))?;
        let key = role.and_then(|r| r.signing_key).ok_or_else(|| {
            EpsError::failure_to_process("The prescriber's role profile has no registered signing key.")
        })?;
        signature::verify(data, &order.fragments, &key)?;
        Ok(Prescription {
            id: order.id.as_str().to_owned(),
            nhs_number: order.nhs.to_string(),
            prescriber_ods: caller.organisation.clone(),
            nominated,
            authored_on: order.authored_on.clone(),
            validity_days: order.validity_days,
            state: State::new(),
            items: order
                .items
                .iter()
                .map(|id| LineItem { id: id.clone(), status: LineItemStatus::ToBeDispensed })
                .collect(),
            notifications: Vec::new(),
            claim: None,
        })
    };
    // A retry with the same X-Request-ID is answered before the checks (its id is taken now).
    write_once(
        ctx,
        FUNCTION,
        req,
        |changed| created(&changed[0]),
        |store| async move {
            let prescription = checked.await?;
            store.create(&prescription, Some(&req.body)).await?;
            Ok(created(&prescription))
        },
    )
    .await
}

/// The R-code a committed cancellation answers with, from the prescription it left.
fn committed_cancel_code(p: &Prescription) -> CancelCode {
    match p.state.status {
        PrescriptionStatus::WithDispenser => CancelCode::MarkedWithDispenser,
        PrescriptionStatus::WithDispenserActive => CancelCode::MarkedWithDispenserActive,
        _ => CancelCode::Cancelled,
    }
}

/// The cancellation's response Bundle, carrying its R-code and the prescription it left.
fn cancel_answer(id: &str, item: &str, code: CancelCode, p: &Prescription) -> ApiResponse {
    let body = resources::cancel_response(id, item, code, p);
    ApiResponse::fhir_json(code.http_status(), &body).with_patients(NhsNumber::parse(&p.nhs_number).ok())
}

async fn cancel(ctx: &EpsContext, req: &ApiRequest, bundle: Value) -> SpineResult<ApiResponse> {
    let parsed = worker(req).and_then(|w| messages::cancel(&bundle).map(|c| (w, c)));
    let (caller, message) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return answer(Err(e)),
    };
    let id = message.id.as_str().to_owned();
    let item = message.item.clone();
    let current = match ctx.store.get(&id).await {
        Ok(p) => p,
        Err(e) => return answer(Err(e)),
    };
    let Some(current) = current else {
        return answer(Err(EpsError::cancel_not_found()));
    };
    let matches = current.nhs_number == message.nhs.to_string()
        && current.prescriber_ods == caller.organisation
        && current.items.iter().any(|i| i.id == message.item);
    if !matches {
        return answer(Err(EpsError::cancel_mismatch()));
    }
    let prescriber = caller.role_profile_id.clone();
    let (receipt_id, receipt_item) = (id.clone(), item.clone());
    write_once(
        ctx,
        FUNCTION,
        req,
        move |changed| cancel_answer(&receipt_id, &receipt_item, committed_cancel_code(&changed[0]), &changed[0]),
        |store| async move {
            let (p, code) = store.cancel(&id, &item, &prescriber).await?;
            Ok(cancel_answer(&id, &item, code, &p))
        },
    )
    .await
}

async fn dispense(ctx: &EpsContext, req: &ApiRequest, bundle: Value) -> SpineResult<ApiResponse> {
    let parsed = worker(req).and_then(|w| messages::dispense(&bundle).map(|d| (w, d)));
    let (caller, message) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return answer(Err(e)),
    };
    let dispenser = caller.organisation.clone();
    let text = format!("Dispense notification for prescription {} accepted.", message.id.as_str());
    let nhs = message.nhs;
    accepted_once(ctx, FUNCTION, req, &nhs, text, |store| async move {
        let id = message.id.as_str();
        store.dispense(id, &dispenser, &message.notification, &message.items, message.replacement_of.as_deref()).await
    })
    .await
}
