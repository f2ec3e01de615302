//! `campaign_contacts`: enrolling contacts (by id, group or filter), removing them, and listing
//! each one's progress.

use crate::domain::contact::{ContactFilter, ContactStatus};
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::listing::{Page, PageRequest};
use crate::error::Error;
use rusqlite::{params, Connection, OptionalExtension, Row};

/// Most per-contact errors one answer lists (the counts stay exact).
const MAX_LISTED_ERRORS: usize = 1000;

/// A contact that was not enrolled (or removed), with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolError {
    /// The contact id as given.
    pub contact_id: String,
    /// `NOT_FOUND`, `UNSUBSCRIBED`, `BOUNCED` or `BLOCKED`.
    pub code: &'static str,
    /// Why.
    pub message: String,
}

/// What an enrolment request did.
#[derive(Debug, Clone, Default)]
pub struct EnrolOutcome {
    /// Contacts enrolled now.
    pub added: u64,
    /// Existing contacts not enrolled: already enrolled, or unsubscribed / bounced / blocked.
    pub skipped: u64,
    /// Unknown ids and suppressed contacts, each with its reason.
    pub errors: Vec<EnrolError>,
}

impl EnrolOutcome {
    fn error(&mut self, error: EnrolError) {
        if self.errors.len() < MAX_LISTED_ERRORS {
            self.errors.push(error);
        }
    }
}

/// Why a contact in this status can never be mailed, if it cannot.
fn suppression(status: &str) -> Option<(&'static str, &'static str)> {
    match ContactStatus::parse(status) {
        Some(ContactStatus::Unsubscribed) => Some(("UNSUBSCRIBED", "Contact has unsubscribed")),
        Some(ContactStatus::Bounced) => Some(("BOUNCED", "Contact's address bounced")),
        Some(ContactStatus::Blocked) => Some(("BLOCKED", "Contact is blocked")),
        _ => None,
    }
}

fn enrol_one(
    conn: &Connection,
    campaign_seq: i64,
    contact_seq: i64,
    now: &str,
) -> Result<bool, Error> {
    let due = crate::domain::time::unix_seconds(now);
    let inserted = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO campaign_contacts
                 (campaign_seq, contact_seq, status, due_at, enrolled_at, updated_at)
             VALUES (?1, ?2, 'pending', ?3, ?4, ?4)",
        )?
        .execute(params![campaign_seq, contact_seq, due, now])?;
    Ok(inserted > 0)
}

/// Enrols candidates given as (row number, public id, status).
fn enrol_candidates(
    conn: &Connection,
    campaign_seq: i64,
    candidates: impl IntoIterator<Item = (i64, String, String)>,
    now: &str,
    outcome: &mut EnrolOutcome,
) -> Result<(), Error> {
    for (seq, id, status) in candidates {
        if let Some((code, message)) = suppression(&status) {
            outcome.skipped += 1;
            outcome.error(EnrolError {
                contact_id: id,
                code,
                message: message.to_owned(),
            });
        } else if enrol_one(conn, campaign_seq, seq, now)? {
            outcome.added += 1;
        } else {
            outcome.skipped += 1;
        }
    }
    Ok(())
}

