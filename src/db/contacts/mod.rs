//! The `contacts` table with its tags and group memberships; every function is workspace-scoped.

mod filter;
mod write;

pub use filter::{custom_field_keys, for_each_matching, list, matching};
pub use write::{
    add_groups, add_tags, bulk_upsert, delete, insert, remove_groups, remove_tags, update,
    BulkOutcome, BulkRowError, OnDuplicate,
};

use crate::domain::contact::{Contact, ContactStatus, GroupRef, StageRef};
use crate::domain::ids::{ContactId, GroupId, PipelineStageId, WorkspaceId};
use crate::error::Error;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Columns read for a contact, in the order `from_row` expects.
const COLUMNS: &str =
    "c.seq, c.id, c.email, c.first_name, c.last_name, c.company, c.job_title, c.phone, \
     c.website, c.status, c.custom_fields, s.id, s.name, c.tracking_opt_out, c.consent_source, \
     c.created_at, c.updated_at";

/// The join that completes `COLUMNS` after `contacts c`.
const JOIN: &str = "LEFT JOIN pipeline_stages s ON s.seq = c.pipeline_stage_seq";

/// The FROM clause matching `COLUMNS`.
const FROM: &str = "contacts c LEFT JOIN pipeline_stages s ON s.seq = c.pipeline_stage_seq";

fn from_row(row: &Row<'_>) -> rusqlite::Result<(i64, Contact)> {
    let custom: String = row.get(10)?;
    let custom_fields = match serde_json::from_str::<Value>(&custom) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let stage_id: Option<String> = row.get(11)?;
    let pipeline_stage = match stage_id {
        Some(id) => Some(StageRef {
            id: PipelineStageId::from_db(id),
            name: row.get(12)?,
        }),
        None => None,
    };
    let status: String = row.get(9)?;
    Ok((
        row.get(0)?,
        Contact {
            id: ContactId::from_db(row.get(1)?),
            email: row.get(2)?,
            first_name: row.get(3)?,
            last_name: row.get(4)?,
            company: row.get(5)?,
            job_title: row.get(6)?,
            phone: row.get(7)?,
            website: row.get(8)?,
            status: ContactStatus::parse(&status).unwrap_or(ContactStatus::Active),
            groups: Vec::new(),
            tags: Vec::new(),
            custom_fields,
            pipeline_stage,
            tracking_opt_out: row.get::<_, i64>(13)? != 0,
            consent_source: row.get(14)?,
            created_at: row.get(15)?,
            updated_at: row.get(16)?,
        },
    ))
}

/// Fills `groups` and `tags` of loaded contacts (two queries for the whole page).
fn attach_relations(conn: &Connection, rows: &mut [(i64, Contact)]) -> Result<(), Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let position: HashMap<i64, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, (seq, _))| (*seq, i))
        .collect();
    // One cached statement whatever the page size: the row numbers travel as a JSON array.
    let seqs = serde_json::to_string(&rows.iter().map(|(seq, _)| *seq).collect::<Vec<i64>>())?;
    let mut groups = conn.prepare_cached(
        "SELECT gm.contact_seq, g.id, g.name FROM group_members gm JOIN groups g ON g.seq = gm.group_seq
         WHERE gm.contact_seq IN (SELECT value FROM json_each(?1)) ORDER BY g.name COLLATE NOCASE, g.seq",
    )?;
    let mut group_rows = groups.query([&seqs])?;
    while let Some(row) = group_rows.next()? {
        let seq: i64 = row.get(0)?;
        if let Some(&index) = position.get(&seq) {
            rows[index].1.groups.push(GroupRef {
                id: GroupId::from_db(row.get(1)?),
                name: row.get(2)?,
            });
        }
    }
    let mut tags = conn.prepare_cached(
        "SELECT contact_seq, tag FROM contact_tags WHERE contact_seq IN (SELECT value FROM json_each(?1)) ORDER BY tag",
    )?;
    let mut tag_rows = tags.query([&seqs])?;
    while let Some(row) = tag_rows.next()? {
        let seq: i64 = row.get(0)?;
        if let Some(&index) = position.get(&seq) {
            rows[index].1.tags.push(row.get(1)?);
        }
    }
    Ok(())
}

/// One contact of the workspace.
pub fn get(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &ContactId,
) -> Result<Option<Contact>, Error> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE c.workspace_id = ?1 AND c.id = ?2"
        ))?
        .query_row(params![workspace_id.as_str(), id.as_str()], from_row)
        .optional()?;
    let Some(row) = row else { return Ok(None) };
    let mut rows = vec![row];
    attach_relations(conn, &mut rows)?;
    Ok(rows.pop().map(|(_, contact)| contact))
}

/// Like [`get`], but a missing contact is a `NotFound` error.
pub fn require(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &ContactId,
) -> Result<Contact, Error> {
    get(conn, workspace_id, id)?.ok_or(Error::NotFound("Contact"))
}

/// The internal row number of a contact of this workspace.
pub fn seq_of(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &str,
) -> Result<Option<i64>, Error> {
    Ok(conn
        .prepare_cached("SELECT seq FROM contacts WHERE workspace_id = ?1 AND id = ?2")?
        .query_row(params![workspace_id.as_str(), id], |row| row.get(0))
        .optional()?)
}
