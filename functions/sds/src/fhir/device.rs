//! `Device`: an accredited system as SDS returns it — the ASID and party key as identifiers, the
//! manufacturing organisation and every service interaction as extensions, the organisation it
//! is deployed at as `owner`.

use serde::Serialize;

use super::{
    ASID_SYSTEM, Extension, INTERACTION_EXTENSION, INTERACTION_SYSTEM, Identifier, MANUFACTURER_EXTENSION,
    ODS_CODE_SYSTEM, PARTY_KEY_SYSTEM, Reference,
};
use crate::model::AccreditedSystem;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub resource_type: &'static str,
    pub id: String,
    pub identifier: Vec<Identifier>,
    pub extension: Vec<Extension>,
    pub owner: Reference,
}

pub fn device(a: &AccreditedSystem) -> Device {
    let mut identifier = vec![Identifier::new(ASID_SYSTEM, &a.asid)];
    if let Some(party) = &a.party_key {
        identifier.push(Identifier::new(PARTY_KEY_SYSTEM, party));
    }
    let mut extension = vec![Extension::reference(MANUFACTURER_EXTENSION, ODS_CODE_SYSTEM, &a.manufacturer)];
    extension.extend(a.interactions.iter().map(|i| Extension::reference(INTERACTION_EXTENSION, INTERACTION_SYSTEM, i)));
    Device {
        resource_type: "Device",
        id: a.id.clone(),
        identifier,
        extension,
        owner: Reference::to(ODS_CODE_SYSTEM, &a.ods),
    }
}
