//! The inbox tables (`inbox_state`, `inbox_messages`) and what an incoming message does to the
//! send it answers. Internal to the inbox poller: every lookup is scoped to the account's own
//! workspace and sends.

use crate::db::sends::suppress_contact;
use crate::domain::campaign::settings::CampaignSettings;
use crate::domain::campaign_stats::EventType;
use crate::domain::ids::WorkspaceId;
use crate::error::Error;
use crate::inbox::classify::{base_subject, Classified, Kind};
use crate::webhooks::outbox;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::json;

/// Characters of a subject kept in `inbox_messages`.
const MAX_SUBJECT_CHARS: usize = 500;

/// Where the poller stands in an account's mailbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InboxState {
    /// The mailbox's UIDVALIDITY when it was last read; `None` before the first poll.
    pub uid_validity: Option<u32>,
    /// The highest UID already handled under that UIDVALIDITY.
    pub last_uid: u32,
}

fn to_u32(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

/// The account's position (the default before its first poll).
pub fn state(conn: &Connection, account_seq: i64) -> Result<InboxState, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT uid_validity, last_uid FROM inbox_state WHERE email_account_seq = ?1",
        )?
        .query_row([account_seq], |row| {
            Ok(InboxState {
                uid_validity: row.get::<_, Option<i64>>(0)?.map(to_u32),
                last_uid: to_u32(row.get(1)?),
            })
        })
        .optional()?
        .unwrap_or_default())
}

/// Starts the account over at UID 0 under a new UIDVALIDITY (the mailbox was rebuilt: its old
/// UIDs mean nothing). Messages already recorded are recognised by their Message-ID.
pub fn reset_state(conn: &Connection, account_seq: i64, uid_validity: u32) -> Result<(), Error> {
    conn.prepare_cached(
        "INSERT INTO inbox_state (email_account_seq, uid_validity, last_uid) VALUES (?1, ?2, 0)
         ON CONFLICT (email_account_seq) DO UPDATE SET uid_validity = ?2, last_uid = 0",
    )?
    .execute(params![account_seq, uid_validity])?;
    Ok(())
}

/// Moves the account's position forward to `last_uid` (never back) and stamps the poll time.
pub fn advance(
    conn: &Connection,
    account_seq: i64,
    uid_validity: u32,
    last_uid: u32,
    now_text: Option<&str>,
) -> Result<(), Error> {
    conn.prepare_cached(
        "INSERT INTO inbox_state (email_account_seq, uid_validity, last_uid, last_polled_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (email_account_seq) DO UPDATE SET
             last_uid = CASE WHEN uid_validity = ?2 THEN max(last_uid, ?3) ELSE ?3 END,
             uid_validity = ?2,
             last_polled_at = coalesce(?4, last_polled_at)",
    )?
    .execute(params![account_seq, uid_validity, last_uid, now_text])?;
    Ok(())
}

/// The mailbox a message was read from.
#[derive(Debug, Clone)]
pub struct Mailbox {
    /// The email account's row.
    pub account_seq: i64,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// The mailbox's UIDVALIDITY.
    pub uid_validity: u32,
}

/// What recording one message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Already recorded (same UID, or same Message-ID under an earlier UID): nothing changed.
    Duplicate,
    /// A human reply to one of the account's sends; `counted` when it was the first to it.
    Reply {
        /// Whether it marked the send replied (a later reply to the same send does not).
        counted: bool,
    },
    /// An automatic reply: recorded, never counted.
    AutoReply,
    /// A delivery report about one of the account's sends; `counted` when it changed the send.
    Bounce {
        /// Permanent.
        hard: bool,
        /// Whether it changed the send (a repeated report does not).
        counted: bool,
    },
    /// Nothing of ours: recorded only.
    Unmatched,
}

/// The send a message is about, with what its events need.
#[derive(Debug, Clone)]
struct MatchedSend {
    seq: i64,
    campaign_seq: i64,
    campaign_id: String,
    campaign_name: String,
    settings: String,
    contact_seq: i64,
    contact_id: String,
    contact_email: String,
    node_id: String,
    state: String,
    subject: String,
    replied_at: Option<i64>,
    bounce_type: Option<String>,
}

