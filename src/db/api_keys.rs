//! The `api_keys` table: only hashes of the secrets are stored.

use crate::domain::api_key;
use crate::domain::ids::{ApiKeyId, WorkspaceId};
use crate::domain::workspace::Plan;
use crate::error::Error;
use rusqlite::{params, Connection, OptionalExtension};

/// A key as listed (never the secret).
#[derive(Debug, Clone)]
pub struct ApiKeyRecord {
    /// Public id.
    pub id: ApiKeyId,
    /// Owning workspace.
    pub workspace_id: WorkspaceId,
    /// Name given at creation.
    pub name: String,
    /// First characters of the secret.
    pub prefix: String,
    /// Creation time.
    pub created_at: String,
    /// Last authenticated use (recorded at most once a minute).
    pub last_used_at: Option<String>,
    /// Revocation time.
    pub revoked_at: Option<String>,
}

/// The identity a valid key grants.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The key's id.
    pub key_id: ApiKeyId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// The workspace's plan.
    pub plan: Plan,
}

/// Creates a key for a workspace and returns its record and the secret (shown once).
pub fn create(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    name: &str,
    now: &str,
) -> Result<(ApiKeyRecord, String), Error> {
    if !super::workspaces::exists(conn, workspace_id)? {
        return Err(Error::NotFound("Workspace"));
    }
    let secret = api_key::generate_secret();
    let id = ApiKeyId::generate();
    let prefix = api_key::display_prefix(&secret);
    conn.execute(
        "INSERT INTO api_keys (id, workspace_id, name, prefix, key_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            id.as_str(),
            workspace_id.as_str(),
            name,
            prefix,
            api_key::hash_secret(&secret),
            now
        ],
    )?;
    let record = ApiKeyRecord {
        id,
        workspace_id: workspace_id.clone(),
        name: name.to_owned(),
        prefix,
        created_at: now.to_owned(),
        last_used_at: None,
        revoked_at: None,
    };
    Ok((record, secret))
}

/// Looks up an unrevoked key by its secret.
pub fn authenticate(conn: &Connection, secret: &str) -> Result<Option<Authenticated>, Error> {
    let presented = api_key::hash_secret(secret);
    let found = conn
        .prepare_cached(
            "SELECT k.id, k.workspace_id, w.plan, k.key_hash
             FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id
             WHERE k.key_hash = ?1 AND k.revoked_at IS NULL",
        )?
        .query_row([&presented], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, Vec<u8>>(3)?,
            ))
        })
        .optional()?;
    Ok(found.and_then(|(id, workspace, plan, stored)| {
        api_key::hashes_match(&stored, &presented).then(|| Authenticated {
            key_id: ApiKeyId::from_db(id),
            workspace_id: WorkspaceId::from_db(workspace),
            plan: Plan::parse(&plan).unwrap_or(Plan::Free),
        })
    }))
}

/// Whether the key with this hash is still unrevoked and its workspace still on the Pro plan
/// (re-checked inside each request's own database work when the identity came from the cache).
pub fn is_active(conn: &Connection, key_hash: &[u8]) -> Result<bool, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id
             WHERE k.key_hash = ?1 AND k.revoked_at IS NULL AND w.plan = 'pro'",
        )?
        .exists([key_hash])?)
}

/// Records that a key was used.
pub fn touch(conn: &Connection, key_id: &ApiKeyId, now: &str) -> Result<(), Error> {
    conn.prepare_cached("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1")?
        .execute(params![key_id.as_str(), now])?;
    Ok(())
}

/// Lists keys, optionally of one workspace.
pub fn list(
    conn: &Connection,
    workspace_id: Option<&WorkspaceId>,
) -> Result<Vec<ApiKeyRecord>, Error> {
    let mut statement = conn.prepare(
        "SELECT id, workspace_id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys
         WHERE ?1 IS NULL OR workspace_id = ?1 ORDER BY created_at, id",
    )?;
    let rows = statement.query_map([workspace_id.map(|id| id.as_str())], |row| {
        Ok(ApiKeyRecord {
            id: ApiKeyId::from_db(row.get(0)?),
            workspace_id: WorkspaceId::from_db(row.get(1)?),
            name: row.get(2)?,
            prefix: row.get(3)?,
            created_at: row.get(4)?,
            last_used_at: row.get(5)?,
            revoked_at: row.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Revokes a key given its id or its secret; returns the key id. Revoking twice is harmless.
pub fn revoke(conn: &Connection, id_or_secret: &str, now: &str) -> Result<ApiKeyId, Error> {
    let id: Option<String> = if api_key::is_well_formed(id_or_secret) {
        conn.query_row(
            "SELECT id FROM api_keys WHERE key_hash = ?1",
            [api_key::hash_secret(id_or_secret)],
            |row| row.get(0),
        )
        .optional()?
    } else {
        conn.query_row(
            "SELECT id FROM api_keys WHERE id = ?1",
            [id_or_secret],
            |row| row.get(0),
        )
        .optional()?
    };
    let id = id.ok_or(Error::NotFound("API key"))?;
    conn.execute(
        "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, now],
    )?;
    Ok(ApiKeyId::from_db(id))
}
