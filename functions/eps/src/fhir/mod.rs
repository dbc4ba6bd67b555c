//! Reading and writing EPS's FHIR R4 resources as JSON: the code systems and identifier systems
//! EPS uses, and small accessors over `serde_json::Value` for the parts of a message EPS acts on
//! (entries, references resolved within a Bundle, identifiers, extensions, codings). Every reader
//! returns `None` or `Null` for what is absent, so the message parsers decide what is required.

pub mod messages;
pub mod outcome;
pub mod resources;

use serde_json::Value;

pub const NHS_NUMBER: &str = "https://fhir.nhs.uk/Id/nhs-number";
pub const ODS: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
pub const PRESCRIPTION_ORDER_NUMBER: &str = "https://fhir.nhs.uk/Id/prescription-order-number";
pub const ITEM_NUMBER: &str = "https://fhir.nhs.uk/Id/prescription-order-item-number";
pub const ROLE_PROFILE: &str = "https://fhir.nhs.uk/Id/sds-role-profile-id";
pub const RFC4122: &str = "https://tools.ietf.org/html/rfc4122";
pub const MESSAGE_EVENT: &str = "https://fhir.nhs.uk/CodeSystem/message-event";
pub const REPLACEMENT_OF: &str = "https://fhir.nhs.uk/StructureDefinition/Extension-replacementOf";
pub const GROUP_IDENTIFIER: &str = "https://fhir.nhs.uk/StructureDefinition/Extension-DM-GroupIdentifier";
pub const CONTROLLED_DRUG: &str = "https://fhir.nhs.uk/StructureDefinition/Extension-DM-ControlledDrug";
pub const DISPENSE_TYPE: &str = "https://fhir.nhs.uk/CodeSystem/medicationdispense-type";
pub const BUSINESS_STATUS: &str = "https://fhir.nhs.uk/CodeSystem/EPS-task-business-status";
pub const RETURN_REASON: &str = "https://fhir.nhs.uk/CodeSystem/EPS-task-dispense-return-status-reason";
/// HL7's Task codes (a withdrawal is `abort`).
pub const TASK_CODE: &str = "http://hl7.org/fhir/CodeSystem/task-code";
pub const WITHDRAW_REASON: &str = "https://fhir.nhs.uk/CodeSystem/EPS-task-dispense-withdraw-reason";
pub const ORGANISATION_RELATIONSHIPS: &str =
    "https://fhir.nhs.uk/StructureDefinition/Extension-ODS-OrganisationRelationships";
pub const STATUS_HISTORY: &str = "https://fhir.nhs.uk/StructureDefinition/Extension-DM-PrescriptionStatusHistory";
pub const STATUS_HISTORY_CODES: &str = "https://fhir.nhs.uk/CodeSystem/medicationrequest-status-history";
/// Line items' statuses are coded in the same status-history system.
pub const LINE_ITEM_STATUS: &str = STATUS_HISTORY_CODES;
/// EPS's error codes (EPS's own spelling: without `R4/`).
pub const EPS_ERROR_CODES: &str = "https://fhir.nhs.uk/CodeSystem/Spine-ErrorOrWarningCode";

/// The resources of a Bundle's entries, in order.
pub fn resources(bundle: &Value) -> impl Iterator<Item = &Value> {
    bundle["entry"].as_array().into_iter().flatten().map(|e| &e["resource"])
}

/// The resources of one type in a Bundle.
pub fn of_type<'a>(bundle: &'a Value, resource_type: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    resources(bundle).filter(move |r| r["resourceType"] == resource_type)
}

/// The resource a reference (`urn:uuid:…`, `Type/id` or `#contained`) names within `bundle` (or
/// within `container`'s `contained` for `#id`).
pub fn resolve<'a>(bundle: &'a Value, container: &'a Value, reference: &Value) -> Option<&'a Value> {
    let reference = reference["reference"].as_str()?;
    if let Some(id) = reference.strip_prefix('#') {
        return container["contained"].as_array()?.iter().find(|r| r["id"] == id);
    }
    let entries = bundle["entry"].as_array()?;
    entries
        .iter()
        .find(|e| {
            e["fullUrl"] == reference
                || format!(
                    "{}/{}",
                    e["resource"]["resourceType"].as_str().unwrap_or_default(),
                    e["resource"]["id"].as_str().unwrap_or_default()
                ) == reference
        })
        .map(|e| &e["resource"])
}

/// The value of the resource's identifier with `system` (an `identifier` array or a single one).
pub fn identifier<'a>(resource: &'a Value, system: &str) -> Option<&'a str> {
    let of = |i: &'a Value| (i["system"] == system).then(|| i["value"].as_str()).flatten();
    match &resource["identifier"] {
        Value::Array(ids) => ids.iter().find_map(of),
        single @ Value::Object(_) => of(single),
        _ => None,
    }
}

/// The value of a bare `Identifier` if its system is `system` (or it has none).
pub fn identifier_value<'a>(identifier: &'a Value, system: &str) -> Option<&'a str> {
    if identifier["system"].is_null() || identifier["system"] == system { identifier["value"].as_str() } else { None }
}

/// The extension with this URL (`Null` when absent).
pub fn extension<'a>(resource: &'a Value, url: &str) -> &'a Value {
    resource["extension"].as_array().and_then(|exts| exts.iter().find(|e| e["url"] == url)).unwrap_or(&Value::Null)
}

/// The code of a CodeableConcept's coding in `system`.
pub fn code<'a>(concept: &'a Value, system: &str) -> Option<&'a str> {
    concept["coding"].as_array()?.iter().find(|c| c["system"] == system).and_then(|c| c["code"].as_str())
}

/// A parameter of a `Parameters` resource, by name.
pub fn parameter<'a>(parameters: &'a Value, name: &str) -> Option<&'a Value> {
    parameters["parameter"].as_array()?.iter().find(|p| p["name"] == name)
}

/// `{"system": system, "value": value}`.
pub fn ident(system: &str, value: &str) -> Value {
    serde_json::json!({ "system": system, "value": value })
}
