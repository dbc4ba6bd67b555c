//! The privacy officer's API over the audit table: `audit-search-events`, one handler over a
//! context. `handler_for` maps a function (binary) name of the route table to its handler, for the
//! Lambda binary and the local gateway.

mod page_token;
pub mod params;
mod search_events;

use std::sync::Arc;

use spine_shared::pipeline::Handler;
use spine_shared::ports::RecordStore;

pub use search_events::SearchEvents;

/// Where the audit API is mounted, as in the route table.
pub const BASE_PATH: &str = "/audit/FHIR/R4";

/// What the audit handlers work with: the audit table (not the main table) and the public URL of
/// `AuditEvent` searches, for the Bundle's links.
#[derive(Clone)]
pub struct AuditContext {
    pub table: Arc<dyn RecordStore>,
    pub search_url: String,
}

impl AuditContext {
    /// `origin` is where clients reach the API (`SPINE_BASE_URL`), e.g. `https://api.service.nhs.uk`.
    pub fn new(table: Arc<dyn RecordStore>, origin: &str) -> Self {
        AuditContext { table, search_url: format!("{}{BASE_PATH}/AuditEvent", origin.trim_end_matches('/')) }
    }
}

/// The handler of an audit function, by its name in the route table.
pub fn handler_for(function: &str, ctx: AuditContext) -> Option<Box<dyn Handler>> {
    match function {
        "audit-search-events" => Some(Box::new(SearchEvents(ctx))),
        _ => None,
    }
}
