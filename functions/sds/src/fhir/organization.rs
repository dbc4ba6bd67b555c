//! `Organization` (FHIR R4): ODS code identifier, active, type, name, partOf and address.

use serde::Serialize;

use super::{CodeableConcept, Coding, Identifier, ODS_CODE_SYSTEM, Reference};
use crate::model::Organisation;
use crate::model::organisation::ORG_TYPE_SYSTEM;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub resource_type: &'static str,
    pub id: String,
    pub identifier: Vec<Identifier>,
    pub active: bool,
    #[serde(rename = "type")]
    pub kind: Vec<CodeableConcept>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part_of: Option<Reference>,
    pub address: Vec<Address>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    #[serde(rename = "use")]
    pub address_use: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub line: Vec<String>,
    pub city: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    pub postal_code: String,
    pub country: &'static str,
}

pub fn organization(o: &Organisation) -> Organization {
    Organization {
        resource_type: "Organization",
        id: o.ods.clone(),
        identifier: vec![Identifier::new(ODS_CODE_SYSTEM, &o.ods)],
        active: o.active,
        kind: vec![CodeableConcept { coding: vec![Coding::new(ORG_TYPE_SYSTEM, o.kind.code(), o.kind.display())] }],
        name: o.name.clone(),
        part_of: o.parent.as_ref().map(|p| Reference {
            reference: Some(format!("Organization/{p}")),
            identifier: Identifier::new(ODS_CODE_SYSTEM, p),
        }),
        address: vec![Address {
            address_use: "work",
            kind: "both",
            line: o.address.lines.clone(),
            city: o.address.city.clone(),
            district: o.address.county.clone(),
            postal_code: o.address.postcode.clone(),
            country: "ENGLAND",
        }],
    }
}
