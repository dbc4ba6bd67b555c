//! The local Spine: `cargo run --release` serves every route of the route table on the embedded
//! store in a data directory that survives restarts, seeded with the reference patients and a
//! deterministic synthetic population, the Spine Directory and the CIS login accounts; it prints
//! ready-made tokens for the seeded test users. `spine token` mints one; `spine sample` prints
//! requests for load generators.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::{Parser, Subcommand};
use spine::{gateway, local_audit, local_eps, local_identity, local_mesh, services};
use spine_pds::seed;
use spine_shared::adapters::embedded::EmbeddedStore;
use spine_shared::identity::{Jwks, TokenVerifier};
use spine_shared::pipeline::Access;
use spine_shared::pipeline::access::BearerToken;
use spine_shared::ports::RecordStore;

#[derive(Parser)]
#[command(name = "spine", about = "The local Spine: every Spine route in one process, on an embedded store")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Where the embedded store keeps its data.
    #[arg(long, default_value = ".spine-data")]
    data_dir: PathBuf,
    /// How many synthetic patients to seed (on top of the reference patients).
    #[arg(long, default_value_t = 10_000)]
    patients: u64,
}

#[derive(Subcommand)]
enum Command {
    /// Print request paths over the synthetic population, one per line, for load generators.
    Sample {
        /// The seed size the paths must exist in.
        #[arg(long)]
        patients: u64,
        /// How many paths to print.
        #[arg(long, default_value_t = 10_000)]
        count: u64,
        /// `read` (GET /Patient/{id}) or `search` (GET /Patient?family&given&birthdate).
        #[arg(long, default_value = "read")]
        kind: String,
    },
    /// Mint an access token with the data directory's signing key (local use only), for a
    /// directory user in a role profile, a patient, or a registered application.
    Token {
        /// The CIS user id of a directory user, e.g. 555021930100 (Dr Amelia Hart).
        #[arg(long, conflicts_with_all = ["patient", "app"])]
        user: Option<String>,
        /// The role profile to act in (needed when the user holds several), e.g. 555021935107.
        #[arg(long, requires = "user")]
        role: Option<String>,
        /// A patient's NHS number (NHS login, P9).
        #[arg(long, conflicts_with = "app")]
        patient: Option<String>,
        /// A registered application's client id, e.g. spine-demo-app.
        #[arg(long)]
        app: Option<String>,
        /// The data directory whose key signs the token.
        #[arg(long, default_value = ".spine-data")]
        data_dir: PathBuf,
        /// The local Spine's origin: the token's audience, and its issuer with `/oauth2`.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        origin: String,
    },
    /// Print an EPS message to send with curl: orders signed with the reference prescriber's
    /// synthetic key; the line item ids of a prescription this prints are derived from its id.
    Eps {
        #[arg(value_enum)]
        kind: spine::eps_cli::Kind,
        /// The prescription id (a new one for orders when absent).
        #[arg(long)]
        id: Option<String>,
        /// The patient's NHS number.
        #[arg(long, default_value = "9000000009")]
        patient: String,
        /// The pharmacy's ODS code.
        #[arg(long, default_value = "FA666")]
        pharmacy: String,
        /// The dispense notification a dispense amends or a withdrawal withdraws.
        #[arg(long)]
        notification: Option<String>,
        /// The claim a claim amends.
        #[arg(long)]
        replaces: Option<String>,
        /// The line item a cancellation names: the prescription's first (1) or second (2).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
        item: u8,
    },
}

