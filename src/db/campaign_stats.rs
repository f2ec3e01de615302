//! Campaign statistics read from `sends`, `campaign_contacts` and `campaign_events`.

use crate::domain::campaign_stats::{EmailNode, Interval};
use crate::domain::ids::{CampaignId, WorkspaceId};
use crate::error::Error;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

/// The row number of a campaign of the workspace and its workflow JSON; another workspace's
/// campaign is not found.
pub fn require_campaign(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &CampaignId,
) -> Result<(i64, Option<String>), Error> {
    conn.prepare_cached("SELECT seq, workflow FROM campaigns WHERE workspace_id = ?1 AND id = ?2")?
        .query_row(params![workspace_id.as_str(), id.as_str()], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?
        .ok_or(Error::NotFound("Campaign"))
}

/// A campaign's counters (spec 3.4): what `GET /v1/campaigns/{id}/stats` shows and what the
/// campaign resource embeds as `stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CampaignCounts {
    /// Enrolled contacts.
    pub total_contacts: u64,
    /// Messages handed to the SMTP server (state `sent` or `bounced`).
    pub sent: u64,
    /// `sent - bounced`.
    pub delivered: u64,
    /// Contacts who opened at least one message.
    pub opened: u64,
    /// Contacts who clicked at least one link.
    pub clicked: u64,
    /// Contacts who replied.
    pub replied: u64,
    /// Messages that bounced.
    pub bounced: u64,
    /// Enrolments stopped by an unsubscribe.
    pub unsubscribed: u64,
    /// Messages whose outcome is unknown (never resent).
    pub uncertain: u64,
    /// Messages that failed for good.
    pub failed: u64,
    /// Enrolments still pending or in progress.
    pub pending: u64,
}

fn count(value: i64) -> u64 {
    value.max(0) as u64
}

/// The counters of one campaign (by row number).
pub fn campaign_counts(conn: &Connection, campaign_seq: i64) -> Result<CampaignCounts, Error> {
    let (sent, bounced, uncertain, failed, opened, clicked): (i64, i64, i64, i64, i64, i64) = conn
        .prepare_cached(
            "SELECT coalesce(sum(state IN ('sent', 'bounced')), 0),
                    coalesce(sum(state = 'bounced'), 0),
                    coalesce(sum(state = 'uncertain'), 0),
                    coalesce(sum(state = 'failed'), 0),
                    count(DISTINCT CASE WHEN opened_at IS NOT NULL THEN contact_seq END),
                    count(DISTINCT CASE WHEN clicked_at IS NOT NULL THEN contact_seq END)
             FROM sends WHERE campaign_seq = ?1",
        )?
        .query_row([campaign_seq], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            ))
        })?;
    let (total, unsubscribed, pending): (i64, i64, i64) = conn
        .prepare_cached(
            "SELECT count(*),
                    coalesce(sum(status = 'unsubscribed'), 0),
                    coalesce(sum(status IN ('pending', 'in_progress')), 0)
             FROM campaign_contacts WHERE campaign_seq = ?1",
        )?
        .query_row([campaign_seq], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
    let replied: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM (
                 SELECT contact_seq FROM sends WHERE campaign_seq = ?1 AND replied_at IS NOT NULL
                 UNION
                 SELECT contact_seq FROM campaign_contacts WHERE campaign_seq = ?1 AND status = 'replied')",
        )?
        .query_row([campaign_seq], |row| row.get(0))?;
    Ok(CampaignCounts {
        total_contacts: count(total),
        sent: count(sent),
        delivered: count(sent - bounced),
        opened: count(opened),
        clicked: count(clicked),
        replied: count(replied),
        bounced: count(bounced),
        unsubscribed: count(unsubscribed),
        uncertain: count(uncertain),
        failed: count(failed),
        pending: count(pending),
    })
}

/// The counters of one email node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailCounts {
    /// The node and its number.
    pub node: EmailNode,
    /// Messages of this node handed to SMTP.
    pub sent: u64,
    /// `sent - bounced` for this node.
    pub delivered: u64,
    /// Contacts who opened this node's message.
    pub opened: u64,
    /// Contacts who clicked in this node's message.
    pub clicked: u64,
    /// Contacts who replied to this node's message (or whose enrolment stopped as replied with
    /// this node as their last email).
    pub replied: u64,
}

