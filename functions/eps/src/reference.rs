//! EPS's reference prescriptions: a few prescriptions for the PDS reference patient 9000000009
//! (nominated pharmacy FA666), signed by Dr Amelia Hart's role profile 555021935107 at Y12345, in
//! the states the sample events and the README's examples act on. Seeded into the local Spine and
//! the tests' stores; every id is fixed.
//!
//! | id | status |
//! |----|--------|
//! | [`WAITING`] | 0001 to be dispensed, nominated to FA666 |
//! | [`WITH_DISPENSER`] | 0002 with dispenser FA666 |
//! | [`DISPENSED`] | 0006 dispensed by FA666 (notification [`DISPENSED_NOTIFICATION`]) |
//! | [`TO_CANCEL`] | 0001, not nominated (its patient has none on this one) |

use spine_sds::seed::signing_keys::synthetic_signing_key;

use crate::client;
use crate::error::EpsError;
use crate::lifecycle::State;
use crate::model::{LineItem, Prescription, VALIDITY_DAYS};
use crate::status::LineItemStatus;
use crate::store::PrescriptionStore;

pub const PATIENT: &str = "9000000009";
pub const PRESCRIBER_ROLE: &str = "555021935107";
pub const PRESCRIBER_ODS: &str = "Y12345";
pub const PHARMACY: &str = "FA666";
pub const WAITING: &str = "7D9625-Y12345-000013";
pub const WITH_DISPENSER: &str = "A7B86F-Y12345-00002J";
pub const DISPENSED: &str = "3A4B5C-Y12345-00003L";
pub const TO_CANCEL: &str = "5E6F70-Y12345-00004Q";
pub const DISPENSED_NOTIFICATION: &str = "cb4fb0ab-0b2b-4bbd-8d4e-4f5c8b2f7c01";
pub const AUTHORED_ON: &str = "2026-11-01T09:00:00+00:00";

/// The line item ids of a reference prescription.
pub fn items(id: &str) -> [String; 2] {
    client::line_items(id)
}

fn prescription(id: &str, nominated: Option<&str>) -> Prescription {
    Prescription {
        id: id.to_owned(),
        nhs_number: PATIENT.to_owned(),
        prescriber_ods: PRESCRIBER_ODS.to_owned(),
        nominated: nominated.map(str::to_owned),
        authored_on: AUTHORED_ON.to_owned(),
        validity_days: VALIDITY_DAYS,
        state: State::new(),
        items: items(id).into_iter().map(|id| LineItem { id, status: LineItemStatus::ToBeDispensed }).collect(),
        notifications: Vec::new(),
        claim: None,
    }
}

/// The signed order Bundle of a reference prescription.
pub fn order_bundle(id: &str) -> Result<serde_json::Value, EpsError> {
    let [a, b] = items(id);
    let order = client::order(id, PATIENT, PRESCRIBER_ROLE, PRESCRIBER_ODS, &[&a, &b], AUTHORED_ON);
    client::signed(order, &synthetic_signing_key(PRESCRIBER_ROLE), AUTHORED_ON)
}

/// Seeds the reference prescriptions (a store that has them already is left as it is).
pub async fn seed(store: &PrescriptionStore) -> Result<(), EpsError> {
    if store.get(WAITING).await?.is_some() {
        return Ok(());
    }
    for (id, nominated) in [(WAITING, Some(PHARMACY)), (WITH_DISPENSER, None), (DISPENSED, None), (TO_CANCEL, None)] {
        let bundle = serde_json::to_vec(&order_bundle(id)?).unwrap_or_default();
        store.create(&prescription(id, nominated), Some(&bundle)).await?;
    }
    store.release(WITH_DISPENSER, PHARMACY).await?;
    store.release(DISPENSED, PHARMACY).await?;
    let done: Vec<LineItem> =
        items(DISPENSED).into_iter().map(|id| LineItem { id, status: LineItemStatus::FullyDispensed }).collect();
    store.dispense(DISPENSED, PHARMACY, DISPENSED_NOTIFICATION, &done, None).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prescription_id::PrescriptionId;

    #[test]
    fn the_reference_ids_are_valid() {
        for id in [WAITING, WITH_DISPENSER, DISPENSED, TO_CANCEL] {
            PrescriptionId::parse(id).unwrap_or_else(|e| panic!("{id}: {e}"));
        }
    }
}
