//! The messages EPS takes, read from their FHIR JSON into what the lifecycle needs, refusing
//! what is missing or malformed with EPS's codes: a prescription order (and its signed
//! fragments), a cancellation, a dispense notification, a release request, a return or withdrawal
//! Task, and a Claim.

use serde_json::Value;
use spine_shared::NhsNumber;

use super::{
    CONTROLLED_DRUG, DISPENSE_TYPE, GROUP_IDENTIFIER, ITEM_NUMBER, MESSAGE_EVENT, NHS_NUMBER, ODS,
    ORGANISATION_RELATIONSHIPS, PRESCRIPTION_ORDER_NUMBER, REPLACEMENT_OF, RETURN_REASON, RFC4122, ROLE_PROFILE,
    TASK_CODE, WITHDRAW_REASON, code, extension, identifier, identifier_value, of_type, parameter, resolve,
};
use crate::consistency;
use crate::error::EpsError;
use crate::model::{LineItem, validity_days};
use crate::prescription_id::PrescriptionId;
use crate::status::LineItemStatus;

/// The message kinds `$process-message` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Order,
    OrderUpdate,
    DispenseNotification,
}

/// EPS's refusal of a body that is not the resource an endpoint takes (`value`).
fn expect_resource(body: &Value, resource_type: &str) -> Result<(), EpsError> {
    if body["resourceType"] == resource_type {
        Ok(())
    } else {
        Err(EpsError::invalid_value(format!("Incorrect FHIR resource type. Expected {resource_type}.")))
    }
}

/// EPS's refusal of a field that holds none of the values it may (`value`): `Task.status must be
/// one of: 'in-progress', 'rejected'`.
fn not_one_of(field: &str, allowed: &[&str]) -> EpsError {
    let allowed: Vec<String> = allowed.iter().map(|v| format!("'{v}'")).collect();
    EpsError::invalid_value(format!("{field} must be one of: {}", allowed.join(", ")))
}

/// Checks a body is a Bundle and names its message kind (the MessageHeader's event).
pub fn message_kind(bundle: &Value) -> Result<MessageKind, EpsError> {
    expect_resource(bundle, "Bundle")?;
    let header = of_type(bundle, "MessageHeader")
        .next()
        .ok_or_else(|| EpsError::invalid("Required field MessageHeader is missing."))?;
    let event = &header["eventCoding"];
    match (event["system"].as_str(), event["code"].as_str()) {
        (Some(MESSAGE_EVENT), Some("prescription-order")) => Ok(MessageKind::Order),
        (Some(MESSAGE_EVENT), Some("prescription-order-update")) => Ok(MessageKind::OrderUpdate),
        (Some(MESSAGE_EVENT), Some("dispense-notification")) => Ok(MessageKind::DispenseNotification),
        (_, Some(_)) => Err(EpsError::invalid_value(
            "MessageHeader.eventCoding.code must be one of: prescription-order, prescription-order-update, dispense-notification.",
        )),
        _ => Err(EpsError::invalid("Required field MessageHeader.eventCoding is missing.")),
    }
}

/// The prescription id of a Bundle's MedicationRequest (`groupIdentifier`); a bad check
/// character or layout is `FAILURE_TO_PROCESS_MESSAGE`, as EPS answers an unprocessable id.
fn prescription_id(group: &Value) -> Result<PrescriptionId, EpsError> {
    let text = identifier_value(group, PRESCRIPTION_ORDER_NUMBER)
        .ok_or_else(|| EpsError::invalid("Required field groupIdentifier is missing."))?;
    PrescriptionId::parse(text).map_err(|e| EpsError::failure_to_process(e.diagnostics().to_owned()))
}

/// The patient a resource's `subject` names: a reference to a Patient in the Bundle or an
/// identifier. An NHS number that fails its check digit is `FAILURE_TO_PROCESS_MESSAGE`.
fn patient_of<'a>(bundle: &'a Value, resource: &'a Value) -> Result<(NhsNumber, Option<&'a Value>), EpsError> {
    let subject = &resource["subject"];
    let patient = resolve(bundle, resource, subject);
    let text = match patient {
        Some(p) => identifier(p, NHS_NUMBER),
        None => identifier_value(&subject["identifier"], NHS_NUMBER),
    }
    .ok_or_else(|| EpsError::invalid("Required field subject (the patient's NHS number) is missing."))?;
    let nhs = NhsNumber::parse(text)
        .map_err(|_| EpsError::failure_to_process("Unable to process message: invalid NHS number."))?;
    Ok((nhs, patient))
}

