//! `POST /Patient`: create a patient and allocate a new NHS number (valid check digit, never
//! reused), unless the details match existing patients: 200 `SINGLE_MATCH` or `MULTIPLE_MATCHES`
//! and nothing created. A retry with the same `X-Request-ID` returns the first answer.

use async_trait::async_trait;
use serde_json::{Value, json};
use spine_shared::fhir::{Coding, Identifier, Meta, NHS_NUMBER_SYSTEM, Patient};
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler, idempotency};
use spine_shared::ports::{Condition, Item, WriteOp, now_epoch_seconds};
use spine_shared::{ErrorCode, NhsNumber, SpineError, SpineResult};

use super::{PdsContext, assign_ids, media_type, patient_response};
use crate::model::{History, PatientRecord, RecordStatus};
use crate::names::{fold, fold_postcode, soundex};
use crate::repository::{PatientRepository, WriteOutcome};
use crate::rules;
use crate::search::params::{DateRange, Pattern, SearchRequest};
use crate::search::{self, Found, matching::parse_date};

pub const FUNCTION: &str = "pds-create-patient";
const REGISTERING_AUTHORITY_URL: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-RegisteringAuthority";
const VERIFICATION_STATUS_URL: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus";
/// The score from which an existing patient counts as the same person.
const DUPLICATE_SCORE: f64 = 0.95;
/// How long a create guard lives: far longer than any create takes.
const GUARD_SECS: i64 = 60;

pub struct CreatePatient(pub PdsContext);

fn missing(field: &str) -> SpineError {
    SpineError::new(ErrorCode::MissingValue, format!("Missing value - '{field}'"))
}

/// Parses and checks the request body into the patient to create.
fn parse_body(body: &[u8]) -> SpineResult<Patient> {
    let mut doc: Value = serde_json::from_slice(body)
        .map_err(|_| SpineError::new(ErrorCode::InvalidValue, "Invalid value - the request body is not valid JSON"))?;
    let Some(obj) = doc.as_object_mut() else {
        return Err(SpineError::new(
            ErrorCode::InvalidValue,
            "Invalid value - the request body must be a Patient object",
        ));
    };
    match obj.get("resourceType") {
        None => {
            obj.insert("resourceType".into(), json!("Patient"));
        }
        Some(v) if v == "Patient" => {}
        Some(_) => {
            return Err(SpineError::new(ErrorCode::InvalidValue, "Invalid value - resourceType must be 'Patient'"));
        }
    }
    for field in ["id", "meta", "identifier"] {
        if obj.contains_key(field) {
            return Err(SpineError::new(
                ErrorCode::AdditionalProperties,
                format!("Additional properties are not allowed ('{field}' is allocated by PDS)"),
            ));
        }
    }
    for field in ["name", "gender", "birthDate", "address", "extension"] {
        if obj.get(field).is_none_or(|v| v.is_null() || v.as_array().is_some_and(|a| a.is_empty())) {
            return Err(missing(field));
        }
    }
    let patient: Patient = serde_json::from_value(doc).map_err(|e| {
        let msg = e.to_string();
        match msg.split('`').nth(1) {
            Some(f) if msg.starts_with("unknown field") => SpineError::new(
                ErrorCode::AdditionalProperties,
                format!("Additional properties are not allowed ('{f}' was unexpected)"),
            ),
            _ => SpineError::new(ErrorCode::InvalidValue, "Invalid value - the request body is not a valid Patient"),
        }
    })?;
    if patient.extension(REGISTERING_AUTHORITY_URL).is_none() {
        return Err(missing("extension (registering authority)"));
    }
    Ok(patient)
}

/// The search that finds existing patients with these details: fuzzy on the usual name, exact
/// on date of birth, scored on gender and home postcode.
fn duplicate_search(p: &Patient) -> Option<SearchRequest> {
    let usual = p.name.iter().find(|n| n.name_use.as_deref() == Some("usual"))?;
    let birth = parse_date(p.birth_date.as_deref()?)?;
    let postcode = p
        .address
        .iter()
        .find(|a| a.address_use.as_deref().is_none_or(|u| u == "home"))
        .and_then(|a| a.postal_code.as_deref())
        .map(|pc| Pattern { folded: fold_postcode(pc), wildcard: false });
    Some(SearchRequest {
        family: usual.family.as_deref().map(|f| Pattern { folded: fold(f), wildcard: false }),
        given: usual.given.first().map(|g| Pattern { folded: fold(g), wildcard: false }).into_iter().collect(),
        gender: p.gender.clone(),
        birthdate: DateRange { from: Some(birth), to: Some(birth) },
        death_date: None,
        postcode,
        general_practitioner: None,
        email: None,
        phone: None,
        fuzzy: true,
        exact: false,
        history: true,
        max_results: 50,
        include_restricted: true,
        min_score: DUPLICATE_SCORE,
    })
}

