//! The prescription store on both adapters (the embedded store on disk; DynamoDB on moto, one
//! request at a time as `OneAtATime` explains): create once per id; dispensers racing to release
//! one prescription — exactly one wins; nominated release in batches of at most 25, oldest first,
//! never handing a prescription out twice even to two concurrent downloads; return, and a marked
//! cancellation applied by the return; dispense notifications (partial, complete, amended — only
//! the latest — and withdrawn), claims and their amendment period; the tracker's patient view.

use std::collections::BTreeSet;
use std::sync::Arc;

use spine_eps::error::IssueType;
use spine_eps::lifecycle::{CancelCode, State};
use spine_eps::model::{CONTROLLED_DRUG_VALIDITY_DAYS, LineItem, Prescription, VALIDITY_DAYS};
use spine_eps::{LineItemStatus, PrescriptionId, PrescriptionStatus, PrescriptionStore};
use spine_shared::ports::RecordStore;
use spine_shared::testing::{OneAtATime, dynamo, embedded};
use time::macros::date;

const PRESCRIBER: &str = "A83008";
const PHARMACY: &str = "FCG71";
const OTHER_PHARMACY: &str = "FA565";

struct Backend {
    store: PrescriptionStore,
    _dir: Option<tempfile::TempDir>,
}

fn embedded_backend() -> Backend {
    let (dir, store) = embedded();
    Backend { store: PrescriptionStore::new(Arc::new(store.records())), _dir: Some(dir) }
}

async fn moto_backend() -> Backend {
    let records: Arc<dyn RecordStore> = Arc::new(OneAtATime::new(dynamo().await));
    Backend { store: PrescriptionStore::new(records), _dir: None }
}

/// A prescription of two line items for patient `n`, authored at minute `minute`.
fn prescription(seq: u32, nominated: Option<&str>, minute: u32) -> Prescription {
    Prescription {
        id: PrescriptionId::generate([0x1F, 0x2E, 0x3D], PRESCRIBER, seq).unwrap().to_string(),
        nhs_number: "9449304130".into(),
        prescriber_ods: PRESCRIBER.into(),
        nominated: nominated.map(str::to_owned),
        authored_on: format!("2026-11-22T09:{:02}:{:02}+00:00", minute / 60, minute % 60),
        validity_days: VALIDITY_DAYS,
        state: State::new(),
        items: vec![
            LineItem { id: format!("item-{seq}-1"), status: LineItemStatus::ToBeDispensed },
            LineItem { id: format!("item-{seq}-2"), status: LineItemStatus::ToBeDispensed },
        ],
        notifications: Vec::new(),
        claim: None,
    }
}

fn reported(seq: u32, first: LineItemStatus, second: LineItemStatus) -> Vec<LineItem> {
    vec![
        LineItem { id: format!("item-{seq}-1"), status: first },
        LineItem { id: format!("item-{seq}-2"), status: second },
    ]
}

async fn create_once(b: &Backend) {
    let p = prescription(1, None, 0);
    b.store.create(&p, None).await.unwrap();
    let again = b.store.create(&p, None).await.unwrap_err();
    assert_eq!(again.code(), Some("DUPLICATE_PRESCRIPTION_ID"));
    assert_eq!(b.store.get(&p.id).await.unwrap(), Some(p));
    assert_eq!(b.store.get("000000-A83008-00000Z").await.unwrap(), None);
    let missing = b.store.release("000000-A83008-00000Z", PHARMACY).await.unwrap_err();
    assert_eq!((missing.status(), missing.code()), (404, Some("PRESCRIPTION_NOT_FOUND")));
}

