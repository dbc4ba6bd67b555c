//! A prescription as the store keeps it: one item per prescription, `EPSRX#<short-form id>`, whose
//! document holds the lifecycle state, the line items and who it concerns; and the index keys that
//! find it — a nominated pharmacy's releasable prescriptions (gsi1, only while status 0001) and a
//! patient's prescriptions for the tracker (gsi2), each ordered by when it was authored.

use serde::{Deserialize, Serialize};

use crate::error::EpsError;
use crate::lifecycle::{Marks, State};
use crate::status::{LineItemStatus, PrescriptionStatus};

/// The sort key of a prescription's item.
pub const PRESCRIPTION_SK: &str = "PRESCRIPTION";
/// The sort key of the signed Bundle a prescription was created from (written once, never changed,
/// handed to the dispenser on release).
pub const BUNDLE_SK: &str = "BUNDLE";

pub fn prescription_pk(id: &str) -> String {
    format!("EPSRX#{id}")
}

/// gsi1: the prescriptions waiting for nominated release to a pharmacy.
pub fn nominated_pk(ods: &str) -> String {
    format!("EPSNOMINATED#{ods}")
}

/// How long a prescription may be dispensed after it was authored: six months (NHS prescriptions,
/// and those of Schedule 5 controlled drugs).
pub const VALIDITY_DAYS: i64 = 183;
/// How long one with a controlled drug of Schedule 2, 3 or 4 may be: 28 days.
pub const CONTROLLED_DRUG_VALIDITY_DAYS: i64 = 28;

/// The validity of a prescription whose line items are of these controlled-drug schedules (the
/// `Extension-DM-ControlledDrug` schedule codes; none for an item that is not a controlled drug).
pub fn validity_days<'a>(schedules: impl IntoIterator<Item = &'a str>) -> i64 {
    let short = |s: &str| matches!(s, "CD2" | "CD3" | "CD4-1" | "CD4-2");
    if schedules.into_iter().any(short) { CONTROLLED_DRUG_VALIDITY_DAYS } else { VALIDITY_DAYS }
}

/// The partition of the expiry markers of prescriptions whose validity ends on `day` (YYYY-MM-DD);
/// each marker's sort key is the prescription id.
pub fn expiry_pk(day: &str) -> String {
    format!("EPSEXPIRY#{day}")
}

/// The day a prescription authored at `authored_on` (RFC 3339) and valid for `validity_days` stops
/// being valid.
pub fn expiry_day(authored_on: &str, validity_days: i64) -> Option<String> {
    let authored = time::OffsetDateTime::parse(authored_on, &time::format_description::well_known::Rfc3339).ok()?;
    let day = authored.date().checked_add(time::Duration::days(validity_days))?;
    day.format(time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// gsi2: a patient's prescriptions.
pub fn patient_pk(nhs_number: &str) -> String {
    format!("EPSPATIENT#{nhs_number}")
}

/// One line item (a MedicationRequest) and its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineItem {
    /// The MedicationRequest's `prescription-order-item-number` identifier.
    pub id: String,
    pub status: LineItemStatus,
}

/// A dispense notification in force: its id and the line-item statuses it reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: String,
    pub items: Vec<LineItem>,
}

/// The claim made for a dispensed prescription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRecord {
    pub id: String,
    /// The day it was made or last amended (`YYYY-MM-DD`), which bounds its amendment period.
    pub claimed_on: String,
}

/// A prescription's stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prescription {
    /// The short-form id.
    pub id: String,
    pub nhs_number: String,
    /// The prescriber's ODS code (the organisation of the requester).
    pub prescriber_ods: String,
    /// The nominated pharmacy's ODS code, when the patient has one.
    pub nominated: Option<String>,
    /// When it was authored (RFC 3339), which orders releases and the tracker.
    pub authored_on: String,
    /// How many days after it was authored it expires ([`validity_days`]).
    pub validity_days: i64,
    pub state: State,
    pub items: Vec<LineItem>,
    /// The dispense notifications in force, oldest first (a withdrawn one is removed; an amended
    /// one is replaced by its amendment). Only the last may be amended or withdrawn.
    pub notifications: Vec<Notification>,
    pub claim: Option<ClaimRecord>,
}

impl Prescription {
    /// Index keys: the nominated queue only while it waits for release.
    pub fn index_keys(&self) -> (Option<(String, String)>, (String, String)) {
        let order = format!("{}#{}", self.authored_on, self.id);
        let nominated = match (&self.nominated, self.state.status) {
            (Some(ods), PrescriptionStatus::ToBeDispensed) => Some((nominated_pk(ods), order.clone())),
            _ => None,
        };
        (nominated, (patient_pk(&self.nhs_number), order))
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&Stored::from(self)).expect("a prescription serialises")
    }

    pub fn from_json(data: &[u8]) -> Result<Self, EpsError> {
        let stored: Stored =
            serde_json::from_slice(data).map_err(|e| EpsError::internal(format!("a stored prescription: {e}")))?;
        stored.try_into()
    }
}

