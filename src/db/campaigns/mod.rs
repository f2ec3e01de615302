//! The `campaigns` table and its target groups; every function is workspace-scoped.

pub mod enrolment;

use crate::domain::campaign::CampaignStatus;
use crate::domain::ids::{CampaignId, EmailAccountId, GroupId, WorkspaceId};
use crate::domain::listing::{Page, PageRequest, SortOrder};
use crate::error::Error;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

/// A campaign as stored; `settings` and `workflow` are the validated JSON texts.
#[derive(Debug, Clone)]
pub struct CampaignRecord {
    /// Row number.
    pub seq: i64,
    /// Public id.
    pub id: CampaignId,
    /// Workspace.
    pub workspace_id: WorkspaceId,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Status.
    pub status: CampaignStatus,
    /// Sending account (row number and public id), if any.
    pub email_account: Option<(i64, EmailAccountId)>,
    /// Settings JSON.
    pub settings: String,
    /// Workflow JSON, if given.
    pub workflow: Option<String>,
    /// Target groups.
    pub group_ids: Vec<GroupId>,
    /// Creation time.
    pub created_at: String,
    /// First start.
    pub started_at: Option<String>,
    /// Completion.
    pub completed_at: Option<String>,
    /// Last change.
    pub updated_at: String,
}

const COLUMNS: &str = "c.seq, c.id, c.workspace_id, c.name, c.description, c.status,
    c.email_account_seq, a.id, c.settings, c.workflow, c.created_at, c.started_at,
    c.completed_at, c.updated_at";
const FROM: &str = "campaigns c LEFT JOIN email_accounts a ON a.seq = c.email_account_seq";

fn from_row(row: &Row<'_>) -> rusqlite::Result<CampaignRecord> {
    let status: String = row.get(5)?;
    let account_seq: Option<i64> = row.get(6)?;
    let account_id: Option<String> = row.get(7)?;
    Ok(CampaignRecord {
        seq: row.get(0)?,
        id: CampaignId::from_db(row.get(1)?),
        workspace_id: WorkspaceId::from_db(row.get(2)?),
        name: row.get(3)?,
        description: row.get(4)?,
        status: CampaignStatus::parse(&status).unwrap_or(CampaignStatus::Draft),
        email_account: account_seq.zip(account_id.map(EmailAccountId::from_db)),
        settings: row.get(8)?,
        workflow: row.get(9)?,
        group_ids: Vec::new(),
        created_at: row.get(10)?,
        started_at: row.get(11)?,
        completed_at: row.get(12)?,
        updated_at: row.get(13)?,
    })
}

fn attach_groups(conn: &Connection, campaign: &mut CampaignRecord) -> Result<(), Error> {
    campaign.group_ids = conn
        .prepare_cached(
            "SELECT g.id FROM campaign_groups cg JOIN groups g ON g.seq = cg.group_seq
             WHERE cg.campaign_seq = ?1 ORDER BY g.seq",
        )?
        .query_map([campaign.seq], |row| Ok(GroupId::from_db(row.get(0)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(())
}

/// What a new campaign is made of.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Sending account row number.
    pub email_account_seq: Option<i64>,
    /// Validated settings JSON.
    pub settings: String,
    /// Validated workflow JSON.
    pub workflow: Option<String>,
    /// Target group row numbers.
    pub group_seqs: Vec<i64>,
}

/// Creates a draft campaign and enrols the members of its groups.
pub fn insert(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    new: &NewCampaign,
    now: &str,
) -> Result<CampaignId, Error> {
    let id = CampaignId::generate();
    conn.prepare_cached(
        "INSERT INTO campaigns (id, workspace_id, name, description, status, email_account_seq,
                                settings, workflow, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'draft', ?5, ?6, ?7, ?8, ?8)",
    )?
    .execute(params![
        id.as_str(),
        workspace_id.as_str(),
        new.name,
        new.description,
        new.email_account_seq,
        new.settings,
        new.workflow,
        now
    ])?;
    let seq = conn.last_insert_rowid();
    link_groups(conn, seq, &new.group_seqs, now)?;
    Ok(id)
}

/// Links groups to a campaign and enrols their current members.
fn link_groups(conn: &Connection, seq: i64, group_seqs: &[i64], now: &str) -> Result<(), Error> {
    let mut link = conn.prepare_cached(
        "INSERT OR IGNORE INTO campaign_groups (campaign_seq, group_seq) VALUES (?1, ?2)",
    )?;
    for group in group_seqs {
        link.execute(params![seq, group])?;
    }
    if !group_seqs.is_empty() {
        enrolment::enrol_group_members(conn, seq, group_seqs, now)?;
    }
    Ok(())
}

/// One campaign of the workspace.
pub fn get(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &CampaignId,
) -> Result<Option<CampaignRecord>, Error> {
    let campaign = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE c.workspace_id = ?1 AND c.id = ?2"
        ))?
        .query_row(params![workspace_id.as_str(), id.as_str()], from_row)
        .optional()?;
    match campaign {
        Some(mut campaign) => {
            attach_groups(conn, &mut campaign)?;
            Ok(Some(campaign))
        }
        None => Ok(None),
    }
}

