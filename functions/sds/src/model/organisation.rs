//! An organisation of the directory (ODS code, name, type, status, parent, address), its type
//! code list, and the items it is stored as: the record (indexed by name and by postcode) and a
//! type index item.

use serde::{Deserialize, Serialize};
use spine_shared::ports::{IndexKey, Item};

use super::{
    ORG_SK, ORG_TYPE_SK, encode, org_name_pk, org_name_sk, org_pk, org_postcode_pk, org_postcode_sk, org_type_pk,
};
use crate::values::{Postcode, fold_name};

/// The code system of our organisation types. ODS's own role codes are not all public in a form
/// we could check, so the directory defines this small list and documents it (README).
pub const ORG_TYPE_SYSTEM: &str = "https://spine.nhs.example/CodeSystem/organisation-type";

/// What kind of organisation an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrgType {
    GpPractice,
    Pharmacy,
    DentalPractice,
    Optician,
    NhsTrust,
    Laboratory,
    LocalAuthority,
    Commissioner,
    NationalBody,
    Supplier,
}

impl OrgType {
    pub const ALL: [OrgType; 10] = [
        OrgType::GpPractice,
        OrgType::Pharmacy,
        OrgType::DentalPractice,
        OrgType::Optician,
        OrgType::NhsTrust,
        OrgType::Laboratory,
        OrgType::LocalAuthority,
        OrgType::Commissioner,
        OrgType::NationalBody,
        OrgType::Supplier,
    ];

    /// The code, as the `type` search parameter and `Organization.type` carry it.
    pub fn code(self) -> &'static str {
        match self {
            OrgType::GpPractice => "gp-practice",
            OrgType::Pharmacy => "pharmacy",
            OrgType::DentalPractice => "dental-practice",
            OrgType::Optician => "optician",
            OrgType::NhsTrust => "nhs-trust",
            OrgType::Laboratory => "laboratory",
            OrgType::LocalAuthority => "local-authority",
            OrgType::Commissioner => "commissioner",
            OrgType::NationalBody => "national-body",
            OrgType::Supplier => "supplier",
        }
    }

    pub fn display(self) -> &'static str {
        match self {
            OrgType::GpPractice => "GP practice",
            OrgType::Pharmacy => "Community pharmacy",
            OrgType::DentalPractice => "Dental practice",
            OrgType::Optician => "Optician",
            OrgType::NhsTrust => "NHS trust",
            OrgType::Laboratory => "Pathology laboratory",
            OrgType::LocalAuthority => "Local authority",
            OrgType::Commissioner => "Commissioning organisation",
            OrgType::NationalBody => "National body",
            OrgType::Supplier => "IT system supplier",
        }
    }

    pub fn from_code(code: &str) -> Option<OrgType> {
        OrgType::ALL.into_iter().find(|t| t.code() == code)
    }
}

/// A postal address as ODS holds one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgAddress {
    pub lines: Vec<String>,
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub county: Option<String>,
    pub postcode: String,
}

/// One organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub ods: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: OrgType,
    pub active: bool,
    /// The organisation it is part of: a GP practice's commissioner, a laboratory's trust.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub address: OrgAddress,
}

impl Organisation {
    pub fn folded_name(&self) -> String {
        fold_name(&self.name)
    }

    /// The record (with its name and postcode index keys) and the type index item.
    pub fn items(&self) -> Vec<Item> {
        let name = self.folded_name();
        let mut record = Item::new(org_pk(&self.ods), ORG_SK, encode(self))
            .with_gsi1(IndexKey::new(org_name_pk(&name), org_name_sk(&name, &self.ods)));
        if let Some((district, full)) = Postcode::keys_of(&self.address.postcode) {
            record =
                record.with_gsi2(IndexKey::new(org_postcode_pk(&district), org_postcode_sk(&full, &name, &self.ods)));
        }
        let kind = Item::new(org_pk(&self.ods), ORG_TYPE_SK, Vec::new())
            .with_gsi1(IndexKey::new(org_type_pk(self.kind), org_name_sk(&name, &self.ods)));
        vec![record, kind]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn practice() -> Organisation {
        Organisation {
            ods: "Y12345".into(),
            name: "Boar Lane Medical Centre".into(),
            kind: OrgType::GpPractice,
            active: true,
            parent: Some("10Q".into()),
            address: OrgAddress {
                lines: vec!["10 Boar Lane".into()],
                city: "Leeds".into(),
                county: Some("West Yorkshire".into()),
                postcode: "LS1 6EN".into(),
            },
        }
    }

    #[test]
    fn an_organisation_is_indexed_by_name_postcode_and_type() {
        let items = practice().items();
        let record = &items[0];
        assert_eq!((record.pk.as_str(), record.sk.as_str()), ("ORG#Y12345", "ORG"));
        let gsi1 = record.gsi1.as_ref().unwrap();
        assert_eq!((gsi1.pk.as_str(), gsi1.sk.as_str()), ("ORGNAME#B", "BOARLANEMEDICALCENTRE|Y12345"));
        let gsi2 = record.gsi2.as_ref().unwrap();
        assert_eq!((gsi2.pk.as_str(), gsi2.sk.as_str()), ("ORGPOSTCODE#LS1", "LS16EN|BOARLANEMEDICALCENTRE|Y12345"));
        let kind = &items[1];
        assert_eq!(kind.sk, "INDEX#TYPE");
        assert!(kind.data.is_empty());
        assert_eq!(kind.gsi1.as_ref().unwrap().pk, "ORGTYPE#gp-practice");
    }

    #[test]
    fn the_document_round_trips_and_type_codes_are_unique() {
        let o = practice();
        assert_eq!(super::super::decode::<Organisation>(&super::super::encode(&o)).unwrap(), o);
        for t in OrgType::ALL {
            assert_eq!(OrgType::from_code(t.code()), Some(t));
        }
        assert_eq!(OrgType::from_code("hospital"), None);
    }
}
