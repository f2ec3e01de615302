//! `/v1/sandbox/messages`: the mail sandbox email accounts kept instead of sending it.

use crate::api::envelope::{self, Envelope, ListEnvelope};
use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::Tenant;
use crate::api::AppState;
use crate::db;
use crate::db::sandbox::{SandboxMessage, SandboxSummary};
use crate::domain::ids::SandboxMessageId;
use crate::domain::listing::PageRequest;
use crate::domain::mail_headers;
use crate::error::Error;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A kept message, as listed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"id": "msg_0Qx7Lm2Nb8Vc4Zs6Ad1F", "messageId": "cmp_Xy.node_1.con_8f@mail.example.com", "from": "founder@example.com", "to": "ada@example.com", "subject": "Quick question, Ada", "createdAt": "2025-01-15T10:30:00Z"}))]
pub struct SandboxSummaryResponse {
    /// Id (`msg_…`).
    pub id: String,
    /// The `Message-ID` header, without angle brackets.
    pub message_id: String,
    /// Envelope sender.
    pub from: String,
    /// Envelope recipient(s).
    pub to: String,
    /// Subject.
    pub subject: String,
    /// When it was kept.
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<SandboxSummary> for SandboxSummaryResponse {
    fn from(m: SandboxSummary) -> Self {
        Self {
            id: m.id.to_string(),
            message_id: m.message_id,
            from: m.mail_from,
            to: m.rcpt_to,
            subject: m.subject,
            created_at: m.created_at,
        }
    }
}

/// One header of a kept message (folded lines joined).
#[derive(Debug, Serialize, ToSchema)]
pub struct HeaderResponse {
    /// Header name as written.
    pub name: String,
    /// Unfolded value.
    pub value: String,
}

/// A kept message with its content.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"id": "msg_0Qx7Lm2Nb8Vc4Zs6Ad1F", "messageId": "cmp_Xy.node_1.con_8f@mail.example.com", "from": "founder@example.com", "to": "ada@example.com", "subject": "Quick question, Ada", "createdAt": "2025-01-15T10:30:00Z", "headers": [{"name": "Subject", "value": "Quick question, Ada"}], "html": "<p>Hi Ada,</p>", "text": "Hi Ada,", "raw": "Subject: Quick question, Ada\r\n\r\nHi Ada,"}))]
pub struct SandboxMessageResponse {
    /// Id (`msg_…`).
    pub id: String,
    /// The `Message-ID` header, without angle brackets.
    pub message_id: String,
    /// Envelope sender.
    pub from: String,
    /// Envelope recipient(s).
    pub to: String,
    /// Subject.
    pub subject: String,
    /// When it was kept.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The header block, in order.
    pub headers: Vec<HeaderResponse>,
    /// The HTML part.
    pub html: String,
    /// The plain-text part.
    pub text: String,
    /// The whole message as it would have gone over SMTP (invalid UTF-8 replaced).
    pub raw: String,
}

impl From<SandboxMessage> for SandboxMessageResponse {
    fn from(m: SandboxMessage) -> Self {
        let headers = mail_headers::parse(&m.raw)
            .into_iter()
            .map(|(name, value)| HeaderResponse { name, value })
            .collect();
        let summary = SandboxSummaryResponse::from(m.summary);
        Self {
            id: summary.id,
            message_id: summary.message_id,
            from: summary.from,
            to: summary.to,
            subject: summary.subject,
            created_at: summary.created_at,
            headers,
            html: m.html,
            text: m.text,
            raw: String::from_utf8_lossy(&m.raw).into_owned(),
        }
    }
}

/// How many messages were deleted.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"deleted": 12}))]
pub struct ClearedResponse {
    /// Messages deleted.
    pub deleted: u64,
}

/// Query of `GET /v1/sandbox/messages`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SandboxListQuery {
    /// Page number (default 1).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    /// Items per page (default 20, at most 100).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
}

/// List the workspace's sandbox messages, newest first.
#[utoipa::path(get, path = "/v1/sandbox/messages", tag = "Sandbox", operation_id = "listSandboxMessages",
    params(SandboxListQuery),
    responses((status = 200, description = "A page of kept messages.", body = ListEnvelope<SandboxSummaryResponse>)))]
pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    query: web::Query<SandboxListQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let page = PageRequest::parse(query.page, query.per_page)?;
    let result = state
        .read(tenant.check(), move |conn| {
            db::sandbox::list(conn, &tenant.0, page)
        })
        .await?;
    Ok(envelope::page(result, page, SandboxSummaryResponse::from))
}

/// Get a sandbox message with its headers, HTML, text and raw source.
#[utoipa::path(get, path = "/v1/sandbox/messages/{id}", tag = "Sandbox", operation_id = "getSandboxMessage",
    params(("id" = String, Path, pattern = "^msg_[A-Za-z0-9]{20}$", description = "Message id (`msg_…`)")),
    responses((status = 200, description = "The message.", body = Envelope<SandboxMessageResponse>)))]
pub async fn get(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = SandboxMessageId::parse(&path)
        .ok_or(ApiError::Domain(Error::NotFound("Sandbox message")))?;
    let message = state
        .read(tenant.check(), move |conn| {
            db::sandbox::require(conn, &tenant.0, &id)
        })
        .await?;
    Ok(envelope::ok(SandboxMessageResponse::from(message)))
}

/// Delete every sandbox message of the workspace.
#[utoipa::path(delete, path = "/v1/sandbox/messages", tag = "Sandbox", operation_id = "clearSandboxMessages",
    responses((status = 200, description = "How many messages were deleted.", body = Envelope<ClearedResponse>)))]
pub async fn clear(state: web::Data<AppState>, tenant: Tenant) -> ApiResult<HttpResponse> {
    let deleted = state
        .write(tenant.check(), move |conn| {
            db::sandbox::clear(conn, &tenant.0)
        })
        .await?;
    Ok(envelope::ok(ClearedResponse { deleted }))
}
