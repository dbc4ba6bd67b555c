//! The Spine Directory interactions, one handler each, over a shared context. `handler_for` maps
//! a function (binary) name of the route table to its handler, for the Lambda binaries and the
//! local gateway. Directory lookups read only; none writes.

mod get_device;
mod get_endpoint;
mod get_organization;
mod org_params;
mod params;
mod search_organizations;

use std::sync::Arc;

use spine_shared::pipeline::Handler;
use spine_shared::ports::RecordStore;

pub use get_device::GetDevice;
pub use get_endpoint::GetEndpoint;
pub use get_organization::GetOrganization;
pub use search_organizations::SearchOrganizations;

use crate::repository::DirectoryRepository;

/// The public base URL of directory resources in `fullUrl`s.
pub use spine_shared::config::DEFAULT_ORIGIN;
pub const BASE_PATH: &str = "/spine-directory/FHIR/R4";

/// What every directory handler works with: the repository and the base URL of resources.
#[derive(Clone)]
pub struct SdsContext {
    pub repo: DirectoryRepository,
    pub base_url: String,
}

impl SdsContext {
    /// `origin` is where clients reach the API (`SPINE_BASE_URL`), e.g. `https://api.service.nhs.uk`.
    pub fn new(store: Arc<dyn RecordStore>, origin: &str) -> Self {
        SdsContext {
            repo: DirectoryRepository::new(store),
            base_url: format!("{}{BASE_PATH}", origin.trim_end_matches('/')),
        }
    }

    /// The URL of a resource type, or of one resource when `id` is given.
    pub fn url(&self, resource: &str, id: Option<&str>) -> String {
        match id {
            Some(id) => format!("{}/{resource}/{id}", self.base_url),
            None => format!("{}/{resource}", self.base_url),
        }
    }
}

/// The handler of a directory function, by its name in the route table.
pub fn handler_for(function: &str, ctx: SdsContext) -> Option<Box<dyn Handler>> {
    Some(match function {
        "sds-get-organization" => Box::new(GetOrganization(ctx)),
        "sds-search-organizations" => Box::new(SearchOrganizations(ctx)),
        "sds-get-device" => Box::new(GetDevice(ctx)),
        "sds-get-endpoint" => Box::new(GetEndpoint(ctx)),
        _ => return None,
    })
}

/// A caller's value for a diagnostic: at most 64 characters.
pub(crate) fn shown(value: &str) -> String {
    value.chars().take(64).collect()
}
