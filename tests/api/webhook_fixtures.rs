//! Webhooks and events arranged straight in the database (one place, so they can later be
//! swapped for the webhooks API), and the delivery log read back.

use crate::helpers::TestApp;
use fluenzr::config::Secret;
use fluenzr::domain::ids::{WebhookId, WorkspaceId};
use fluenzr::secret::SecretBox;
use fluenzr::webhooks::outbox;
use rusqlite::{params, Connection};
use serde_json::Value;

/// The secret key the test apps and test binaries run with.
pub const SERVER_SECRET_KEY: &str = "test-secret";

/// A webhook created for a test.
#[derive(Debug, Clone)]
pub struct TestWebhook {
    pub id: String,
    pub seq: i64,
    pub secret: String,
}

/// One row of `webhook_deliveries`, with its event id.
#[derive(Debug, Clone)]
pub struct LogRow {
    pub id: String,
    pub event_id: String,
    pub attempt: i64,
    pub status: String,
    pub due_at: i64,
    pub status_code: Option<i64>,
    pub response_time_ms: Option<i64>,
    pub error: Option<String>,
    pub attempted_at: Option<String>,
}

/// The first workspace of a database.
pub fn first_workspace(conn: &Connection) -> String {
    conn.query_row(
        "SELECT id FROM workspaces ORDER BY rowid LIMIT 1",
        [],
        |row| row.get(0),
    )
    .unwrap()
}

/// Inserts a webhook (secret sealed like the server does) on a plain connection.
pub fn insert_webhook(
    conn: &Connection,
    workspace_id: &str,
    url: &str,
    events: &[&str],
    secret: &str,
    status: &str,
) -> TestWebhook {
    let id = WebhookId::generate().to_string();
    let sealed = SecretBox::new(&Secret::new(SERVER_SECRET_KEY.to_owned()))
        .seal(secret, &format!("{id}:webhook"));
    let now = "2025-01-15T10:30:00Z";
    conn.execute(
        "INSERT INTO webhooks (id, workspace_id, url, events, status, secret, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![
            id,
            workspace_id,
            url,
            serde_json::to_string(events).unwrap(),
            status,
            sealed,
            now
        ],
    )
    .unwrap();
    TestWebhook {
        id,
        seq: conn.last_insert_rowid(),
        secret: secret.to_owned(),
    }
}

/// Emits an event on a plain connection; returns its id.
pub fn emit_on(conn: &Connection, workspace_id: &str, event_type: &str, data: &Value) -> String {
    let workspace = WorkspaceId::parse(workspace_id).unwrap();
    outbox::emit(conn, &workspace, event_type, data, chrono::Utc::now())
        .unwrap()
        .expect("a subscriber")
        .to_string()
}

/// A fresh `whsec_` secret.
pub fn new_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 24] = rand::random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Creates an active webhook of the app's first workspace subscribed to everything.
pub async fn create_webhook(app: &TestApp, url: &str) -> TestWebhook {
    create_webhook_with(app, url, &["*"], "active").await
}

/// Creates a webhook with the given events and status.
pub async fn create_webhook_with(
    app: &TestApp,
    url: &str,
    events: &'static [&'static str],
    status: &'static str,
) -> TestWebhook {
    let url = url.to_owned();
    let secret = new_secret();
    app.database
        .write(move |conn| {
            let workspace = first_workspace(conn);
            Ok(insert_webhook(
                conn, &workspace, &url, events, &secret, status,
            ))
        })
        .await
        .unwrap()
}

/// Emits an event in the app's first workspace (inside a writer transaction, like the API).
pub async fn emit(app: &TestApp, event_type: &'static str, data: Value) -> String {
    app.database
        .write(move |conn| {
            let workspace = first_workspace(conn);
            Ok(emit_on(conn, &workspace, event_type, &data))
        })
        .await
        .unwrap()
}

/// The stored payload of an event.
pub async fn payload(app: &TestApp, event_id: &str) -> String {
    let event_id = event_id.to_owned();
    app.database
        .read(move |conn| {
            Ok(conn.query_row(
                "SELECT payload FROM webhook_events WHERE id = ?1",
                [event_id],
                |row| row.get(0),
            )?)
        })
        .await
        .unwrap()
}

/// Every attempt of a webhook, oldest first.
pub fn log_rows_on(conn: &Connection, webhook_seq: i64) -> Vec<LogRow> {
    let mut statement = conn
        .prepare(
            "SELECT d.id, e.id, d.attempt, d.status, d.due_at, d.status_code, d.response_time_ms,
                    d.error, d.attempted_at
             FROM webhook_deliveries d JOIN webhook_events e ON e.seq = d.event_seq
             WHERE d.webhook_seq = ?1 ORDER BY d.seq",
        )
        .unwrap();
    statement
        .query_map([webhook_seq], |row| {
            Ok(LogRow {
                id: row.get(0)?,
                event_id: row.get(1)?,
                attempt: row.get(2)?,
                status: row.get(3)?,
                due_at: row.get(4)?,
                status_code: row.get(5)?,
                response_time_ms: row.get(6)?,
                error: row.get(7)?,
                attempted_at: row.get(8)?,
            })
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Every attempt of a webhook of the app.
pub async fn log_rows(app: &TestApp, webhook: &TestWebhook) -> Vec<LogRow> {
    let seq = webhook.seq;
    app.database
        .read(move |conn| Ok(log_rows_on(conn, seq)))
        .await
        .unwrap()
}
