//! `/v1/email-accounts`: CRUD of sending accounts (passwords write-only) and the connection test.

use crate::api::contacts::dto::{double_option, DeletedResponse};
use crate::api::contacts::query::OrderDto;
use crate::api::envelope::{self, Envelope, ListEnvelope};
use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::Tenant;
use crate::api::AppState;
use crate::db;
use crate::db::email_accounts::EmailAccountFilter;
use crate::domain::email_account::{
    self as account, AccountStatus, EmailAccount, EmailAccountChanges, EmailAccountSortField,
    Encryption, NewEmailAccount, Protocol, ServerChanges, ServerSummary,
};
use crate::domain::ids::EmailAccountId;
use crate::domain::listing::PageRequest;
use crate::error::Error;
use crate::sender::smtp::{self, ConnectError, Step};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};

/// Time limit of each network step of a connection test.
const TEST_TIMEOUT: Duration = Duration::from_secs(15);

/// How the connection to a server is protected.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EncryptionDto {
    /// STARTTLS: plaintext upgraded to TLS (SMTP 587, IMAP 143).
    Tls,
    /// Implicit TLS (SMTP 465, IMAP 993).
    Ssl,
    /// Plaintext (local relays, tests).
    None,
}

impl From<Encryption> for EncryptionDto {
    fn from(value: Encryption) -> Self {
        match value {
            Encryption::Tls => Self::Tls,
            Encryption::Ssl => Self::Ssl,
            Encryption::None => Self::None,
        }
    }
}

/// Account health.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatusDto {
    /// Usable (the last check passed, or none ran since the settings changed).
    Active,
    /// The last connection test failed; see `lastError`.
    Error,
}

impl From<AccountStatus> for AccountStatusDto {
    fn from(value: AccountStatus) -> Self {
        match value {
            AccountStatus::Active => Self::Active,
            AccountStatus::Error => Self::Error,
        }
    }
}

impl From<AccountStatusDto> for AccountStatus {
    fn from(value: AccountStatusDto) -> Self {
        match value {
            AccountStatusDto::Active => Self::Active,
            AccountStatusDto::Error => Self::Error,
        }
    }
}

/// One server's settings; the password is never returned.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"host": "smtp.example.com", "port": 587, "username": "ada@example.com", "encryption": "tls", "hasPassword": true}))]
pub struct ServerResponse {
    /// Host name or address (`sandbox` for a sandbox account's SMTP).
    pub host: String,
    /// Port (0 for the sandbox).
    pub port: u16,
    /// User name; none means no authentication.
    pub username: Option<String>,
    /// Connection protection.
    pub encryption: EncryptionDto,
    /// (ext) Whether a password is stored. Passwords are write-only.
    pub has_password: bool,
}

impl From<ServerSummary> for ServerResponse {
    fn from(server: ServerSummary) -> Self {
        Self {
            host: server.host,
            port: server.port,
            username: server.username,
            encryption: server.encryption.into(),
            has_password: server.has_password,
        }
    }
}

/// An email account.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"id": "acc_0Q2w3E4r5T6y7U8i9O0p", "email": "ada@example.com", "displayName": "Ada Lovelace", "smtp": {"host": "smtp.example.com", "port": 587, "username": "ada@example.com", "encryption": "tls", "hasPassword": true}, "imap": {"host": "imap.example.com", "port": 993, "username": "ada@example.com", "encryption": "ssl", "hasPassword": true}, "dailyLimit": 500, "status": "active", "lastError": null, "createdAt": "2025-01-15T10:30:00Z", "updatedAt": "2025-01-15T10:30:00Z"}))]
pub struct EmailAccountResponse {
    /// Account id (`acc_…`).
    pub id: String,
    /// Sender address.
    pub email: String,
    /// Sender name shown in `From`.
    pub display_name: Option<String>,
    /// Outgoing server.
    pub smtp: ServerResponse,
    /// Inbox read for replies and bounces; null when not set.
    pub imap: Option<ServerResponse>,
    /// Most messages sent per day.
    pub daily_limit: u32,
    /// Health.
    pub status: AccountStatusDto,
    /// Why the last connection test failed, e.g. `SMTP auth: 535 5.7.8 Authentication failed`.
    pub last_error: Option<String>,
    /// Creation time.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Last change.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<EmailAccount> for EmailAccountResponse {
    fn from(account: EmailAccount) -> Self {
        Self {
            id: account.id.to_string(),
            email: account.email,
            display_name: account.display_name,
            smtp: account.smtp.into(),
            imap: account.imap.map(Into::into),
            daily_limit: account.daily_limit,
            status: account.status.into(),
            last_error: account.last_error,
            created_at: account.created_at,
            updated_at: account.updated_at,
        }
    }
}

