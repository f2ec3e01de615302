//! Authentication: bearer keys, revocation, hashed storage, the Pro gate and failed-auth throttling.

use crate::helpers::{assert_error, body_json, count_rows, spawn_app, spawn_app_with, TestApp};
use fluenzr::domain::workspace::Plan;
use reqwest::{Method, Response};
use serde_json::json;

const UNAUTHORIZED_MESSAGE: &str = "Invalid or missing API key";

/// A well-formed key that no workspace holds.
const UNKNOWN_KEY: &str = "flz_sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// GET /v1/contacts with a raw `Authorization` header (or none).
async fn get_with_authorization(app: &TestApp, authorization: Option<&str>) -> Response {
    let mut request = app.client.get(format!("{}/v1/contacts", app.address));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.send().await.expect("request sent")
}

/// Asserts the 401 answer, with its message and challenge.
async fn assert_unauthorized(response: Response) {
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap()),
        Some("Bearer")
    );
    let body = assert_error(response, 401, "UNAUTHORIZED").await;
    assert_eq!(body["error"]["message"], UNAUTHORIZED_MESSAGE);
    assert!(body.get("data").is_none(), "{body}");
}

/// Reads `last_used_at` of the app's first key through the writer queue, so that any
/// bookkeeping write queued before this call has been committed when it answers.
async fn last_used_at(app: &TestApp) -> Option<String> {
    app.database
        .write(|conn| {
            Ok(conn.query_row(
                "SELECT last_used_at FROM api_keys ORDER BY created_at, id LIMIT 1",
                [],
                |row| row.get(0),
            )?)
        })
        .await
        .expect("read last_used_at")
}

#[tokio::test]
async fn a_request_without_an_authorization_header_is_401() {
    let app = spawn_app().await;
    assert_unauthorized(get_with_authorization(&app, None).await).await;
    // Writes are refused the same way and leave nothing behind.
    let response = app
        .client
        .post(format!("{}/v1/contacts", app.address))
        .json(&json!({"email": "ada@example.com"}))
        .send()
        .await
        .unwrap();
    assert_unauthorized(response).await;
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 0);
}

