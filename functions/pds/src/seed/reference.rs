//! The reference patients, after the PDS sandbox's: fixed NHS numbers with one of each kind of
//! record (full, restricted, minimal, superseded, invalidated, deceased). The sample events in
//! `events/` and the README's examples rely on them; they are seeded in every store.

use serde_json::{Value, json};
use spine_shared::NhsNumber;
use spine_shared::fhir::Patient;

use crate::model::{History, PatientRecord, RecordStatus};
use crate::rules::DEATH_NOTIFICATION_URL;

const UNRESTRICTED: &str = "U";
const RESTRICTED: &str = "R";

fn meta(code: &str) -> Value {
    let display = if code == RESTRICTED { "restricted" } else { "unrestricted" };
    json!({"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": code, "display": display}]})
}

fn identifier(nhs: &str) -> Value {
    json!([{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs, "extension": [{
        "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
        "valueCodeableConcept": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland", "code": "01", "display": "Number present and verified"}]}
    }]}])
}

fn gp(ods: &str) -> Value {
    json!([{"id": "254406A3", "type": "Organization", "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": ods, "period": {"start": "2020-01-01"}}}])
}

fn home(lines: &[&str], postcode: &str) -> Value {
    json!([{"id": "456", "use": "home", "period": {"start": "2020-01-01"}, "line": lines, "postalCode": postcode}])
}

fn related(nhs: &str, id: &str, relation: (&str, &str), given: &str, family: &str) -> Value {
    json!({
        "resourceType": "RelatedPerson",
        "id": id,
        "active": true,
        "patient": {"type": "Patient", "identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}},
        "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": relation.0, "display": relation.1}]}],
        "name": [{"use": "usual", "given": [given], "family": family}],
        "telecom": [{"system": "phone", "use": "home", "value": "01632960123"}]
    })
}

fn patient(v: Value) -> Patient {
    serde_json::from_value(v).expect("reference patients are valid Patients")
}

fn active(p: Value, related: Vec<Value>) -> PatientRecord {
    PatientRecord { status: RecordStatus::Active, patient: patient(p), history: History::default(), related }
}

/// The reference records: (NHS number, record, version).
pub fn records() -> Vec<(NhsNumber, PatientRecord, u64)> {
    let n = |s: &str| NhsNumber::parse(s).expect("reference NHS numbers are valid");
    let jane = active(
        json!({
            "resourceType": "Patient", "id": "9000000009", "meta": meta(UNRESTRICTED), "identifier": identifier("9000000009"),
            "name": [{"id": "123", "use": "usual", "period": {"start": "2010-10-22"}, "prefix": ["Miss"], "given": ["Jane"], "family": "Smith"}],
            "gender": "female", "birthDate": "2010-10-22",
            "address": home(&["1 Trevelyan Square", "Boar Lane", "City Centre", "Leeds", "West Yorkshire"], "LS1 6AE"),
            "telecom": [
                {"id": "789", "system": "phone", "use": "home", "value": "01632960587"},
                {"id": "790", "system": "email", "use": "home", "value": "jane.smith@example.com"}
            ],
            "contact": [{"id": "C123", "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "C", "display": "Emergency Contact"}]}], "telecom": [{"system": "phone", "value": "01632960587"}]}],
            "generalPractitioner": gp("Y12345"),
            "extension": [{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NominatedPharmacy", "valueReference": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "FA666"}}}]
        }),
        vec![
            related("9000000009", "507B7621", ("MTH", "mother"), "Sally", "Smith"),
            related("9000000009", "BE974742", ("FTH", "father"), "Oliver", "Jones"),
        ],
    );
    let oliver = active(
        json!({
            "resourceType": "Patient", "id": "9000000017", "meta": meta(UNRESTRICTED), "identifier": identifier("9000000017"),
            "name": [{"id": "124", "use": "usual", "period": {"start": "1975-03-14"}, "prefix": ["Mr"], "given": ["Oliver"], "family": "Jones"}],
            "gender": "male", "birthDate": "1975-03-14",
            "address": home(&["22 Cross Flatts Grove", "Beeston", "Leeds", "West Yorkshire"], "LS11 6AD"),
            "telecom": [{"id": "791", "system": "phone", "use": "home", "value": "01632960588"}],
            "generalPractitioner": gp("Y23456")
        }),
        vec![related("9000000017", "2F8D5C10", ("WIFE", "wife"), "Sarah", "Jones")],
    );
    let janet = active(
        json!({
            "resourceType": "Patient", "id": "9000000025", "meta": meta(RESTRICTED), "identifier": identifier("9000000025"),
            "name": [{"id": "125", "use": "usual", "period": {"start": "2005-06-16"}, "prefix": ["Miss"], "given": ["Janet"], "family": "Smythe"}],
            "gender": "female", "birthDate": "2005-06-16",
            "address": home(&["5 Secret Lane", "Leeds"], "LS2 9JT"),
            "telecom": [{"id": "792", "system": "email", "use": "home", "value": "janet.smythe@example.com"}, {"id": "793", "system": "phone", "use": "home", "value": "01632960587"}],
            "generalPractitioner": gp("Y12345")
        }),
        vec![],
    );
    let minimal = active(
        json!({
            "resourceType": "Patient", "id": "9000000033", "meta": meta(UNRESTRICTED), "identifier": identifier("9000000033"),
            "name": [{"id": "126", "use": "usual", "family": "Minimal"}]
        }),
        vec![],
    );
    let harold = active(
        json!({
            "resourceType": "Patient", "id": "9000000076", "meta": meta(UNRESTRICTED), "identifier": identifier("9000000076"),
            "name": [{"id": "127", "use": "usual", "period": {"start": "1932-01-01"}, "prefix": ["Mr"], "given": ["Harold"], "family": "Baker"}],
            "gender": "male", "birthDate": "1932-01-01", "deceasedDateTime": "2023-05-02T00:00:00+00:00",
            "address": home(&["3 Minster Yard", "York", "North Yorkshire"], "YO1 7HH"),
            "generalPractitioner": gp("B13001"),
            "extension": [{"url": DEATH_NOTIFICATION_URL, "extension": [
                {"url": "deathNotificationStatus", "valueCodeableConcept": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-DeathNotificationStatus", "code": "2", "display": "Formal - death notice received from Registrar of Deaths"}]}},
                {"url": "systemEffectiveDate", "valueDateTime": "2023-05-03T00:00:00+00:00"}
            ]}]
        }),
        vec![],
    );
    let stub = |status: RecordStatus, id: &str| PatientRecord {
        status,
        patient: patient(json!({"resourceType": "Patient", "id": id})),
        history: History::default(),
        related: vec![],
    };
    vec![
        (n("9000000009"), jane, 1),
        (n("9000000017"), oliver, 1),
        (n("9000000025"), janet, 1),
        (n("9000000033"), minimal, 1),
        (n("9000000041"), stub(RecordStatus::Superseded { by: "9000000009".into() }, "9000000041"), 1),
        (n("9000000068"), stub(RecordStatus::Invalidated, "9000000068"), 1),
        (n("9000000076"), harold, 1),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_reference_patients_keep_the_field_rules() {
        for (_, r, _) in records().iter().filter(|(_, r, _)| r.status == RecordStatus::Active) {
            let mut p = r.patient.clone();
            crate::rules::validate(None, &mut p, crate::rules::today()).unwrap();
        }
    }
}
