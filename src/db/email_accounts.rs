//! The `email_accounts` table: API functions are workspace-scoped; passwords are stored sealed
//! with the [`SecretBox`] and bound to their account and server, and only the sender and the
//! connection test ever open them.

use crate::config::Secret;
use crate::domain::email_account::{
    AccountStatus, EmailAccount, EmailAccountChanges, EmailAccountSortField, Encryption,
    ImapSettings, MergedServer, NewEmailAccount, PasswordChange, Protocol, ServerSettings,
    ServerSummary, SmtpSettings,
};
use crate::domain::ids::{EmailAccountId, WorkspaceId};
use crate::domain::listing::{Page, PageRequest, SortOrder};
use crate::error::Error;
use crate::secret::SecretBox;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

const COLUMNS: &str = "seq, id, workspace_id, email, display_name, smtp_host, smtp_port, \
    smtp_username, smtp_password, smtp_encryption, imap_host, imap_port, imap_username, \
    imap_password, imap_encryption, daily_limit, status, last_error, created_at, updated_at";

/// A row as stored: the public view plus what only this module handles.
struct StoredAccount {
    seq: i64,
    workspace_id: WorkspaceId,
    account: EmailAccount,
    smtp_password: Option<Vec<u8>>,
    imap_password: Option<Vec<u8>>,
}

fn port(raw: i64) -> u16 {
    u16::try_from(raw).unwrap_or(0)
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<StoredAccount> {
    let smtp_password: Option<Vec<u8>> = row.get(8)?;
    let smtp_encryption: String = row.get(9)?;
    let imap_host: Option<String> = row.get(10)?;
    let imap_password: Option<Vec<u8>> = row.get(13)?;
    let imap = match imap_host {
        Some(host) => Some(ServerSummary {
            host,
            port: port(row.get::<_, Option<i64>>(11)?.unwrap_or(0)),
            username: row.get(12)?,
            encryption: row
                .get::<_, Option<String>>(14)?
                .as_deref()
                .and_then(Encryption::parse)
                .unwrap_or(Encryption::Ssl),
            has_password: imap_password.is_some(),
        }),
        None => None,
    };
    let status: String = row.get(16)?;
    Ok(StoredAccount {
        seq: row.get(0)?,
        workspace_id: WorkspaceId::from_db(row.get(2)?),
        account: EmailAccount {
            id: EmailAccountId::from_db(row.get(1)?),
            email: row.get(3)?,
            display_name: row.get(4)?,
            smtp: ServerSummary {
                host: row.get(5)?,
                port: port(row.get(6)?),
                username: row.get(7)?,
                encryption: Encryption::parse(&smtp_encryption).unwrap_or(Encryption::Tls),
                has_password: smtp_password.is_some(),
            },
            imap,
            daily_limit: u32::try_from(row.get::<_, i64>(15)?).unwrap_or(0),
            status: AccountStatus::parse(&status).unwrap_or_default(),
            last_error: row.get(17)?,
            created_at: row.get(18)?,
            updated_at: row.get(19)?,
        },
        smtp_password,
        imap_password,
    })
}

/// The associated data a password is sealed with: its account and server.
fn password_context(id: &EmailAccountId, protocol: Protocol) -> String {
    format!("email_accounts:{id}:{}", protocol.as_str())
}

fn sealed_password(
    secrets: &SecretBox,
    id: &EmailAccountId,
    protocol: Protocol,
    change: &PasswordChange,
    stored: Option<Vec<u8>>,
) -> Option<Vec<u8>> {
    match change {
        PasswordChange::Keep => stored,
        PasswordChange::Clear => None,
        PasswordChange::Set(secret) => {
            Some(secrets.seal(secret.expose(), &password_context(id, protocol)))
        }
    }
}

fn open_password(
    secrets: &SecretBox,
    id: &EmailAccountId,
    protocol: Protocol,
    sealed: Option<&[u8]>,
) -> Result<Option<Secret>, Error> {
    let Some(sealed) = sealed else {
        return Ok(None);
    };
    match secrets.open(sealed, &password_context(id, protocol)) {
        Ok(password) => Ok(Some(Secret::new(password))),
        Err(error) => {
            tracing::warn!(email_account_id = %id, protocol = protocol.as_str(), %error, "a stored password does not open");
            let field = format!("{}.password", protocol.as_str());
            Err(Error::Conflict {
                message: format!(
                    "The stored {field} cannot be decrypted with the server's secret key (was FLUENZR_SECRET_KEY changed?); set it again"
                ),
                details: Some(serde_json::json!({ "field": field })),
            })
        }
    }
}

fn settings(summary: &ServerSummary, password: Option<Secret>) -> ServerSettings {
    ServerSettings {
        host: summary.host.clone(),
        port: summary.port,
        username: summary.username.clone(),
        password,
        encryption: summary.encryption,
    }
}

fn find(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &EmailAccountId,
) -> Result<Option<StoredAccount>, Error> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM email_accounts WHERE workspace_id = ?1 AND id = ?2"
        ))?
        .query_row(params![workspace_id.as_str(), id.as_str()], from_row)
        .optional()?)
}