/// The guard that keeps two creates of the same person apart: one item per (family, date of
/// birth, given-name soundex, gender, home postcode), written with the record, living a minute. A
/// second create racing the first fails on it, checks for duplicates again and finds the first.
/// People who differ in any of these never share a guard, so a guard never blocks a real create.
fn create_guard(p: &Patient) -> Option<WriteOp> {
    let usual = p.name.iter().find(|n| n.name_use.as_deref() == Some("usual"))?;
    let family = fold(usual.family.as_deref()?);
    let given = usual.given.first().and_then(|g| soundex(&fold(g))).unwrap_or_default();
    let gender = p.gender.as_deref().unwrap_or_default();
    let postcode = p.address.iter().find_map(|a| a.postal_code.as_deref()).map(fold_postcode).unwrap_or_default();
    let key = format!("CREATE-GUARD#{family}#{}#{given}#{gender}#{postcode}", p.birth_date.as_deref()?);
    let item = Item::new(key, "GUARD", Vec::new()).expiring_at(now_epoch_seconds() + GUARD_SECS);
    Some(WriteOp::Put { item, condition: Condition::NotExists })
}

/// 200 `SINGLE_MATCH` / `MULTIPLE_MATCHES` when existing patients have these details.
async fn refuse_duplicates(repo: &PatientRepository, p: &Patient) -> SpineResult<()> {
    let Some(search) = duplicate_search(p) else { return Ok(()) };
    match search::run(repo, &search).await? {
        Found::Matches(m) if m.is_empty() => Ok(()),
        Found::Matches(m) if m.len() == 1 => Err(SpineError::new(
            ErrorCode::SingleMatch,
            format!(
                "Unable to create new patient. A single match was found for supplied demographic data: NHS number {}",
                m[0].1.nhs
            ),
        )),
        _ => Err(SpineError::new(
            ErrorCode::MultipleMatches,
            "Unable to create new patient. Multiple matches found for supplied demographic data.",
        )),
    }
}

/// The record of the new patient under `nhs`.
fn new_record(template: &Patient, nhs: NhsNumber) -> PatientRecord {
    let mut p = template.clone();
    p.id = nhs.to_string();
    p.identifier = vec![Identifier {
        system: Some(NHS_NUMBER_SYSTEM.into()),
        value: Some(nhs.to_string()),
        extension: vec![json!({
            "url": VERIFICATION_STATUS_URL,
            "valueCodeableConcept": {"coding": [{
                "system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland",
                "code": "01",
                "display": "Number present and verified"
            }]}
        })],
    }];
    p.meta = Some(Meta {
        version_id: None,
        security: vec![Coding {
            system: Some("http://terminology.hl7.org/CodeSystem/v3-Confidentiality".into()),
            version: None,
            code: Some("U".into()),
            display: Some("unrestricted".into()),
        }],
    });
    PatientRecord { status: RecordStatus::Active, patient: p, history: History::default(), related: Vec::new() }
}

#[async_trait]
impl Handler for CreatePatient {
    async fn handle(&self, req: &ApiRequest) -> SpineResult<ApiResponse> {
        let media = media_type(req);
        if media != "application/json" && media != "application/fhir+json" {
            return Err(SpineError::new(
                ErrorCode::UnsupportedMediaType,
                "Invalid request with error - Content-Type must be application/json or application/fhir+json",
            ));
        }
        let key = idempotency::Key::of(FUNCTION, req);
        // Every answer but a landed create's may be a retry's: `settle` looks for the first.
        let own = self.create(req, &key).await;
        key.settle(self.0.repo.store(), own.is_ok(), own).await
    }
}

impl CreatePatient {
    /// The create, with `key`'s receipt in its transaction: an answer only if it landed.
    async fn create(&self, req: &ApiRequest, key: &idempotency::Key) -> SpineResult<ApiResponse> {
        let repo = &self.0.repo;
        let mut patient = parse_body(&req.body)?;
        rules::validate(None, &mut patient, rules::today())?;
        assign_ids(&mut patient);

        refuse_duplicates(repo, &patient).await?;

        let respond = |nhs: NhsNumber, record: &PatientRecord| {
            patient_response(201, &record.to_fhir(1), 1).with_header("location", &self.0.patient_url(nhs))
        };
        let guard = create_guard(&patient);
        let (nhs, outcome) = repo
            .create(|nhs| {
                let record = new_record(&patient, nhs);
                let answer = key.record(&respond(nhs, &record));
                (record, std::iter::once(answer).chain(guard.clone()).collect())
            })
            .await?;
        match outcome {
            WriteOutcome::Written => Ok(respond(nhs, &new_record(&patient, nhs)).with_patients([nhs])),
            WriteOutcome::Contended => {
                // The same person is being created by another request: the record it wrote (or
                // is writing) is the duplicate; if it is not visible yet, ask for a retry.
                refuse_duplicates(repo, &patient).await?;
                Err(SpineError::new(
                    ErrorCode::ServiceUnavailable,
                    "A record with these details is being created; retry with the same X-Request-ID",
                ))
            }
            WriteOutcome::AlreadyApplied | WriteOutcome::VersionConflict => {
                Err(SpineError::internal("idempotency record vanished"))
            }
        }
    }
}
