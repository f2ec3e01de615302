//! The forecast: a dry run of the sender over a campaign's enrolled contacts, under its send
//! window, its hourly and daily limits and its account's daily limit, without sending anything.

use crate::db::campaigns::CampaignRecord;
use crate::db::sends;
use crate::domain::campaign::CampaignSettings;
use crate::domain::schedule::{add_delay, SendWindow};
use crate::domain::workflow::{Condition, NodeKind, Workflow};
use crate::error::Error;
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{params, Connection};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

/// What the plan assumes, stated in every answer.
pub const ASSUMPTIONS: &str = "Contacts walk the workflow from where they stand now. Conditions \
on opens, clicks and replies use what has happened so far (nothing more is assumed to happen); \
contact-field conditions use today's values. Messages go out inside the send window, within the \
campaign's hourly and daily limits and the account's daily limit (other campaigns sharing the \
account are counted only for what they already sent today). The plan looks at most 90 days ahead.";

/// How far ahead the plan looks.
const HORIZON_DAYS: i64 = 90;

/// One planned message.
#[derive(Debug, Clone)]
pub struct Item {
    /// Contact id.
    pub contact_id: String,
    /// Contact email.
    pub email: String,
    /// Email node.
    pub node_id: String,
    /// Its number among the workflow's emails.
    pub email_number: u32,
    /// Planned time.
    pub at: DateTime<Utc>,
}

/// The plan.
#[derive(Debug, Default)]
pub struct Plan {
    /// Planned messages in time order.
    pub items: Vec<Item>,
    /// More are planned than were returned.
    pub truncated: bool,
}

struct Walker {
    contact_seq: i64,
    contact_id: String,
    email: String,
    node: String,
    last_email: Option<String>,
    /// The contact stands at `node` having arrived (delays start counting on arrival).
    arrived: bool,
}

/// Keeps the limits of the simulated sends.
struct Limits {
    hourly: usize,
    recent: VecDeque<i64>,
    campaign_daily: Option<u64>,
    account_daily: u64,
    per_local_day: HashMap<i64, u64>,
    per_utc_day: HashMap<i64, u64>,
    zone: chrono_tz::Tz,
}

fn day_start(at: i64, zone: chrono_tz::Tz) -> (i64, i64) {
    let time = DateTime::from_timestamp(at, 0).unwrap_or_default();
    let date = time.with_timezone(&zone).date_naive();
    let start = |d: chrono::NaiveDate| {
        zone.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map_or(at, |t| t.timestamp())
    };
    (start(date), start(date.succ_opt().unwrap_or(date)))
}

impl Limits {
    /// The earliest time at or after `t` when one more message fits every limit.
    fn earliest(&self, mut t: i64, window: &SendWindow) -> i64 {
        for _ in 0..1000 {
            let open = window
                .next_open(DateTime::from_timestamp(t, 0).unwrap_or_default())
                .timestamp();
            t = t.max(open);
            if self.recent.len() >= self.hourly {
                if let Some(oldest) = self.recent.get(self.recent.len() - self.hourly) {
                    if t < oldest + 3600 {
                        t = oldest + 3600;
                        continue;
                    }
                }
            }
            let (local, next_local) = day_start(t, self.zone);
            if let Some(limit) = self.campaign_daily {
                if self.per_local_day.get(&local).copied().unwrap_or(0) >= limit {
                    t = next_local;
                    continue;
                }
            }
            let (utc, next_utc) = day_start(t, chrono_tz::UTC);
            if self.per_utc_day.get(&utc).copied().unwrap_or(0) >= self.account_daily {
                t = next_utc;
                continue;
            }
            return t;
        }
        t
    }

    fn record(&mut self, t: i64) {
        self.recent.push_back(t);
        while self.recent.len() > self.hourly {
            self.recent.pop_front();
        }
        *self
            .per_local_day
            .entry(day_start(t, self.zone).0)
            .or_default() += 1;
        *self
            .per_utc_day
            .entry(day_start(t, chrono_tz::UTC).0)
            .or_default() += 1;
    }
}

