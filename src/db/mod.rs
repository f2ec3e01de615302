//! SQLite access: a pool of read connections and one writer thread that commits in groups.
//!
//! Every connection runs with WAL, `synchronous=FULL`, a busy timeout and foreign keys on.
//! All database work runs off the async workers: reads on the blocking pool, writes on the
//! writer thread.

pub mod api_keys;
pub mod campaign_events;
pub mod campaign_stats;
pub mod campaigns;
pub mod contacts;
pub mod email_accounts;
pub mod groups;
pub mod idempotency;
pub mod inbox;
pub mod migrate;
pub mod pipeline_stages;
pub mod sandbox;
pub mod sends;
pub mod tracking;
pub mod webhooks;
pub mod workspaces;
mod writer;

use crate::error::Error;
use anyhow::Context;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::time::Duration;
pub use writer::Writer;

/// How long a connection waits on a lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Applies the per-connection settings.
pub fn configure_connection(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -4000;",
    )
}

/// Opens a configured connection (used by the writer, the CLI and backups).
pub fn open_connection(path: &Path) -> anyhow::Result<Connection> {
    let conn =
        Connection::open(path).with_context(|| format!("opening database {}", path.display()))?;
    configure_connection(&conn).context("configuring database connection")?;
    Ok(conn)
}

/// The database handle shared by the HTTP handlers and the workers.
#[derive(Clone)]
pub struct Database {
    readers: r2d2::Pool<SqliteConnectionManager>,
    /// One permit per read connection: reads queue here (in order) rather than parking blocking
    /// threads on the pool, which keeps the thread count and the latency tail small.
    read_permits: std::sync::Arc<tokio::sync::Semaphore>,
    writer: Writer,
    path: PathBuf,
}

impl Database {
    /// Opens (creating if needed) and migrates the database, then starts the writer thread.
    pub fn open(path: &Path, read_connections: u32) -> anyhow::Result<Self> {
        let mut conn = open_connection(path)?;
        migrate::migrate(&mut conn).context("migrating database")?;
        // The writer touches index pages all over the database: give it a larger cache.
        conn.execute_batch("PRAGMA cache_size = -16000;")?;
        let writer = Writer::start(conn)?;
        let manager = SqliteConnectionManager::file(path).with_init(|conn| {
            configure_connection(conn)?;
            conn.execute_batch("PRAGMA query_only = ON;")
        });
        let readers = r2d2::Pool::builder()
            .max_size(read_connections.max(1))
            .min_idle(Some(1))
            .build(manager)
            .context("opening read connections")?;
        Ok(Self {
            read_permits: std::sync::Arc::new(tokio::sync::Semaphore::new(
                read_connections.max(1) as usize
            )),
            readers,
            writer,
            path: path.to_owned(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs a read on the blocking pool with a pooled read-only connection.
    pub async fn read<T, F>(&self, work: F) -> Result<T, Error>
    where
        F: FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        let permit = self
            .read_permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Internal(anyhow::anyhow!("the read pool is closed")))?;
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = readers.get()?;
            let result = work(&conn);
            drop(permit);
            result
        })
        .await
        .map_err(|join| Error::Internal(anyhow::anyhow!("read task failed: {join}")))?
    }

    /// Runs a read on the current (blocking) thread.
    pub fn read_blocking<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let conn = self.readers.get()?;
        work(&conn)
    }

    /// Runs a write on the writer thread inside a savepoint of a group-committed transaction;
    /// resolves once the transaction is durably committed. An `Err` rolls back only this work.
    pub async fn write<T, F>(&self, work: F) -> Result<T, Error>
    where
        F: FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        self.writer
            .submit(work)?
            .await
            .map_err(|_| writer::gone())?
    }

    /// Same as [`Database::write`], blocking the current (non-async) thread.
    pub fn write_blocking<T, F>(&self, work: F) -> Result<T, Error>
    where
        F: FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        self.writer
            .submit(work)?
            .blocking_recv()
            .map_err(|_| writer::gone())?
    }

    /// Queues a write without waiting for it (bookkeeping such as "key last used").
    pub fn write_detached<F>(&self, work: F)
    where
        F: FnOnce(&Connection) -> Result<(), Error> + Send + 'static,
    {
        if let Err(error) = self.writer.submit(work) {
            tracing::warn!(%error, "could not queue a background write");
        }
    }

    /// Whether the database answers a trivial query.
    pub async fn is_ready(&self) -> bool {
        self.read(|conn| Ok(conn.query_row("SELECT 1", [], |row| row.get::<_, i64>(0))?))
            .await
            .is_ok()
    }
}

/// Makes a consistent online copy of the database into `target` (which must not exist).
pub fn backup(source: &Path, target: &Path) -> anyhow::Result<()> {
    if target.exists() {
        anyhow::bail!("{} already exists", target.display());
    }
    let conn = open_connection(source)?;
    let target = target
        .to_str()
        .context("the backup path must be valid UTF-8")?;
    conn.execute("VACUUM INTO ?1", [target])
        .context("copying the database")?;
    Ok(())
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_contains(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}
