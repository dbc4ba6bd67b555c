//! The deterministic synthetic population: patient `i` of a seed of size `n` is the same on every
//! machine and every run. It includes restricted, superseded, invalidated and deceased patients,
//! previous names and addresses, middle names, related people, GP registrations and nominated
//! pharmacies consistent with each patient's town.

use serde_json::json;
use spine_shared::NhsNumber;
use spine_shared::fhir::patient::PatientType;
use spine_shared::fhir::{
    Address, Coding, ContactPoint, GeneralPractitioner, HumanName, Identifier, Meta, NHS_NUMBER_SYSTEM,
    ODS_CODE_SYSTEM, OrganisationIdentifier, Patient, Period,
};

use spine_shared::synthetic::{PHARMACIES_PER_TOWN, Rng};
pub use spine_shared::synthetic::{PRACTICES_PER_TOWN, Practice, pharmacy_code, practice, practices};

use super::data::{FAMILY, GIVEN_FEMALE, GIVEN_MALE, STREETS, TOWNS, UNIT_LETTERS};
use crate::model::{History, PatientRecord, RecordStatus};
use crate::rules::DEATH_NOTIFICATION_URL;

/// The first NHS-number base of the synthetic population (reference patients use 900 000 000+).
pub const FIRST_BASE: u32 = 910_000_000;

fn postcode(rng: &mut Rng, area: &str) -> String {
    let district = 1 + rng.below(28);
    let sector = rng.below(10);
    let a = UNIT_LETTERS[rng.below(UNIT_LETTERS.len() as u64) as usize] as char;
    let b = UNIT_LETTERS[rng.below(UNIT_LETTERS.len() as u64) as usize] as char;
    format!("{area}{district} {sector}{a}{b}")
}

fn id(rng: &mut Rng) -> String {
    format!("{:08X}", rng.next() as u32)
}

/// The last year a generated date may fall in: nothing in the population lies in the future.
const LAST_YEAR: i32 = 2025;

fn date(rng: &mut Rng, from_year: i32, years: u64) -> String {
    let years = years.min((LAST_YEAR - from_year + 1).max(1) as u64);
    let y = (from_year + rng.below(years) as i32).min(LAST_YEAR);
    let m = 1 + rng.below(12);
    let d = 1 + rng.below(28);
    format!("{y:04}-{m:02}-{d:02}")
}

fn address(rng: &mut Rng, town: usize, start: String, end: Option<String>) -> Address {
    let (name, area, county, _) = TOWNS[town];
    let mut line = Vec::with_capacity(4);
    if rng.chance(150) {
        line.push(format!("Flat {}", 1 + rng.below(40)));
    }
    line.push(format!("{} {}", 1 + rng.below(220), rng.pick(STREETS)));
    line.push(name.to_owned());
    line.push(county.to_owned());
    Address {
        id: Some(id(rng)),
        period: Some(Period { start: Some(start), end }),
        address_use: Some("home".into()),
        text: None,
        line,
        postal_code: Some(postcode(rng, area)),
        extension: vec![json!({
            "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AddressKey",
            "extension": [
                {"url": "type", "valueCoding": {"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-AddressKeyType", "code": "PAF"}},
                {"url": "value", "valueString": format!("{:08}", rng.below(100_000_000))}
            ]
        })],
    }
}

/// The NHS numbers of the population, in order: the valid numbers from [`FIRST_BASE`] up.
pub fn nhs_numbers() -> impl Iterator<Item = NhsNumber> {
    (FIRST_BASE..=999_999_999).filter_map(NhsNumber::from_base)
}

