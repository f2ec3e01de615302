//! Walking due contacts through their campaign's workflow and claiming the emails they are due,
//! in one writer transaction: the graph, the windows and the limits are read and the claims
//! written with nothing able to change in between.

mod contact;

use super::message::{self, Rendered};
use crate::db::campaigns::{self, CampaignRecord};
use crate::db::sends;
use crate::domain::campaign::{CampaignSettings, CampaignStatus};
use crate::domain::schedule::SendWindow;
use crate::domain::workflow::Workflow;
use crate::error::Error;
use chrono::{DateTime, TimeZone, Utc};
use contact::{walk_contact, Step, Walk};
use rusqlite::{params, Connection};
use std::collections::HashMap;

/// A message claimed for delivery: everything needed to build and send it.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The send it belongs to.
    pub send: sends::SendRef,
    /// Sending account row.
    pub account_seq: i64,
    /// The rendered message.
    pub message: Rendered,
}

/// What one pass did.
#[derive(Debug, Default)]
pub struct Pass {
    /// Messages claimed for delivery.
    pub claimed: Vec<Claimed>,
    /// Contacts moved without sending (delays, conditions, ends, skips).
    pub advanced: usize,
    /// Contacts skipped for a missing template variable.
    pub skipped: usize,
    /// Campaigns that finished.
    pub completed: usize,
    /// Due contacts looked at.
    pub touched: usize,
    /// Campaigns skipped because walking them failed.
    pub failed_campaigns: usize,
}

/// Per-account daily budget shared by the campaigns of one pass.
type AccountBudget = HashMap<i64, u64>;

/// Context the sender gives a pass.
pub struct PassContext<'a> {
    /// `FLUENZR_PUBLIC_URL`, base of tracking links.
    pub public_url: &'a str,
    /// Key that makes Message-IDs unguessable.
    pub secret: &'a str,
    /// Most contacts looked at per campaign.
    pub batch: usize,
}

/// One pass over every active campaign.
pub fn pass(
    conn: &Connection,
    context: &PassContext<'_>,
    now: DateTime<Utc>,
) -> Result<Pass, Error> {
    let mut pass = Pass::default();
    let budgets = &mut AccountBudget::new();
    for seq in campaigns::active_seqs(conn)? {
        let Some(campaign) = campaigns::by_seq(conn, seq)? else {
            continue;
        };
        // Each campaign runs in its own savepoint: one that fails (a damaged row, say) is rolled
        // back alone, with its claims, and the others still send.
        conn.execute_batch("SAVEPOINT walk_campaign")?;
        let claimed_before = pass.claimed.len();
        let budgets_before = budgets.clone();
        match walk_campaign(conn, context, &campaign, now, budgets, &mut pass) {
            Ok(()) => conn.execute_batch("RELEASE walk_campaign")?,
            Err(error) => {
                conn.execute_batch("ROLLBACK TO walk_campaign; RELEASE walk_campaign")?;
                pass.claimed.truncate(claimed_before);
                *budgets = budgets_before;
                pass.failed_campaigns += 1;
                tracing::error!(campaign_id = %campaign.id, %error, "walking the campaign failed; it is skipped this pass");
                continue;
            }
        }
        if is_finished(conn, seq)? {
            campaigns::set_status(
                conn,
                seq,
                CampaignStatus::Completed,
                &crate::domain::time::format(now),
            )?;
            crate::webhooks::events::campaign(conn, seq, "campaign.completed", now)?;
            pass.completed += 1;
        }
    }
    Ok(pass)
}

fn is_finished(conn: &Connection, campaign_seq: i64) -> Result<bool, Error> {
    let (total, open): (i64, i64) = conn
        .prepare_cached(
            "SELECT count(*), count(*) FILTER (WHERE status IN ('pending', 'in_progress'))
             FROM campaign_contacts WHERE campaign_seq = ?1",
        )?
        .query_row([campaign_seq], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(total > 0 && open == 0)
}

/// The sending account as the walker needs it.
struct Account {
    seq: i64,
    email: String,
    display_name: Option<String>,
    daily_limit: u64,
}

fn account(conn: &Connection, seq: i64) -> Result<Option<Account>, Error> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(
            "SELECT seq, email, display_name, daily_limit FROM email_accounts WHERE seq = ?1",
        )?
        .query_row([seq], |row| {
            Ok(Account {
                seq: row.get(0)?,
                email: row.get(1)?,
                display_name: row.get(2)?,
                daily_limit: row.get::<_, i64>(3)?.max(0) as u64,
            })
        })
        .optional()?)
}

/// Start of the local day containing `now`, as Unix seconds, and the start of the next one.
fn local_day(now: DateTime<Utc>, zone: chrono_tz::Tz) -> (i64, i64) {
    let local = now.with_timezone(&zone).date_naive();
    let start_of = |date: chrono::NaiveDate| {
        let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
        zone.from_local_datetime(&midnight)
            .earliest()
            .map_or(now.timestamp(), |t| t.timestamp())
    };
    let next = local.succ_opt().unwrap_or(local);
    (start_of(local), start_of(next))
}