/// A prescription order, as `$prepare` and `prescription-order` read it.
pub struct Order<'a> {
    pub id: PrescriptionId,
    pub nhs: NhsNumber,
    /// The prescriber's role profile (the requester PractitionerRole's SDS role profile id).
    pub role_profile: String,
    pub authored_on: String,
    /// The line items' ids (`prescription-order-item-number`).
    pub items: Vec<String>,
    /// How many days it may be dispensed for: 28 with a controlled drug of Schedule 2, 3 or 4.
    pub validity_days: i64,
    /// What the prescriber signs: the MedicationRequests, the Patient and the PractitionerRole.
    pub fragments: Value,
    /// Provenance.signature[0].data, when present.
    pub signature: Option<&'a str>,
}

pub fn order(bundle: &Value) -> Result<Order<'_>, EpsError> {
    expect_resource(bundle, "Bundle")?;
    let requests = consistency::medication_requests(bundle);
    consistency::check(&requests)?;
    let first = requests[0];
    let id = prescription_id(&first["groupIdentifier"])?;
    let (nhs, patient) = patient_of(bundle, first)?;
    let role = resolve(bundle, first, &first["requester"])
        .ok_or_else(|| EpsError::invalid("Required field requester (a PractitionerRole in the Bundle) is missing."))?;
    let role_profile = identifier(role, ROLE_PROFILE)
        .ok_or_else(|| {
            EpsError::invalid("Required field practitionerRole.identifier (SDS role profile id) is missing.")
        })?
        .to_owned();
    let authored_on = first["authoredOn"]
        .as_str()
        .filter(|t| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).is_ok())
        .ok_or_else(|| {
            EpsError::invalid("Required field authoredOn (an RFC 3339 date and time) is missing or invalid.")
        })?
        .to_owned();
    let mut items = Vec::with_capacity(requests.len());
    let mut schedules = Vec::new();
    for r in &requests {
        let item = identifier(r, ITEM_NUMBER)
            .ok_or_else(|| EpsError::invalid("Required field MedicationRequest.identifier is missing."))?;
        items.push(item.to_owned());
        schedules.extend(controlled_drug_schedule(r)?);
    }
    let validity_days = validity_days(schedules);
    let signature = of_type(bundle, "Provenance")
        .flat_map(|p| p["signature"].as_array().into_iter().flatten())
        .find_map(|s| s["data"].as_str())
        .filter(|d| !d.is_empty());
    let fragments = serde_json::json!({
        "medicationRequests": requests,
        "patient": patient,
        "practitionerRole": role,
    });
    Ok(Order { id, nhs, role_profile, authored_on, items, validity_days, fragments, signature })
}

/// A MedicationRequest's controlled-drug schedule (`Extension-DM-ControlledDrug`'s `schedule`:
/// CD1, CD2, CD3, CD4-1, CD4-2 or CD5), if it is a controlled drug.
fn controlled_drug_schedule(request: &Value) -> Result<Option<&str>, EpsError> {
    let ext = extension(request, CONTROLLED_DRUG);
    if ext.is_null() {
        return Ok(None);
    }
    let schedule = ext["extension"]
        .as_array()
        .and_then(|parts| parts.iter().find(|p| p["url"] == "schedule"))
        .and_then(|p| p["valueCoding"]["code"].as_str());
    match schedule {
        Some(code @ ("CD1" | "CD2" | "CD3" | "CD4-1" | "CD4-2" | "CD5")) => Ok(Some(code)),
        Some(other) => Err(EpsError::invalid_value(format!(
            "{other} is not a controlled drug schedule (CD1, CD2, CD3, CD4-1, CD4-2 or CD5)."
        ))),
        None => Ok(None),
    }
}

/// A cancellation (`prescription-order-update`).
pub struct Cancel {
    pub id: PrescriptionId,
    pub nhs: NhsNumber,
    pub item: String,
    pub reason: String,
}

pub fn cancel(bundle: &Value) -> Result<Cancel, EpsError> {
    let requests = consistency::medication_requests(bundle);
    let [request] = requests.as_slice() else {
        return Err(EpsError::invalid_value(
            "The Bundle must contain exactly one MedicationRequest if MessageHeader.eventCoding.code is 'prescription-order-update'.",
        ));
    };
    if request["status"] != "cancelled" {
        return Err(EpsError::invalid_value("MedicationRequest.status must be 'cancelled' to cancel."));
    }
    let reason = request["statusReason"]["coding"][0]["code"]
        .as_str()
        .ok_or_else(|| EpsError::invalid_value("Expected MedicationRequest to have a value for statusReason."))?
        .to_owned();
    let id = prescription_id(&request["groupIdentifier"])?;
    let (nhs, _) = patient_of(bundle, request)?;
    let item = identifier(request, ITEM_NUMBER)
        .ok_or_else(|| EpsError::invalid("Required field MedicationRequest.identifier is missing."))?
        .to_owned();
    Ok(Cancel { id, nhs, item, reason })
}

