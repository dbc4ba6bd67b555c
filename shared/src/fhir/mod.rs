//! The FHIR R4 resources the Spine speaks, shaped as NHS England's APIs return them.

pub mod bundle;
pub mod outcome;
pub mod patient;

pub use bundle::{Bundle, BundleEntry, BundleSearch};
pub use outcome::{IssueSeverity, OperationOutcome};
pub use patient::{
    Address, Coding, ContactPoint, GeneralPractitioner, HumanName, Identifier, Meta, OrganisationIdentifier, Patient,
    Period,
};

/// The media type of FHIR JSON responses.
pub const FHIR_JSON: &str = "application/fhir+json";
/// The code system of NHS Spine error and warning codes.
pub const SPINE_ERROR_CODE_SYSTEM: &str = "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode";
/// The identifier system of NHS numbers.
pub const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
/// The identifier system of ODS organisation codes.
pub const ODS_CODE_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