/// Plans the campaign's next `limit` messages from `now`.
pub fn plan(
    conn: &Connection,
    campaign: &CampaignRecord,
    workflow: &Workflow,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Plan, Error> {
    let settings = CampaignSettings::from_json(&campaign.settings)
        .map_err(|e| Error::Internal(anyhow::anyhow!("stored settings: {e}")))?;
    let window = SendWindow::new(
        &settings.send_days,
        settings.send_hours_start,
        settings.send_hours_end,
        settings.timezone,
    );
    let now_s = now.timestamp();
    let account_daily: u64 = match &campaign.email_account {
        Some((seq, _)) => conn
            .prepare_cached("SELECT daily_limit FROM email_accounts WHERE seq = ?1")?
            .query_row([seq], |row| row.get::<_, i64>(0))
            .map(|v| v.max(0) as u64)?,
        None => return Ok(Plan::default()),
    };
    let mut limits = Limits {
        hourly: settings.max_emails_per_hour.max(1) as usize,
        recent: conn
            .prepare_cached(
                "SELECT claimed_at FROM sends WHERE campaign_seq = ?1 AND claimed_at > ?2
                   AND state <> 'pending' ORDER BY claimed_at",
            )?
            .query_map(params![campaign.seq, now_s - 3600], |row| row.get(0))?
            .collect::<Result<VecDeque<i64>, _>>()?,
        campaign_daily: settings.daily_limit.map(u64::from),
        account_daily,
        per_local_day: HashMap::new(),
        per_utc_day: HashMap::new(),
        zone: settings.timezone,
    };
    let (local_today, _) = day_start(now_s, settings.timezone);
    let (utc_today, _) = day_start(now_s, chrono_tz::UTC);
    let (today_campaign, _) =
        sends::claimed_by_campaign_since(conn, campaign.seq, local_today - 1)?;
    limits.per_local_day.insert(local_today, today_campaign);
    if let Some((account, _)) = &campaign.email_account {
        limits.per_utc_day.insert(
            utc_today,
            sends::claimed_by_account_since(conn, *account, utc_today)?,
        );
    }
    let mut walkers = Vec::new();
    let mut queue = BinaryHeap::new();
    let mut statement = conn.prepare_cached(
        "SELECT cc.contact_seq, c.id, c.email, cc.node_id, cc.due_at, cc.last_email_node
         FROM campaign_contacts cc JOIN contacts c ON c.seq = cc.contact_seq
         WHERE cc.campaign_seq = ?1 AND cc.status IN ('pending', 'in_progress')
           AND c.status IN ('active', 'replied')
         ORDER BY cc.due_at, cc.contact_seq",
    )?;
    let rows = statement.query_map([campaign.seq], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, Option<String>>(3)?,
            row.get::<_, Option<i64>>(4)?,
            row.get::<_, Option<String>>(5)?,
        ))
    })?;
    for row in rows {
        let (seq, id, email, node, due, last_email) = row?;
        let Some(due) = due else { continue };
        queue.push(Reverse((due.max(now_s), walkers.len())));
        walkers.push(Walker {
            contact_seq: seq,
            contact_id: id,
            email,
            node: node.unwrap_or_else(|| workflow.start_id().to_owned()),
            last_email,
            arrived: false,
        });
    }
    let horizon = now_s + HORIZON_DAYS * 86_400;
    let mut plan = Plan::default();
    while let Some(Reverse((t, index))) = queue.pop() {
        if t > horizon {
            break;
        }
        let walker = &mut walkers[index];
        let mut steps = 0;
        loop {
            steps += 1;
            if steps > 256 {
                break;
            }
            let Some(node) = workflow.node(&walker.node) else {
                break;
            };
            let next = match &node.kind {
                NodeKind::Start => workflow.next(&walker.node),
                NodeKind::End => None,
                NodeKind::Delay(delay) => {
                    if walker.arrived {
                        walker.arrived = false;
                        let wake = add_delay(
                            DateTime::from_timestamp(t, 0).unwrap_or_default(),
                            delay,
                            settings.timezone,
                        );
                        queue.push(Reverse((wake.timestamp(), index)));
                        break;
                    }
                    workflow.next(&walker.node)
                }
                NodeKind::Condition(condition) => {
                    let outcome = known_outcome(conn, campaign.seq, walker, condition)?;
                    workflow.branch(&walker.node, outcome)
                }
                NodeKind::Email(_) => {
                    let done = sends::find(conn, campaign.seq, walker.contact_seq, &walker.node)?
                        .is_some_and(|s| s.state != "pending");
                    if !done {
                        let slot = limits.earliest(t, &window);
                        if slot > t {
                            queue.push(Reverse((slot, index)));
                            break;
                        }
                        limits.record(t);
                        if plan.items.len() == limit {
                            plan.truncated = true;
                            return Ok(plan);
                        }
                        plan.items.push(Item {
                            contact_id: walker.contact_id.clone(),
                            email: walker.email.clone(),
                            node_id: walker.node.clone(),
                            email_number: workflow.email_number(&walker.node).unwrap_or(1),
                            at: DateTime::from_timestamp(t, 0).unwrap_or_default(),
                        });
                    }
                    walker.last_email = Some(walker.node.clone());
                    workflow.next(&walker.node)
                }
            };
            let Some(next) = next else { break };
            walker.node = next.to_owned();
            walker.arrived = true;
        }
    }
    Ok(plan)
}

/// A condition decided on what has happened so far.
fn known_outcome(
    conn: &Connection,
    campaign_seq: i64,
    walker: &Walker,
    condition: &Condition,
) -> Result<bool, Error> {
    let send_of = |node: Option<&str>| match node {
        Some(node) => sends::find(conn, campaign_seq, walker.contact_seq, node),
        None => Ok(None),
    };
    Ok(match condition {
        Condition::Opened { email_node_id } => {
            send_of(email_node_id.as_deref().or(walker.last_email.as_deref()))?
                .is_some_and(|s| s.opened_at.is_some() || s.clicked_at.is_some())
        }
        Condition::Clicked { email_node_id } => {
            send_of(email_node_id.as_deref().or(walker.last_email.as_deref()))?
                .is_some_and(|s| s.clicked_at.is_some())
        }
        Condition::PreviousEmail { event } => super::message::email_event_happened(
            event,
            send_of(walker.last_email.as_deref())?.as_ref(),
        ),
        Condition::ContactField {
            field,
            operator,
            value,
        } => {
            let (email, fields, custom): (String, Vec<(&'static str, Option<String>)>, String) =
                conn.prepare_cached(
                    "SELECT email, first_name, last_name, company, job_title, phone, website,
                            custom_fields FROM contacts WHERE seq = ?1",
                )?
                .query_row([walker.contact_seq], |row| {
                    Ok((
                        row.get(0)?,
                        vec![
                            ("firstName", row.get(1)?),
                            ("lastName", row.get(2)?),
                            ("company", row.get(3)?),
                            ("jobTitle", row.get(4)?),
                            ("phone", row.get(5)?),
                            ("website", row.get(6)?),
                        ],
                        row.get(7)?,
                    ))
                })?;
            let actual = super::message::field_value(&fields, &email, &custom, field);
            operator.evaluate(actual.as_deref(), value.as_deref().unwrap_or_default())
        }
    })
}
