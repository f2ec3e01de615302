//! App-wide middleware: panics become a 500 envelope, and any error response that is not
//! already JSON (unknown routes, framework errors) is rewritten into the envelope, except the
//! HTML pages the public tracking endpoints answer on purpose.

use crate::api::error::{error_body, ApiError};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;

/// Turns a panic anywhere below into `500 INTERNAL_ERROR`.
pub async fn catch_panics(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // The request must not be cloned before routing (actix needs sole ownership to fill in the
    // path match), so a panic becomes an `Err` that actix renders through `ApiError`.
    let path = req.path().to_owned();
    match AssertUnwindSafe(async move { next.call(req).await })
        .catch_unwind()
        .await
    {
        Ok(result) => result.map(ServiceResponse::map_into_boxed_body),
        Err(_) => {
            tracing::error!(%path, "a request handler panicked");
            Err(
                ApiError::Domain(crate::error::Error::Internal(anyhow::anyhow!(
                    "handler panicked"
                )))
                .into(),
            )
        }
    }
}

fn is_json_or_page(response: &HttpResponse) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value.starts_with("application/json") || value.starts_with("text/html")
        })
}

fn envelope_for(status: StatusCode) -> serde_json::Value {
    let (code, message) = match status {
        StatusCode::BAD_REQUEST => ("VALIDATION_ERROR", "Invalid request"),
        StatusCode::UNAUTHORIZED => ("UNAUTHORIZED", "Invalid or missing API key"),
        StatusCode::FORBIDDEN => ("FORBIDDEN", "Forbidden"),
        StatusCode::NOT_FOUND => ("NOT_FOUND", "No route matches this path"),
        StatusCode::METHOD_NOT_ALLOWED => ("METHOD_NOT_ALLOWED", "Method not allowed on this path"),
        StatusCode::PAYLOAD_TOO_LARGE => ("PAYLOAD_TOO_LARGE", "Request body is too large"),
        StatusCode::TOO_MANY_REQUESTS => ("RATE_LIMIT_EXCEEDED", "Rate limit exceeded"),
        StatusCode::CONFLICT => ("CONFLICT", "Conflict"),
        status if status.is_client_error() => ("VALIDATION_ERROR", "Invalid request"),
        _ => ("INTERNAL_ERROR", "Internal server error"),
    };
    error_body(code, message, None)
}

/// Rewrites non-JSON error responses into the error envelope, keeping status and headers.
pub async fn normalize_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let response = next.call(req).await?.map_into_boxed_body();
    let status = response.status();
    if status.as_u16() < 400 || is_json_or_page(response.response()) {
        return Ok(response);
    }
    Ok(response.map_body(|head, _| {
        head.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        head.headers_mut().remove(header::CONTENT_LENGTH);
        BoxBody::new(envelope_for(status).to_string())
    }))
}
