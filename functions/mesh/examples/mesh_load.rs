//! A lean MESH load generator: completed messages per second through any MESH server (ours, or
//! NHS England's `mesh-sandbox`), measured the same way against each.
//!
//! Each of `--concurrency` workers loops full message cycles, over keep-alive HTTP/1.1:
//!
//! 1. send — `POST /messageexchange/{sender}/outbox`, one chunk of `--payload` bytes (distinct per
//!    cycle), `mex-To`, `mex-WorkflowID`, `mex-FileName`, `mex-LocalID`, octet-stream → 202 and a
//!    `message_id`;
//! 2. list — `GET /messageexchange/{recipient}/inbox` → 200, and the message is listed;
//! 3. download — `GET /messageexchange/{recipient}/inbox/{message_id}` (the id the send returned, not
//!    the list's order) → 200 and exactly the bytes sent;
//! 4. acknowledge — `PUT /messageexchange/{recipient}/inbox/{message_id}/status/acknowledged` → 200.
//!
//! Every request carries its own single-use `NHSMESH` token (each worker has one
//! [`TokenGenerator`] per mailbox: one nonce, the count rising per request) and
//! `Accept: application/vnd.mesh.v2+json`. A cycle that fails any check counts as an error (the
//! first few are described on stderr; a message left behind is acknowledged on a best-effort basis)
//! and the worker goes on; nothing panics. Before the run each mailbox makes one handshake, so a
//! wrong URL, key or password stops the run at once (exit status 1).
//!
//! The result is one line on stdout:
//! `RESULT cycles=… errors=… msgs_per_s=… p50_ms=… p99_ms=…` (latency of a successful cycle).
//!
//! ```sh
//! cargo run --release -p spine-mesh --example mesh_load -- --url http://127.0.0.1:8700 \
//!     --shared-key TestKey --sender X26ABC1:password --recipient X26ABC2:password \
//!     --workflow TEST_WORKFLOW --concurrency 8 --duration 20 --payload 1024
//! ```
//!
//! Only plain `http://` is supported (loopback benchmarks). By default the client runs on one
//! thread (`--threads`), so that on a small machine it leaves the cores to the server measured.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use spine_mesh::headers::names;
use spine_mesh::{ApiVersion, TokenGenerator};
use time::OffsetDateTime;

/// How many failed cycles are described on stderr.
const MAX_REPORTED_ERRORS: usize = 5;

#[derive(Parser, Debug)]
#[command(about = "Lean MESH load generator: send + list + download + acknowledge cycles")]
struct Args {
    /// The server's base URL (`http://host:port`; a trailing `/messageexchange` is accepted).
    #[arg(long, default_value = "http://127.0.0.1:8700")]
    url: String,
    /// The environment's shared key (the HMAC key of the NHSMESH tokens).
    #[arg(long, default_value = "TestKey")]
    shared_key: String,
    /// The sending mailbox, `MAILBOX:PASSWORD`.
    #[arg(long, default_value = "X26ABC1:password")]
    sender: String,
    /// The receiving mailbox, `MAILBOX:PASSWORD`.
    #[arg(long, default_value = "X26ABC2:password")]
    recipient: String,
    /// The workflow id sent in `mex-WorkflowID`.
    #[arg(long, default_value = "TEST_WORKFLOW")]
    workflow: String,
    /// Concurrent workers, each looping whole cycles.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Seconds to run.
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// Bytes per message.
    #[arg(long, default_value_t = 1024)]
    payload: usize,
    /// Client runtime threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Per-request timeout, seconds.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
}

/// A mailbox and its password, from `MAILBOX:PASSWORD`.
#[derive(Clone)]
struct Credentials {
    mailbox: String,
    password: String,
}

impl Credentials {
    fn parse(flag: &str, value: &str) -> Result<Self, String> {
        match value.split_once(':') {
            Some((mailbox, password)) if !mailbox.is_empty() => {
                Ok(Credentials { mailbox: mailbox.to_owned(), password: password.to_owned() })
            }
            _ => Err(format!("--{flag} must be MAILBOX:PASSWORD")),
        }
    }
}

/// What every worker shares.
struct Setup {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
    shared_key: Vec<u8>,
    sender: Credentials,
    recipient: Credentials,
    workflow: String,
    payload: usize,
    timeout: Duration,
}

type Response = (StatusCode, HeaderMap, Bytes);

