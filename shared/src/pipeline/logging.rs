//! Structured JSON logs. Each line carries the request span's ids (request, correlation,
//! function). Handlers log codes and counts, never patient data: the route's function is logged,
//! not the path (which holds an NHS number), and `NhsNumber`'s Debug form is redacted.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the JSON subscriber on stdout once; later calls do nothing. `RUST_LOG` sets the
/// level (default `info`).
pub fn init() {
    init_with_writer(std::io::stdout);
}

/// Installs the JSON subscriber writing to `writer` (tests capture the log this way).
pub fn init_with_writer<W>(writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    // `RUST_LOG` as a level (`warn`) or per-target levels (`info,spine_pds=debug`); anything that
    // does not parse means the default, `info`. (`Targets` needs no regex engine, unlike
    // `EnvFilter`: smaller binaries.)
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    let format = tracing_subscriber::fmt::layer()
        .json()
        .with_writer(writer)
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .without_time();
    let _ = tracing_subscriber::registry().with(format).with(filter).try_init();
}
