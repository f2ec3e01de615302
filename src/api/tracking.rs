//! The public tracking endpoints (no API key, outside `/v1`): the open pixel `/t/o/{token}`, the
//! click redirect `/t/c/{token}.{index}` and the preferences page `/u/{token}` (unsubscribe, stop
//! tracking, RFC 8058 one-click unsubscribe). Unknown tokens never reveal which tokens exist.

use crate::api::AppState;
use crate::db;
use crate::db::tracking::{Preferences, Visitor};
use crate::domain::tracking::{self, TRANSPARENT_GIF};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

/// Longest user agent kept with full tracking.
const MAX_USER_AGENT: usize = 512;

fn visitor(state: &AppState, req: &HttpRequest) -> Option<Visitor> {
    if !state.config.tracking_full {
        return None;
    }
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(|agent| agent.chars().take(MAX_USER_AGENT).collect());
    Some(Visitor {
        ip: req
            .connection_info()
            .realip_remote_addr()
            .map(str::to_owned),
        user_agent,
    })
}

fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

fn now_text() -> String {
    crate::domain::time::format(chrono::Utc::now())
}

fn pixel() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "image/gif"))
        .insert_header((header::CACHE_CONTROL, "no-store, private"))
        .body(TRANSPARENT_GIF.to_vec())
}

/// `GET /t/o/{token}`: the 1×1 GIF, always; records the open when the token is known.
pub async fn open(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let token = path.into_inner();
    if !tracking::is_plausible_token(&token) {
        return pixel();
    }
    let lookup = token.clone();
    match state
        .db
        .read(move |conn| db::tracking::is_tracked(conn, &lookup))
        .await
    {
        Ok(true) => {}
        Ok(false) => return pixel(),
        Err(error) => {
            tracing::warn!(%error, "looking up an open failed");
            return pixel();
        }
    }
    let visitor = visitor(&state, &req);
    let now = now_unix();
    if let Err(error) = state
        .db
        .write(move |conn| db::tracking::record_open(conn, &token, now, visitor.as_ref()))
        .await
    {
        tracing::warn!(%error, "recording an open failed");
    }
    pixel()
}

/// `GET /t/c/{token}.{index}`: 302 to the message's link at that index; 404 page otherwise.
pub async fn click(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let raw = path.into_inner();
    let Some((token, index)) = tracking::parse_click_token(&raw) else {
        return not_found();
    };
    let token = token.to_owned();
    let lookup = token.clone();
    let (url, tracked) = match state
        .db
        .read(move |conn| db::tracking::link(conn, &lookup, index))
        .await
    {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(),
        Err(error) => {
            tracing::warn!(%error, "looking up a click failed");
            return page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "<p>This link could not be opened right now. Please try again later.</p>",
            );
        }
    };
    if tracked {
        let visitor = visitor(&state, &req);
        let now = now_unix();
        // A failure to record must not keep the reader from the link.
        if let Err(error) = state
            .db
            .write(move |conn| {
                db::tracking::record_click(conn, &token, index, now, visitor.as_ref())
            })
            .await
        {
            tracing::warn!(%error, "recording a click failed");
        }
    }
    HttpResponse::Found()
        .insert_header((header::LOCATION, tracking::location_header(&url)))
        .insert_header((header::CACHE_CONTROL, "no-store, private"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .finish()
}

/// `GET /u/{token}`: the preferences page of the contact the message went to.
pub async fn preferences(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let token = path.into_inner();
    if !tracking::is_plausible_token(&token) {
        return not_found();
    }
    match state
        .db
        .read(move |conn| db::tracking::preferences(conn, &token))
        .await
    {
        Ok(Some(preferences)) => preferences_page(&preferences, None),
        Ok(None) => not_found(),
        Err(error) => failed(&error),
    }
}

/// What a POST to `/u/{token}` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Request {
    OneClick,
    Unsubscribe,
    StopTracking,
}

/// Reads the form: RFC 8058's `List-Unsubscribe=One-Click` (form-encoded, or multipart as the
/// RFC also allows), or `action=unsubscribe|stop-tracking` from the page's own buttons.
fn parse_request(req: &HttpRequest, body: &[u8]) -> Option<Request> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let text = String::from_utf8_lossy(body);
        return (text.contains("name=\"List-Unsubscribe\"") && text.contains("One-Click"))
            .then_some(Request::OneClick);
    }
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    let value = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    if value("List-Unsubscribe") == Some("One-Click") {
        return Some(Request::OneClick);
    }
    match value("action") {
        Some("unsubscribe") => Some(Request::Unsubscribe),
        Some("stop-tracking") => Some(Request::StopTracking),
        _ => None,
    }
}