impl Setup {
    fn uri(&self, mailbox: &str, rest: &str) -> String {
        format!("{}/messageexchange/{mailbox}{rest}", self.base)
    }

    fn tokens(&self, who: &Credentials) -> TokenGenerator {
        TokenGenerator::new(&self.shared_key, &who.mailbox, &who.password)
    }

    /// A request with a fresh token and the v2 `Accept` header.
    fn request(&self, method: Method, uri: &str, tokens: &mut TokenGenerator) -> http::request::Builder {
        Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, tokens.next_token(OffsetDateTime::now_utc()))
            .header(header::ACCEPT, ApiVersion::V2.content_type())
    }

    /// Sends a request and reads the whole answer, within the timeout.
    async fn call(&self, request: Result<Request<Full<Bytes>>, http::Error>) -> Result<Response, String> {
        let request = request.map_err(|e| format!("building the request: {e}"))?;
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| format!("request failed: {e}"))?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map_err(|e| format!("reading the body: {e}"))?.to_bytes();
            Ok((parts.status, parts.headers, body))
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {:?}", self.timeout)),
        }
    }
}

/// The start of a body, for error messages.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
    text.replace(['\n', '\r'], " ")
}

fn expect_status(step: &str, want: StatusCode, (status, _, body): &Response) -> Result<(), String> {
    if *status == want { Ok(()) } else { Err(format!("{step}: HTTP {status} (want {want}): {}", snippet(body))) }
}

/// `len` pseudo-random bytes, different for every (worker, cycle).
fn payload(worker: usize, cycle: u64, len: usize) -> Bytes {
    let mut state = (worker as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ cycle.wrapping_add(0x2545_F491_4F6C_DD1D);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    Bytes::from(out)
}

/// One worker's tallies.
#[derive(Default)]
struct Tally {
    cycles: u64,
    errors: u64,
    latencies_us: Vec<u32>,
    reported: Vec<String>,
}

struct Worker {
    id: usize,
    setup: Arc<Setup>,
    sender_tokens: TokenGenerator,
    recipient_tokens: TokenGenerator,
    /// A message sent but not yet acknowledged by the current cycle.
    pending: Option<String>,
}

impl Worker {
    fn new(id: usize, setup: Arc<Setup>) -> Self {
        let sender_tokens = setup.tokens(&setup.sender);
        let recipient_tokens = setup.tokens(&setup.recipient);
        Worker { id, setup, sender_tokens, recipient_tokens, pending: None }
    }

    async fn run(mut self, deadline: Instant) -> Tally {
        let mut tally = Tally::default();
        let mut cycle = 0u64;
        while Instant::now() < deadline {
            let started = Instant::now();
            match self.cycle(cycle).await {
                Ok(()) => {
                    tally.cycles += 1;
                    tally.latencies_us.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
                }
                Err(error) => {
                    tally.errors += 1;
                    if tally.reported.len() < MAX_REPORTED_ERRORS {
                        tally.reported.push(format!("worker {} cycle {cycle}: {error}", self.id));
                    }
                    self.clean_up().await;
                }
            }
            cycle += 1;
        }
        tally
    }

    async fn cycle(&mut self, cycle: u64) -> Result<(), String> {
        let setup = Arc::clone(&self.setup);
        let (sender, recipient) = (&setup.sender.mailbox, &setup.recipient.mailbox);
        let body = payload(self.id, cycle, setup.payload);
        let local_id = format!("load-{}-{}-{cycle}", std::process::id(), self.id);

        // 1. Send.
        let request = setup
            .request(Method::POST, &setup.uri(sender, "/outbox"), &mut self.sender_tokens)
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .header(names::MEX_TO, recipient.as_str())
            .header(names::MEX_WORKFLOW_ID, setup.workflow.as_str())
            .header(names::MEX_FILE_NAME, format!("{local_id}.dat"))
            .header(names::MEX_LOCAL_ID, local_id.as_str())
            .body(Full::new(body.clone()));
        let response = setup.call(request).await.map_err(|e| format!("send: {e}"))?;
        expect_status("send", StatusCode::ACCEPTED, &response)?;
        let sent: serde_json::Value =
            serde_json::from_slice(&response.2).map_err(|e| format!("send: answer is not JSON ({e})"))?;
        let id = sent
            .get("message_id")
            .and_then(serde_json::Value::as_str)
            .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            .ok_or_else(|| format!("send: no usable message_id in {}", snippet(&response.2)))?
            .to_owned();
        self.pending = Some(id.clone());

        // 2. List the inbox: the message must be there (its first page holds up to 500, and each
        // worker has at most one message outstanding).
        let request = setup
            .request(Method::GET, &setup.uri(recipient, "/inbox"), &mut self.recipient_tokens)
            .body(Full::new(Bytes::new()));
        let response = setup.call(request).await.map_err(|e| format!("list: {e}"))?;
        expect_status("list", StatusCode::OK, &response)?;
        let listed: serde_json::Value =
            serde_json::from_slice(&response.2).map_err(|e| format!("list: answer is not JSON ({e})"))?;
        let messages = listed
            .get("messages")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| format!("list: no messages array in {}", snippet(&response.2)))?;
        if !messages.iter().any(|m| m.as_str().is_some_and(|m| m.eq_ignore_ascii_case(&id))) {
            return Err(format!("list: {id} not listed ({} messages)", messages.len()));
        }

        // 3. Download the message the send returned.
        let request = setup
            .request(Method::GET, &setup.uri(recipient, &format!("/inbox/{id}")), &mut self.recipient_tokens)
            .body(Full::new(Bytes::new()));
        let response = setup.call(request).await.map_err(|e| format!("download: {e}"))?;
        expect_status("download", StatusCode::OK, &response)?;
        if response.2 != body {
            return Err(format!("download: {id}: {} bytes differ from the {} sent", response.2.len(), body.len()));
        }

        // 4. Acknowledge.
        self.acknowledge(&id).await?;
        self.pending = None;
        Ok(())
    }

    async fn acknowledge(&mut self, id: &str) -> Result<(), String> {
        let setup = Arc::clone(&self.setup);
        let uri = setup.uri(&setup.recipient.mailbox, &format!("/inbox/{id}/status/acknowledged"));
        let request = setup.request(Method::PUT, &uri, &mut self.recipient_tokens).body(Full::new(Bytes::new()));
        let response = setup.call(request).await.map_err(|e| format!("acknowledge: {e}"))?;
        expect_status("acknowledge", StatusCode::OK, &response)
    }

    /// After a failed cycle: acknowledge its message if it was sent, so the inbox does not grow.
    async fn clean_up(&mut self) {
        if let Some(id) = self.pending.take() {
            let _ = self.acknowledge(&id).await;
        }
    }
}