/// One synthetic record. `i` is its index; `nhs` its number; `next` the number after it, which a
/// superseded record points to (the surviving record of the same person).
pub fn record(i: u64, nhs: NhsNumber, next: NhsNumber) -> (PatientRecord, u64) {
    let mut rng = Rng::new(i);
    let roll = rng.below(1000);
    if roll < 2 {
        // 0.2%: an old number superseded by the next record.
        let mut p = Patient::empty();
        p.id = nhs.to_string();
        return (
            PatientRecord {
                status: RecordStatus::Superseded { by: next.to_string() },
                patient: p,
                history: History::default(),
                related: vec![],
            },
            1,
        );
    }
    let invalidated = roll < 3;
    let female = rng.chance(510);
    let given = *rng.pick(if female { GIVEN_FEMALE } else { GIVEN_MALE });
    let family = *rng.pick(FAMILY);
    let birth = date(&mut rng, 1925, 100);
    let birth_year: i32 = birth[..4].parse().unwrap_or(1970);
    let town = rng.below(TOWNS.len() as u64) as usize;
    let mut names = vec![HumanName {
        id: Some(id(&mut rng)),
        name_use: Some("usual".into()),
        period: Some(Period { start: Some(birth.clone()), end: None }),
        prefix: vec![
            if female { if birth_year < 1995 && rng.chance(500) { "Mrs" } else { "Miss" } } else { "Mr" }.into(),
        ],
        given: vec![given.into()],
        family: Some(family.into()),
        suffix: vec![],
    }];
    if rng.chance(300) {
        names[0].given.push((*rng.pick(if female { GIVEN_FEMALE } else { GIVEN_MALE })).into());
    }
    let mut history = History::default();
    if female && birth_year < 2000 && rng.chance(250) {
        history.names.push(HumanName {
            id: Some(id(&mut rng)),
            name_use: Some("old".into()),
            period: Some(Period { start: Some(birth.clone()), end: Some(date(&mut rng, birth_year + 18, 20)) }),
            prefix: vec![],
            given: names[0].given.clone(),
            family: Some((*rng.pick(FAMILY)).into()),
            suffix: vec![],
        });
    }
    let moved = date(&mut rng, birth_year.max(1990), 30);
    if rng.chance(150) {
        let old_town = rng.below(TOWNS.len() as u64) as usize;
        history.addresses.push(address(&mut rng, old_town, birth.clone(), Some(moved.clone())));
    }
    let home = address(&mut rng, town, moved, None);
    let mut telecom = vec![ContactPoint {
        id: Some(id(&mut rng)),
        period: None,
        system: Some("phone".into()),
        value: Some(format!("01632 960{:03}", rng.below(1000))),
        contact_use: Some("home".into()),
        rank: None,
        extension: vec![],
    }];
    if rng.chance(400) {
        telecom.push(ContactPoint {
            id: Some(id(&mut rng)),
            period: None,
            system: Some("email".into()),
            value: Some(format!(
                "{}.{}{}@example.com",
                given.to_lowercase(),
                crate::names::fold(family).to_lowercase(),
                rng.below(100)
            )),
            contact_use: Some("home".into()),
            rank: None,
            extension: vec![],
        });
    }
    let gp = practice(town, 1 + rng.below(u64::from(PRACTICES_PER_TOWN)) as u32);
    let mut extension = Vec::new();
    if rng.chance(300) {
        extension.push(json!({
            "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NominatedPharmacy",
            "valueReference": {"identifier": {"system": ODS_CODE_SYSTEM, "value": pharmacy_code(town, 1 + rng.below(u64::from(PHARMACIES_PER_TOWN)) as u32)}}
        }));
    }
    let deceased = birth_year < 1990 && rng.chance(30);
    let deceased_date_time = deceased.then(|| format!("{}T00:00:00+00:00", date(&mut rng, 2015, 10)));
    if deceased {
        extension.push(json!({
            "url": DEATH_NOTIFICATION_URL,
            "extension": [
                {"url": "deathNotificationStatus", "valueCodeableConcept": {"coding": [{
                    "system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-DeathNotificationStatus",
                    "code": "2", "display": "Formal - death notice received from Registrar of Deaths"}]}},
                {"url": "systemEffectiveDate", "valueDateTime": "2024-01-01T00:00:00+00:00"}
            ]
        }));
    }
    let restricted = rng.chance(5);
    let mut related = Vec::new();
    if !restricted && rng.chance(200) {
        let contact_given = *rng.pick(GIVEN_FEMALE);
        related.push(json!({
            "resourceType": "RelatedPerson",
            "id": id(&mut rng),
            "active": true,
            "patient": {"type": "Patient", "identifier": {"system": NHS_NUMBER_SYSTEM, "value": nhs.to_string()}},
            "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "MTH", "display": "mother"}]}],
            "name": [{"use": "usual", "family": family, "given": [contact_given]}],
            "telecom": [{"system": "phone", "use": "home", "value": format!("01632 960{:03}", rng.below(1000))}]
        }));
    }
    let security = if restricted {
        Coding {
            system: Some("http://terminology.hl7.org/CodeSystem/v3-Confidentiality".into()),
            version: None,
            code: Some("R".into()),
            display: Some("restricted".into()),
        }
    } else {
        Coding {
            system: Some("http://terminology.hl7.org/CodeSystem/v3-Confidentiality".into()),
            version: None,
            code: Some("U".into()),
            display: Some("unrestricted".into()),
        }
    };
    let patient = Patient {
        resource_type: PatientType::Patient,
        id: nhs.to_string(),
        meta: Some(Meta { version_id: None, security: vec![security] }),
        identifier: vec![Identifier {
            system: Some(NHS_NUMBER_SYSTEM.into()),
            value: Some(nhs.to_string()),
            extension: vec![],
        }],
        name: names,
        gender: Some(if female { "female" } else { "male" }.into()),
        birth_date: Some(birth),
        deceased_date_time,
        multiple_birth_integer: None,
        address: vec![home],
        telecom,
        contact: vec![],
        general_practitioner: vec![GeneralPractitioner {
            id: Some(id(&mut rng)),
            kind: Some("Organization".into()),
            identifier: OrganisationIdentifier { system: Some(ODS_CODE_SYSTEM.into()), value: gp.ods, period: None },
        }],
        managing_organization: None,
        extension,
    };
    let status = if invalidated { RecordStatus::Invalidated } else { RecordStatus::Active };
    let version = 1 + rng.below(3);
    (PatientRecord { status, patient, history, related }, version)
}

