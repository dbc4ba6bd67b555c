//! The reference organisations and people: fixed entries the PDS reference patients, the sample
//! events in `events/` and the README rely on. `seed_reference` seeds exactly these (with the
//! systems, endpoints, mailboxes and staff the rules give them), so tests run on a small store.

use crate::model::{JobRole, OrgAddress, OrgType, Organisation, Person, RoleProfile};

/// Jane Smith's GP practice (9000000009), also Janet Smythe's (9000000025).
pub const JANE_GP: &str = "Y12345";
/// Oliver Jones's GP practice (9000000017).
pub const OLIVER_GP: &str = "Y23456";
/// Harold Baker's GP practice (9000000076): York's first generated practice.
pub const HAROLD_GP: &str = "B13001";
/// A closed practice: `active` false.
pub const CLOSED_GP: &str = "Y34567";
/// Jane Smith's nominated pharmacy.
pub const JANE_PHARMACY: &str = "FA666";
/// The Spine's own MHS (party key `YES-0000806`), as in SDS's examples.
pub const SPINE: &str = "YES";

/// The system suppliers (manufacturing organisations): ODS code, name, host name part.
pub const SUPPLIERS: [(&str, &str, &str); 6] = [
    ("YGA01", "Synthetic Clinical Systems Ltd", "scs"),
    ("YGA02", "Example Primary Care Software Ltd", "epcs"),
    ("YGA03", "Demonstration Health Systems Ltd", "dhs"),
    ("YGA04", "Sample Document Solutions Ltd", "sdoc"),
    ("YGA05", "Placeholder Pharmacy Systems Ltd", "pps"),
    ("YGA06", "Illustrative Hospital Systems Ltd", "ihs"),
];

/// Every ODS code of the reference set: the organisations above, their parents (Leeds's and
/// York's commissioners, NHS England), Leeds's trust, laboratory and council, and the suppliers.
pub fn reference_codes() -> Vec<&'static str> {
    let mut codes = vec![
        JANE_GP,
        OLIVER_GP,
        HAROLD_GP,
        CLOSED_GP,
        JANE_PHARMACY,
        SPINE,
        "X26",
        "10Q",
        "13Q",
        "RXA",
        "RXA01",
        "600",
    ];
    codes.extend(SUPPLIERS.iter().map(|s| s.0));
    codes
}

fn address(lines: &[&str], city: &str, postcode: &str) -> OrgAddress {
    OrgAddress {
        lines: lines.iter().map(|l| l.to_string()).collect(),
        city: city.into(),
        county: Some("West Yorkshire".into()),
        postcode: postcode.into(),
    }
}

fn organisation(ods: &str, name: &str, kind: OrgType, parent: Option<&str>, a: OrgAddress) -> Organisation {
    Organisation { ods: ods.into(), name: name.into(), kind, active: true, parent: parent.map(Into::into), address: a }
}

/// The fixed organisations (the generated ones of the reference set come from the town rules).
pub fn organisations() -> Vec<Organisation> {
    let leeds = "10Q";
    let mut out = vec![
        organisation(
            JANE_GP,
            "Boar Lane Medical Centre",
            OrgType::GpPractice,
            Some(leeds),
            address(&["10 Boar Lane", "City Centre"], "Leeds", "LS1 6EN"),
        ),
        organisation(
            OLIVER_GP,
            "Beeston Village Surgery",
            OrgType::GpPractice,
            Some(leeds),
            address(&["2 Town Street", "Beeston"], "Leeds", "LS11 8PN"),
        ),
        Organisation {
            active: false,
            ..organisation(
                CLOSED_GP,
                "Old Mill Surgery",
                OrgType::GpPractice,
                Some(leeds),
                address(&["1 Mill Lane"], "Leeds", "LS1 5AB"),
            )
        },
        organisation(
            JANE_PHARMACY,
            "Trevelyan Square Pharmacy",
            OrgType::Pharmacy,
            Some(leeds),
            address(&["5 Trevelyan Square", "Boar Lane"], "Leeds", "LS1 6AE"),
        ),
        organisation("X26", "NHS England", OrgType::NationalBody, None, address(&["1 Park Row"], "Leeds", "LS1 5HD")),
        organisation(
            SPINE,
            "NHS Spine Core Services",
            OrgType::NationalBody,
            Some("X26"),
            address(&["1 Park Row"], "Leeds", "LS1 5HD"),
        ),
    ];
    for (ods, name, _) in SUPPLIERS {
        out.push(organisation(
            ods,
            name,
            OrgType::Supplier,
            None,
            address(&["1 Wellington Street"], "Leeds", "LS1 4DL"),
        ));
    }
    out
}

/// The fixed people: user id, prefix, given, family, and their role profiles (id, ODS code, job
/// role). `555021935107` is the `NHSD-Session-URID` of the sample events; `555021935140` is
/// Boar Lane's privacy officer, who reviews the audit trail.
pub fn people() -> Vec<(Person, Vec<RoleProfile>)> {
    let person = |id: &str, prefix: Option<&str>, given: &str, family: &str| Person {
        user_id: id.into(),
        prefix: prefix.map(Into::into),
        given: given.into(),
        family: family.into(),
    };
    let role = |id: &str, user: &str, ods: &str, job_role: JobRole| {
        super::signing_keys::with_signing_key(RoleProfile {
            id: id.into(),
            user_id: user.into(),
            ods: ods.into(),
            job_role,
            activities: super::staff::activities(job_role),
            signing_key: None,
        })
    };
    vec![
        (
            person("555021930100", Some("Dr"), "Amelia", "Hart"),
            vec![
                role("555021935107", "555021930100", JANE_GP, JobRole::ClinicalPractitioner),
                role("555021935108", "555021930100", HAROLD_GP, JobRole::ClinicalPractitioner),
            ],
        ),
        (
            person("555021930101", None, "Samuel", "Okafor"),
            vec![role("555021935115", "555021930101", JANE_GP, JobRole::Nurse)],
        ),
        (
            person("555021930102", None, "Grace", "Whitfield"),
            vec![role("555021935123", "555021930102", OLIVER_GP, JobRole::AdminClinicalSupport)],
        ),
        (
            person("555021930103", None, "Imran", "Qureshi"),
            vec![role("555021935131", "555021930103", JANE_PHARMACY, JobRole::HealthProfessional)],
        ),
        (
            person("555021930104", None, "Nadia", "Brennan"),
            vec![role("555021935140", "555021930104", JANE_GP, JobRole::PrivacyOfficer)],
        ),
    ]
}
