//! The `workspaces` table.

use crate::domain::ids::WorkspaceId;
use crate::domain::workspace::{Plan, Workspace};
use crate::error::Error;
use rusqlite::{params, Connection};

/// Creates a workspace with the default pipeline stages.
pub fn create(conn: &Connection, name: &str, plan: Plan, now: &str) -> Result<Workspace, Error> {
    let id = WorkspaceId::generate();
    conn.execute(
        "INSERT INTO workspaces (id, name, plan, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![id.as_str(), name, plan.as_str(), now],
    )?;
    super::pipeline_stages::create_defaults(conn, &id, now)?;
    Ok(Workspace {
        id,
        name: name.to_owned(),
        plan,
        created_at: now.to_owned(),
    })
}

/// Every workspace, oldest first.
pub fn list(conn: &Connection) -> Result<Vec<Workspace>, Error> {
    let mut statement =
        conn.prepare("SELECT id, name, plan, created_at FROM workspaces ORDER BY created_at, id")?;
    let rows = statement.query_map([], |row| {
        Ok(Workspace {
            id: WorkspaceId::from_db(row.get(0)?),
            name: row.get(1)?,
            plan: Plan::parse(&row.get::<_, String>(2)?).unwrap_or(Plan::Free),
            created_at: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether a workspace exists.
pub fn exists(conn: &Connection, id: &WorkspaceId) -> Result<bool, Error> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM workspaces WHERE id = ?1")?
        .exists([id.as_str()])?)
}

/// The number of workspaces.
pub fn count(conn: &Connection) -> Result<i64, Error> {
    Ok(conn.query_row("SELECT count(*) FROM workspaces", [], |row| row.get(0))?)
}

/// Moves a workspace's contact counter by `delta` (kept by the statements that add and remove
/// contacts, one update per statement).
pub fn adjust_contact_count(conn: &Connection, id: &WorkspaceId, delta: i64) -> Result<(), Error> {
    if delta != 0 {
        conn.prepare_cached(
            "UPDATE workspaces SET contact_count = contact_count + ?2 WHERE id = ?1",
        )?
        .execute(params![id.as_str(), delta])?;
    }
    Ok(())
}

/// The maintained contact counter of a workspace.
pub fn contact_count(conn: &Connection, id: &WorkspaceId) -> Result<u64, Error> {
    Ok(conn
        .prepare_cached("SELECT contact_count FROM workspaces WHERE id = ?1")?
        .query_row([id.as_str()], |row| row.get::<_, i64>(0))
        .map(|count| count.max(0) as u64)?)
}
