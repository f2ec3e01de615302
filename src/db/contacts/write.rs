//! Writing contacts: create, partial update, delete, memberships, tags and bulk upserts.
//! Every function runs inside the writer's transaction.

use super::seq_of;
use crate::db::groups::resolve_seqs;
use crate::db::pipeline_stages;
use crate::domain::contact::{merge_custom_fields, ContactChanges, NewContact};
use crate::domain::ids::{ContactId, GroupId, PipelineStageId, WorkspaceId};
use crate::error::Error;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};

/// What bulk and import do with a row whose email already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnDuplicate {
    /// Leave the existing contact alone.
    #[default]
    Skip,
    /// Apply the row's values to the existing contact.
    Update,
}

/// A row that could not be written.
#[derive(Debug, Clone)]
pub struct BulkRowError {
    /// Position of the row in the request (0-based).
    pub index: usize,
    /// The row's email as given.
    pub email: Option<String>,
    /// Error code (`VALIDATION_ERROR`, `CONFLICT`, …).
    pub code: &'static str,
    /// Why.
    pub message: String,
}

/// Counts of a bulk write.
#[derive(Debug, Clone, Default)]
pub struct BulkOutcome {
    /// Rows created.
    pub created: u64,
    /// Existing contacts updated.
    pub updated: u64,
    /// Rows skipped as duplicates.
    pub skipped: u64,
    /// Rows that failed.
    pub errors: Vec<BulkRowError>,
    /// Contacts created, in row order (for their `contact.created` events).
    pub created_ids: Vec<ContactId>,
    /// Existing contacts updated, in row order (for their `contact.updated` events).
    pub updated_ids: Vec<ContactId>,
}

fn stage_seq(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: Option<&PipelineStageId>,
) -> Result<Option<i64>, Error> {
    match id {
        None => Ok(None),
        Some(id) => pipeline_stages::seq_of(conn, workspace_id, id)?
            .map(Some)
            .ok_or_else(|| Error::UnknownReference {
                message: format!("Pipeline stage {id} does not exist"),
                details: Some(serde_json::json!({ "field": "pipelineStageId", "id": id.as_str() })),
            }),
    }
}

fn insert_tags(conn: &Connection, seq: i64, tags: &[String]) -> Result<(), Error> {
    let mut statement = conn
        .prepare_cached("INSERT OR IGNORE INTO contact_tags (contact_seq, tag) VALUES (?1, ?2)")?;
    for tag in tags {
        statement.execute(params![seq, tag])?;
    }
    Ok(())
}

fn insert_memberships(
    conn: &Connection,
    seq: i64,
    group_seqs: &[i64],
    now: &str,
) -> Result<(), Error> {
    let mut statement = conn.prepare_cached(
        "INSERT OR IGNORE INTO group_members (group_seq, contact_seq, added_at) VALUES (?1, ?2, ?3)",
    )?;
    for group in group_seqs {
        if statement.execute(params![group, seq, now])? > 0 {
            crate::db::groups::adjust_count(conn, *group, 1)?;
            crate::db::campaigns::enrolment::enrol_new_group_members(conn, *group, &[seq], now)?;
        }
    }
    Ok(())
}

/// Inserts a row unless the email exists; returns the new row number, or `None` on a duplicate.
fn try_insert(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    new: &NewContact,
    stage: Option<i64>,
    group_seqs: &[i64],
    now: &str,
) -> Result<Option<(i64, ContactId)>, Error> {
    let id = ContactId::generate();
    let changed = conn
        .prepare_cached(
            "INSERT INTO contacts (id, workspace_id, email, email_lower, first_name, last_name, company, job_title,
               phone, website, status, custom_fields, pipeline_stage_seq, tracking_opt_out, consent_source,
               created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16)
             ON CONFLICT (workspace_id, email_lower) DO NOTHING",
        )?
        .execute(params![
            id.as_str(),
            workspace_id.as_str(),
            new.email.as_str(),
            new.email.normalized(),
            new.first_name,
            new.last_name,
            new.company,
            new.job_title,
            new.phone,
            new.website,
            new.status.as_str(),
            Value::Object(new.custom_fields.clone()).to_string(),
            stage,
            new.tracking_opt_out,
            new.consent_source,
            now,
        ])?;
    if changed == 0 {
        return Ok(None);
    }
    let seq = conn.last_insert_rowid();
    crate::db::workspaces::adjust_contact_count(conn, workspace_id, 1)?;
    insert_tags(conn, seq, &new.tags)?;
    insert_memberships(conn, seq, group_seqs, now)?;
    Ok(Some((seq, id)))
}

