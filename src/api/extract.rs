//! Extractor settings that turn JSON, query and payload errors into the error envelope, and the
//! `Tenant` extractor that gives handlers the caller's workspace.

use crate::api::error::ApiError;
use crate::domain::ids::{ApiKeyId, WorkspaceId};
use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PayloadError, QueryPayloadError};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use serde_json::json;
use std::future::{ready, Ready};
use std::sync::Arc;

/// Identity set by the authentication middleware.
#[derive(Debug, Clone)]
pub struct AuthContext {
    /// The key used.
    pub key_id: ApiKeyId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// What the request's database work must re-check.
    pub check: KeyCheck,
}

/// A key identity that came from the in-memory cache must be confirmed inside the request's own
/// database work, so a revocation (even from another process) takes effect on the next request
/// without costing a separate database round trip.
#[derive(Debug, Clone)]
pub struct KeyCheck(Option<Arc<Vec<u8>>>);

impl KeyCheck {
    /// Nothing to re-check: the middleware read the key from the database for this request.
    pub fn verified() -> Self {
        Self(None)
    }

    /// The key with this hash must be confirmed.
    pub fn pending(key_hash: Arc<Vec<u8>>) -> Self {
        Self(Some(key_hash))
    }

    /// Confirms the key, or fails with `Unauthenticated`.
    pub fn verify(&self, conn: &rusqlite::Connection) -> Result<(), crate::error::Error> {
        match &self.0 {
            None => Ok(()),
            Some(hash) if crate::db::api_keys::is_active(conn, hash)? => Ok(()),
            Some(_) => Err(crate::error::Error::Unauthenticated),
        }
    }
}

/// The caller's workspace; every handler scopes its work by it.
#[derive(Debug, Clone)]
pub struct Tenant(pub WorkspaceId, KeyCheck);

impl Tenant {
    /// The key check to pass to [`crate::api::AppState::read`] / `write`.
    pub fn check(&self) -> KeyCheck {
        self.1.clone()
    }
}

impl FromRequest for Tenant {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<AuthContext>()
                .map(|auth| Tenant(auth.workspace_id.clone(), auth.check.clone()))
                .ok_or(ApiError::Unauthorized),
        )
    }
}

/// Explains a serde error in the client's terms.
pub fn describe_json_error(error: &serde_json::Error) -> ApiError {
    let text = error.to_string();
    if error.is_syntax() || error.is_eof() {
        return ApiError::validation(format!("Malformed JSON: {text}"));
    }
    if let Some(field) = backticked(&text, "missing field `") {
        return ApiError::invalid(&field, format!("{field} is required"));
    }
    if let Some(field) = backticked(&text, "unknown field `") {
        return ApiError::invalid(&field, format!("Unknown field `{field}`"));
    }
    ApiError::validation(format!("Invalid request body: {text}"))
}

fn backticked(text: &str, prefix: &str) -> Option<String> {
    let rest = text.split(prefix).nth(1)?;
    Some(rest.split('`').next()?.to_owned())
}

fn json_error(error: JsonPayloadError) -> ApiError {
    match error {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => ApiError::PayloadTooLarge(limit),
        JsonPayloadError::ContentType => {
            ApiError::invalid("Content-Type", "Content-Type must be application/json")
        }
        JsonPayloadError::Deserialize(error) => describe_json_error(&error),
        JsonPayloadError::Payload(PayloadError::Overflow) => ApiError::PayloadTooLarge(0),
        JsonPayloadError::Payload(error) => {
            ApiError::validation(format!("Could not read the request body: {error}"))
        }
        other => ApiError::validation(format!("Invalid request body: {other}")),
    }
}

fn query_error(error: QueryPayloadError) -> ApiError {
    let text = match &error {
        QueryPayloadError::Deserialize(inner) => inner.to_string(),
        other => other.to_string(),
    };
    if let Some(field) = backticked(&text, "unknown field `") {
        return ApiError::Domain(crate::error::Error::Validation {
            message: format!("Unknown query parameter `{field}`"),
            details: Some(json!({ "parameter": field })),
        });
    }
    if let Some(field) = backticked(&text, "duplicate field `") {
        return ApiError::Domain(crate::error::Error::Validation {
            message: format!("Query parameter `{field}` is given more than once"),
            details: Some(json!({ "parameter": field })),
        });
    }
    ApiError::validation(format!("Invalid query parameter: {text}"))
}

/// JSON bodies: size limit, content type required, errors in the envelope.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|error, _| json_error(error).into())
}

/// Query strings: errors in the envelope.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _| query_error(error).into())
}

/// Path segments: a malformed segment is an unknown resource.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, _| ApiError::RouteNotFound.into())
}

/// Parses a query string strictly (unknown or repeated parameters are errors); used where a
/// handler needs the raw string, such as CSV import.
pub fn parse_query<T: serde::de::DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    serde_urlencoded::from_str(query)
        .map_err(|error| query_error(QueryPayloadError::Deserialize(error)))
}

/// An optional JSON integer that also accepts an integral float (`587.0`), as JSON Schema's
/// `integer` does; anything else is a type error naming the value.
pub fn optional_integer<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    use serde::Deserialize;
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else {
        return Ok(None);
    };
    if let Some(value) = number.as_i64() {
        return Ok(Some(value));
    }
    number
        .as_f64()
        .filter(|value| value.fract() == 0.0 && value.abs() < 9.0e15)
        .map(|value| Some(value as i64))
        .ok_or_else(|| serde::de::Error::custom(format!("{number} is not an integer")))
}
