//! Authentication (`Authorization: Bearer flz_sk_…`), the Pro-plan gate, per-IP throttling of
//! failed attempts, and the per-key rate limit (actix-governor) with its `X-RateLimit-*` headers.
//!
//! The quota is a token bucket (GCRA): a key may burst up to the per-minute limit, and the bucket
//! refills continuously at limit/60 per second. `X-RateLimit-Reset` is when it is full again.

use crate::api::error::{error_body, ApiError};
use crate::api::extract::{AuthContext, KeyCheck};
use crate::api::AppState;
use crate::db::api_keys;
use crate::domain::api_key;
use crate::domain::ids::ApiKeyId;
use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::StateInformationMiddleware;
use actix_governor::governor::{NotUntil, Quota, RateLimiter};
use actix_governor::{GovernorConfig, GovernorConfigBuilder, KeyExtractor};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpResponse, HttpResponseBuilder, ResponseError};
use governor::state::keyed::DefaultKeyedStateStore;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The per-key rate limit configuration shared by all workers.
pub type RateLimitConfig = GovernorConfig<ApiKeyExtractor, StateInformationMiddleware>;
/// Failed authentications per client IP.
pub type IpLimiter =
    RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock, StateInformationMiddleware>;

const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// How often a key's `last_used_at` is written at most.
const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// Most keys kept in the authentication cache.
const KEY_CACHE_CAPACITY: usize = 10_000;

/// A key identity remembered by hash.
#[derive(Debug, Clone)]
pub struct CachedIdentity {
    key_id: ApiKeyId,
    workspace_id: crate::domain::ids::WorkspaceId,
}

/// Rate-limits by the authenticated key's id (never by IP).
#[derive(Debug, Clone, Copy)]
pub struct ApiKeyExtractor;

fn ceil_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

impl KeyExtractor for ApiKeyExtractor {
    type Key = ApiKeyId;
    type KeyExtractionError = ApiError;

    fn extract(&self, req: &ServiceRequest) -> Result<ApiKeyId, ApiError> {
        req.extensions()
            .get::<AuthContext>()
            .map(|auth| auth.key_id.clone())
            .ok_or(ApiError::Unauthorized)
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        mut response: HttpResponseBuilder,
    ) -> HttpResponse {
        let seconds = ceil_seconds(negative.wait_time_from(DefaultClock::default().now()));
        let (code, message) = (
            "RATE_LIMIT_EXCEEDED",
            format!("Rate limit exceeded, retry in {seconds} seconds"),
        );
        response
            .insert_header((header::RETRY_AFTER, seconds.to_string()))
            .insert_header(("x-ratelimit-after", seconds.to_string()))
            .json(error_body(
                code,
                &message,
                Some(serde_json::json!({ "retryAfter": seconds })),
            ))
    }
}

/// `limit` requests per minute per key, as a burst of `limit` refilled continuously.
pub fn rate_limit_config(limit: u32) -> RateLimitConfig {
    let limit = limit.max(1);
    GovernorConfigBuilder::default()
        .key_extractor(ApiKeyExtractor)
        .nanoseconds_per_request((60_000_000_000u64 / u64::from(limit)).max(1))
        .burst_size(limit)
        .use_headers()
        .finish()
        .expect("limit and period are non-zero")
}

/// The failed-authentication limiter.
pub fn ip_limiter(per_minute: u32) -> IpLimiter {
    let per_minute = NonZeroU32::new(per_minute.max(1)).expect("non-zero");
    RateLimiter::keyed(Quota::per_minute(per_minute))
        .with_middleware::<StateInformationMiddleware>()
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// Seconds until a bucket of `limit` with `remaining` left is full again.
fn reset_at(limit: u64, remaining: u64) -> i64 {
    let used = limit.saturating_sub(remaining);
    let seconds = (used * 60).div_ceil(limit.max(1));
    chrono::Utc::now().timestamp() + seconds as i64
}

fn set_headers(headers: &mut HeaderMap, limit: u64, remaining: u64) {
    let mut put = |name: HeaderName, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    put(LIMIT, limit.to_string());
    put(REMAINING, remaining.to_string());
    put(RESET, reset_at(limit, remaining).to_string());
}

fn header_number(headers: &HeaderMap, name: &HeaderName) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.parse().ok()
}

