//! The `webhooks` table and the delivery logs: API functions are workspace-scoped; secrets are
//! stored sealed with the [`SecretBox`], bound to their webhook, and only delivery opens them.

use crate::domain::ids::{DeliveryLogId, EventId, WebhookId, WorkspaceId};
use crate::domain::listing::{Page, PageRequest, SortOrder};
use crate::domain::webhook::{
    DeliveryLog, DeliveryStatus, NewWebhook, Webhook, WebhookChanges, WebhookEvents, WebhookStatus,
};
use crate::error::Error;
use crate::secret::SecretBox;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

const COLUMNS: &str =
    "seq, id, workspace_id, url, events, status, description, created_at, updated_at";

/// The associated data a secret is sealed with: its webhook.
fn secret_context(id: &WebhookId) -> String {
    format!("{id}:webhook")
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<(i64, WorkspaceId, Webhook)> {
    let events: String = row.get(4)?;
    let status: String = row.get(5)?;
    Ok((
        row.get(0)?,
        WorkspaceId::from_db(row.get(2)?),
        Webhook {
            id: WebhookId::from_db(row.get(1)?),
            url: row.get(3)?,
            events: WebhookEvents::from_db(serde_json::from_str(&events).unwrap_or_default()),
            status: WebhookStatus::parse(&status).unwrap_or_default(),
            description: row.get(6)?,
            created_at: row.get(7)?,
            updated_at: row.get(8)?,
        },
    ))
}

/// Creates a webhook, sealing its secret.
pub fn insert(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    new: &NewWebhook,
    secrets: &SecretBox,
    now: &str,
) -> Result<WebhookId, Error> {
    let id = WebhookId::generate();
    let sealed = secrets.seal(new.secret.expose(), &secret_context(&id));
    conn.prepare_cached(
        "INSERT INTO webhooks (id, workspace_id, url, events, status, description, secret,
             created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'active', ?5, ?6, ?7, ?7)",
    )?
    .execute(params![
        id.as_str(),
        workspace_id.as_str(),
        new.url.as_str(),
        new.events.to_json(),
        new.description,
        sealed,
        now
    ])?;
    Ok(id)
}

fn find(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &WebhookId,
) -> Result<Option<(i64, Webhook)>, Error> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM webhooks WHERE workspace_id = ?1 AND id = ?2"
        ))?
        .query_row(params![workspace_id.as_str(), id.as_str()], from_row)
        .optional()?
        .map(|(seq, _, webhook)| (seq, webhook)))
}

/// One webhook of the workspace; a missing one is `NotFound`.
pub fn require(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &WebhookId,
) -> Result<Webhook, Error> {
    find(conn, workspace_id, id)?
        .map(|(_, webhook)| webhook)
        .ok_or(Error::NotFound("Webhook"))
}

/// The row number of a webhook of this workspace (what deliveries refer to); ids of other
/// workspaces are `NotFound`.
pub fn seq_of(conn: &Connection, workspace_id: &WorkspaceId, id: &WebhookId) -> Result<i64, Error> {
    conn.prepare_cached("SELECT seq FROM webhooks WHERE workspace_id = ?1 AND id = ?2")?
        .query_row(params![workspace_id.as_str(), id.as_str()], |row| {
            row.get(0)
        })
        .optional()?
        .ok_or(Error::NotFound("Webhook"))
}

/// Fields webhooks can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebhookSortField {
    /// Creation time (default).
    #[default]
    CreatedAt,
    /// Last change.
    UpdatedAt,
    /// Target URL.
    Url,
}

/// One page of the workspace's webhooks, optionally of one status.
pub fn list(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    status: Option<WebhookStatus>,
    sort: (WebhookSortField, SortOrder),
    page: PageRequest,
) -> Result<Page<Webhook>, Error> {
    let mut sql = "workspace_id = ?1".to_owned();
    let mut values = vec![SqlValue::Text(workspace_id.as_str().to_owned())];
    if let Some(status) = status {
        values.push(SqlValue::Text(status.as_str().to_owned()));
        sql.push_str(&format!(" AND status = ?{}", values.len()));
    }
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM webhooks WHERE {sql}"))?
        .query_row(params_from_iter(values.iter()), |row| row.get(0))?;
    let order = sort.1.sql();
    let column = match sort.0 {
        WebhookSortField::CreatedAt => "created_at",
        WebhookSortField::UpdatedAt => "updated_at",
        WebhookSortField::Url => "url",
    };
    values.push(SqlValue::Integer(page.limit()));
    values.push(SqlValue::Integer(page.offset()));
    let query = format!(
        "SELECT {COLUMNS} FROM webhooks WHERE {sql} ORDER BY {column} {order}, seq {order} LIMIT ?{} OFFSET ?{}",
        values.len() - 1,
        values.len()
    );
    let items = conn
        .prepare_cached(&query)?
        .query_map(params_from_iter(values.iter()), from_row)?
        .map(|row| row.map(|(_, _, webhook)| webhook))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        items,
        total: total.max(0) as u64,
    })
}