fn require_stored(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &EmailAccountId,
) -> Result<StoredAccount, Error> {
    find(conn, workspace_id, id)?.ok_or(Error::NotFound("Email account"))
}

/// Creates an account, sealing its passwords.
pub fn insert(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    new: &NewEmailAccount,
    secrets: &SecretBox,
    now: &str,
) -> Result<EmailAccountId, Error> {
    let id = EmailAccountId::generate();
    let smtp = new.smtp.merge(Protocol::Smtp, None)?;
    let imap = new
        .imap
        .as_ref()
        .map(|imap| imap.merge(Protocol::Imap, None))
        .transpose()?;
    let smtp_password = sealed_password(secrets, &id, Protocol::Smtp, &smtp.password, None);
    let imap_password = imap
        .as_ref()
        .and_then(|imap| sealed_password(secrets, &id, Protocol::Imap, &imap.password, None));
    conn.prepare_cached(
        "INSERT INTO email_accounts (id, workspace_id, email, display_name, smtp_host, smtp_port,
             smtp_username, smtp_password, smtp_encryption, imap_host, imap_port, imap_username,
             imap_password, imap_encryption, daily_limit, status, last_error, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 'active', NULL, ?16, ?16)",
    )?
    .execute(params![
        id.as_str(),
        workspace_id.as_str(),
        new.email.as_str(),
        new.display_name,
        smtp.host,
        smtp.port,
        smtp.username,
        smtp_password,
        smtp.encryption.as_str(),
        imap.as_ref().map(|imap| imap.host.as_str()),
        imap.as_ref().map(|imap| imap.port),
        imap.as_ref().and_then(|imap| imap.username.as_deref()),
        imap_password,
        imap.as_ref().map(|imap| imap.encryption.as_str()),
        new.daily_limit,
        now
    ])?;
    Ok(id)
}

/// One account of the workspace.
pub fn get(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &EmailAccountId,
) -> Result<Option<EmailAccount>, Error> {
    Ok(find(conn, workspace_id, id)?.map(|stored| stored.account))
}

/// Like [`get`], but a missing account is `NotFound`.
pub fn require(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &EmailAccountId,
) -> Result<EmailAccount, Error> {
    get(conn, workspace_id, id)?.ok_or(Error::NotFound("Email account"))
}

/// The row number of an account of this workspace (for tables referencing it); ids of other
/// workspaces are `NotFound`.
pub fn seq_of(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &EmailAccountId,
) -> Result<i64, Error> {
    conn.prepare_cached("SELECT seq FROM email_accounts WHERE workspace_id = ?1 AND id = ?2")?
        .query_row(params![workspace_id.as_str(), id.as_str()], |row| {
            row.get(0)
        })
        .optional()?
        .ok_or(Error::NotFound("Email account"))
}

