//! The nominated pharmacy of a new prescription, read from the patient's PDS record on the
//! embedded store seeded with PDS's reference patients.

use std::sync::Arc;

use spine_shared::ports::RecordStore;
use spine_shared::testing::embedded;

/// The nominated pharmacy comes from the patient's PDS record (the reference patients: Jane Smith,
/// 9000000009, nominates FA666); a superseded number leads to the live record; a patient PDS does
/// not know is `FAILURE_TO_PROCESS_MESSAGE`.
#[tokio::test]
async fn the_nominated_pharmacy_is_read_from_pds() {
    use spine_eps::nomination::nominated_pharmacy;
    use spine_pds::repository::PatientRepository;
    use spine_shared::NhsNumber;

    let (_dir, store) = embedded();
    let records: Arc<dyn RecordStore> = Arc::new(store.records());
    spine_pds::seed::seed_reference(records.clone()).await.unwrap();
    let patients = PatientRepository::new(records);
    let n = |s: &str| NhsNumber::parse(s).unwrap();
    assert_eq!(nominated_pharmacy(&patients, n("9000000009")).await.unwrap().as_deref(), Some("FA666"));
    let unknown = nominated_pharmacy(&patients, n("9449304130")).await.unwrap_err();
    assert_eq!((unknown.status(), unknown.code()), (400, Some("FAILURE_TO_PROCESS_MESSAGE")));
    let mut without = 0;
    for (nhs, record, _) in spine_pds::seed::reference::records() {
        let found = nominated_pharmacy(&patients, nhs).await;
        match record.status {
            spine_pds::model::RecordStatus::Active => {
                if found.unwrap().is_none() {
                    without += 1;
                }
            }
            spine_pds::model::RecordStatus::Superseded { .. } => {
                assert!(found.is_ok(), "{nhs:?} leads to the live record")
            }
            spine_pds::model::RecordStatus::Invalidated => {
                assert_eq!(found.unwrap_err().code(), Some("FAILURE_TO_PROCESS_MESSAGE"))
            }
        }
    }
    assert!(without > 0, "some reference patients have no nominated pharmacy");
}