fn main() -> std::process::ExitCode {
    lean_allocator();
    let cli = Cli::parse();
    if let Some(Command::Sample { patients, count, kind }) = cli.command {
        return match spine_pds::seed::sample::paths(patients, count, &kind) {
            Ok(paths) => {
                for p in paths {
                    println!("{p}");
                }
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                std::process::ExitCode::from(2)
            }
        };
    }
    if let Some(Command::Eps { kind, id, patient, pharmacy, notification, replaces, item }) = &cli.command {
        return match spine::eps_cli::message(
            *kind,
            id.as_deref(),
            patient,
            pharmacy,
            notification.as_deref(),
            replaces.as_deref(),
            usize::from(*item),
        ) {
            Ok(message) => {
                println!("{message}");
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("spine eps: {e}");
                std::process::ExitCode::from(2)
            }
        };
    }
    if let Some(Command::Token { user, role, patient, app, data_dir, origin }) = cli.command {
        return token(user, role, patient, app, &data_dir, &origin);
    }
    spine_shared::pipeline::logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.serve)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spine: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: ServeArgs) -> Result<(), String> {
    let store =
        EmbeddedStore::open(&args.data_dir).map_err(|e| format!("cannot open {}: {e}", args.data_dir.display()))?;
    let records = store.records();
    let purged = records.purge_expired().map_err(|e| e.to_string())?;
    let records: Arc<dyn RecordStore> = Arc::new(records);

    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", args.host, args.port))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let origin = format!("http://{addr}");

    let repo = spine_pds::repository::PatientRepository::new(records.clone());
    let started = Instant::now();
    let already = seed::seeded(&repo).await.map_err(|e| e.to_string())?;
    if already < args.patients {
        eprintln!("Seeding {} synthetic patients into {} ...", args.patients - already, args.data_dir.display());
    }
    let added = seed::seed(&repo, args.patients, |n| {
        if n % 100_000 == 0 {
            eprintln!("  {n} patients");
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    if added > 0 {
        eprintln!("Seeded {added} patients in {:.1} s", started.elapsed().as_secs_f64());
    }
    let started = Instant::now();
    if let Some(s) = spine_sds::seed::seed(records.clone()).await.map_err(|e| e.to_string())? {
        eprintln!(
            "Seeded the Spine Directory ({} organisations, {} items) in {:.2} s",
            s.organisations,
            s.items,
            started.elapsed().as_secs_f64()
        );
    }
    if purged > 0 {
        eprintln!("Purged {purged} expired items");
    }

    let names = spine_cis::config::TokenNames::for_origin(&origin);
    let signer = local_identity::load_or_create_signing_key(&args.data_dir, &names.issuer)?;
    local_identity::seed(records.as_ref(), &args.data_dir, spine_cis::passcode::DEFAULT_ITERATIONS).await?;
    let tokens = local_identity::seeded_tokens(&signer, &names.audience);

    // Audit: events appended to the local audit journal before each answer, written into the
    // audit store in-process. SPINE_AUDIT_WRITER=off leaves them in the journal (the benchmark
    // measures the request path so, as in AWS where the writer is its own Lambda); they are
    // written when the Spine next starts with the writer on.
    let writer_on = std::env::var("SPINE_AUDIT_WRITER").map_or(true, |v| v != "off");
    let audit = local_audit::open(&args.data_dir, local_audit::flush_from_env()?, writer_on)?;
    let audit_records = audit.store.clone();

    let verifier = TokenVerifier::new(&names.issuer, &names.audience, &Jwks::from_signer(&signer));
    let access = Access::new(Arc::new(BearerToken::new(verifier)), audit.sink.clone());
    let mesh_key = local_mesh::shared_key_from_env();
    let mesh =
        local_mesh::context(records.clone(), Arc::new(store.blobs()), Arc::new(store.queues()), &mesh_key).await?;
    let mailboxes = local_mesh::seed_mailboxes(&mesh).await?;
    local_mesh::spawn_lifecycle(mesh.clone(), store.blobs(), args.data_dir.join("blobs"));
    let queues: Arc<dyn spine_shared::ports::Queue> = Arc::new(store.queues());
    local_eps::prepare(records.clone(), queues.as_ref()).await?;
    local_eps::spawn_expiry(records.clone());
    // SPINE_EPS_EVENTS=off leaves status events in the outbox (relayed when the Spine next starts
    // with it on), as SPINE_AUDIT_WRITER=off leaves audit events in their journal.
    if std::env::var("SPINE_EPS_EVENTS").map_or(true, |v| v != "off") {
        let outbox_keys = store.records().subscribe(spine_eps::outbox::OUTBOX_PREFIX);
        local_eps::spawn_events(records.clone(), queues, outbox_keys);
    }
    let stores = services::Stores { records, audit: audit_records, minter: Arc::new(signer), token_names: names, mesh };
    let handlers = services::handlers(&stores, &origin)?;
    let gateway = Arc::new(gateway::Gateway::new(handlers, access));
    // The console's help (tokens for the synthetic users included) goes to stderr; stdout carries
    // only the JSON log lines, so `spine > spine.log` keeps tokens out of the log.
    eprintln!("Local Spine listening on {origin} (data in {})", args.data_dir.display());
    eprintln!("Tokens for the seeded test users (local only; or `spine token --help`, or POST {origin}/oauth2/token):");
    for (label, token) in &tokens {
        eprintln!("  {label}: {token}");
    }
    let clinician = tokens.first().map(|(_, t)| t.as_str()).unwrap_or_default();
    eprintln!("Try:");
    eprintln!("  T={clinician}");
    eprintln!(
        "  curl -s {origin}/personal-demographics/FHIR/R4/Patient/9000000009 -H \"Authorization: Bearer $T\" -H 'X-Request-ID: {}'",
        uuid_v4()
    );
    eprintln!(
        "  curl -s '{origin}/personal-demographics/FHIR/R4/Patient?family=Smith&birthdate=eq2010-10-22' -H \"Authorization: Bearer $T\" -H 'X-Request-ID: {}'",
        uuid_v4()
    );
    eprintln!(
        "  curl -s '{origin}/spine-directory/FHIR/R4/Organization?type=gp-practice&address-postalcode=LS1' -H \"Authorization: Bearer $T\" -H 'X-Request-ID: {}'",
        uuid_v4()
    );
    eprintln!(
        "MESH at {origin}/messageexchange: mailboxes {} (password `{}`), shared key from MESH_SHARED_KEY (default `{}`); with mesh-client:",
        mailboxes.join(", "),
        local_mesh::SEEDED_PASSWORD,
        local_mesh::DEFAULT_SHARED_KEY
    );
    eprintln!(
        "  MeshClient(\"{origin}\", \"X26ABC1\", \"password\", shared_key=b\"TestKey\", max_chunk_size=4*1024*1024)"
    );
    gateway::serve(listener, gateway).await;
    Ok(())
}

/// mimalloc reads its options from the environment once, as the process starts. By default it
/// commits its arenas eagerly and keeps freed memory for reuse, so a Spine that has passed a few
/// 4 MiB MESH chunks through holds on to them; with lazily committed arenas
/// (`MIMALLOC_ARENA_EAGER_COMMIT=0`) a 1 GiB message peaks at 51–53 MiB instead of 79–99 MiB
/// (bench/README.md). Freed memory goes back after mimalloc's own delay (`MIMALLOC_PURGE_DELAY=10`,
/// ms): handing it back at once (0) saved a few MiB more but cost the EPS full run about 5–9 % in
/// `madvise` calls and the page faults and TLB flushes after them. So unless the caller set either
/// variable, the Spine starts itself again, once, with both set (same process id: `exec`). Setting
/// either variable, to any value, keeps what the caller chose.
fn lean_allocator() {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let chosen = ["MIMALLOC_ARENA_EAGER_COMMIT", "MIMALLOC_PURGE_DELAY"];
        if chosen.iter().any(|v| std::env::var_os(v).is_some()) {
            return;
        }
        let Ok(exe) = std::env::current_exe() else { return };
        let err = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("MIMALLOC_ARENA_EAGER_COMMIT", "0")
            .env("MIMALLOC_PURGE_DELAY", "10")
            .exec();
        eprintln!("spine: could not restart with the lean allocator settings ({err}); going on without them");
    }
}

/// `spine token`: prints one token.
fn token(
    user: Option<String>,
    role: Option<String>,
    patient: Option<String>,
    app: Option<String>,
    data_dir: &std::path::Path,
    origin: &str,
) -> std::process::ExitCode {
    let target = match (user, patient, app) {
        (Some(user_id), None, None) => local_identity::MintFor::User { user_id, role },
        (None, Some(nhs_number), None) => local_identity::MintFor::Patient { nhs_number },
        (None, None, Some(client_id)) => local_identity::MintFor::App { client_id },
        _ => {
            eprintln!("spine token: name one of --user (with --role), --patient or --app");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(local_identity::mint_cli(&target, data_dir, origin)) {
        Ok(token) => {
            println!("{token}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("spine token: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn uuid_v4() -> String {
    spine_pds::seed::sample::request_id()
}
