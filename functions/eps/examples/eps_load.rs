//! An EPS load generator: complete prescription lifecycles per second through a Spine's EPS API,
//! with the latency of each operation.
//!
//! Each of `--concurrency` workers loops lifecycles over its own keep-alive HTTP/1.1 connection,
//! which it drives itself (no pool, no connection task: a request and its answer never hop between
//! tasks), each request with its own `X-Request-ID`:
//!
//! 1. create — `POST /$process-message` `prescription-order`: a new prescription id (Mod 37-2
//!    checked), two line items, signed by the reference prescriber's synthetic key (the client signs
//!    the SignedInfo `$prepare` would return: computing it locally is what a prescribing system
//!    caching `$prepare` does; with ring, so that the client's signing takes little of the cores
//!    the Spine is measured on) → 200;
//! 2. release — `POST /Task/$release` with `group-identifier` (patient release) as the reference
//!    pharmacist → 200 and the prescription's signed Bundle;
//! 3. dispense — `POST /$process-message` `dispense-notification`, both items fully dispensed → 200;
//! 4. claim — `POST /Claim` → 200.
//!
//! Lifecycles are made — ids, signed orders, the messages that follow, serialised — before the
//! clock starts (`--prepared-rate` a second for `--duration`), so that the client's share of the
//! cores during the run is HTTP alone. The prescriber's and the pharmacist's bearer tokens come
//! from the command line (`spine token` mints them). The result is one line on stdout:
//! `RESULT lifecycles=… errors=… lifecycles_per_s=… made_during_run=… client_cores=… create_p50_ms=… create_p99_ms=… release_… dispense_… claim_…`
//!
//! ```sh
//! cargo run --release -p spine-eps --example eps_load -- --url http://127.0.0.1:8700 \
//!     --prescriber-token "$P" --pharmacist-token "$D" --concurrency 32 --duration 20
//! ```

use std::process::ExitCode;

/// The client's allocator, as the Spine's: glibc's malloc took a sixth of the client's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use spine_eps::reference::{PHARMACY, PRESCRIBER_ODS, PRESCRIBER_ROLE};
use spine_eps::{EpsError, PrescriptionId, client, signature};
use spine_sds::seed::signing_keys::synthetic_signing_key;

const BASE: &str = "/electronic-prescriptions/FHIR/R4";
const MAX_REPORTED_ERRORS: usize = 5;
const OPERATIONS: [&str; 4] = ["create", "release", "dispense", "claim"];
/// The reference patients lifecycles are spread over (PDS knows them; one has a nominated pharmacy).
const PATIENTS: [&str; 2] = ["9000000009", "9000000017"];

#[derive(Parser, Debug)]
#[command(about = "EPS load generator: create + release + dispense + claim lifecycles")]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8700")]
    url: String,
    /// A bearer token of the reference prescriber (role profile 555021935107 at Y12345).
    #[arg(long)]
    prescriber_token: String,
    /// A bearer token of a pharmacist at FA666 (role profile 555021935131).
    #[arg(long)]
    pharmacist_token: String,
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds of load.
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// Client runtime threads (1 leaves the cores to the server).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Lifecycles a second to prepare for, before the clock starts: made (signed, serialised) then,
    /// so that the client's work during the run is HTTP alone, as `spine sample` makes the PDS
    /// benchmark's requests beforehand. Should they run out, the rest are made during the run
    /// (counted in the result's `made_during_run`). 0: all made during the run.
    #[arg(long, default_value_t = 4000.0)]
    prepared_rate: f64,
    /// A run's distinct prefix of prescription ids (6 hex digits; random by default).
    #[arg(long)]
    run: Option<String>,
}

struct Setup {
    /// `host:port`, to connect to and to name in `Host`.
    authority: String,
    prescriber: String,
    pharmacist: String,
    key: EcdsaKeyPair,
    rng: SystemRandom,
    run: [u8; 3],
}

