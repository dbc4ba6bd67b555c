//! The nominated pharmacy a new prescription goes to: read from the patient's PDS record (the
//! UK Core `NominatedPharmacy` extension's ODS code), following a superseded NHS number to the
//! live record. A patient PDS does not know, or whose record was invalidated, cannot be prescribed
//! for: `FAILURE_TO_PROCESS_MESSAGE`.

use spine_pds::repository::PatientRepository;
use spine_shared::{ErrorCode, NhsNumber};

use crate::error::EpsError;

const NOMINATED_PHARMACY: &str = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NominatedPharmacy";

/// The ODS code of the patient's nominated pharmacy, if they have one.
pub async fn nominated_pharmacy(patients: &PatientRepository, nhs: NhsNumber) -> Result<Option<String>, EpsError> {
    let record = patients.live(nhs).await.map_err(|e| match e.code {
        ErrorCode::ResourceNotFound | ErrorCode::InvalidatedResource => EpsError::failure_to_process(
            "Unable to process message: the patient's NHS number is not on the Personal Demographics Service.",
        ),
        _ => EpsError::internal(format!("reading the patient's nominated pharmacy: {}", e.code.spine_code())),
    })?;
    let ods =
        record.record.patient.extension(NOMINATED_PHARMACY).and_then(|ext| {
            ext.pointer("/valueReference/identifier/value").and_then(|v| v.as_str()).map(str::to_owned)
        });
    Ok(ods)
}