/// Filters for listing accounts.
#[derive(Debug, Clone, Default)]
pub struct EmailAccountFilter {
    /// Status.
    pub status: Option<AccountStatus>,
    /// Email contains (case-insensitive).
    pub email_contains: Option<String>,
}

/// One page of accounts.
pub fn list(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    filter: &EmailAccountFilter,
    sort: (EmailAccountSortField, SortOrder),
    page: PageRequest,
) -> Result<Page<EmailAccount>, Error> {
    let mut sql = "workspace_id = ?1".to_owned();
    let mut values = vec![SqlValue::Text(workspace_id.as_str().to_owned())];
    if let Some(status) = filter.status {
        values.push(SqlValue::Text(status.as_str().to_owned()));
        sql.push_str(&format!(" AND status = ?{}", values.len()));
    }
    if let Some(email) = &filter.email_contains {
        values.push(SqlValue::Text(crate::db::like_contains(email)));
        sql.push_str(&format!(
            " AND lower(email) LIKE ?{} ESCAPE '\\'",
            values.len()
        ));
    }
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM email_accounts WHERE {sql}"))?
        .query_row(params_from_iter(values.iter()), |row| row.get(0))?;
    let order = sort.1.sql();
    let column = match sort.0 {
        EmailAccountSortField::CreatedAt => "created_at",
        EmailAccountSortField::UpdatedAt => "updated_at",
        EmailAccountSortField::Email => "email COLLATE NOCASE",
    };
    values.push(SqlValue::Integer(page.limit()));
    values.push(SqlValue::Integer(page.offset()));
    let query = format!(
        "SELECT {COLUMNS} FROM email_accounts WHERE {sql} ORDER BY {column} {order}, seq {order} LIMIT ?{} OFFSET ?{}",
        values.len() - 1,
        values.len()
    );
    let items = conn
        .prepare_cached(&query)?
        .query_map(params_from_iter(values.iter()), from_row)?
        .map(|row| row.map(|stored| stored.account))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        items,
        total: total.max(0) as u64,
    })
}

/// Applies a partial update: `smtp` and `imap` changes merge field by field into the stored
/// settings (an omitted password is kept). A change of either server's settings resets the
/// status to `active`, since the last check's verdict was about the old settings.
pub fn update(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &EmailAccountId,
    changes: &EmailAccountChanges,
    secrets: &SecretBox,
    now: &str,
) -> Result<(), Error> {
    let stored = require_stored(conn, workspace_id, id)?;
    let account = &stored.account;
    let smtp = changes
        .smtp
        .clone()
        .unwrap_or_default()
        .merge(Protocol::Smtp, Some(&account.smtp))?;
    let smtp_password = sealed_password(
        secrets,
        id,
        Protocol::Smtp,
        &smtp.password,
        stored.smtp_password,
    );
    let imap: Option<(MergedServer, Option<Vec<u8>>)> = match &changes.imap {
        None => account
            .imap
            .as_ref()
            .map(|imap| (unchanged(imap), stored.imap_password)),
        Some(None) => None,
        Some(Some(imap_changes)) => {
            let merged = imap_changes.merge(Protocol::Imap, account.imap.as_ref())?;
            let password = sealed_password(
                secrets,
                id,
                Protocol::Imap,
                &merged.password,
                stored.imap_password,
            );
            Some((merged, password))
        }
    };
    let servers_changed = changes.smtp.is_some() || changes.imap.is_some();
    let status = if servers_changed {
        AccountStatus::Active
    } else {
        account.status
    };
    let last_error = if servers_changed {
        None
    } else {
        account.last_error.clone()
    };
    let email = changes
        .email
        .as_ref()
        .map_or(account.email.as_str(), |email| email.as_str());
    let display_name = changes
        .display_name
        .as_ref()
        .unwrap_or(&account.display_name);
    conn.prepare_cached(
        "UPDATE email_accounts SET email = ?2, display_name = ?3, smtp_host = ?4, smtp_port = ?5,
             smtp_username = ?6, smtp_password = ?7, smtp_encryption = ?8, imap_host = ?9,
             imap_port = ?10, imap_username = ?11, imap_password = ?12, imap_encryption = ?13,
             daily_limit = ?14, status = ?15, last_error = ?16, updated_at = ?17
         WHERE seq = ?1",
    )?
    .execute(params![
        stored.seq,
        email,
        display_name,
        smtp.host,
        smtp.port,
        smtp.username,
        smtp_password,
        smtp.encryption.as_str(),
        imap.as_ref().map(|(imap, _)| imap.host.as_str()),
        imap.as_ref().map(|(imap, _)| imap.port),
        imap.as_ref().and_then(|(imap, _)| imap.username.as_deref()),
        imap.as_ref().and_then(|(_, password)| password.as_deref()),
        imap.as_ref().map(|(imap, _)| imap.encryption.as_str()),
        changes.daily_limit.unwrap_or(account.daily_limit),
        status.as_str(),
        last_error,
        now
    ])?;
    Ok(())
}

