//! Personal Demographics Service: the PDS FHIR R4 interactions as handlers over the record store
//! port, the PDS rules they keep (search, JSON Patch, field rules), the single-table model, and
//! the synthetic population the local Spine is seeded with.

pub mod handlers;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod model;
pub mod names;
pub mod patch;
pub mod repository;
pub mod rules;
pub mod search;
pub mod seed;

pub use handlers::{PdsContext, handler_for};
