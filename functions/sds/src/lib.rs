//! Spine Directory Service: the directory's FHIR R4 interactions (Organization read and search,
//! SDS Device and Endpoint lookups) as handlers over the record store port; the single-table model
//! of organisations, people and role profiles, accredited systems, MHS records and MESH mailboxes;
//! the repository other services look entries up with; and the synthetic directory the local
//! Spine is seeded with, consistent with the PDS population.

pub mod fhir;
pub mod handlers;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod model;
pub mod repository;
pub mod seed;
pub mod values;

pub use handlers::{SdsContext, handler_for};
