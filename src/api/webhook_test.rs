//! `POST /v1/webhooks/{id}/test`: sends a signed `webhook.test` event to one webhook right away
//! and answers its delivery log entry.

use crate::api::envelope::{self, Envelope};
use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::Tenant;
use crate::api::AppState;
use crate::domain::ids::WebhookId;
use crate::error::Error;
use crate::webhooks::dispatcher::store::{self, LogEntry};
use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

/// One delivery attempt of an event to a webhook.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"id": "log_0Ab3Cd5Ef7Gh9Ij1Kl3M", "eventId": "evt_0Ab3Cd5Ef7Gh9Ij1Kl3N", "eventType": "webhook.test", "status": "delivered", "statusCode": 200, "responseTime": 42, "attempt": 1, "error": null, "timestamp": "2025-01-15T10:30:00Z"}))]
pub struct WebhookLogResponse {
    /// Log entry id (`log_…`), one per attempt.
    pub id: String,
    /// The event (`evt_…`): the same for every attempt of an event.
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// `pending`, `delivered`, `retrying` (a later attempt is scheduled) or `failed`.
    pub status: String,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i64>,
    /// Milliseconds the attempt took.
    pub response_time: Option<i64>,
    /// 1 for the first attempt.
    pub attempt: i64,
    /// Why the attempt did not succeed.
    pub error: Option<String>,
    /// When the attempt was made.
    pub timestamp: String,
}

impl From<LogEntry> for WebhookLogResponse {
    fn from(entry: LogEntry) -> Self {
        Self {
            id: entry.id,
            event_id: entry.event_id,
            event_type: entry.event_type,
            status: entry.status,
            status_code: entry.status_code,
            response_time: entry.response_time_ms,
            attempt: entry.attempt,
            error: entry.error,
            timestamp: entry.timestamp,
        }
    }
}

/// Send a test event: a signed `webhook.test` event (`data: {webhookId, message}`) is delivered
/// to this webhook now, whatever events it subscribes to, and its delivery log entry returned.
/// A receiver that fails it is retried like any other event.
#[utoipa::path(post, path = "/v1/webhooks/{id}/test", tag = "Webhooks", operation_id = "testWebhook",
    params(("id" = String, Path, pattern = "^whk_[A-Za-z0-9]{20}$", description = "Webhook id")),
    responses((status = 200, description = "The attempt's log entry (a failed delivery is still a 200).", body = Envelope<WebhookLogResponse>)))]
pub async fn test(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = WebhookId::parse(&path).ok_or(ApiError::Domain(Error::NotFound("Webhook")))?;
    let now = chrono::Utc::now();
    let dispatcher = state.dispatcher.clone();
    let workspace = tenant.0.clone();
    let (seq, webhook_seq) = state
        .write(tenant.check(), move |conn| {
            let created = store::create_test_event(conn, &workspace, &id, now)?
                .ok_or(Error::NotFound("Webhook"))?;
            // Taken before the commit, so the background loop never sends it a second time.
            dispatcher.take(created.0, created.1);
            Ok(created)
        })
        .await?;
    let entry = state
        .dispatcher
        .deliver_taken(seq, webhook_seq, now)
        .await?
        .ok_or(ApiError::Domain(Error::NotFound("Webhook")))?;
    Ok(envelope::ok(WebhookLogResponse::from(entry)))
}
