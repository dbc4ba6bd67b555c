//! The privacy officer's search (`audit-search-events`) over an audit table the writer filled, on
//! the embedded store and on DynamoDB (moto): by patient, by agent, a day's alerts (and today's by
//! default), date ranges, paging through more events than `_count` by the `next` links, and every
//! 400. The sample events in `events/audit-search-events/` are replayed through the Lambda edge
//! and the whole pipeline (authorizer identity, activity B8001) and answer with their status.

mod support;

use std::sync::Arc;

use serde_json::Value;
use spine_audit::{AuditContext, AuditWriter, handler_for};
use spine_shared::audit::AuditEvent;
use spine_shared::pipeline::{self, Access, ApiRequest, AuthorizerContext, Handler};
use spine_shared::ports::{BlobStore, RecordStore};
use support::*;

const OTHER: &str = "555021930200";
const ORIGIN: &str = "https://api.service.nhs.uk";
const SEARCH: &str = "https://api.service.nhs.uk/audit/FHIR/R4/AuditEvent";

/// What the table holds: Jane read four times a day through November 2025 by two workers, three
/// alerts for Jane on the 22nd and one today, Oliver read three times and one alert on the 21st.
struct Seeded {
    jane: Vec<AuditEvent>,
    oliver: Vec<AuditEvent>,
    alerts_22nd: Vec<AuditEvent>,
    alert_today: AuditEvent,
}

impl Seeded {
    fn all(&self) -> Vec<AuditEvent> {
        self.jane.iter().chain(&self.oliver).cloned().collect()
    }

    fn by(&self, subject: &str) -> usize {
        self.all().iter().filter(|e| e.subject.as_deref() == Some(subject)).count()
    }
}

fn now() -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    time::OffsetDateTime::now_utc().format(&f).unwrap()
}

async fn seed(table: Arc<dyn RecordStore>, archive: Arc<dyn BlobStore>) -> Seeded {
    let mut jane = Vec::new();
    for day in 1..=30 {
        for (n, hour) in ["09", "10", "11", "12"].iter().enumerate() {
            let mut e = event(JANE, &at(&format!("2025-11-{day:02}"), &format!("{hour}:00:00")));
            if n % 2 == 1 {
                e.subject = Some(OTHER.into());
            }
            jane.push(e);
        }
    }
    let alerts_22nd: Vec<AuditEvent> = (0..3).map(|i| alert(JANE, &at("2025-11-22", &format!("13:00:0{i}")))).collect();
    let alert_today = alert(JANE, &now());
    jane.extend(alerts_22nd.iter().cloned());
    jane.push(alert_today.clone());
    let mut oliver: Vec<AuditEvent> = (0..3)
        .map(|i| AuditEvent { subject: Some(OTHER.into()), ..event(OLIVER, &at("2025-11-21", &format!("08:00:0{i}"))) })
        .collect();
    oliver.push(AuditEvent { subject: Some(OTHER.into()), ..alert(OLIVER, &at("2025-11-21", "14:00:00")) });
    let seeded = Seeded { jane, oliver, alerts_22nd, alert_today };
    let writer = AuditWriter::new(table, archive);
    let all = seeded.all();
    for (n, chunk) in all.chunks(7).enumerate() {
        let outcome = writer.write(vec![received(&format!("m{n}"), chunk)]).await;
        assert!(outcome.failed_message_ids.is_empty());
    }
    seeded
}

struct Api {
    handler: Box<dyn Handler>,
}

impl Api {
    fn new(table: Arc<dyn RecordStore>) -> Self {
        Api { handler: handler_for("audit-search-events", AuditContext::new(table, ORIGIN)).expect("the handler") }
    }

    /// (status, body) of a search, errors mapped as the pipeline maps them.
    async fn search(&self, query: &[(&str, &str)]) -> (u16, Value) {
        let request = ApiRequest {
            query: query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..ApiRequest::default()
        };
        let response = match self.handler.handle(&request).await {
            Ok(r) => r,
            Err(e) => pipeline::error_response(&e),
        };
        (response.status, response.json())
    }

