//! What the public tracking endpoints record: opens, clicks, unsubscribes and tracking
//! objections, each found through the unguessable token of one send.

use crate::db::campaign_events;
use crate::domain::campaign_stats::EventType;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::error::Error;
use crate::webhooks::events::{self as webhook_events, at_unix};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Map, Value};

/// Who opened or clicked, kept only when full tracking is configured.
#[derive(Debug, Clone, Default)]
pub struct Visitor {
    /// Client IP address.
    pub ip: Option<String>,
    /// `User-Agent` header.
    pub user_agent: Option<String>,
}

impl Visitor {
    fn metadata(visitor: Option<&Visitor>) -> Map<String, Value> {
        let mut metadata = Map::new();
        if let Some(visitor) = visitor {
            metadata.insert("ip".to_owned(), json!(visitor.ip));
            metadata.insert("userAgent".to_owned(), json!(visitor.user_agent));
        }
        metadata
    }
}

/// The send a token designates.
struct TrackedSend {
    seq: i64,
    campaign_seq: i64,
    contact_seq: i64,
    node_id: String,
    opened_at: Option<i64>,
    links: String,
    tracking_opt_out: bool,
}

fn find_send(conn: &Connection, token: &str) -> Result<Option<TrackedSend>, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT s.seq, s.campaign_seq, s.contact_seq, s.node_id, s.opened_at, s.links,
                    c.tracking_opt_out
             FROM sends s JOIN contacts c ON c.seq = s.contact_seq
             WHERE s.token = ?1",
        )?
        .query_row([token], |row| {
            Ok(TrackedSend {
                seq: row.get(0)?,
                campaign_seq: row.get(1)?,
                contact_seq: row.get(2)?,
                node_id: row.get(3)?,
                opened_at: row.get(4)?,
                links: row.get(5)?,
                tracking_opt_out: row.get::<_, i64>(6)? != 0,
            })
        })
        .optional()?)
}

/// Whether the token designates a send whose contact accepts tracking: a read that lets the
/// public endpoints skip the writer for unknown tokens and opted-out contacts.
pub fn is_tracked(conn: &Connection, token: &str) -> Result<bool, Error> {
    Ok(find_send(conn, token)?.is_some_and(|send| !send.tracking_opt_out))
}

/// The original link number `index` of the send with this token, and whether its contact accepts
/// tracking; `None` for an unknown token or index.
pub fn link(conn: &Connection, token: &str, index: usize) -> Result<Option<(String, bool)>, Error> {
    let Some(send) = find_send(conn, token)? else {
        return Ok(None);
    };
    let links: Vec<String> = serde_json::from_str(&send.links).unwrap_or_default();
    Ok(links
        .into_iter()
        .nth(index)
        .map(|url| (url, !send.tracking_opt_out)))
}

fn opened_event(
    conn: &Connection,
    send: &TrackedSend,
    now: i64,
    visitor: Option<&Visitor>,
    repeat: bool,
) -> Result<(), Error> {
    let mut metadata = Visitor::metadata(visitor);
    if repeat {
        // Later opens are kept (with full tracking) but marked, so the timeline counts each
        // message's first open only.
        metadata.insert("repeat".to_owned(), Value::Bool(true));
    }
    campaign_events::insert(
        conn,
        send.campaign_seq,
        Some(send.contact_seq),
        Some(&send.node_id),
        EventType::Opened,
        now,
        &Value::Object(metadata),
    )?;
    Ok(())
}

