//! The `campaign_events` table: what happened in a campaign, for activity and the timeline.

use crate::domain::campaign_stats::EventType;
use crate::domain::ids::{ContactId, EventId, WorkspaceId};
use crate::domain::listing::{Page, PageRequest};
use crate::error::Error;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, Row};
use serde_json::Value;

/// Records one event; `occurred_at` is in Unix seconds.
pub fn insert(
    conn: &Connection,
    campaign_seq: i64,
    contact_seq: Option<i64>,
    node_id: Option<&str>,
    kind: EventType,
    occurred_at: i64,
    metadata: &Value,
) -> Result<EventId, Error> {
    let id = EventId::generate();
    conn.prepare_cached(
        "INSERT INTO campaign_events (id, campaign_seq, contact_seq, node_id, type, occurred_at, metadata)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        id.as_str(),
        campaign_seq,
        contact_seq,
        node_id,
        kind.as_str(),
        occurred_at,
        metadata.to_string()
    ])?;
    Ok(id)
}

/// One event as the activity feed shows it.
#[derive(Debug, Clone)]
pub struct Activity {
    /// Event id.
    pub id: EventId,
    /// What happened.
    pub kind: EventType,
    /// The contact concerned, if any (and if it still exists).
    pub contact_id: Option<ContactId>,
    /// That contact's email.
    pub contact_email: Option<String>,
    /// The workflow node concerned, if any.
    pub node_id: Option<String>,
    /// Unix seconds.
    pub occurred_at: i64,
    /// Details (`{"url": …}` for clicks, …).
    pub metadata: Value,
}

/// Filters of the activity feed.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    /// Only this type.
    pub kind: Option<EventType>,
    /// Only this contact (already resolved to its row).
    pub contact_seq: Option<i64>,
    /// From this Unix time (inclusive).
    pub from: Option<i64>,
    /// Until this Unix time (exclusive).
    pub to: Option<i64>,
}

fn activity_from_row(row: &Row<'_>) -> rusqlite::Result<Activity> {
    let kind: String = row.get(1)?;
    let metadata: String = row.get(6)?;
    Ok(Activity {
        id: EventId::from_db(row.get(0)?),
        kind: EventType::parse(&kind).unwrap_or(EventType::Skipped),
        contact_id: row.get::<_, Option<String>>(2)?.map(ContactId::from_db),
        contact_email: row.get(3)?,
        node_id: row.get(4)?,
        occurred_at: row.get(5)?,
        metadata: serde_json::from_str(&metadata)
            .unwrap_or_else(|_| Value::Object(Default::default())),
    })
}

/// The row number of a contact of the workspace; an unknown id is `404` naming `field`.
pub fn contact_seq(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &ContactId,
    field: &str,
) -> Result<i64, Error> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached("SELECT seq FROM contacts WHERE workspace_id = ?1 AND id = ?2")?
        .query_row(params![workspace_id.as_str(), id.as_str()], |row| {
            row.get(0)
        })
        .optional()?
        .ok_or_else(|| Error::UnknownReference {
            message: format!("Contact {id} does not exist"),
            details: Some(serde_json::json!({ "field": field, "id": id.as_str() })),
        })
}

/// One page of a campaign's events, newest first.
pub fn list(
    conn: &Connection,
    campaign_seq: i64,
    filter: &ActivityFilter,
    page: PageRequest,
) -> Result<Page<Activity>, Error> {
    let mut sql = "e.campaign_seq = ?1".to_owned();
    let mut values = vec![SqlValue::Integer(campaign_seq)];
    if let Some(kind) = filter.kind {
        values.push(SqlValue::Text(kind.as_str().to_owned()));
        sql.push_str(&format!(" AND e.type = ?{}", values.len()));
    }
    if let Some(contact) = filter.contact_seq {
        values.push(SqlValue::Integer(contact));
        sql.push_str(&format!(" AND e.contact_seq = ?{}", values.len()));
    }
    if let Some(from) = filter.from {
        values.push(SqlValue::Integer(from));
        sql.push_str(&format!(" AND e.occurred_at >= ?{}", values.len()));
    }
    if let Some(to) = filter.to {
        values.push(SqlValue::Integer(to));
        sql.push_str(&format!(" AND e.occurred_at < ?{}", values.len()));
    }
    let total: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM campaign_events e WHERE {sql}"
        ))?
        .query_row(params_from_iter(values.iter()), |row| row.get(0))?;
    values.push(SqlValue::Integer(page.limit()));
    values.push(SqlValue::Integer(page.offset()));
    let query = format!(
        "SELECT e.id, e.type, c.id, c.email, e.node_id, e.occurred_at, e.metadata
         FROM campaign_events e LEFT JOIN contacts c ON c.seq = e.contact_seq
         WHERE {sql} ORDER BY e.occurred_at DESC, e.seq DESC LIMIT ?{} OFFSET ?{}",
        values.len() - 1,
        values.len()
    );
    let items = conn
        .prepare_cached(&query)?
        .query_map(params_from_iter(values.iter()), activity_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        items,
        total: total.max(0) as u64,
    })
}