/// Changes to SMTP or IMAP settings: given fields replace the stored ones, an omitted `password`
/// keeps the stored one and `null` clears it. An omitted `port` keeps the stored one, unless it
/// was the default of an `encryption` that changes, in which case it follows the new default.
/// Adding IMAP to an account without it needs a `host`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"host": "smtp.example.com", "port": 587, "username": "ada@example.com", "password": "app-password", "encryption": "tls"}))]
pub struct ServerSettingsRequest {
    /// Host name or address; the SMTP host `sandbox` (any case) captures mail in the database
    /// instead of sending it.
    #[schema(
        min_length = 1,
        max_length = 253,
        pattern = r"^[^\s\x00-\x1f\x7f-\x9f]+$"
    )]
    pub host: Option<String>,
    /// Port, 1 to 65535.
    #[schema(minimum = 1, maximum = 65535)]
    #[serde(default, deserialize_with = "crate::api::extract::optional_integer")]
    pub port: Option<i64>,
    /// User name (`null` or empty: no authentication).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub username: Option<Option<String>>,
    /// Password, write-only: stored encrypted, never returned (`null` clears it).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 1024, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$", write_only)]
    pub password: Option<Option<String>>,
    /// `tls` (STARTTLS), `ssl` (implicit TLS) or `none`.
    #[schema(value_type = Option<EncryptionDto>)]
    pub encryption: Option<String>,
}

/// SMTP or IMAP settings of a new account: `host` is required; an omitted `encryption` is
/// `tls` for SMTP (`none` for the sandbox) and `ssl` for IMAP; an omitted `port` follows the
/// encryption (SMTP 587/465/25, IMAP 143/993/143; 0 for the sandbox).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"host": "smtp.example.com", "port": 587, "username": "ada@example.com", "password": "app-password", "encryption": "tls"}))]
pub struct NewServerSettingsRequest {
    /// Host name or address; the SMTP host `sandbox` (any case) captures mail in the database
    /// instead of sending it.
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 253,
        pattern = r"^[^\s\x00-\x1f\x7f-\x9f]+$"
    )]
    pub host: String,
    /// Port, 1 to 65535.
    #[schema(minimum = 1, maximum = 65535)]
    #[serde(default, deserialize_with = "crate::api::extract::optional_integer")]
    pub port: Option<i64>,
    /// User name (`null` or empty: no authentication).
    #[schema(max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub username: Option<String>,
    /// Password, write-only: stored encrypted, never returned.
    #[schema(max_length = 1024, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$", write_only)]
    pub password: Option<String>,
    /// `tls` (STARTTLS), `ssl` (implicit TLS) or `none`.
    #[schema(value_type = Option<EncryptionDto>)]
    pub encryption: Option<String>,
}

impl NewServerSettingsRequest {
    fn parse(self, protocol: Protocol) -> Result<ServerChanges, Error> {
        ServerSettingsRequest {
            host: Some(self.host),
            port: self.port,
            username: self.username.map(Some),
            password: self.password.map(Some),
            encryption: self.encryption,
        }
        .parse(protocol)
    }
}

impl ServerSettingsRequest {
    fn parse(self, protocol: Protocol) -> Result<ServerChanges, Error> {
        Ok(ServerChanges {
            host: self
                .host
                .map(|host| account::parse_host(protocol, &host))
                .transpose()?,
            port: self
                .port
                .map(|port| account::parse_port(protocol, port))
                .transpose()?,
            username: self
                .username
                .map(|username| {
                    username
                        .map(|raw| account::parse_username(protocol, &raw))
                        .transpose()
                        .map(Option::flatten)
                })
                .transpose()?,
            password: self
                .password
                .map(|password| {
                    password
                        .map(|raw| account::parse_password(protocol, &raw))
                        .transpose()
                        .map(Option::flatten)
                })
                .transpose()?,
            encryption: self
                .encryption
                .map(|raw| account::parse_encryption(protocol, &raw))
                .transpose()?,
        })
    }
}