/// Applies a partial update; a new secret is sealed. Deliveries already pending keep going to
/// the webhook (they read its URL and secret when they are made).
pub fn update(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &WebhookId,
    changes: &WebhookChanges,
    secrets: &SecretBox,
    now: &str,
) -> Result<(), Error> {
    let (seq, stored) = find(conn, workspace_id, id)?.ok_or(Error::NotFound("Webhook"))?;
    let sealed = changes
        .secret
        .as_ref()
        .map(|secret| secrets.seal(secret.expose(), &secret_context(id)));
    conn.prepare_cached(
        "UPDATE webhooks SET url = ?2, events = ?3, status = ?4, description = ?5,
             secret = coalesce(?6, secret), updated_at = ?7
         WHERE seq = ?1",
    )?
    .execute(params![
        seq,
        changes
            .url
            .as_ref()
            .map_or(stored.url.as_str(), url::Url::as_str),
        changes.events.as_ref().unwrap_or(&stored.events).to_json(),
        changes.status.unwrap_or(stored.status).as_str(),
        changes.description.as_ref().unwrap_or(&stored.description),
        sealed,
        now
    ])?;
    Ok(())
}

/// Deletes a webhook with its delivery logs (pending deliveries are dropped).
pub fn delete(conn: &Connection, workspace_id: &WorkspaceId, id: &WebhookId) -> Result<(), Error> {
    let seq = seq_of(conn, workspace_id, id)?;
    conn.prepare_cached("DELETE FROM webhooks WHERE seq = ?1")?
        .execute([seq])?;
    Ok(())
}

fn log_from_row(row: &Row<'_>) -> rusqlite::Result<DeliveryLog> {
    let status: String = row.get(3)?;
    let status = DeliveryStatus::parse(&status).unwrap_or(DeliveryStatus::Pending);
    let attempted_at: Option<String> = row.get(8)?;
    let due_at: i64 = row.get(9)?;
    let timestamp = attempted_at.unwrap_or_else(|| {
        crate::domain::time::format(
            chrono::DateTime::from_timestamp_millis(due_at).unwrap_or_default(),
        )
    });
    Ok(DeliveryLog {
        id: DeliveryLogId::from_db(row.get(0)?),
        event_id: EventId::from_db(row.get(1)?),
        event_type: row.get(2)?,
        status,
        status_code: row
            .get::<_, Option<i64>>(4)?
            .and_then(|code| u16::try_from(code).ok()),
        response_time_ms: row
            .get::<_, Option<i64>>(5)?
            .and_then(|ms| u64::try_from(ms).ok()),
        attempt: u32::try_from(row.get::<_, i64>(6)?).unwrap_or(0),
        error: row.get(7)?,
        timestamp,
    })
}

/// One page of a webhook's delivery attempts, newest first, optionally of one status.
pub fn logs(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &WebhookId,
    status: Option<DeliveryStatus>,
    page: PageRequest,
) -> Result<Page<DeliveryLog>, Error> {
    let seq = seq_of(conn, workspace_id, id)?;
    let status = status.map(DeliveryStatus::as_str);
    let total: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM webhook_deliveries
             WHERE webhook_seq = ?1 AND (?2 IS NULL OR status = ?2)",
        )?
        .query_row(params![seq, status], |row| row.get(0))?;
    let items = conn
        .prepare_cached(
            "SELECT d.id, e.id, e.type, d.status, d.status_code, d.response_time_ms, d.attempt,
                    d.error, d.attempted_at, d.due_at
             FROM webhook_deliveries d JOIN webhook_events e ON e.seq = d.event_seq
             WHERE d.webhook_seq = ?1 AND (?2 IS NULL OR d.status = ?2)
             ORDER BY d.seq DESC LIMIT ?3 OFFSET ?4",
        )?
        .query_map(
            params![seq, status, page.limit(), page.offset()],
            log_from_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        items,
        total: total.max(0) as u64,
    })
}

/// What the dispatcher needs to deliver to a webhook, its secret opened.
#[derive(Clone)]
pub struct DeliveryTarget {
    /// Row number (what `webhook_deliveries.webhook_seq` refers to).
    pub seq: i64,
    /// Public id.
    pub id: WebhookId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Target URL as stored (check it again with the URL guard before connecting).
    pub url: String,
    /// Signing secret in clear.
    pub secret: String,
    /// Current status (deliver only while `Active`).
    pub status: WebhookStatus,
}

impl std::fmt::Debug for DeliveryTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryTarget")
            .field("seq", &self.seq)
            .field("id", &self.id)
            .field("workspace_id", &self.workspace_id)
            .field("url", &self.url)
            .field("secret", &"[redacted]")
            .field("status", &self.status)
            .finish()
    }
}

/// Loads a webhook for delivery by row number (internal: no workspace scope); `None` when it
/// was deleted. A secret that no longer opens (the server's secret key changed) is a
/// `Conflict` naming `secret`.
pub fn load_for_delivery(
    conn: &Connection,
    webhook_seq: i64,
    secrets: &SecretBox,
) -> Result<Option<DeliveryTarget>, Error> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS}, secret FROM webhooks WHERE seq = ?1"
        ))?
        .query_row([webhook_seq], |row| {
            Ok((from_row(row)?, row.get::<_, Vec<u8>>(9)?))
        })
        .optional()?;
    let Some(((seq, workspace_id, webhook), sealed)) = found else {
        return Ok(None);
    };
    let secret = secrets
        .open(&sealed, &secret_context(&webhook.id))
        .map_err(|error| {
            tracing::warn!(webhook_id = %webhook.id, %error, "a stored webhook secret does not open");
            Error::Conflict {
                message: "The stored webhook secret cannot be decrypted with the server's secret key (was FLUENZR_SECRET_KEY changed?); set a new one".to_owned(),
                details: Some(serde_json::json!({ "field": "secret" })),
            }
        })?;
    Ok(Some(DeliveryTarget {
        seq,
        id: webhook.id,
        workspace_id,
        url: webhook.url,
        secret,
        status: webhook.status,
    }))
}
