//! `ApiError`: every error the HTTP layer answers, in the spec's envelope.

use crate::error::Error;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Value};
use std::fmt;

/// An error answered to a client.
#[derive(Debug)]
pub enum ApiError {
    /// A domain error (validation, not found, conflict, internal).
    Domain(Error),
    /// Missing, malformed, unknown or revoked key.
    Unauthorized,
    /// Plan or permission refuses the call.
    Forbidden(String),
    /// Body over the limit.
    PayloadTooLarge(usize),
    /// Quota exceeded; retry after this many seconds.
    RateLimited(u64),
    /// No route for this path.
    RouteNotFound,
    /// The path exists but not with this method.
    MethodNotAllowed(&'static str),
}

impl ApiError {
    /// A 400 about one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Domain(Error::invalid(field, message))
    }

    /// A 400 without a field.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::Domain(Error::Validation {
            message: message.into(),
            details: None,
        })
    }

    /// The `error.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Domain(Error::Validation { .. }) => "VALIDATION_ERROR",
            Self::Domain(Error::NotFound(_) | Error::UnknownReference { .. })
            | Self::RouteNotFound => "NOT_FOUND",
            Self::Domain(Error::Conflict { .. }) => "CONFLICT",
            Self::Domain(Error::Internal(_)) => "INTERNAL_ERROR",
            Self::Unauthorized | Self::Domain(Error::Unauthenticated) => "UNAUTHORIZED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::PayloadTooLarge(_) => "PAYLOAD_TOO_LARGE",
            Self::RateLimited(_) => "RATE_LIMIT_EXCEEDED",
            Self::MethodNotAllowed(_) => "METHOD_NOT_ALLOWED",
        }
    }

    fn message_and_details(&self) -> (String, Option<Value>) {
        match self {
            Self::Domain(Error::Validation { message, details }) => {
                (message.clone(), details.clone())
            }
            Self::Domain(Error::NotFound(what)) => (format!("{what} not found"), None),
            Self::Domain(
                Error::Conflict { message, details } | Error::UnknownReference { message, details },
            ) => (message.clone(), details.clone()),
            Self::Domain(Error::Internal(_)) => ("Internal server error".to_owned(), None),
            Self::Unauthorized | Self::Domain(Error::Unauthenticated) => {
                ("Invalid or missing API key".to_owned(), None)
            }
            Self::Forbidden(message) => (message.clone(), None),
            Self::PayloadTooLarge(limit) => (
                format!("Request body is larger than the limit of {limit} bytes"),
                Some(json!({ "limit": limit })),
            ),
            Self::RateLimited(seconds) => (
                format!("Rate limit exceeded, retry in {seconds} seconds"),
                Some(json!({ "retryAfter": seconds })),
            ),
            Self::RouteNotFound => ("No route matches this path".to_owned(), None),
            Self::MethodNotAllowed(allow) => (
                "Method not allowed on this path".to_owned(),
                Some(json!({ "allow": allow })),
            ),
        }
    }
}

/// The error envelope body.
pub fn error_body(code: &str, message: &str, details: Option<Value>) -> Value {
    let mut error = json!({ "code": code, "message": message });
    if let Some(details) = details {
        error["details"] = details;
    }
    json!({ "success": false, "error": error })
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (message, _) = self.message_and_details();
        write!(f, "{}: {message}", self.code())
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        Self::Domain(error)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Domain(Error::Validation { .. }) => StatusCode::BAD_REQUEST,
            Self::Domain(Error::NotFound(_) | Error::UnknownReference { .. })
            | Self::RouteNotFound => StatusCode::NOT_FOUND,
            Self::Domain(Error::Conflict { .. }) => StatusCode::CONFLICT,
            Self::Domain(Error::Internal(_)) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unauthorized | Self::Domain(Error::Unauthenticated) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Domain(Error::Internal(cause)) = self {
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        let (message, details) = self.message_and_details();
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::RateLimited(seconds) => {
                response.insert_header((header::RETRY_AFTER, seconds.to_string()));
            }
            Self::MethodNotAllowed(allow) => {
                response.insert_header((header::ALLOW, *allow));
            }
            Self::Unauthorized | Self::Domain(Error::Unauthenticated) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        response.json(error_body(self.code(), &message, details))
    }
}

/// Handler result.
pub type ApiResult<T> = Result<T, ApiError>;
