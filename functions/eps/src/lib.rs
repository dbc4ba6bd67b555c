//! Electronic Prescription Service (issue 5), its domain core so far: the short-form prescription
//! id and its ISO 7064 Mod 37-2 check character ([`prescription_id`]); the prescription and
//! line-item statuses and the lifecycle every operation moves a prescription along
//! ([`status`], [`lifecycle`]); the rules a prescription's MedicationRequests must keep
//! ([`consistency`]); the nominated pharmacy, from the patient's PDS record ([`nomination`]);
//! the EPS error codes they refuse with ([`error`]); and the store that keeps
//! prescriptions and changes them only by lifecycle steps with conditional writes ([`model`],
//! [`store`]). Handlers and the Lambda binaries build on these.

pub mod client;
pub mod consistency;
pub mod error;
pub mod fhir;
pub mod handlers;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod lifecycle;
pub mod model;
pub mod nomination;
pub mod notify;
pub mod outbox;
pub mod prescription_id;
pub mod reference;
pub mod relay;
pub mod signature;
pub mod status;
pub mod store;

pub use error::{EpsError, IssueType};
pub use handlers::{EpsContext, handler_for};
pub use prescription_id::PrescriptionId;
pub use status::{LineItemStatus, PrescriptionStatus};
pub use store::PrescriptionStore;
