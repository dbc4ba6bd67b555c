//! The local Spine: `cargo run --release` serves every route of the route table on the embedded
//! store in a data directory that survives restarts, seeded with the reference patients and a
//! deterministic synthetic population and the Spine Directory. `spine sample` prints requests for
//! load generators.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::{Parser, Subcommand};
use spine::{gateway, services};
use spine_pds::seed;
use spine_shared::adapters::embedded::EmbeddedStore;
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
}

fn main() -> std::process::ExitCode {
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

    let handlers = services::handlers(records, &origin)?;
    let gateway = Arc::new(gateway::Gateway::new(handlers));
    println!("Local Spine listening on {origin} (data in {})", args.data_dir.display());
    println!("Try:");
    println!("  curl -s {origin}/personal-demographics/FHIR/R4/Patient/9000000009 -H 'X-Request-ID: {}'", uuid_v4());
    println!(
        "  curl -s '{origin}/personal-demographics/FHIR/R4/Patient?family=Smith&birthdate=eq2010-10-22' -H 'X-Request-ID: {}'",
        uuid_v4()
    );
    println!(
        "  curl -s '{origin}/spine-directory/FHIR/R4/Organization?type=gp-practice&address-postalcode=LS1' -H 'X-Request-ID: {}'",
        uuid_v4()
    );
    gateway::serve(listener, gateway).await;
    Ok(())
}

fn uuid_v4() -> String {
    spine_pds::seed::sample::request_id()
}