/// The `replacementOf` extension's identifier value, if the resource has one.
fn replacement_of(resource: &Value) -> Option<String> {
    let ext = extension(resource, REPLACEMENT_OF);
    identifier_value(&ext["valueIdentifier"], RFC4122).map(str::to_owned)
}

/// A dispense notification.
pub struct Dispense {
    /// The notification's id (Bundle.identifier).
    pub notification: String,
    pub id: PrescriptionId,
    pub nhs: NhsNumber,
    pub items: Vec<LineItem>,
    /// The notification it amends (MessageHeader's `replacementOf`).
    pub replacement_of: Option<String>,
}

pub fn dispense(bundle: &Value) -> Result<Dispense, EpsError> {
    let notification = identifier_value(&bundle["identifier"], RFC4122)
        .ok_or_else(|| EpsError::invalid("Required field Bundle.identifier is missing."))?
        .to_owned();
    let header = of_type(bundle, "MessageHeader").next().unwrap_or(&Value::Null);
    let replacement_of = replacement_of(header);
    let authority = of_type(bundle, "Organization").find_map(|o| {
        let ext = extension(o, ORGANISATION_RELATIONSHIPS);
        ext["extension"].as_array()?.iter().find(|e| e["url"] == "reimbursementAuthority").cloned()
    });
    match authority {
        None => {
            return Err(EpsError::invalid(
                "The dispense notification is missing the reimbursement authority and it should be provided.",
            ));
        }
        Some(a) if identifier_value(&a["valueIdentifier"], ODS).is_none() => {
            return Err(EpsError::invalid(
                "The dispense notification is missing the ODS code for the reimbursement authority and it should be provided.",
            ));
        }
        Some(_) => {}
    }
    let dispenses: Vec<&Value> = of_type(bundle, "MedicationDispense").collect();
    if dispenses.is_empty() {
        return Err(EpsError::invalid("The Bundle must contain at least one MedicationDispense."));
    }
    let mut ids = Vec::new();
    let mut patients = Vec::new();
    let mut items = Vec::with_capacity(dispenses.len());
    for d in dispenses {
        let request = d["authorizingPrescription"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(|r| resolve(bundle, d, r))
            .ok_or_else(|| {
                EpsError::invalid("Required field MedicationDispense.authorizingPrescription (a contained MedicationRequest) is missing.")
            })?;
        ids.push(prescription_id(&request["groupIdentifier"])?);
        patients.push(patient_of(bundle, d)?.0);
        let item = identifier(request, ITEM_NUMBER)
            .ok_or_else(|| EpsError::invalid("Required field MedicationRequest.identifier is missing."))?;
        let status = code(&d["type"], DISPENSE_TYPE)
            .ok_or_else(|| EpsError::invalid("Required field MedicationDispense.type is missing."))?;
        let status = LineItemStatus::from_code(status).filter(|s| s.is_dispense_outcome()).ok_or_else(|| {
            EpsError::invalid_value(format!(
                "MedicationDispense.type '{}' is not a dispensing outcome.",
                status.chars().take(8).collect::<String>()
            ))
        })?;
        items.push(LineItem { id: item.to_owned(), status });
    }
    let id = ids.swap_remove(0);
    if ids.iter().any(|other| other != &id) {
        return Err(EpsError::invalid("Every MedicationDispense must be for the same prescription."));
    }
    let nhs = patients.swap_remove(0);
    if patients.iter().any(|other| other != &nhs) {
        return Err(EpsError::invalid("Every MedicationDispense must be for the same patient."));
    }
    Ok(Dispense { notification, id, nhs, items, replacement_of })
}

/// A release request (`Task/$release` Parameters).
pub struct Release {
    pub owner: String,
    /// A patient release names one prescription.
    pub prescription: Option<PrescriptionId>,
}

pub fn release(parameters: &Value) -> Result<Release, EpsError> {
    expect_resource(parameters, "Parameters")?;
    let owner = parameter(parameters, "owner")
        .and_then(|p| identifier_value(&p["valueIdentifier"], ODS))
        .ok_or_else(|| EpsError::invalid("Required parameter owner is missing."))?
        .to_owned();
    let prescription = match parameter(parameters, "group-identifier") {
        None => None,
        Some(p) => {
            let text = identifier_value(&p["valueIdentifier"], PRESCRIPTION_ORDER_NUMBER)
                .ok_or_else(|| EpsError::invalid("Parameter group-identifier needs a valueIdentifier."))?;
            Some(PrescriptionId::parse(text)?)
        }
    };
    Ok(Release { owner, prescription })
}

/// A Task a dispenser sends: a return to the Spine, or the withdrawal of a dispense notification.
pub enum TaskUpdate {
    Return { id: PrescriptionId, reason: String },
    Withdraw { id: PrescriptionId, notification: String, reason: String },
}

/// A Task's reason in `system` (`statusReason`), or EPS's refusal.
fn task_reason<'a>(task: &'a Value, system: &str) -> Result<&'a str, EpsError> {
    code(&task["statusReason"], system).ok_or_else(|| {
        EpsError::invalid_value(format!(
            "Task.statusReason must have a system of '{system}' and a value from that system."
        ))
    })
}

