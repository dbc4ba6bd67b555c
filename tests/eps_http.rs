//! EPS end to end over HTTP: every request goes through the local gateway, the shared pipeline and
//! the EPS handlers, on the embedded store and on DynamoDB and SQS (moto). A prescription is
//! followed along every path of its lifecycle — prepared, signed and created; released (nominated
//! and by patient), returned, dispensed in part and in full, amended, withdrawn, claimed and its
//! claim amended; cancelled before and after release — and every refusal is checked for EPS's code
//! and for changing nothing. Status events go through the outbox relay to the queue and the
//! consumer, which applies each once.

mod support;

use std::sync::Arc;

use serde_json::{Value, json};
use spine_eps::PrescriptionId;
use spine_eps::client;
use spine_eps::reference::{self as rx, PATIENT, PHARMACY, PRESCRIBER_ODS, PRESCRIBER_ROLE};
use spine_sds::seed::signing_keys::synthetic_signing_key;
use spine_shared::identity::Identity;
use spine_shared::ports::{Queue, RecordStore};
use support::identity::{self as who};
use support::{Http, Reply};

const EPS: &str = "/electronic-prescriptions/FHIR/R4";
const EPS_CODES: &str = "https://fhir.nhs.uk/CodeSystem/Spine-ErrorOrWarningCode";
const AUTHORED: &str = "2026-11-20T10:00:00+00:00";

struct Eps {
    http: Http,
    records: Arc<dyn RecordStore>,
    queue: Arc<dyn Queue>,
    _dir: Option<tempfile::TempDir>,
}

impl Eps {
    async fn embedded() -> Eps {
        let (dir, http, records) = support::reference_gateway().await;
        let queue = http.audit.clone().expect("a local gateway's queue");
        Eps { http, records, queue, _dir: Some(dir) }
    }

    async fn moto() -> Eps {
        let records: Arc<dyn RecordStore> = Arc::new(spine_shared::testing::OneAtATime::new(support::dynamo().await));
        support::seed_reference(records.clone()).await;
        let queue: Arc<dyn Queue> =
            Arc::new(spine_shared::adapters::aws::SqsQueue::from_config(&support::aws_config()));
        let http = support::gateway(records.clone(), queue.clone()).await;
        Eps { http, records, queue, _dir: None }
    }

    async fn send(&self, who: &Identity, method: &str, path: &str, body: &Value, request_id: &str) -> Reply {
        let text = if body.is_null() { String::new() } else { body.to_string() };
        let headers = [("x-request-id", request_id), ("content-type", "application/fhir+json")];
        self.http.as_caller(Some(who)).send(method, &format!("{EPS}{path}"), &headers, &text).await
    }

    async fn post(&self, who: &Identity, path: &str, body: &Value) -> Reply {
        self.send(who, "POST", path, body, &support::request_id()).await
    }

    async fn track(&self, query: &str) -> Reply {
        self.send(&who::pharmacist(), "GET", &format!("/Task?{query}"), &Value::Null, &support::request_id()).await
    }

    /// The prescription's business status, as the tracker tells it.
    async fn status(&self, id: &str) -> String {
        // A check character may be '+', which a query string must escape.
        let r = self.track(&format!("focus:identifier={}", id.replace('+', "%2B"))).await;
        assert_eq!(r.status, 200, "{:#}", r.body);
        r.body["entry"][0]["resource"]["businessStatus"]["coding"][0]["code"].as_str().unwrap_or("none").to_owned()
    }
}

/// A fresh prescription id at the reference prescriber's practice.
fn new_id() -> String {
    PrescriptionId::random(PRESCRIBER_ODS).unwrap().to_string()
}

fn unsigned(id: &str, nhs: &str) -> Value {
    let [a, b] = client::line_items(id);
    client::order(id, nhs, PRESCRIBER_ROLE, PRESCRIBER_ODS, &[&a, &b], AUTHORED)
}

/// EPS's code of an OperationOutcome answer.
fn code(r: &Reply) -> &str {
    r.body.pointer("/issue/0/details/coding/0/code").and_then(Value::as_str).unwrap_or("")
}

#[track_caller]
fn assert_eps(r: &Reply, status: u16, expected: &str) {
    assert_eq!((r.status, code(r)), (status, expected), "unexpected answer: {:#}", r.body);
    assert_eq!(r.body["resourceType"], "OperationOutcome", "{:#}", r.body);
    if !expected.is_empty() {
        assert_eq!(r.body["issue"][0]["details"]["coding"][0]["system"], EPS_CODES, "{:#}", r.body);
    }
}

#[track_caller]
fn assert_accepted(r: &Reply) {
    assert_eq!(r.status, 200, "{:#}", r.body);
    assert_eq!(r.body["issue"][0]["code"], "informational", "{:#}", r.body);
}

