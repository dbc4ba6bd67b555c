//! FHIR `Bundle` of type `searchset`, with `search.score` per entry as PDS returns it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bundle<R> {
    pub resource_type: BundleType,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    pub total: u32,
    #[serde(default = "Vec::new", skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<BundleEntry<R>>,
}

/// The constant `resourceType` of a Bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BundleType {
    Bundle,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BundleEntry<R> {
    pub full_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<BundleSearch>,
    pub resource: R,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BundleSearch {
    pub score: f64,
}

impl<R> Bundle<R> {
    /// A searchset of the given entries; `total` is their count.
    pub fn searchset(entry: Vec<BundleEntry<R>>, timestamp: Option<String>) -> Self {
        Bundle {
            resource_type: BundleType::Bundle,
            kind: "searchset".into(),
            timestamp,
            total: entry.len() as u32,
            entry,
        }
    }
}
