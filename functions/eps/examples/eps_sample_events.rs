//! Writes EPS's sample events: `cargo run -p spine-eps --example eps_sample_events -- events`.
//!
//! Each is an API Gateway REST (v1) proxy event, as in every `events/<function>/` directory, acting
//! on the reference prescriptions (`spine_eps::reference`) as Dr Amelia Hart (prescriber, Y12345) or
//! Imran Qureshi (pharmacist, FA666); orders are signed with the reference prescriber's synthetic
//! key. Everything is derived from fixed names, so running it again writes the same files (the
//! test `sample_events_are_what_the_generator_writes` keeps them so). Plus the relay's stream
//! event and the consumer's SQS event.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use spine_eps::client;
use spine_eps::reference::{self as rx, PATIENT, PHARMACY, PRESCRIBER_ODS, PRESCRIBER_ROLE};
use spine_sds::seed::signing_keys::synthetic_signing_key;

const BASE: &str = "/electronic-prescriptions/FHIR/R4";
const NEW_ID: &str = "9B3C1D-Y12345-000107";
const AUTHORED: &str = "2026-11-20T10:00:00+00:00";

fn prescriber() -> Value {
    json!({ "sub": "555021930100", "user_id": "555021930100", "role_profile_id": PRESCRIBER_ROLE, "job_role": "R8000", "organisation": PRESCRIBER_ODS })
}

fn pharmacist(ods: &str) -> Value {
    json!({ "sub": "555021930103", "user_id": "555021930103", "role_profile_id": "555021935131", "job_role": "R8003", "organisation": ods })
}

/// An API Gateway REST event for `method path` (query pairs, JSON body) from `who`.
fn event(
    function: &str,
    slug: &str,
    method: &str,
    resource: &str,
    query: &[(&str, &str)],
    body: Option<&Value>,
    who: &Value,
) -> Value {
    let request_id = client::uuid(function, slug);
    let path = format!("{BASE}{resource}");
    let mut claims = json!({
        "iss": "https://api.service.nhs.uk/oauth2", "aud": "https://api.service.nhs.uk",
        "iat": 1763800000, "exp": 4102444800u64, "jti": client::uuid("jti", &request_id),
        "access_mode": "healthcare-worker", "activities": [],
    });
    for (k, v) in who.as_object().unwrap() {
        claims[k] = v.clone();
    }
    let body = body.map(|b| b.to_string());
    let mut headers = vec![
        ("Accept", "application/fhir+json".to_owned()),
        ("Host", "eps4x7k2qa.execute-api.eu-west-2.amazonaws.com".to_owned()),
        ("User-Agent", "eps-replay-client/1.0".to_owned()),
        ("NHSD-Session-URID", who["role_profile_id"].as_str().unwrap().to_owned()),
        ("X-Forwarded-For", "198.51.100.23".to_owned()),
        ("X-Forwarded-Port", "443".to_owned()),
        ("X-Forwarded-Proto", "https".to_owned()),
        ("X-Request-ID", request_id.clone()),
    ];
    if let Some(b) = &body {
        headers.push(("Content-Type", "application/fhir+json".to_owned()));
        headers.push(("Content-Length", b.len().to_string()));
    }
    let (single, multi) = if query.is_empty() {
        (Value::Null, Value::Null)
    } else {
        let mut single = serde_json::Map::new();
        let mut multi = serde_json::Map::new();
        for (k, v) in query {
            single.insert((*k).to_owned(), json!(v));
            multi.entry((*k).to_owned()).or_insert_with(|| json!([])).as_array_mut().unwrap().push(json!(v));
        }
        (Value::Object(single), Value::Object(multi))
    };
    json!({
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "multiValueHeaders": headers.iter().map(|(k, v)| ((*k).to_owned(), json!([v]))).collect::<serde_json::Map<_, _>>(),
        "queryStringParameters": single,
        "multiValueQueryStringParameters": multi,
        "pathParameters": null,
        "stageVariables": null,
        "requestContext": {
            "accountId": "123456789012", "apiId": "eps4x7k2qa", "resourceId": "e7k2p9",
            "resourcePath": path, "httpMethod": method, "extendedRequestId": "EPSA7feHT9nunPO=",
            "requestTime": "22/Nov/2026:10:00:00 +0000", "path": format!("/prod{path}"), "stage": "prod",
            "domainName": "eps4x7k2qa.execute-api.eu-west-2.amazonaws.com", "domainPrefix": "eps4x7k2qa",
            "requestId": client::uuid("apigw", &request_id), "requestTimeEpoch": 1763805600000u64,
            "identity": { "sourceIp": "198.51.100.23", "userAgent": "eps-replay-client/1.0" },
            "protocol": "HTTP/1.1",
            "authorizer": { "principalId": who["sub"], "identity": claims.to_string() },
        },
        "body": body,
        "isBase64Encoded": false,
    })
}