/// Records `from..to` of the population, with their numbers and versions.
pub fn range(from: u64, to: u64) -> Vec<(NhsNumber, PatientRecord, u64)> {
    let mut numbers = nhs_numbers().skip(from as usize).peekable();
    let mut out = Vec::with_capacity((to - from) as usize);
    for i in from..to {
        let Some(nhs) = numbers.next() else { break };
        let next = numbers.peek().copied().unwrap_or(nhs);
        let (record, version) = record(i, nhs, next);
        out.push((nhs, record, version));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_population_is_deterministic() {
        let a = range(0, 200);
        let b = range(0, 200);
        assert_eq!(a.len(), 200);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.0, y.0);
            assert_eq!(x.1, y.1);
        }
        let tail = range(150, 200);
        assert_eq!(tail[0].0, a[150].0);
        assert_eq!(tail[0].1, a[150].1);
    }

    #[test]
    fn the_population_has_every_kind_of_record() {
        let all = range(0, 20_000);
        let count = |f: &dyn Fn(&PatientRecord) -> bool| all.iter().filter(|(_, r, _)| f(r)).count();
        assert!(count(&|r| matches!(r.status, RecordStatus::Superseded { .. })) > 10);
        assert!(count(&|r| r.status == RecordStatus::Invalidated) > 5);
        assert!(count(&|r| r.patient.is_restricted()) > 20);
        assert!(count(&|r| r.patient.deceased_date_time.is_some()) > 100);
        assert!(count(&|r| !r.history.names.is_empty()) > 100);
        assert!(count(&|r| !r.related.is_empty()) > 100);
        // Every active patient passes the PDS field rules.
        let today = crate::rules::today();
        for (_, r, _) in all.iter().filter(|(_, r, _)| r.status == RecordStatus::Active).take(2_000) {
            let mut p = r.patient.clone();
            crate::rules::validate(None, &mut p, today).unwrap();
        }
    }

    #[test]
    fn superseded_records_point_at_the_next_record() {
        let all = range(0, 5_000);
        for (k, (_, r, _)) in all.iter().enumerate() {
            if let RecordStatus::Superseded { by } = &r.status {
                assert_eq!(by, &all[k + 1].0.to_string());
            }
        }
    }
}
