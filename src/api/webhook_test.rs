//! `POST /v1/webhooks/{id}/test`: sends a signed `webhook.test` event to one webhook right away
//! and answers its delivery log entry.

use crate::api::envelope::{self, Envelope};
use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::Tenant;
use crate::api::webhooks::dto::DeliveryLogResponse;
use crate::api::AppState;
use crate::domain::ids::WebhookId;
use crate::domain::webhook::DeliveryStatus;
use crate::error::Error;
use crate::webhooks::dispatcher::store::{self, LogEntry};
use actix_web::{web, HttpResponse};

/// The log entry of the test delivery, in the shape `GET /v1/webhooks/{id}/logs` lists.
fn log_response(entry: LogEntry) -> Result<DeliveryLogResponse, ApiError> {
    let status = DeliveryStatus::parse(&entry.status).ok_or_else(|| {
        ApiError::Domain(Error::Internal(anyhow::anyhow!(
            "unknown delivery status {:?}",
            entry.status
        )))
    })?;
    Ok(DeliveryLogResponse {
        id: entry.id,
        event_id: entry.event_id,
        event_type: entry.event_type,
        status: status.into(),
        status_code: entry.status_code.and_then(|code| u16::try_from(code).ok()),
        response_time: entry.response_time_ms.and_then(|ms| u64::try_from(ms).ok()),
        attempt: u32::try_from(entry.attempt).unwrap_or(u32::MAX),
        error: entry.error,
        timestamp: entry.timestamp,
    })
}

/// Send a test event: a signed `webhook.test` event (`data: {webhookId, message}`) is delivered
/// to this webhook now, whatever events it subscribes to, and its delivery log entry returned.
/// A receiver that fails it is retried like any other event.
#[utoipa::path(post, path = "/v1/webhooks/{id}/test", tag = "Webhooks", operation_id = "testWebhook",
    params(("id" = String, Path, pattern = "^whk_[A-Za-z0-9]{20}$", description = "Webhook id")),
    responses((status = 200, description = "The attempt's log entry (a failed delivery is still a 200).", body = Envelope<DeliveryLogResponse>)))]
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
    Ok(envelope::ok(log_response(entry)?))
}
