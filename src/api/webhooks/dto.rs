//! Request and response bodies of the webhook endpoints.

use crate::api::contacts::dto::double_option;
use crate::api::contacts::query::OrderDto;
use crate::domain::webhook::{DeliveryLog, DeliveryStatus, Webhook, WebhookStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Whether a webhook receives deliveries.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebhookStatusDto {
    /// Events are delivered.
    Active,
    /// Switched off by the user: events are not delivered to it.
    Disabled,
    /// Switched off by the server after deliveries kept failing; set it `active` again.
    Failed,
}

impl From<WebhookStatus> for WebhookStatusDto {
    fn from(value: WebhookStatus) -> Self {
        match value {
            WebhookStatus::Active => Self::Active,
            WebhookStatus::Disabled => Self::Disabled,
            WebhookStatus::Failed => Self::Failed,
        }
    }
}

impl From<WebhookStatusDto> for WebhookStatus {
    fn from(value: WebhookStatusDto) -> Self {
        match value {
            WebhookStatusDto::Active => Self::Active,
            WebhookStatusDto::Disabled => Self::Disabled,
            WebhookStatusDto::Failed => Self::Failed,
        }
    }
}

/// The statuses a client may set.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebhookStatusInput {
    /// Deliver events (also revives a `failed` webhook).
    Active,
    /// Stop delivering events.
    Disabled,
}

/// A webhook subscription (the secret is never returned after create).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"id": "whk_0Q2w3E4r5T6y7U8i9O0p", "url": "https://hooks.example.com/fluenzr", "events": ["email.opened", "email.clicked"], "status": "active", "description": "CRM sync", "createdAt": "2025-01-15T10:30:00Z", "updatedAt": "2025-01-15T10:30:00Z"}))]
pub struct WebhookResponse {
    /// Webhook id (`whk_…`).
    pub id: String,
    /// Where events are POSTed.
    pub url: String,
    /// Subscribed event types, or `["*"]` for all.
    pub events: Vec<String>,
    /// Delivery status.
    pub status: WebhookStatusDto,
    /// Description.
    pub description: Option<String>,
    /// Creation time.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Last change.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Webhook> for WebhookResponse {
    fn from(webhook: Webhook) -> Self {
        Self {
            id: webhook.id.to_string(),
            url: webhook.url,
            events: webhook.events.names().to_vec(),
            status: webhook.status.into(),
            description: webhook.description,
            created_at: webhook.created_at,
            updated_at: webhook.updated_at,
        }
    }
}

/// A webhook just created, with its signing secret: the only answer that ever shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"id": "whk_0Q2w3E4r5T6y7U8i9O0p", "url": "https://hooks.example.com/fluenzr", "events": ["*"], "status": "active", "description": null, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw0Q4ODCu2tfU=", "createdAt": "2025-01-15T10:30:00Z", "updatedAt": "2025-01-15T10:30:00Z"}))]
pub struct CreatedWebhookResponse {
    /// Webhook id (`whk_…`).
    pub id: String,
    /// Where events are POSTed.
    pub url: String,
    /// Subscribed event types, or `["*"]` for all.
    pub events: Vec<String>,
    /// Delivery status.
    pub status: WebhookStatusDto,
    /// Description.
    pub description: Option<String>,
    /// The signing secret (the one given, or a generated `whsec_…`): store it now, it is
    /// never shown again.
    pub secret: String,
    /// Creation time.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Last change.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// Body of `POST /v1/webhooks`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"url": "https://hooks.example.com/fluenzr", "events": ["email.opened", "email.clicked", "email.replied"], "description": "CRM sync"}))]
pub struct CreateWebhookRequest {
    /// Absolute `http` or `https` URL (at most 2048 characters); hosts that resolve to
    /// loopback, private, link-local or metadata addresses are refused unless the server
    /// allows them (`FLUENZR_WEBHOOK_ALLOW_PRIVATE`).
    #[serde(default)]
    #[schema(required = true, format = "uri", min_length = 1, max_length = 2048)]
    pub url: String,
    /// Event types to receive (unknown names are refused), or `["*"]` for all.
    #[schema(required = true, schema_with = crate::api::openapi::campaign_schemas::webhook_events)]
    pub events: Option<Vec<String>>,
    /// Description (at most 1000 characters, one line).
    #[schema(max_length = 1000, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub description: Option<String>,
    /// Signing secret, 16 to 512 printable ASCII characters; generated (`whsec_…`) when
    /// omitted.
    #[schema(
        min_length = 16,
        max_length = 512,
        pattern = r"^[\x20-\x7e]*$",
        write_only
    )]
    pub secret: Option<String>,
}