    async fn ok(&self, query: &[(&str, &str)]) -> Value {
        let (status, body) = self.search(query).await;
        assert_eq!(status, 200, "{body:#}");
        assert_eq!((body["resourceType"].as_str(), body["type"].as_str()), (Some("Bundle"), Some("searchset")));
        body
    }
}

fn entries(bundle: &Value) -> Vec<Value> {
    bundle["entry"].as_array().cloned().unwrap_or_default().into_iter().map(|e| e["resource"].clone()).collect()
}

fn ids(resources: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = resources.iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

fn event_ids(events: &[AuditEvent]) -> Vec<String> {
    let mut ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
    ids.sort();
    ids
}

fn link(bundle: &Value, relation: &str) -> Option<String> {
    bundle["link"].as_array()?.iter().find(|l| l["relation"] == relation).map(|l| l["url"].as_str().unwrap().to_owned())
}

/// The `_page` token of a `next` link.
fn page_of(url: &str) -> String {
    url.split(['?', '&']).find_map(|p| p.strip_prefix("_page=")).expect("a _page parameter").to_owned()
}

async fn by_patient_newest_first_in_fhir(api: &Api, s: &Seeded) {
    let bundle = api.ok(&[("patient", JANE), ("_count", "100")]).await;
    let found = entries(&bundle);
    assert_eq!(found.len(), 100);
    assert_eq!(found[0]["id"], s.alert_today.id.as_str(), "newest first");
    let recorded: Vec<&str> = found.iter().map(|r| r["recorded"].as_str().unwrap()).collect();
    assert!(recorded.windows(2).all(|w| w[0] >= w[1]), "in time order, newest first");
    assert_eq!(link(&bundle, "self").unwrap(), format!("{SEARCH}?patient={JANE}&_count=100"));
    assert!(link(&bundle, "next").is_some());
    let r = &found[0];
    assert_eq!(r["resourceType"], "AuditEvent");
    assert_eq!(r["entity"][0]["what"]["identifier"]["value"], JANE);
    assert_eq!(r["subtype"][1]["code"], "privacy-alert");
    assert_eq!(bundle["entry"][0]["fullUrl"], format!("urn:uuid:{}", s.alert_today.id));
    assert_eq!(bundle["entry"][0]["search"]["mode"], "match");
    let by_token = api.ok(&[("patient", &format!("https://fhir.nhs.uk/Id/nhs-number|{OLIVER}"))]).await;
    assert_eq!(ids(&entries(&by_token)), event_ids(&s.oliver));
}

async fn paging_through_more_than_count(api: &Api, s: &Seeded) {
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut query: Vec<(String, String)> = vec![("patient".into(), JANE.into()), ("_count".into(), "50".into())];
    loop {
        let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let bundle = api.ok(&pairs).await;
        let page = entries(&bundle);
        sizes.push(page.len());
        seen.extend(page);
        match link(&bundle, "next") {
            Some(next) => {
                assert!(next.starts_with(&format!("{SEARCH}?patient={JANE}&_count=50&_page=")), "{next}");
                query = vec![
                    ("patient".into(), JANE.into()),
                    ("_count".into(), "50".into()),
                    ("_page".into(), page_of(&next)),
                ];
            }
            None => break,
        }
    }
    assert_eq!(sizes, vec![50, 50, s.jane.len() - 100], "the last page is not followed by an empty one");
    assert_eq!(ids(&seen), event_ids(&s.jane), "every event once");
    let recorded: Vec<&str> = seen.iter().map(|r| r["recorded"].as_str().unwrap()).collect();
    assert!(recorded.windows(2).all(|w| w[0] > w[1]), "strictly newest first across pages");
    // Exactly `_count` events: one page, no next link.
    let exact = api.ok(&[("patient", OLIVER), ("_count", &s.oliver.len().to_string())]).await;
    assert_eq!((entries(&exact).len(), link(&exact, "next")), (s.oliver.len(), None));
}

async fn by_agent(api: &Api, s: &Seeded) {
    let bundle = api.ok(&[("agent", OTHER), ("_count", "100")]).await;
    let found = entries(&bundle);
    assert_eq!(found.len(), s.by(OTHER));
    assert!(found.iter().all(|r| r["agent"][0]["who"]["identifier"]["value"] == OTHER));
    let token = api.ok(&[("agent", &format!("https://fhir.nhs.uk/Id/sds-user-id|{DR_HART}")), ("_count", "100")]).await;
    assert_eq!(entries(&token).len(), s.by(DR_HART));
    assert!(entries(&api.ok(&[("agent", "nobody")]).await).is_empty());
}

async fn alerts_by_day(api: &Api, s: &Seeded) {
    let day = api.ok(&[("type", "privacy-alert"), ("date", "2025-11-22")]).await;
    assert_eq!(ids(&entries(&day)), event_ids(&s.alerts_22nd));
    assert!(entries(&day).iter().all(|r| r["subtype"][1]["code"] == "privacy-alert"));
    assert_eq!(entries(&day)[0]["purposeOfEvent"][0]["coding"][0]["code"], "self-claimed");
    assert_eq!(entries(&day)[0]["purposeOfEvent"][0]["text"], "Patient at the walk-in centre");
    let coded = api
        .ok(&[("type", "https://spine.nhs.example/CodeSystem/audit-alert|privacy-alert"), ("date", "eq2025-11-21")])
        .await;
    assert_eq!(entries(&coded).len(), 1);
    let today = api.ok(&[("type", "privacy-alert")]).await;
    assert_eq!(ids(&entries(&today)), vec![s.alert_today.id.clone()]);
    assert!(entries(&api.ok(&[("type", "privacy-alert"), ("date", "2025-11-23")]).await).is_empty());
}

async fn date_ranges(api: &Api) {
    let count = |q: Vec<(&'static str, &'static str)>| async move {
        let mut q = q;
        q.extend([("patient", JANE), ("_count", "100")]);
        entries(&api.ok(&q).await).len()
    };
    assert_eq!(count(vec![("date", "ge2025-11-10"), ("date", "le2025-11-12")]).await, 12);
    assert_eq!(count(vec![("date", "2025-11-10")]).await, 4);
    assert_eq!(count(vec![("date", "eq2025-11-22")]).await, 7, "four reads and three alerts");
    assert_eq!(count(vec![("date", "gt2025-11-28"), ("date", "lt2025-12-01")]).await, 8);
    assert_eq!(count(vec![("date", "lt2025-11-03")]).await, 8);
    assert_eq!(count(vec![("date", "le2025-10-31")]).await, 0);
}

async fn every_bad_search_is_a_400(api: &Api) {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[], "INVALID_SEARCH_DATA"),
        (&[("date", "ge2025-11-01")], "INVALID_SEARCH_DATA"),
        (&[("patient", JANE), ("agent", DR_HART)], "INVALID_SEARCH_DATA"),
        (&[("agent", DR_HART), ("type", "privacy-alert")], "INVALID_SEARCH_DATA"),
        (&[("patient", JANE), ("patient", OLIVER)], "INVALID_SEARCH_DATA"),
        (&[("patient", JANE), ("date", "ge2025-11-01"), ("date", "gt2025-11-02")], "INVALID_SEARCH_DATA"),
        (&[("patient", "9000000000")], "INVALID_VALUE"),
        (&[("patient", "90000000")], "INVALID_VALUE"),
        (&[("patient", "https://example.com/nhs|9000000009")], "INVALID_VALUE"),
        (&[("agent", "")], "INVALID_VALUE"),
        (&[("patient", JANE), ("date", "2025-02-30")], "INVALID_VALUE"),
        (&[("patient", JANE), ("date", "ne2025-11-01")], "INVALID_VALUE"),
        (&[("patient", JANE), ("date", "ge2025-12-01"), ("date", "le2025-11-01")], "INVALID_VALUE"),
        (&[("type", "privacy-alert"), ("date", "ge2025-11-01")], "INVALID_VALUE"),
        (&[("patient", JANE), ("_count", "0")], "INVALID_VALUE"),
        (&[("patient", JANE), ("_count", "101")], "INVALID_VALUE"),
        (&[("patient", JANE), ("_count", "many")], "INVALID_VALUE"),
        (&[("patient", JANE), ("_page", "not-a-token")], "INVALID_VALUE"),
        (&[("type", "access")], "UNSUPPORTED_VALUE"),
        (&[("patient", JANE), ("family", "Smith")], "ADDITIONAL_PROPERTIES"),
    ];
    for (query, code) in cases {
        let (status, body) = api.search(query).await;
        assert_eq!(status, 400, "{query:?}: {body:#}");
        assert_eq!(body["resourceType"], "OperationOutcome", "{query:?}");
        assert_eq!(body["issue"][0]["details"]["coding"][0]["code"], *code, "{query:?}: {body:#}");
        assert_eq!(body["issue"][0]["details"]["coding"][0]["system"], spine_shared::fhir::SPINE_ERROR_CODE_SYSTEM);
    }
    // A page token of another search is refused, not followed.
    let bundle = api.ok(&[("patient", JANE), ("_count", "1")]).await;
    let token = page_of(&link(&bundle, "next").unwrap());
    let (status, body) = api.search(&[("patient", OLIVER), ("_page", &token)]).await;
    assert_eq!((status, body["issue"][0]["details"]["coding"][0]["code"].as_str()), (400, Some("INVALID_VALUE")));
}