/// Per-node counters for the given email nodes (in their order).
pub fn email_counts(
    conn: &Connection,
    campaign_seq: i64,
    nodes: Vec<EmailNode>,
) -> Result<Vec<EmailCounts>, Error> {
    let mut by_node: HashMap<String, [i64; 5]> = HashMap::new();
    let mut statement = conn.prepare_cached(
        "SELECT s.node_id,
                coalesce(sum(s.state IN ('sent', 'bounced')), 0),
                coalesce(sum(s.state = 'bounced'), 0),
                count(DISTINCT CASE WHEN s.opened_at IS NOT NULL THEN s.contact_seq END),
                count(DISTINCT CASE WHEN s.clicked_at IS NOT NULL THEN s.contact_seq END),
                count(DISTINCT CASE WHEN s.replied_at IS NOT NULL
                                      OR (cc.status = 'replied' AND cc.last_email_node = s.node_id)
                               THEN s.contact_seq END)
         FROM sends s
         LEFT JOIN campaign_contacts cc
                ON cc.campaign_seq = s.campaign_seq AND cc.contact_seq = s.contact_seq
         WHERE s.campaign_seq = ?1
         GROUP BY s.node_id",
    )?;
    let rows = statement.query_map([campaign_seq], |row| {
        Ok((
            row.get::<_, String>(0)?,
            [
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            ],
        ))
    })?;
    for row in rows {
        let (node, counts) = row?;
        by_node.insert(node, counts);
    }
    Ok(nodes
        .into_iter()
        .map(|node| {
            let [sent, bounced, opened, clicked, replied] =
                by_node.get(&node.node_id).copied().unwrap_or_default();
            EmailCounts {
                node,
                sent: count(sent),
                delivered: count(sent - bounced),
                opened: count(opened),
                clicked: count(clicked),
                replied: count(replied),
            }
        })
        .collect())
}

/// Event counts of one timeline bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BucketCounts {
    /// Bucket start (Unix seconds).
    pub start: i64,
    /// `sent` events.
    pub sent: u64,
    /// First opens of a message.
    pub opened: u64,
    /// First clicks of a link.
    pub clicked: u64,
    /// `replied` events.
    pub replied: u64,
    /// `bounced` events.
    pub bounced: u64,
}

/// Events of `[from, to)` counted per bucket; every bucket of `starts` is present.
pub fn timeline(
    conn: &Connection,
    campaign_seq: i64,
    starts: &[i64],
    interval: Interval,
    from: i64,
    to: i64,
) -> Result<Vec<BucketCounts>, Error> {
    let mut buckets: Vec<BucketCounts> = starts
        .iter()
        .map(|&start| BucketCounts {
            start,
            ..BucketCounts::default()
        })
        .collect();
    let Some(&first) = starts.first() else {
        return Ok(buckets);
    };
    let step = interval.seconds();
    let mut statement = conn.prepare_cached(
        "SELECT occurred_at - (((occurred_at - ?4) % ?5) + ?5) % ?5 AS bucket, type, count(*)
         FROM campaign_events
         WHERE campaign_seq = ?1 AND occurred_at >= ?2 AND occurred_at < ?3
           AND type IN ('sent', 'opened', 'clicked', 'replied', 'bounced')
           AND (type <> 'opened' OR json_extract(metadata, '$.repeat') IS NULL)
           -- A soft bounce (a delay notice) is an event but no bounce in the counters.
           AND (type <> 'bounced' OR json_extract(metadata, '$.bounceType') IS NOT 'soft')
         GROUP BY bucket, type",
    )?;
    let rows = statement.query_map(
        params![campaign_seq, from, to, interval.origin(), step],
        |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
            ))
        },
    )?;
    for row in rows {
        let (bucket, kind, n) = row?;
        let Some(slot) = usize::try_from((bucket - first) / step)
            .ok()
            .and_then(|index| buckets.get_mut(index))
        else {
            continue;
        };
        let n = count(n);
        match kind.as_str() {
            "sent" => slot.sent += n,
            "opened" => slot.opened += n,
            "clicked" => slot.clicked += n,
            "replied" => slot.replied += n,
            "bounced" => slot.bounced += n,
            _ => {}
        }
    }
    Ok(buckets)
}
