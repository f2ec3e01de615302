//! The `sends` table (one row per campaign, contact and email node), enrolment progress and
//! campaign events: everything the sender writes. Internal to the sender: no workspace scope.

use crate::domain::campaign_stats::EventType;
use crate::error::Error;
use crate::webhooks::events::{self as webhook_events, at_unix};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};

/// Delivery attempts before a send that keeps failing temporarily is given up.
pub const MAX_ATTEMPTS: i64 = 5;

/// What is known about one (contact, email node) send.
#[derive(Debug, Clone)]
pub struct SendState {
    /// Row number.
    pub seq: i64,
    /// `pending`, `claimed`, `sent`, `failed`, `bounced` or `uncertain`.
    pub state: String,
    /// Tracking token.
    pub token: String,
    /// Message-ID (no angle brackets).
    pub message_id: String,
    /// Rendered subject.
    pub subject: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// Last error.
    pub last_error: Option<String>,
    /// First open.
    pub opened_at: Option<i64>,
    /// First click.
    pub clicked_at: Option<i64>,
    /// Reply.
    pub replied_at: Option<i64>,
}

/// The send of one email node to one contact, if any.
pub fn find(
    conn: &Connection,
    campaign_seq: i64,
    contact_seq: i64,
    node_id: &str,
) -> Result<Option<SendState>, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT seq, state, token, message_id, subject, attempts, last_error, opened_at,
                    clicked_at, replied_at
             FROM sends WHERE campaign_seq = ?1 AND contact_seq = ?2 AND node_id = ?3",
        )?
        .query_row(params![campaign_seq, contact_seq, node_id], |row| {
            Ok(SendState {
                seq: row.get(0)?,
                state: row.get(1)?,
                token: row.get(2)?,
                message_id: row.get(3)?,
                subject: row.get(4)?,
                attempts: row.get(5)?,
                last_error: row.get(6)?,
                opened_at: row.get(7)?,
                clicked_at: row.get(8)?,
                replied_at: row.get(9)?,
            })
        })
        .optional()?)
}

/// Message-IDs of the messages a contact was sent in a campaign, oldest first (threading).
pub fn thread_ids(
    conn: &Connection,
    campaign_seq: i64,
    contact_seq: i64,
) -> Result<Vec<String>, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT message_id FROM sends WHERE campaign_seq = ?1 AND contact_seq = ?2
               AND state IN ('sent', 'uncertain') ORDER BY seq",
        )?
        .query_map(params![campaign_seq, contact_seq], |row| row.get(0))?
        .collect::<Result<Vec<_>, _>>()?)
}

/// A claim about to be written.
#[derive(Debug, Clone)]
pub struct NewClaim<'a> {
    /// Workspace.
    pub workspace_id: &'a str,
    /// Campaign.
    pub campaign_seq: i64,
    /// Contact.
    pub contact_seq: i64,
    /// Email node.
    pub node_id: &'a str,
    /// Account sending it.
    pub email_account_seq: i64,
    /// Tracking token.
    pub token: &'a str,
    /// Message-ID.
    pub message_id: &'a str,
    /// Recipient address.
    pub recipient: &'a str,
    /// Rendered subject.
    pub subject: &'a str,
    /// JSON array of the message's original links.
    pub links: &'a str,
}

