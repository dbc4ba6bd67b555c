//! Benchmark of the audit writer on the embedded store (the target: ≥ 10,000 events/s).
//! Builds the audit messages of a mix of requests — reads (one event each) and searches (50
//! events each, one per match) with some self-claimed accesses (alerts) — then measures:
//!
//! 1. the writer alone: `AuditWriter::write` over the messages in batches of
//!    `consumer::MAX_MESSAGES` (what the local consumer gathers into one write), into a fresh
//!    audit store;
//! 2. end to end: the messages sent to the embedded audit queue, then `drain` (receive, write,
//!    delete) into another fresh audit store, as the local Spine's consumer runs.
//!
//! `cargo run --release -p spine-audit --no-default-features --features embedded --example audit_writer_bench -- \
//!     [--events 200000] [--search-share 0.5] [--dir PATH]` (bench/audit_writer.sh runs it).
//! `--search-share` is the share of events that come from 50-event search messages.

use std::sync::Arc;
use std::time::Instant;

use spine_audit::AuditWriter;
use spine_shared::NhsNumber;
use spine_shared::adapters::embedded::EmbeddedStore;
use spine_shared::audit::{Attempt, AuditBatch, AuditEvent, Basis, Outcome};
use spine_shared::identity::{HealthcareWorker, Identity, Principal};
use spine_shared::ports::queue::{MAX_BATCH, QueueSpec};
use spine_shared::ports::{OutgoingMessage, Queue, ReceivedMessage};
use spine_shared::routes;

const QUEUE: &str = "spine-audit";
const SEARCH_MATCHES: usize = 50;

struct Args {
    events: usize,
    search_share: f64,
    dir: Option<std::path::PathBuf>,
}

fn args() -> Args {
    let mut a = Args { events: 200_000, search_share: 0.5, dir: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--events" => a.events = value.parse().expect("--events N"),
            "--search-share" => a.search_share = value.parse().expect("--search-share 0..1"),
            "--dir" => a.dir = Some(value.into()),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

fn identity(n: usize) -> Identity {
    Identity {
        subject: format!("5550219{:05}", n % 500),
        principal: Principal::HealthcareWorker(HealthcareWorker {
            user_id: format!("5550219{:05}", n % 500),
            role_profile_id: format!("5550220{:05}", n % 500),
            job_role: "R8000".into(),
            organisation: "Y12345".into(),
            activities: vec![],
        }),
    }
}

/// The message bodies of the mix: every `every`-th request a search, the others reads.
fn bodies(events: usize, search_share: f64) -> Vec<String> {
    let read = routes::by_function("pds-get-patient").expect("route");
    let search = routes::by_function("pds-search-patients").expect("route");
    let search_events = (events as f64 * search_share) as usize;
    let searches = search_events / SEARCH_MATCHES;
    let reads = events - searches * SEARCH_MATCHES;
    let every = (reads + searches).checked_div(searches).unwrap_or(usize::MAX);
    let mut out = Vec::with_capacity(reads + searches);
    let (mut r, mut s) = (0, 0);
    let patient = |i: usize| NhsNumber::from_base(910_000_000 + (i % 1_000_000) as u32);
    while r < reads || s < searches {
        let n = r + s;
        let request_id = uuid::Uuid::new_v4().to_string();
        let attempt = Attempt::now(&request_id, None);
        let who = identity(n);
        let batch: Vec<AuditEvent> = if s < searches && (n % every == every - 1 || r == reads) {
            s += 1;
            (0..SEARCH_MATCHES)
                .map(|m| AuditEvent::new(search, &attempt, Some(&who), patient(n * 7 + m), Outcome::Allowed, 200))
                .collect()
        } else {
            r += 1;
            let mut e = AuditEvent::new(read, &attempt, Some(&who), patient(n), Outcome::Allowed, 200);
            // About one read in 200 is a self-claimed access: a privacy alert.
            e.basis = Some(if n % 200 == 0 { Basis::SelfClaimed } else { Basis::RegisteredPractice });
            if n % 200 == 0 {
                e.stated_reason = Some("Patient presented at the walk-in centre".into());
            }
            vec![e]
        };
        out.push(serde_json::to_string(&AuditBatch { events: batch }).expect("serialises"));
    }
    out
}

fn writer(store: &EmbeddedStore) -> AuditWriter {
    AuditWriter::new(Arc::new(store.records()), Arc::new(store.blobs()))
}

fn per_sec(n: usize, secs: f64) -> String {
    format!("{:.0}/s", n as f64 / secs)
}

#[tokio::main]
async fn main() {
    let a = args();
    let temp = tempfile::tempdir().expect("temporary directory");
    let root = a.dir.clone().unwrap_or_else(|| temp.path().to_owned());
    let bodies = bodies(a.events, a.search_share);
    let messages = bodies.len();
    println!(
        "audit writer benchmark: {} events in {messages} messages ({:.0}% of events from {SEARCH_MATCHES}-event searches), data in {}",
        a.events,
        a.search_share * 100.0,
        root.display()
    );

    // 1. The writer alone, in batches of the consumer's size.
    let store = EmbeddedStore::open_btree(&root.join("writer-only")).expect("store");
    let w = writer(&store);
    let started = Instant::now();
    for (n, chunk) in bodies.chunks(spine_audit::consumer::MAX_MESSAGES).enumerate() {
        let batch: Vec<ReceivedMessage> = chunk
            .iter()
            .enumerate()
            .map(|(i, body)| ReceivedMessage {
                message_id: format!("{n}-{i}"),
                receipt: String::new(),
                body: body.clone(),
                receive_count: 1,
            })
            .collect();
        let outcome = w.write(batch).await;
        assert!(outcome.failed_message_ids.is_empty(), "the writer failed on {:?}", outcome.failed_message_ids);
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "writer alone ({} messages a write): {:.2} s, {} events, {} messages",
        spine_audit::consumer::MAX_MESSAGES,
        secs,
        per_sec(a.events, secs),
        per_sec(messages, secs)
    );

    // 2. End to end through the embedded queue.
    let main_store = EmbeddedStore::open(&root.join("main")).expect("store");
    let queue = main_store.queues();
    queue.ensure_queue(QUEUE, QueueSpec { dead_letter: None }).await.expect("queue");
    let started = Instant::now();
    for chunk in bodies.chunks(MAX_BATCH) {
        let batch =
            chunk.iter().enumerate().map(|(i, b)| OutgoingMessage { id: i.to_string(), body: b.clone() }).collect();
        queue.send_batch(QUEUE, batch).await.expect("send");
    }
    let secs = started.elapsed().as_secs_f64();
    println!("fill the queue (send_batch of {MAX_BATCH}): {:.2} s, {} messages", secs, per_sec(messages, secs));
    let audit = EmbeddedStore::open_btree(&root.join("audit")).expect("store");
    let w = writer(&audit);
    let started = Instant::now();
    let drained = spine_audit::drain(&queue, QUEUE, &w).await;
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(drained, messages, "every message drained");
    assert_eq!(queue.depth(QUEUE).expect("depth"), 0, "every message deleted");
    println!(
        "drain (receive, write, delete): {:.2} s, {} events, {} messages",
        secs,
        per_sec(a.events, secs),
        per_sec(messages, secs)
    );
}