/// Creates a contact; a duplicate email (case-insensitive) is a conflict.
pub fn insert(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    new: &NewContact,
    now: &str,
) -> Result<ContactId, Error> {
    let stage = stage_seq(conn, workspace_id, new.pipeline_stage_id.as_ref())?;
    let group_seqs = resolve_seqs(conn, workspace_id, &new.group_ids, "groupIds")?;
    match try_insert(conn, workspace_id, new, stage, &group_seqs, now)? {
        Some((_, id)) => Ok(id),
        None => Err(Error::Conflict {
            message: "Email already exists".to_owned(),
            details: Some(serde_json::json!({ "field": "email" })),
        }),
    }
}

/// Stored scalar columns of a contact, as changed by `apply`.
struct Stored {
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    company: Option<String>,
    job_title: Option<String>,
    phone: Option<String>,
    website: Option<String>,
    status: String,
    custom_fields: Map<String, Value>,
    stage: Option<i64>,
    tracking_opt_out: bool,
    consent_source: Option<String>,
}

fn load_stored(conn: &Connection, seq: i64) -> Result<Stored, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT email, first_name, last_name, company, job_title, phone, website, status, custom_fields,
                    pipeline_stage_seq, tracking_opt_out, consent_source FROM contacts WHERE seq = ?1",
        )?
        .query_row([seq], |row| {
            let custom: String = row.get(8)?;
            Ok(Stored {
                email: row.get(0)?,
                first_name: row.get(1)?,
                last_name: row.get(2)?,
                company: row.get(3)?,
                job_title: row.get(4)?,
                phone: row.get(5)?,
                website: row.get(6)?,
                status: row.get(7)?,
                custom_fields: serde_json::from_str::<Map<String, Value>>(&custom).unwrap_or_default(),
                stage: row.get(9)?,
                tracking_opt_out: row.get::<_, i64>(10)? != 0,
                consent_source: row.get(11)?,
            })
        })?)
}