/// Reads a return or withdrawal. The Task itself is checked first, as EPS checks it: its intent
/// (`order`), its status (`rejected` for a return, `in-progress` for a withdrawal), a withdrawal's
/// code (`abort`) and the reason in the status's code system; then what it names.
pub fn task_update(task: &Value) -> Result<(TaskUpdate, NhsNumber), EpsError> {
    expect_resource(task, "Task")?;
    if task["intent"] != "order" {
        return Err(not_one_of("Task.intent", &["order"]));
    }
    let (reason, withdraw) = match task["status"].as_str() {
        Some("rejected") => (task_reason(task, RETURN_REASON)?, false),
        Some("in-progress") => {
            if task["code"].is_null() {
                return Err(EpsError::invalid_value("Task.code is required when Task.status is 'in-progress'."));
            }
            if code(&task["code"], TASK_CODE) != Some("abort") {
                return Err(not_one_of("Task.code.coding.code", &["abort"]));
            }
            (task_reason(task, WITHDRAW_REASON)?, true)
        }
        _ => return Err(not_one_of("Task.status", &["in-progress", "rejected"])),
    };
    let id = prescription_id(&task["groupIdentifier"])?;
    let nhs = identifier_value(&task["for"]["identifier"], NHS_NUMBER)
        .ok_or_else(|| EpsError::invalid("Required field Task.for (the patient's NHS number) is missing."))?;
    let nhs = NhsNumber::parse(nhs).map_err(|_| EpsError::invalid_value("Task.for is not a valid NHS number."))?;
    let reason = reason.to_owned();
    let update = if withdraw {
        let notification = identifier_value(&task["focus"]["identifier"], RFC4122).ok_or_else(|| {
            EpsError::invalid("Required field Task.focus.identifier (the dispense notification) is missing.")
        })?;
        TaskUpdate::Withdraw { id, notification: notification.to_owned(), reason }
    } else {
        TaskUpdate::Return { id, reason }
    };
    Ok((update, nhs))
}

/// A claim (or its amendment).
pub struct ClaimMessage {
    pub claim: String,
    pub id: PrescriptionId,
    pub nhs: NhsNumber,
    pub replacement_of: Option<String>,
}

