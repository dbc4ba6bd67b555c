//! What every Spine function shares: the NHS number, FHIR types, the one error type, the request
//! pipeline, the route table, the ports and their AWS and embedded adapters, and the synthetic
//! world (towns, GP practices, pharmacies) every seed is built from.

pub mod adapters;
pub mod audit;
pub mod config;
pub mod error;
pub mod fhir;
pub mod identity;
pub mod lambda_events;
pub mod nhs_number;
pub mod pipeline;
pub mod ports;
pub mod relationship;
pub mod routes;
pub mod synthetic;
#[cfg(feature = "testing")]
pub mod testing;
pub mod text;

pub use error::{ErrorCode, SpineError, SpineResult};
pub use nhs_number::NhsNumber;
