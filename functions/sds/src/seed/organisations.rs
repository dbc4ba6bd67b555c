//! The synthetic organisations, per town of the shared synthetic world: a commissioning
//! organisation (every GP practice's parent), an NHS trust with its pathology laboratory, a local
//! authority, the 20 GP practices and 30 community pharmacies the PDS population uses, 20 dental
//! practices and 10 opticians. Each organisation's details come from a generator seeded by its
//! ODS code, so one can be generated alone and is the same everywhere.

use spine_shared::synthetic::places::{STREETS, TOWNS, UNIT_LETTERS};
use spine_shared::synthetic::{PHARMACIES_PER_TOWN, PRACTICES_PER_TOWN, Rng, pharmacy_code, practice};

use crate::model::{OrgAddress, OrgType, Organisation};

/// Dental practices and opticians per town.
pub const DENTAL_PER_TOWN: u32 = 20;
pub const OPTICIANS_PER_TOWN: u32 = 10;
/// NHS England: the parent of every commissioner.
pub const NHS_ENGLAND: &str = "X26";

/// A generator for the thing named `key` (an ODS code, an ASID): FNV-1a of the key as its seed.
pub fn rng_for(key: &str) -> Rng {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    Rng::new(hash)
}

/// How the directory names a town: London's five postcode areas by their part of London.
pub fn place(town: usize) -> String {
    let (name, area, _, _) = TOWNS[town];
    if name != "London" {
        return name.to_owned();
    }
    match area {
        "E" => "East London",
        "N" => "North London",
        "SE" => "South East London",
        "SW" => "South West London",
        _ => "North West London",
    }
    .to_owned()
}

pub fn commissioner_code(town: usize) -> String {
    format!("{:02}Q", 10 + town)
}

pub fn trust_code(town: usize) -> String {
    format!("R{}{}", if town < 26 { 'X' } else { 'Y' }, (b'A' + (town % 26) as u8) as char)
}

pub fn laboratory_code(town: usize) -> String {
    format!("{}01", trust_code(town))
}

pub fn local_authority_code(town: usize) -> String {
    format!("{}", 600 + town)
}

/// A street word for a generated name (`High`, `Station`, …).
fn street_word(i: usize) -> &'static str {
    STREETS[i % STREETS.len()].split(' ').next().unwrap_or("Park")
}

/// An address in the town, drawn from the organisation's own generator.
pub fn address_in(town: usize, rng: &mut Rng) -> OrgAddress {
    let (name, area, county, _) = TOWNS[town];
    let letter = |rng: &mut Rng| UNIT_LETTERS[rng.below(UNIT_LETTERS.len() as u64) as usize] as char;
    let district = 1 + rng.below(28);
    let sector = rng.below(10);
    let (a, b) = (letter(rng), letter(rng));
    OrgAddress {
        lines: vec![format!("{} {}", 1 + rng.below(200), rng.pick(STREETS))],
        city: name.to_owned(),
        county: Some(county.to_owned()),
        postcode: format!("{area}{district} {sector}{a}{b}"),
    }
}

fn org(ods: String, name: String, kind: OrgType, parent: Option<String>, town: usize) -> Organisation {
    let mut rng = rng_for(&ods);
    let address = address_in(town, &mut rng);
    // A few dental practices and opticians have closed; practices and pharmacies stay open, as
    // the population is registered with them and nominates them.
    let active = !matches!(kind, OrgType::DentalPractice | OrgType::Optician) || !rng.chance(40);
    Organisation { ods, name, kind, active, parent, address }
}

/// Every organisation of one town, in a fixed order. Pharmacy codes an earlier town already has
/// are left to the caller to drop.
pub fn town(t: usize) -> Vec<Organisation> {
    let (town_name, ..) = TOWNS[t];
    let place = place(t);
    let commissioner = commissioner_code(t);
    let parent = || Some(commissioner.clone());
    let mut out = vec![
        org(
            commissioner.clone(),
            format!("NHS {place} Integrated Care Board"),
            OrgType::Commissioner,
            Some(NHS_ENGLAND.into()),
            t,
        ),
        org(trust_code(t), format!("{place} General Hospitals NHS Trust"), OrgType::NhsTrust, None, t),
        org(laboratory_code(t), format!("{place} Pathology Laboratory"), OrgType::Laboratory, Some(trust_code(t)), t),
        org(local_authority_code(t), format!("{place} Council"), OrgType::LocalAuthority, None, t),
    ];
    for k in 1..=PRACTICES_PER_TOWN {
        let p = practice(t, k);
        out.push(org(p.ods, p.name, OrgType::GpPractice, parent(), t));
    }
    const PHARMACY: [&str; 4] = ["Pharmacy", "Chemist", "Chemists", "Dispensary"];
    for k in 1..=PHARMACIES_PER_TOWN {
        let name = format!("{} {}, {town_name}", street_word(k as usize * 5 + t), PHARMACY[(k as usize + t) % 4]);
        out.push(org(pharmacy_code(t, k), name, OrgType::Pharmacy, parent(), t));
    }
    for k in 1..=DENTAL_PER_TOWN {
        let name = format!("{} Dental Practice, {town_name}", street_word(k as usize * 3 + t));
        out.push(org(format!("V{:02}{k:03}", 10 + t), name, OrgType::DentalPractice, parent(), t));
    }
    for k in 1..=OPTICIANS_PER_TOWN {
        let name = format!("{} Opticians, {town_name}", street_word(k as usize * 11 + t));
        out.push(org(format!("TP{:02}{k:02}", 10 + t), name, OrgType::Optician, parent(), t));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_town_has_every_kind_of_organisation_with_valid_codes() {
        let leeds = town(0);
        assert_eq!(leeds.len(), 4 + 20 + 30 + 20 + 10);
        assert_eq!(leeds[0].ods, "10Q");
        assert_eq!(leeds[1].ods, "RXA");
        assert_eq!(leeds[2].parent.as_deref(), Some("RXA"));
        for o in &leeds {
            assert_eq!(crate::values::ods_code(&o.ods).as_deref(), Some(o.ods.as_str()));
            assert!(crate::values::Postcode::keys_of(&o.address.postcode).is_some(), "{}", o.address.postcode);
            assert!(o.address.postcode.starts_with("LS"));
        }
        let practice = leeds.iter().find(|o| o.kind == OrgType::GpPractice).unwrap();
        assert_eq!(practice.parent.as_deref(), Some("10Q"));
        assert_eq!(town(0), leeds, "deterministic");
    }

    #[test]
    fn codes_are_distinct_across_towns() {
        assert_eq!(trust_code(27), "RYB");
        assert_eq!(place(26), "South West London");
        assert_eq!(local_authority_code(3), "603");
    }
}