/// Like [`get`], but a missing campaign is `NotFound`.
pub fn require(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &CampaignId,
) -> Result<CampaignRecord, Error> {
    get(conn, workspace_id, id)?.ok_or(Error::NotFound("Campaign"))
}

/// A campaign by row number (for the sender, which works across workspaces).
pub fn by_seq(conn: &Connection, seq: i64) -> Result<Option<CampaignRecord>, Error> {
    let campaign = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM {FROM} WHERE c.seq = ?1"))?
        .query_row([seq], from_row)
        .optional()?;
    match campaign {
        Some(mut campaign) => {
            attach_groups(conn, &mut campaign)?;
            Ok(Some(campaign))
        }
        None => Ok(None),
    }
}

/// Row numbers of every active campaign.
pub fn active_seqs(conn: &Connection) -> Result<Vec<i64>, Error> {
    Ok(conn
        .prepare_cached("SELECT seq FROM campaigns WHERE status = 'active' ORDER BY seq")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<Vec<_>, _>>()?)
}

/// Fields campaigns can be sorted by.
#[derive(Debug, Clone, Copy, Default)]
pub enum CampaignSortField {
    /// Creation time.
    #[default]
    CreatedAt,
    /// Last change.
    UpdatedAt,
    /// Name.
    Name,
}

/// Filters for listing campaigns.
#[derive(Debug, Clone, Default)]
pub struct CampaignFilter {
    /// Status.
    pub status: Option<CampaignStatus>,
    /// Name contains (case-insensitive).
    pub name_contains: Option<String>,
}

/// One page of campaigns.
pub fn list(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    filter: &CampaignFilter,
    sort: (CampaignSortField, SortOrder),
    page: PageRequest,
) -> Result<Page<CampaignRecord>, Error> {
    let mut sql = "c.workspace_id = ?1".to_owned();
    let mut values = vec![SqlValue::Text(workspace_id.as_str().to_owned())];
    if let Some(status) = filter.status {
        values.push(SqlValue::Text(status.as_str().to_owned()));
        sql.push_str(&format!(" AND c.status = ?{}", values.len()));
    }
    if let Some(name) = &filter.name_contains {
        values.push(SqlValue::Text(crate::db::like_contains(name)));
        sql.push_str(&format!(
            " AND lower(c.name) LIKE ?{} ESCAPE '\\'",
            values.len()
        ));
    }
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM campaigns c WHERE {sql}"))?
        .query_row(params_from_iter(values.iter()), |row| row.get(0))?;
    let order = sort.1.sql();
    let column = match sort.0 {
        CampaignSortField::CreatedAt => "c.created_at",
        CampaignSortField::UpdatedAt => "c.updated_at",
        CampaignSortField::Name => "c.name COLLATE NOCASE",
    };
    values.push(SqlValue::Integer(page.limit()));
    values.push(SqlValue::Integer(page.offset()));
    let query = format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE {sql} ORDER BY {column} {order}, c.seq {order}
         LIMIT ?{} OFFSET ?{}",
        values.len() - 1,
        values.len()
    );
    let mut items = conn
        .prepare_cached(&query)?
        .query_map(params_from_iter(values.iter()), from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    for item in &mut items {
        attach_groups(conn, item)?;
    }
    Ok(Page {
        items,
        total: total.max(0) as u64,
    })
}