/// `$prepare` then signing its digest as the prescriber's system would, then `$process-message`.
async fn prescribe(eps: &Eps, id: &str, nhs: &str) -> Reply {
    let mut order = unsigned(id, nhs);
    let prepared = eps.post(&who::clinician(), "/$prepare", &order).await;
    assert_eq!(prepared.status, 200, "{:#}", prepared.body);
    let param = |name: &str| {
        prepared.body["parameter"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()["valueString"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(param("algorithm"), "ES256");
    let data = spine_eps::signature::sign(&param("digest"), &synthetic_signing_key(PRESCRIBER_ROLE)).unwrap();
    client::with_signature(&mut order, &data);
    eps.post(&who::clinician(), "/$process-message", &order).await
}

fn dispensed(id: &str, statuses: [&str; 2]) -> Vec<(String, String)> {
    client::line_items(id).into_iter().zip(statuses).map(|(i, s)| (i, s.to_owned())).collect()
}

fn dispense_message(notification: &str, id: &str, statuses: [&str; 2], replacement_of: Option<&str>) -> Value {
    let items = dispensed(id, statuses);
    let items: Vec<(&str, &str)> = items.iter().map(|(i, s)| (i.as_str(), s.as_str())).collect();
    client::dispense(notification, id, PATIENT, PHARMACY, &items, replacement_of)
}

// ---------------------------------------------------------------------------------------------
// The lifecycle, on both adapters
// ---------------------------------------------------------------------------------------------

async fn every_path(eps: &Eps) {
    let pharmacist = who::pharmacist();
    let prescriber = who::clinician();

    // Created, waiting for the nominated pharmacy (PDS: FA666); a retry with the same X-Request-ID
    // is answered as the first time, not as a duplicate.
    let id = new_id();
    let order = client::signed(unsigned(&id, PATIENT), &synthetic_signing_key(PRESCRIBER_ROLE), AUTHORED).unwrap();
    let request_id = support::request_id();
    let first = eps.send(&prescriber, "POST", "/$process-message", &order, &request_id).await;
    assert_accepted(&first);
    let retry = eps.send(&prescriber, "POST", "/$process-message", &order, &request_id).await;
    assert_eq!((retry.status, &retry.body), (200, &first.body), "the retry gets the first answer");
    // The same id on another request (another order; the same order from another prescriber) is
    // refused, not answered with the first request's answer, and applies nothing.
    let other = new_id();
    let other_order =
        client::signed(unsigned(&other, PATIENT), &synthetic_signing_key(PRESCRIBER_ROLE), AUTHORED).unwrap();
    let reused = eps.send(&prescriber, "POST", "/$process-message", &other_order, &request_id).await;
    assert_eq!((reused.status, code(&reused)), (400, "INVALID_VALUE"), "{:#}", reused.body);
    assert!(reused.body["issue"][0]["diagnostics"].as_str().unwrap().contains("X-Request-ID was already used"));
    assert_eq!(eps.status(&other).await, "none", "the other order was not applied");
    let another_prescriber = who::worker("555021930199", PRESCRIBER_ROLE, "R8000", PRESCRIBER_ODS, &[]);
    let stolen = eps.send(&another_prescriber, "POST", "/$process-message", &order, &request_id).await;
    assert_eq!((stolen.status, code(&stolen)), (400, "INVALID_VALUE"), "{:#}", stolen.body);
    assert_eps(&eps.post(&prescriber, "/$process-message", &order).await, 400, "DUPLICATE_PRESCRIPTION_ID");
    assert_eps(&eps.post(&prescriber, "/$prepare", &unsigned(&id, PATIENT)).await, 400, "DUPLICATE_PRESCRIPTION_ID");
    assert_eq!(eps.status(&id).await, "0001");

    // Nominated release: the reference prescription and this one, oldest first; then none left.
    // A retried download gets the same prescriptions, not the next ones.
    let request_id = support::request_id();
    let released = eps.send(&pharmacist, "POST", "/Task/$release", &client::release(PHARMACY, None), &request_id).await;
    assert_eq!(released.status, 200, "{:#}", released.body);
    let passed = &released.body["parameter"][0]["resource"];
    assert_eq!(passed["total"], 2, "{passed:#}");
    let ids: Vec<&str> = passed["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["entry"][1]["resource"]["groupIdentifier"]["value"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [rx::WAITING, id.as_str()]);
    assert!(
        passed["entry"][1]["resource"]["entry"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["resource"]["resourceType"] == "Provenance"),
        "the signed Bundle"
    );
    let again = eps.send(&pharmacist, "POST", "/Task/$release", &client::release(PHARMACY, None), &request_id).await;
    assert_eq!((again.status, &again.body), (200, &released.body));
    let none = eps.post(&pharmacist, "/Task/$release", &client::release(PHARMACY, None)).await;
    assert_eps(&none, 200, "NO_MORE_PRESCRIPTIONS");
    assert_eq!(none.body["issue"][0]["severity"], "information");
    assert_eq!(eps.status(&id).await, "0002");

    // Another pharmacy is told who holds it; the holder may download it again.
    let other = who::pharmacist_at("FA565");
    let taken = eps.post(&other, "/Task/$release", &client::release("FA565", Some(&id))).await;
    assert_eps(&taken, 400, "PRESCRIPTION_WITH_ANOTHER_DISPENSER");
    assert_eq!(taken.body["contained"][0]["identifier"][0]["value"], PHARMACY);
    let mine = eps.post(&pharmacist, "/Task/$release", &client::release(PHARMACY, Some(&id))).await;
    assert_eq!(mine.body["parameter"][0]["resource"]["total"], 1, "{:#}", mine.body);

    // Returned: waiting again, and another pharmacy may then take it by patient release.
    assert_accepted(&eps.post(&pharmacist, "/Task", &client::return_task(&id, PATIENT, PHARMACY)).await);
    assert_eq!(eps.status(&id).await, "0001");
    let other_has_it = eps.post(&other, "/Task/$release", &client::release("FA565", Some(&id))).await;
    assert_eq!(other_has_it.status, 200, "{:#}", other_has_it.body);
    assert_accepted(&eps.post(&other, "/Task", &client::return_task(&id, PATIENT, "FA565")).await);
    let back = eps.post(&pharmacist, "/Task/$release", &client::release(PHARMACY, Some(&id))).await;
    assert_eq!(back.status, 200, "{:#}", back.body);

    // Dispensed in part (0003 with dispenser – active), then in full (0006).
    let (n1, n2, n3) = (client::uuid(&id, "n1"), client::uuid(&id, "n2"), client::uuid(&id, "n3"));
    assert_accepted(
        &eps.post(&pharmacist, "/$process-message", &dispense_message(&n1, &id, ["0003", "0001"], None)).await,
    );
    assert_eq!(eps.status(&id).await, "0003");
    let by_other = eps.post(&other, "/$process-message", &dispense_message(&n2, &id, ["0001", "0001"], None)).await;
    assert_eps(&by_other, 400, "PRESCRIPTION_WITH_ANOTHER_DISPENSER");
    assert_accepted(
        &eps.post(&pharmacist, "/$process-message", &dispense_message(&n2, &id, ["0001", "0001"], None)).await,
    );
    assert_eq!(eps.status(&id).await, "0006");
    // Only the latest notification may be amended (n1 is not), and it may.
    let stale =
        eps.post(&pharmacist, "/$process-message", &dispense_message(&n3, &id, ["0001", "0001"], Some(&n1))).await;
    assert_eps(&stale, 400, "DISPENSE_AMEND_IDENTIFIER_MISMATCH");
    assert_accepted(
        &eps.post(&pharmacist, "/$process-message", &dispense_message(&n3, &id, ["0001", "0001"], Some(&n2))).await,
    );
    // Withdrawn: back to what n1 left (0003); dispensed again.
    let withdrawn = eps.post(&pharmacist, "/Task", &client::withdraw_task(&id, PATIENT, PHARMACY, &n3)).await;
    assert_accepted(&withdrawn);
    assert_eq!(eps.status(&id).await, "0003");
    let n4 = client::uuid(&id, "n4");
    assert_accepted(
        &eps.post(&pharmacist, "/$process-message", &dispense_message(&n4, &id, ["0001", "0001"], None)).await,
    );

    // Claimed (0008) and the claim amended; an amendment of another claim is refused.
    let (c1, c2) = (client::uuid(&id, "c1"), client::uuid(&id, "c2"));
    // A retried claim (its step would now be refused: the prescription is claimed) gets the first
    // answer, and changes nothing.
    let request_id = support::request_id();
    let claim = client::claim(&c1, &id, PATIENT, PHARMACY, None);
    let claimed = eps.send(&pharmacist, "POST", "/Claim", &claim, &request_id).await;
    assert_accepted(&claimed);
    assert_eq!(eps.status(&id).await, "0008");
    let again = eps.send(&pharmacist, "POST", "/Claim", &claim, &request_id).await;
    assert_eq!((again.status, &again.body), (200, &claimed.body), "the retry gets the first answer");
    let wrong = eps.post(&pharmacist, "/Claim", &client::claim(&c2, &id, PATIENT, PHARMACY, Some(&n4))).await;
    assert_eps(&wrong, 400, "DISPENSE_AMEND_IDENTIFIER_MISMATCH");
    assert_accepted(&eps.post(&pharmacist, "/Claim", &client::claim(&c2, &id, PATIENT, PHARMACY, Some(&c1))).await);
    let late = eps.post(&pharmacist, "/Task", &client::return_task(&id, PATIENT, PHARMACY)).await;
    assert_eps(&late, 400, "PRESCRIPTION_INVALID_STATE_TRANSITION");
    assert_eq!(eps.status(&id).await, "0008", "a refused step changes nothing");

    // Cancellation names one line item. Waiting: the item is cancelled (R-0001) and the
    // prescription waits with the other; the same item again is R-0006; the last item cancels the
    // prescription. With a dispenser: each item is not cancelled but marked (R-0002, 400 as EPS
    // answers it; on the tracker's Task), and the return cancels them.
    let cancel = |id: &str, item: usize| client::cancel(id, PATIENT, &rx::items(id)[item]);
    let request_id = support::request_id();
    let r = eps.send(&prescriber, "POST", "/$process-message", &cancel(rx::TO_CANCEL, 0), &request_id).await;
    assert_eq!((r.status, cancel_code(&r)), (200, "R-0001"), "{:#}", r.body);
    assert_eq!(r.body["entry"][1]["resource"]["status"], "cancelled", "the item");
    // Retried, it is answered as the first time, not R-0006 (the item is cancelled by now).
    let retried = eps.send(&prescriber, "POST", "/$process-message", &cancel(rx::TO_CANCEL, 0), &request_id).await;
    assert_eq!((retried.status, &retried.body), (200, &r.body));
    assert_eq!(eps.status(rx::TO_CANCEL).await, "0001", "the other item is still to be dispensed");
    let r = eps.post(&prescriber, "/$process-message", &cancel(rx::TO_CANCEL, 0)).await;
    assert_eq!((r.status, cancel_code(&r)), (400, "R-0006"));
    let r = eps.post(&prescriber, "/$process-message", &cancel(rx::TO_CANCEL, 1)).await;
    assert_eq!((r.status, cancel_code(&r)), (200, "R-0001"), "{:#}", r.body);
    assert_eq!(eps.status(rx::TO_CANCEL).await, "0005");
    for item in [0, 1] {
        let r = eps.post(&prescriber, "/$process-message", &cancel(rx::WITH_DISPENSER, item)).await;
        assert_eq!((r.status, cancel_code(&r)), (400, "R-0002"), "{:#}", r.body);
        assert_eq!(r.body["entry"][0]["resource"]["response"]["code"], "fatal-error", "not cancelled");
        assert_eq!(r.body["entry"][1]["resource"]["status"], "active", "marked, not cancelled");
    }
    assert_eq!(eps.status(rx::WITH_DISPENSER).await, "0002");
    let r = eps.track(&format!("focus:identifier={}", rx::WITH_DISPENSER)).await;
    let note = tasks(&r)[0]["note"][0]["text"].as_str().unwrap_or_default().to_owned();
    assert!(note.contains("marked for cancellation") && note.contains(&rx::items(rx::WITH_DISPENSER)[1]), "{note}");
    assert_accepted(&eps.post(&pharmacist, "/Task", &client::return_task(rx::WITH_DISPENSER, PATIENT, PHARMACY)).await);
    assert_eq!(eps.status(rx::WITH_DISPENSER).await, "0005");
    let r = eps.post(&prescriber, "/$process-message", &cancel(rx::DISPENSED, 0)).await;
    assert_eq!((r.status, cancel_code(&r)), (400, "R-0004"));

    // The tracker by patient, status and authored day.
    let r = eps
        .track(&format!("patient:identifier=https://fhir.nhs.uk/Id/nhs-number|{PATIENT}&business-status=0005"))
        .await;
    let found: Vec<&str> = tasks(&r).iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(found, [rx::TO_CANCEL, rx::WITH_DISPENSER], "oldest first, then by id");
    let r = eps.track(&format!("patient:identifier={PATIENT}&authored-on=ge2026-11-15&authored-on=le2026-11-20")).await;
    let found: Vec<&str> = tasks(&r).iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(found, [id.as_str()]);
    assert_eq!(tasks(&r)[0]["owner"]["identifier"]["value"], PHARMACY);
    // A check character '+' sent unescaped (a query string reads it as a space) still names the id.
    let plus = std::iter::repeat_with(new_id).find(|id| id.ends_with('+')).unwrap();
    assert_eq!(tasks(&eps.track(&format!("focus:identifier={plus}")).await).len(), 0, "found nothing, refused nothing");

    // Status events: relayed from the outbox to the queue, consumed into the patient's
    // notifications, each once however often it is delivered.
    notifications(eps).await;
}

fn cancel_code(r: &Reply) -> &str {
    r.body.pointer("/entry/1/resource/extension/0/extension/0/valueCoding/code").and_then(Value::as_str).unwrap_or("")
}

fn tasks(r: &Reply) -> Vec<&Value> {
    assert_eq!(r.status, 200, "{:#}", r.body);
    r.body["entry"].as_array().map(|e| e.iter().map(|e| &e["resource"]).collect()).unwrap_or_default()
}

async fn notifications(eps: &Eps) {
    use spine_eps::notify::{Notifier, notification_pk};
    use spine_eps::relay::Relay;
    use spine_shared::ports::queue::{QueueSpec, consume_batch};
    use spine_shared::ports::{Index, KeyCondition, Query};

    let name = support::unique("eps-status");
    eps.queue.ensure_queue(&name, QueueSpec { dead_letter: None }).await.unwrap();
    let relay = Relay { records: eps.records.clone(), queue: eps.queue.clone(), queue_name: name.clone() };
    let mut relayed = 0;
    while let Ok(n @ 1..) = relay.relay_pending().await {
        relayed += n;
    }
    assert!(relayed >= 20, "every change's event was in the outbox ({relayed})");
    assert_eq!(relay.relay_pending().await.unwrap(), 0, "relayed items leave the outbox");

    // Deliver every event twice: the consumer applies each once.
    let mut bodies = Vec::new();
    while let Ok(batch) = eps.queue.receive(&name, 10, 30).await {
        if batch.is_empty() {
            break;
        }
        for m in &batch {
            eps.queue.delete(&name, &m.receipt).await.unwrap();
            bodies.push(m.body.clone());
        }
    }
    assert_eq!(bodies.len(), relayed);
    let mut replayed = bodies.clone();
    replayed.extend(bodies);
    replayed.push("not an event".into());
    let messages: Vec<_> =
        replayed.iter().map(|b| spine_shared::ports::OutgoingMessage { id: "m".into(), body: b.clone() }).collect();
    for chunk in messages.chunks(10) {
        eps.queue.send_batch(&name, chunk.to_vec()).await.unwrap();
    }
    let notifier = Notifier::new(eps.records.clone());
    let mut failed = 0;
    loop {
        let mut round_failed = 0;
        let n = consume_batch(eps.queue.as_ref(), &name, spine_eps::notify::BATCH_SIZE, 0, |batch| async {
            let outcome = notifier.consume(batch).await;
            round_failed = outcome.failed_message_ids.len();
            outcome
        })
        .await
        .unwrap();
        failed += round_failed;
        if n == 0 || failed > 0 {
            break;
        }
    }
    assert_eq!(failed, 1, "only the malformed message fails (and is left for the dead-letter queue)");
    let page = eps
        .records
        .query(Query::new(Index::Table, notification_pk(PATIENT), KeyCondition::All).limit(500))
        .await
        .unwrap();
    let notes: Vec<Value> = page.items.iter().map(|i| serde_json::from_slice(&i.data).unwrap()).collect();
    let cancelled = notes.iter().filter(|n| n["status"] == "0005").count();
    assert_eq!(cancelled, 2, "one notification per cancellation, though each event came twice: {notes:#?}");
    assert!(notes.iter().any(|n| n["status"] == "0006"), "dispensed");
}

#[tokio::test]
async fn every_path_of_the_lifecycle_on_the_embedded_store() {
    every_path(&Eps::embedded().await).await;
}

#[tokio::test]
async fn every_path_of_the_lifecycle_on_dynamodb_and_sqs() {
    every_path(&Eps::moto().await).await;
}

// ---------------------------------------------------------------------------------------------
// Prescribing: signatures and rules
// ---------------------------------------------------------------------------------------------

/// The order with its second MedicationRequest a controlled drug of `schedule`
/// (`Extension-DM-ControlledDrug`).
fn with_controlled_drug(mut order: Value, schedule: &str) -> Value {
    let extensions = &mut order["entry"][2]["resource"]["extension"];
    if !extensions.is_array() {
        *extensions = json!([]);
    }
    extensions.as_array_mut().unwrap().push(json!({
        "url": "https://fhir.nhs.uk/StructureDefinition/Extension-DM-ControlledDrug",
        "extension": [
            { "url": "quantityWords", "valueString": "twenty eight" },
            { "url": "schedule", "valueCoding": {
                "system": "https://fhir.nhs.uk/CodeSystem/medicationrequest-controlled-drug", "code": schedule } },
        ],
    }));
    order
}

#[tokio::test]
async fn a_schedule_2_controlled_drug_makes_the_prescription_valid_for_28_days() {
    use spine_shared::ports::{Index, KeyCondition, Query};
    let eps = Eps::embedded().await;
    let prescriber = who::clinician();
    let marker = |day: &str| Query::new(Index::Table, format!("EPSEXPIRY#{day}"), KeyCondition::All);
    for (schedule, expires) in [("CD2", "2026-12-18"), ("CD5", "2027-05-22")] {
        let id = new_id();
        let order = with_controlled_drug(unsigned(&id, PATIENT), schedule);
        let signed = client::signed(order, &synthetic_signing_key(PRESCRIBER_ROLE), AUTHORED).unwrap();
        assert_accepted(&eps.post(&prescriber, "/$process-message", &signed).await);
        let due = eps.records.query(marker(expires)).await.unwrap();
        assert!(due.items.iter().any(|m| m.sk == id), "{schedule}: expires on {expires}");
    }
}

#[tokio::test]
async fn a_prescription_is_prepared_signed_and_created() {
    let eps = Eps::embedded().await;
    let id = new_id();
    assert_accepted(&prescribe(&eps, &id, PATIENT).await);
    assert_eq!(eps.status(&id).await, "0001");
    // Audited, naming the patient.
    let events = eps.http.audit_events().await;
    let created: Vec<_> = events.iter().filter(|e| e.function == "eps-process-message").collect();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].patient.map(|p| p.to_string()).as_deref(), Some(PATIENT));
}

#[tokio::test]
async fn bad_signatures_are_refused_and_nothing_is_stored() {
    let eps = Eps::embedded().await;
    let prescriber = who::clinician();
    let key = synthetic_signing_key(PRESCRIBER_ROLE);
    let id = new_id();

    let missing = eps.post(&prescriber, "/$process-message", &unsigned(&id, PATIENT)).await;
    assert_eps(&missing, 400, "MISSING_DIGITAL_SIGNATURE");

    let mut changed = client::signed(unsigned(&id, PATIENT), &key, AUTHORED).unwrap();
    changed["entry"][1]["resource"]["dispenseRequest"]["quantity"]["value"] = json!(600);
    let r = eps.post(&prescriber, "/$process-message", &changed).await;
    assert_eps(&r, 400, "FAILURE_TO_PROCESS_MESSAGE");
    assert_eq!(r.body["issue"][0]["diagnostics"], "Signature doesn't match prescription.");

    let stranger = synthetic_signing_key("999999999999");
    let r = eps
        .post(&prescriber, "/$process-message", &client::signed(unsigned(&id, PATIENT), &stranger, AUTHORED).unwrap())
        .await;
    assert_eps(&r, 400, "FAILURE_TO_PROCESS_MESSAGE");
    assert_eq!(r.body["issue"][0]["diagnostics"], "Signature is invalid.");

    let mut garbage = unsigned(&id, PATIENT);
    client::with_signature(&mut garbage, "bm90IGEgc2lnbmF0dXJl");
    assert_eps(&eps.post(&prescriber, "/$process-message", &garbage).await, 400, "FAILURE_TO_PROCESS_MESSAGE");

    let none = eps.track(&format!("focus:identifier={}", id.replace('+', "%2B"))).await;
    assert_eq!(none.body["total"], 0, "nothing stored: {:#}", none.body);
}

#[tokio::test]
async fn malformed_and_inconsistent_orders_get_epss_codes() {
    let eps = Eps::embedded().await;
    let prescriber = who::clinician();
    let id = new_id();
    let post = |body: Value| {
        let eps = &eps;
        let prescriber = prescriber.clone();
        async move { eps.post(&prescriber, "/$prepare", &body).await }
    };

    // A bad check character, an NHS number failing its check digit, a patient PDS does not know.
    let bad_check = format!("{}{}", &id[..19], if id.ends_with('A') { 'B' } else { 'A' });
    assert_eps(&post(unsigned(&bad_check, PATIENT)).await, 400, "FAILURE_TO_PROCESS_MESSAGE");
    assert_eps(&post(unsigned(&id, "9000000000")).await, 400, "FAILURE_TO_PROCESS_MESSAGE");
    assert_eps(&post(unsigned(&id, "9990000026")).await, 400, "FAILURE_TO_PROCESS_MESSAGE");

    // Inconsistent MedicationRequests, a forbidden intent, both medication forms.
    let mut inconsistent = unsigned(&id, PATIENT);
    inconsistent["entry"][2]["resource"]["authoredOn"] = json!("2026-11-21T10:00:00+00:00");
    let r = post(inconsistent).await;
    assert_eq!((r.status, r.body["issue"][0]["code"].as_str()), (400, Some("value")), "{:#}", r.body);
    let mut plan = unsigned(&id, PATIENT);
    plan["entry"][1]["resource"]["intent"] = json!("plan");
    assert_eq!(post(plan).await.status, 400);
    let mut both = unsigned(&id, PATIENT);
    both["entry"][1]["resource"]["medicationReference"] = json!({ "reference": "urn:uuid:x" });
    let r = post(both).await;
    assert_eq!((r.status, r.body["issue"][0]["code"].as_str()), (400, Some("structure")), "{:#}", r.body);

    // A controlled drug's schedule that is not one.
    let r = post(with_controlled_drug(unsigned(&id, PATIENT), "CD9")).await;
    assert_eq!((r.status, r.body["issue"][0]["code"].as_str()), (400, Some("value")), "{:#}", r.body);

    // Not JSON; not a Bundle; an unknown message event.
    let r = eps
        .http
        .as_caller(Some(&prescriber))
        .send("POST", &format!("{EPS}/$process-message"), &[("x-request-id", &support::request_id())], "{not json")
        .await;
    assert_eq!((r.status, r.body["issue"][0]["code"].as_str()), (400, Some("invalid")));
    assert_eq!(eps.post(&prescriber, "/$process-message", &json!({"resourceType": "Patient"})).await.status, 400);
    let mut unknown = unsigned(&id, PATIENT);
    unknown["entry"][0]["resource"]["eventCoding"]["code"] = json!("prescription-teleport");
    let r = eps.post(&prescriber, "/$process-message", &unknown).await;
    assert_eq!((r.status, r.body["issue"][0]["code"].as_str()), (400, Some("value")));
}

#[tokio::test]
async fn each_message_needs_its_own_activity_and_its_own_caller() {
    let eps = Eps::embedded().await;
    let id = new_id();
    let signed = client::signed(unsigned(&id, PATIENT), &synthetic_signing_key(PRESCRIBER_ROLE), AUTHORED).unwrap();
    // A pharmacist may not prescribe or cancel; a prescriber may not dispense.
    assert_eps(&eps.post(&who::pharmacist(), "/$process-message", &signed).await, 403, "ACCESS_DENIED");
    let cancel = client::cancel(rx::TO_CANCEL, PATIENT, &rx::items(rx::TO_CANCEL)[0]);
    assert_eps(&eps.post(&who::pharmacist(), "/$process-message", &cancel).await, 403, "ACCESS_DENIED");
    let dispense = dispense_message("d1", rx::WITH_DISPENSER, ["0001", "0001"], None);
    assert_eps(&eps.post(&who::clinician(), "/$process-message", &dispense).await, 403, "ACCESS_DENIED");
    // Another prescriber may not send Dr Hart's prescription as theirs.
    let other = who::worker("555021930100", "555021935108", "R8000", "Y23456", &[]);
    assert_eps(&eps.post(&other, "/$process-message", &signed).await, 403, "ACCESS_DENIED");
    // A release for another pharmacy; an application's patient release.
    assert_eps(
        &eps.post(&who::pharmacist(), "/Task/$release", &client::release("FA565", None)).await,
        403,
        "ACCESS_DENIED",
    );
    let app = who::application();
    assert_eps(
        &eps.post(&app, "/Task/$release", &client::release("Y12345", Some(rx::WAITING))).await,
        403,
        "ACCESS_DENIED",
    );
    assert_eq!(eps.status(rx::TO_CANCEL).await, "0001", "nothing changed");
}

// ---------------------------------------------------------------------------------------------
// Dispensing refusals, the tracker's parameters, concurrency
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn dispensing_refusals_change_nothing() {
    let eps = Eps::embedded().await;
    let pharmacist = who::pharmacist();
    let unknown = new_id();
    assert_eps(
        &eps.post(&pharmacist, "/Task/$release", &client::release(PHARMACY, Some(&unknown))).await,
        400,
        "RESOURCE_NOT_FOUND",
    );
    assert_eps(
        &eps.post(&pharmacist, "/Task", &client::return_task(&unknown, PATIENT, PHARMACY)).await,
        404,
        "PRESCRIPTION_NOT_FOUND",
    );
    assert_eps(
        &eps.post(&pharmacist, "/Claim", &client::claim("c", &unknown, PATIENT, PHARMACY, None)).await,
        404,
        "PRESCRIPTION_NOT_FOUND",
    );
    // Claiming what is not dispensed; dispensing what is not released; an item it does not have.
    assert_eps(
        &eps.post(&pharmacist, "/Claim", &client::claim("c", rx::WITH_DISPENSER, PATIENT, PHARMACY, None)).await,
        400,
        "PRESCRIPTION_INVALID_STATE_TRANSITION",
    );
    let not_released = dispense_message("d1", rx::TO_CANCEL, ["0001", "0001"], None);
    assert_eps(
        &eps.post(&pharmacist, "/$process-message", &not_released).await,
        400,
        "PRESCRIPTION_INVALID_STATE_TRANSITION",
    );
    let stray = client::dispense("d2", rx::WITH_DISPENSER, PATIENT, PHARMACY, &[("no-such-item", "0001")], None);
    assert_eps(&eps.post(&pharmacist, "/$process-message", &stray).await, 400, "ITEM_NOT_FOUND");
    // Another patient's NHS number; no reimbursement authority; a claim without items.
    let mismatched = client::return_task(rx::WITH_DISPENSER, "9000000017", PHARMACY);
    assert_eps(&eps.post(&pharmacist, "/Task", &mismatched).await, 400, "FAILURE_TO_PROCESS_MESSAGE");
    let items = dispensed(rx::WITH_DISPENSER, ["0001", "0001"]);
    let items: Vec<(&str, &str)> = items.iter().map(|(i, s)| (i.as_str(), s.as_str())).collect();
    let mismatched = client::dispense("d4", rx::WITH_DISPENSER, "9000000017", PHARMACY, &items, None);
    assert_eps(&eps.post(&pharmacist, "/$process-message", &mismatched).await, 400, "FAILURE_TO_PROCESS_MESSAGE");
    let mismatched = client::claim("c", rx::DISPENSED, "9000000017", PHARMACY, None);
    assert_eps(&eps.post(&pharmacist, "/Claim", &mismatched).await, 400, "FAILURE_TO_PROCESS_MESSAGE");
    let mut no_authority = dispense_message("d3", rx::WITH_DISPENSER, ["0001", "0001"], None);
    no_authority["entry"].as_array_mut().unwrap().retain(|e| e["resource"]["resourceType"] != "Organization");
    let r = eps.post(&pharmacist, "/$process-message", &no_authority).await;
    assert_eq!((r.status, r.body["issue"][0]["code"].as_str()), (400, Some("invalid")), "{:#}", r.body);
    let mut no_items = client::claim("c", rx::DISPENSED, PATIENT, PHARMACY, None);
    no_items["item"] = json!([]);
    assert_eq!(eps.post(&pharmacist, "/Claim", &no_items).await.status, 400);
    let withdraw_unknown = client::withdraw_task(rx::DISPENSED, PATIENT, PHARMACY, "not-the-latest");
    assert_eps(&eps.post(&pharmacist, "/Task", &withdraw_unknown).await, 400, "DISPENSE_AMEND_IDENTIFIER_MISMATCH");
    let mut neither = client::return_task(rx::WITH_DISPENSER, PATIENT, PHARMACY);
    neither["status"] = json!("completed");
    assert_eq!(eps.post(&pharmacist, "/Task", &neither).await.status, 400);
    // Cancellation of a prescription that does not exist, or of another patient's.
    let r = eps.post(&who::clinician(), "/$process-message", &client::cancel(&unknown, PATIENT, "x")).await;
    assert_eps(&r, 400, "R-0008");
    assert_eq!(r.body["issue"][0]["code"], "not-found");
    let r = eps
        .post(
            &who::clinician(),
            "/$process-message",
            &client::cancel(rx::TO_CANCEL, "9000000017", &rx::items(rx::TO_CANCEL)[0]),
        )
        .await;
    assert_eps(&r, 400, "R-5000");
    assert_eq!(r.body["issue"][0]["code"], "processing");

    for (id, status) in
        [(rx::WAITING, "0001"), (rx::WITH_DISPENSER, "0002"), (rx::DISPENSED, "0006"), (rx::TO_CANCEL, "0001")]
    {
        assert_eq!(eps.status(id).await, status, "{id} unchanged");
    }
}

#[tokio::test]
async fn the_tracker_needs_an_identifier_and_checks_its_parameters() {
    let eps = Eps::embedded().await;
    let r = eps.track("business-status=0001").await;
    assert_eq!((r.status, r.body["issue"][0]["code"].as_str()), (400, Some("invalid")));
    for bad in [
        "identifier=NOT-AN-ID",
        "patient:identifier=123",
        "patient:identifier=9000000009&business-status=42",
        "patient:identifier=9000000009&authored-on=xx2026-01-01",
        "patient:identifier=9000000009&colour=red",
    ] {
        assert_eq!(eps.track(bad).await.status, 400, "{bad}");
    }
    let by_identifier = eps.track(&format!("identifier={}", rx::DISPENSED)).await;
    assert_eq!(tasks(&by_identifier)[0]["businessStatus"]["coding"][0]["code"], "0006");
    assert_eq!(tasks(&by_identifier)[0]["input"].as_array().unwrap().len(), 2);
    let all = eps.track(&format!("patient:identifier={PATIENT}")).await;
    assert_eq!(tasks(&all).len(), 4);
    let none = eps.track(&format!("patient:identifier={PATIENT}&authored-on=lt2026-11-01")).await;
    assert_eq!(none.body["total"], 0);
    // An id whose check character is '+' (escaped in the query string, as any '+').
    let plus = (0..)
        .map(|n| PrescriptionId::generate([0xAB, 0xCD, 0xEF], PRESCRIBER_ODS, n).unwrap().to_string())
        .find(|id| id.ends_with('+'))
        .unwrap();
    assert_accepted(&prescribe(&eps, &plus, PATIENT).await);
    assert_eq!(eps.status(&plus).await, "0001");
    // Refused for a clerk (no View Patient Medication); audited with the patient.
    let clerk = eps
        .send(
            &who::clerk(),
            "GET",
            &format!("/Task?patient:identifier={PATIENT}"),
            &Value::Null,
            &support::request_id(),
        )
        .await;
    assert_eq!(clerk.status, 403);
}

#[tokio::test]
async fn of_eight_pharmacies_releasing_one_prescription_at_once_exactly_one_wins() {
    let eps = Arc::new(Eps::embedded().await);
    let id = new_id();
    assert_accepted(&prescribe(&eps, &id, "9000000017").await);
    let racers: Vec<_> = (0..8)
        .map(|n| {
            let eps = eps.clone();
            let id = id.clone();
            tokio::spawn(async move {
                let ods = format!("FZ{n:03}");
                eps.post(&who::pharmacist_at(&ods), "/Task/$release", &client::release(&ods, Some(&id))).await
            })
        })
        .collect();
    let mut won = 0;
    for r in racers {
        let r = r.await.unwrap();
        match r.status {
            200 => won += 1,
            _ => assert_eps(&r, 400, "PRESCRIPTION_WITH_ANOTHER_DISPENSER"),
        }
    }
    assert_eq!(won, 1);
}
