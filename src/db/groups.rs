//! The `groups` table and its members; every function is workspace-scoped.

use crate::domain::group::{Group, GroupChanges, GroupSortField, GroupType, NewGroup};
use crate::domain::ids::{ContactId, GroupId, WorkspaceId};
use crate::domain::listing::{Page, PageRequest, SortOrder};
use crate::error::Error;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

const COLUMNS: &str = "id, name, description, type, color, contact_count, created_at, updated_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Group> {
    let kind: String = row.get(3)?;
    Ok(Group {
        id: GroupId::from_db(row.get(0)?),
        name: row.get(1)?,
        description: row.get(2)?,
        group_type: GroupType::parse(&kind).unwrap_or_default(),
        color: row.get(4)?,
        contact_count: row.get::<_, i64>(5)?.max(0) as u64,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
    })
}

/// Row numbers of the given groups of this workspace; any unknown id is a validation error
/// on `field` (ids of other workspaces are unknown here).
pub fn resolve_seqs(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    ids: &[GroupId],
    field: &str,
) -> Result<Vec<i64>, Error> {
    let mut statement =
        conn.prepare_cached("SELECT seq FROM groups WHERE workspace_id = ?1 AND id = ?2")?;
    let mut seqs = Vec::with_capacity(ids.len());
    for id in ids {
        let seq: Option<i64> = statement
            .query_row(params![workspace_id.as_str(), id.as_str()], |row| {
                row.get(0)
            })
            .optional()?;
        match seq {
            Some(seq) if !seqs.contains(&seq) => seqs.push(seq),
            Some(_) => {}
            None => {
                return Err(Error::UnknownReference {
                    message: format!("Group {id} does not exist"),
                    details: Some(serde_json::json!({ "field": field, "id": id.as_str() })),
                })
            }
        }
    }
    Ok(seqs)
}

fn name_conflict() -> Error {
    Error::Conflict {
        message: "A group with this name already exists".to_owned(),
        details: Some(serde_json::json!({ "field": "name" })),
    }
}

fn name_taken(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    name: &str,
    except: Option<&GroupId>,
) -> Result<bool, Error> {
    let other: Option<String> = conn
        .prepare_cached(
            "SELECT id FROM groups WHERE workspace_id = ?1 AND name = ?2 COLLATE NOCASE",
        )?
        .query_row(params![workspace_id.as_str(), name], |row| row.get(0))
        .optional()?;
    Ok(other.is_some_and(|other| Some(other.as_str()) != except.map(GroupId::as_str)))
}

/// Creates a group; a name already used in the workspace (any case) is a conflict.
pub fn insert(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    new: &NewGroup,
    now: &str,
) -> Result<GroupId, Error> {
    if name_taken(conn, workspace_id, &new.name, None)? {
        return Err(name_conflict());
    }
    let id = GroupId::generate();
    conn.prepare_cached(
        "INSERT INTO groups (id, workspace_id, name, description, type, color, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?
    .execute(params![
        id.as_str(),
        workspace_id.as_str(),
        new.name,
        new.description,
        new.group_type.as_str(),
        new.color,
        now
    ])?;
    Ok(id)
}

/// One group of the workspace.
pub fn get(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &GroupId,
) -> Result<Option<Group>, Error> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM groups WHERE workspace_id = ?1 AND id = ?2"
        ))?
        .query_row(params![workspace_id.as_str(), id.as_str()], from_row)
        .optional()?)
}

/// Like [`get`], but a missing group is `NotFound`.
pub fn require(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &GroupId,
) -> Result<Group, Error> {
    get(conn, workspace_id, id)?.ok_or(Error::NotFound("Group"))
}

fn require_seq(conn: &Connection, workspace_id: &WorkspaceId, id: &GroupId) -> Result<i64, Error> {
    conn.prepare_cached("SELECT seq FROM groups WHERE workspace_id = ?1 AND id = ?2")?
        .query_row(params![workspace_id.as_str(), id.as_str()], |row| {
            row.get(0)
        })
        .optional()?
        .ok_or(Error::NotFound("Group"))
}

/// Filters for listing groups.
#[derive(Debug, Clone, Default)]
pub struct GroupFilter {
    /// Name contains (case-insensitive).
    pub name_contains: Option<String>,
    /// Type.
    pub group_type: Option<GroupType>,
}

/// One page of groups.
pub fn list(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    filter: &GroupFilter,
    sort: (GroupSortField, SortOrder),
    page: PageRequest,
) -> Result<Page<Group>, Error> {
    let mut sql = "workspace_id = ?1".to_owned();
    let mut values = vec![SqlValue::Text(workspace_id.as_str().to_owned())];
    if let Some(name) = &filter.name_contains {
        values.push(SqlValue::Text(crate::db::like_contains(name)));
        sql.push_str(&format!(
            " AND lower(name) LIKE ?{} ESCAPE '\\'",
            values.len()
        ));
    }
    if let Some(kind) = filter.group_type {
        values.push(SqlValue::Text(kind.as_str().to_owned()));
        sql.push_str(&format!(" AND type = ?{}", values.len()));
    }
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM groups WHERE {sql}"))?
        .query_row(params_from_iter(values.iter()), |row| row.get(0))?;
    let order = sort.1.sql();
    let column = match sort.0 {
        GroupSortField::CreatedAt => "created_at",
        GroupSortField::UpdatedAt => "updated_at",
        GroupSortField::Name => "name COLLATE NOCASE",
        GroupSortField::ContactCount => "contact_count",
    };
    values.push(SqlValue::Integer(page.limit()));
    values.push(SqlValue::Integer(page.offset()));
    let query = format!(
        "SELECT {COLUMNS} FROM groups WHERE {sql} ORDER BY {column} {order}, seq {order} LIMIT ?{} OFFSET ?{}",
        values.len() - 1,
        values.len()
    );
    let items = conn
        .prepare_cached(&query)?
        .query_map(params_from_iter(values.iter()), from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        items,
        total: total.max(0) as u64,
    })
}

