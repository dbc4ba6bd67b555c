//! How PDS keeps a patient in the single table, and the typed keys of every item it writes.
//!
//! | item            | pk                 | sk                      | gsi1 (name index)                               | gsi2 (soundex index)            |
//! |-----------------|--------------------|-------------------------|-------------------------------------------------|---------------------------------|
//! | record          | `PATIENT#<nhs>`    | `RECORD`                | `FAMILY#<first 2 letters>` / `<dob>\|<FAMILY>\|<nhs>` | `SOUNDEX#<code>` / `<dob>\|<nhs>` |
//! | other family    | `PATIENT#<nhs>`    | `INDEX#F#<FAMILY>`      | as above, for that family name                  | its soundex                     |
//! | given name      | `PATIENT#<nhs>`    | `INDEX#G#<code>`        | —                                               | `SOUNDEX#<code>` / `<dob>\|<nhs>` |
//! | NHS number seq. | `COUNTER#NHS_NUMBER` | `COUNTER`             | —                                               | —                               |
//!
//! Every search has a date of birth (the PDS minimum parameter sets all include it), so both
//! indexes sort by it and a date or a range is one key condition. Only active records with a date
//! of birth are indexed; superseded and invalidated records never appear in a search.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use spine_shared::NhsNumber;
use spine_shared::fhir::{Address, ContactPoint, HumanName, Meta, Patient};
use spine_shared::ports::{IndexKey, Item};

use crate::names::{family_prefix, fold, soundex};

pub const RECORD_SK: &str = "RECORD";

/// Whether a record is live, replaced by another NHS number, or withdrawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum RecordStatus {
    Active,
    Superseded { by: String },
    Invalidated,
}

/// What PDS stores for one NHS number: the FHIR resource as served (less `meta.versionId`, which is
/// the item's version), the history that searches may match, and the patient's related people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatientRecord {
    #[serde(flatten)]
    pub status: RecordStatus,
    pub patient: Patient,
    #[serde(default, skip_serializing_if = "History::is_empty")]
    pub history: History,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Value>,
}

/// Names, addresses and contact points the patient no longer has.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct History {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<HumanName>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<Address>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
}

impl History {
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.addresses.is_empty() && self.telecom.is_empty()
    }
}

pub fn patient_pk(nhs: NhsNumber) -> String {
    format!("PATIENT#{nhs}")
}

/// The NHS number of a `PATIENT#` key.
pub fn nhs_of_pk(pk: &str) -> Option<NhsNumber> {
    NhsNumber::parse(pk.strip_prefix("PATIENT#")?).ok()
}

pub fn family_index_pk(prefix: &str) -> String {
    format!("FAMILY#{prefix}")
}

pub fn soundex_index_pk(code: &str) -> String {
    format!("SOUNDEX#{code}")
}

/// A stored record and the version it was read at.
#[derive(Debug, Clone)]
pub struct Versioned {
    pub nhs: NhsNumber,
    pub record: PatientRecord,
    pub version: u64,
}