/// Applies a partial update to the contact at `seq`.
fn apply_changes(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    seq: i64,
    changes: &ContactChanges,
    now: &str,
) -> Result<(), Error> {
    let mut stored = load_stored(conn, seq)?;
    if let Some(email) = &changes.email {
        let taken: Option<i64> = conn
            .prepare_cached(
                "SELECT seq FROM contacts WHERE workspace_id = ?1 AND email_lower = ?2",
            )?
            .query_row(params![workspace_id.as_str(), email.normalized()], |row| {
                row.get(0)
            })
            .optional()?;
        if taken.is_some_and(|other| other != seq) {
            return Err(Error::Conflict {
                message: "Email already exists".to_owned(),
                details: Some(serde_json::json!({ "field": "email" })),
            });
        }
        stored.email = email.as_str().to_owned();
    }
    let set = |target: &mut Option<String>, change: &Option<Option<String>>| {
        if let Some(value) = change {
            target.clone_from(value);
        }
    };
    set(&mut stored.first_name, &changes.first_name);
    set(&mut stored.last_name, &changes.last_name);
    set(&mut stored.company, &changes.company);
    set(&mut stored.job_title, &changes.job_title);
    set(&mut stored.phone, &changes.phone);
    set(&mut stored.website, &changes.website);
    set(&mut stored.consent_source, &changes.consent_source);
    if let Some(status) = changes.status {
        stored.status = status.as_str().to_owned();
    }
    if let Some(flag) = changes.tracking_opt_out {
        stored.tracking_opt_out = flag;
    }
    if let Some(custom) = &changes.custom_fields {
        // The request is valid; the contact's current fields leave no room for it.
        merge_custom_fields(&mut stored.custom_fields, custom).map_err(|message| {
            Error::Conflict {
                message,
                details: Some(serde_json::json!({ "field": "customFields" })),
            }
        })?;
    }
    if let Some(stage) = &changes.pipeline_stage_id {
        stored.stage = stage_seq(conn, workspace_id, stage.as_ref())?;
    }
    conn.prepare_cached(
        "UPDATE contacts SET email = ?2, email_lower = ?3, first_name = ?4, last_name = ?5, company = ?6,
           job_title = ?7, phone = ?8, website = ?9, status = ?10, custom_fields = ?11, pipeline_stage_seq = ?12,
           tracking_opt_out = ?13, consent_source = ?14, updated_at = ?15
         WHERE seq = ?1",
    )?
    .execute(params![
        seq,
        stored.email,
        stored.email.to_lowercase(),
        stored.first_name,
        stored.last_name,
        stored.company,
        stored.job_title,
        stored.phone,
        stored.website,
        stored.status,
        Value::Object(stored.custom_fields).to_string(),
        stored.stage,
        stored.tracking_opt_out,
        stored.consent_source,
        now,
    ])?;
    if let Some(tags) = &changes.tags {
        conn.prepare_cached("DELETE FROM contact_tags WHERE contact_seq = ?1")?
            .execute([seq])?;
        insert_tags(conn, seq, tags)?;
    }
    if let Some(group_ids) = &changes.group_ids {
        let group_seqs = resolve_seqs(conn, workspace_id, group_ids, "groupIds")?;
        let keep = group_seqs
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        // `keep` holds integers read from the database.
        let leaving: Vec<i64> = conn
            .prepare(&format!(
                "DELETE FROM group_members WHERE contact_seq = ?1 AND group_seq NOT IN ({keep})
                 RETURNING group_seq"
            ))?
            .query_map([seq], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        for group in leaving {
            crate::db::groups::adjust_count(conn, group, -1)?;
        }
        insert_memberships(conn, seq, &group_seqs, now)?;
    }
    Ok(())
}

fn require_seq(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &ContactId,
) -> Result<i64, Error> {
    seq_of(conn, workspace_id, id.as_str())?.ok_or(Error::NotFound("Contact"))
}

/// Applies a partial update.
pub fn update(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &ContactId,
    changes: &ContactChanges,
    now: &str,
) -> Result<(), Error> {
    let seq = require_seq(conn, workspace_id, id)?;
    apply_changes(conn, workspace_id, seq, changes, now)
}

/// Deletes a contact (memberships and tags go with it).
pub fn delete(conn: &Connection, workspace_id: &WorkspaceId, id: &ContactId) -> Result<(), Error> {
    let seq = require_seq(conn, workspace_id, id)?;
    // Its memberships go with it (ON DELETE CASCADE): take it out of the group counters first.
    conn.prepare_cached(
        "UPDATE groups SET contact_count = contact_count - 1
         WHERE seq IN (SELECT group_seq FROM group_members WHERE contact_seq = ?1)",
    )?
    .execute([seq])?;
    conn.prepare_cached("DELETE FROM contacts WHERE seq = ?1")?
        .execute([seq])?;
    crate::db::workspaces::adjust_contact_count(conn, workspace_id, -1)?;
    Ok(())
}

fn touch(conn: &Connection, seq: i64, now: &str) -> Result<(), Error> {
    conn.prepare_cached("UPDATE contacts SET updated_at = ?2 WHERE seq = ?1")?
        .execute(params![seq, now])?;
    Ok(())
}

/// Adds the contact to groups (already a member is fine).
pub fn add_groups(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &ContactId,
    group_ids: &[GroupId],
    now: &str,
) -> Result<(), Error> {
    let seq = require_seq(conn, workspace_id, id)?;
    let group_seqs = resolve_seqs(conn, workspace_id, group_ids, "groupIds")?;
    insert_memberships(conn, seq, &group_seqs, now)?;
    touch(conn, seq, now)
}

/// Removes the contact from groups (not a member is fine).
pub fn remove_groups(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &ContactId,
    group_ids: &[GroupId],
    now: &str,
) -> Result<(), Error> {
    let seq = require_seq(conn, workspace_id, id)?;
    let group_seqs = resolve_seqs(conn, workspace_id, group_ids, "groupIds")?;
    let mut statement =
        conn.prepare_cached("DELETE FROM group_members WHERE group_seq = ?1 AND contact_seq = ?2")?;
    for group in group_seqs {
        if statement.execute(params![group, seq])? > 0 {
            crate::db::groups::adjust_count(conn, group, -1)?;
        }
    }
    touch(conn, seq, now)
}

/// Adds tags (existing ones are kept).
pub fn add_tags(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &ContactId,
    tags: &[String],
    now: &str,
) -> Result<(), Error> {
    let seq = require_seq(conn, workspace_id, id)?;
    insert_tags(conn, seq, tags)?;
    let count: i64 = conn.query_row(
        "SELECT count(*) FROM contact_tags WHERE contact_seq = ?1",
        [seq],
        |row| row.get(0),
    )?;
    if count as usize > crate::domain::text::MAX_TAGS {
        // The request is valid; the contact's current tags leave no room for it.
        return Err(Error::Conflict {
            message: format!(
                "a contact may carry at most {} tags",
                crate::domain::text::MAX_TAGS
            ),
            details: Some(serde_json::json!({ "field": "tags" })),
        });
    }
    touch(conn, seq, now)
}

/// Removes tags (absent ones are ignored).
pub fn remove_tags(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &ContactId,
    tags: &[String],
    now: &str,
) -> Result<(), Error> {
    let seq = require_seq(conn, workspace_id, id)?;
    let mut statement =
        conn.prepare_cached("DELETE FROM contact_tags WHERE contact_seq = ?1 AND tag = ?2")?;
    for tag in tags {
        statement.execute(params![seq, tag])?;
    }
    touch(conn, seq, now)
}

/// Rows per multi-row INSERT: one statement (and one statement journal) per chunk instead of
/// per row is what makes bulk writes fast.
const INSERT_CHUNK: usize = 1000;

/// A valid bulk row with its references resolved.
struct PreparedRow {
    index: usize,
    new: NewContact,
    stage: Option<i64>,
    groups: Vec<i64>,
}

fn row_error(index: usize, new: &NewContact, error: &Error) -> BulkRowError {
    let (code, message) = match error {
        Error::Validation { message, .. } => ("VALIDATION_ERROR", message.clone()),
        Error::Conflict { message, .. } => ("CONFLICT", message.clone()),
        Error::NotFound(what) => ("NOT_FOUND", format!("{what} not found")),
        Error::UnknownReference { message, .. } => ("NOT_FOUND", message.clone()),
        Error::Unauthenticated => ("UNAUTHORIZED", "Invalid or missing API key".to_owned()),
        Error::Internal(_) => ("INTERNAL_ERROR", "Internal server error".to_owned()),
    };
    BulkRowError {
        index,
        email: Some(new.email.as_str().to_owned()),
        code,
        message,
    }
}

/// Inserts a chunk with one statement; returns the row numbers and ids of the inserted rows by
/// their normalised email (rows whose email exists are left out by `ON CONFLICT DO NOTHING`).
fn insert_chunk(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    rows: &[PreparedRow],
    now: &str,
) -> Result<std::collections::HashMap<String, (i64, ContactId)>, Error> {
    use rusqlite::types::Value as SqlValue;
    const COLUMNS: usize = 17;
    let placeholders = value_rows(rows.len(), COLUMNS);
    let sql = format!(
        "INSERT INTO contacts (id, workspace_id, email, email_lower, first_name, last_name, company, job_title,
           phone, website, status, custom_fields, pipeline_stage_seq, tracking_opt_out, consent_source,
           created_at, updated_at)
         VALUES {placeholders}
         ON CONFLICT (workspace_id, email_lower) DO NOTHING
         RETURNING seq, email_lower, id"
    );
    let text = |value: &Option<String>| value.clone().map_or(SqlValue::Null, SqlValue::Text);
    let mut values: Vec<SqlValue> = Vec::with_capacity(rows.len() * COLUMNS);
    for row in rows {
        let new = &row.new;
        values.extend([
            SqlValue::Text(ContactId::generate().to_string()),
            SqlValue::Text(workspace_id.as_str().to_owned()),
            SqlValue::Text(new.email.as_str().to_owned()),
            SqlValue::Text(new.email.normalized()),
            text(&new.first_name),
            text(&new.last_name),
            text(&new.company),
            text(&new.job_title),
            text(&new.phone),
            text(&new.website),
            SqlValue::Text(new.status.as_str().to_owned()),
            SqlValue::Text(serde_json::to_string(&new.custom_fields)?),
            row.stage.map_or(SqlValue::Null, SqlValue::Integer),
            SqlValue::Integer(i64::from(new.tracking_opt_out)),
            text(&new.consent_source),
            SqlValue::Text(now.to_owned()),
            SqlValue::Text(now.to_owned()),
        ]);
    }
    let mut statement = conn.prepare_cached(&sql)?;
    let inserted = statement
        .query_map(rusqlite::params_from_iter(values.iter()), |row| {
            Ok((
                row.get::<_, String>(1)?,
                (row.get::<_, i64>(0)?, ContactId::from_db(row.get(2)?)),
            ))
        })?
        .collect::<Result<std::collections::HashMap<_, _>, _>>()?;
    Ok(inserted)
}

