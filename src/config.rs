//! Typed configuration: flags or `FLUENZR_*` environment variables, every default documented.

use clap::Args;
use std::fmt;
use std::path::{Path, PathBuf};

/// A secret value whose `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The secret itself (only for the code that uses it).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Everything the server needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (`127.0.0.1:8080`; port 0 picks a free port).
    pub bind: String,
    /// SQLite database file.
    pub db_path: PathBuf,
    /// Base URL of tracking and unsubscribe links.
    pub public_url: String,
    /// Requests per minute allowed per API key.
    pub rate_limit_per_minute: u32,
    /// Failed authentications per minute allowed per client IP.
    pub auth_failures_per_minute: u32,
    /// Largest JSON body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Largest CSV import body accepted, in bytes.
    pub max_import_bytes: usize,
    /// HTTP worker threads.
    pub workers: usize,
    /// Read connections in the pool.
    pub read_connections: u32,
    /// Whether webhook URLs may point at private or loopback addresses.
    pub webhook_allow_private: bool,
    /// Seconds between webhook delivery attempts.
    pub webhook_retry_schedule: Vec<u64>,
    /// Key encrypting stored SMTP/IMAP passwords.
    pub secret_key: Secret,
    /// Seconds between IMAP inbox polls.
    pub inbox_poll_seconds: u64,
    /// Whether opens and clicks keep the visitor's IP address and user agent (`--tracking full`);
    /// by default (`privacy`) only the time of the first open or click is kept.
    pub tracking_full: bool,
    /// Whether this process runs the campaign sender (tests turn it off and drive it).
    pub run_sender: bool,
    /// Most SMTP connections the sender opens to one account's server.
    pub smtp_connections: usize,
    /// How long one SMTP step (connect, a command, the message) may take.
    pub smtp_timeout: std::time::Duration,
    /// Serves `/v1/_test/panic` (only ever set by the test suite).
    pub enable_test_routes: bool,
}

impl Config {
    /// The defaults, over the given database, listening on `bind`.
    pub fn with_defaults(db_path: PathBuf, bind: &str) -> Self {
        Self {
            bind: bind.to_owned(),
            public_url: format!("http://{bind}"),
            db_path,
            rate_limit_per_minute: 1000,
            auth_failures_per_minute: 30,
            max_body_bytes: 4 * 1024 * 1024,
            max_import_bytes: 256 * 1024 * 1024,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            read_connections: 4,
            webhook_allow_private: false,
            webhook_retry_schedule: vec![60, 300, 1800, 7200],
            secret_key: Secret::new(String::new()),
            inbox_poll_seconds: 60,
            tracking_full: false,
            run_sender: true,
            smtp_connections: 4,
            smtp_timeout: std::time::Duration::from_secs(30),
            enable_test_routes: false,
        }
    }
}

/// `fluenzr serve` flags; each also reads its `FLUENZR_*` variable.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "FLUENZR_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Base URL used in tracking and unsubscribe links [default: http://<bind>].
    #[arg(long, env = "FLUENZR_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Requests per minute per API key.
    #[arg(long, env = "FLUENZR_RATE_LIMIT_PER_MINUTE", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_per_minute: u32,
    /// Failed authentications per minute per client IP before 429.
    #[arg(long, env = "FLUENZR_AUTH_FAILURES_PER_MINUTE", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    pub auth_failures_per_minute: u32,
    /// Largest JSON request body, in bytes.
    #[arg(long, env = "FLUENZR_MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Largest CSV import body, in bytes.
    #[arg(long, env = "FLUENZR_MAX_IMPORT_BYTES", default_value_t = 256 * 1024 * 1024)]
    pub max_import_bytes: usize,
    /// HTTP worker threads [default: number of cores].
    #[arg(long, env = "FLUENZR_WORKERS")]
    pub workers: Option<usize>,
    /// Allow webhook URLs on loopback/private/link-local addresses.
    #[arg(long, env = "FLUENZR_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub webhook_allow_private: bool,
    /// Seconds between webhook delivery attempts, comma separated.
    #[arg(
        long,
        env = "FLUENZR_WEBHOOK_RETRY_SCHEDULE",
        default_value = "60,300,1800,7200",
        value_delimiter = ','
    )]
    pub webhook_retry_schedule: Vec<u64>,
    /// Key encrypting stored SMTP/IMAP passwords [default: generated into <db dir>/fluenzr.secret].
    #[arg(long, env = "FLUENZR_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Seconds between IMAP inbox polls.
    #[arg(long, env = "FLUENZR_INBOX_POLL_SECONDS", default_value_t = 60)]
    pub inbox_poll_seconds: u64,
    /// Most SMTP connections the sender opens to one account's server at a time.
    #[arg(long, env = "FLUENZR_SMTP_CONNECTIONS", default_value_t = 4)]
    pub smtp_connections: usize,
    /// Seconds one SMTP step (connect, a command, the message) may take before the server is
    /// given up; a message already handed over then counts as `uncertain`.
    #[arg(long, env = "FLUENZR_SMTP_TIMEOUT_SECONDS", default_value_t = 30)]
    pub smtp_timeout_seconds: u64,
    /// What opens and clicks record: `privacy` (times only) or `full` (also IP and user agent).
    #[arg(long, env = "FLUENZR_TRACKING", value_enum, default_value_t = TrackingMode::Privacy)]
    pub tracking: TrackingMode,
}

