//! The logs of a whole run of PDS interactions — reads, searches, updates, creates and every kind
//! of failure — are JSON lines that carry the request and correlation ids and never a piece of
//! patient data: no NHS number, name, date of birth, postcode, email or phone number, and no
//! token (valid or forged) nor the reason a caller stated for claiming a relationship.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use support::{PDS, request_id};

/// A log sink shared with the subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_carry_the_ids_and_no_patient_data() {
    let sink = Captured::default();
    spine_shared::pipeline::logging::init_with_writer(sink.clone());
    let (_dir, http, _store) = support::reference_gateway().await;

    let correlation = "c0ffee00-1111-4222-8333-444455556666.rrt-9";
    let read_id = request_id();
    let r = http
        .send(
            "GET",
            &format!("{PDS}/Patient/9000000009"),
            &[("x-request-id", &read_id), ("x-correlation-id", correlation)],
            "",
        )
        .await;
    assert_eq!(r.status, 200);
    let tagged_id = request_id();
    let tagged = format!("patient 9000000009 {}", &http.token.clone().unwrap()[..120]);
    let r = http
        .send(
            "GET",
            &format!("{PDS}/Patient/9000000009"),
            &[("x-request-id", &tagged_id), ("x-correlation-id", &tagged)],
            "",
        )
        .await;
    assert_eq!((r.status, r.header("x-correlation-id")), (200, Some(tagged.as_str())), "echoed whole");
    http.get(&format!(
        "{PDS}/Patient?family=Smith&given=Jane&birthdate=eq2010-10-22&email=jane.smith@example.com&phone=01632960587"
    ))
    .await;
    http.get(&format!("{PDS}/Patient?family=Smyth&given=Jane&birthdate=eq2010-10-22&_fuzzy-match=true")).await;
    http.get(&format!("{PDS}/Patient?family=Jones&birthdate=eq1975-03-14&address-postalcode=LS11%206AD")).await;
    http.get(&format!("{PDS}/Patient/9000000068")).await;
    http.get(&format!("{PDS}/Patient/9000000000")).await;
    http.get(&format!("{PDS}/Patient?family=Smith&birthdate=1999-99-99")).await;
    let patch = r#"{"patches":[{"op":"replace","path":"/gender","value":"female"}]}"#;
    let id = request_id();
    let patched = http
        .send(
            "PATCH",
            &format!("{PDS}/Patient/9000000017"),
            &[("x-request-id", &id), ("if-match", "W/\"1\""), ("content-type", "application/json-patch+json")],
            patch,
        )
        .await;
    assert_eq!(patched.status, 200);
    let create =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/events/pds-create-patient/201-allocate.json"))
            .unwrap();
    let body = serde_json::from_str::<Value>(&create).unwrap()["body"].as_str().unwrap().to_owned();
    let id = request_id();
    let created = http
        .send("POST", &format!("{PDS}/Patient"), &[("x-request-id", &id), ("content-type", "application/json")], &body)
        .await;
    assert_eq!(created.status, 201);
    let new_nhs = created.body["id"].as_str().unwrap().to_owned();
    http.send("GET", &format!("{PDS}/Patient/9000000009"), &[("x-request-id", "not-a-uuid")], "").await;
    // Refused callers: a forged token, a patient reaching for another record, a self-claimed
    // relationship with its reason (the reason is for the audit trail, not the log).
    let id = request_id();
    let forged = format!("Bearer {}x", http.token.clone().unwrap());
    http.send("GET", &format!("{PDS}/Patient/9000000009"), &[("x-request-id", &id), ("authorization", &forged)], "")
        .await;
    let patient = http.as_caller(Some(&support::identity::patient("9000000017")));
    assert_eq!(patient.get(&format!("{PDS}/Patient/9000000009")).await.status, 403);
    let elsewhere =
        http.as_caller(Some(&support::identity::worker("555021930100", "555021935108", "R8000", "Y23999", &[])));
    let id = request_id();
    let claim = [
        ("x-request-id", id.as_str()),
        ("nhsd-legitimate-relationship", "self-claimed"),
        ("nhsd-access-reason", "Seen in clinic by Dr Quill"),
    ];
    let claimed = elsewhere.send("GET", &format!("{PDS}/Patient/9000000009/RelatedPerson"), &claim, "").await;
    assert_eq!(claimed.status, 200);
    let token = http.token.clone().unwrap();

    let log = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines.len() >= 10, "one line per request at least: {log}");
    for line in &lines {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(v["level"].is_string(), "{line}");
    }
    // The read carried its ids into its log line.
    let read = lines.iter().find(|l| l.contains(&read_id)).expect("the read is logged under its request id");
    assert!(read.contains("c0ffee00-1111-4222-8333-444455556666") && read.contains("pds-get-patient"), "{read}");
    // A correlation id is logged only up to its leading UUID: whatever else a client put there
    // (here an NHS number and a token) stays out of the log.
    let tagged = lines.iter().find(|l| l.contains(&tagged_id)).expect("the tagged read is logged");
    assert!(!tagged.contains("correlation_id\":\"patient"), "{tagged}");
    // Nothing a patient could be identified by.
    for secret in [
        "9000000009",
        "9000000017",
        "9000000068",
        new_nhs.as_str(),
        "Smith",
        "Smyth",
        "Jane",
        "Jones",
        "Chandrasekar",
        "2010-10-22",
        "1975-03-14",
        "LS11",
        "LS1 6AE",
        "jane.smith@example.com",
        "01632960587",
        "Dr Quill",
        "Bearer",
        "eyJ",
        token.as_str(),
    ] {
        assert!(!log.contains(secret), "the log contains {secret:?}:\n{log}");
    }
}
