//! The directory repository against a seeded store: every lookup the APIs and the other services
//! make answers exactly what a filter of the in-memory directory (the oracle) gives. The whole
//! directory runs on the embedded store (and seeding it twice does nothing); the reference set
//! runs on DynamoDB (moto), which proves the key design on the real query semantics.

mod support;

use std::sync::Arc;

use spine_sds::model::{OrgType, Organisation};
use spine_sds::repository::{DeviceQuery, DirectoryRepository, EndpointQuery, OrgSearch};
use spine_sds::seed::{self, Directory};
use spine_sds::values::{Postcode, fold_name};
use spine_shared::ports::RecordStore;

#[tokio::test]
async fn every_lookup_agrees_with_the_whole_directory_on_the_embedded_store() {
    let (_dir, store) = support::embedded();
    let store: Arc<dyn RecordStore> = Arc::new(store.records());
    let started = std::time::Instant::now();
    let s = seed::seed(store.clone()).await.unwrap().expect("a fresh store is seeded");
    eprintln!("seeded {} organisations, {} items in {:?}", s.organisations, s.items, started.elapsed());
    assert!(s.organisations > 2_000);
    assert_eq!(seed::seed(store.clone()).await.unwrap(), None, "a second seed does nothing");
    check(&DirectoryRepository::new(store), &Directory::generate(), 13).await;
}

#[tokio::test]
async fn every_lookup_agrees_with_the_reference_set_on_dynamodb() {
    let store = support::dynamo().await;
    seed::seed_reference(store.clone()).await.unwrap();
    check(&DirectoryRepository::new(store), &Directory::reference(), 1).await;
}

/// What a search must find: every match, by folded name then ODS code.
fn oracle(d: &Directory, s: &OrgSearch) -> (usize, Vec<Organisation>) {
    let mut all: Vec<Organisation> = d
        .organisations
        .iter()
        .filter(|o| s.kind.is_none_or(|k| o.kind == k))
        .filter(|o| s.name.as_ref().is_none_or(|n| o.folded_name().starts_with(n.as_str())))
        .filter(|o| {
            s.postcode.as_ref().is_none_or(|p| {
                let (district, full) = Postcode::keys_of(&o.address.postcode).unwrap();
                p.district == district && p.full.as_ref().is_none_or(|f| *f == full)
            })
        })
        .cloned()
        .collect();
    all.sort_by_key(|o| (o.folded_name(), o.ods.clone()));
    let total = all.len();
    all.truncate(s.count);
    (total, all)
}