type Response = (StatusCode, Bytes);

/// A worker's connection: requests go out on it one at a time.
type Connection = SendRequest<Full<Bytes>>;

impl Setup {
    /// A new keep-alive connection, and the future that drives it (the worker polls it beside its
    /// requests).
    async fn connect(
        &self,
    ) -> Result<(Connection, impl std::future::Future<Output = hyper::Result<()>> + use<>), String> {
        let stream = tokio::net::TcpStream::connect(&self.authority).await.map_err(|e| e.to_string())?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())
    }

    async fn post(&self, conn: &mut Connection, path: &str, token: &str, body: Bytes) -> Result<Response, String> {
        let request = Request::builder()
            .method(Method::POST)
            .uri(format!("{BASE}{path}"))
            .header(header::HOST, &self.authority)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/fhir+json")
            .header("x-request-id", uuid::Uuid::new_v4().to_string())
            .body(Full::new(body))
            .map_err(|e| e.to_string())?;
        let response = conn.send_request(request).await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok((status, body))
    }
}

fn expect_ok(step: &str, (status, body): &Response) -> Result<(), String> {
    if *status == StatusCode::OK {
        Ok(())
    } else {
        let text = String::from_utf8_lossy(&body[..body.len().min(300)]).replace('\n', " ");
        Err(format!("{step}: HTTP {status}: {text}"))
    }
}

#[derive(Default)]
struct Tally {
    lifecycles: u64,
    errors: u64,
    latencies_us: [Vec<u32>; 4],
    reported: Vec<String>,
    /// Lifecycles made during the run because the prepared ones ran out.
    made_during_run: u64,
}

/// One lifecycle's four request bodies, serialised (create, release, dispense, claim).
type Bodies = [Bytes; 4];

/// Makes lifecycle `n` of `worker`: a new prescription id, the signed order and the messages that
/// follow it.
fn prepare(setup: &Setup, worker: usize, n: u64) -> Result<Bodies, String> {
    // 20 bits of sequence: worker (8 bits) and cycle (12 bits), under the run's random prefix.
    let sequence = ((worker as u32 & 0xFF) << 12) | (n as u32 & 0xFFF);
    let mut random = setup.run;
    random[2] = random[2].wrapping_add((n >> 12) as u8);
    let id = PrescriptionId::generate(random, PRESCRIBER_ODS, sequence).map_err(|e| e.to_string())?.to_string();
    let patient = PATIENTS[(n % 2) as usize];
    let items = client::line_items(&id);
    let order = client::order(
        &id,
        patient,
        PRESCRIBER_ROLE,
        PRESCRIBER_ODS,
        &[&items[0], &items[1]],
        "2026-11-22T09:00:00+00:00",
    );
    let order = client::signed_with(order, "2026-11-22T09:00:00+00:00", |digest| {
        signature::sign_with(digest, |info| {
            let signed = setup.key.sign(&setup.rng, info).map_err(|_| EpsError::internal("ring could not sign"))?;
            Ok(signed.as_ref().to_vec())
        })
    })
    .map_err(|e: EpsError| e.to_string())?;
    let notification = client::uuid(&id, "dispense");
    let dispense =
        client::dispense(&notification, &id, patient, PHARMACY, &[(&items[0], "0001"), (&items[1], "0001")], None);
    let claim = client::claim(&client::uuid(&id, "claim"), &id, patient, PHARMACY, None);
    let release = client::release(PHARMACY, Some(&id));
    Ok([&order, &release, &dispense, &claim].map(|body| Bytes::from(body.to_string())))
}

