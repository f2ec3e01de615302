//! Rows the campaigns API and the sender will create, written straight into SQLite until those
//! land: campaigns, enrolments, sends, campaign events and email accounts. Replace these with
//! API calls and sender runs once they exist.

use crate::helpers::TestApp;
use fluenzr::domain::ids::{CampaignId, EmailAccountId};
use fluenzr::domain::tracking;
use rusqlite::OptionalExtension;
use serde_json::{json, Value};

/// A campaign row.
#[derive(Debug, Clone)]
pub struct Campaign {
    /// Row number.
    pub seq: i64,
    /// Public id (`cmp_…`).
    pub id: String,
}

/// The workspace of the app's first key.
pub async fn first_workspace(app: &TestApp) -> String {
    app.database
        .read(|conn| {
            Ok(conn.query_row(
                "SELECT workspace_id FROM api_keys ORDER BY rowid LIMIT 1",
                [],
                |row| row.get(0),
            )?)
        })
        .await
        .expect("first workspace")
}

/// Inserts a draft campaign with settings `{}` and the given workflow.
pub async fn insert_campaign(
    app: &TestApp,
    workspace_id: &str,
    workflow: Option<Value>,
) -> Campaign {
    let id = CampaignId::generate().to_string();
    let workspace_id = workspace_id.to_owned();
    let public = id.clone();
    let seq = app
        .database
        .write(move |conn| {
            conn.execute(
                "INSERT INTO campaigns (id, workspace_id, name, settings, workflow, created_at, updated_at)
                 VALUES (?1, ?2, 'Test campaign', '{}', ?3, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
                rusqlite::params![public, workspace_id, workflow.map(|w| w.to_string())],
            )?;
            Ok(conn.last_insert_rowid())
        })
        .await
        .expect("campaign inserted");
    Campaign { seq, id }
}

/// The row number of a contact.
pub async fn contact_seq(app: &TestApp, contact_id: &str) -> i64 {
    let contact_id = contact_id.to_owned();
    app.database
        .read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT seq FROM contacts WHERE id = ?1",
                    [contact_id],
                    |row| row.get(0),
                )
                .optional()?
                .expect("contact exists"))
        })
        .await
        .expect("contact seq")
}

/// Enrols a contact in a campaign with the given status (`due_at` set for pending ones).
pub async fn enrol(app: &TestApp, campaign_seq: i64, contact_seq: i64, status: &'static str) {
    app.database
        .write(move |conn| {
            conn.execute(
                "INSERT INTO campaign_contacts (campaign_seq, contact_seq, status, due_at, last_email_node,
                                                enrolled_at, updated_at)
                 VALUES (?1, ?2, ?3, CASE WHEN ?3 IN ('pending', 'in_progress') THEN 1700000000 END,
                         'node_1', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
                rusqlite::params![campaign_seq, contact_seq, status],
            )?;
            Ok(())
        })
        .await
        .expect("enrolment inserted");
}

/// A sends row to insert; build with [`SendRow::new`] and adjust fields.
#[derive(Debug, Clone)]
pub struct SendRow {
    /// Campaign row.
    pub campaign_seq: i64,
    /// Contact row.
    pub contact_seq: i64,
    /// Email node.
    pub node_id: String,
    /// `sent`, `bounced`, …
    pub state: &'static str,
    /// Tracking token.
    pub token: String,
    /// Original links.
    pub links: Vec<String>,
    /// First open (Unix seconds).
    pub opened_at: Option<i64>,
    /// First click.
    pub clicked_at: Option<i64>,
    /// Reply.
    pub replied_at: Option<i64>,
}

impl SendRow {
    /// A `sent` message of `node_1` with a fresh token and no links.
    pub fn new(campaign_seq: i64, contact_seq: i64) -> Self {
        Self {
            campaign_seq,
            contact_seq,
            node_id: "node_1".to_owned(),
            state: "sent",
            token: tracking::generate_token(),
            links: Vec::new(),
            opened_at: None,
            clicked_at: None,
            replied_at: None,
        }
    }

    /// Another node.
    pub fn node(mut self, node_id: &str) -> Self {
        self.node_id = node_id.to_owned();
        self
    }

    /// Another state.
    pub fn state(mut self, state: &'static str) -> Self {
        self.state = state;
        self
    }

