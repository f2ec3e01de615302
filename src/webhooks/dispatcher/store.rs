//! The dispatcher's SQL: which attempts are due, what an attempt needs to be sent, how its
//! result is recorded (and the next attempt scheduled), and the `webhook.test` event.

use crate::domain::ids::{DeliveryLogId, EventId, WebhookId, WorkspaceId};
use crate::error::Error;
use crate::webhooks::outbox;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::json;

/// A pending attempt with everything needed to send it.
#[derive(Debug)]
pub struct Attempt {
    /// Row of the attempt in `webhook_deliveries`.
    pub seq: i64,
    /// Row of the webhook.
    pub webhook_seq: i64,
    /// Row of the event.
    pub event_seq: i64,
    /// 1 for the first try.
    pub attempt: i64,
    /// The webhook's public id (the secret's sealing context).
    pub webhook_id: String,
    /// Where to POST.
    pub url: String,
    /// The webhook's secret, sealed.
    pub sealed_secret: Vec<u8>,
    /// `active`, `disabled` or `failed`.
    pub webhook_status: String,
    /// The event's public id (stable across attempts).
    pub event_id: String,
    /// The exact body to send and sign.
    pub payload: String,
}

/// What one try of an attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tried {
    /// A 2xx answer.
    Delivered {
        /// The HTTP status.
        status_code: u16,
        /// Milliseconds until the answer's head.
        response_time_ms: i64,
    },
    /// Worth trying again later (3xx, 5xx, timeout, connection trouble).
    Retry {
        /// The HTTP status, when there was an answer.
        status_code: Option<u16>,
        /// Milliseconds until the answer or the error.
        response_time_ms: Option<i64>,
        /// Why it did not succeed.
        error: String,
    },
    /// Never worth trying again (4xx, a refused URL, a disabled webhook).
    Failed {
        /// The HTTP status, when there was an answer.
        status_code: Option<u16>,
        /// Milliseconds until the answer or the error.
        response_time_ms: Option<i64>,
        /// Why it failed.
        error: String,
    },
}

/// The status an attempt row ends in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Delivered.
    Delivered,
    /// Failed for now; a later attempt is pending.
    Retrying,
    /// Failed for good.
    Failed,
    /// The row was no longer pending (already recorded, or deleted with its webhook).
    Gone,
}

/// Up to `per_webhook` due pending attempts of every webhook (oldest first), as
/// `(attempt seq, webhook seq)`: a webhook with a large backlog cannot crowd the others out.
pub fn due(conn: &Connection, now_ms: i64, per_webhook: i64) -> Result<Vec<(i64, i64)>, Error> {
    let rows = conn
        .prepare_cached(
            "SELECT seq, webhook_seq FROM (
                 SELECT seq, webhook_seq, due_at,
                        row_number() OVER (PARTITION BY webhook_seq ORDER BY due_at, seq) AS rank
                 FROM webhook_deliveries WHERE status = 'pending' AND due_at <= ?1)
             WHERE rank <= ?2 ORDER BY due_at, seq",
        )?
        .query_map(params![now_ms, per_webhook], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// When the earliest pending attempt is due (Unix milliseconds).
pub fn next_due(conn: &Connection) -> Result<Option<i64>, Error> {
    Ok(conn
        .prepare_cached("SELECT min(due_at) FROM webhook_deliveries WHERE status = 'pending'")?
        .query_row([], |row| row.get(0))?)
}

/// Loads a pending attempt with its webhook and event; `None` when it is no longer pending.
pub fn load(conn: &Connection, seq: i64) -> Result<Option<Attempt>, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT d.seq, d.webhook_seq, d.event_seq, d.attempt, w.id, w.url, w.secret, w.status,
                    e.id, e.payload
             FROM webhook_deliveries d
             JOIN webhooks w ON w.seq = d.webhook_seq
             JOIN webhook_events e ON e.seq = d.event_seq
             WHERE d.seq = ?1 AND d.status = 'pending'",
        )?
        .query_row([seq], |row| {
            Ok(Attempt {
                seq: row.get(0)?,
                webhook_seq: row.get(1)?,
                event_seq: row.get(2)?,
                attempt: row.get(3)?,
                webhook_id: row.get(4)?,
                url: row.get(5)?,
                sealed_secret: row.get(6)?,
                webhook_status: row.get(7)?,
                event_id: row.get(8)?,
                payload: row.get(9)?,
            })
        })
        .optional()?)
}

