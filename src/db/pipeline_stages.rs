//! The `pipeline_stages` table: each workspace starts with a default sales pipeline.

use crate::domain::contact::StageRef;
use crate::domain::ids::{PipelineStageId, WorkspaceId};
use crate::error::Error;
use rusqlite::{params, Connection, OptionalExtension};

/// The stages every new workspace gets.
pub const DEFAULT_STAGES: [&str; 6] = ["Lead", "Contacted", "Interested", "Meeting", "Won", "Lost"];

/// A stage as listed.
#[derive(Debug, Clone)]
pub struct Stage {
    /// Id and name.
    pub stage: StageRef,
    /// Order in the pipeline (0-based).
    pub position: i64,
    /// Creation time.
    pub created_at: String,
}

/// Inserts the default stages for a new workspace.
pub fn create_defaults(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    now: &str,
) -> Result<(), Error> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO pipeline_stages (id, workspace_id, name, position, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (position, name) in DEFAULT_STAGES.iter().enumerate() {
        insert.execute(params![
            PipelineStageId::generate().as_str(),
            workspace_id.as_str(),
            name,
            position as i64,
            now
        ])?;
    }
    Ok(())
}

/// The stages of a workspace in pipeline order.
pub fn list(conn: &Connection, workspace_id: &WorkspaceId) -> Result<Vec<Stage>, Error> {
    let mut statement = conn.prepare_cached(
        "SELECT id, name, position, created_at FROM pipeline_stages WHERE workspace_id = ?1 ORDER BY position, seq",
    )?;
    let rows = statement.query_map([workspace_id.as_str()], |row| {
        Ok(Stage {
            stage: StageRef {
                id: PipelineStageId::from_db(row.get(0)?),
                name: row.get(1)?,
            },
            position: row.get(2)?,
            created_at: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The internal row number of a stage of this workspace, if it exists.
pub fn seq_of(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &PipelineStageId,
) -> Result<Option<i64>, Error> {
    Ok(conn
        .prepare_cached("SELECT seq FROM pipeline_stages WHERE workspace_id = ?1 AND id = ?2")?
        .query_row(params![workspace_id.as_str(), id.as_str()], |row| {
            row.get(0)
        })
        .optional()?)
}
