//! The HTTP layer: the route table, shared state, and one module per resource.

pub mod auth;
pub mod campaign_stats;
pub mod campaigns;
pub mod contacts;
pub mod docs;
pub mod email_accounts;
pub mod envelope;
pub mod error;
pub mod extract;
pub mod groups;
pub mod idempotency;
pub mod middleware;
pub mod openapi;
pub mod pipeline_stages;
pub mod sandbox;
pub mod sdk_docs;
pub mod tracking;
pub mod webhook_test;
pub mod webhooks;

use crate::config::Config;
use crate::db::Database;
use crate::domain::ids::{ApiKeyId, WorkspaceId};
use crate::secret::SecretBox;
use actix_web::{web, HttpResponse, Resource};
use error::ApiError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Serialises the requests carrying one Idempotency-Key.
type IdempotencyLock = Arc<tokio::sync::Mutex<()>>;

/// State shared by every worker.
pub struct AppState {
    /// The database.
    pub db: Database,
    /// The configuration.
    pub config: Arc<Config>,
    /// Per-key request quota (actix-governor).
    pub rate_limit: auth::RateLimitConfig,
    /// Per-IP quota of failed authentications.
    pub auth_failures: auth::IpLimiter,
    /// Seals and opens stored SMTP/IMAP passwords (key derived from `config.secret_key`).
    pub secret_box: Arc<SecretBox>,
    /// Wakes the sender when a campaign starts or gains contacts.
    pub sender: crate::sender::SenderHandle,
    /// Wakes the webhook dispatcher after writes that emit events, and sends test events.
    pub dispatcher: crate::webhooks::DispatcherHandle,
    /// When each key's `last_used_at` was last written by this process.
    key_touches: Mutex<HashMap<ApiKeyId, Instant>>,
    /// Recently authenticated keys by hash (re-checked inside each request's database work).
    key_cache: Mutex<HashMap<Vec<u8>, auth::CachedIdentity>>,
    /// One lock per (workspace, Idempotency-Key) in flight, so duplicates run once.
    idempotency_locks: Mutex<HashMap<(WorkspaceId, String), IdempotencyLock>>,
}

impl AppState {
    /// Builds the state; the rate limiters live here so all workers share them.
    pub fn new(db: Database, config: Arc<Config>) -> Self {
        Self {
            rate_limit: auth::rate_limit_config(config.rate_limit_per_minute),
            auth_failures: auth::ip_limiter(config.auth_failures_per_minute),
            secret_box: Arc::new(SecretBox::new(&config.secret_key)),
            sender: crate::sender::SenderHandle::default(),
            dispatcher: crate::webhooks::DispatcherHandle::default(),
            db,
            config,
            key_touches: Mutex::new(HashMap::new()),
            key_cache: Mutex::new(HashMap::new()),
            idempotency_locks: Mutex::new(HashMap::new()),
        }
    }
}

impl AppState {
    /// Runs a read for a request: confirms its key, then does `work`, in one blocking call.
    pub async fn read<T, F>(
        &self,
        check: extract::KeyCheck,
        work: F,
    ) -> Result<T, crate::error::Error>
    where
        F: FnOnce(&rusqlite::Connection) -> Result<T, crate::error::Error> + Send + 'static,
        T: Send + 'static,
    {
        self.db
            .read(move |conn| {
                check.verify(conn)?;
                work(conn)
            })
            .await
    }

    /// Runs a write for a request: confirms its key, then does `work`, on the writer.
    pub async fn write<T, F>(
        &self,
        check: extract::KeyCheck,
        work: F,
    ) -> Result<T, crate::error::Error>
    where
        F: FnOnce(&rusqlite::Connection) -> Result<T, crate::error::Error> + Send + 'static,
        T: Send + 'static,
    {
        self.db
            .write(move |conn| {
                check.verify(conn)?;
                work(conn)
            })
            .await
    }
}