/// Records the result of an attempt; a retry schedules attempt + 1 after
/// `schedule[attempt - 1]` seconds, or fails for good once the schedule is exhausted.
pub fn record(
    conn: &Connection,
    attempt: &Attempt,
    tried: &Tried,
    schedule: &[u64],
    now: DateTime<Utc>,
) -> Result<Settled, Error> {
    let delay = usize::try_from(attempt.attempt - 1)
        .ok()
        .and_then(|index| schedule.get(index));
    let (status, code, time, error) = match tried {
        Tried::Delivered {
            status_code,
            response_time_ms,
        } => (
            Settled::Delivered,
            Some(*status_code),
            Some(*response_time_ms),
            None,
        ),
        Tried::Retry {
            status_code,
            response_time_ms,
            error,
        } => (
            if delay.is_some() {
                Settled::Retrying
            } else {
                Settled::Failed
            },
            *status_code,
            *response_time_ms,
            Some(error.as_str()),
        ),
        Tried::Failed {
            status_code,
            response_time_ms,
            error,
        } => (
            Settled::Failed,
            *status_code,
            *response_time_ms,
            Some(error.as_str()),
        ),
    };
    let text = match status {
        Settled::Delivered => "delivered",
        Settled::Retrying => "retrying",
        _ => "failed",
    };
    let changed = conn
        .prepare_cached(
            "UPDATE webhook_deliveries
             SET status = ?2, status_code = ?3, response_time_ms = ?4, error = ?5, attempted_at = ?6
             WHERE seq = ?1 AND status = 'pending'",
        )?
        .execute(params![
            attempt.seq,
            text,
            code,
            time,
            error,
            crate::domain::time::format(now)
        ])?;
    if changed == 0 {
        return Ok(Settled::Gone);
    }
    if let (Settled::Retrying, Some(delay)) = (status, delay) {
        let delay_ms = i64::try_from(*delay).unwrap_or(i64::MAX / 2_000) * 1_000;
        conn.prepare_cached(
            "INSERT INTO webhook_deliveries (id, webhook_seq, event_seq, attempt, status, due_at)
             VALUES (?1, ?2, ?3, ?4, 'pending', ?5)",
        )?
        .execute(params![
            DeliveryLogId::generate().as_str(),
            attempt.webhook_seq,
            attempt.event_seq,
            attempt.attempt + 1,
            now.timestamp_millis().saturating_add(delay_ms)
        ])?;
    }
    Ok(status)
}

/// The text of the `webhook.test` event's message.
pub const TEST_MESSAGE: &str = "This is a test event from fluenzr";

/// Records a `webhook.test` event and its one pending attempt for the webhook `webhook_id` of
/// the workspace; returns `(attempt seq, webhook seq)`, or `None` for an unknown webhook.
pub fn create_test_event(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    webhook_id: &WebhookId,
    now: DateTime<Utc>,
) -> Result<Option<(i64, i64)>, Error> {
    let webhook_seq: Option<i64> = conn
        .prepare_cached("SELECT seq FROM webhooks WHERE workspace_id = ?1 AND id = ?2")?
        .query_row(params![workspace_id.as_str(), webhook_id.as_str()], |row| {
            row.get(0)
        })
        .optional()?;
    let Some(webhook_seq) = webhook_seq else {
        return Ok(None);
    };
    let event_id = EventId::generate();
    let data = json!({ "webhookId": webhook_id.as_str(), "message": TEST_MESSAGE });
    let millis = now.timestamp_millis();
    conn.prepare_cached(
        "INSERT INTO webhook_events (id, workspace_id, type, payload, created_at)
         VALUES (?1, ?2, 'webhook.test', ?3, ?4)",
    )?
    .execute(params![
        event_id.as_str(),
        workspace_id.as_str(),
        outbox::payload(&event_id, "webhook.test", now, &data),
        millis
    ])?;
    let event_seq = conn.last_insert_rowid();
    conn.prepare_cached(
        "INSERT INTO webhook_deliveries (id, webhook_seq, event_seq, attempt, status, due_at)
         VALUES (?1, ?2, ?3, 1, 'pending', ?4)",
    )?
    .execute(params![
        DeliveryLogId::generate().as_str(),
        webhook_seq,
        event_seq,
        millis
    ])?;
    Ok(Some((conn.last_insert_rowid(), webhook_seq)))
}

/// One row of a webhook's delivery log.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// `log_…`
    pub id: String,
    /// `evt_…`, the same for every attempt of an event.
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// `pending`, `delivered`, `retrying` or `failed`.
    pub status: String,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i64>,
    /// Milliseconds the attempt took.
    pub response_time_ms: Option<i64>,
    /// 1 for the first try.
    pub attempt: i64,
    /// Why the attempt did not succeed.
    pub error: Option<String>,
    /// When the attempt was made (or, while pending, when the event happened).
    pub timestamp: String,
}

/// The log entry of one attempt.
pub fn log_entry(conn: &Connection, seq: i64) -> Result<Option<LogEntry>, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT d.id, e.id, e.type, d.status, d.status_code, d.response_time_ms, d.attempt,
                    d.error, d.attempted_at, e.created_at
             FROM webhook_deliveries d JOIN webhook_events e ON e.seq = d.event_seq
             WHERE d.seq = ?1",
        )?
        .query_row([seq], |row| {
            let attempted_at: Option<String> = row.get(8)?;
            let created_ms: i64 = row.get(9)?;
            Ok(LogEntry {
                id: row.get(0)?,
                event_id: row.get(1)?,
                event_type: row.get(2)?,
                status: row.get(3)?,
                status_code: row.get(4)?,
                response_time_ms: row.get(5)?,
                attempt: row.get(6)?,
                error: row.get(7)?,
                timestamp: attempted_at.unwrap_or_else(|| {
                    crate::domain::time::from_unix(created_ms.div_euclid(1_000))
                }),
            })
        })
        .optional()?)
}