/// The handshake (`POST /messageexchange/{mailbox}`), to check the URL and credentials up front.
async fn handshake(setup: &Setup, who: &Credentials) -> Result<(), String> {
    let mut tokens = setup.tokens(who);
    let request = setup
        .request(Method::POST, &setup.uri(&who.mailbox, ""), &mut tokens)
        .header(names::MEX_CLIENT_VERSION, "spine-mesh-load/0.1")
        .header(names::MEX_OS_NAME, std::env::consts::OS)
        .header(names::MEX_OS_VERSION, "unknown")
        .header(names::MEX_OS_ARCHITECTURE, std::env::consts::ARCH)
        .body(Full::new(Bytes::new()));
    let response = setup.call(request).await?;
    expect_status(&format!("handshake as {}", who.mailbox), StatusCode::OK, &response)
}

/// The latency at quantile `q` (0..=1) of sorted microseconds, in milliseconds.
fn percentile_ms(sorted_us: &[u32], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted_us.len() as f64).ceil() as usize).clamp(1, sorted_us.len());
    f64::from(sorted_us[rank - 1]) / 1000.0
}

/// This process's CPU time so far (user + system, every thread), from `/proc/self/stat` on Linux
/// (`USER_HZ` is 100 there); `None` elsewhere.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at the state, field 3;
    // utime and stime are fields 14 and 15.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some((user + system) as f64 / 100.0)
}

fn setup(args: &Args) -> Result<Setup, String> {
    let base = args.url.trim_end_matches('/');
    let base = base.strip_suffix("/messageexchange").unwrap_or(base).to_owned();
    if !base.starts_with("http://") {
        return Err(format!("--url must be plain http://host:port (got {})", args.url));
    }
    if args.concurrency == 0 || args.threads == 0 {
        return Err("--concurrency and --threads must be at least 1".to_owned());
    }
    if !(args.duration > 0.0 && args.duration.is_finite() && args.timeout > 0.0 && args.timeout.is_finite()) {
        return Err("--duration and --timeout must be positive seconds".to_owned());
    }
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(args.concurrency).build(connector);
    Ok(Setup {
        client,
        base,
        shared_key: args.shared_key.as_bytes().to_vec(),
        sender: Credentials::parse("sender", &args.sender)?,
        recipient: Credentials::parse("recipient", &args.recipient)?,
        workflow: args.workflow.clone(),
        payload: args.payload,
        timeout: Duration::from_secs_f64(args.timeout),
    })
}

