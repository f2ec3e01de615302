//! The embedded pages (`static/`, through rust-embed): the API reference at `/docs`, the sandbox
//! mailbox at `/sandbox`; and the health probes.

use crate::api::AppState;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use rust_embed::RustEmbed;
use serde_json::json;

/// Files under `static/`, compiled into the binary.
#[derive(RustEmbed)]
#[folder = "static/"]
struct Assets;

fn serve(path: &str) -> HttpResponse {
    match Assets::get(path) {
        Some(file) => {
            let mime = file.metadata.mimetype().to_owned();
            let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..8]));
            HttpResponse::Ok()
                .insert_header((header::CONTENT_TYPE, mime))
                .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
                .insert_header((header::ETAG, etag))
                .body(file.data.into_owned())
        }
        None => HttpResponse::NotFound()
            .content_type("application/json")
            .body(crate::api::error::error_body("NOT_FOUND", "No such file", None).to_string()),
    }
}

/// `GET /docs`: the API reference page.
pub async fn index() -> HttpResponse {
    serve("docs/index.html")
}

/// `GET /docs/{file}`: the page's scripts, styles and images.
pub async fn asset(path: web::Path<String>) -> HttpResponse {
    let file = path.into_inner();
    if file.is_empty() {
        return serve("docs/index.html");
    }
    serve(&format!("docs/{file}"))
}

/// `GET /sandbox`: the sandbox mailbox viewer.
pub async fn sandbox_index() -> HttpResponse {
    serve("sandbox/index.html")
}

/// `GET /sandbox/{file}`: the viewer's script and styles.
pub async fn sandbox_asset(path: web::Path<String>) -> HttpResponse {
    let file = path.into_inner();
    if file.is_empty() {
        return serve("sandbox/index.html");
    }
    serve(&format!("sandbox/{file}"))
}

/// `GET /healthz`: the process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.db.is_ready().await {
        HttpResponse::Ok().json(json!({ "status": "ready" }))
    } else {
        HttpResponse::ServiceUnavailable().json(crate::api::error::error_body(
            "INTERNAL_ERROR",
            "The database is not reachable",
            None,
        ))
    }
}