/// A resource whose unsupported methods answer 405 with an `Allow` header.
fn resource(path: &str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move || async move {
        Err::<HttpResponse, ApiError>(ApiError::MethodNotAllowed(allow))
    }))
}

async fn route_not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::RouteNotFound)
}

async fn panic_for_tests() -> HttpResponse {
    panic!("deliberate panic from the test route");
}

/// The whole route table.
pub fn configure(cfg: &mut web::ServiceConfig, state: &web::Data<AppState>) {
    let config = &state.config;
    cfg.app_data(extract::json_config(config.max_body_bytes))
        .app_data(extract::query_config())
        .app_data(extract::path_config())
        .service(resource("/healthz", "GET").route(web::get().to(docs::healthz)))
        .service(resource("/readyz", "GET").route(web::get().to(docs::readyz)))
        .service(resource("/docs", "GET").route(web::get().to(docs::index)))
        .service(resource("/docs/", "GET").route(web::get().to(docs::index)))
        .service(resource("/docs/sdks", "GET").route(web::get().to(sdk_docs::index)))
        .service(resource("/docs/sdks/", "GET").route(web::get().to(sdk_docs::index)))
        .service(resource("/docs/sdks/{sdk}", "GET").route(web::get().to(sdk_docs::guide)))
        .service(resource("/docs/{file:.*}", "GET").route(web::get().to(docs::asset)))
        .service(resource("/sandbox", "GET").route(web::get().to(docs::sandbox_index)))
        .service(resource("/sandbox/", "GET").route(web::get().to(docs::sandbox_index)))
        .service(resource("/sandbox/{file:.*}", "GET").route(web::get().to(docs::sandbox_asset)))
        .service(resource("/t/o/{token}", "GET").route(web::get().to(tracking::open)))
        .service(resource("/t/c/{token}", "GET").route(web::get().to(tracking::click)))
        .service(
            resource("/u/{token}", "GET, POST")
                .route(web::get().to(tracking::preferences))
                .route(web::post().to(tracking::update_preferences)),
        )
        .service(resource("/v1/openapi.json", "GET").route(web::get().to(openapi::document)));
    let mut v1 = web::scope("/v1")
        .service(
            resource("/contacts", "GET, POST")
                .route(web::get().to(contacts::list))
                .route(web::post().to(contacts::create)),
        )
        .service(resource("/contacts/bulk", "POST").route(web::post().to(contacts::bulk::bulk)))
        .service(resource("/contacts/search", "POST").route(web::post().to(contacts::bulk::search)))
        .service(resource("/contacts/import", "POST").route(web::post().to(contacts::csv::import)))
        .service(resource("/contacts/export", "GET").route(web::get().to(contacts::csv::export)))
        .service(
            resource("/contacts/{id}", "GET, PUT, DELETE")
                .route(web::get().to(contacts::get))
                .route(web::put().to(contacts::update))
                .route(web::delete().to(contacts::delete)),
        )
        .service(
            resource("/contacts/{id}/groups", "POST, DELETE")
                .route(web::post().to(contacts::add_groups))
                .route(web::delete().to(contacts::remove_groups)),
        )
        .service(
            resource("/contacts/{id}/tags", "POST, DELETE")
                .route(web::post().to(contacts::add_tags))
                .route(web::delete().to(contacts::remove_tags)),
        )
        .service(
            resource("/groups", "GET, POST")
                .route(web::get().to(groups::list))
                .route(web::post().to(groups::create)),
        )
        .service(
            resource("/groups/{id}", "GET, PUT, DELETE")
                .route(web::get().to(groups::get))
                .route(web::put().to(groups::update))
                .route(web::delete().to(groups::delete)),
        )
        .service(
            resource("/groups/{id}/contacts", "GET, POST, DELETE")
                .route(web::get().to(groups::members))
                .route(web::post().to(groups::add_members))
                .route(web::delete().to(groups::remove_members)),
        )
        .service(
            resource("/email-accounts", "GET, POST")
                .route(web::get().to(email_accounts::list))
                .route(web::post().to(email_accounts::create)),
        )
        .service(
            resource("/email-accounts/{id}", "GET, PUT, DELETE")
                .route(web::get().to(email_accounts::get))
                .route(web::put().to(email_accounts::update))
                .route(web::delete().to(email_accounts::delete)),
        )
        .service(
            resource("/email-accounts/{id}/test", "POST")
                .route(web::post().to(email_accounts::test)),
        )
        .service(
            resource("/campaigns", "GET, POST")
                .route(web::get().to(campaigns::list))
                .route(web::post().to(campaigns::create)),
        )
        .service(
            resource("/campaigns/{id}", "GET, PUT, DELETE")
                .route(web::get().to(campaigns::get))
                .route(web::put().to(campaigns::update))
                .route(web::delete().to(campaigns::delete)),
        )
        .service(resource("/campaigns/{id}/start", "POST").route(web::post().to(campaigns::start)))
        .service(resource("/campaigns/{id}/pause", "POST").route(web::post().to(campaigns::pause)))
        .service(
            resource("/campaigns/{id}/resume", "POST").route(web::post().to(campaigns::resume)),
        )
        .service(
            resource("/campaigns/{id}/archive", "POST").route(web::post().to(campaigns::archive)),
        )
        .service(
            resource("/campaigns/{id}/preview", "GET")
                .route(web::get().to(campaigns::preview::preview)),
        )
        .service(
            resource("/campaigns/{id}/forecast", "GET")
                .route(web::get().to(campaigns::preview::forecast)),
        )
        .service(
            resource("/campaigns/{id}/contacts", "GET, POST, DELETE")
                .route(web::get().to(campaigns::contacts::list))
                .route(web::post().to(campaigns::contacts::add))
                .route(web::delete().to(campaigns::contacts::remove)),
        )
        .service(
            resource("/campaigns/{id}/stats", "GET").route(web::get().to(campaign_stats::stats)),
        )
        .service(
            resource("/campaigns/{id}/stats/emails", "GET")
                .route(web::get().to(campaign_stats::emails)),
        )
        .service(
            resource("/campaigns/{id}/stats/timeline", "GET")
                .route(web::get().to(campaign_stats::timeline)),
        )
        .service(
            resource("/campaigns/{id}/activity", "GET")
                .route(web::get().to(campaign_stats::activity)),
        )
        .service(
            resource("/sandbox/messages", "GET, DELETE")
                .route(web::get().to(sandbox::list))
                .route(web::delete().to(sandbox::clear)),
        )
        .service(resource("/sandbox/messages/{id}", "GET").route(web::get().to(sandbox::get)))
        .service(resource("/pipeline-stages", "GET").route(web::get().to(pipeline_stages::list)))
        .service(
            resource("/webhooks", "GET, POST")
                .route(web::get().to(webhooks::list))
                .route(web::post().to(webhooks::create)),
        )
        .service(
            resource("/webhooks/{id}", "GET, PUT, DELETE")
                .route(web::get().to(webhooks::get))
                .route(web::put().to(webhooks::update))
                .route(web::delete().to(webhooks::delete)),
        )
        .service(resource("/webhooks/{id}/logs", "GET").route(web::get().to(webhooks::logs)))
        .service(resource("/webhooks/{id}/test", "POST").route(web::post().to(webhook_test::test)));
    if config.enable_test_routes {
        v1 = v1.service(web::resource("/_test/panic").route(web::get().to(panic_for_tests)));
    }
    cfg.service(
        v1.default_service(web::to(route_not_found))
            .wrap(actix_governor::Governor::new(&state.rate_limit))
            .wrap(actix_web::middleware::from_fn(idempotency::idempotency))
            .wrap(actix_web::middleware::from_fn(auth::authenticate)),
    )
    .default_service(web::to(route_not_found));
}
