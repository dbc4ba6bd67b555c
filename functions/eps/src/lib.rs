//! Electronic Prescription Service. The domain core: the short-form prescription id and its ISO
//! 7064 Mod 37-2 check character ([`prescription_id`]); the prescription and line-item statuses
//! and the lifecycle every operation moves a prescription along ([`status`], [`lifecycle`]); the
//! rules a prescription's MedicationRequests must keep ([`consistency`]); prescription signatures
//! ([`signature`]); the nominated pharmacy, from the patient's PDS record ([`nomination`]); the EPS
//! error codes ([`error`]); and the store that changes prescriptions only by lifecycle steps with
//! conditional writes, each committed with its status event and the request's answer ([`model`],
//! [`store`], [`outbox`]). Around it: the FHIR messages in and resources out ([`fhir`]), the HTTP
//! handlers ([`handlers`]), the outbox relay and the status events' consumer ([`relay`],
//! [`notify`]), the Lambda entry points, the reference prescriptions ([`reference`]) and the
//! messages suppliers send ([`client`]).

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
