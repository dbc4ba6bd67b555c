//! Structured JSON logs. Each line carries the request span's ids (request, correlation,
//! function). Handlers log codes and counts, never patient data: the route template is logged,
//! not the path (which holds an NHS number), and `NhsNumber`'s Debug form is redacted.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber once; later calls do nothing. `RUST_LOG` sets the level (info).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .without_time()
        .try_init();
}