async fn run(args: Args, setup: Setup) -> Result<(), String> {
    let setup = Arc::new(setup);
    handshake(&setup, &setup.sender).await?;
    handshake(&setup, &setup.recipient).await?;

    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.duration);
    let workers: Vec<_> =
        (0..args.concurrency).map(|id| tokio::spawn(Worker::new(id, Arc::clone(&setup)).run(deadline))).collect();
    let mut total = Tally::default();
    for worker in workers {
        match worker.await {
            Ok(tally) => {
                total.cycles += tally.cycles;
                total.errors += tally.errors;
                total.latencies_us.extend(tally.latencies_us);
                total.reported.extend(tally.reported);
            }
            Err(e) => {
                total.errors += 1;
                total.reported.push(format!("a worker stopped: {e}"));
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    total.latencies_us.sort_unstable();

    for line in total.reported.iter().take(MAX_REPORTED_ERRORS) {
        eprintln!("mesh_load: error: {line}");
    }
    let cpu = match process_cpu_seconds() {
        Some(cpu) if total.cycles > 0 => {
            format!(", client CPU {cpu:.2} s ({:.0} µs per cycle)", cpu * 1e6 / total.cycles as f64)
        }
        Some(cpu) => format!(", client CPU {cpu:.2} s"),
        None => String::new(),
    };
    eprintln!(
        "mesh_load: {} as {} -> {}, workflow {}, {} workers, {} B payload, {elapsed:.2} s{cpu}",
        setup.base, setup.sender.mailbox, setup.recipient.mailbox, setup.workflow, args.concurrency, args.payload
    );
    println!(
        "RESULT cycles={} errors={} msgs_per_s={:.1} p50_ms={:.2} p99_ms={:.2}",
        total.cycles,
        total.errors,
        total.cycles as f64 / elapsed,
        percentile_ms(&total.latencies_us, 0.50),
        percentile_ms(&total.latencies_us, 0.99),
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let setup = match setup(&args) {
        Ok(setup) => setup,
        Err(e) => {
            eprintln!("mesh_load: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(args.threads).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("mesh_load: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args, setup)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mesh_load: {e}");
            println!("RESULT cycles=0 errors=1 msgs_per_s=0.0 p50_ms=0.00 p99_ms=0.00");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_differ_per_cycle_and_have_the_length_asked() {
        assert_eq!(payload(0, 0, 1024).len(), 1024);
        assert_eq!(payload(3, 7, 13).len(), 13);
        assert!(payload(0, 0, 0).is_empty());
        assert_ne!(payload(0, 0, 64), payload(0, 1, 64));
        assert_ne!(payload(0, 0, 64), payload(1, 0, 64));
        assert_eq!(payload(2, 5, 64), payload(2, 5, 64));
    }

    #[test]
    fn percentiles() {
        let sorted: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile_ms(&sorted, 0.50), 50.0);
        assert_eq!(percentile_ms(&sorted, 0.99), 99.0);
        assert_eq!(percentile_ms(&[], 0.5), 0.0);
        assert_eq!(percentile_ms(&[2500], 0.99), 2.5);
    }

    #[test]
    fn credentials_and_url() {
        let who = Credentials::parse("sender", "X26ABC1:pass:word").unwrap();
        assert_eq!((who.mailbox.as_str(), who.password.as_str()), ("X26ABC1", "pass:word"));
        assert!(Credentials::parse("sender", "X26ABC1").is_err());
        assert!(Credentials::parse("sender", ":password").is_err());
        let args = Args::parse_from(["mesh_load", "--url", "http://127.0.0.1:9/messageexchange/"]);
        assert_eq!(setup(&args).unwrap().uri("X26ABC2", "/inbox"), "http://127.0.0.1:9/messageexchange/X26ABC2/inbox");
        assert!(setup(&Args::parse_from(["mesh_load", "--url", "https://example.org"])).is_err());
        assert!(setup(&Args::parse_from(["mesh_load", "--concurrency", "0"])).is_err());
    }
}
