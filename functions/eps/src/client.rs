//! What prescribing and dispensing systems send, built as EPS expects it: a prescription order
//! (signed with a prescriber's key as `$prepare` describes), a cancellation, a dispense
//! notification, a release request, return and withdrawal Tasks, and a Claim. The tests, the
//! sample events, the README's examples and the benchmark all send these; a real supplier's
//! messages carry much more (dosage, quantities, endorsements), which EPS keeps but does not read.

use p256::ecdsa::SigningKey;
use serde_json::{Value, json};

use crate::error::EpsError;
use crate::fhir::{
    DISPENSE_TYPE, GROUP_IDENTIFIER, ITEM_NUMBER, MESSAGE_EVENT, NHS_NUMBER, ODS, ORGANISATION_RELATIONSHIPS,
    PRESCRIPTION_ORDER_NUMBER, REPLACEMENT_OF, RETURN_REASON, RFC4122, ROLE_PROFILE, TASK_CODE, WITHDRAW_REASON, ident,
};
use crate::{fhir, signature};

fn header(event: &str) -> Value {
    json!({ "fullUrl": "urn:uuid:3599c0e9-9292-413e-9270-9a1ef1ead99c", "resource": {
        "resourceType": "MessageHeader",
        "eventCoding": { "system": MESSAGE_EVENT, "code": event },
        "source": { "endpoint": "https://directory.spineservices.nhs.uk/STU3/Organization/Y12345" },
    }})
}

/// An unsigned prescription order of one MedicationRequest per item id, for patient `nhs`, by the
/// prescriber in `role_profile` at `ods`.
pub fn order(id: &str, nhs: &str, role_profile: &str, ods: &str, items: &[&str], authored_on: &str) -> Value {
    let mut entries = vec![header("prescription-order")];
    for (n, item) in items.iter().enumerate() {
        entries.push(json!({ "fullUrl": format!("urn:uuid:{item}"), "resource": {
            "resourceType": "MedicationRequest",
            "identifier": [ident(ITEM_NUMBER, item)],
            "status": "active",
            "intent": "order",
            "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category", "code": "outpatient" }] }],
            "medicationCodeableConcept": { "coding": [{ "system": "http://snomed.info/sct", "code": "322237000", "display": "Paracetamol 500mg soluble tablets" }] },
            "subject": { "reference": "urn:uuid:78d3c2eb-009e-4ec8-a358-b042954aa9b2" },
            "requester": { "reference": "urn:uuid:56166769-c1c4-4d07-afa8-132b5dfca666" },
            "groupIdentifier": ident(PRESCRIPTION_ORDER_NUMBER, id),
            "authoredOn": authored_on,
            "dosageInstruction": [{ "sequence": n + 1, "text": "4 times a day" }],
            "dispenseRequest": { "quantity": { "value": 60, "unit": "tablet" }, "expectedSupplyDuration": { "value": 15, "unit": "day" } },
            "substitution": { "allowedBoolean": false },
        }}));
    }
    entries.push(json!({ "fullUrl": "urn:uuid:78d3c2eb-009e-4ec8-a358-b042954aa9b2", "resource": {
        "resourceType": "Patient", "identifier": [ident(NHS_NUMBER, nhs)],
    }}));
    entries.push(json!({ "fullUrl": "urn:uuid:56166769-c1c4-4d07-afa8-132b5dfca666", "resource": {
        "resourceType": "PractitionerRole",
        "identifier": [ident(ROLE_PROFILE, role_profile)],
        "organization": { "identifier": ident(ODS, ods) },
    }}));
    json!({ "resourceType": "Bundle", "identifier": ident(RFC4122, &uuid(id, "order")), "type": "message", "entry": entries })
}

/// `order` signed with `key` (what `$prepare` then the prescriber's smartcard produce), as its
/// Provenance.
pub fn signed(bundle: Value, key: &SigningKey, timestamp: &str) -> Result<Value, EpsError> {
    signed_with(bundle, timestamp, |digest| signature::sign(digest, key))
}

