//! End-to-end tests of the Spine Directory over HTTP: every request goes through the local
//! gateway, the shared pipeline and the directory handlers, on a fresh embedded store. Most tests
//! use the reference set (`spine_sds::seed::Directory::reference()`, seeded by
//! `support::seed_reference`) and take their expectations from that same in-memory directory:
//!
//! | ODS code | organisation                                                    |
//! |----------|-----------------------------------------------------------------|
//! | Y12345   | Boar Lane Medical Centre, LS1 6EN: two systems (party keys -0000806 and -0000807) |
//! | Y23456   | Beeston Village Surgery, LS11 8PN                               |
//! | Y34567   | Old Mill Surgery, LS1 5AB: closed (`active` false)              |
//! | B13001   | York's first generated practice                                 |
//! | FA666    | Trevelyan Square Pharmacy, LS1 6AE                              |
//! | YES      | NHS Spine Core Services: party key YES-0000806                  |
//!
//! The last tests seed the whole directory and check it against the PDS population.

mod support;

use std::sync::Arc;

use serde_json::Value;
use spine_sds::seed::Directory;
use spine_shared::ports::RecordStore;
use support::{Http, Reply, assert_outcome, embedded, gateway, reference_gateway};

const SDS: &str = "/spine-directory/FHIR/R4";
const ODS: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
const SVC: &str = "https://fhir.nhs.uk/Id/nhsServiceInteractionId";
const PARTY: &str = "https://fhir.nhs.uk/Id/nhsMhsPartyKey";
const ASID: &str = "https://fhir.nhs.uk/Id/nhsSpineASID";
const REPC: &str = "urn:nhs:names:services:psis:REPC_IN150016UK05";
const GPC: &str = "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1";
const TYPE_SYSTEM: &str = "https://spine.nhs.example/CodeSystem/organisation-type";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Percent-encodes a query component (everything but unreserved characters).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A query string from (name, value) pairs.
fn query(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

fn token(system: &str, value: &str) -> String {
    format!("{system}|{value}")
}

async fn get(http: &Http, resource: &str, pairs: &[(&str, &str)]) -> Reply {
    http.get(&format!("{SDS}/{resource}?{}", query(pairs))).await
}

/// Asserts a searchset Bundle with this `total` and returns its resources.
#[track_caller]
fn bundle(r: &Reply, total: usize) -> Vec<Value> {
    assert_eq!(r.status, 200, "unexpected answer: {:#}", r.body);
    assert_eq!(r.header("content-type"), Some("application/fhir+json"));
    assert_eq!(r.body["resourceType"], "Bundle");
    assert_eq!(r.body["type"], "searchset");
    assert_eq!(r.body["total"], total, "{:#}", r.body);
    assert_eq!(r.body["link"][0]["relation"], "self");
    let entries = r.body["entry"].as_array().cloned().unwrap_or_default();
    for e in &entries {
        assert_eq!(e["search"]["mode"], "match");
        let id = e["resource"]["id"].as_str().unwrap();
        assert!(e["fullUrl"].as_str().unwrap().ends_with(&format!("/{id}")), "{e:#}");
    }
    entries.into_iter().map(|e| e["resource"].clone()).collect()
}

fn ids(resources: &[Value]) -> Vec<String> {
    resources.iter().map(|r| r["id"].as_str().unwrap_or_default().to_owned()).collect()
}

/// The values of a resource's identifiers of this system.
fn identifier(resource: &Value, system: &str) -> Vec<String> {
    resource["identifier"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["system"] == system)
        .map(|i| i["value"].as_str().unwrap_or_default().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// GET /Organization/{id}
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_organisation_is_read_by_its_ods_code_as_a_fhir_organization() {
    // GIVEN the reference directory
    let (_dir, http, _) = reference_gateway().await;
    // WHEN Jane Smith's GP practice is read
    let r = http
        .send(
            "GET",
            &format!("{SDS}/Organization/Y12345"),
            &[("x-request-id", "f0b8d7a6-1d3c-4c8e-9a77-2b1f5a6c9e01")],
            "",
        )
        .await;
    // THEN it is the FHIR Organization with its code, name, type, status, parent and address
    assert_eq!(r.status, 200, "{:#}", r.body);
    assert_eq!(r.header("x-request-id"), Some("f0b8d7a6-1d3c-4c8e-9a77-2b1f5a6c9e01"));
    let o = &r.body;
    assert_eq!(o["resourceType"], "Organization");
    assert_eq!(o["id"], "Y12345");
    assert_eq!(identifier(o, ODS), ["Y12345"]);
    assert_eq!(o["name"], "Boar Lane Medical Centre");
    assert_eq!(o["active"], true);
    assert_eq!(o["type"][0]["coding"][0]["system"], TYPE_SYSTEM);
    assert_eq!(o["type"][0]["coding"][0]["code"], "gp-practice");
    assert_eq!(o["partOf"]["reference"], "Organization/10Q");
    assert_eq!(o["partOf"]["identifier"]["value"], "10Q");
    assert_eq!(o["address"][0]["postalCode"], "LS1 6EN");
    assert_eq!(o["address"][0]["city"], "Leeds");
    // AND its parent is in the directory too: the commissioning organisation
    let parent = http.get(&format!("{SDS}/Organization/10Q")).await;
    assert_eq!(parent.body["type"][0]["coding"][0]["code"], "commissioner");
}

#[tokio::test]
async fn closed_organisations_pharmacies_and_lower_case_codes_are_read_too() {
    let (_dir, http, _) = reference_gateway().await;
    let closed = http.get(&format!("{SDS}/Organization/Y34567")).await;
    assert_eq!((closed.status, &closed.body["active"]), (200, &Value::Bool(false)));
    let pharmacy = http.get(&format!("{SDS}/Organization/FA666")).await;
    assert_eq!(pharmacy.body["type"][0]["coding"][0]["code"], "pharmacy");
    let lower = http.get(&format!("{SDS}/Organization/y23456")).await;
    assert_eq!((lower.status, &lower.body["id"]), (200, &Value::from("Y23456")));
}

#[tokio::test]
async fn an_unknown_or_malformed_ods_code_is_refused() {
    let (_dir, http, _) = reference_gateway().await;
    assert_outcome(&http.get(&format!("{SDS}/Organization/Y99999")).await, 404, "RESOURCE_NOT_FOUND");
    for bad in ["Y1234567890", "Y12%2D345", "Y12%7C345", "%C3%A9"] {
        assert_outcome(&http.get(&format!("{SDS}/Organization/{bad}")).await, 400, "INVALID_RESOURCE_ID");
    }
    let no_id = http.send("GET", &format!("{SDS}/Organization/Y12345"), &[], "").await;
    assert_outcome(&no_id, 400, "MISSING_VALUE");
    let wrong_method = http
        .send("DELETE", &format!("{SDS}/Organization/Y12345"), &[("x-request-id", &support::request_id())], "")
        .await;
    assert_eq!(wrong_method.status, 405);
}

// ---------------------------------------------------------------------------------------------
// GET /Organization?…
// ---------------------------------------------------------------------------------------------

/// The reference organisations a search must find, by folded name then code.
fn expected(filter: impl Fn(&spine_sds::model::Organisation) -> bool) -> Vec<String> {
    let mut found: Vec<_> = Directory::reference().organisations.into_iter().filter(|o| filter(o)).collect();
    found.sort_by_key(|o| (o.folded_name(), o.ods.clone()));
    found.into_iter().map(|o| o.ods).collect()
}

#[tokio::test]
async fn organisations_are_searched_by_type_name_prefix_and_postcode() {
    let (_dir, http, _) = reference_gateway().await;
    let in_ls1 = |o: &spine_sds::model::Organisation| o.address.postcode.starts_with("LS1 ");

    // Type and postcode district: the open and the closed practice in LS1
    let want = expected(|o| o.kind == spine_sds::model::OrgType::GpPractice && in_ls1(o));
    assert!(want.contains(&"Y12345".to_owned()) && want.contains(&"Y34567".to_owned()));
    let r = get(&http, "Organization", &[("type", "gp-practice"), ("address-postalcode", "ls1")]).await;
    assert_eq!(ids(&bundle(&r, want.len())), want);
    assert_eq!(r.body["entry"][0]["fullUrl"], format!("{}{SDS}/Organization/{}", http.origin, want[0]));

    // A name prefix, folded: case, spaces and punctuation do not matter
    for name in ["Boar Lane", "boar", "BOAR-LANE MED"] {
        let r = get(&http, "Organization", &[("name", name)]).await;
        assert_eq!(ids(&bundle(&r, 1)), ["Y12345"], "{name}");
    }

    // A full postcode, with or without its space
    for postcode in ["LS1 6AE", "ls16ae"] {
        let r = get(&http, "Organization", &[("address-postalcode", postcode)]).await;
        assert_eq!(ids(&bundle(&r, 1)), ["FA666"], "{postcode}");
    }

    // A type with its system
    let r = get(&http, "Organization", &[("type", &token(TYPE_SYSTEM, "pharmacy"))]).await;
    assert_eq!(ids(&bundle(&r, 1)), ["FA666"]);

    // Every parameter at once
    let r =
        get(&http, "Organization", &[("type", "pharmacy"), ("name", "Trev"), ("address-postalcode", "LS1 6AE")]).await;
    assert_eq!(ids(&bundle(&r, 1)), ["FA666"]);

    // No match is an empty Bundle
    let r = get(&http, "Organization", &[("name", "Zzz")]).await;
    assert!(bundle(&r, 0).is_empty());
}

#[tokio::test]
async fn count_limits_the_entries_and_total_counts_every_match() {
    let (_dir, http, _) = reference_gateway().await;
    let want = expected(|o| o.kind == spine_sds::model::OrgType::Supplier);
    assert_eq!(want.len(), 6);
    let r = get(&http, "Organization", &[("type", "supplier"), ("_count", "2")]).await;
    assert_eq!(ids(&bundle(&r, 6)), want[..2]);
    let r = get(&http, "Organization", &[("type", "supplier")]).await;
    assert_eq!(ids(&bundle(&r, 6)), want);
}

#[tokio::test]
async fn a_search_the_directory_does_not_take_is_refused_with_its_code() {
    let (_dir, http, _) = reference_gateway().await;
    let cases: [(&[(&str, &str)], &str); 9] = [
        (&[], "UNSUPPORTED_SERVICE"),
        (&[("_count", "5")], "UNSUPPORTED_SERVICE"),
        (&[("name", "Boar"), ("pets", "cat")], "ADDITIONAL_PROPERTIES"),
        (&[("type", "hospital")], "UNSUPPORTED_VALUE"),
        (&[("type", "https://example.com/types|pharmacy")], "UNSUPPORTED_VALUE"),
        (&[("address-postalcode", "NOT A POSTCODE")], "INVALID_VALUE"),
        (&[("name", "B"), ("_count", "101")], "INVALID_VALUE"),
        (&[("name", "B"), ("_count", "0")], "INVALID_VALUE"),
        (&[("name", "Boar"), ("name", "Beeston")], "INVALID_SEARCH_DATA"),
    ];
    for (pairs, code) in cases {
        assert_outcome(&get(&http, "Organization", pairs).await, 400, code);
    }
    assert_outcome(&http.get(&format!("{SDS}/Organization")).await, 400, "UNSUPPORTED_SERVICE");
}

// ---------------------------------------------------------------------------------------------
// GET /Device
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn devices_are_the_accredited_systems_of_an_organisation_for_an_interaction() {
    let (_dir, http, _) = reference_gateway().await;
    let reference = Directory::reference();
    let mut at_y12345: Vec<_> = reference.systems.iter().filter(|s| s.ods == "Y12345").collect();
    at_y12345.sort_by(|a, b| a.asid.cmp(&b.asid));
    let org = token(ODS, "Y12345");
    let svc = token(SVC, REPC);

    // Both of Y12345's systems take part in the PSIS interaction
    let r = get(&http, "Device", &[("organization", &org), ("identifier", &svc)]).await;
    let devices = bundle(&r, 2);
    let asids: Vec<String> = devices.iter().flat_map(|d| identifier(d, ASID)).collect();
    assert_eq!(asids, at_y12345.iter().map(|s| s.asid.clone()).collect::<Vec<_>>());
    let clinical = &devices[0];
    assert_eq!(clinical["resourceType"], "Device");
    assert_eq!(identifier(clinical, PARTY), ["Y12345-0000806"]);
    assert_eq!(clinical["owner"]["identifier"]["system"], ODS);
    assert_eq!(clinical["owner"]["identifier"]["value"], "Y12345");
    let extensions = clinical["extension"].as_array().unwrap();
    assert!(extensions[0]["url"].as_str().unwrap().ends_with("Extension-SDS-ManufacturingOrganisation"));
    assert_eq!(extensions[0]["valueReference"]["identifier"]["value"], at_y12345[0].manufacturer);
    let interactions: Vec<&str> =
        extensions[1..].iter().map(|e| e["valueReference"]["identifier"]["value"].as_str().unwrap()).collect();
    assert!(interactions.contains(&REPC) && interactions.contains(&GPC));
    assert_eq!(
        r.body["link"][0]["url"],
        format!("{}{SDS}/Device?organization={org}&identifier={svc}", http.origin),
        "the self link is the request as made"
    );

    // The party key, as a second identifier, narrows to one
    let r = get(
        &http,
        "Device",
        &[("organization", &org), ("identifier", &svc), ("identifier", &token(PARTY, "Y12345-0000806"))],
    )
    .await;
    assert_eq!(identifier(&bundle(&r, 1)[0], ASID), [at_y12345[0].asid.clone()]);

    // So does the manufacturing organisation
    let r = get(
        &http,
        "Device",
        &[("organization", &org), ("identifier", &svc), ("manufacturing-organization", &token(ODS, "YGA04"))],
    )
    .await;
    assert_eq!(identifier(&bundle(&r, 1)[0], PARTY), ["Y12345-0000807"]);

    // No system of Y23456 dispenses: an empty Bundle
    let dispense = token(SVC, "urn:nhs:names:services:mm:PORX_IN132004SM30");
    let r = get(&http, "Device", &[("organization", &token(ODS, "Y23456")), ("identifier", &dispense)]).await;
    assert!(bundle(&r, 0).is_empty());
    // … but Jane's pharmacy's system does
    let r = get(&http, "Device", &[("organization", &token(ODS, "FA666")), ("identifier", &dispense)]).await;
    assert_eq!(bundle(&r, 1)[0]["owner"]["identifier"]["value"], "FA666");
}

#[tokio::test]
async fn a_device_lookup_without_its_parameters_is_refused_as_sds_refuses_it() {
    let (_dir, http, _) = reference_gateway().await;
    let org = token(ODS, "Y12345");
    let svc = token(SVC, REPC);
    let cases: [(Vec<(&str, String)>, &str); 8] = [
        (vec![], "MISSING_VALUE"),
        (vec![("identifier", svc.clone())], "MISSING_VALUE"),
        (vec![("organization", org.clone()), ("identifier", token(PARTY, "Y12345-0000806"))], "MISSING_VALUE"),
        (vec![("organization", token(ODS, "")), ("identifier", svc.clone())], "MISSING_VALUE"),
        (
            vec![
                ("organization", org.clone()),
                ("identifier", token("https://fhir.nhs.uk/Id/nhsEndpointServiceId", REPC)),
            ],
            "INVALID_VALUE",
        ),
        (vec![("organization", "Y12345".into()), ("identifier", svc.clone())], "INVALID_VALUE"),
        (vec![("organization", token(ODS, "Y12 345!")), ("identifier", svc.clone())], "INVALID_VALUE"),
        (
            vec![("organization", org.clone()), ("identifier", svc.clone()), ("apikey", "x".into())],
            "ADDITIONAL_PROPERTIES",
        ),
    ];
    for (pairs, code) in cases {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_outcome(&get(&http, "Device", &pairs).await, 400, code);
    }
}

// ---------------------------------------------------------------------------------------------
// GET /Endpoint
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn endpoints_are_found_by_each_combination_sds_takes() {
    let (_dir, http, _) = reference_gateway().await;
    let reference = Directory::reference();
    let count = |f: &dyn Fn(&spine_sds::model::MhsRecord) -> bool| reference.endpoints.iter().filter(|e| f(e)).count();
    let yes = token(ODS, "YES");
    let spine_party = token(PARTY, "YES-0000806");
    let svc = token(SVC, REPC);

    // Organisation, interaction and party key: the Spine's own reliable endpoint
    let r = get(&http, "Endpoint", &[("organization", &yes), ("identifier", &svc), ("identifier", &spine_party)]).await;
    let spine = &bundle(&r, 1)[0];
    assert_eq!(spine["resourceType"], "Endpoint");
    assert_eq!(spine["status"], "active");
    assert_eq!(spine["address"], "https://msg.spine.nhs.example/reliablemessaging/reliablerequest");
    assert_eq!(spine["managingOrganization"]["identifier"]["value"], "YES");
    assert_eq!(identifier(spine, PARTY), ["YES-0000806"]);
    assert_eq!(identifier(spine, "https://fhir.nhs.uk/Id/nhsMhsFQDN"), ["msg.spine.nhs.example"]);
    let reliability = &spine["extension"][0];
    assert!(reliability["url"].as_str().unwrap().ends_with("Extension-SDS-ReliabilityConfiguration"));
    assert!(
        reliability["extension"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["url"] == "nhsMHSRetries" && e["valueInteger"] == 2)
    );
    assert_eq!(spine["extension"][1]["valueReference"]["identifier"]["value"], REPC);

    // Interaction and party key, without the organisation
    let r = get(&http, "Endpoint", &[("identifier", &svc), ("identifier", &spine_party)]).await;
    assert_eq!(ids(&bundle(&r, 1)), ids(std::slice::from_ref(spine)));

    // Organisation and party key: every interaction of Y12345's clinical system
    let party = token(PARTY, "Y12345-0000806");
    let r = get(&http, "Endpoint", &[("organization", &token(ODS, "Y12345")), ("identifier", &party)]).await;
    bundle(&r, count(&|e| e.party_key == "Y12345-0000806"));

    // Organisation and interaction: both of Y12345's party keys take PSIS messages
    let r = get(&http, "Endpoint", &[("organization", &token(ODS, "Y12345")), ("identifier", &svc)]).await;
    let both = bundle(&r, 2);
    let parties: Vec<String> = both.iter().flat_map(|e| identifier(e, PARTY)).collect();
    assert_eq!(parties, ["Y12345-0000806", "Y12345-0000807"]);

    // A GP Connect interaction: the practice's FHIR service root
    let r = get(&http, "Endpoint", &[("organization", &token(ODS, "Y12345")), ("identifier", &token(SVC, GPC))]).await;
    let gpc = &bundle(&r, 1)[0];
    assert!(gpc["address"].as_str().unwrap().ends_with("/Y12345/STU3/1/gpconnect"), "{gpc:#}");

    // A party key of another organisation: nothing
    let r = get(&http, "Endpoint", &[("organization", &token(ODS, "Y23456")), ("identifier", &party)]).await;
    assert!(bundle(&r, 0).is_empty());
}

#[tokio::test]
async fn an_endpoint_lookup_outside_the_combinations_is_refused() {
    let (_dir, http, _) = reference_gateway().await;
    let org = token(ODS, "Y12345");
    let svc = token(SVC, REPC);
    let party = token(PARTY, "YES-0000806");
    let cases: [(Vec<(&str, &str)>, &str); 7] = [
        (vec![], "INVALID_SEARCH_DATA"),
        (vec![("organization", &org)], "INVALID_SEARCH_DATA"),
        (vec![("identifier", &party)], "INVALID_SEARCH_DATA"),
        (vec![("identifier", &svc)], "INVALID_SEARCH_DATA"),
        (
            vec![("organization", &org), ("identifier", &svc), ("manufacturing-organization", &org)],
            "ADDITIONAL_PROPERTIES",
        ),
        (vec![("organization", "Y12345"), ("identifier", &svc)], "INVALID_VALUE"),
        (
            vec![("organization", &org), ("identifier", "urn:nhs:names:services:psis:REPC_IN150016UK05")],
            "INVALID_VALUE",
        ),
    ];
    for (pairs, code) in cases {
        assert_outcome(&get(&http, "Endpoint", &pairs).await, 400, code);
    }
}

#[tokio::test]
async fn odd_query_strings_are_client_errors_never_failures() {
    let (_dir, http, _) = reference_gateway().await;
    for path in [
        "Organization?name=%FF%FE",
        "Organization?address-postalcode=%00",
        "Organization?type=%7C",
        "Organization?_count=99999999999999999999999",
        "Device?organization=%7C&identifier=%7C",
        "Device?organization=https://fhir.nhs.uk/Id/ods-organization-code%7C%E2%82%AC&identifier=x",
        "Endpoint?identifier=https://fhir.nhs.uk/Id/nhsMhsPartyKey%7C%23%23&identifier=https://fhir.nhs.uk/Id/nhsServiceInteractionId%7Curn%3Aa",
        "Endpoint?&&=&identifier",
    ] {
        let r = http.get(&format!("{SDS}/{path}")).await;
        assert!((400..500).contains(&r.status), "{path}: {} {:#}", r.status, r.body);
        assert_eq!(r.body["resourceType"], "OperationOutcome", "{path}");
    }
}

// ---------------------------------------------------------------------------------------------
// The whole directory, and the PDS population it serves
// ---------------------------------------------------------------------------------------------

/// A gateway over the whole seeded directory and the reference patients.
async fn full_gateway() -> (tempfile::TempDir, Http, Arc<dyn RecordStore>) {
    let (dir, store) = embedded();
    let records: Arc<dyn RecordStore> = Arc::new(store.records());
    spine_pds::seed::seed_reference(records.clone()).await.unwrap();
    spine_sds::seed::seed(records.clone()).await.unwrap().expect("a fresh store is seeded");
    (dir, gateway(records.clone(), Arc::new(store.queues())).await, records)
}

#[tokio::test]
async fn every_gp_practice_and_pharmacy_of_the_pds_population_is_in_the_directory() {
    let (_dir, http, _) = full_gateway().await;
    // GIVEN the first 300 patients of the synthetic population and the reference patients
    let mut codes = std::collections::BTreeSet::new();
    let records = spine_pds::seed::population::range(0, 300).into_iter().map(|(_, r, _)| r);
    let reference = spine_pds::seed::reference::records().into_iter().map(|(_, r, _)| r);
    for r in records.chain(reference) {
        for gp in &r.patient.general_practitioner {
            codes.insert(gp.identifier.value.clone());
        }
        for e in &r.patient.extension {
            if let Some(code) = e.pointer("/valueReference/identifier/value").and_then(Value::as_str) {
                codes.insert(code.to_owned());
            }
        }
    }
    assert!(codes.len() > 150, "{}", codes.len());
    // THEN each GP practice and pharmacy they name is an active organisation of its kind
    for code in codes {
        let r = http.get(&format!("{SDS}/Organization/{code}")).await;
        assert_eq!(r.status, 200, "{code}: {:#}", r.body);
        assert_eq!(r.body["active"], true, "{code}");
        let kind = r.body["type"][0]["coding"][0]["code"].as_str().unwrap();
        assert!(kind == "gp-practice" || kind == "pharmacy", "{code}: {kind}");
    }
}

#[tokio::test]
async fn the_whole_directory_searches_by_type_with_totals() {
    let (_dir, http, _) = full_gateway().await;
    let d = Directory::generate();
    let practices = d.organisations.iter().filter(|o| o.kind == spine_sds::model::OrgType::GpPractice).count();
    assert!(practices >= 560);
    let r = get(&http, "Organization", &[("type", "gp-practice"), ("_count", "100")]).await;
    let page = bundle(&r, practices);
    assert_eq!(page.len(), 100);
    let names: Vec<String> = page.iter().map(|o| spine_sds::values::fold_name(o["name"].as_str().unwrap())).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "sorted by name");
    // Every GP practice's parent is its commissioning organisation, which is in the directory
    let first = &page[0];
    let parent = first["partOf"]["identifier"]["value"].as_str().unwrap();
    let r = http.get(&format!("{SDS}/Organization/{parent}")).await;
    assert_eq!(r.body["type"][0]["coding"][0]["code"], "commissioner");
    // A district search in York finds its practices, B13001 among them
    let york = d.organisation("B13001").unwrap();
    let district = york.address.postcode.split(' ').next().unwrap();
    let r = get(&http, "Organization", &[("type", "gp-practice"), ("address-postalcode", district)]).await;
    assert!(ids(&bundle(&r, r.body["total"].as_u64().unwrap() as usize)).contains(&"B13001".to_owned()));
}