const MATCHED_COLUMNS: &str = "s.seq, s.campaign_seq, cp.id, cp.name, cp.settings, s.contact_seq, \
    c.id, c.email, s.node_id, s.state, s.subject, s.replied_at, s.bounce_type";

fn matched_from_row(row: &Row<'_>) -> rusqlite::Result<MatchedSend> {
    Ok(MatchedSend {
        seq: row.get(0)?,
        campaign_seq: row.get(1)?,
        campaign_id: row.get(2)?,
        campaign_name: row.get(3)?,
        settings: row.get(4)?,
        contact_seq: row.get(5)?,
        contact_id: row.get(6)?,
        contact_email: row.get(7)?,
        node_id: row.get(8)?,
        state: row.get(9)?,
        subject: row.get(10)?,
        replied_at: row.get(11)?,
        bounce_type: row.get(12)?,
    })
}

/// The workspace's send with this Message-ID that went out (or bounced).
fn send_by_message_id(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    message_id: &str,
) -> Result<Option<MatchedSend>, Error> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {MATCHED_COLUMNS}
             FROM sends s JOIN campaigns cp ON cp.seq = s.campaign_seq
                          JOIN contacts c ON c.seq = s.contact_seq
             WHERE s.message_id = ?1 AND s.workspace_id = ?2
               AND s.state IN ('sent', 'uncertain', 'bounced')
             ORDER BY s.seq DESC LIMIT 1"
        ))?
        .query_row(params![message_id, workspace_id.as_str()], matched_from_row)
        .optional()?)
}

/// The account's sends to the workspace contact with this address, newest first.
fn sends_to_address(
    conn: &Connection,
    mailbox: &Mailbox,
    address: &str,
) -> Result<Vec<MatchedSend>, Error> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {MATCHED_COLUMNS}
             FROM contacts c JOIN sends s ON s.contact_seq = c.seq
                             JOIN campaigns cp ON cp.seq = s.campaign_seq
             WHERE c.workspace_id = ?1 AND c.email_lower = ?2 AND s.email_account_seq = ?3
               AND s.state IN ('sent', 'uncertain', 'bounced')
             ORDER BY s.seq DESC LIMIT 200"
        ))?
        .query_map(
            params![
                mailbox.workspace_id.as_str(),
                address.to_lowercase(),
                mailbox.account_seq
            ],
            matched_from_row,
        )?
        .collect::<Result<Vec<_>, _>>()?)
}

/// The send a message answers: by `In-Reply-To`/`References`, else by its sender being a contact
/// who was sent a message of the same subject (reply prefixes aside) from this account.
fn match_reply(
    conn: &Connection,
    mailbox: &Mailbox,
    message: &Classified,
) -> Result<Option<MatchedSend>, Error> {
    for id in message.referenced_ids() {
        if let Some(send) = send_by_message_id(conn, &mailbox.workspace_id, &id)? {
            return Ok(Some(send));
        }
    }
    let (Some(from), Some(subject)) = (&message.from, &message.subject) else {
        return Ok(None);
    };
    let subject = base_subject(subject);
    Ok(sends_to_address(conn, mailbox, from)?
        .into_iter()
        .find(|send| send.state != "bounced" && base_subject(&send.subject) == subject))
}

/// The send a delivery report is about: the returned Message-ID, else the latest send of this
/// account to the failed recipient.
fn match_bounce(
    conn: &Connection,
    mailbox: &Mailbox,
    original_message_id: Option<&str>,
    recipient: Option<&str>,
) -> Result<Option<MatchedSend>, Error> {
    if let Some(id) = original_message_id {
        if let Some(send) = send_by_message_id(conn, &mailbox.workspace_id, id)? {
            return Ok(Some(send));
        }
    }
    let Some(recipient) = recipient else {
        return Ok(None);
    };
    Ok(sends_to_address(conn, mailbox, recipient)?
        .into_iter()
        .next())
}

/// The payload fields every email event carries.
fn email_event_data(send: &MatchedSend) -> serde_json::Map<String, serde_json::Value> {
    let mut data = serde_json::Map::new();
    data.insert("campaignId".into(), json!(send.campaign_id));
    data.insert("campaignName".into(), json!(send.campaign_name));
    data.insert("contactId".into(), json!(send.contact_id));
    data.insert("contactEmail".into(), json!(send.contact_email));
    data.insert("emailNodeId".into(), json!(send.node_id));
    data
}