/// Body of `POST /v1/email-accounts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"email": "ada@example.com", "displayName": "Ada Lovelace", "smtp": {"host": "smtp.example.com", "port": 587, "username": "ada@example.com", "password": "app-password", "encryption": "tls"}, "imap": {"host": "imap.example.com", "username": "ada@example.com", "password": "app-password", "encryption": "ssl"}, "dailyLimit": 500}))]
pub struct CreateEmailAccountRequest {
    /// Sender address.
    #[schema(format = "idn-email", max_length = 254)]
    pub email: String,
    /// Sender name for `From` (no line breaks).
    #[schema(max_length = 200, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub display_name: Option<String>,
    /// Outgoing server.
    pub smtp: NewServerSettingsRequest,
    /// Inbox for replies and bounces.
    pub imap: Option<NewServerSettingsRequest>,
    /// Most messages per day, 1 to 100000 (default 500).
    #[schema(minimum = 1, maximum = 100000)]
    #[serde(default, deserialize_with = "crate::api::extract::optional_integer")]
    pub daily_limit: Option<i64>,
}

/// Body of `PUT /v1/email-accounts/{id}`: only given fields change. `smtp` and `imap` merge
/// field by field into the stored settings; `"imap": null` removes IMAP; `displayName: null`
/// clears the name. Changing `smtp` or `imap` resets `status` to `active`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"displayName": "Ada L.", "smtp": {"password": "new-app-password"}, "imap": null, "dailyLimit": 200}))]
pub struct UpdateEmailAccountRequest {
    /// New sender address.
    #[schema(format = "idn-email", max_length = 254)]
    pub email: Option<String>,
    /// New sender name.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 200, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub display_name: Option<Option<String>>,
    /// SMTP changes.
    pub smtp: Option<ServerSettingsRequest>,
    /// IMAP changes (a new IMAP server needs a `host`), or `null` to remove IMAP.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<ServerSettingsRequest>)]
    pub imap: Option<Option<ServerSettingsRequest>>,
    /// New daily limit.
    #[schema(minimum = 1, maximum = 100000)]
    #[serde(default, deserialize_with = "crate::api::extract::optional_integer")]
    pub daily_limit: Option<i64>,
}

/// Fields accounts can be sorted by.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum EmailAccountSortDto {
    /// Creation time (default).
    CreatedAt,
    /// Last change.
    UpdatedAt,
    /// Email address.
    Email,
}

/// Query of `GET /v1/email-accounts`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct EmailAccountListQuery {
    /// Page number (default 1).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    /// Items per page (default 20, at most 100).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
    /// Sort field (default `createdAt`).
    pub sort: Option<EmailAccountSortDto>,
    /// Sort order (default `desc`).
    pub order: Option<OrderDto>,
    /// Status.
    pub status: Option<AccountStatusDto>,
    /// Email contains (case-insensitive).
    #[param(max_length = 254)]
    pub email: Option<String>,
}

/// The step of a connection test that failed.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StepDto {
    /// TCP connect, greeting or EHLO.
    Connect,
    /// Implicit TLS handshake, or STARTTLS missing or failing.
    Tls,
    /// Credentials refused, or no usable AUTH mechanism.
    Auth,
}

impl From<Step> for StepDto {
    fn from(value: Step) -> Self {
        match value {
            Step::Connect => Self::Connect,
            Step::Tls => Self::Tls,
            Step::Auth => Self::Auth,
        }
    }
}

/// The outcome of checking one server.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"ok": false, "step": "auth", "error": "535 5.7.8 Authentication credentials invalid"}))]
pub struct CheckResponse {
    /// Whether every step passed.
    pub ok: bool,
    /// The step that failed.
    pub step: Option<StepDto>,
    /// What failed, with the server's reply when there was one.
    pub error: Option<String>,
}

impl From<&Result<(), ConnectError>> for CheckResponse {
    fn from(result: &Result<(), ConnectError>) -> Self {
        match result {
            Ok(()) => Self {
                ok: true,
                step: None,
                error: None,
            },
            Err(error) => Self {
                ok: false,
                step: Some(error.step.into()),
                error: Some(error.message.clone()),
            },
        }
    }
}

/// Result of `POST /v1/email-accounts/{id}/test`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"smtp": {"ok": true, "step": null, "error": null}, "imap": {"ok": false, "step": "auth", "error": "LOGIN: no response: Authentication failed."}, "ok": false}))]
pub struct TestResponse {
    /// SMTP: connect, TLS, AUTH.
    pub smtp: CheckResponse,
    /// IMAP: connect, TLS, LOGIN; null when the account has no IMAP settings.
    pub imap: Option<CheckResponse>,
    /// Whether every check passed.
    pub ok: bool,
}

fn account_id(raw: &str) -> ApiResult<EmailAccountId> {
    EmailAccountId::parse(raw).ok_or(ApiError::Domain(Error::NotFound("Email account")))
}