pub fn claim(claim: &Value) -> Result<ClaimMessage, EpsError> {
    expect_resource(claim, "Claim")?;
    let claim_id = identifier(claim, RFC4122)
        .ok_or_else(|| EpsError::invalid("Required field Claim.identifier is missing."))?
        .to_owned();
    let group = extension(&claim["prescription"], GROUP_IDENTIFIER);
    let short = group["extension"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["url"] == "shortForm"))
        .map(|e| &e["valueIdentifier"])
        .ok_or_else(|| EpsError::invalid("Required field Claim.prescription (the group identifier) is missing."))?;
    let id = prescription_id(short)?;
    let nhs = identifier_value(&claim["patient"]["identifier"], NHS_NUMBER)
        .ok_or_else(|| EpsError::invalid("Required field Claim.patient is missing."))?;
    let nhs = NhsNumber::parse(nhs).map_err(|_| EpsError::invalid_value("Claim.patient is not a valid NHS number."))?;
    if claim["item"].as_array().is_none_or(|i| i.is_empty()) {
        return Err(EpsError::invalid("The claim is missing the required endorsement code."));
    }
    Ok(ClaimMessage { claim: claim_id, id, nhs, replacement_of: replacement_of(claim) })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::client;
    use crate::error::IssueType;
    use crate::reference::{PATIENT, PHARMACY, WITH_DISPENSER, order_bundle};

    /// A 400 `value` refusal with exactly EPS's diagnostics.
    #[track_caller]
    fn assert_value<T>(result: Result<T, EpsError>, diagnostics: &str) {
        let Err(e) = result else { panic!("accepted; expected '{diagnostics}'") };
        assert_eq!((e.status(), e.issue(), e.diagnostics()), (400, IssueType::Value, diagnostics));
    }

    #[test]
    fn a_body_of_another_resource_type_gets_epss_diagnostics_at_every_endpoint() {
        let patient = json!({"resourceType": "Patient"});
        assert_value(message_kind(&patient), "Incorrect FHIR resource type. Expected Bundle.");
        assert_value(order(&patient), "Incorrect FHIR resource type. Expected Bundle.");
        assert_value(release(&patient), "Incorrect FHIR resource type. Expected Parameters.");
        assert_value(task_update(&patient), "Incorrect FHIR resource type. Expected Task.");
        assert_value(claim(&patient), "Incorrect FHIR resource type. Expected Claim.");
    }

    #[test]
    fn an_unknown_message_event_is_refused_naming_the_three_eps_takes() {
        let mut bundle = client::cancel(WITH_DISPENSER, PATIENT, "item");
        assert_eq!(message_kind(&bundle).unwrap(), MessageKind::OrderUpdate);
        bundle["entry"][0]["resource"]["eventCoding"]["code"] = json!("prescription-teleport");
        assert_value(
            message_kind(&bundle),
            "MessageHeader.eventCoding.code must be one of: prescription-order, prescription-order-update, dispense-notification.",
        );
    }

    #[test]
    fn a_cancellation_needs_one_medication_request_with_a_status_reason() {
        let good = client::cancel(WITH_DISPENSER, PATIENT, "item");
        assert_eq!(cancel(&good).unwrap().item, "item");
        let mut two = good.clone();
        let request = two["entry"][1].clone();
        two["entry"].as_array_mut().unwrap().push(request);
        assert_value(
            cancel(&two),
            "The Bundle must contain exactly one MedicationRequest if MessageHeader.eventCoding.code is 'prescription-order-update'.",
        );
        let mut no_reason = good;
        no_reason["entry"][1]["resource"].as_object_mut().unwrap().remove("statusReason");
        assert_value(cancel(&no_reason), "Expected MedicationRequest to have a value for statusReason.");
    }

    #[test]
    fn a_task_is_checked_as_eps_checks_it() {
        let returned = client::return_task(WITH_DISPENSER, PATIENT, PHARMACY);
        let withdrawn = client::withdraw_task(WITH_DISPENSER, PATIENT, PHARMACY, "notification-1");
        assert!(matches!(task_update(&returned).unwrap().0, TaskUpdate::Return { reason, .. } if reason == "0002"));
        assert!(matches!(
            task_update(&withdrawn).unwrap().0,
            TaskUpdate::Withdraw { notification, reason, .. } if notification == "notification-1" && reason == "MU"
        ));

        let with = |task: &Value, field: &str, value: Value| {
            let mut t = task.clone();
            t[field] = value;
            t
        };
        assert_value(task_update(&with(&returned, "intent", json!("plan"))), "Task.intent must be one of: 'order'");
        assert_value(
            task_update(&with(&returned, "status", json!("completed"))),
            "Task.status must be one of: 'in-progress', 'rejected'",
        );
        let mut no_code = withdrawn.clone();
        no_code.as_object_mut().unwrap().remove("code");
        assert_value(task_update(&no_code), "Task.code is required when Task.status is 'in-progress'.");
        let fulfil = json!({"coding": [{"system": TASK_CODE, "code": "fulfill"}]});
        assert_value(task_update(&with(&withdrawn, "code", fulfil)), "Task.code.coding.code must be one of: 'abort'");
        // Each status takes its reason from its own code system.
        assert_value(
            task_update(&with(&returned, "statusReason", withdrawn["statusReason"].clone())),
            &format!("Task.statusReason must have a system of '{RETURN_REASON}' and a value from that system."),
        );
        assert_value(
            task_update(&with(&withdrawn, "statusReason", returned["statusReason"].clone())),
            &format!("Task.statusReason must have a system of '{WITHDRAW_REASON}' and a value from that system."),
        );
    }

    #[test]
    fn an_order_is_read_from_a_bundle() {
        let bundle = order_bundle(WITH_DISPENSER).unwrap();
        let order = order(&bundle).unwrap();
        assert_eq!((order.id.as_str(), order.nhs.to_string()), (WITH_DISPENSER, PATIENT.to_owned()));
    }
}