/// Records a human reply: the send's first reply time, the enrolment stopped as `replied` when
/// the campaign stops on reply, the contact `replied`, a `replied` event and `email.replied`.
/// A later reply to the same send changes nothing.
fn record_reply(
    conn: &Connection,
    mailbox: &Mailbox,
    send: &MatchedSend,
    message: &Classified,
    preview: &str,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    if send.replied_at.is_some() {
        return Ok(false);
    }
    let now_text = crate::domain::time::format(now);
    conn.prepare_cached("UPDATE sends SET replied_at = ?2 WHERE seq = ?1 AND replied_at IS NULL")?
        .execute(params![send.seq, now.timestamp()])?;
    // Unreadable stored settings fall back to the default, which stops on reply.
    let stop_on_reply = CampaignSettings::from_json(&send.settings)
        .map(|settings| settings.stop_on_reply)
        .unwrap_or(true);
    if stop_on_reply {
        conn.prepare_cached(
            "UPDATE campaign_contacts SET status = 'replied', due_at = NULL, reason = ?3,
                    updated_at = ?4
             WHERE campaign_seq = ?1 AND contact_seq = ?2
               AND status IN ('pending', 'in_progress', 'completed')",
        )?
        .execute(params![
            send.campaign_seq,
            send.contact_seq,
            format!("Replied to email {}", send.node_id),
            now_text
        ])?;
    }
    conn.prepare_cached(
        "UPDATE contacts SET status = 'replied', updated_at = ?2 WHERE seq = ?1 AND status = 'active'",
    )?
    .execute(params![send.contact_seq, now_text])?;
    let subject = message.subject.clone().unwrap_or_default();
    crate::db::campaign_events::insert(
        conn,
        send.campaign_seq,
        Some(send.contact_seq),
        Some(&send.node_id),
        EventType::Replied,
        now.timestamp(),
        &json!({ "subject": subject, "preview": preview }),
    )?;
    let mut data = email_event_data(send);
    data.insert("replySubject".into(), json!(subject));
    data.insert("replyPreview".into(), json!(preview));
    outbox::emit(
        conn,
        &mailbox.workspace_id,
        "email.replied",
        &serde_json::Value::Object(data),
        now,
    )?;
    Ok(true)
}

/// Records a delivery report. Hard: the send becomes `bounced` (a `sent` message is no longer
/// delivered), the contact is suppressed everywhere and its enrolment here ends `bounced`. Soft:
/// the send is marked `soft`, nothing is suppressed. Each emits `email.bounced` once per send
/// and kind; a repeated report changes nothing.
fn record_bounce(
    conn: &Connection,
    mailbox: &Mailbox,
    send: &MatchedSend,
    hard: bool,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let now_text = crate::domain::time::format(now);
    let already_hard = send.state == "bounced";
    if already_hard || (!hard && send.bounce_type.is_some()) {
        return Ok(false);
    }
    let bounce_type = if hard { "hard" } else { "soft" };
    if hard {
        conn.prepare_cached(
            "UPDATE sends SET state = 'bounced', bounce_type = 'hard', last_error = ?2,
                    sent_at = coalesce(sent_at, ?3)
             WHERE seq = ?1",
        )?
        .execute(params![send.seq, reason, now.timestamp()])?;
        suppress_contact(conn, send.contact_seq, "bounced", reason, &now_text)?;
        conn.prepare_cached(
            "UPDATE campaign_contacts SET status = 'bounced', due_at = NULL, reason = ?3,
                    updated_at = ?4
             WHERE campaign_seq = ?1 AND contact_seq = ?2 AND status = 'completed'",
        )?
        .execute(params![
            send.campaign_seq,
            send.contact_seq,
            reason,
            now_text
        ])?;
    } else {
        conn.prepare_cached(
            "UPDATE sends SET bounce_type = 'soft' WHERE seq = ?1 AND bounce_type IS NULL",
        )?
        .execute([send.seq])?;
    }
    crate::db::campaign_events::insert(
        conn,
        send.campaign_seq,
        Some(send.contact_seq),
        Some(&send.node_id),
        EventType::Bounced,
        now.timestamp(),
        &json!({ "bounceType": bounce_type, "reason": reason }),
    )?;
    let mut data = email_event_data(send);
    data.insert("bounceType".into(), json!(bounce_type));
    data.insert("bounceReason".into(), json!(reason));
    outbox::emit(
        conn,
        &mailbox.workspace_id,
        "email.bounced",
        &serde_json::Value::Object(data),
        now,
    )?;
    Ok(true)
}