/// How many messages the campaign may claim now, and when that changes if it is zero.
fn campaign_budget(
    conn: &Connection,
    campaign: &CampaignRecord,
    settings: &CampaignSettings,
    account: &Account,
    budgets: &mut AccountBudget,
    now: DateTime<Utc>,
) -> Result<(u64, i64), Error> {
    let now_s = now.timestamp();
    let (hour_used, oldest) = sends::claimed_by_campaign_since(conn, campaign.seq, now_s - 3600)?;
    let hourly = u64::from(settings.max_emails_per_hour).saturating_sub(hour_used);
    let mut budget = hourly;
    let mut reopens = oldest.map_or(now_s + 60, |oldest| oldest + 3600 + 1);
    if let Some(limit) = settings.daily_limit {
        let (day_start, next_day) = local_day(now, settings.timezone);
        let (day_used, _) = sends::claimed_by_campaign_since(conn, campaign.seq, day_start - 1)?;
        let daily = u64::from(limit).saturating_sub(day_used);
        if daily < budget {
            budget = daily;
            if daily == 0 {
                reopens = next_day;
            }
        }
    }
    let account_left = match budgets.get(&account.seq) {
        Some(left) => *left,
        None => {
            let (day_start, _) = local_day(now, chrono_tz::UTC);
            let used = sends::claimed_by_account_since(conn, account.seq, day_start)?;
            let left = account.daily_limit.saturating_sub(used);
            budgets.insert(account.seq, left);
            left
        }
    };
    if account_left < budget {
        budget = account_left;
        if account_left == 0 {
            reopens = local_day(now, chrono_tz::UTC).1;
        }
    }
    Ok((budget, reopens))
}

/// A due contact with what the templates and conditions need.
pub(super) struct Due {
    pub(super) contact_seq: i64,
    pub(super) status: String,
    pub(super) node_id: Option<String>,
    pub(super) last_email_node: Option<String>,
    pub(super) contact_id: String,
    pub(super) email: String,
    pub(super) contact_status: String,
    pub(super) tracking_opt_out: bool,
    pub(super) fields: Vec<(&'static str, Option<String>)>,
    pub(super) custom_fields: String,
}

fn due_contacts(
    conn: &Connection,
    campaign_seq: i64,
    now: i64,
    limit: usize,
) -> Result<Vec<Due>, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT cc.contact_seq, cc.status, cc.node_id, cc.last_email_node, c.id, c.email,
                    c.status, c.tracking_opt_out, c.first_name, c.last_name, c.company,
                    c.job_title, c.phone, c.website, c.custom_fields
             FROM campaign_contacts cc JOIN contacts c ON c.seq = cc.contact_seq
             WHERE cc.campaign_seq = ?1 AND cc.due_at IS NOT NULL AND cc.due_at <= ?2
             ORDER BY cc.due_at, cc.contact_seq LIMIT ?3",
        )?
        .query_map(params![campaign_seq, now, limit as i64], |row| {
            Ok(Due {
                contact_seq: row.get(0)?,
                status: row.get(1)?,
                node_id: row.get(2)?,
                last_email_node: row.get(3)?,
                contact_id: row.get(4)?,
                email: row.get(5)?,
                contact_status: row.get(6)?,
                tracking_opt_out: row.get::<_, i64>(7)? != 0,
                fields: vec![
                    ("firstName", row.get(8)?),
                    ("lastName", row.get(9)?),
                    ("company", row.get(10)?),
                    ("jobTitle", row.get(11)?),
                    ("phone", row.get(12)?),
                    ("website", row.get(13)?),
                ],
                custom_fields: row.get(14)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?)
}

fn walk_campaign(
    conn: &Connection,
    context: &PassContext<'_>,
    campaign: &CampaignRecord,
    now: DateTime<Utc>,
    budgets: &mut AccountBudget,
    pass: &mut Pass,
) -> Result<(), Error> {
    let now_s = now.timestamp();
    let now_text = crate::domain::time::format(now);
    let settings = CampaignSettings::from_json(&campaign.settings)
        .map_err(|e| Error::Internal(anyhow::anyhow!("campaign {}: settings: {e}", campaign.id)))?;
    let workflow = campaign
        .workflow
        .as_deref()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("campaign {} has no workflow", campaign.id)))
        .and_then(|raw| {
            let value: serde_json::Value = serde_json::from_str(raw)?;
            Workflow::parse(&value).map_err(|e| {
                Error::Internal(anyhow::anyhow!(
                    "campaign {}: workflow: {}",
                    campaign.id,
                    e.message
                ))
            })
        })?;
    let Some(account) = campaign
        .email_account
        .as_ref()
        .map(|(seq, _)| account(conn, *seq))
        .transpose()?
        .flatten()
    else {
        // No account (it was deleted): nothing can be sent until one is set.
        return Ok(());
    };
    let window = SendWindow::new(
        &settings.send_days,
        settings.send_hours_start,
        settings.send_hours_end,
        settings.timezone,
    );
    let (budget, reopens) = campaign_budget(conn, campaign, &settings, &account, budgets, now)?;
    let budget = std::cell::Cell::new(budget);
    let window_open = window.contains(now);
    let templates = message::Templates::compile(&workflow)?;
    let due = due_contacts(conn, campaign.seq, now_s, context.batch)?;
    let sender = message::Sender {
        email: &account.email,
        display_name: account.display_name.as_deref(),
        public_url: context.public_url,
        secret: context.secret,
    };
    pass.touched += due.len();
    for contact in due {
        let outcome = walk_contact(
            conn,
            &Walk {
                campaign,
                settings: &settings,
                workflow: &workflow,
                templates: &templates,
                sender: &sender,
                window: &window,
                window_open,
                budget: &budget,
                reopens,
                now,
                now_text: &now_text,
            },
            &contact,
        )?;
        match outcome {
            Step::Claimed(rendered, send) => {
                if let Some(left) = budgets.get_mut(&account.seq) {
                    *left = left.saturating_sub(1);
                }
                pass.claimed.push(Claimed {
                    send,
                    account_seq: account.seq,
                    message: *rendered,
                });
            }
            Step::Skipped => pass.skipped += 1,
            Step::Moved => pass.advanced += 1,
            Step::Waiting => {}
        }
    }
    Ok(())
}