/// Enrols contacts by public id; unknown ids (including other workspaces') are reported.
pub fn enrol_ids(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    campaign_seq: i64,
    contact_ids: &[String],
    now: &str,
) -> Result<EnrolOutcome, Error> {
    let mut outcome = EnrolOutcome::default();
    let mut lookup = conn
        .prepare_cached("SELECT seq, status FROM contacts WHERE workspace_id = ?1 AND id = ?2")?;
    let mut candidates = Vec::with_capacity(contact_ids.len());
    for raw in contact_ids {
        let found: Option<(i64, String)> = match ContactId::parse(raw) {
            Some(id) => lookup
                .query_row(params![workspace_id.as_str(), id.as_str()], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()?,
            None => None,
        };
        match found {
            Some((seq, status)) => candidates.push((seq, raw.clone(), status)),
            None => outcome.error(EnrolError {
                contact_id: raw.clone(),
                code: "NOT_FOUND",
                message: "Contact not found".to_owned(),
            }),
        }
    }
    enrol_candidates(conn, campaign_seq, candidates, now, &mut outcome)?;
    Ok(outcome)
}

/// Enrols every member of the given groups (row numbers already resolved in the workspace).
pub fn enrol_group_members(
    conn: &Connection,
    campaign_seq: i64,
    group_seqs: &[i64],
    now: &str,
) -> Result<EnrolOutcome, Error> {
    let mut outcome = EnrolOutcome::default();
    let mut statement = conn.prepare_cached(
        "SELECT DISTINCT c.seq, c.id, c.status FROM group_members gm
         JOIN contacts c ON c.seq = gm.contact_seq WHERE gm.group_seq = ?1 ORDER BY c.seq",
    )?;
    let mut seen = std::collections::HashSet::new();
    let mut candidates = Vec::new();
    for group in group_seqs {
        let rows = statement
            .query_map([group], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<Result<Vec<(i64, String, String)>, _>>()?;
        candidates.extend(rows.into_iter().filter(|(seq, _, _)| seen.insert(*seq)));
    }
    enrol_candidates(conn, campaign_seq, candidates, now, &mut outcome)?;
    Ok(outcome)
}

/// Enrols every contact of the workspace matching a filter.
pub fn enrol_matching(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    campaign_seq: i64,
    filter: &ContactFilter,
    now: &str,
) -> Result<EnrolOutcome, Error> {
    let mut outcome = EnrolOutcome::default();
    let candidates = crate::db::contacts::matching(conn, workspace_id, filter)?;
    enrol_candidates(conn, campaign_seq, candidates, now, &mut outcome)?;
    Ok(outcome)
}

/// Enrols contacts that just joined a dynamic group into the unfinished campaigns targeting it
/// (suppressed contacts are left out silently).
pub fn enrol_new_group_members(
    conn: &Connection,
    group_seq: i64,
    contact_seqs: &[i64],
    now: &str,
) -> Result<(), Error> {
    let campaigns = conn
        .prepare_cached(
            "SELECT cg.campaign_seq FROM campaign_groups cg
             JOIN groups g ON g.seq = cg.group_seq
             JOIN campaigns c ON c.seq = cg.campaign_seq
             WHERE cg.group_seq = ?1 AND g.type = 'dynamic'
               AND c.status IN ('draft', 'active', 'paused')",
        )?
        .query_map([group_seq], |row| row.get::<_, i64>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    if campaigns.is_empty() {
        return Ok(());
    }
    let mut status = conn.prepare_cached("SELECT status FROM contacts WHERE seq = ?1")?;
    for contact in contact_seqs {
        let current: Option<String> = status.query_row([contact], |row| row.get(0)).optional()?;
        if current.as_deref().is_none_or(|s| suppression(s).is_some()) {
            continue;
        }
        for campaign in &campaigns {
            enrol_one(conn, *campaign, *contact, now)?;
        }
    }
    Ok(())
}

/// What removing contacts did.
#[derive(Debug, Clone, Default)]
pub struct RemoveOutcome {
    /// Contacts removed.
    pub removed: u64,
    /// Contacts that were not enrolled.
    pub skipped: u64,
    /// Unknown ids.
    pub errors: Vec<EnrolError>,
}

/// Removes contacts from a campaign; what was already sent stays in the statistics.
pub fn remove_ids(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    campaign_seq: i64,
    contact_ids: &[String],
) -> Result<RemoveOutcome, Error> {
    let mut outcome = RemoveOutcome::default();
    let mut remove = conn.prepare_cached(
        "DELETE FROM campaign_contacts WHERE campaign_seq = ?1 AND contact_seq = ?2",
    )?;
    for raw in contact_ids {
        let seq = match ContactId::parse(raw) {
            Some(id) => crate::db::contacts::seq_of(conn, workspace_id, id.as_str())?,
            None => None,
        };
        match seq {
            Some(seq) if remove.execute(params![campaign_seq, seq])? > 0 => outcome.removed += 1,
            Some(_) => outcome.skipped += 1,
            None => outcome.errors.push(EnrolError {
                contact_id: raw.clone(),
                code: "NOT_FOUND",
                message: "Contact not found".to_owned(),
            }),
        }
    }
    Ok(outcome)
}

/// One enrolled contact and its progress.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// Contact id.
    pub contact_id: ContactId,
    /// Contact email.
    pub email: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Progress status.
    pub status: String,
    /// Node the contact stands at.
    pub node_id: Option<String>,
    /// When the sender looks at it next (Unix seconds).
    pub due_at: Option<i64>,
    /// Last email node sent.
    pub last_email_node: Option<String>,
    /// Why it stopped or was skipped.
    pub reason: Option<String>,
    /// Emails handed to SMTP for this contact in this campaign.
    pub emails_sent: u64,
    /// Enrolment time.
    pub enrolled_at: String,
    /// Last change.
    pub updated_at: String,
}

fn enrolment_from_row(row: &Row<'_>) -> rusqlite::Result<Enrolment> {
    Ok(Enrolment {
        contact_id: ContactId::from_db(row.get(0)?),
        email: row.get(1)?,
        first_name: row.get(2)?,
        last_name: row.get(3)?,
        status: row.get(4)?,
        node_id: row.get(5)?,
        due_at: row.get(6)?,
        last_email_node: row.get(7)?,
        reason: row.get(8)?,
        emails_sent: row.get::<_, i64>(9)?.max(0) as u64,
        enrolled_at: row.get(10)?,
        updated_at: row.get(11)?,
    })
}

/// One page of a campaign's contacts in enrolment order, optionally of one status.
pub fn list(
    conn: &Connection,
    campaign_seq: i64,
    status: Option<&str>,
    page: PageRequest,
) -> Result<Page<Enrolment>, Error> {
    let total: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM campaign_contacts
             WHERE campaign_seq = ?1 AND (?2 IS NULL OR status = ?2)",
        )?
        .query_row(params![campaign_seq, status], |row| row.get(0))?;
    let items = conn
        .prepare_cached(
            "SELECT c.id, c.email, c.first_name, c.last_name, cc.status, cc.node_id, cc.due_at,
                    cc.last_email_node, cc.reason,
                    (SELECT count(*) FROM sends s WHERE s.campaign_seq = cc.campaign_seq
                        AND s.contact_seq = cc.contact_seq AND s.state IN ('sent', 'bounced')),
                    cc.enrolled_at, cc.updated_at
             FROM campaign_contacts cc JOIN contacts c ON c.seq = cc.contact_seq
             WHERE cc.campaign_seq = ?1 AND (?2 IS NULL OR cc.status = ?2)
             ORDER BY cc.contact_seq LIMIT ?3 OFFSET ?4",
        )?
        .query_map(
            params![campaign_seq, status, page.limit(), page.offset()],
            enrolment_from_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        items,
        total: total.max(0) as u64,
    })
}

/// Enrolled contacts of a campaign.
pub fn count(conn: &Connection, campaign_seq: i64) -> Result<u64, Error> {
    let total: i64 = conn
        .prepare_cached("SELECT count(*) FROM campaign_contacts WHERE campaign_seq = ?1")?
        .query_row([campaign_seq], |row| row.get(0))?;
    Ok(total.max(0) as u64)
}