fn unchanged(summary: &ServerSummary) -> MergedServer {
    MergedServer {
        host: summary.host.clone(),
        port: summary.port,
        username: summary.username.clone(),
        encryption: summary.encryption,
        password: PasswordChange::Keep,
    }
}

/// Deletes an account. Refused (`Conflict`) while an `active` or `paused` campaign uses it;
/// other campaigns keep a `NULL` account.
pub fn delete(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &EmailAccountId,
) -> Result<(), Error> {
    let seq = seq_of(conn, workspace_id, id)?;
    let campaigns: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM campaigns
             WHERE email_account_seq = ?1 AND status IN ('active', 'paused')",
        )?
        .query_row([seq], |row| row.get(0))?;
    if campaigns > 0 {
        let noun = if campaigns == 1 {
            "campaign"
        } else {
            "campaigns"
        };
        return Err(Error::Conflict {
            message: format!(
                "The email account is used by {campaigns} active or paused {noun}; archive them or give them another account first"
            ),
            details: Some(serde_json::json!({ "campaigns": campaigns })),
        });
    }
    conn.prepare_cached("DELETE FROM email_accounts WHERE seq = ?1")?
        .execute([seq])?;
    Ok(())
}

/// Records the outcome of a connection test or a send attempt: `error` with its reason, or
/// `active` with no error.
pub fn set_status(
    conn: &Connection,
    seq: i64,
    status: AccountStatus,
    last_error: Option<&str>,
    now: &str,
) -> Result<(), Error> {
    conn.prepare_cached(
        "UPDATE email_accounts SET status = ?2, last_error = ?3, updated_at = ?4 WHERE seq = ?1",
    )?
    .execute(params![seq, status.as_str(), last_error, now])?;
    Ok(())
}

/// What the sender needs to send from an account, its SMTP password opened.
#[derive(Debug, Clone)]
pub struct SendingAccount {
    /// Row number (what `campaigns.email_account_seq` and `sends` refer to).
    pub seq: i64,
    /// Public id.
    pub id: EmailAccountId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Sender address.
    pub email: String,
    /// Sender name for `From`.
    pub display_name: Option<String>,
    /// SMTP settings with the password in clear.
    pub smtp: SmtpSettings,
    /// Most messages per day.
    pub daily_limit: u32,
}

impl SendingAccount {
    /// Whether its mail is captured in the database instead of sent.
    pub fn is_sandbox(&self) -> bool {
        self.smtp.is_sandbox()
    }
}