/// `(?, ?, …), (?, ?, …), …`: `rows` groups of `width` anonymous parameters.
fn value_rows(rows: usize, width: usize) -> String {
    let row = format!("({})", vec!["?"; width].join(", "));
    vec![row; rows].join(", ")
}

/// Inserts `(contact, value)` pairs with multi-row statements.
fn insert_pairs(
    conn: &Connection,
    prefix: &str,
    pairs: &[(i64, rusqlite::types::Value)],
    now: Option<&str>,
) -> Result<(), Error> {
    use rusqlite::types::Value as SqlValue;
    let width = if now.is_some() { 3 } else { 2 };
    for chunk in pairs.chunks(1000) {
        let placeholders = value_rows(chunk.len(), width);
        let mut values: Vec<SqlValue> = Vec::with_capacity(chunk.len() * width);
        for (seq, value) in chunk {
            values.push(SqlValue::Integer(*seq));
            values.push(value.clone());
            if let Some(now) = now {
                values.push(SqlValue::Text(now.to_owned()));
            }
        }
        conn.prepare_cached(&format!("{prefix} VALUES {placeholders}"))?
            .execute(rusqlite::params_from_iter(values.iter()))?;
    }
    Ok(())
}

/// Writes many contacts at once. `rows` holds each row's validated contact or its validation
/// error; every valid row is written independently of the others: new emails are inserted in
/// multi-row statements, existing ones are skipped or updated one by one.
pub fn bulk_upsert(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    rows: Vec<(usize, Result<NewContact, BulkRowError>)>,
    group_ids: &[GroupId],
    on_duplicate: OnDuplicate,
    now: &str,
) -> Result<BulkOutcome, Error> {
    use rusqlite::types::Value as SqlValue;
    let common_groups = resolve_seqs(conn, workspace_id, group_ids, "groupIds")?;
    let mut outcome = BulkOutcome::default();
    let mut ready = Vec::with_capacity(rows.len());
    for (index, row) in rows {
        let new = match row {
            Ok(new) => new,
            Err(error) => {
                outcome.errors.push(error);
                continue;
            }
        };
        let prepared =
            stage_seq(conn, workspace_id, new.pipeline_stage_id.as_ref()).and_then(|stage| {
                let mut groups = resolve_seqs(conn, workspace_id, &new.group_ids, "groupIds")?;
                for group in &common_groups {
                    if !groups.contains(group) {
                        groups.push(*group);
                    }
                }
                Ok((stage, groups))
            });
        match prepared {
            Ok((stage, groups)) => ready.push(PreparedRow {
                index,
                new,
                stage,
                groups,
            }),
            Err(Error::Internal(error)) => return Err(Error::Internal(error)),
            Err(error) => outcome.errors.push(row_error(index, &new, &error)),
        }
    }
    let mut duplicates = Vec::new();
    let mut tags = Vec::new();
    let mut memberships = Vec::new();
    let mut remaining = ready.into_iter().peekable();
    while remaining.peek().is_some() {
        let chunk: Vec<PreparedRow> = remaining.by_ref().take(INSERT_CHUNK).collect();
        let mut inserted = insert_chunk(conn, workspace_id, &chunk, now)?;
        crate::db::workspaces::adjust_contact_count(conn, workspace_id, inserted.len() as i64)?;
        for row in chunk {
            // The first row of an email present twice claims the insert; later ones are duplicates.
            match inserted.remove(&row.new.email.normalized()) {
                Some((seq, id)) => {
                    outcome.created += 1;
                    outcome.created_ids.push(id);
                    tags.extend(
                        row.new
                            .tags
                            .iter()
                            .map(|tag| (seq, SqlValue::Text(tag.clone()))),
                    );
                    memberships.extend(
                        row.groups
                            .iter()
                            .map(|group| (seq, SqlValue::Integer(*group))),
                    );
                }
                None => duplicates.push(row),
            }
        }
    }
    insert_pairs(
        conn,
        "INSERT OR IGNORE INTO contact_tags (contact_seq, tag)",
        &tags,
        None,
    )?;
    insert_pairs(
        conn,
        "INSERT OR IGNORE INTO group_members (contact_seq, group_seq, added_at)",
        &memberships,
        Some(now),
    )?;
    // Every membership above is new (its contact was just created, its groups deduplicated).
    let mut joined: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
    for (contact, group) in &memberships {
        if let SqlValue::Integer(group) = group {
            joined.entry(*group).or_default().push(*contact);
        }
    }
    for (group, contacts) in joined {
        crate::db::groups::adjust_count(conn, group, contacts.len() as i64)?;
        crate::db::campaigns::enrolment::enrol_new_group_members(conn, group, &contacts, now)?;
    }
    for row in duplicates {
        if on_duplicate == OnDuplicate::Skip {
            outcome.skipped += 1;
            continue;
        }
        let (seq, id): (i64, String) = conn
            .prepare_cached(
                "SELECT seq, id FROM contacts WHERE workspace_id = ?1 AND email_lower = ?2",
            )?
            .query_row(
                params![workspace_id.as_str(), row.new.email.normalized()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
        match apply_changes(
            conn,
            workspace_id,
            seq,
            &ContactChanges::from_new(&row.new),
            now,
        ) {
            Ok(()) => {
                insert_tags(conn, seq, &row.new.tags)?;
                insert_memberships(conn, seq, &row.groups, now)?;
                outcome.updated += 1;
                outcome.updated_ids.push(ContactId::from_db(id));
            }
            Err(Error::Internal(error)) => return Err(Error::Internal(error)),
            Err(error) => outcome.errors.push(row_error(row.index, &row.new, &error)),
        }
    }
    outcome.errors.sort_by_key(|error| error.index);
    Ok(outcome)
}