    /// Opened / clicked / replied times.
    pub fn activity(
        mut self,
        opened: Option<i64>,
        clicked: Option<i64>,
        replied: Option<i64>,
    ) -> Self {
        self.opened_at = opened;
        self.clicked_at = clicked;
        self.replied_at = replied;
        self
    }
}

/// Inserts a sends row; returns its row number.
pub async fn insert_send(app: &TestApp, row: SendRow) -> i64 {
    app.database
        .write(move |conn| {
            conn.execute(
                "INSERT INTO sends (workspace_id, campaign_seq, contact_seq, node_id, state, token,
                                    message_id, recipient, subject, links, attempts, sent_at,
                                    opened_at, clicked_at, replied_at)
                 SELECT c.workspace_id, ?1, ?2, ?3, ?4, ?5, ?5 || '@test', c.email, 'Hello', ?6, 1,
                        1736899200, ?7, ?8, ?9
                 FROM contacts c WHERE c.seq = ?2",
                rusqlite::params![
                    row.campaign_seq,
                    row.contact_seq,
                    row.node_id,
                    row.state,
                    row.token,
                    serde_json::to_string(&row.links).expect("links"),
                    row.opened_at,
                    row.clicked_at,
                    row.replied_at
                ],
            )?;
            Ok(conn.last_insert_rowid())
        })
        .await
        .expect("send inserted")
}

/// Inserts a campaign event at a Unix time.
pub async fn insert_event(
    app: &TestApp,
    campaign_seq: i64,
    contact_seq: Option<i64>,
    kind: &'static str,
    occurred_at: i64,
    metadata: Value,
) {
    app.database
        .write(move |conn| {
            conn.execute(
                "INSERT INTO campaign_events (id, campaign_seq, contact_seq, node_id, type, occurred_at, metadata)
                 VALUES (?1, ?2, ?3, 'node_1', ?4, ?5, ?6)",
                rusqlite::params![
                    fluenzr::domain::ids::EventId::generate().to_string(),
                    campaign_seq,
                    contact_seq,
                    kind,
                    occurred_at,
                    metadata.to_string()
                ],
            )?;
            Ok(())
        })
        .await
        .expect("event inserted");
}

/// Inserts an email account of the workspace; returns its row number.
pub async fn insert_email_account(app: &TestApp, workspace_id: &str) -> i64 {
    let workspace_id = workspace_id.to_owned();
    app.database
        .write(move |conn| {
            conn.execute(
                "INSERT INTO email_accounts (id, workspace_id, email, smtp_host, smtp_port, smtp_encryption,
                                             daily_limit, created_at, updated_at)
                 VALUES (?1, ?2, 'founder@example.com', 'sandbox', 25, 'none', 100,
                         '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
                rusqlite::params![EmailAccountId::generate().to_string(), workspace_id],
            )?;
            Ok(conn.last_insert_rowid())
        })
        .await
        .expect("email account inserted")
}

/// A message "sent" to a new contact of the app's workspace: contact, campaign, enrolment and
/// send, ready for the tracking endpoints.
#[derive(Debug, Clone)]
pub struct SentMessage {
    /// The campaign.
    pub campaign: Campaign,
    /// Contact id (`con_…`).
    pub contact_id: String,
    /// Contact row.
    pub contact_seq: i64,
    /// The send's token.
    pub token: String,
}

/// Creates a contact from `contact` (API), a campaign, an `in_progress` enrolment and a `sent`
/// message of `node_1` with these links.
pub async fn sent_message(app: &TestApp, contact: Value, links: &[&str]) -> SentMessage {
    let workspace = first_workspace(app).await;
    let contact = app.create_contact(contact).await;
    let contact_id = contact["id"].as_str().expect("id").to_owned();
    let contact_seq = contact_seq(app, &contact_id).await;
    let campaign = insert_campaign(app, &workspace, Some(json!({"nodes": [], "edges": []}))).await;
    enrol(app, campaign.seq, contact_seq, "in_progress").await;
    let mut row = SendRow::new(campaign.seq, contact_seq);
    row.links = links.iter().map(|l| (*l).to_owned()).collect();
    let token = row.token.clone();
    insert_send(app, row).await;
    SentMessage {
        campaign,
        contact_id,
        contact_seq,
        token,
    }
}
