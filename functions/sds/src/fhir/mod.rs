//! The FHIR R4 resources the directory answers with, shaped as SDS's FHIR API and the ODS FHIR API
//! return them, and the searchset Bundle around them (with `total`, a `self` link and
//! `search.mode`, as SDS returns it). Typed, so every resource serialises with `resourceType`
//! first and its elements in FHIR's order.

pub mod device;
pub mod endpoint;
pub mod organization;

use serde::Serialize;

pub use spine_shared::fhir::ODS_CODE_SYSTEM;

pub const ASID_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhsSpineASID";
pub const PARTY_KEY_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhsMhsPartyKey";
pub const INTERACTION_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhsServiceInteractionId";
pub const FQDN_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhsMhsFQDN";
pub const CPA_ID_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhsMhsCPAId";
pub const MHS_ID_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhsMHSId";
pub const MANUFACTURER_EXTENSION: &str =
    "https://fhir.nhs.uk/StructureDefinition/Extension-SDS-ManufacturingOrganisation";
pub const INTERACTION_EXTENSION: &str = "https://fhir.nhs.uk/StructureDefinition/Extension-SDS-NhsServiceInteractionId";
pub const RELIABILITY_EXTENSION: &str =
    "https://fhir.nhs.uk/StructureDefinition/Extension-SDS-ReliabilityConfiguration";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identifier {
    pub system: String,
    pub value: String,
}

impl Identifier {
    pub fn new(system: &str, value: &str) -> Self {
        Identifier { system: system.to_owned(), value: value.to_owned() }
    }
}

/// A reference by identifier (and, for resources we serve, by relative URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub identifier: Identifier,
}

impl Reference {
    pub fn to(system: &str, value: &str) -> Self {
        Reference { reference: None, identifier: Identifier::new(system, value) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coding {
    pub system: String,
    pub code: String,
    pub display: String,
}

impl Coding {
    pub fn new(system: &str, code: &str, display: &str) -> Self {
        Coding { system: system.to_owned(), code: code.to_owned(), display: display.to_owned() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeableConcept {
    pub coding: Vec<Coding>,
}

/// An extension: a reference, a string or an integer value, or nested extensions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Extension {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_reference: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_string: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_integer: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
}

impl Extension {
    fn empty(url: &str) -> Self {
        Extension {
            url: url.to_owned(),
            value_reference: None,
            value_string: None,
            value_integer: None,
            extension: vec![],
        }
    }

    /// An extension whose value is a logical reference.
    pub fn reference(url: &str, system: &str, value: &str) -> Self {
        Extension { value_reference: Some(Reference::to(system, value)), ..Extension::empty(url) }
    }

    pub fn string(url: &str, value: &str) -> Self {
        Extension { value_string: Some(value.to_owned()), ..Extension::empty(url) }
    }

    pub fn integer(url: &str, value: u32) -> Self {
        Extension { value_integer: Some(value), ..Extension::empty(url) }
    }

    pub fn nested(url: &str, extension: Vec<Extension>) -> Self {
        Extension { extension, ..Extension::empty(url) }
    }
}

/// A searchset Bundle as SDS returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchBundle<R> {
    pub resource_type: &'static str,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Every match, which may be more than the entries returned.
    pub total: usize,
    pub link: Vec<Link>,
    pub entry: Vec<Entry<R>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub relation: &'static str,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry<R> {
    pub full_url: String,
    pub resource: R,
    pub search: EntrySearch,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntrySearch {
    pub mode: &'static str,
}

/// A searchset of (fullUrl, resource) entries; `self_url` is the request as made.
pub fn searchset<R>(entries: Vec<(String, R)>, total: usize, self_url: &str) -> SearchBundle<R> {
    SearchBundle {
        resource_type: "Bundle",
        id: uuid::Uuid::new_v4().to_string(),
        kind: "searchset",
        total,
        link: vec![Link { relation: "self", url: self_url.to_owned() }],
        entry: entries
            .into_iter()
            .map(|(full_url, resource)| Entry { full_url, resource, search: EntrySearch { mode: "match" } })
            .collect(),
    }
}

/// The request URL for a Bundle's `self` link: the query as given (decoded, as SDS shows it).
pub fn self_url(base: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return base.to_owned();
    }
    let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{base}?{}", q.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_searchset_counts_every_match_and_links_to_itself() {
        let b = serde_json::to_value(searchset(vec![("u/1".into(), Identifier::new("s", "v"))], 3, "u?a=1")).unwrap();
        assert_eq!(b["resourceType"], "Bundle");
        assert_eq!(b["type"], "searchset");
        assert_eq!(b["total"], 3);
        assert_eq!(b["entry"].as_array().unwrap().len(), 1);
        assert_eq!(b["entry"][0]["search"]["mode"], "match");
        assert_eq!(b["link"][0]["url"], "u?a=1");
        let empty = serde_json::to_string(&searchset::<Identifier>(vec![], 0, "u")).unwrap();
        assert!(empty.starts_with(r#"{"resourceType":"Bundle","#), "{empty}");
        assert!(empty.ends_with(r#""entry":[]}"#), "{empty}");
        assert_eq!(self_url("b", &[("a".into(), "x|y".into()), ("a".into(), "z".into())]), "b?a=x|y&a=z");
    }

    #[test]
    fn extensions_carry_only_their_value() {
        let e = serde_json::to_value(Extension::string("nhsMHSAckRequested", "always")).unwrap();
        assert_eq!(e, serde_json::json!({"url": "nhsMHSAckRequested", "valueString": "always"}));
    }
}
