//! `/v1/webhooks`: CRUD of webhook subscriptions (the secret is shown once, by create) and
//! their delivery logs.

pub mod dto;

use crate::api::contacts::dto::DeletedResponse;
use crate::api::envelope::{self, Envelope, ListEnvelope};
use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::Tenant;
use crate::api::AppState;
use crate::db;
use crate::db::webhooks::WebhookSortField;
use crate::domain::ids::WebhookId;
use crate::domain::listing::PageRequest;
use crate::domain::webhook::{
    self as webhook, NewWebhook, WebhookChanges, WebhookEvents, WebhookSecret, WebhookStatus,
};
use crate::error::Error;
use crate::webhooks::outbox::EVENT_TYPES;
use actix_web::{web, HttpResponse};
use dto::*;
use std::time::Duration;

fn webhook_id(raw: &str) -> ApiResult<WebhookId> {
    WebhookId::parse(raw).ok_or(ApiError::Domain(Error::NotFound("Webhook")))
}

fn now() -> String {
    crate::domain::time::format(chrono::Utc::now())
}

fn events(raw: &[String]) -> Result<WebhookEvents, Error> {
    WebhookEvents::parse(raw, &EVENT_TYPES)
}

fn description(raw: Option<String>) -> Result<Option<String>, Error> {
    raw.map_or(Ok(None), |raw| webhook::parse_description(&raw))
}

/// Parses a URL and asks the URL guard whether it may be delivered to; the guard may resolve
/// the host, so it runs on the blocking pool.
async fn checked_url(state: &AppState, raw: &str) -> ApiResult<url::Url> {
    let parsed = webhook::parse_url(raw)?;
    let allow_private = state.config.webhook_allow_private;
    let checked =
        web::block(move || crate::webhooks::url_guard::check_url(parsed.as_str(), allow_private))
            .await
            .map_err(|error| Error::Internal(anyhow::anyhow!("URL guard task failed: {error}")))?;
    let url =
        checked.map_err(|reason| ApiError::invalid("url", format!("url is refused: {reason}")))?;
    // A host name is resolved now too, and refused when it points at a forbidden address. A
    // name that cannot be resolved right now is accepted: delivery resolves and vets it again.
    if let (Some(url::Host::Domain(host)), Some(port)) = (url.host(), url.port_or_known_default()) {
        let lookup = tokio::net::lookup_host((host.to_owned(), port));
        if let Ok(Ok(addresses)) = tokio::time::timeout(Duration::from_secs(2), lookup).await {
            crate::webhooks::url_guard::vet(host, addresses.collect(), allow_private)
                .map_err(|reason| ApiError::invalid("url", format!("url is refused: {reason}")))?;
        }
    }
    Ok(url)
}

/// List webhooks.
#[utoipa::path(get, path = "/v1/webhooks", tag = "Webhooks", operation_id = "listWebhooks",
    params(WebhookListQuery),
    responses((status = 200, description = "A page of webhooks (secrets are never returned).", body = ListEnvelope<WebhookResponse>)))]
pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    query: web::Query<WebhookListQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let page = PageRequest::parse(query.page, query.per_page)?;
    let field = match query.sort {
        None | Some(WebhookSortDto::CreatedAt) => WebhookSortField::CreatedAt,
        Some(WebhookSortDto::UpdatedAt) => WebhookSortField::UpdatedAt,
        Some(WebhookSortDto::Url) => WebhookSortField::Url,
    };
    let order = query.order.map(Into::into).unwrap_or_default();
    let status = query.status.map(Into::into);
    let result = state
        .read(tenant.check(), move |conn| {
            db::webhooks::list(conn, &tenant.0, status, (field, order), page)
        })
        .await?;
    Ok(envelope::page(result, page, WebhookResponse::from))
}

/// Create a webhook. `url` and `events` are required; the answer is the only one that shows
/// the signing secret.
#[utoipa::path(post, path = "/v1/webhooks", tag = "Webhooks", operation_id = "createWebhook",
    request_body = CreateWebhookRequest,
    responses((status = 201, description = "The created webhook with its secret (shown only here).", body = Envelope<CreatedWebhookResponse>)))]