fn insert_message(
    conn: &Connection,
    mailbox: &Mailbox,
    uid: u32,
    message: Option<&Classified>,
    kind: &str,
    send_seq: Option<i64>,
    now_text: &str,
) -> Result<(), Error> {
    let subject = message
        .and_then(|message| message.subject.as_deref())
        .map(|subject| subject.chars().take(MAX_SUBJECT_CHARS).collect::<String>());
    conn.prepare_cached(
        "INSERT INTO inbox_messages (email_account_seq, uid_validity, uid, message_id, kind,
                                     send_seq, subject, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        mailbox.account_seq,
        mailbox.uid_validity,
        uid,
        message.and_then(|message| message.message_id.as_deref()),
        kind,
        send_seq,
        subject,
        now_text
    ])?;
    Ok(())
}

/// Records one message of the mailbox and applies what it means, in the caller's transaction,
/// and moves the account's position past it: a UID or a Message-ID already recorded changes
/// nothing, so a restart or a rebuilt mailbox never counts a message twice. `message` is
/// `None` for bytes that are no message (recorded as unmatched).
pub fn apply(
    conn: &Connection,
    mailbox: &Mailbox,
    uid: u32,
    message: Option<&Classified>,
    now: DateTime<Utc>,
) -> Result<Applied, Error> {
    let now_text = crate::domain::time::format(now);
    advance(conn, mailbox.account_seq, mailbox.uid_validity, uid, None)?;
    let seen_uid: Option<i64> = conn
        .prepare_cached(
            "SELECT seq FROM inbox_messages
             WHERE email_account_seq = ?1 AND uid_validity = ?2 AND uid = ?3",
        )?
        .query_row(
            params![mailbox.account_seq, mailbox.uid_validity, uid],
            |row| row.get(0),
        )
        .optional()?;
    if seen_uid.is_some() {
        return Ok(Applied::Duplicate);
    }
    if let Some(message_id) = message.and_then(|message| message.message_id.as_deref()) {
        let seen: Option<(String, Option<i64>)> = conn
            .prepare_cached(
                "SELECT kind, send_seq FROM inbox_messages
                 WHERE email_account_seq = ?1 AND message_id = ?2 LIMIT 1",
            )?
            .query_row(params![mailbox.account_seq, message_id], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?;
        if let Some((kind, send_seq)) = seen {
            insert_message(conn, mailbox, uid, message, &kind, send_seq, &now_text)?;
            return Ok(Applied::Duplicate);
        }
    }
    let Some(message) = message else {
        insert_message(conn, mailbox, uid, None, "unmatched", None, &now_text)?;
        return Ok(Applied::Unmatched);
    };
    let (applied, send) = match &message.kind {
        Kind::Reply { preview } => match match_reply(conn, mailbox, message)? {
            Some(send) => {
                let counted = record_reply(conn, mailbox, &send, message, preview, now)?;
                (Applied::Reply { counted }, Some(send))
            }
            None => (Applied::Unmatched, None),
        },
        Kind::AutoReply => (Applied::AutoReply, match_reply(conn, mailbox, message)?),
        Kind::Bounce {
            hard,
            recipient,
            reason,
            original_message_id,
        } => match match_bounce(
            conn,
            mailbox,
            original_message_id.as_deref(),
            recipient.as_deref(),
        )? {
            Some(send) => {
                let counted = record_bounce(conn, mailbox, &send, *hard, reason, now)?;
                (
                    Applied::Bounce {
                        hard: *hard,
                        counted,
                    },
                    Some(send),
                )
            }
            None => (Applied::Unmatched, None),
        },
    };
    let kind = match applied {
        Applied::Unmatched => "unmatched",
        _ => message.kind.as_str(),
    };
    insert_message(
        conn,
        mailbox,
        uid,
        Some(message),
        kind,
        send.map(|send| send.seq),
        &now_text,
    )?;
    Ok(applied)
}