/// Loads an account for sending by row number (internal: no workspace scope). A password that
/// no longer opens (the secret key changed) is a `Conflict` naming `smtp.password`.
pub fn load_for_sending(
    conn: &Connection,
    seq: i64,
    secrets: &SecretBox,
) -> Result<Option<SendingAccount>, Error> {
    let stored = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM email_accounts WHERE seq = ?1"
        ))?
        .query_row([seq], from_row)
        .optional()?;
    let Some(stored) = stored else {
        return Ok(None);
    };
    let account = stored.account;
    let password = open_password(
        secrets,
        &account.id,
        Protocol::Smtp,
        stored.smtp_password.as_deref(),
    )?;
    Ok(Some(SendingAccount {
        seq: stored.seq,
        workspace_id: stored.workspace_id,
        smtp: settings(&account.smtp, password),
        id: account.id,
        email: account.email,
        display_name: account.display_name,
        daily_limit: account.daily_limit,
    }))
}

/// Everything a connection test needs, passwords opened.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// Row number, for [`set_status`].
    pub seq: i64,
    /// Sender address (its domain is the EHLO name).
    pub email: String,
    /// SMTP settings.
    pub smtp: SmtpSettings,
    /// IMAP settings.
    pub imap: Option<ImapSettings>,
}

/// Loads an account of the workspace with its passwords opened, for a connection test.
pub fn load_for_test(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    id: &EmailAccountId,
    secrets: &SecretBox,
) -> Result<ConnectionSettings, Error> {
    let stored = require_stored(conn, workspace_id, id)?;
    let account = stored.account;
    let smtp_password =
        open_password(secrets, id, Protocol::Smtp, stored.smtp_password.as_deref())?;
    let imap = match &account.imap {
        Some(imap) => {
            let password =
                open_password(secrets, id, Protocol::Imap, stored.imap_password.as_deref())?;
            Some(settings(imap, password))
        }
        None => None,
    };
    Ok(ConnectionSettings {
        seq: stored.seq,
        email: account.email,
        smtp: settings(&account.smtp, smtp_password),
        imap,
    })
}

/// The sending identity of an account (address and display name), for previews.
pub fn load_identity(
    conn: &Connection,
    seq: i64,
) -> Result<Option<(String, Option<String>)>, Error> {
    Ok(conn
        .prepare_cached("SELECT email, display_name FROM email_accounts WHERE seq = ?1")?
        .query_row([seq], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?)
}

/// An account whose inbox the poller reads, its IMAP password opened.
#[derive(Debug, Clone)]
pub struct InboxAccount {
    /// Row number.
    pub seq: i64,
    /// Public id.
    pub id: EmailAccountId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// When the account was created (no reply can predate it).
    pub created_at: String,
    /// Its status and last error, so a successful poll can clear an inbox error.
    pub status: AccountStatus,
    /// The last error recorded.
    pub last_error: Option<String>,
    /// The IMAP settings, or why they cannot be used (a stored password that does not open).
    pub imap: Result<ImapSettings, String>,
}

/// Every account with IMAP settings, in row order (internal: all workspaces).
pub fn load_for_inbox(conn: &Connection, secrets: &SecretBox) -> Result<Vec<InboxAccount>, Error> {
    let stored = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM email_accounts WHERE imap_host IS NOT NULL ORDER BY seq"
        ))?
        .query_map([], from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(stored
        .into_iter()
        .filter_map(|stored| {
            let account = stored.account;
            let summary = account.imap.as_ref()?;
            let imap = open_password(
                secrets,
                &account.id,
                Protocol::Imap,
                stored.imap_password.as_deref(),
            )
            .map(|password| settings(summary, password))
            .map_err(|error| error.to_string());
            Some(InboxAccount {
                seq: stored.seq,
                workspace_id: stored.workspace_id,
                created_at: account.created_at,
                status: account.status,
                last_error: account.last_error,
                id: account.id,
                imap,
            })
        })
        .collect())
}
