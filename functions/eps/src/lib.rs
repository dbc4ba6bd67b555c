//! Electronic Prescription Service (issue 5), its domain core so far: the short-form prescription
//! id and its ISO 7064 Mod 37-2 check character ([`prescription_id`]); the prescription and
//! line-item statuses and the lifecycle every operation moves a prescription along
//! ([`status`], [`lifecycle`]); the rules a prescription's MedicationRequests must keep
//! ([`consistency`]); the nominated pharmacy, from the patient's PDS record ([`nomination`]);
//! the EPS error codes they refuse with ([`error`]); and the store that keeps
//! prescriptions and changes them only by lifecycle steps with conditional writes ([`model`],
//! [`store`]). Handlers and the Lambda binaries build on these.

pub mod consistency;
pub mod error;
pub mod lifecycle;
pub mod model;
pub mod nomination;
pub mod prescription_id;
pub mod status;
pub mod store;

pub use error::{EpsError, IssueType};
pub use prescription_id::PrescriptionId;
pub use status::{LineItemStatus, PrescriptionStatus};
pub use store::PrescriptionStore;