async fn one_of_racing_dispensers_wins(b: &Backend) {
    let p = prescription(2, None, 1);
    b.store.create(&p, None).await.unwrap();
    let dispensers: Vec<String> = (0..8).map(|i| format!("FX{i:03}")).collect();
    let mut tasks = Vec::new();
    for d in &dispensers {
        let (store, id, d) = (b.store.clone(), p.id.clone(), d.clone());
        tasks.push(tokio::spawn(async move { (d.clone(), store.release(&id, &d).await) }));
    }
    let mut winners = Vec::new();
    for t in tasks {
        let (d, outcome) = t.await.unwrap();
        match outcome {
            Ok(p) => {
                assert_eq!(p.state.dispenser.as_deref(), Some(d.as_str()));
                winners.push(d);
            }
            Err(e) => assert_eq!(e.code(), Some("PRESCRIPTION_WITH_ANOTHER_DISPENSER"), "{d}: {e:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one dispenser wins: {winners:?}");
    let stored = b.store.get(&p.id).await.unwrap().unwrap();
    assert_eq!(stored.state.status, PrescriptionStatus::WithDispenser);
    assert_eq!(stored.state.dispenser.as_deref(), Some(winners[0].as_str()));
    assert!(stored.items.iter().all(|i| i.status == LineItemStatus::WithDispenser));
    assert_eq!(b.store.release(&p.id, &winners[0]).await.unwrap(), stored, "the holder may download it again");
}

async fn nominated_release_in_batches(b: &Backend) {
    let mut ids = Vec::new();
    for seq in 100..130 {
        // Created newest first: release must still go oldest first.
        let p = prescription(seq, Some(PHARMACY), 200 - seq);
        b.store.create(&p, None).await.unwrap();
        ids.push((p.authored_on.clone(), p.id.clone()));
    }
    for seq in 130..133 {
        b.store.create(&prescription(seq, Some(OTHER_PHARMACY), 0), None).await.unwrap();
    }
    let taken = b.store.create(&prescription(133, Some(PHARMACY), 0), None).await;
    taken.unwrap();
    b.store.release(&prescription(133, None, 0).id, OTHER_PHARMACY).await.unwrap();
    ids.sort();

    let first = b.store.release_nominated(PHARMACY, 100).await.unwrap();
    assert_eq!(first.len(), 25, "at most 25 per call");
    let first_ids: Vec<&str> = first.iter().map(|p| p.id.as_str()).collect();
    let oldest: Vec<&str> = ids.iter().take(25).map(|(_, id)| id.as_str()).collect();
    assert_eq!(first_ids, oldest, "oldest first");
    assert!(first.iter().all(|p| p.state.dispenser.as_deref() == Some(PHARMACY)));
    let second = b.store.release_nominated(PHARMACY, 25).await.unwrap();
    assert_eq!(second.len(), 5, "the rest; the one another pharmacy took is not among them");
    assert!(b.store.release_nominated(PHARMACY, 25).await.unwrap().is_empty(), "then none (NO_MORE_PRESCRIPTIONS)");
    assert_eq!(b.store.release_nominated(OTHER_PHARMACY, 2).await.unwrap().len(), 2);
}

async fn concurrent_nominated_downloads_never_share(b: &Backend) {
    for seq in 200..240 {
        b.store.create(&prescription(seq, Some("FZZ99"), seq), None).await.unwrap();
    }
    let (s1, s2) = (b.store.clone(), b.store.clone());
    let one = tokio::spawn(async move { s1.release_nominated("FZZ99", 25).await.unwrap() });
    let two = tokio::spawn(async move { s2.release_nominated("FZZ99", 25).await.unwrap() });
    let (one, two) = (one.await.unwrap(), two.await.unwrap());
    let rest = b.store.release_nominated("FZZ99", 25).await.unwrap();
    let all: Vec<&str> = one.iter().chain(&two).chain(&rest).map(|p| p.id.as_str()).collect();
    let distinct: BTreeSet<&str> = all.iter().copied().collect();
    assert_eq!(all.len(), 40, "every prescription handed out once: {} + {} + {}", one.len(), two.len(), rest.len());
    assert_eq!(distinct.len(), 40);
}

async fn return_and_marked_cancellation(b: &Backend) {
    let p = prescription(300, None, 5);
    b.store.create(&p, None).await.unwrap();
    b.store.release(&p.id, PHARMACY).await.unwrap();
    let wrong = b.store.return_to_spine(&p.id, OTHER_PHARMACY).await.unwrap_err();
    assert_eq!(wrong.code(), Some("PRESCRIPTION_WITH_ANOTHER_DISPENSER"));
    let back = b.store.return_to_spine(&p.id, PHARMACY).await.unwrap();
    assert_eq!(back.state, State::new());
    assert!(back.items.iter().all(|i| i.status == LineItemStatus::ToBeDispensed));
    assert_eq!(b.store.release(&p.id, OTHER_PHARMACY).await.unwrap().state.dispenser.as_deref(), Some(OTHER_PHARMACY));

    // With a dispenser: each item is marked for cancellation (by one prescriber); the return
    // cancels the marked items, and with every item cancelled, the prescription.
    let (marked, code) = b.store.cancel(&p.id, "item-300-1", "prescriber-1").await.unwrap();
    assert_eq!(code, CancelCode::MarkedWithDispenser);
    assert_eq!(marked.state.status, PrescriptionStatus::WithDispenser);
    assert_eq!(marked.state.marks.map(|m| m.items), Some(vec!["item-300-1".to_owned()]));
    let other = b.store.cancel(&p.id, "item-300-2", "prescriber-2").await.unwrap().1;
    assert_eq!(other, CancelCode::RequestedByAnotherPrescriber);
    let (both, _) = b.store.cancel(&p.id, "item-300-2", "prescriber-1").await.unwrap();
    assert_eq!(both.state.marks.map(|m| m.items), Some(vec!["item-300-1".to_owned(), "item-300-2".to_owned()]));
    let cancelled = b.store.return_to_spine(&p.id, OTHER_PHARMACY).await.unwrap();
    assert_eq!(cancelled.state.status, PrescriptionStatus::Cancelled);
    assert!(cancelled.items.iter().all(|i| i.status == LineItemStatus::Cancelled));
    let again = b.store.cancel(&p.id, "item-300-1", "prescriber-1").await.unwrap().1;
    assert_eq!(again, CancelCode::AlreadyCancelled);
    let unknown = b.store.cancel(&p.id, "item-x", "prescriber-1").await.unwrap_err();
    assert_eq!(unknown.code(), Some("ITEM_NOT_FOUND"));

    // Before release: the item is cancelled at once; the prescription, once both are.
    let q = prescription(301, Some(PHARMACY), 6);
    b.store.create(&q, None).await.unwrap();
    let (now, code) = b.store.cancel(&q.id, "item-301-1", "prescriber-1").await.unwrap();
    assert_eq!((code, now.state.status), (CancelCode::Cancelled, PrescriptionStatus::ToBeDispensed));
    assert_eq!(now.items, reported(301, LineItemStatus::Cancelled, LineItemStatus::ToBeDispensed));
    let again = b.store.cancel(&q.id, "item-301-1", "prescriber-1").await.unwrap();
    assert_eq!(again, (now, CancelCode::AlreadyCancelled), "an item cancelled again changes nothing");
    let (now, code) = b.store.cancel(&q.id, "item-301-2", "prescriber-1").await.unwrap();
    assert_eq!((code, now.state.status), (CancelCode::Cancelled, PrescriptionStatus::Cancelled));
    assert!(
        !b.store.release_nominated(PHARMACY, 25).await.unwrap().iter().any(|r| r.id == q.id),
        "a cancelled prescription leaves the nominated queue"
    );
    let refused = b.store.release(&q.id, PHARMACY).await.unwrap_err();
    assert_eq!(refused.code(), Some("PRESCRIPTION_INVALID_STATE_TRANSITION"));

    // One item cancelled before release: the other is released and dispensed; the cancelled one
    // cannot be reported dispensed, nor need it be reported.
    let r = prescription(302, None, 7);
    b.store.create(&r, None).await.unwrap();
    b.store.cancel(&r.id, "item-302-1", "prescriber-1").await.unwrap();
    let released = b.store.release(&r.id, PHARMACY).await.unwrap();
    assert_eq!(released.items, reported(302, LineItemStatus::Cancelled, LineItemStatus::WithDispenser));
    let both = reported(302, LineItemStatus::FullyDispensed, LineItemStatus::FullyDispensed);
    let err = b.store.dispense(&r.id, PHARMACY, "dn-302", &both, None).await.unwrap_err();
    assert!(err.diagnostics().contains("cancelled"), "{}", err.diagnostics());
    let done = b.store.dispense(&r.id, PHARMACY, "dn-302", &both[1..], None).await.unwrap();
    assert_eq!(done.state.status, PrescriptionStatus::Dispensed);
    assert_eq!(done.items, reported(302, LineItemStatus::Cancelled, LineItemStatus::FullyDispensed));
}

async fn dispense_amend_withdraw_and_claim(b: &Backend) {
    use LineItemStatus as L;
    let p = prescription(400, None, 7);
    b.store.create(&p, None).await.unwrap();
    b.store.release(&p.id, PHARMACY).await.unwrap();

    let (full, owing, none) = (
        reported(400, L::FullyDispensed, L::FullyDispensed),
        reported(400, L::FullyDispensed, L::NotDispensedOwing),
        reported(400, L::NotDispensed, L::NotDispensed),
    );
    let unknown = vec![LineItem { id: "item-x".into(), status: L::FullyDispensed }];
    let err = b.store.dispense(&p.id, PHARMACY, "dn-0", &unknown, None).await.unwrap_err();
    assert_eq!((err.status(), err.code()), (400, Some("ITEM_NOT_FOUND")));
    let err = b.store.dispense(&p.id, PHARMACY, "dn-0", &full[..1], None).await.unwrap_err();
    assert!(err.diagnostics().contains("every line item"));
    let err = b.store.dispense(&p.id, OTHER_PHARMACY, "dn-0", &unknown, None).await.unwrap_err();
    assert_eq!(err.code(), Some("PRESCRIPTION_WITH_ANOTHER_DISPENSER"), "the holder is judged first");
    assert_eq!(b.store.get(&p.id).await.unwrap().unwrap().notifications.len(), 0, "refusals change nothing");

    let d1 = b.store.dispense(&p.id, PHARMACY, "dn-1", &owing, None).await.unwrap();
    assert_eq!(d1.state.status, PrescriptionStatus::WithDispenserActive);
    let again = b.store.dispense(&p.id, PHARMACY, "dn-1", &owing, None).await.unwrap();
    assert_eq!(again, d1, "the same notification again changes nothing");
    let reused = b.store.dispense(&p.id, PHARMACY, "dn-1", &full, None).await.unwrap_err();
    assert_eq!((reused.status(), reused.issue()), (400, IssueType::Duplicate), "its identifier on other outcomes");
    assert_eq!(b.store.get(&p.id).await.unwrap().unwrap(), d1, "and nothing changed");
    let d2 = b.store.dispense(&p.id, PHARMACY, "dn-2", &full, None).await.unwrap();
    assert_eq!(d2.state.status, PrescriptionStatus::Dispensed);

    let stale = b.store.dispense(&p.id, PHARMACY, "dn-3", &none, Some("dn-1")).await.unwrap_err();
    assert_eq!(stale.code(), Some("DISPENSE_AMEND_IDENTIFIER_MISMATCH"), "only the latest");
    let amended = b.store.dispense(&p.id, PHARMACY, "dn-3", &none, Some("dn-2")).await.unwrap();
    assert_eq!(amended.state.status, PrescriptionStatus::NotDispensed);
    assert_eq!(amended.notifications.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(), ["dn-1", "dn-3"]);

    let err = b.store.withdraw(&p.id, PHARMACY, "dn-1").await.unwrap_err();
    assert_eq!(err.code(), Some("DISPENSE_AMEND_IDENTIFIER_MISMATCH"));
    let back = b.store.withdraw(&p.id, PHARMACY, "dn-3").await.unwrap();
    assert_eq!(back.state.status, PrescriptionStatus::WithDispenserActive, "back to what dn-1 left");
    assert_eq!(back.items, owing);
    let back = b.store.withdraw(&p.id, PHARMACY, "dn-1").await.unwrap();
    assert_eq!(back.state.status, PrescriptionStatus::WithDispenser);
    assert!(back.items.iter().all(|i| i.status == L::WithDispenser));

    b.store.dispense(&p.id, PHARMACY, "dn-4", &full, None).await.unwrap();
    let day = date!(2026 - 11 - 22);
    assert_eq!(
        b.store.claim(&p.id, OTHER_PHARMACY, "claim-1", None, day).await.unwrap_err().code(),
        Some("PRESCRIPTION_WITH_ANOTHER_DISPENSER")
    );
    let claimed = b.store.claim(&p.id, PHARMACY, "claim-1", None, day).await.unwrap();
    assert_eq!(claimed.state.status, PrescriptionStatus::Claimed);
    assert_eq!(b.store.claim(&p.id, PHARMACY, "claim-1", None, day).await.unwrap(), claimed, "a retried claim");
    let err = b.store.claim(&p.id, PHARMACY, "claim-2", Some("claim-x"), day).await.unwrap_err();
    assert_eq!(err.code(), Some("DISPENSE_AMEND_IDENTIFIER_MISMATCH"));
    let amended = b.store.claim(&p.id, PHARMACY, "claim-2", Some("claim-1"), date!(2026 - 12 - 05)).await.unwrap();
    assert_eq!(amended.claim.as_ref().map(|c| (c.id.as_str(), c.claimed_on.as_str())), Some(("claim-2", "2026-11-22")));
    let late = b.store.claim(&p.id, PHARMACY, "claim-3", Some("claim-2"), date!(2026 - 12 - 06)).await.unwrap_err();
    assert_eq!(late.code(), Some("CLAIM_AMEND_PERIOD_ISSUE"));
    let err = b.store.withdraw(&p.id, PHARMACY, "dn-4").await.unwrap_err();
    assert_eq!(err.code(), Some("PRESCRIPTION_INVALID_STATE_TRANSITION"), "nothing is withdrawn once claimed");
    assert_eq!(b.store.cancel(&p.id, "item-400-1", "prescriber-1").await.unwrap().1, CancelCode::Dispensed);
}

async fn the_tracker_by_patient(b: &Backend) {
    for (i, day) in ["2026-11-01", "2026-11-15", "2026-11-30", "2026-12-01"].iter().enumerate() {
        let mut p = prescription(500 + i as u32, None, 0);
        p.nhs_number = "9000000009".into();
        p.authored_on = format!("{day}T10:00:00+00:00");
        b.store.create(&p, None).await.unwrap();
    }
    let all = b.store.for_patient("9000000009", None, None, None).await.unwrap();
    let days: Vec<&str> = all.iter().map(|p| &p.authored_on[..10]).collect();
    assert_eq!(days, ["2026-11-01", "2026-11-15", "2026-11-30", "2026-12-01"], "oldest first");
    let november = b.store.for_patient("9000000009", None, Some("2026-11-15"), Some("2026-11-30")).await.unwrap();
    assert_eq!(november.len(), 2, "both ends inclusive, whole days");
    assert_eq!(b.store.for_patient("9000000009", None, Some("2026-11-30"), None).await.unwrap().len(), 2);
    assert_eq!(b.store.for_patient("9000000009", None, None, Some("2026-11-01")).await.unwrap().len(), 1);

    b.store.release(&all[1].id, PHARMACY).await.unwrap();
    let with = b.store.for_patient("9000000009", Some(PrescriptionStatus::WithDispenser), None, None).await.unwrap();
    assert_eq!(with.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), [all[1].id.as_str()]);
    assert!(b.store.for_patient("9000000017", None, None, None).await.unwrap().is_empty());
}

async fn controlled_drugs_expire_after_28_days(b: &Backend) {
    let controlled = Prescription { validity_days: CONTROLLED_DRUG_VALIDITY_DAYS, ..prescription(600, None, 8) };
    let ordinary = prescription(601, None, 8);
    b.store.create(&controlled, None).await.unwrap();
    b.store.create(&ordinary, None).await.unwrap();
    assert_eq!(b.store.expire_due(date!(2026 - 12 - 19), 1).await.unwrap(), 0, "valid through its 28th day");
    assert_eq!(b.store.expire_due(date!(2026 - 12 - 20), 1).await.unwrap(), 1);
    let status = |p: Option<Prescription>| p.unwrap().state.status;
    assert_eq!(status(b.store.get(&controlled.id).await.unwrap()), PrescriptionStatus::Expired);
    assert_eq!(status(b.store.get(&ordinary.id).await.unwrap()), PrescriptionStatus::ToBeDispensed);
    assert_eq!(spine_eps::model::expiry_day(&ordinary.authored_on, VALIDITY_DAYS).as_deref(), Some("2027-05-24"));
}

async fn all_scenarios(b: Backend) {
    create_once(&b).await;
    one_of_racing_dispensers_wins(&b).await;
    nominated_release_in_batches(&b).await;
    concurrent_nominated_downloads_never_share(&b).await;
    return_and_marked_cancellation(&b).await;
    dispense_amend_withdraw_and_claim(&b).await;
    the_tracker_by_patient(&b).await;
    controlled_drugs_expire_after_28_days(&b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_embedded_prescription_store() {
    all_scenarios(embedded_backend()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_dynamodb_prescription_store() {
    all_scenarios(moto_backend().await).await;
}