/// `POST /u/{token}`: one-click unsubscribe (RFC 8058), or a button of the preferences page.
pub async fn update_preferences(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let token = path.into_inner();
    if !tracking::is_plausible_token(&token) {
        return not_found();
    }
    let Some(request) = parse_request(&req, &body) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Unrecognised request",
            "<p>Use one of the buttons of the preferences page.</p>",
        );
    };
    let (now, now_unix) = (now_text(), now_unix());
    let outcome = state
        .db
        .write(move |conn| {
            let before = db::tracking::preferences(conn, &token)?;
            let after = match request {
                Request::OneClick => {
                    db::tracking::unsubscribe(conn, &token, "one-click", &now, now_unix)
                }
                Request::Unsubscribe => {
                    db::tracking::unsubscribe(conn, &token, "page", &now, now_unix)
                }
                Request::StopTracking => db::tracking::stop_tracking(conn, &token, &now),
            }?;
            if let Some(changed) = after.as_ref().filter(|_| after != before) {
                let contact =
                    db::contacts::require(conn, &changed.workspace_id, &changed.contact_id)?;
                crate::api::contacts::emit_contact(
                    conn,
                    &changed.workspace_id,
                    "contact.updated",
                    &contact,
                )?;
            }
            Ok(after)
        })
        .await;
    match outcome {
        Ok(Some(_)) if request == Request::OneClick => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body("You have been unsubscribed.\n"),
        Ok(Some(preferences)) => {
            let notice = match request {
                Request::StopTracking => {
                    "We will no longer track when you open our emails or click their links."
                }
                _ => "You have been unsubscribed. You will not receive any more emails from us.",
            };
            preferences_page(&preferences, Some(notice))
        }
        Ok(None) => not_found(),
        Err(error) => failed(&error),
    }
}

fn failed(error: &crate::error::Error) -> HttpResponse {
    tracing::warn!(%error, "a preferences request failed");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "<p>Your request could not be handled right now. Please try again later.</p>",
    )
}

fn not_found() -> HttpResponse {
    page(
        StatusCode::NOT_FOUND,
        "Link not found",
        "<p>This link is not valid, or it has expired.</p>",
    )
}

/// Escapes text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn preferences_page(preferences: &Preferences, notice: Option<&str>) -> HttpResponse {
    let mut body = String::new();
    if let Some(notice) = notice {
        body.push_str(&format!(
            "<p class=\"notice\" role=\"status\">{}</p>",
            escape(notice)
        ));
    }
    body.push_str(&format!(
        "<p>Email preferences for <strong>{}</strong>.</p>",
        escape(&tracking::mask_email(&preferences.email))
    ));
    if preferences.unsubscribed {
        body.push_str("<p>You are unsubscribed: you will not receive any more emails from us.</p>");
    } else {
        body.push_str(
            "<form method=\"post\"><input type=\"hidden\" name=\"action\" value=\"unsubscribe\">\
             <button type=\"submit\" class=\"primary\">Unsubscribe</button></form>",
        );
    }
    if preferences.tracking_opt_out {
        body.push_str("<p>We do not track when you open our emails or click their links.</p>");
    } else {
        body.push_str(
            "<form method=\"post\"><input type=\"hidden\" name=\"action\" value=\"stop-tracking\">\
             <button type=\"submit\">Stop tracking when I open emails</button></form>",
        );
    }
    page(StatusCode::OK, "Email preferences", &body)
}

const STYLE: &str = "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;\
background:#f4f5f7;color:#1f2328}main{max-width:32rem;margin:10vh auto;padding:2rem;background:#fff;\
border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.08)}h1{font-size:1.35rem;margin:0 0 1rem}\
form{margin:1rem 0}button{font:inherit;padding:.6rem 1.1rem;border-radius:8px;border:1px solid #c9ccd1;\
background:#fff;cursor:pointer;width:100%}button.primary{background:#1f2328;color:#fff;border-color:#1f2328}\
.notice{padding:.75rem 1rem;border-radius:8px;background:#e8f5e9;color:#1b5e20}";

/// A small self-contained HTML page (inline styles, no scripts, no external assets).
fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{title}</title><style>{STYLE}</style></head>\
         <body><main><h1>{title}</h1>{body}</main></body></html>",
        title = escape(title),
    );
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header(("X-Robots-Tag", "noindex"))
        .body(html)
}

#[cfg(test)]
mod tests {
    #[test]
    fn html_is_escaped() {
        assert_eq!(
            super::escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
