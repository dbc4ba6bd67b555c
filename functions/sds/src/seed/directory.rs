//! The whole synthetic directory in memory: every organisation (the reference ones, then each
//! town's), their staff, systems, MHS records and mailboxes. Built in a few milliseconds and the
//! same on every machine; the reference set is a filter of it, so the two always agree.

use std::collections::{BTreeSet, HashSet};

use spine_shared::ports::Item;
use spine_shared::synthetic::places::TOWNS;

use super::staff::{StaffIds, staff_of};
use super::systems::{SystemIds, mailboxes_of, systems_of};
use super::{organisations, reference};
use crate::model::{AccreditedSystem, MeshMailbox, MhsRecord, Organisation, Person, RoleProfile};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directory {
    pub organisations: Vec<Organisation>,
    pub people: Vec<Person>,
    pub roles: Vec<RoleProfile>,
    pub systems: Vec<AccreditedSystem>,
    pub endpoints: Vec<MhsRecord>,
    pub mailboxes: Vec<MeshMailbox>,
}

impl Directory {
    /// The full directory. A generated organisation whose code an earlier one has (a reference
    /// organisation, or a pharmacy code two towns share) is left out.
    pub fn generate() -> Directory {
        let mut seen: HashSet<String> = HashSet::new();
        let mut d = Directory::default();
        let generated = (0..TOWNS.len()).flat_map(organisations::town);
        for o in reference::organisations().into_iter().chain(generated) {
            if seen.insert(o.ods.clone()) {
                d.organisations.push(o);
            }
        }
        for (person, roles) in reference::people() {
            d.people.push(person);
            d.roles.extend(roles);
        }
        let (mut staff, mut systems) = (StaffIds::default(), SystemIds::default());
        for o in &d.organisations {
            for (person, role) in staff_of(o, &mut staff) {
                d.people.push(person);
                d.roles.push(role);
            }
            let (s, e) = systems_of(o, &mut systems);
            d.systems.extend(s);
            d.endpoints.extend(e);
            d.mailboxes.extend(mailboxes_of(o));
        }
        d
    }

    /// The reference set: the reference organisations and everything that belongs to them.
    pub fn reference() -> Directory {
        let codes: BTreeSet<&str> = reference::reference_codes().into_iter().collect();
        Directory::generate().only(&codes)
    }

    /// The organisations with these codes and what belongs to them (people with a role there).
    pub fn only(self, codes: &BTreeSet<&str>) -> Directory {
        let keep = |ods: &str| codes.contains(ods);
        let roles: Vec<RoleProfile> = self.roles.into_iter().filter(|r| keep(&r.ods)).collect();
        let users: HashSet<&str> = roles.iter().map(|r| r.user_id.as_str()).collect();
        let people = self.people.into_iter().filter(|p| users.contains(p.user_id.as_str())).collect();
        Directory {
            organisations: self.organisations.into_iter().filter(|o| keep(&o.ods)).collect(),
            people,
            roles,
            systems: self.systems.into_iter().filter(|s| keep(&s.ods)).collect(),
            endpoints: self.endpoints.into_iter().filter(|e| keep(&e.ods)).collect(),
            mailboxes: self.mailboxes.into_iter().filter(|m| keep(&m.ods)).collect(),
        }
    }

    pub fn organisation(&self, ods: &str) -> Option<&Organisation> {
        self.organisations.iter().find(|o| o.ods == ods)
    }

    /// Every item the directory is stored as.
    pub fn items(&self) -> Vec<Item> {
        let mut items = Vec::new();
        items.extend(self.organisations.iter().flat_map(Organisation::items));
        items.extend(self.people.iter().map(Person::item));
        items.extend(self.roles.iter().map(RoleProfile::item));
        items.extend(self.systems.iter().flat_map(AccreditedSystem::items));
        items.extend(self.endpoints.iter().map(MhsRecord::item));
        items.extend(self.mailboxes.iter().flat_map(MeshMailbox::items));
        items
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use spine_shared::synthetic::{PHARMACIES_PER_TOWN, pharmacy_code, practices};

    use super::*;
    use crate::model::OrgType;
    use crate::seed::reference::{CLOSED_GP, HAROLD_GP, JANE_GP, JANE_PHARMACY, OLIVER_GP};

    fn unique<'a>(ids: impl Iterator<Item = &'a str>) -> bool {
        let mut seen = HashSet::new();
        ids.into_iter().all(|id| seen.insert(id))
    }