/// Applies a partial update.
pub fn update(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &GroupId,
    changes: &GroupChanges,
    now: &str,
) -> Result<(), Error> {
    let mut group = require(conn, workspace_id, id)?;
    if let Some(name) = &changes.name {
        if name_taken(conn, workspace_id, name, Some(id))? {
            return Err(name_conflict());
        }
        group.name = name.clone();
    }
    if let Some(description) = &changes.description {
        group.description.clone_from(description);
    }
    if let Some(kind) = changes.group_type {
        group.group_type = kind;
    }
    if let Some(color) = &changes.color {
        group.color.clone_from(color);
    }
    conn.prepare_cached(
        "UPDATE groups SET name = ?3, description = ?4, type = ?5, color = ?6, updated_at = ?7
         WHERE workspace_id = ?1 AND id = ?2",
    )?
    .execute(params![
        workspace_id.as_str(),
        id.as_str(),
        group.name,
        group.description,
        group.group_type.as_str(),
        group.color,
        now
    ])?;
    Ok(())
}

/// Deletes a group; its contacts stay.
pub fn delete(conn: &Connection, workspace_id: &WorkspaceId, id: &GroupId) -> Result<(), Error> {
    let seq = require_seq(conn, workspace_id, id)?;
    conn.prepare_cached("DELETE FROM groups WHERE seq = ?1")?
        .execute([seq])?;
    Ok(())
}

/// One contact id that could not be added or removed.
#[derive(Debug, Clone)]
pub struct MemberError {
    /// The id as given.
    pub contact_id: String,
    /// Error code.
    pub code: &'static str,
    /// Why.
    pub message: String,
}

/// Result of adding or removing members.
#[derive(Debug, Clone, Default)]
pub struct MembershipOutcome {
    /// Contacts whose membership changed.
    pub changed: u64,
    /// Contacts already in (when adding) or not in (when removing) the group.
    pub skipped: u64,
    /// Unknown contact ids.
    pub errors: Vec<MemberError>,
}

/// Moves a group's member counter by `delta`. Counters are kept by the statements that change
/// memberships (one update per statement, not per row, which keeps bulk writes fast).
pub(crate) fn adjust_count(conn: &Connection, group_seq: i64, delta: i64) -> Result<(), Error> {
    if delta != 0 {
        conn.prepare_cached("UPDATE groups SET contact_count = contact_count + ?2 WHERE seq = ?1")?
            .execute(params![group_seq, delta])?;
    }
    Ok(())
}

/// Adds (`add = true`) or removes contacts; idempotent, unknown ids are reported per id.
pub fn change_members(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &GroupId,
    contact_ids: &[String],
    add: bool,
    now: &str,
) -> Result<MembershipOutcome, Error> {
    let group_seq = require_seq(conn, workspace_id, id)?;
    let mut outcome = MembershipOutcome::default();
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO group_members (group_seq, contact_seq, added_at) VALUES (?1, ?2, ?3)",
    )?;
    let mut remove =
        conn.prepare_cached("DELETE FROM group_members WHERE group_seq = ?1 AND contact_seq = ?2")?;
    let mut joined = Vec::new();
    for raw in contact_ids {
        let seq = match ContactId::parse(raw) {
            Some(contact) => crate::db::contacts::seq_of(conn, workspace_id, contact.as_str())?,
            None => None,
        };
        let Some(seq) = seq else {
            outcome.errors.push(MemberError {
                contact_id: raw.clone(),
                code: "NOT_FOUND",
                message: "Contact not found".to_owned(),
            });
            continue;
        };
        let changed = if add {
            insert.execute(params![group_seq, seq, now])?
        } else {
            remove.execute(params![group_seq, seq])?
        };
        if changed == 0 {
            outcome.skipped += 1;
        } else {
            outcome.changed += 1;
            if add {
                joined.push(seq);
            }
        }
    }
    crate::db::campaigns::enrolment::enrol_new_group_members(conn, group_seq, &joined, now)?;
    if outcome.changed > 0 {
        let delta = i64::try_from(outcome.changed).unwrap_or(i64::MAX);
        adjust_count(conn, group_seq, if add { delta } else { -delta })?;
        conn.prepare_cached("UPDATE groups SET updated_at = ?2 WHERE seq = ?1")?
            .execute(params![group_seq, now])?;
    }
    Ok(outcome)
}
