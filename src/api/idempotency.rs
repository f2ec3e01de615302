//! `Idempotency-Key` on POST: the first successful response is stored for 24 hours and replayed
//! (with `Idempotent-Replayed: true`) for a retry carrying the same body; the same key with another
//! body or path is a conflict. Keys are per workspace; concurrent duplicates wait for the first.

use crate::api::error::ApiError;
use crate::api::extract::AuthContext;
use crate::api::AppState;
use crate::db::idempotency::{self as store, StoredResponse};
use crate::domain::api_key::hashes_match;
use crate::domain::ids::WorkspaceId;
use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpResponse, ResponseError};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

type BoxedStream = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = Result<bytes::Bytes, actix_web::error::PayloadError>>>,
>;

/// Longest accepted key.
const MAX_KEY_LEN: usize = 255;

fn parse_key(raw: &header::HeaderValue) -> Result<String, ApiError> {
    let key = raw.to_str().map(str::trim).unwrap_or("");
    if key.is_empty()
        || key.len() > MAX_KEY_LEN
        || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return Err(ApiError::invalid(
            "Idempotency-Key",
            "Idempotency-Key must be 1 to 255 printable ASCII characters",
        ));
    }
    Ok(key.to_owned())
}

impl AppState {
    fn idempotency_lock(&self, workspace: &WorkspaceId, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .idempotency_locks
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        locks
            .entry((workspace.clone(), key.to_owned()))
            .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(())))
            .clone()
    }
}

async fn hash_payload(payload: Payload, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut hasher = Sha256::new();
    let mut size = 0usize;
    let mut payload = payload;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| {
            ApiError::validation(format!("Could not read the request body: {error}"))
        })?;
        size += chunk.len();
        if size > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        hasher.update(&chunk);
    }
    Ok(hasher.finalize().to_vec())
}

fn set_remaining(response: &mut HttpResponse, limit: u32, remaining: u32) {
    let headers = response.headers_mut();
    headers.insert(
        header::HeaderName::from_static("x-ratelimit-limit"),
        header::HeaderValue::from(limit),
    );
    headers.insert(
        header::HeaderName::from_static("x-ratelimit-remaining"),
        header::HeaderValue::from(remaining),
    );
}

fn replay(stored: StoredResponse) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK))
        .insert_header((header::CONTENT_TYPE, stored.content_type))
        .insert_header(("Idempotent-Replayed", "true"))
        .body(stored.body)
}

/// The middleware; a no-op for requests without the header or other than POST.
pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let header_value = req.headers().get("Idempotency-Key").cloned();
    let auth = req.extensions().get::<AuthContext>().cloned();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (Some(raw), Some(auth), Some(state), true) =
        (header_value, auth, state, req.method() == Method::POST)
    else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let key = match parse_key(&raw) {
        Ok(key) => key,
        Err(error) => return Ok(req.into_response(error.error_response())),
    };
    let workspace = auth.workspace_id;
    let lock = state.idempotency_lock(&workspace, &key);
    let _guard = lock.lock().await;
    let method = req.method().to_string();
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path().to_owned(), |pq| pq.as_str().to_owned());
    let now = chrono::Utc::now().timestamp();
    let lookup = {
        let (workspace, key) = (workspace.clone(), key.clone());
        state
            .db
            .read(move |conn| store::find(conn, &workspace, &key, now))
            .await
    };
    let limit = state
        .config
        .max_import_bytes
        .max(state.config.max_body_bytes);
    match lookup {
        Err(error) => return Ok(req.into_response(ApiError::from(error).error_response())),
        Ok(Some(stored)) => {
            let hash = match hash_payload(req.take_payload(), limit).await {
                Ok(hash) => hash,
                Err(error) => return Ok(req.into_response(error.error_response())),
            };
            let same = stored.method == method
                && stored.path == path
                && hashes_match(&stored.request_hash, &hash);
            // A replay never reaches the rate limiter below this middleware, so it is counted here.
            let snapshot = match state.rate_limit.limiter().check_key(&auth.key_id) {
                Ok(snapshot) => snapshot,
                Err(limited) => {
                    let wait = limited.wait_time_from(governor::clock::Clock::now(
                        &governor::clock::DefaultClock::default(),
                    ));
                    let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
                    let mut response = ApiError::RateLimited(seconds).error_response();
                    set_remaining(&mut response, limited.quota().burst_size().get(), 0);
                    return Ok(req.into_response(response));
                }
            };
            let mut response = if same {
                replay(stored)
            } else {
                ApiError::Domain(crate::error::Error::Conflict {
                    message: "This Idempotency-Key was already used with a different request"
                        .to_owned(),
                    details: Some(serde_json::json!({ "header": "Idempotency-Key" })),
                })
                .error_response()
            };
            set_remaining(
                &mut response,
                snapshot.quota().burst_size().get(),
                snapshot.remaining_burst_capacity(),
            );
            return Ok(req.into_response(response));
        }
        Ok(None) => {}
    }
    let hasher = Arc::new(Mutex::new(Sha256::new()));
    let tee_hasher = hasher.clone();
    let teed = req.take_payload().map(move |chunk| {
        if let Ok(bytes) = &chunk {
            tee_hasher
                .lock()
                .unwrap_or_else(|poison| poison.into_inner())
                .update(bytes);
        }
        chunk
    });
    req.set_payload(Payload::from(Box::pin(teed) as BoxedStream));
    let response = next.call(req).await?;
    if !response.status().is_success() {
        return Ok(response.map_into_boxed_body());
    }
    let (request, response) = response.into_parts();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    let mut rebuilt = HttpResponse::build(status);
    for (name, value) in response.headers() {
        rebuilt.append_header((name.clone(), value.clone()));
    }
    let bytes = body::to_bytes(response.into_body())
        .await
        .map_err(|_| actix_web::error::ErrorInternalServerError("reading response body"))?;
    let request_hash = hasher
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
        .clone()
        .finalize()
        .to_vec();
    let record = StoredResponse {
        method,
        path,
        request_hash,
        status: status.as_u16(),
        content_type,
        body: bytes.to_vec(),
    };
    if let Err(error) = state
        .db
        .write(move |conn| store::store(conn, &workspace, &key, &record, now))
        .await
    {
        tracing::warn!(%error, "could not store an idempotent response");
    }
    Ok(ServiceResponse::new(request, rebuilt.body(bytes)))
}