/// `order` signed by `sign`, which turns `$prepare`'s digest into `Provenance.signature.data`
/// ([`signature::sign_with`]).
pub fn signed_with(
    mut bundle: Value,
    timestamp: &str,
    sign: impl FnOnce(&str) -> Result<String, EpsError>,
) -> Result<Value, EpsError> {
    let fragments = fhir::messages::order(&bundle)?.fragments;
    let digest = signature::prepare(&fragments, timestamp);
    with_signature(&mut bundle, &sign(&digest)?);
    Ok(bundle)
}

/// Adds a Provenance carrying `data` as its signature.
pub fn with_signature(bundle: &mut Value, data: &str) {
    let provenance = json!({ "fullUrl": "urn:uuid:28828c55-8fa7-42d7-916f-fcf076e0c10e", "resource": {
        "resourceType": "Provenance",
        "recorded": "2026-11-22T09:00:00+00:00",
        "signature": [{
            "type": [{ "system": "urn:iso-astm:E1762-95:2013", "code": "1.2.840.10065.1.12.1.1" }],
            "when": "2026-11-22T09:00:00+00:00",
            "who": { "reference": "urn:uuid:56166769-c1c4-4d07-afa8-132b5dfca666" },
            "data": data,
        }],
    }});
    if let Some(entries) = bundle["entry"].as_array_mut() {
        entries.push(provenance);
    }
}

/// A cancellation of line item `item` of prescription `id`.
pub fn cancel(id: &str, nhs: &str, item: &str) -> Value {
    json!({ "resourceType": "Bundle", "type": "message", "entry": [
        header("prescription-order-update"),
        { "fullUrl": format!("urn:uuid:{item}"), "resource": {
            "resourceType": "MedicationRequest",
            "identifier": [ident(ITEM_NUMBER, item)],
            "status": "cancelled",
            "statusReason": { "coding": [{ "system": "https://fhir.nhs.uk/CodeSystem/medicationrequest-status-reason", "code": "0001", "display": "Prescribing Error" }] },
            "intent": "order",
            "subject": { "identifier": ident(NHS_NUMBER, nhs) },
            "groupIdentifier": ident(PRESCRIPTION_ORDER_NUMBER, id),
        }},
    ]})
}

/// A dispense notification `notification` by `ods` reporting each item's outcome (a
/// `medicationdispense-type` code: 0001 fully dispensed, 0003 partially, 0002 not dispensed…),
/// amending `replacement_of` when given.
pub fn dispense(
    notification: &str,
    id: &str,
    nhs: &str,
    ods: &str,
    items: &[(&str, &str)],
    replacement_of: Option<&str>,
) -> Value {
    let mut message_header = header("dispense-notification");
    if let Some(previous) = replacement_of {
        message_header["resource"]["extension"] =
            json!([{ "url": REPLACEMENT_OF, "valueIdentifier": ident(RFC4122, previous) }]);
    }
    let mut entries = vec![message_header];
    for (n, (item, status)) in items.iter().enumerate() {
        entries.push(json!({ "fullUrl": format!("urn:uuid:{}", uuid(notification, &n.to_string())), "resource": {
            "resourceType": "MedicationDispense",
            "contained": [{
                "resourceType": "MedicationRequest", "id": "m1",
                "identifier": [ident(ITEM_NUMBER, item)],
                "groupIdentifier": ident(PRESCRIPTION_ORDER_NUMBER, id),
                "status": "active", "intent": "order",
                "subject": { "identifier": ident(NHS_NUMBER, nhs) },
            }],
            "status": "completed",
            "type": { "coding": [{ "system": DISPENSE_TYPE, "code": status }] },
            "subject": { "identifier": ident(NHS_NUMBER, nhs) },
            "authorizingPrescription": [{ "reference": "#m1" }],
            "performer": [{ "actor": { "identifier": ident(ODS, ods) } }],
        }}));
    }
    entries.push(json!({ "fullUrl": "urn:uuid:2bf9f37c-d88b-4f86-ad5f-373c1416e04b", "resource": {
        "resourceType": "Organization",
        "identifier": [ident(ODS, ods)],
        "extension": [{ "url": ORGANISATION_RELATIONSHIPS, "extension": [
            { "url": "reimbursementAuthority", "valueIdentifier": ident(ODS, "T1450") },
        ]}],
    }}));
    json!({ "resourceType": "Bundle", "identifier": ident(RFC4122, notification), "type": "message", "entry": entries })
}

