//! `POST /Task/$release`: a dispenser downloads prescriptions. With `group-identifier`, a patient
//! release of that one prescription (`RESOURCE_NOT_FOUND` when there is none,
//! `PRESCRIPTION_WITH_ANOTHER_DISPENSER` when someone else holds it — naming them — and the holder
//! may download it again). Without, a nominated release: up to 25 of the prescriptions waiting for
//! the `owner` pharmacy, oldest first, or `NO_MORE_PRESCRIPTIONS`. The owner must be the caller's
//! organisation. An application (unattended nominated download) may make nominated releases only.
//!
//! The answer carries each released prescription's signed Bundle. What a release records for its
//! `X-Request-ID` is the list of prescriptions it released; a retry is answered by reading their
//! Bundles again, so a lost answer never costs the pharmacy the prescriptions it released.

use async_trait::async_trait;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use spine_shared::identity::Principal;
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};
use spine_shared::{NhsNumber, SpineResult};

use super::{EpsContext, answer, body_json, write_once};
use crate::error::EpsError;
use crate::fhir::{messages, outcome, resources};
use crate::model::Prescription;
use crate::store::MAX_NOMINATED_RELEASE;

const FUNCTION: &str = "eps-release";
/// Marks a recorded answer that holds the released ids, not the Bundles.
const RECEIPT_HEADER: &str = "x-eps-released";

pub struct Release(pub EpsContext);

#[async_trait]
impl Handler for Release {
    async fn handle(&self, req: &ApiRequest) -> SpineResult<ApiResponse> {
        let ctx = &self.0;
        let message = match body_json(req).and_then(|b| messages::release(&b)).and_then(|m| authorised(req, m)) {
            Ok(m) => m,
            Err(e) => return answer(Err(e)),
        };
        let owner = message.owner.clone();
        let answered = write_once(ctx, FUNCTION, req, receipt, |store| async move {
            let released = match &message.prescription {
                Some(id) => match store.release(id.as_str(), &owner).await {
                    Ok(p) => vec![p],
                    Err(e) if e.code() == Some("PRESCRIPTION_NOT_FOUND") => {
                        return Err(EpsError::resource_not_found(
                            "The prescription ID specified in the parameters requested did not exist.",
                        ));
                    }
                    Err(e) => return Err(e),
                },
                None => store.release_nominated(&owner, MAX_NOMINATED_RELEASE).await?,
            };
            let ids: Vec<String> = released.iter().map(|p| p.id.clone()).collect();
            released_answer(&store_bundles(&store, &ids).await?, &released)
        })
        .await?;
        if answered.header(RECEIPT_HEADER).is_none() {
            return Ok(answered);
        }
        // A retry: the same prescriptions, read again.
        answer(replayed(ctx, &answered).await)
    }
}

/// Checks the caller may release for `owner`.
fn authorised(req: &ApiRequest, m: messages::Release) -> Result<messages::Release, EpsError> {
    let organisation = match req.caller().map(|c| &c.principal) {
        Some(Principal::HealthcareWorker(w)) => &w.organisation,
        Some(Principal::Application(a)) if m.prescription.is_none() => &a.organisation,
        Some(Principal::Application(_)) => {
            return Err(EpsError::access_denied(
                "A patient release (group-identifier) needs a user-restricted (healthcare worker) caller.",
            ));
        }
        _ => return Err(EpsError::access_denied("This interaction needs a healthcare worker or an application.")),
    };
    if !m.owner.eq_ignore_ascii_case(organisation) {
        return Err(EpsError::access_denied("The owner must be the caller's own organisation."));
    }
    Ok(m)
}

async fn store_bundles(
    store: &crate::store::PrescriptionStore,
    ids: &[String],
) -> Result<Vec<(String, Vec<u8>)>, EpsError> {
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    store.bundles(&refs).await
}

/// The answer: each released prescription's Bundle, in release order.
fn released_answer(bundles: &[(String, Vec<u8>)], released: &[Prescription]) -> Result<ApiResponse, EpsError> {
    if released.is_empty() {
        return Ok(ApiResponse::fhir_json(200, &outcome::no_more_prescriptions()));
    }
    let mut passed = Vec::with_capacity(released.len());
    for p in released {
        let bundle = bundles
            .iter()
            .find(|(id, _)| id == &p.id)
            .and_then(|(_, b)| serde_json::from_slice::<&RawValue>(b).ok())
            .ok_or_else(|| EpsError::internal("a released prescription has no stored Bundle"))?;
        passed.push(bundle);
    }
    let patients: Vec<NhsNumber> = released.iter().filter_map(|p| NhsNumber::parse(&p.nhs_number).ok()).collect();
    Ok(ApiResponse::fhir_json(200, &resources::release_parameters(&passed)).with_patients(patients))
}

/// What a release records: the ids it released (and the patients, for the retry's audit).
fn receipt(released: &[Prescription]) -> ApiResponse {
    let ids: Vec<&str> = released.iter().map(|p| p.id.as_str()).collect();
    ApiResponse::fhir_json(200, &json!({ "released": ids })).with_header(RECEIPT_HEADER, "1")
}

async fn replayed(ctx: &EpsContext, recorded: &ApiResponse) -> Result<ApiResponse, EpsError> {
    let ids: Vec<String> = serde_json::from_slice::<Value>(&recorded.body)
        .ok()
        .and_then(|v| serde_json::from_value(v["released"].clone()).ok())
        .ok_or_else(|| EpsError::internal("a release's record is unreadable"))?;
    let mut released = Vec::with_capacity(ids.len());
    for id in &ids {
        released.push(ctx.store.get(id).await?.ok_or_else(|| EpsError::internal("a released prescription vanished"))?);
    }
    released_answer(&store_bundles(&ctx.store, &ids).await?, &released)
}
