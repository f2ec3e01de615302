//! The `idempotency_keys` table: the first successful response to each POST key, for 24 hours.

use crate::domain::ids::WorkspaceId;
use crate::error::Error;
use rusqlite::{params, Connection, OptionalExtension};

/// How long a stored response is replayed.
pub const RETENTION_SECONDS: i64 = 24 * 60 * 60;

/// A stored response.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    /// Method and path the key was first used with.
    pub method: String,
    /// Path the key was first used with.
    pub path: String,
    /// SHA-256 of the first request body.
    pub request_hash: Vec<u8>,
    /// HTTP status.
    pub status: u16,
    /// Content type of the body.
    pub content_type: String,
    /// Response body.
    pub body: Vec<u8>,
}

/// The unexpired response stored under a key.
pub fn find(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    key: &str,
    now_unix: i64,
) -> Result<Option<StoredResponse>, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT method, path, request_hash, status, content_type, body FROM idempotency_keys
             WHERE workspace_id = ?1 AND idem_key = ?2 AND created_at > ?3",
        )?
        .query_row(
            params![workspace_id.as_str(), key, now_unix - RETENTION_SECONDS],
            |row| {
                Ok(StoredResponse {
                    method: row.get(0)?,
                    path: row.get(1)?,
                    request_hash: row.get(2)?,
                    status: row.get::<_, i64>(3)? as u16,
                    content_type: row.get(4)?,
                    body: row.get(5)?,
                })
            },
        )
        .optional()?)
}

/// Stores the response of a key (replacing an expired one).
pub fn store(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    key: &str,
    response: &StoredResponse,
    now_unix: i64,
) -> Result<(), Error> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO idempotency_keys
           (workspace_id, idem_key, method, path, request_hash, status, content_type, body, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        workspace_id.as_str(),
        key,
        response.method,
        response.path,
        response.request_hash,
        i64::from(response.status),
        response.content_type,
        response.body,
        now_unix
    ])?;
    Ok(())
}

/// Deletes expired entries.
pub fn purge_expired(conn: &Connection, now_unix: i64) -> Result<usize, Error> {
    Ok(conn.execute(
        "DELETE FROM idempotency_keys WHERE created_at <= ?1",
        [now_unix - RETENTION_SECONDS],
    )?)
}