/// Records an open of the message with this token: the first open's time, the count, and an
/// `opened` event on the first open (on every open when `visitor` is given: full tracking).
/// Returns whether anything was recorded (not for unknown tokens or opted-out contacts).
pub fn record_open(
    conn: &Connection,
    token: &str,
    now: i64,
    visitor: Option<&Visitor>,
) -> Result<bool, Error> {
    let Some(send) = find_send(conn, token)? else {
        return Ok(false);
    };
    if send.tracking_opt_out {
        return Ok(false);
    }
    let (open_count, first_open): (i64, i64) = conn
        .prepare_cached(
            "UPDATE sends SET opened_at = coalesce(opened_at, ?2), open_count = open_count + 1
             WHERE seq = ?1 RETURNING open_count, opened_at",
        )?
        .query_row(params![send.seq, now], |row| Ok((row.get(0)?, row.get(1)?)))?;
    let first = send.opened_at.is_none();
    if first || visitor.is_some() {
        opened_event(conn, &send, now, visitor, !first)?;
        email_opened(conn, send.seq, open_count, first_open, now, visitor)?;
    }
    Ok(true)
}

/// The `email.opened` webhook event: sent with the first open, or with every open under full
/// tracking (which alone adds the visitor's user agent and IP address).
fn email_opened(
    conn: &Connection,
    send_seq: i64,
    open_count: i64,
    first_open: i64,
    now: i64,
    visitor: Option<&Visitor>,
) -> Result<(), Error> {
    let mut data = Map::new();
    data.insert("openCount".to_owned(), json!(open_count));
    data.insert(
        "firstOpen".to_owned(),
        json!(crate::domain::time::from_unix(first_open)),
    );
    if let Some(visitor) = visitor {
        data.insert("userAgent".to_owned(), json!(visitor.user_agent));
        data.insert("ip".to_owned(), json!(visitor.ip));
    }
    webhook_events::email(conn, send_seq, "email.opened", data, at_unix(now))
}

/// Resolves the click token `<token>.<index>` to the original link of that message (only the
/// links stored with the send: never an open redirect) and records the click: the first click's
/// time, the count, a `clicked` event on the first click of each link, and an open when the
/// message was not opened yet (images are often blocked, a click proves the open).
/// Opted-out contacts are redirected without anything being recorded.
pub fn record_click(
    conn: &Connection,
    token: &str,
    index: usize,
    now: i64,
    visitor: Option<&Visitor>,
) -> Result<Option<String>, Error> {
    let Some(send) = find_send(conn, token)? else {
        return Ok(None);
    };
    let links: Vec<String> = serde_json::from_str(&send.links).unwrap_or_default();
    let Some(url) = links.into_iter().nth(index) else {
        return Ok(None);
    };
    if send.tracking_opt_out {
        return Ok(Some(url));
    }
    let (click_count, open_count, first_open): (i64, i64, i64) = conn
        .prepare_cached(
            "UPDATE sends SET clicked_at = coalesce(clicked_at, ?2), click_count = click_count + 1,
                    opened_at = coalesce(opened_at, ?2),
                    open_count = CASE WHEN opened_at IS NULL THEN open_count + 1 ELSE open_count END
             WHERE seq = ?1 RETURNING click_count, open_count, opened_at",
        )?
        .query_row(params![send.seq, now], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
    if send.opened_at.is_none() {
        opened_event(conn, &send, now, visitor, false)?;
        email_opened(conn, send.seq, open_count, first_open, now, visitor)?;
    }
    let mut clicked = Map::new();
    clicked.insert("linkUrl".to_owned(), json!(url));
    clicked.insert("clickCount".to_owned(), json!(click_count));
    webhook_events::email(conn, send.seq, "email.clicked", clicked, at_unix(now))?;
    let clicked_before: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM campaign_events
                 WHERE contact_seq = ?1 AND campaign_seq = ?2 AND node_id = ?3 AND type = 'clicked'
                   AND json_extract(metadata, '$.url') = ?4)",
        )?
        .query_row(
            params![send.contact_seq, send.campaign_seq, send.node_id, url],
            |row| row.get(0),
        )?;
    if !clicked_before {
        let mut metadata = Visitor::metadata(visitor);
        metadata.insert("url".to_owned(), Value::String(url.clone()));
        campaign_events::insert(
            conn,
            send.campaign_seq,
            Some(send.contact_seq),
            Some(&send.node_id),
            EventType::Clicked,
            now,
            &Value::Object(metadata),
        )?;
    }
    Ok(Some(url))
}

