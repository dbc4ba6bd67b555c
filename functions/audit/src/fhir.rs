//! The FHIR R4 types the privacy officer's search answers with: `AuditEvent` (only the elements
//! we fill) and the searchset `Bundle` around it, as small serde structs serialising in FHIR's
//! element order. How an audit event maps onto them is in [`crate::resource`].

use serde::Serialize;

pub const AUDIT_EVENT_TYPE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/audit-event-type";
pub const RESTFUL_INTERACTION_SYSTEM: &str = "http://hl7.org/fhir/restful-interaction";
pub const SOURCE_TYPE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/security-source-type";
pub const ENTITY_TYPE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
pub const OBJECT_ROLE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/object-role";
/// UK Core's code system of SDS job roles (the R-codes, e.g. `R8000`).
pub const JOB_ROLE_SYSTEM: &str = "https://fhir.hl7.org.uk/CodeSystem/UKCore-SDSJobRoleName";
pub const NHS_NUMBER_SYSTEM: &str = spine_shared::fhir::NHS_NUMBER_SYSTEM;
pub const ODS_CODE_SYSTEM: &str = spine_shared::fhir::ODS_CODE_SYSTEM;
/// A CIS (smartcard) user id, as SCR's own `AuditEvent` names the user.
pub const SDS_USER_ID_SYSTEM: &str = "https://fhir.nhs.uk/Id/sds-user-id";
pub const REQUEST_ID_SYSTEM: &str = "https://fhir.nhs.uk/Id/x-request-id";
/// Our own systems (the `spine.nhs.example` domain, as the directory's organisation types): no
/// national code list says these things.
pub const CLIENT_ID_SYSTEM: &str = "https://spine.nhs.example/Id/client-id";
pub const NHS_LOGIN_ID_SYSTEM: &str = "https://spine.nhs.example/Id/nhs-login-id";
pub const ACCESS_MODE_SYSTEM: &str = "https://spine.nhs.example/CodeSystem/access-mode";
pub const RELATIONSHIP_SYSTEM: &str = "https://spine.nhs.example/CodeSystem/legitimate-relationship";
pub const ALERT_SYSTEM: &str = "https://spine.nhs.example/CodeSystem/audit-alert";
pub const PRIVACY_ALERT: &str = "privacy-alert";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coding {
    pub system: &'static str,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<&'static str>,
}

impl Coding {
    pub fn new(system: &'static str, code: &str, display: Option<&'static str>) -> Self {
        Coding { system, code: code.to_owned(), display }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeableConcept {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl CodeableConcept {
    pub fn of(coding: Coding) -> Self {
        CodeableConcept { coding: vec![coding], text: None }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identifier {
    pub system: &'static str,
    pub value: String,
}

/// A logical reference: by identifier, or only a display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Reference {
    pub fn to(system: &'static str, value: &str) -> Self {
        Reference { identifier: Some(Identifier { system, value: value.to_owned() }), display: None }
    }

    pub fn display(text: &str) -> Self {
        Reference { identifier: None, display: Some(text.to_owned()) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub role: Vec<CodeableConcept>,
    pub who: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt_id: Option<String>,
    pub requestor: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub observer: Reference,
    #[serde(rename = "type")]
    pub kind: Vec<Coding>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Detail {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value_string: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entity {
    pub what: Reference,
    #[serde(rename = "type")]
    pub kind: Coding,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Coding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub detail: Vec<Detail>,
}

/// FHIR R4 `AuditEvent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    pub resource_type: &'static str,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: Coding,
    pub subtype: Vec<Coding>,
    pub action: &'static str,
    pub recorded: String,
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome_desc: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub purpose_of_event: Vec<CodeableConcept>,
    pub agent: Vec<Agent>,
    pub source: Source,
    pub entity: Vec<Entity>,
}

/// A searchset Bundle: the page's events, a `self` link and, when more follow, a `next` link.
/// No `total`: counting a partition would read all of it, and FHIR makes `total` optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchBundle {
    pub resource_type: &'static str,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub link: Vec<Link>,
    pub entry: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub relation: &'static str,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub full_url: String,
    pub resource: AuditEvent,
    pub search: EntrySearch,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntrySearch {
    pub mode: &'static str,
}

impl SearchBundle {
    /// A searchset of these events (each `fullUrl` is `urn:uuid:<event id>`: there is no read
    /// interaction to point at).
    pub fn searchset(events: Vec<AuditEvent>, link: Vec<Link>) -> Self {
        SearchBundle {
            resource_type: "Bundle",
            id: uuid::Uuid::new_v4().to_string(),
            kind: "searchset",
            link,
            entry: events
                .into_iter()
                .map(|resource| Entry {
                    full_url: format!("urn:uuid:{}", resource.id),
                    resource,
                    search: EntrySearch { mode: "match" },
                })
                .collect(),
        }
    }
}
