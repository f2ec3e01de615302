//! Logging set-up: `FLUENZR_LOG` takes a level or filter (`info`, `fluenzr=debug`), optionally
//! prefixed by `json,` for JSON lines.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls are ignored.
pub fn init(spec: Option<&str>) {
    let spec = spec.unwrap_or("info");
    let (json, filter) = match spec.strip_prefix("json") {
        Some(rest) => (true, rest.trim_start_matches(',')),
        None => (false, spec),
    };
    let filter = if filter.is_empty() { "info" } else { filter };
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // A log line that cannot be written (stderr closed by whoever started the server) is
    // dropped: the fallback report of that failure goes to the same closed stderr, and a
    // failed `eprintln!` panics.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .log_internal_errors(false);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