/// The document's JSON shape: statuses by their codes.
#[derive(Serialize, Deserialize)]
struct Stored {
    id: String,
    nhs_number: String,
    prescriber_ods: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nominated: Option<String>,
    authored_on: String,
    #[serde(default = "six_months", skip_serializing_if = "is_six_months")]
    validity_days: i64,
    status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dispenser: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending_cancellation: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pending_items: Vec<String>,
    items: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    notifications: Vec<(String, Vec<(String, String)>)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claim: Option<(String, String)>,
}

fn six_months() -> i64 {
    VALIDITY_DAYS
}

fn is_six_months(days: &i64) -> bool {
    *days == VALIDITY_DAYS
}

fn item_codes(items: &[LineItem]) -> Vec<(String, String)> {
    items.iter().map(|i| (i.id.clone(), i.status.code().to_owned())).collect()
}

fn items_from_codes(items: Vec<(String, String)>) -> Result<Vec<LineItem>, EpsError> {
    items
        .into_iter()
        .map(|(id, code)| {
            let status = LineItemStatus::from_code(&code)
                .ok_or_else(|| EpsError::internal("a stored prescription has an unknown line item status"))?;
            Ok(LineItem { id, status })
        })
        .collect()
}

impl From<&Prescription> for Stored {
    fn from(p: &Prescription) -> Self {
        Stored {
            id: p.id.clone(),
            nhs_number: p.nhs_number.clone(),
            prescriber_ods: p.prescriber_ods.clone(),
            nominated: p.nominated.clone(),
            authored_on: p.authored_on.clone(),
            validity_days: p.validity_days,
            status: p.state.status.code().to_owned(),
            dispenser: p.state.dispenser.clone(),
            pending_cancellation: p.state.marks.as_ref().map(|m| m.prescriber.clone()),
            pending_items: p.state.marks.as_ref().map(|m| m.items.clone()).unwrap_or_default(),
            items: item_codes(&p.items),
            notifications: p.notifications.iter().map(|n| (n.id.clone(), item_codes(&n.items))).collect(),
            claim: p.claim.as_ref().map(|c| (c.id.clone(), c.claimed_on.clone())),
        }
    }
}

impl TryFrom<Stored> for Prescription {
    type Error = EpsError;

    fn try_from(s: Stored) -> Result<Self, EpsError> {
        let status = PrescriptionStatus::from_code(&s.status)
            .ok_or_else(|| EpsError::internal("a stored prescription has an unknown status"))?;
        let items = items_from_codes(s.items)?;
        // Stored before cancellations named line items, a mark was for the whole prescription.
        let marks = s.pending_cancellation.map(|prescriber| {
            let items = if s.pending_items.is_empty() {
                items.iter().filter(|i| i.status != LineItemStatus::Cancelled).map(|i| i.id.clone()).collect()
            } else {
                s.pending_items
            };
            Marks { prescriber, items }
        });
        let notifications = s
            .notifications
            .into_iter()
            .map(|(id, items)| Ok(Notification { id, items: items_from_codes(items)? }))
            .collect::<Result<Vec<_>, EpsError>>()?;
        Ok(Prescription {
            id: s.id,
            nhs_number: s.nhs_number,
            prescriber_ods: s.prescriber_ods,
            nominated: s.nominated,
            authored_on: s.authored_on,
            validity_days: s.validity_days,
            state: State { status, dispenser: s.dispenser, marks },
            items,
            notifications,
            claim: s.claim.map(|(id, claimed_on)| ClaimRecord { id, claimed_on }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_stored_before_cancellations_named_items_covers_every_item_not_cancelled() {
        let stored = br#"{"id":"X","nhs_number":"9449304130","prescriber_ods":"A83008","authored_on":"2026-11-22T09:00:00+00:00",
            "status":"0002","dispenser":"FA565","pending_cancellation":"p1","items":[["1","0008"],["2","0005"],["3","0008"]]}"#;
        let p = Prescription::from_json(stored).unwrap();
        assert_eq!(p.state.marks.as_ref().map(|m| &m.items[..]), Some(&["1".to_owned(), "3".to_owned()][..]));
        let again = Prescription::from_json(&p.to_json()).unwrap();
        assert_eq!(again, p, "stored with its items from then on");
    }
}