async fn the_whole_search(table: Arc<dyn RecordStore>, archive: Arc<dyn BlobStore>) {
    let seeded = seed(table.clone(), archive).await;
    let api = Api::new(table);
    by_patient_newest_first_in_fhir(&api, &seeded).await;
    paging_through_more_than_count(&api, &seeded).await;
    by_agent(&api, &seeded).await;
    alerts_by_day(&api, &seeded).await;
    date_ranges(&api).await;
    every_bad_search_is_a_400(&api).await;
}

#[tokio::test]
async fn the_search_on_the_embedded_store() {
    let (_dir, store) = embedded();
    the_whole_search(Arc::new(store.records()), Arc::new(store.blobs())).await;
}

#[tokio::test]
async fn the_search_on_dynamodb() {
    the_whole_search(dynamo().await, s3().await).await;
}

#[tokio::test]
async fn every_sample_event_answers_with_its_status_through_the_pipeline() {
    let (_dir, store) = embedded();
    let table: Arc<dyn RecordStore> = Arc::new(store.records());
    seed(table.clone(), Arc::new(store.blobs())).await;
    let queue: Arc<dyn spine_shared::ports::Queue> = Arc::new(store.queues());
    spine_shared::config::ensure_audit_queue(queue.as_ref(), "spine-audit").await.unwrap();
    let access = Access::new(
        Arc::new(AuthorizerContext),
        Arc::new(spine_shared::audit::QueueAuditSink::new(queue, "spine-audit")),
    );
    let route = spine_shared::routes::by_function("audit-search-events").expect("the route");
    let handler = handler_for(&route.function, AuditContext::new(table, ORIGIN)).unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/audit-search-events");
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 15, "{files:?}");
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let expected: u16 = name[..3].parse().unwrap();
        let request = lambda_http::request::from_str(&std::fs::read_to_string(&file).unwrap())
            .unwrap_or_else(|e| panic!("{name}: not an API Gateway event: {e}"));
        let request = pipeline::lambda::to_api_request(route, request);
        let response = pipeline::run(route, &access, &handler, request).await;
        let body = response.json();
        assert_eq!(response.status, expected, "{name}: {body:#}");
        if expected >= 400 {
            assert_eq!(body["resourceType"], "OperationOutcome", "{name}");
        } else {
            assert_eq!(body["resourceType"], "Bundle", "{name}");
            if name.contains("by-patient") || name.contains("alerts-of-a-day") {
                assert!(!entries(&body).is_empty(), "{name} finds the seeded events");
            }
        }
    }
}