fn respond(
    req: ServiceRequest,
    error: ApiError,
    limit: u64,
    remaining: u64,
) -> ServiceResponse<BoxBody> {
    let mut response = error.error_response();
    set_headers(response.headers_mut(), limit, remaining);
    req.into_response(response)
}

impl AppState {
    fn touch_key(&self, key_id: &ApiKeyId) {
        let now = Instant::now();
        let due = {
            let mut touches = self
                .key_touches
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            let due = touches
                .get(key_id)
                .is_none_or(|last| now.duration_since(*last) >= TOUCH_INTERVAL);
            if due {
                touches.insert(key_id.clone(), now);
            }
            due
        };
        if due {
            let key_id = key_id.clone();
            let stamp = crate::domain::time::format(chrono::Utc::now());
            self.db
                .write_detached(move |conn| api_keys::touch(conn, &key_id, &stamp));
        }
    }
}

fn refuse(req: ServiceRequest, state: &AppState) -> ServiceResponse<BoxBody> {
    let failures_limit = u64::from(state.config.auth_failures_per_minute);
    let ip = req
        .peer_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |addr| addr.ip());
    match state.auth_failures.check_key(&ip) {
        Ok(snapshot) => respond(
            req,
            ApiError::Unauthorized,
            failures_limit,
            u64::from(snapshot.remaining_burst_capacity()),
        ),
        Err(negative) => {
            let seconds = ceil_seconds(negative.wait_time_from(DefaultClock::default().now()));
            respond(req, ApiError::RateLimited(seconds), failures_limit, 0)
        }
    }
}

impl AppState {
    fn cached_identity(&self, hash: &[u8]) -> Option<CachedIdentity> {
        self.key_cache
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .get(hash)
            .cloned()
    }

    fn remember_identity(&self, hash: &[u8], identity: &CachedIdentity) {
        let mut cache = self
            .key_cache
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if cache.len() >= KEY_CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(hash.to_vec(), identity.clone());
    }

    fn forget_identity(&self, hash: &[u8]) {
        self.key_cache
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .remove(hash);
    }
}

/// Authenticates `/v1` requests and finishes the rate-limit headers of every answer.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(req.into_response(
            ApiError::Domain(crate::error::Error::Internal(anyhow::anyhow!("no state")))
                .error_response(),
        ));
    };
    let limit = u64::from(state.config.rate_limit_per_minute);
    let token = bearer_token(req.headers()).filter(|token| api_key::is_well_formed(token));
    let key_hash = token
        .as_deref()
        .map(|token| Arc::new(api_key::hash_secret(token)));
    let cached = key_hash
        .as_ref()
        .and_then(|hash| state.cached_identity(hash));
    let (identity, check) = match (cached, &key_hash) {
        (Some(identity), Some(hash)) => (identity, KeyCheck::pending(hash.clone())),
        (_, Some(hash)) => {
            let token = token.unwrap_or_default();
            match state
                .db
                .read(move |conn| api_keys::authenticate(conn, &token))
                .await
            {
                Err(error) => return Ok(respond(req, error.into(), limit, limit)),
                Ok(Some(found)) if !found.plan.has_api_access() => {
                    return Ok(respond(
                        req,
                        ApiError::Forbidden("API access requires Pro plan".to_owned()),
                        limit,
                        limit,
                    ));
                }
                Ok(Some(found)) => {
                    let identity = CachedIdentity {
                        key_id: found.key_id,
                        workspace_id: found.workspace_id,
                    };
                    state.remember_identity(hash, &identity);
                    (identity, KeyCheck::verified())
                }
                Ok(None) => return Ok(refuse(req, &state)),
            }
        }
        (_, None) => return Ok(refuse(req, &state)),
    };
    state.touch_key(&identity.key_id);
    req.extensions_mut().insert(AuthContext {
        key_id: identity.key_id,
        workspace_id: identity.workspace_id,
        check,
    });
    let mut response = next.call(req).await?.map_into_boxed_body();
    if response.status() == actix_web::http::StatusCode::UNAUTHORIZED {
        // The key was revoked since it was cached.
        if let Some(hash) = &key_hash {
            state.forget_identity(hash);
        }
    }
    let headers = response.headers_mut();
    let limit = header_number(headers, &LIMIT).unwrap_or(limit);
    let remaining = header_number(headers, &REMAINING).unwrap_or(0);
    set_headers(headers, limit, remaining);
    Ok(response)
}
