//! A prescription as the store keeps it: one item per prescription, `EPSRX#<short-form id>`, whose
//! document holds the lifecycle state, the line items and who it concerns; and the index keys that
//! find it — a nominated pharmacy's releasable prescriptions (gsi1, only while status 0001) and a
//! patient's prescriptions for the tracker (gsi2), each ordered by when it was authored.

use serde::{Deserialize, Serialize};

use crate::error::EpsError;
use crate::lifecycle::State;
use crate::status::{LineItemStatus, PrescriptionStatus};

/// The sort key of a prescription's item.
pub const PRESCRIPTION_SK: &str = "PRESCRIPTION";

pub fn prescription_pk(id: &str) -> String {
    format!("EPSRX#{id}")
}

/// gsi1: the prescriptions waiting for nominated release to a pharmacy.
pub fn nominated_pk(ods: &str) -> String {
    format!("EPSNOMINATED#{ods}")
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
    pub state: State,
    pub items: Vec<LineItem>,
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
    status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dispenser: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending_cancellation: Option<String>,
    items: Vec<(String, String)>,
}

impl From<&Prescription> for Stored {
    fn from(p: &Prescription) -> Self {
        Stored {
            id: p.id.clone(),
            nhs_number: p.nhs_number.clone(),
            prescriber_ods: p.prescriber_ods.clone(),
            nominated: p.nominated.clone(),
            authored_on: p.authored_on.clone(),
            status: p.state.status.code().to_owned(),
            dispenser: p.state.dispenser.clone(),
            pending_cancellation: p.state.pending_cancellation.clone(),
            items: p.items.iter().map(|i| (i.id.clone(), i.status.code().to_owned())).collect(),
        }
    }
}

impl TryFrom<Stored> for Prescription {
    type Error = EpsError;

    fn try_from(s: Stored) -> Result<Self, EpsError> {
        let corrupt = |what: &str| EpsError::internal(format!("a stored prescription has an unknown {what}"));
        let status = PrescriptionStatus::from_code(&s.status).ok_or_else(|| corrupt("status"))?;
        let items = s
            .items
            .into_iter()
            .map(|(id, code)| {
                Ok(LineItem {
                    id,
                    status: LineItemStatus::from_code(&code).ok_or_else(|| corrupt("line item status"))?,
                })
            })
            .collect::<Result<Vec<_>, EpsError>>()?;
        Ok(Prescription {
            id: s.id,
            nhs_number: s.nhs_number,
            prescriber_ods: s.prescriber_ods,
            nominated: s.nominated,
            authored_on: s.authored_on,
            state: State { status, dispenser: s.dispenser, pending_cancellation: s.pending_cancellation },
            items,
        })
    }
}