/// Checks every kind of lookup against `d`, taking every `step`-th entry as a sample.
async fn check(repo: &DirectoryRepository, d: &Directory, step: usize) {
    // Organisations by ODS code.
    for o in d.organisations.iter().step_by(step) {
        assert_eq!(repo.organisation(&o.ods).await.unwrap().as_ref(), Some(o));
    }
    assert_eq!(repo.organisation("Y99999").await.unwrap(), None);

    // Searches: every type alone and with name prefixes; postcodes with and without the rest.
    let mut searches = Vec::new();
    for kind in OrgType::ALL {
        searches.push(OrgSearch { kind: Some(kind), name: None, postcode: None, count: 100 });
        searches.push(OrgSearch { kind: Some(kind), name: Some("H".into()), postcode: None, count: 7 });
    }
    for name in ["B", "BOARLANE", "HIGH", "STATIONCHEMIST", "NHS", "LEEDS", "ZZZ"] {
        searches.push(OrgSearch { kind: None, name: Some(fold_name(name)), postcode: None, count: 20 });
    }
    for o in d.organisations.iter().step_by(step * 7) {
        let full = Postcode::parse(&o.address.postcode).unwrap();
        let district = Postcode { district: full.district.clone(), full: None };
        let first = o.folded_name()[..2].to_owned();
        searches.push(OrgSearch { kind: None, name: None, postcode: Some(full.clone()), count: 20 });
        searches.push(OrgSearch { kind: None, name: None, postcode: Some(district.clone()), count: 3 });
        searches.push(OrgSearch { kind: Some(o.kind), name: Some(first.clone()), postcode: Some(district), count: 20 });
        searches.push(OrgSearch { kind: None, name: Some(first), postcode: Some(full), count: 20 });
    }
    for s in &searches {
        let (total, expected) = oracle(d, s);
        let page = repo.search_organisations(s).await.unwrap();
        assert_eq!(page.total, total, "{s:?}");
        assert_eq!(page.organisations, expected, "{s:?}");
    }

    // Devices: an organisation and interaction, narrowed by party key and by manufacturer.
    for a in d.systems.iter().step_by(step) {
        for interaction in &a.interactions {
            let q = DeviceQuery {
                ods: a.ods.clone(),
                interaction: interaction.clone(),
                party_key: None,
                manufacturer: None,
            };
            let mut expected: Vec<_> =
                d.systems.iter().filter(|s| s.ods == a.ods && s.interactions.contains(interaction)).cloned().collect();
            expected.sort_by(|x, y| x.asid.cmp(&y.asid));
            assert_eq!(repo.devices(&q).await.unwrap(), expected);
            let by_party = DeviceQuery { party_key: a.party_key.clone(), ..q.clone() };
            assert!(repo.devices(&by_party).await.unwrap().iter().all(|s| s.party_key == a.party_key));
            let by_maker = DeviceQuery { manufacturer: Some(a.manufacturer.clone()), ..q };
            assert!(repo.devices(&by_maker).await.unwrap().contains(a));
        }
        assert_eq!(repo.device(&a.asid).await.unwrap().as_ref(), Some(a));
    }

    // Endpoints: the four combinations SDS takes.
    for e in d.endpoints.iter().step_by(step * 2) {
        let all = [
            EndpointQuery {
                ods: Some(e.ods.clone()),
                interaction: Some(e.interaction.clone()),
                party_key: Some(e.party_key.clone()),
            },
            EndpointQuery { ods: Some(e.ods.clone()), interaction: None, party_key: Some(e.party_key.clone()) },
            EndpointQuery { ods: Some(e.ods.clone()), interaction: Some(e.interaction.clone()), party_key: None },
            EndpointQuery { ods: None, interaction: Some(e.interaction.clone()), party_key: Some(e.party_key.clone()) },
        ];
        for q in all {
            let mut expected: Vec<_> = d
                .endpoints
                .iter()
                .filter(|m| q.ods.as_ref().is_none_or(|o| &m.ods == o))
                .filter(|m| q.interaction.as_ref().is_none_or(|i| &m.interaction == i))
                .filter(|m| q.party_key.as_ref().is_none_or(|p| &m.party_key == p))
                .cloned()
                .collect();
            expected.sort_by(|a, b| (&a.party_key, &a.interaction).cmp(&(&b.party_key, &b.interaction)));
            assert!(!expected.is_empty());
            assert_eq!(repo.endpoints(&q).await.unwrap(), expected, "{q:?}");
        }
    }

    // MESH: ODS code + workflow → mailboxes; mailboxes by id and by organisation.
    for m in &d.mailboxes {
        for w in &m.workflows {
            let found = repo.mesh_mailboxes(&m.ods, w).await.unwrap();
            let expected: Vec<_> = d.mailboxes.iter().filter(|x| x.ods == m.ods && x.workflows.contains(w)).collect();
            assert_eq!(found.iter().collect::<Vec<_>>(), expected);
        }
    }
    assert_eq!(repo.mesh_mailbox("X26ABC2").await.unwrap().unwrap().ods, "X26");
    assert_eq!(repo.mesh_mailboxes_of("X26").await.unwrap().len(), 3);
    assert!(repo.mesh_mailboxes("Y12345", "NO_SUCH_WORKFLOW").await.unwrap().is_empty());
    assert!(repo.mesh_mailboxes("Y12345", "A|B").await.unwrap().is_empty());

    // People and role profiles.
    for r in d.roles.iter().step_by(step * 3) {
        assert_eq!(repo.role_profile(&r.id).await.unwrap().as_ref(), Some(r));
        let (person, roles) = repo.person(&r.user_id).await.unwrap().unwrap();
        assert_eq!(person.user_id, r.user_id);
        assert!(roles.contains(r));
        assert!(repo.staff(&r.ods).await.unwrap().contains(r));
    }
    let (hart, roles) = repo.person("555021930100").await.unwrap().unwrap();
    assert_eq!(hart.family, "Hart");
    assert_eq!(roles.len(), 2);
    assert_eq!(repo.role_profile("000000000000").await.unwrap(), None);
}
