//! The `sandbox_messages` table: mail of sandbox email accounts, kept instead of being sent.

use crate::domain::ids::{SandboxMessageId, WorkspaceId};
use crate::domain::listing::{Page, PageRequest};
use crate::error::Error;
use rusqlite::{params, Connection, OptionalExtension, Row};

/// A message as the sender would have handed it to SMTP.
#[derive(Debug, Clone, Default)]
pub struct CapturedMessage {
    /// The `Message-ID` header, without angle brackets.
    pub message_id: String,
    /// Envelope sender.
    pub mail_from: String,
    /// Envelope recipient(s), comma separated.
    pub rcpt_to: String,
    /// The `Subject` header, decoded.
    pub subject: String,
    /// The whole message (headers and body) exactly as it would go over SMTP.
    pub raw: Vec<u8>,
    /// The HTML part.
    pub html: String,
    /// The plain-text part.
    pub text: String,
}

/// Keeps a message of a sandbox email account; returns its id.
pub fn capture(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    email_account_seq: i64,
    message: &CapturedMessage,
    now: &str,
) -> Result<SandboxMessageId, Error> {
    let id = SandboxMessageId::generate();
    conn.prepare_cached(
        "INSERT INTO sandbox_messages
             (id, workspace_id, email_account_seq, message_id, mail_from, rcpt_to, subject, raw,
              html, text, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        id.as_str(),
        workspace_id.as_str(),
        email_account_seq,
        message.message_id,
        message.mail_from,
        message.rcpt_to,
        message.subject,
        message.raw,
        message.html,
        message.text,
        now
    ])?;
    Ok(id)
}

/// A kept message, as listed.
#[derive(Debug, Clone)]
pub struct SandboxSummary {
    /// Id (`msg_…`).
    pub id: SandboxMessageId,
    /// `Message-ID`.
    pub message_id: String,
    /// Envelope sender.
    pub mail_from: String,
    /// Envelope recipient(s).
    pub rcpt_to: String,
    /// Subject.
    pub subject: String,
    /// When it was kept.
    pub created_at: String,
}

/// A kept message with its content.
#[derive(Debug, Clone)]
pub struct SandboxMessage {
    /// What the list shows.
    pub summary: SandboxSummary,
    /// The raw message.
    pub raw: Vec<u8>,
    /// The HTML part.
    pub html: String,
    /// The text part.
    pub text: String,
}

const SUMMARY: &str = "id, message_id, mail_from, rcpt_to, subject, created_at";

fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<SandboxSummary> {
    Ok(SandboxSummary {
        id: SandboxMessageId::from_db(row.get(0)?),
        message_id: row.get(1)?,
        mail_from: row.get(2)?,
        rcpt_to: row.get(3)?,
        subject: row.get(4)?,
        created_at: row.get(5)?,
    })
}

/// One page of the workspace's kept messages, newest first.
pub fn list(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    page: PageRequest,
) -> Result<Page<SandboxSummary>, Error> {
    let total: i64 = conn
        .prepare_cached("SELECT count(*) FROM sandbox_messages WHERE workspace_id = ?1")?
        .query_row([workspace_id.as_str()], |row| row.get(0))?;
    let items = conn
        .prepare_cached(&format!(
            "SELECT {SUMMARY} FROM sandbox_messages WHERE workspace_id = ?1
             ORDER BY seq DESC LIMIT ?2 OFFSET ?3"
        ))?
        .query_map(
            params![workspace_id.as_str(), page.limit(), page.offset()],
            summary_from_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        items,
        total: total.max(0) as u64,
    })
}

/// One kept message of the workspace; another workspace's message is not found.
pub fn require(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &SandboxMessageId,
) -> Result<SandboxMessage, Error> {
    conn.prepare_cached(&format!(
        "SELECT {SUMMARY}, raw, html, text FROM sandbox_messages
         WHERE workspace_id = ?1 AND id = ?2"
    ))?
    .query_row(params![workspace_id.as_str(), id.as_str()], |row| {
        Ok(SandboxMessage {
            summary: summary_from_row(row)?,
            raw: row.get(6)?,
            html: row.get(7)?,
            text: row.get(8)?,
        })
    })
    .optional()?
    .ok_or(Error::NotFound("Sandbox message"))
}

/// Deletes every kept message of the workspace; returns how many.
pub fn clear(conn: &Connection, workspace_id: &WorkspaceId) -> Result<u64, Error> {
    let deleted = conn
        .prepare_cached("DELETE FROM sandbox_messages WHERE workspace_id = ?1")?
        .execute([workspace_id.as_str()])?;
    Ok(deleted as u64)
}