fn order(id: &str, role: &str) -> Value {
    let items = client::line_items(id);
    client::order(id, PATIENT, role, PRESCRIBER_ODS, &[&items[0], &items[1]], AUTHORED)
}

fn signed(id: &str) -> Value {
    client::signed(order(id, PRESCRIBER_ROLE), &synthetic_signing_key(PRESCRIBER_ROLE), AUTHORED).expect("signs")
}

/// A dispense notification: the first item in part (0003), the second in full (0001).
fn dispense(notification: &str, id: &str) -> Value {
    let items = rx::items(id);
    client::dispense(notification, id, PATIENT, PHARMACY, &[(&items[0], "0003"), (&items[1], "0001")], None)
}

/// Every sample event: (function, file name, event).
pub fn events() -> Vec<(&'static str, &'static str, Value)> {
    let me = prescriber();
    let fa666 = pharmacist(PHARMACY);
    let post = |f: &'static str, name: &'static str, resource: &str, body: Value, who: &Value| {
        (f, name, event(f, name, "POST", resource, &[], Some(&body), who))
    };
    let get = |f: &'static str, name: &'static str, query: &[(&str, &str)], who: &Value| {
        (f, name, event(f, name, "GET", "/Task", query, None, who))
    };
    let mut tampered = signed(NEW_ID);
    tampered["entry"][1]["resource"]["dispenseRequest"]["quantity"]["value"] = json!(600);
    let bad_check = order("9B3C1D-Y12345-00010B", PRESCRIBER_ROLE);
    let mut no_endorsement = client::claim(&client::uuid("claim", "2"), rx::DISPENSED, PATIENT, PHARMACY, None);
    no_endorsement["item"] = json!([]);
    let cancel_item = rx::items(rx::TO_CANCEL)[0].clone();
    vec![
        post("eps-prepare", "200-prepare-an-order.json", "/$prepare", order(NEW_ID, PRESCRIBER_ROLE), &me),
        post(
            "eps-prepare",
            "400-duplicate-prescription-id.json",
            "/$prepare",
            order(rx::WAITING, PRESCRIBER_ROLE),
            &me,
        ),
        post("eps-prepare", "400-invalid-check-character.json", "/$prepare", bad_check, &me),
        post("eps-prepare", "403-requester-is-not-the-caller.json", "/$prepare", order(NEW_ID, "555021935108"), &me),
        post("eps-process-message", "200-a-prescription-order.json", "/$process-message", signed(NEW_ID), &me),
        post(
            "eps-process-message",
            "200-b-cancel-before-release-r0001.json",
            "/$process-message",
            client::cancel(rx::TO_CANCEL, PATIENT, &cancel_item),
            &me,
        ),
        post(
            "eps-process-message",
            "200-c-partial-dispense-notification.json",
            "/$process-message",
            dispense(&client::uuid("dispense", "1"), rx::WITH_DISPENSER),
            &fa666,
        ),
        post(
            "eps-process-message",
            "400-d-cancel-with-dispenser-active-r0003.json",
            "/$process-message",
            client::cancel(rx::WITH_DISPENSER, PATIENT, &rx::items(rx::WITH_DISPENSER)[0]),
            &me,
        ),
        post(
            "eps-process-message",
            "400-cancel-again-r0006.json",
            "/$process-message",
            client::cancel(rx::TO_CANCEL, PATIENT, &cancel_item),
            &me,
        ),
        post(
            "eps-process-message",
            "400-missing-digital-signature.json",
            "/$process-message",
            order("9B3C1D-Y12345-000115", PRESCRIBER_ROLE),
            &me,
        ),
        post("eps-process-message", "400-signature-does-not-match.json", "/$process-message", tampered, &me),
        post(
            "eps-process-message",
            "403-dispense-by-a-prescriber.json",
            "/$process-message",
            dispense(&client::uuid("dispense", "2"), rx::DISPENSED),
            &me,
        ),
        post(
            "eps-process-message",
            "400-cancel-unknown-prescription-r0008.json",
            "/$process-message",
            client::cancel("9B3C1D-Y12345-000123", PATIENT, "x"),
            &me,
        ),
        post("eps-release", "200-a-nominated-release.json", "/Task/$release", client::release(PHARMACY, None), &fa666),
        post(
            "eps-release",
            "200-b-no-more-prescriptions.json",
            "/Task/$release",
            client::release(PHARMACY, None),
            &fa666,
        ),
        post(
            "eps-release",
            "200-c-patient-release-by-the-holder.json",
            "/Task/$release",
            client::release(PHARMACY, Some(rx::WITH_DISPENSER)),
            &fa666,
        ),
        post(
            "eps-release",
            "400-prescription-with-another-dispenser.json",
            "/Task/$release",
            client::release("FA565", Some(rx::WITH_DISPENSER)),
            &pharmacist("FA565"),
        ),
        post(
            "eps-release",
            "400-resource-not-found.json",
            "/Task/$release",
            client::release(PHARMACY, Some("9B3C1D-Y12345-000123")),
            &fa666,
        ),
        post(
            "eps-release",
            "403-another-pharmacys-download.json",
            "/Task/$release",
            client::release("FA565", None),
            &fa666,
        ),
        post(
            "eps-update-task",
            "200-return.json",
            "/Task",
            client::return_task(rx::WITH_DISPENSER, PATIENT, PHARMACY),
            &fa666,
        ),
        post(
            "eps-update-task",
            "200-withdraw-dispense-notification.json",
            "/Task",
            client::withdraw_task(rx::DISPENSED, PATIENT, PHARMACY, rx::DISPENSED_NOTIFICATION),
            &fa666,
        ),
        post(
            "eps-update-task",
            "400-invalid-state-transition.json",
            "/Task",
            client::return_task(rx::TO_CANCEL, PATIENT, PHARMACY),
            &fa666,
        ),
        post(
            "eps-update-task",
            "400-task-status-not-one-of.json",
            "/Task",
            {
                let mut task = client::return_task(rx::WITH_DISPENSER, PATIENT, PHARMACY);
                task["status"] = json!("completed");
                task
            },
            &fa666,
        ),
        post(
            "eps-update-task",
            "404-prescription-not-found.json",
            "/Task",
            client::return_task("9B3C1D-Y12345-000123", PATIENT, PHARMACY),
            &fa666,
        ),
        post(
            "eps-claim",
            "200-claim.json",
            "/Claim",
            client::claim(&client::uuid("claim", "1"), rx::DISPENSED, PATIENT, PHARMACY, None),
            &fa666,
        ),
        post("eps-claim", "400-missing-endorsement.json", "/Claim", no_endorsement, &fa666),
        post(
            "eps-claim",
            "400-not-dispensed.json",
            "/Claim",
            client::claim(&client::uuid("claim", "3"), rx::WITH_DISPENSER, PATIENT, PHARMACY, None),
            &fa666,
        ),
        get(
            "eps-track-tasks",
            "200-by-patient-and-status.json",
            &[("patient:identifier", "https://fhir.nhs.uk/Id/nhs-number|9000000009"), ("business-status", "0001")],
            &fa666,
        ),
        get("eps-track-tasks", "200-by-prescription.json", &[("focus:identifier", rx::DISPENSED)], &fa666),
        get(
            "eps-track-tasks",
            "200-by-patient-authored-between.json",
            &[("patient:identifier", PATIENT), ("authored-on", "ge2026-11-01"), ("authored-on", "le2026-11-30")],
            &fa666,
        ),
        get("eps-track-tasks", "400-no-identifier.json", &[("business-status", "0001")], &fa666),
    ]
}