    #[test]
    fn the_directory_holds_every_organisation_the_population_uses() {
        let d = Directory::generate();
        assert!(d.organisations.len() > 2_000, "{}", d.organisations.len());
        let codes: HashSet<&str> = d.organisations.iter().map(|o| o.ods.as_str()).collect();
        for p in practices() {
            assert!(codes.contains(p.ods.as_str()), "{}", p.ods);
        }
        for town in 0..TOWNS.len() {
            for k in 1..=PHARMACIES_PER_TOWN {
                assert!(codes.contains(pharmacy_code(town, k).as_str()));
            }
        }
        for ods in [JANE_GP, OLIVER_GP, HAROLD_GP, CLOSED_GP, JANE_PHARMACY] {
            assert!(codes.contains(ods), "{ods}");
        }
        assert_eq!(d.organisation(HAROLD_GP).unwrap().kind, OrgType::GpPractice);
        assert!(!d.organisation(CLOSED_GP).unwrap().active);
    }

    #[test]
    fn every_reference_between_entries_resolves_and_every_id_is_unique() {
        let d = Directory::generate();
        let codes: HashSet<&str> = d.organisations.iter().map(|o| o.ods.as_str()).collect();
        assert!(unique(d.organisations.iter().map(|o| o.ods.as_str())));
        for o in &d.organisations {
            if let Some(parent) = &o.parent {
                assert!(codes.contains(parent.as_str()), "{} → {parent}", o.ods);
            }
            if o.kind == OrgType::GpPractice {
                assert_eq!(d.organisation(o.parent.as_deref().unwrap()).unwrap().kind, OrgType::Commissioner);
            }
        }
        assert!(d.roles.iter().all(|r| codes.contains(r.ods.as_str())));
        assert!(d.systems.iter().all(|s| codes.contains(s.ods.as_str()) && codes.contains(s.manufacturer.as_str())));
        assert!(d.endpoints.iter().all(|e| codes.contains(e.ods.as_str())));
        assert!(unique(d.people.iter().map(|p| p.user_id.as_str())));
        assert!(unique(d.roles.iter().map(|r| r.id.as_str())));
        assert!(unique(d.systems.iter().map(|s| s.asid.as_str())));
        assert!(unique(d.systems.iter().map(|s| s.id.as_str())));
        assert!(unique(d.endpoints.iter().map(|e| e.id.as_str())));
        assert!(unique(d.mailboxes.iter().map(|m| m.id.as_str())));
        let keys: Vec<String> = d.endpoints.iter().map(|e| format!("{}|{}", e.party_key, e.interaction)).collect();
        assert!(unique(keys.iter().map(String::as_str)));
        let items = d.items();
        let keys: Vec<String> = items.iter().map(|i| format!("{}\u{0}{}", i.pk, i.sk)).collect();
        assert!(unique(keys.iter().map(String::as_str)), "two items share a key");
    }

    #[test]
    fn the_reference_set_is_the_reference_organisations_and_what_belongs_to_them() {
        let r = Directory::reference();
        let full = Directory::generate();
        assert_eq!(r.organisations.len(), crate::seed::reference::reference_codes().len());
        for o in &r.organisations {
            assert_eq!(Some(o), full.organisation(&o.ods), "the reference set agrees with the full directory");
        }
        assert!(r.roles.iter().any(|role| role.id == "555021935107" && role.ods == JANE_GP));
        assert_eq!(r.systems.iter().filter(|s| s.ods == JANE_GP).count(), 2);
        assert!(r.mailboxes.iter().any(|m| m.id == "X26ABC1"));
        assert!(r.items().len() < 1_000);
    }

    #[test]
    fn the_directory_is_the_same_every_time() {
        assert_eq!(Directory::generate(), Directory::generate());
    }
}