async fn lifecycle(setup: &Setup, conn: &mut Connection, bodies: &Bodies, tally: &mut Tally) -> Result<(), String> {
    let steps: [(&str, &str); 4] = [
        ("/$process-message", &setup.prescriber),
        ("/Task/$release", &setup.pharmacist),
        ("/$process-message", &setup.pharmacist),
        ("/Claim", &setup.pharmacist),
    ];
    for (i, ((path, token), body)) in steps.iter().zip(bodies).enumerate() {
        let started = Instant::now();
        let response =
            setup.post(conn, path, token, body.clone()).await.map_err(|e| format!("{}: {e}", OPERATIONS[i]))?;
        expect_ok(OPERATIONS[i], &response)?;
        tally.latencies_us[i].push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
    }
    Ok(())
}

/// A worker's lifecycles, made before the clock starts: `count` of them (or fewer, if making one
/// failed: the rest are made during the run).
fn prepare_pool(setup: &Setup, worker: usize, count: u64) -> Vec<Bodies> {
    (0..count).map_while(|n| prepare(setup, worker, n).ok()).collect()
}

/// Lifecycles on one connection until the deadline (or until a lifecycle fails: the connection
/// may be unusable, so the worker makes another).
async fn lifecycles(
    setup: &Setup,
    conn: &mut Connection,
    id: usize,
    pool: &[Bodies],
    deadline: Instant,
    n: &mut u64,
    tally: &mut Tally,
) {
    while Instant::now() < deadline {
        // Counted before it runs: a lifecycle cut short by a closed connection is not tried again.
        let this = *n;
        *n += 1;
        let made;
        let bodies = match pool.get(this as usize) {
            Some(bodies) => Ok(bodies),
            None => {
                tally.made_during_run += 1;
                made = prepare(setup, id, this);
                made.as_ref().map_err(Clone::clone)
            }
        };
        let done = match bodies {
            Ok(bodies) => lifecycle(setup, conn, bodies, tally).await,
            Err(e) => Err(e),
        };
        match done {
            Ok(()) => tally.lifecycles += 1,
            Err(e) => {
                tally.errors += 1;
                if tally.reported.len() < MAX_REPORTED_ERRORS {
                    tally.reported.push(format!("worker {id} lifecycle {this}: {e}"));
                }
                return;
            }
        }
    }
}