#[tokio::test]
async fn malformed_keys_are_401() {
    let app = spawn_app().await;
    let key = app.api_key.clone();
    let random = key.trim_start_matches("flz_sk_").to_owned();
    let cases = [
        ("".to_owned(), "empty header"),
        ("Bearer".to_owned(), "scheme without a token"),
        ("Bearer ".to_owned(), "scheme with a blank token"),
        (key.clone(), "the key without the Bearer scheme"),
        (format!("Basic {key}"), "another scheme"),
        ("Bearer flz_sk_short".to_owned(), "too short"),
        (format!("Bearer {key}A"), "one character too many"),
        (format!("Bearer flz_pk_{random}"), "another prefix"),
        (format!("Bearer {random}"), "no prefix"),
        (
            format!("Bearer {}-", &key[..key.len() - 1]),
            "a non-alphanumeric character",
        ),
        (format!("Bearer {key} {key}"), "two tokens"),
        (format!("Bearer {}", key.to_uppercase()), "wrong case"),
    ];
    for (authorization, reason) in cases {
        let response = get_with_authorization(&app, Some(&authorization)).await;
        assert_eq!(response.status(), 401, "{reason}");
        assert_unauthorized(response).await;
    }
    // The real key is accepted, with the scheme in any case.
    let ok = get_with_authorization(&app, Some(&format!("bearer {key}"))).await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn an_unknown_well_formed_key_is_401() {
    let app = spawn_app().await;
    let response = app
        .request_as(UNKNOWN_KEY, Method::GET, "/v1/contacts")
        .send()
        .await
        .unwrap();
    assert_unauthorized(response).await;
}

#[tokio::test]
async fn a_revoked_key_is_refused_on_the_very_next_request() {
    let app = spawn_app().await;
    assert_eq!(app.get("/v1/contacts").await.status(), 200);

    let secret = app.api_key.clone();
    app.database
        .write(move |conn| {
            let now = fluenzr::domain::time::format(chrono::Utc::now());
            fluenzr::db::api_keys::revoke(conn, &secret, &now)
        })
        .await
        .expect("key revoked");

    assert_unauthorized(app.get("/v1/contacts").await).await;
    let write = app
        .post("/v1/contacts", &json!({"email": "ada@example.com"}))
        .await;
    assert_unauthorized(write).await;
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 0);
    assert_eq!(
        count_rows(
            &app,
            "SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NOT NULL"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn revoking_one_key_leaves_the_other_keys_of_the_workspace_working() {
    let app = spawn_app().await;
    let second = app
        .database
        .write(|conn| {
            let now = fluenzr::domain::time::format(chrono::Utc::now());
            let workspace = conn.query_row("SELECT id FROM workspaces", [], |row| {
                row.get::<_, String>(0)
            })?;
            let workspace = fluenzr::domain::ids::WorkspaceId::from_db(workspace);
            let (_, secret) = fluenzr::db::api_keys::create(conn, &workspace, "second", &now)?;
            Ok(secret)
        })
        .await
        .expect("second key");
    let first = app.api_key.clone();
    app.database
        .write(move |conn| {
            let now = fluenzr::domain::time::format(chrono::Utc::now());
            fluenzr::db::api_keys::revoke(conn, &first, &now)
        })
        .await
        .expect("key revoked");
    assert_unauthorized(app.get("/v1/contacts").await).await;
    let response = app
        .request_as(&second, Method::GET, "/v1/contacts")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn keys_are_stored_only_as_hashes() {
    let app = spawn_app().await;
    let (_, other) = app.create_workspace(Plan::Pro).await;
    // Make both keys do some work so that every column a request may write is filled.
    assert_eq!(app.get("/v1/contacts").await.status(), 200);
    let response = app
        .request_as(&other, Method::GET, "/v1/contacts")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let cells: Vec<Vec<u8>> = app
        .database
        .write(|conn| {
            let mut statement = conn.prepare(
                "SELECT id, workspace_id, name, prefix, key_hash, created_at, last_used_at,
                        revoked_at FROM api_keys",
            )?;
            let mut cells = Vec::new();
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                for index in 0..8 {
                    let bytes = match row.get_ref(index)? {
                        rusqlite::types::ValueRef::Text(bytes)
                        | rusqlite::types::ValueRef::Blob(bytes) => bytes.to_vec(),
                        other => format!("{other:?}").into_bytes(),
                    };
                    cells.push(bytes);
                }
            }
            Ok(cells)
        })
        .await
        .expect("read api_keys");
    assert_eq!(cells.len(), 16, "two keys of eight columns");
    for secret in [&app.api_key, &other] {
        let random = secret.trim_start_matches("flz_sk_");
        for cell in &cells {
            let text = String::from_utf8_lossy(cell);
            assert!(
                !text.contains(random),
                "a key's secret part is stored: {text}"
            );
            assert!(
                !cell.windows(random.len()).any(|w| w == random.as_bytes()),
                "a key's secret part is stored in a blob"
            );
        }
    }
    // Nor anywhere else in the database files.
    let mut files = vec![app.db_path.clone()];
    files.push(app.db_path.with_extension("db-wal"));
    for file in files {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        for secret in [&app.api_key, &other] {
            let random = secret.trim_start_matches("flz_sk_").as_bytes();
            assert!(
                !bytes.windows(random.len()).any(|w| w == random),
                "{} holds a secret",
                file.display()
            );
        }
    }
}

#[tokio::test]
async fn a_successful_request_records_when_the_key_was_last_used() {
    let app = spawn_app().await;
    assert_eq!(last_used_at(&app).await, None);
    let before = chrono::Utc::now().timestamp();
    assert_eq!(app.get("/v1/contacts").await.status(), 200);
    let stamp = last_used_at(&app).await.expect("last_used_at is recorded");
    let used = fluenzr::domain::time::parse(&stamp)
        .unwrap_or_else(|| panic!("not RFC 3339: {stamp}"))
        .timestamp();
    let after = chrono::Utc::now().timestamp();
    assert!(
        (before - 1..=after).contains(&used),
        "{stamp} not in [{before}, {after}]"
    );
}

#[tokio::test]
async fn a_failed_authentication_records_no_use() {
    let app = spawn_app().await;
    assert_unauthorized(
        app.request_as(UNKNOWN_KEY, Method::GET, "/v1/contacts")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(last_used_at(&app).await, None);
    assert_eq!(
        count_rows(
            &app,
            "SELECT COUNT(*) FROM api_keys WHERE last_used_at IS NOT NULL"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn workspaces_below_pro_are_403_forbidden() {
    let app = spawn_app().await;
    for plan in [Plan::Free, Plan::Starter] {
        let (_, key) = app.create_workspace(plan).await;
        for (method, path) in [
            (Method::GET, "/v1/contacts"),
            (Method::GET, "/v1/groups"),
            (Method::POST, "/v1/contacts"),
        ] {
            let response = app
                .request_as(&key, method.clone(), path)
                .json(&json!({"email": "ada@example.com"}))
                .send()
                .await
                .unwrap();
            let body = assert_error(response, 403, "FORBIDDEN").await;
            assert_eq!(
                body["error"]["message"], "API access requires Pro plan",
                "{plan:?} {method} {path}"
            );
        }
    }
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 0);
    // The Pro workspace of the same server is not affected.
    assert_eq!(app.get("/v1/contacts").await.status(), 200);
}

#[tokio::test]
async fn repeated_failed_authentication_from_one_ip_is_throttled() {
    let app = spawn_app_with(|config| config.auth_failures_per_minute = 3).await;
    for attempt in 1..=3 {
        let response = app
            .request_as(UNKNOWN_KEY, Method::GET, "/v1/contacts")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "attempt {attempt}");
        assert_unauthorized(response).await;
    }
    for attempt in 4..=5 {
        let response = get_with_authorization(&app, Some("Bearer nonsense")).await;
        let retry_after: u64 = response
            .headers()
            .get("retry-after")
            .unwrap_or_else(|| panic!("attempt {attempt}: no Retry-After"))
            .to_str()
            .unwrap()
            .parse()
            .expect("Retry-After is whole seconds");
        assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
        assert_error(response, 429, "RATE_LIMIT_EXCEEDED").await;
    }
    // A valid key from the same address still works: only failures are throttled.
    let response = app.get("/v1/contacts").await;
    assert_eq!(response.status(), 200);
    let response = app
        .post("/v1/contacts", &json!({"email": "ada@example.com"}))
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        body_json(response).await["data"]["email"],
        "ada@example.com"
    );
}

#[tokio::test]
async fn a_401_carries_the_rate_limit_headers_of_failed_attempts() {
    let app = spawn_app_with(|config| config.auth_failures_per_minute = 3).await;
    let now = chrono::Utc::now().timestamp();
    for expected_remaining in ["2", "1", "0"] {
        let response = get_with_authorization(&app, None).await;
        assert_eq!(response.status(), 401);
        let headers = response.headers();
        assert_eq!(headers["x-ratelimit-limit"], "3");
        assert_eq!(headers["x-ratelimit-remaining"], expected_remaining);
        let reset: i64 = headers["x-ratelimit-reset"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (now..=now + 61).contains(&reset),
            "reset {reset} vs now {now}"
        );
        assert_unauthorized(response).await;
    }
}