pub async fn create(
    state: web::Data<AppState>,
    tenant: Tenant,
    body: web::Json<CreateWebhookRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    webhook::parse_url(&body.url)?;
    let Some(raw_events) = body.events else {
        return Err(ApiError::invalid("events", "events is required"));
    };
    let events = events(&raw_events)?;
    let secret = body
        .secret
        .as_deref()
        .map_or_else(|| Ok(WebhookSecret::generate()), WebhookSecret::parse)?;
    let description = description(body.description)?;
    let url = checked_url(&state, &body.url).await?;
    let new = NewWebhook {
        url,
        events,
        description,
        secret,
    };
    let secrets = state.secret_box.clone();
    let (created, secret) = state
        .write(tenant.check(), move |conn| {
            let id = db::webhooks::insert(conn, &tenant.0, &new, &secrets, &now())?;
            Ok((db::webhooks::require(conn, &tenant.0, &id)?, new.secret))
        })
        .await?;
    let created = WebhookResponse::from(created);
    Ok(envelope::created(CreatedWebhookResponse {
        id: created.id,
        url: created.url,
        events: created.events,
        status: created.status,
        description: created.description,
        secret: secret.expose().to_owned(),
        created_at: created.created_at,
        updated_at: created.updated_at,
    }))
}

/// Get a webhook (without its secret).
#[utoipa::path(get, path = "/v1/webhooks/{id}", tag = "Webhooks", operation_id = "getWebhook",
    params(("id" = String, Path, pattern = "^whk_[A-Za-z0-9]{20}$", description = "Webhook id (`whk_…`)")),
    responses((status = 200, description = "The webhook.", body = Envelope<WebhookResponse>)))]
pub async fn get(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = webhook_id(&path)?;
    let found = state
        .read(tenant.check(), move |conn| {
            db::webhooks::require(conn, &tenant.0, &id)
        })
        .await?;
    Ok(envelope::ok(WebhookResponse::from(found)))
}

/// Update a webhook (partial): `url`, `events`, `status` (`active` or `disabled`), `secret`,
/// `description`. A `failed` webhook delivers again once set `active`.
#[utoipa::path(put, path = "/v1/webhooks/{id}", tag = "Webhooks", operation_id = "updateWebhook",
    params(("id" = String, Path, pattern = "^whk_[A-Za-z0-9]{20}$", description = "Webhook id")),
    request_body = UpdateWebhookRequest,
    responses((status = 200, description = "The updated webhook (the secret is not returned).", body = Envelope<WebhookResponse>)))]
pub async fn update(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    body: web::Json<UpdateWebhookRequest>,
) -> ApiResult<HttpResponse> {
    let id = webhook_id(&path)?;
    let body = body.into_inner();
    let mut changes = WebhookChanges {
        url: None,
        events: body.events.as_deref().map(events).transpose()?,
        status: body.status.map(|status| match status {
            WebhookStatusInput::Active => WebhookStatus::Active,
            WebhookStatusInput::Disabled => WebhookStatus::Disabled,
        }),
        secret: body
            .secret
            .as_deref()
            .map(WebhookSecret::parse)
            .transpose()?,
        description: body.description.map(description).transpose()?,
    };
    if let Some(raw) = &body.url {
        changes.url = Some(checked_url(&state, raw).await?);
    }
    let secrets = state.secret_box.clone();
    let updated = state
        .write(tenant.check(), move |conn| {
            db::webhooks::update(conn, &tenant.0, &id, &changes, &secrets, &now())?;
            db::webhooks::require(conn, &tenant.0, &id)
        })
        .await?;
    Ok(envelope::ok(WebhookResponse::from(updated)))
}

/// Delete a webhook with its delivery logs; pending deliveries are dropped.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "Webhooks", operation_id = "deleteWebhook",
    params(("id" = String, Path, pattern = "^whk_[A-Za-z0-9]{20}$", description = "Webhook id")),
    responses((status = 200, description = "Deleted.", body = Envelope<DeletedResponse>)))]
pub async fn delete(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = webhook_id(&path)?;
    let deleted = id.to_string();
    state
        .write(tenant.check(), move |conn| {
            db::webhooks::delete(conn, &tenant.0, &id)
        })
        .await?;
    Ok(envelope::ok(DeletedResponse {
        id: deleted,
        deleted: true,
    }))
}

/// List a webhook's delivery attempts, newest first; each retry of an event is its own entry
/// with the same `eventId`.
#[utoipa::path(get, path = "/v1/webhooks/{id}/logs", tag = "Webhooks", operation_id = "listWebhookLogs",
    params(("id" = String, Path, pattern = "^whk_[A-Za-z0-9]{20}$", description = "Webhook id"), DeliveryLogQuery),
    responses((status = 200, description = "A page of delivery attempts.", body = ListEnvelope<DeliveryLogResponse>)))]
pub async fn logs(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    query: web::Query<DeliveryLogQuery>,
) -> ApiResult<HttpResponse> {
    let id = webhook_id(&path)?;
    let query = query.into_inner();
    let page = PageRequest::parse(query.page, query.per_page)?;
    let status = query.status.map(Into::into);
    let result = state
        .read(tenant.check(), move |conn| {
            db::webhooks::logs(conn, &tenant.0, &id, status, page)
        })
        .await?;
    Ok(envelope::page(result, page, DeliveryLogResponse::from))
}