fn display_name(raw: Option<String>) -> Result<Option<String>, Error> {
    raw.map_or(Ok(None), |raw| account::parse_display_name(&raw))
}

fn now() -> String {
    crate::domain::time::format(chrono::Utc::now())
}

/// List email accounts.
#[utoipa::path(get, path = "/v1/email-accounts", tag = "Email accounts", operation_id = "listEmailAccounts",
    params(EmailAccountListQuery),
    responses((status = 200, description = "A page of email accounts (passwords are never returned).", body = ListEnvelope<EmailAccountResponse>)))]
pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    query: web::Query<EmailAccountListQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let page = PageRequest::parse(query.page, query.per_page)?;
    let field = match query.sort {
        None | Some(EmailAccountSortDto::CreatedAt) => EmailAccountSortField::CreatedAt,
        Some(EmailAccountSortDto::UpdatedAt) => EmailAccountSortField::UpdatedAt,
        Some(EmailAccountSortDto::Email) => EmailAccountSortField::Email,
    };
    let order = query.order.map(Into::into).unwrap_or_default();
    if query
        .email
        .as_ref()
        .is_some_and(|e| e.chars().count() > 254)
    {
        return Err(ApiError::invalid(
            "email",
            "email must be at most 254 characters",
        ));
    }
    let filter = EmailAccountFilter {
        status: query.status.map(Into::into),
        email_contains: query
            .email
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty()),
    };
    let result = state
        .read(tenant.check(), move |conn| {
            db::email_accounts::list(conn, &tenant.0, &filter, (field, order), page)
        })
        .await?;
    Ok(envelope::page(result, page, EmailAccountResponse::from))
}

/// Create an email account; `email` and `smtp.host` are required. Passwords are stored
/// encrypted and never returned.
#[utoipa::path(post, path = "/v1/email-accounts", tag = "Email accounts", operation_id = "createEmailAccount",
    request_body = CreateEmailAccountRequest,
    responses((status = 201, description = "The created account.", body = Envelope<EmailAccountResponse>)))]
pub async fn create(
    state: web::Data<AppState>,
    tenant: Tenant,
    body: web::Json<CreateEmailAccountRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let new = NewEmailAccount {
        email: account::parse_email(&body.email)?,
        display_name: display_name(body.display_name)?,
        smtp: body.smtp.parse(Protocol::Smtp)?,
        imap: body
            .imap
            .map(|imap| imap.parse(Protocol::Imap))
            .transpose()?,
        daily_limit: body
            .daily_limit
            .map_or(Ok(account::DEFAULT_DAILY_LIMIT), account::parse_daily_limit)?,
    };
    let secrets = state.secret_box.clone();
    let created = state
        .write(tenant.check(), move |conn| {
            let id = db::email_accounts::insert(conn, &tenant.0, &new, &secrets, &now())?;
            db::email_accounts::require(conn, &tenant.0, &id)
        })
        .await?;
    Ok(envelope::created(EmailAccountResponse::from(created)))
}

/// Get an email account.
#[utoipa::path(get, path = "/v1/email-accounts/{id}", tag = "Email accounts", operation_id = "getEmailAccount",
    params(("id" = String, Path, pattern = "^acc_[A-Za-z0-9]{20}$", description = "Email account id (`acc_…`)")),
    responses((status = 200, description = "The account.", body = Envelope<EmailAccountResponse>)))]
pub async fn get(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = account_id(&path)?;
    let found = state
        .read(tenant.check(), move |conn| {
            db::email_accounts::require(conn, &tenant.0, &id)
        })
        .await?;
    Ok(envelope::ok(EmailAccountResponse::from(found)))
}

/// Update an email account (partial; `smtp`/`imap` merge field by field).
#[utoipa::path(put, path = "/v1/email-accounts/{id}", tag = "Email accounts", operation_id = "updateEmailAccount",
    params(("id" = String, Path, pattern = "^acc_[A-Za-z0-9]{20}$", description = "Email account id")),
    request_body = UpdateEmailAccountRequest,
    responses((status = 200, description = "The updated account.", body = Envelope<EmailAccountResponse>)))]