/// Claims a send for delivery now: inserts it, or re-claims a pending retry. Returns its row
/// number. The UNIQUE (campaign, contact, node) key makes a second first-claim impossible.
pub fn claim(conn: &Connection, claim: &NewClaim<'_>, now: i64) -> Result<i64, Error> {
    let seq: Option<i64> = conn
        .prepare_cached(
            "UPDATE sends SET state = 'claimed', claimed_at = ?4, attempts = attempts + 1,
                    next_attempt_at = NULL, subject = ?5, links = ?6
             WHERE campaign_seq = ?1 AND contact_seq = ?2 AND node_id = ?3 AND state = 'pending'
             RETURNING seq",
        )?
        .query_row(
            params![
                claim.campaign_seq,
                claim.contact_seq,
                claim.node_id,
                now,
                claim.subject,
                claim.links
            ],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(seq) = seq {
        return Ok(seq);
    }
    conn.prepare_cached(
        "INSERT INTO sends (workspace_id, campaign_seq, contact_seq, node_id, email_account_seq,
                            state, token, message_id, recipient, subject, links, attempts,
                            claimed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'claimed', ?6, ?7, ?8, ?9, ?10, 1, ?11)",
    )?
    .execute(params![
        claim.workspace_id,
        claim.campaign_seq,
        claim.contact_seq,
        claim.node_id,
        claim.email_account_seq,
        claim.token,
        claim.message_id,
        claim.recipient,
        claim.subject,
        claim.links,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Messages claimed by a campaign since `since` (Unix seconds): its hourly and daily budget.
pub fn claimed_by_campaign_since(
    conn: &Connection,
    campaign_seq: i64,
    since: i64,
) -> Result<(u64, Option<i64>), Error> {
    let (count, oldest): (i64, Option<i64>) = conn
        .prepare_cached(
            "SELECT count(*), min(claimed_at) FROM sends
             WHERE campaign_seq = ?1 AND claimed_at > ?2 AND state <> 'pending'",
        )?
        .query_row(params![campaign_seq, since], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
    Ok((count.max(0) as u64, oldest))
}

/// Messages claimed through an account since `since`, across all its campaigns.
pub fn claimed_by_account_since(
    conn: &Connection,
    email_account_seq: i64,
    since: i64,
) -> Result<u64, Error> {
    let count: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM sends
             WHERE email_account_seq = ?1 AND claimed_at >= ?2 AND state <> 'pending'",
        )?
        .query_row(params![email_account_seq, since], |row| row.get(0))?;
    Ok(count.max(0) as u64)
}

/// Records a campaign event about one contact.
fn event(
    conn: &Connection,
    send: &SendRef,
    kind: EventType,
    now: i64,
    metadata: &serde_json::Value,
) -> Result<(), Error> {
    crate::db::campaign_events::insert(
        conn,
        send.campaign_seq,
        Some(send.contact_seq),
        Some(&send.node_id),
        kind,
        now,
        metadata,
    )?;
    Ok(())
}

/// Where an enrolled contact stands after a step.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// New status.
    pub status: &'a str,
    /// Node the contact stands at.
    pub node_id: Option<&'a str>,
    /// When to look again.
    pub due_at: Option<i64>,
    /// Why it stopped, if it did.
    pub reason: Option<&'a str>,
}

/// Writes an enrolled contact's progress.
pub fn set_progress(
    conn: &Connection,
    campaign_seq: i64,
    contact_seq: i64,
    progress: Progress<'_>,
    now: &str,
) -> Result<(), Error> {
    conn.prepare_cached(
        "UPDATE campaign_contacts SET status = ?3, node_id = ?4, due_at = ?5,
                reason = coalesce(?6, reason), updated_at = ?7
         WHERE campaign_seq = ?1 AND contact_seq = ?2",
    )?
    .execute(params![
        campaign_seq,
        contact_seq,
        progress.status,
        progress.node_id,
        progress.due_at,
        progress.reason,
        now
    ])?;
    Ok(())
}

/// Remembers the last email node a contact received (conditions and threading use it).
pub fn set_last_email(
    conn: &Connection,
    campaign_seq: i64,
    contact_seq: i64,
    node_id: &str,
) -> Result<(), Error> {
    conn.prepare_cached(
        "UPDATE campaign_contacts SET last_email_node = ?3
         WHERE campaign_seq = ?1 AND contact_seq = ?2",
    )?
    .execute(params![campaign_seq, contact_seq, node_id])?;
    Ok(())
}

/// Moves every due contact of a campaign to `due_at` (window closed or budget spent).
pub fn postpone_due(
    conn: &Connection,
    campaign_seq: i64,
    now: i64,
    due_at: i64,
) -> Result<usize, Error> {
    Ok(conn
        .prepare_cached(
            "UPDATE campaign_contacts SET due_at = ?3
             WHERE campaign_seq = ?1 AND due_at IS NOT NULL AND due_at <= ?2",
        )?
        .execute(params![campaign_seq, now, due_at])?)
}

/// Outcome of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The server accepted the message.
    Sent,
    /// The server refused it for good (5xx): a hard bounce.
    Bounced(String),
    /// A temporary failure before the server could have accepted it: retry later.
    Retry(String),
    /// The connection died after the message was handed over: it may have been delivered.
    Uncertain(String),
}

/// The send a delivery result is about.
#[derive(Debug, Clone)]
pub struct SendRef {
    /// Send row.
    pub seq: i64,
    /// Campaign.
    pub campaign_seq: i64,
    /// Contact.
    pub contact_seq: i64,
    /// Email node.
    pub node_id: String,
    /// Subject as sent.
    pub subject: String,
}

/// Drops a claim that was never handed to SMTP (its campaign was paused in between): a first
/// claim disappears, a retry goes back to `pending`, and the contact is due again at once.
pub fn release_claim(conn: &Connection, send: &SendRef, now: i64) -> Result<(), Error> {
    conn.prepare_cached(
        "DELETE FROM sends WHERE seq = ?1 AND state = 'claimed' AND attempts <= 1",
    )?
    .execute([send.seq])?;
    conn.prepare_cached(
        "UPDATE sends SET state = 'pending', attempts = attempts - 1, next_attempt_at = ?2
         WHERE seq = ?1 AND state = 'claimed'",
    )?
    .execute(params![send.seq, now])?;
    conn.prepare_cached(
        "UPDATE campaign_contacts SET due_at = ?3
         WHERE campaign_seq = ?1 AND contact_seq = ?2 AND status IN ('pending', 'in_progress')",
    )?
    .execute(params![send.campaign_seq, send.contact_seq, now])?;
    Ok(())
}

/// Whether a claimed send has used its last attempt (a temporary failure now gives it up).
pub fn is_last_attempt(conn: &Connection, seq: i64) -> Result<bool, Error> {
    let attempts: Option<i64> = conn
        .prepare_cached("SELECT attempts FROM sends WHERE seq = ?1 AND state = 'claimed'")?
        .query_row([seq], |row| row.get(0))
        .optional()?;
    Ok(attempts.is_some_and(|a| a >= MAX_ATTEMPTS))
}

fn retry_delay(attempts: i64) -> i64 {
    match attempts {
        ..=1 => 60,
        2 => 300,
        3 => 900,
        _ => 3600,
    }
}

/// Records a delivery result and moves the contact on: after `Sent` or `Uncertain` it is due
/// again at once (the walker continues with the next node); a bounce suppresses the contact in
/// every campaign; a temporary failure schedules a retry or, after [`MAX_ATTEMPTS`], fails.
pub fn record(
    conn: &Connection,
    send: &SendRef,
    delivery: &Delivery,
    now: i64,
    now_text: &str,
) -> Result<(), Error> {
    let still_claimed: Option<i64> = conn
        .prepare_cached("SELECT attempts FROM sends WHERE seq = ?1 AND state = 'claimed'")?
        .query_row([send.seq], |row| row.get(0))
        .optional()?;
    let Some(attempts) = still_claimed else {
        return Ok(());
    };
    let node = Some(send.node_id.as_str());
    match delivery {
        Delivery::Sent => {
            conn.prepare_cached(
                "UPDATE sends SET state = 'sent', sent_at = ?2, last_error = NULL WHERE seq = ?1",
            )?
            .execute(params![send.seq, now])?;
            set_last_email(conn, send.campaign_seq, send.contact_seq, &send.node_id)?;
            continue_now(conn, send, now, now_text)?;
            event(
                conn,
                send,
                EventType::Sent,
                now,
                &serde_json::json!({ "subject": send.subject }),
            )?;
            email_sent(conn, send, now)?;
            webhook_events::email(conn, send.seq, "email.delivered", Map::new(), at_unix(now))?;
        }
        Delivery::Uncertain(reason) => {
            conn.prepare_cached(
                "UPDATE sends SET state = 'uncertain', last_error = ?2 WHERE seq = ?1",
            )?
            .execute(params![send.seq, reason])?;
            set_last_email(conn, send.campaign_seq, send.contact_seq, &send.node_id)?;
            continue_now(conn, send, now, now_text)?;
            event(
                conn,
                send,
                EventType::Uncertain,
                now,
                &serde_json::json!({ "reason": reason }),
            )?;
        }
        Delivery::Bounced(reason) => {
            conn.prepare_cached(
                "UPDATE sends SET state = 'bounced', bounce_type = 'hard', sent_at = ?2,
                        last_error = ?3 WHERE seq = ?1",
            )?
            .execute(params![send.seq, now, reason])?;
            suppress_contact(conn, send.contact_seq, "bounced", reason, now_text)?;
            event(
                conn,
                send,
                EventType::Bounced,
                now,
                &serde_json::json!({ "bounceType": "hard", "reason": reason }),
            )?;
            // Refused at RCPT or DATA: it was sent (counted in `sent`), and bounced.
            email_sent(conn, send, now)?;
            let mut bounce = Map::new();
            bounce.insert("bounceType".to_owned(), Value::from("hard"));
            bounce.insert("bounceReason".to_owned(), Value::from(reason.as_str()));
            webhook_events::email(conn, send.seq, "email.bounced", bounce, at_unix(now))?;
        }
        Delivery::Retry(reason) if attempts < MAX_ATTEMPTS => {
            let next = now + retry_delay(attempts);
            conn.prepare_cached(
                "UPDATE sends SET state = 'pending', next_attempt_at = ?2, last_error = ?3
                 WHERE seq = ?1",
            )?
            .execute(params![send.seq, next, reason])?;
            conn.prepare_cached(
                "UPDATE campaign_contacts SET due_at = ?3, updated_at = ?4
                 WHERE campaign_seq = ?1 AND contact_seq = ?2",
            )?
            .execute(params![send.campaign_seq, send.contact_seq, next, now_text])?;
        }
        Delivery::Retry(reason) => {
            conn.prepare_cached(
                "UPDATE sends SET state = 'failed', last_error = ?2 WHERE seq = ?1",
            )?
            .execute(params![send.seq, reason])?;
            let why = format!("Email {} could not be delivered: {reason}", send.node_id);
            set_progress(
                conn,
                send.campaign_seq,
                send.contact_seq,
                Progress {
                    status: "failed",
                    node_id: node,
                    due_at: None,
                    reason: Some(&why),
                },
                now_text,
            )?;
            event(
                conn,
                send,
                EventType::Failed,
                now,
                &serde_json::json!({ "reason": reason }),
            )?;
        }
    }
    Ok(())
}

/// The `email.sent` webhook event of a send handed to the SMTP server.
fn email_sent(conn: &Connection, send: &SendRef, now: i64) -> Result<(), Error> {
    let mut subject = Map::new();
    subject.insert(
        "emailSubject".to_owned(),
        Value::from(send.subject.as_str()),
    );
    webhook_events::email(conn, send.seq, "email.sent", subject, at_unix(now))
}

fn continue_now(conn: &Connection, send: &SendRef, now: i64, now_text: &str) -> Result<(), Error> {
    conn.prepare_cached(
        "UPDATE campaign_contacts SET due_at = ?3, updated_at = ?4
         WHERE campaign_seq = ?1 AND contact_seq = ?2 AND status IN ('pending', 'in_progress')",
    )?
    .execute(params![send.campaign_seq, send.contact_seq, now, now_text])?;
    Ok(())
}

/// Marks a contact bounced or unsubscribed and stops it in every campaign.
pub fn suppress_contact(
    conn: &Connection,
    contact_seq: i64,
    status: &str,
    reason: &str,
    now_text: &str,
) -> Result<(), Error> {
    conn.prepare_cached(
        "UPDATE contacts SET status = ?2, updated_at = ?3
         WHERE seq = ?1 AND status NOT IN ('bounced', 'blocked')",
    )?
    .execute(params![contact_seq, status, now_text])?;
    conn.prepare_cached(
        "UPDATE campaign_contacts SET status = ?2, due_at = NULL, reason = ?3, updated_at = ?4
         WHERE contact_seq = ?1 AND status IN ('pending', 'in_progress')",
    )?
    .execute(params![contact_seq, status, reason, now_text])?;
    Ok(())
}

/// At start, before any new claim: every send still `claimed` belonged to a process that died
/// during the SMTP exchange. Its outcome is unknown, so it becomes `uncertain` (counted, never
/// resent) and the contact moves on. Returns how many there were.
pub fn settle_interrupted_claims(
    conn: &Connection,
    now: i64,
    now_text: &str,
) -> Result<u64, Error> {
    let claimed = conn
        .prepare_cached(
            "SELECT seq, campaign_seq, contact_seq, node_id, subject FROM sends
             WHERE state = 'claimed'",
        )?
        .query_map([], |row| {
            Ok(SendRef {
                seq: row.get(0)?,
                campaign_seq: row.get(1)?,
                contact_seq: row.get(2)?,
                node_id: row.get(3)?,
                subject: row.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for send in &claimed {
        record(
            conn,
            send,
            &Delivery::Uncertain("the server stopped during delivery".to_owned()),
            now,
            now_text,
        )?;
    }
    Ok(claimed.len() as u64)
}
