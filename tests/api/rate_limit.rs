//! The per-key quota: `X-RateLimit-*` headers on every /v1 answer, 429 with `Retry-After`, and
//! keys that never share a bucket.

use crate::helpers::{assert_error, body_json, count_rows, spawn_app_with, TestApp};
use fluenzr::domain::workspace::Plan;
use reqwest::header::HeaderMap;
use reqwest::{Method, Response};
use serde_json::json;

/// A header as a number.
fn number(headers: &HeaderMap, name: &str) -> i64 {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("missing {name} in {headers:?}"))
        .to_str()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number"))
}

/// Asserts the three quota headers and returns (limit, remaining, reset).
fn quota(response: &Response) -> (i64, i64, i64) {
    let headers = response.headers();
    (
        number(headers, "x-ratelimit-limit"),
        number(headers, "x-ratelimit-remaining"),
        number(headers, "x-ratelimit-reset"),
    )
}

/// Starts an app whose keys may make five requests a minute.
async fn spawn_limited_app() -> TestApp {
    spawn_app_with(|config| config.rate_limit_per_minute = 5).await
}

/// A second key of the app's own workspace.
async fn second_key_of_same_workspace(app: &TestApp) -> String {
    app.database
        .write(|conn| {
            let now = fluenzr::domain::time::format(chrono::Utc::now());
            let workspace: String =
                conn.query_row("SELECT id FROM workspaces", [], |row| row.get(0))?;
            let workspace = fluenzr::domain::ids::WorkspaceId::from_db(workspace);
            let (_, secret) = fluenzr::db::api_keys::create(conn, &workspace, "second", &now)?;
            Ok(secret)
        })
        .await
        .expect("second key created")
}

/// Uses up the app key's five requests and checks that the sixth is refused.
async fn exhaust(app: &TestApp) {
    for _ in 0..5 {
        assert_eq!(app.get("/v1/contacts").await.status(), 200);
    }
    assert_eq!(app.get("/v1/contacts").await.status(), 429);
}

#[tokio::test]
async fn exactly_the_quota_succeeds_and_the_next_request_is_429() {
    let app = spawn_limited_app().await;
    for request in 1..=5 {
        let response = app.get("/v1/contacts").await;
        assert_eq!(response.status(), 200, "request {request}");
    }
    let response = app.get("/v1/contacts").await;
    let retry_after = number(response.headers(), "retry-after");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    let (limit, remaining, _) = quota(&response);
    assert_eq!((limit, remaining), (5, 0));
    let body = assert_error(response, 429, "RATE_LIMIT_EXCEEDED").await;
    assert!(body.get("data").is_none(), "{body}");
}

#[tokio::test]
async fn a_refused_write_is_not_performed() {
    let app = spawn_limited_app().await;
    exhaust(&app).await;
    let response = app
        .post("/v1/contacts", &json!({"email": "ada@example.com"}))
        .await;
    assert_error(response, 429, "RATE_LIMIT_EXCEEDED").await;
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 0);
}

#[tokio::test]
async fn the_headers_count_down_the_remaining_requests() {
    let app = spawn_limited_app().await;
    let started = chrono::Utc::now().timestamp();
    for expected in [4, 3, 2, 1, 0] {
        let response = app.get("/v1/contacts").await;
        assert_eq!(response.status(), 200);
        let (limit, remaining, reset) = quota(&response);
        assert_eq!(limit, 5);
        assert_eq!(remaining, expected);
        let now = chrono::Utc::now().timestamp();
        assert!(
            reset > started,
            "reset {reset} is not in the future of {started}"
        );
        assert!(
            reset <= now + 60,
            "reset {reset} is more than 60 s after {now}"
        );
    }
}

#[tokio::test]
async fn another_workspace_key_is_unaffected_when_one_key_is_exhausted() {
    let app = spawn_limited_app().await;
    let (_, other) = app.create_workspace(Plan::Pro).await;
    exhaust(&app).await;
    for expected in [4, 3, 2, 1, 0] {
        let response = app
            .request_as(&other, Method::GET, "/v1/contacts")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(quota(&response).1, expected);
    }
    // And the first key is still refused.
    assert_eq!(app.get("/v1/contacts").await.status(), 429);
}

#[tokio::test]
async fn a_second_key_of_the_same_workspace_has_its_own_quota() {
    let app = spawn_limited_app().await;
    let second = second_key_of_same_workspace(&app).await;
    exhaust(&app).await;
    let response = app
        .request_as(&second, Method::POST, "/v1/contacts")
        .json(&json!({"email": "ada@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let (limit, remaining, _) = quota(&response);
    assert_eq!((limit, remaining), (5, 4));
    assert_eq!(
        body_json(response).await["data"]["email"],
        "ada@example.com"
    );
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 1);
}

#[tokio::test]
async fn every_v1_answer_carries_the_rate_limit_headers() {
    // Ten a minute: a token returns only every six seconds, so the countdown below is exact.
    let app = spawn_app_with(|config| config.rate_limit_per_minute = 10).await;
    let cases = [
        (Method::GET, "/v1/contacts", 200),
        (Method::GET, "/v1/contacts?page=0", 400),
        (Method::GET, "/v1/contacts?nonsense=1", 400),
        (Method::GET, "/v1/contacts/con_AAAAAAAAAAAAAAAAAAAA", 404),
        (Method::GET, "/v1/no-such-route", 404),
        (Method::PATCH, "/v1/contacts", 405),
    ];
    let mut previous_remaining = 10;
    for (method, path, status) in cases {
        let response = app.request(method.clone(), path).send().await.unwrap();
        assert_eq!(response.status(), status, "{method} {path}");
        let (limit, remaining, reset) = quota(&response);
        assert_eq!(limit, 10, "{method} {path}");
        assert_eq!(
            remaining,
            previous_remaining - 1,
            "{method} {path} counts against the quota"
        );
        previous_remaining = remaining;
        assert!(
            reset > chrono::Utc::now().timestamp() - 1,
            "{method} {path}"
        );
    }
    // A POST with a bad body too.
    let response = app.post("/v1/contacts", &json!({"nope": true})).await;
    assert_eq!(response.status(), 400);
    assert_eq!(quota(&response).1, previous_remaining - 1);
}

#[tokio::test]
async fn idempotent_replays_count_against_the_quota_and_carry_the_headers() {
    let app = spawn_limited_app().await;
    let body = json!({"email": "ada@example.com"});
    let send = || {
        app.request(Method::POST, "/v1/contacts")
            .header("Idempotency-Key", "replayed")
            .json(&body)
            .send()
    };
    for expected in [4, 3, 2, 1, 0] {
        let response = send().await.unwrap();
        assert_eq!(response.status(), 201);
        let (limit, remaining, reset) = quota(&response);
        assert_eq!((limit, remaining), (5, expected));
        assert!(reset >= chrono::Utc::now().timestamp());
    }
    let refused = send().await.unwrap();
    assert!(number(refused.headers(), "retry-after") >= 1);
    assert_error(refused, 429, "RATE_LIMIT_EXCEEDED").await;
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 1);
}