/// The expiry job's, the relay's and the consumer's events (not routes). The scheduled event is
/// the day the reference prescriptions' validity ends (authored 2026-11-01, plus 183 days).
pub fn other_events() -> Vec<(&'static str, &'static str, Value)> {
    let key = |version: u64| {
        let (pk, sk) = spine_eps::outbox::key(rx::WAITING, version);
        json!({ "pk": { "S": pk }, "sk": { "S": sk } })
    };
    let record = |n: u32, version: u64| {
        json!({
            "eventID": format!("c81e728d9d4c2f636f067f89cc14862{n}"), "eventName": "INSERT", "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "awsRegion": "eu-west-2",
            "dynamodb": { "ApproximateCreationDateTime": 1763805600, "Keys": key(version), "SequenceNumber": format!("11100000000012345678{n}"), "SizeBytes": 180, "StreamViewType": "NEW_IMAGE" },
            "eventSourceARN": "arn:aws:dynamodb:eu-west-2:123456789012:table/spine/stream/2026-11-22T00:00:00.000",
        })
    };
    let event = json!({ "Records": [record(1, 1), record(2, 2)] });
    let status = json!({
        "event_id": format!("{}:2", rx::WAITING), "prescription_id": rx::WAITING, "nhs_number": PATIENT,
        "status": "0002", "previous_status": "0001", "dispenser": PHARMACY,
        "items": rx::items(rx::WAITING).iter().map(|i| json!([i, "0002"])).collect::<Vec<_>>(),
        "at": "2026-11-22T10:00:00Z",
    });
    let message = |id: &str, body: String| {
        json!({
            "messageId": id, "receiptHandle": format!("AQEB{id}"), "body": body,
            "attributes": { "ApproximateReceiveCount": "1", "SentTimestamp": "1763805600000" },
            "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:eu-west-2:123456789012:eps-status-events", "awsRegion": "eu-west-2",
        })
    };
    let sqs = json!({ "Records": [
        message("0f8b7e1a-0000-4000-8000-000000000001", status.to_string()),
        message("0f8b7e1a-0000-4000-8000-000000000002", status.to_string()),
        message("0f8b7e1a-0000-4000-8000-000000000003", "not a status event".into()),
    ]});
    let scheduled = json!({
        "version": "0", "id": "5f0b2c1e-7a0d-4c51-9d8e-2f1f6c0e3a11", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": "2027-05-03T02:00:00Z", "region": "eu-west-2",
        "resources": ["arn:aws:events:eu-west-2:123456789012:rule/eps-expire-prescriptions"], "detail": {},
    });
    vec![
        ("eps-expire-prescriptions", "scheduled-event.json", scheduled),
        ("eps-relay-status-events", "200-two-outbox-inserts.json", event),
        ("eps-notify-patients", "200-released-delivered-twice-and-one-malformed.json", sqs),
    ]
}

fn write(dir: &Path, function: &str, name: &str, event: &Value) {
    let path: PathBuf = dir.join(function);
    std::fs::create_dir_all(&path).expect("events directory");
    let text = serde_json::to_string_pretty(event).expect("an event serialises") + "\n";
    std::fs::write(path.join(name), text).expect("event written");
}

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "events".into());
    let dir = Path::new(&dir);
    for (function, name, event) in events().into_iter().chain(other_events()) {
        write(dir, function, name, &event);
    }
    eprintln!("wrote EPS sample events under {}", dir.display());
}