/// Body of `PUT /v1/webhooks/{id}`: only given fields change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"events": ["*"], "status": "active", "secret": "a-new-shared-secret-0123"}))]
pub struct UpdateWebhookRequest {
    /// New URL (checked like at create).
    #[schema(format = "uri", min_length = 1, max_length = 2048)]
    pub url: Option<String>,
    /// New subscription.
    #[schema(schema_with = crate::api::openapi::campaign_schemas::webhook_events_update)]
    pub events: Option<Vec<String>>,
    /// `active` or `disabled`.
    pub status: Option<WebhookStatusInput>,
    /// New signing secret (16 to 512 printable ASCII characters); never returned.
    #[schema(
        min_length = 16,
        max_length = 512,
        pattern = r"^[\x20-\x7e]*$",
        write_only
    )]
    pub secret: Option<String>,
    /// New description (`null` clears it).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 1000, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub description: Option<Option<String>>,
}

/// Fields webhooks can be sorted by.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum WebhookSortDto {
    /// Creation time (default).
    CreatedAt,
    /// Last change.
    UpdatedAt,
    /// URL.
    Url,
}

/// Query of `GET /v1/webhooks`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct WebhookListQuery {
    /// Page number (default 1).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    /// Items per page (default 20, at most 100).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
    /// Sort field (default `createdAt`).
    pub sort: Option<WebhookSortDto>,
    /// Sort order (default `desc`).
    pub order: Option<OrderDto>,
    /// Status.
    pub status: Option<WebhookStatusDto>,
}

/// State of a delivery attempt.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatusDto {
    /// Waiting for its time.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Failed; a later attempt is scheduled.
    Retrying,
    /// Failed for good (a 4xx, or the last attempt).
    Failed,
}

impl From<DeliveryStatus> for DeliveryStatusDto {
    fn from(value: DeliveryStatus) -> Self {
        match value {
            DeliveryStatus::Pending => Self::Pending,
            DeliveryStatus::Delivered => Self::Delivered,
            DeliveryStatus::Retrying => Self::Retrying,
            DeliveryStatus::Failed => Self::Failed,
        }
    }
}

impl From<DeliveryStatusDto> for DeliveryStatus {
    fn from(value: DeliveryStatusDto) -> Self {
        match value {
            DeliveryStatusDto::Pending => Self::Pending,
            DeliveryStatusDto::Delivered => Self::Delivered,
            DeliveryStatusDto::Retrying => Self::Retrying,
            DeliveryStatusDto::Failed => Self::Failed,
        }
    }
}

/// Query of `GET /v1/webhooks/{id}/logs`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct DeliveryLogQuery {
    /// Page number (default 1).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    /// Items per page (default 20, at most 100).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
    /// Only attempts in this state.
    pub status: Option<DeliveryStatusDto>,
}

/// One delivery attempt of one event.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"id": "log_0Q2w3E4r5T6y7U8i9O0p", "eventId": "evt_0Q2w3E4r5T6y7U8i9O0q", "eventType": "email.opened", "status": "retrying", "statusCode": 503, "responseTime": 112, "attempt": 1, "error": "HTTP 503", "timestamp": "2025-01-15T10:30:00Z"}))]
pub struct DeliveryLogResponse {
    /// Attempt id (`log_…`).
    pub id: String,
    /// Event id (`evt_…`), the same in every attempt (and the `id` of the payload).
    pub event_id: String,
    /// Event type.
    pub event_type: String,
    /// State.
    pub status: DeliveryStatusDto,
    /// HTTP status of the receiver's answer, null when none came.
    pub status_code: Option<u16>,
    /// Milliseconds until the answer or the failure.
    pub response_time: Option<u64>,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// Why the attempt failed.
    pub error: Option<String>,
    /// When it was tried, or when it is due while `pending`.
    #[schema(format = DateTime)]
    pub timestamp: String,
}

impl From<DeliveryLog> for DeliveryLogResponse {
    fn from(log: DeliveryLog) -> Self {
        Self {
            id: log.id.to_string(),
            event_id: log.event_id.to_string(),
            event_type: log.event_type,
            status: log.status.into(),
            status_code: log.status_code,
            response_time: log.response_time_ms,
            attempt: log.attempt,
            error: log.error,
            timestamp: log.timestamp,
        }
    }
}
