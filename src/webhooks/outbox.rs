//! The outbox: an event is written in the same transaction as the change that caused it, with
//! one pending delivery per active webhook of the workspace subscribed to its type. No
//! subscriber, no row: emitting costs one indexed read when nobody listens.

use crate::domain::ids::{DeliveryLogId, EventId, WorkspaceId};
use crate::error::Error;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use serde_json::{json, Value};

/// Every event type a webhook may subscribe to (spec 3.5).
pub const EVENT_TYPES: [&str; 13] = [
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "campaign.started",
    "campaign.paused",
    "campaign.completed",
    "email.sent",
    "email.delivered",
    "email.opened",
    "email.clicked",
    "email.replied",
    "email.bounced",
    "email.unsubscribed",
];

/// Active webhooks of the workspace subscribed to `event_type` (or to `*`).
fn subscribers(conn: &Connection, workspace_id: &str, event_type: &str) -> Result<Vec<i64>, Error> {
    let rows = conn
        .prepare_cached(
            "SELECT seq, events FROM webhooks WHERE workspace_id = ?1 AND status = 'active'",
        )?
        .query_map([workspace_id], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .filter(|(_, events)| {
            serde_json::from_str::<Vec<String>>(events)
                .map(|events| events.iter().any(|e| e == "*" || e == event_type))
                .unwrap_or(false)
        })
        .map(|(seq, _)| seq)
        .collect())
}

/// Whether an active webhook of the workspace subscribes to `event_type`: lets a caller skip
/// building a costly payload that nobody would receive.
pub fn is_subscribed(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    event_type: &str,
) -> Result<bool, Error> {
    Ok(!subscribers(conn, workspace_id.as_str(), event_type)?.is_empty())
}

/// The delivered body: `{"id", "type", "timestamp", "data"}`.
pub fn payload(id: &EventId, event_type: &str, at: DateTime<Utc>, data: &Value) -> String {
    json!({
        "id": id.as_str(),
        "type": event_type,
        "timestamp": crate::domain::time::format(at),
        "data": data,
    })
    .to_string()
}

/// Records an event for every subscribed webhook; returns its id, or `None` when nobody
/// subscribes to it. Call it inside the transaction of the change it reports.
pub fn emit(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    event_type: &str,
    data: &Value,
    at: DateTime<Utc>,
) -> Result<Option<EventId>, Error> {
    let webhooks = subscribers(conn, workspace_id.as_str(), event_type)?;
    if webhooks.is_empty() {
        return Ok(None);
    }
    let id = EventId::generate();
    let millis = at.timestamp_millis();
    conn.prepare_cached(
        "INSERT INTO webhook_events (id, workspace_id, type, payload, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        id.as_str(),
        workspace_id.as_str(),
        event_type,
        payload(&id, event_type, at, data),
        millis
    ])?;
    let event_seq = conn.last_insert_rowid();
    let mut delivery = conn.prepare_cached(
        "INSERT INTO webhook_deliveries (id, webhook_seq, event_seq, attempt, status, due_at)
         VALUES (?1, ?2, ?3, 1, 'pending', ?4)",
    )?;
    for webhook in webhooks {
        delivery.execute(params![
            DeliveryLogId::generate().as_str(),
            webhook,
            event_seq,
            millis
        ])?;
    }
    Ok(Some(id))
}