async fn worker(setup: Arc<Setup>, id: usize, pool: Vec<Bodies>, deadline: Instant) -> Tally {
    let mut tally = Tally::default();
    let mut n = 0u64;
    while Instant::now() < deadline {
        let (mut conn, driver) = match setup.connect().await {
            Ok(c) => c,
            Err(e) => {
                tally.errors += 1;
                if tally.reported.len() < MAX_REPORTED_ERRORS {
                    tally.reported.push(format!("worker {id}: cannot connect: {e}"));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let work = lifecycles(&setup, &mut conn, id, &pool, deadline, &mut n, &mut tally);
        // The connection is driven by this task, beside its requests; should it end first (the
        // server closed it), the lifecycle under way is dropped and counted as an error.
        let closed = tokio::select! {
            () = work => false,
            _ = driver => true,
        };
        if closed {
            tally.errors += 1;
            if tally.reported.len() < MAX_REPORTED_ERRORS {
                tally.reported.push(format!("worker {id}: the server closed the connection"));
            }
        }
    }
    tally
}

/// The CPU time this process has used, user and system, in seconds (Linux: `/proc/self/stat`, in
/// clock ticks of 1/100 s); `None` elsewhere.
fn own_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    // utime and stime: fields 14 and 15 of the line, 12 and 13 after the name.
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

fn percentile_ms(sorted_us: &[u32], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted_us.len() as f64).ceil() as usize).clamp(1, sorted_us.len());
    f64::from(sorted_us[rank - 1]) / 1000.0
}

async fn run(args: Args, setup: Setup) {
    let setup = Arc::new(setup);
    // Enough lifecycles for `--prepared-rate` a second over the run, shared among the workers,
    // made on all the client's threads before the clock starts.
    let per_worker = (args.prepared_rate * args.duration / args.concurrency as f64).ceil() as u64;
    let making: Vec<_> = (0..args.concurrency)
        .map(|id| {
            let setup = setup.clone();
            tokio::task::spawn_blocking(move || prepare_pool(&setup, id, per_worker))
        })
        .collect();
    let mut pools = Vec::with_capacity(args.concurrency);
    for pool in making {
        pools.push(pool.await.unwrap_or_default());
    }
    let cpu_before = own_cpu_seconds();
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.duration);
    let workers: Vec<_> = pools
        .into_iter()
        .enumerate()
        .map(|(id, pool)| tokio::spawn(worker(setup.clone(), id, pool, deadline)))
        .collect();
    let mut total = Tally::default();
    for w in workers {
        match w.await {
            Ok(t) => {
                total.lifecycles += t.lifecycles;
                total.errors += t.errors;
                total.made_during_run += t.made_during_run;
                for (all, mine) in total.latencies_us.iter_mut().zip(t.latencies_us) {
                    all.extend(mine);
                }
                total.reported.extend(t.reported);
            }
            Err(e) => {
                total.errors += 1;
                total.reported.push(format!("a worker stopped: {e}"));
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let client_cores = match (cpu_before, own_cpu_seconds()) {
        (Some(before), Some(after)) => format!("{:.2}", (after - before) / elapsed),
        _ => "unknown".into(),
    };
    for line in total.reported.iter().take(MAX_REPORTED_ERRORS) {
        eprintln!("eps_load: error: {line}");
    }
    let mut line = format!(
        "RESULT lifecycles={} errors={} lifecycles_per_s={:.1} made_during_run={} client_cores={client_cores}",
        total.lifecycles,
        total.errors,
        total.lifecycles as f64 / elapsed,
        total.made_during_run
    );
    for (name, latencies) in OPERATIONS.iter().zip(total.latencies_us.iter_mut()) {
        latencies.sort_unstable();
        line.push_str(&format!(
            " {name}_p50_ms={:.2} {name}_p99_ms={:.2}",
            percentile_ms(latencies, 0.50),
            percentile_ms(latencies, 0.99)
        ));
    }
    println!("{line}");
}

fn main() -> ExitCode {
    let args = Args::parse();
    let authority = args.url.trim_end_matches('/').strip_prefix("http://").unwrap_or_default().to_owned();
    if authority.is_empty()
        || authority.contains('/')
        || args.concurrency == 0
        || args.threads == 0
        || args.concurrency > 256
    {
        eprintln!("eps_load: --url must be http://host:port; --concurrency 1..=256; --threads ≥ 1");
        return ExitCode::from(2);
    }
    let run_prefix = match &args.run {
        Some(hex) if hex.len() == 6 => match u32::from_str_radix(hex, 16) {
            Ok(v) => [(v >> 16) as u8, (v >> 8) as u8, v as u8],
            Err(_) => {
                eprintln!("eps_load: --run is 6 hex digits");
                return ExitCode::from(2);
            }
        },
        Some(_) => {
            eprintln!("eps_load: --run is 6 hex digits");
            return ExitCode::from(2);
        }
        None => {
            let b = *uuid::Uuid::new_v4().as_bytes();
            [b[0], b[1], b[2]]
        }
    };
    let prescriber = synthetic_signing_key(PRESCRIBER_ROLE);
    let rng = SystemRandom::new();
    let key = match EcdsaKeyPair::from_private_key_and_public_key(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        &prescriber.to_bytes(),
        prescriber.verifying_key().to_encoded_point(false).as_bytes(),
        &rng,
    ) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("eps_load: the prescriber's key: {e}");
            return ExitCode::FAILURE;
        }
    };
    let setup = Setup {
        authority,
        prescriber: args.prescriber_token.clone(),
        pharmacist: args.pharmacist_token.clone(),
        key,
        rng,
        run: run_prefix,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(args.threads).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("eps_load: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args, setup));
    ExitCode::SUCCESS
}