/// A release request: nominated for `owner`, or a patient release of `id`.
pub fn release(owner: &str, id: Option<&str>) -> Value {
    let mut parameter = vec![
        json!({ "name": "owner", "valueIdentifier": ident(ODS, owner) }),
        json!({ "name": "status", "valueCode": "accepted" }),
    ];
    if let Some(id) = id {
        parameter.push(json!({ "name": "group-identifier", "valueIdentifier": ident(PRESCRIPTION_ORDER_NUMBER, id) }));
    }
    json!({ "resourceType": "Parameters", "parameter": parameter })
}

fn task(id: &str, nhs: &str, ods: &str) -> Value {
    json!({
        "resourceType": "Task",
        "intent": "order",
        "groupIdentifier": ident(PRESCRIPTION_ORDER_NUMBER, id),
        "for": { "identifier": ident(NHS_NUMBER, nhs) },
        "owner": { "identifier": ident(ODS, ods) },
        "authoredOn": "2026-11-22T10:00:00+00:00",
    })
}

/// A return of prescription `id` to the Spine by `ods` (reason 0002: unable to dispense).
pub fn return_task(id: &str, nhs: &str, ods: &str) -> Value {
    let mut t = task(id, nhs, ods);
    t["status"] = json!("rejected");
    t["statusReason"] = json!({ "coding": [{ "system": RETURN_REASON, "code": "0002", "display": "Unable to dispense medication on prescriptions" }] });
    t
}

/// The withdrawal of dispense notification `notification` (reason MU: medication update).
pub fn withdraw_task(id: &str, nhs: &str, ods: &str, notification: &str) -> Value {
    let mut t = task(id, nhs, ods);
    t["status"] = json!("in-progress");
    t["code"] = json!({ "coding": [{ "system": TASK_CODE, "code": "abort" }] });
    t["statusReason"] =
        json!({ "coding": [{ "system": WITHDRAW_REASON, "code": "MU", "display": "Medication Update" }] });
    t["focus"] = json!({ "identifier": ident(RFC4122, notification) });
    t
}

/// Claim `claim` for prescription `id`, amending `replacement_of` when given.
pub fn claim(claim: &str, id: &str, nhs: &str, ods: &str, replacement_of: Option<&str>) -> Value {
    let mut c = json!({
        "resourceType": "Claim",
        "identifier": [ident(RFC4122, claim)],
        "status": "active",
        "use": "claim",
        "created": "2026-11-22T10:00:00+00:00",
        "patient": { "identifier": ident(NHS_NUMBER, nhs) },
        "provider": { "identifier": ident(ODS, ods) },
        "prescription": { "extension": [{ "url": GROUP_IDENTIFIER, "extension": [
            { "url": "shortForm", "valueIdentifier": ident(PRESCRIPTION_ORDER_NUMBER, id) },
        ]}]},
        "item": [{ "sequence": 1, "productOrService": { "coding": [{ "system": "http://snomed.info/sct", "code": "16076005", "display": "Prescription" }] },
            "programCode": [{ "coding": [{ "system": "https://fhir.nhs.uk/CodeSystem/DM-prescription-charge", "code": "not-paid" }] }] }],
    });
    if let Some(previous) = replacement_of {
        c["extension"] = json!([{ "url": REPLACEMENT_OF, "valueIdentifier": ident(RFC4122, previous) }]);
    }
    c
}

/// The line item ids of a two-item prescription built here: derived from its id, so every tool
/// (`spine eps`, the tests, the sample events, the benchmark) names the same items.
pub fn line_items(id: &str) -> [String; 2] {
    [uuid(id, "1"), uuid(id, "2")]
}

/// A stable UUID for a name (so built messages are reproducible).
pub fn uuid(name: &str, part: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("spine-eps:{name}:{part}").as_bytes()).to_string()
}