pub async fn update(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    body: web::Json<UpdateEmailAccountRequest>,
) -> ApiResult<HttpResponse> {
    let id = account_id(&path)?;
    let body = body.into_inner();
    let changes = EmailAccountChanges {
        email: body
            .email
            .as_deref()
            .map(account::parse_email)
            .transpose()?,
        display_name: body.display_name.map(display_name).transpose()?,
        smtp: body
            .smtp
            .map(|smtp| smtp.parse(Protocol::Smtp))
            .transpose()?,
        imap: body
            .imap
            .map(|imap| imap.map(|imap| imap.parse(Protocol::Imap)).transpose())
            .transpose()?,
        daily_limit: body
            .daily_limit
            .map(account::parse_daily_limit)
            .transpose()?,
    };
    let secrets = state.secret_box.clone();
    let updated = state
        .write(tenant.check(), move |conn| {
            db::email_accounts::update(conn, &tenant.0, &id, &changes, &secrets, &now())?;
            db::email_accounts::require(conn, &tenant.0, &id)
        })
        .await?;
    Ok(envelope::ok(EmailAccountResponse::from(updated)))
}

/// Delete an email account; `409` while an active or paused campaign uses it (other campaigns
/// are left without an account).
#[utoipa::path(delete, path = "/v1/email-accounts/{id}", tag = "Email accounts", operation_id = "deleteEmailAccount",
    params(("id" = String, Path, pattern = "^acc_[A-Za-z0-9]{20}$", description = "Email account id")),
    responses(
        (status = 200, description = "Deleted.", body = Envelope<DeletedResponse>),
        (status = 409, description = "An active or paused campaign uses the account (`CONFLICT`; `details.campaigns` counts them).", body = crate::api::envelope::ErrorEnvelope)))]
pub async fn delete(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = account_id(&path)?;
    let deleted = id.to_string();
    state
        .write(tenant.check(), move |conn| {
            db::email_accounts::delete(conn, &tenant.0, &id)
        })
        .await?;
    Ok(envelope::ok(DeletedResponse {
        id: deleted,
        deleted: true,
    }))
}

/// Test the account's servers: connects and authenticates to SMTP (and IMAP when set) and
/// reports the step that failed. Records the outcome as `status`/`lastError`. A sandbox
/// account's SMTP passes without any network.
#[utoipa::path(post, path = "/v1/email-accounts/{id}/test", tag = "Email accounts", operation_id = "testEmailAccount",
    params(("id" = String, Path, pattern = "^acc_[A-Za-z0-9]{20}$", description = "Email account id")),
    responses((status = 200, description = "The outcome of each check (a failed check is still a 200).", body = Envelope<TestResponse>)))]
pub async fn test(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = account_id(&path)?;
    let secrets = state.secret_box.clone();
    let (workspace, key_id) = (tenant.0.clone(), id.clone());
    let settings = state
        .read(tenant.check(), move |conn| {
            db::email_accounts::load_for_test(conn, &workspace, &key_id, &secrets)
        })
        .await?;
    // No database work while the network checks run.
    let hello_name = settings
        .email
        .rsplit_once('@')
        .map_or("localhost", |(_, domain)| domain)
        .to_owned();
    let smtp = if settings.smtp.is_sandbox() {
        Ok(())
    } else {
        match smtp::connect(&settings.smtp, &hello_name, TEST_TIMEOUT).await {
            Ok(mut connection) => {
                let _ = connection.quit().await;
                Ok(())
            }
            Err(error) => Err(error),
        }
    };
    let imap = match &settings.imap {
        Some(imap) => Some(smtp::test_imap(imap, TEST_TIMEOUT).await),
        None => None,
    };
    let failures: Vec<String> = [("SMTP", Some(&smtp)), ("IMAP", imap.as_ref())]
        .into_iter()
        .filter_map(|(name, result)| match result {
            Some(Err(error)) => Some(format!("{name} {}: {}", error.step.as_str(), error.message)),
            _ => None,
        })
        .collect();
    tracing::info!(email_account_id = %id, ok = failures.is_empty(), "email account connection test");
    let (status, last_error) = if failures.is_empty() {
        (AccountStatus::Active, None)
    } else {
        (AccountStatus::Error, Some(failures.join("; ")))
    };
    let seq = settings.seq;
    state
        .write(tenant.check(), move |conn| {
            // The account may have been deleted (and its row number reused) meanwhile.
            if db::email_accounts::seq_of(conn, &tenant.0, &id)? == seq {
                db::email_accounts::set_status(conn, seq, status, last_error.as_deref(), &now())?;
            }
            Ok(())
        })
        .await?;
    let response = TestResponse {
        smtp: CheckResponse::from(&smtp),
        imap: imap.as_ref().map(CheckResponse::from),
        ok: smtp.is_ok() && imap.as_ref().is_none_or(Result::is_ok),
    };
    Ok(envelope::ok(response))
}