/// A partial update; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct CampaignChanges {
    /// New name.
    pub name: Option<String>,
    /// New description (`Some(None)` clears it).
    pub description: Option<Option<String>>,
    /// New sending account.
    pub email_account_seq: Option<i64>,
    /// New settings JSON.
    pub settings: Option<String>,
    /// New workflow JSON.
    pub workflow: Option<String>,
    /// New target groups (replaces the list; members of newly linked groups are enrolled).
    pub group_seqs: Option<Vec<i64>>,
}

/// Applies a partial update; only draft and paused campaigns can be edited.
pub fn update(
    conn: &Connection,
    campaign: &CampaignRecord,
    changes: &CampaignChanges,
    now: &str,
) -> Result<(), Error> {
    if !campaign.status.is_editable() {
        return Err(Error::Conflict {
            message: format!(
                "Only draft or paused campaigns can be edited (this one is {})",
                campaign.status.as_str()
            ),
            details: Some(serde_json::json!({ "status": campaign.status.as_str() })),
        });
    }
    let seq = campaign.seq;
    if let Some(name) = &changes.name {
        conn.prepare_cached("UPDATE campaigns SET name = ?2 WHERE seq = ?1")?
            .execute(params![seq, name])?;
    }
    if let Some(description) = &changes.description {
        conn.prepare_cached("UPDATE campaigns SET description = ?2 WHERE seq = ?1")?
            .execute(params![seq, description])?;
    }
    if let Some(account) = changes.email_account_seq {
        conn.prepare_cached("UPDATE campaigns SET email_account_seq = ?2 WHERE seq = ?1")?
            .execute(params![seq, account])?;
    }
    if let Some(settings) = &changes.settings {
        conn.prepare_cached("UPDATE campaigns SET settings = ?2 WHERE seq = ?1")?
            .execute(params![seq, settings])?;
    }
    if let Some(workflow) = &changes.workflow {
        conn.prepare_cached("UPDATE campaigns SET workflow = ?2 WHERE seq = ?1")?
            .execute(params![seq, workflow])?;
    }
    if let Some(groups) = &changes.group_seqs {
        conn.prepare_cached("DELETE FROM campaign_groups WHERE campaign_seq = ?1")?
            .execute([seq])?;
        link_groups(conn, seq, groups, now)?;
    }
    conn.prepare_cached("UPDATE campaigns SET updated_at = ?2 WHERE seq = ?1")?
        .execute(params![seq, now])?;
    Ok(())
}

/// Deletes a campaign with its enrolments, sends and events; an active one must be paused first.
pub fn delete(conn: &Connection, campaign: &CampaignRecord) -> Result<(), Error> {
    if campaign.status == CampaignStatus::Active {
        return Err(Error::conflict(
            "An active campaign cannot be deleted: pause it first",
        ));
    }
    conn.prepare_cached("DELETE FROM campaigns WHERE seq = ?1")?
        .execute([campaign.seq])?;
    Ok(())
}

/// Writes a new status (the caller has checked the transition), stamping start and completion.
pub fn set_status(
    conn: &Connection,
    seq: i64,
    status: CampaignStatus,
    now: &str,
) -> Result<(), Error> {
    conn.prepare_cached(
        "UPDATE campaigns SET status = ?2, updated_at = ?3,
             started_at = CASE WHEN ?2 = 'active' THEN coalesce(started_at, ?3) ELSE started_at END,
             completed_at = CASE WHEN ?2 = 'completed' THEN ?3 ELSE completed_at END
         WHERE seq = ?1",
    )?
    .execute(params![seq, status.as_str(), now])?;
    Ok(())
}

/// Row number of an email account of the workspace.
pub fn account_seq(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &EmailAccountId,
) -> Result<Option<i64>, Error> {
    Ok(conn
        .prepare_cached("SELECT seq FROM email_accounts WHERE workspace_id = ?1 AND id = ?2")?
        .query_row(params![workspace_id.as_str(), id.as_str()], |row| {
            row.get(0)
        })
        .optional()?)
}