/// What the preferences page shows about the contact of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    /// The contact.
    pub contact_id: ContactId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// The contact's email.
    pub email: String,
    /// Whether the contact is unsubscribed already.
    pub unsubscribed: bool,
    /// Whether the contact objected to open and click tracking.
    pub tracking_opt_out: bool,
}

/// The preferences of the contact a token was sent to; `None` for an unknown token.
pub fn preferences(conn: &Connection, token: &str) -> Result<Option<Preferences>, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT c.email, c.status, c.tracking_opt_out, c.id, c.workspace_id
             FROM sends s JOIN contacts c ON c.seq = s.contact_seq WHERE s.token = ?1",
        )?
        .query_row([token], |row| {
            Ok(Preferences {
                contact_id: ContactId::from_db(row.get(3)?),
                workspace_id: WorkspaceId::from_db(row.get(4)?),
                email: row.get(0)?,
                unsubscribed: row.get::<_, String>(1)? == "unsubscribed",
                tracking_opt_out: row.get::<_, i64>(2)? != 0,
            })
        })
        .optional()?)
}

/// Unsubscribes the contact a token was sent to: the contact becomes `unsubscribed` (a bounced
/// or blocked contact keeps that status), every enrolment still pending or in progress stops,
/// and the token's campaign gets one `unsubscribed` event (`{"source": …}`: `page` or
/// `one-click`). Idempotent. `None` for an unknown token. Run it inside one write transaction.
pub fn unsubscribe(
    conn: &Connection,
    token: &str,
    source: &str,
    now: &str,
    now_unix: i64,
) -> Result<Option<Preferences>, Error> {
    let Some(send) = find_send(conn, token)? else {
        return Ok(None);
    };
    conn.prepare_cached(
        "UPDATE contacts SET status = 'unsubscribed', updated_at = ?2
         WHERE seq = ?1 AND status NOT IN ('unsubscribed', 'bounced', 'blocked')",
    )?
    .execute(params![send.contact_seq, now])?;
    conn.prepare_cached(
        "UPDATE campaign_contacts SET status = 'unsubscribed', due_at = NULL, updated_at = ?2
         WHERE contact_seq = ?1 AND status IN ('pending', 'in_progress')",
    )?
    .execute(params![send.contact_seq, now])?;
    let recorded: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM campaign_events
                 WHERE contact_seq = ?1 AND campaign_seq = ?2 AND type = 'unsubscribed')",
        )?
        .query_row(params![send.contact_seq, send.campaign_seq], |row| {
            row.get(0)
        })?;
    if !recorded {
        campaign_events::insert(
            conn,
            send.campaign_seq,
            Some(send.contact_seq),
            Some(&send.node_id),
            EventType::Unsubscribed,
            now_unix,
            &json!({ "source": source }),
        )?;
        webhook_events::email(
            conn,
            send.seq,
            "email.unsubscribed",
            Map::new(),
            at_unix(now_unix),
        )?;
    }
    preferences(conn, token)
}

/// Records the objection of the contact a token was sent to against open and click tracking
/// (`contacts.tracking_opt_out`). Idempotent. `None` for an unknown token.
pub fn stop_tracking(
    conn: &Connection,
    token: &str,
    now: &str,
) -> Result<Option<Preferences>, Error> {
    let Some(send) = find_send(conn, token)? else {
        return Ok(None);
    };
    conn.prepare_cached(
        "UPDATE contacts SET tracking_opt_out = 1, updated_at = ?2
         WHERE seq = ?1 AND tracking_opt_out = 0",
    )?
    .execute(params![send.contact_seq, now])?;
    preferences(conn, token)
}