/// How much the open pixel and click redirects record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TrackingMode {
    /// Only the time of the first open and click (no IP address, no user agent).
    #[default]
    Privacy,
    /// Every open and click with the visitor's IP address and user agent.
    Full,
}

impl Default for ServeArgs {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".to_owned(),
            public_url: None,
            rate_limit_per_minute: 1000,
            auth_failures_per_minute: 30,
            max_body_bytes: 4 * 1024 * 1024,
            max_import_bytes: 256 * 1024 * 1024,
            workers: None,
            webhook_allow_private: false,
            webhook_retry_schedule: vec![60, 300, 1800, 7200],
            secret_key: None,
            inbox_poll_seconds: 60,
            smtp_connections: 4,
            smtp_timeout_seconds: 30,
            tracking: TrackingMode::Privacy,
        }
    }
}

impl ServeArgs {
    /// Resolves the flags into a [`Config`], creating the secret key file when needed.
    pub fn into_config(self, db_path: PathBuf) -> anyhow::Result<Config> {
        let mut config = Config::with_defaults(db_path, &self.bind);
        if let Some(url) = self.public_url {
            config.public_url = url.trim_end_matches('/').to_owned();
        }
        config.rate_limit_per_minute = self.rate_limit_per_minute;
        config.auth_failures_per_minute = self.auth_failures_per_minute;
        config.max_body_bytes = self.max_body_bytes;
        config.max_import_bytes = self.max_import_bytes;
        if let Some(workers) = self.workers {
            config.workers = workers.max(1);
        }
        config.webhook_allow_private = self.webhook_allow_private;
        config.webhook_retry_schedule = self.webhook_retry_schedule;
        config.inbox_poll_seconds = self.inbox_poll_seconds.max(1);
        config.smtp_connections = self.smtp_connections.clamp(1, 64);
        config.smtp_timeout =
            std::time::Duration::from_secs(self.smtp_timeout_seconds.clamp(1, 600));
        config.tracking_full = self.tracking == TrackingMode::Full;
        config.secret_key = match self.secret_key {
            Some(key) if !key.is_empty() => Secret::new(key),
            _ => load_or_create_secret(&config.db_path)?,
        };
        Ok(config)
    }
}

/// Reads `<db dir>/fluenzr.secret`, creating it with a random key on first start.
fn load_or_create_secret(db_path: &Path) -> anyhow::Result<Secret> {
    use anyhow::Context;
    use rand::distr::{Alphanumeric, SampleString};
    let dir = db_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file = dir.join("fluenzr.secret");
    if let Ok(existing) = std::fs::read_to_string(&file) {
        let existing = existing.trim().to_owned();
        if !existing.is_empty() {
            return Ok(Secret::new(existing));
        }
    }
    let key = Alphanumeric.sample_string(&mut rand::rng(), 48);
    std::fs::write(&file, format!("{key}\n"))
        .with_context(|| format!("writing {}", file.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600));
    }
    Ok(Secret::new(key))
}