impl PatientRecord {
    pub fn decode(data: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(data)
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The names a search may match: current ones, and historic ones when asked.
    pub fn names(&self, with_history: bool) -> impl Iterator<Item = &HumanName> {
        let history = if with_history { self.history.names.as_slice() } else { &[] };
        self.patient.name.iter().chain(history)
    }

    pub fn addresses(&self, with_history: bool) -> impl Iterator<Item = &Address> {
        let history = if with_history { self.history.addresses.as_slice() } else { &[] };
        self.patient.address.iter().chain(history)
    }

    pub fn telecom(&self, with_history: bool) -> impl Iterator<Item = &ContactPoint> {
        let history = if with_history { self.history.telecom.as_slice() } else { &[] };
        self.patient.telecom.iter().chain(history)
    }

    /// The usual name, or the first name if none is marked usual.
    pub fn usual_name(&self) -> Option<&HumanName> {
        self.patient.name.iter().find(|n| n.name_use.as_deref() == Some("usual")).or(self.patient.name.first())
    }

    /// The patient as served: the record's resource with `meta.versionId` set to the version.
    pub fn to_fhir(&self, version: u64) -> Patient {
        self.clone().into_fhir(version)
    }

    /// As [`PatientRecord::to_fhir`], consuming the record (the read path: no copy).
    pub fn into_fhir(self, version: u64) -> Patient {
        let mut p = self.patient;
        p.meta.get_or_insert_with(Meta::default).version_id = Some(version.to_string());
        p
    }

    /// Every item this record is stored as: the record itself and its index items.
    pub fn items(&self, nhs: NhsNumber, version: u64) -> Vec<Item> {
        let pk = patient_pk(nhs);
        let mut record = Item::new(pk.clone(), RECORD_SK, self.encode()).with_version(version);
        let mut extra = Vec::new();
        if let (RecordStatus::Active, Some(dob)) = (&self.status, self.patient.birth_date.as_deref()) {
            let usual = self.usual_name().and_then(|n| n.family.as_deref()).map(fold).filter(|f| !f.is_empty());
            if let Some(f) = &usual {
                record = record.with_gsi1(family_key(f, dob, nhs));
                if let Some(code) = soundex(f) {
                    record = record.with_gsi2(soundex_key(&code, dob, nhs));
                }
            }
            let families: BTreeSet<String> = self
                .names(true)
                .filter_map(|n| n.family.as_deref())
                .map(fold)
                .filter(|f| !f.is_empty() && Some(f) != usual.as_ref())
                .collect();
            let mut codes: BTreeSet<String> = families.iter().chain(usual.iter()).filter_map(|f| soundex(f)).collect();
            for f in &families {
                let mut item =
                    Item::new(pk.clone(), format!("INDEX#F#{f}"), Vec::new()).with_gsi1(family_key(f, dob, nhs));
                if let Some(code) = soundex(f) {
                    item = item.with_gsi2(soundex_key(&code, dob, nhs));
                }
                extra.push(item);
            }
            let givens: BTreeSet<String> =
                self.names(true).flat_map(|n| n.given.iter()).filter_map(|g| soundex(&fold(g))).collect();
            for code in givens {
                if codes.insert(code.clone()) {
                    extra.push(
                        Item::new(pk.clone(), format!("INDEX#G#{code}"), Vec::new())
                            .with_gsi2(soundex_key(&code, dob, nhs)),
                    );
                }
            }
        }
        let mut items = vec![record];
        items.extend(extra);
        items
    }
}

fn family_key(folded_family: &str, dob: &str, nhs: NhsNumber) -> IndexKey {
    IndexKey::new(family_index_pk(family_prefix(folded_family)), format!("{dob}|{folded_family}|{nhs}"))
}

fn soundex_key(code: &str, dob: &str, nhs: NhsNumber) -> IndexKey {
    IndexKey::new(soundex_index_pk(code), format!("{dob}|{nhs}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use spine_shared::fhir::patient::PatientType;

    fn record() -> PatientRecord {
        let mut p = Patient::empty();
        p.resource_type = PatientType::Patient;
        p.birth_date = Some("2010-10-22".into());
        p.name = vec![HumanName {
            name_use: Some("usual".into()),
            family: Some("Smith".into()),
            given: vec!["Jane".into(), "Anne".into()],
            ..Default::default()
        }];
        PatientRecord {
            status: RecordStatus::Active,
            patient: p,
            history: History {
                names: vec![HumanName {
                    family: Some("Smythe".into()),
                    given: vec!["Jayne".into()],
                    ..Default::default()
                }],
                ..Default::default()
            },
            related: vec![],
        }
    }

    #[test]
    fn indexes_current_and_historic_names() {
        let nhs = NhsNumber::parse("9000000009").unwrap();
        let items = record().items(nhs, 3);
        let rec = &items[0];
        assert_eq!(rec.sk, RECORD_SK);
        assert_eq!(rec.version, 3);
        assert_eq!(rec.gsi1.as_ref().unwrap().pk, "FAMILY#SM");
        assert_eq!(rec.gsi1.as_ref().unwrap().sk, "2010-10-22|SMITH|9000000009");
        assert_eq!(rec.gsi2.as_ref().unwrap().pk, "SOUNDEX#S530");
        let sks: Vec<&str> = items[1..].iter().map(|i| i.sk.as_str()).collect();
        // Smythe shares Smith's soundex, so only its name-index entry is new; Jane and Jayne share J500.
        assert_eq!(sks, vec!["INDEX#F#SMYTHE", "INDEX#G#A500", "INDEX#G#J500"]);
    }

    #[test]
    fn superseded_and_invalidated_records_are_not_indexed() {
        let nhs = NhsNumber::parse("9000000041").unwrap();
        for status in [RecordStatus::Invalidated, RecordStatus::Superseded { by: "9000000009".into() }] {
            let r = PatientRecord { status, ..record() };
            let items = r.items(nhs, 1);
            assert_eq!(items.len(), 1);
            assert!(items[0].gsi1.is_none() && items[0].gsi2.is_none());
        }
    }

    #[test]
    fn the_document_round_trips() {
        let r = record();
        assert_eq!(PatientRecord::decode(&r.encode()).unwrap(), r);
        let s = PatientRecord { status: RecordStatus::Superseded { by: "9000000009".into() }, ..record() };
        let v: Value = serde_json::from_slice(&s.encode()).unwrap();
        assert_eq!(v["status"], "superseded");
        assert_eq!(v["by"], "9000000009");
        assert_eq!(PatientRecord::decode(&s.encode()).unwrap(), s);
    }
}
