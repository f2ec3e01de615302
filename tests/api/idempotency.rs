//! `Idempotency-Key` on POST: replays, conflicts, per-workspace scope, concurrent duplicates.

use crate::helpers::{assert_error, body_json, count_rows, spawn_app, TestApp};
use fluenzr::domain::workspace::Plan;
use reqwest::{Method, Response};
use serde_json::{json, Value};

/// POST JSON with the app's key and an `Idempotency-Key`.
async fn post_with_key(app: &TestApp, path: &str, key: &str, body: &Value) -> Response {
    app.request(Method::POST, path)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("request sent")
}

/// Whether the answer is marked as a replay.
fn is_replayed(response: &Response) -> bool {
    response
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|value| value == "true")
}

/// Status, replay mark, content type and raw body of an answer.
async fn parts(response: Response) -> (u16, bool, String, String) {
    let status = response.status().as_u16();
    let replayed = is_replayed(&response);
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (
        status,
        replayed,
        content_type,
        response.text().await.unwrap(),
    )
}

#[tokio::test]
async fn the_same_key_and_body_replays_the_first_response_and_creates_one_contact() {
    let app = spawn_app().await;
    let body = json!({"email": "ada@example.com", "firstName": "Ada", "tags": ["vip"]});

    let (status, replayed, content_type, first) =
        parts(post_with_key(&app, "/v1/contacts", "create-ada-1", &body).await).await;
    assert_eq!(status, 201);
    assert!(!replayed, "the first answer is not a replay");
    assert!(content_type.starts_with("application/json"));

    for _ in 0..2 {
        let (status, replayed, replay_type, again) =
            parts(post_with_key(&app, "/v1/contacts", "create-ada-1", &body).await).await;
        assert_eq!(status, 201);
        assert!(replayed, "Idempotent-Replayed: true");
        assert_eq!(replay_type, content_type);
        assert_eq!(again, first, "the replay is byte for byte the first answer");
    }
    let created: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(created["data"]["email"], "ada@example.com");
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 1);
    assert_eq!(
        count_rows(&app, "SELECT COUNT(*) FROM contact_tags").await,
        1
    );
}

#[tokio::test]
async fn a_replay_is_answered_even_after_the_resource_changed() {
    let app = spawn_app().await;
    let body = json!({"email": "ada@example.com"});
    let first = body_json(post_with_key(&app, "/v1/contacts", "k-1", &body).await).await;
    let id = first["data"]["id"].as_str().unwrap().to_owned();
    let update = app
        .send_json(
            Method::PUT,
            &format!("/v1/contacts/{id}"),
            &json!({"firstName": "Changed"}),
        )
        .await;
    assert_eq!(update.status(), 200);
    // A retry must not create a duplicate or fail with 409 "Email already exists".
    let retry = post_with_key(&app, "/v1/contacts", "k-1", &body).await;
    assert_eq!(retry.status(), 201);
    assert!(is_replayed(&retry));
    assert_eq!(body_json(retry).await, first);
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 1);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_a_conflict_and_writes_nothing() {
    let app = spawn_app().await;
    let first = post_with_key(
        &app,
        "/v1/contacts",
        "same-key",
        &json!({"email": "ada@example.com"}),
    )
    .await;
    assert_eq!(first.status(), 201);

    let other = post_with_key(
        &app,
        "/v1/contacts",
        "same-key",
        &json!({"email": "grace@example.com"}),
    )
    .await;
    assert!(!is_replayed(&other));
    assert_error(other, 409, "CONFLICT").await;

    let other_path = post_with_key(&app, "/v1/groups", "same-key", &json!({"name": "Leads"})).await;
    assert_error(other_path, 409, "CONFLICT").await;

    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 1);
    assert_eq!(
        count_rows(
            &app,
            "SELECT COUNT(*) FROM contacts WHERE email = 'grace@example.com'"
        )
        .await,
        0
    );
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM groups").await, 0);
}

#[tokio::test]
async fn keys_are_scoped_per_workspace() {
    let app = spawn_app().await;
    let (_, other_key) = app.create_workspace(Plan::Pro).await;
    let body = json!({"email": "ada@example.com"});

    let mine = post_with_key(&app, "/v1/contacts", "shared-key", &body).await;
    assert_eq!(mine.status(), 201);
    let mine = body_json(mine).await;

    let theirs = app
        .request_as(&other_key, Method::POST, "/v1/contacts")
        .header("Idempotency-Key", "shared-key")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 201);
    assert!(
        !is_replayed(&theirs),
        "another workspace's answer is never replayed"
    );
    let theirs = body_json(theirs).await;

    assert_ne!(mine["data"]["id"], theirs["data"]["id"]);
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 2);
    assert_eq!(
        count_rows(&app, "SELECT COUNT(DISTINCT workspace_id) FROM contacts").await,
        2
    );
    assert_eq!(
        count_rows(&app, "SELECT COUNT(*) FROM idempotency_keys").await,
        2
    );
}

#[tokio::test]
async fn concurrent_duplicates_create_one_contact_and_all_answer_the_same_id() {
    let app = spawn_app().await;
    let body = json!({"email": "ada@example.com", "company": "Analytical Engines"});
    let url = format!("{}/v1/contacts", app.address);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let request = app
                .client
                .post(&url)
                .bearer_auth(&app.api_key)
                .header("Idempotency-Key", "burst")
                .json(&body);
            tokio::spawn(async move {
                let response = request.send().await.expect("request sent");
                let replayed = is_replayed(&response);
                let status = response.status().as_u16();
                (status, replayed, response.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut ids = Vec::new();
    let mut originals = 0;
    for task in tasks {
        let (status, replayed, body) = task.await.expect("task finished");
        assert_eq!(status, 201, "{body}");
        if !replayed {
            originals += 1;
        }
        ids.push(body["data"]["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(originals, 1, "exactly one request did the work");
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 1);
}

#[tokio::test]
async fn a_failed_request_is_not_stored_and_a_corrected_retry_succeeds() {
    let app = spawn_app().await;
    let broken = post_with_key(
        &app,
        "/v1/contacts",
        "fix-me",
        &json!({"email": "not an email"}),
    )
    .await;
    assert_error(broken, 400, "VALIDATION_ERROR").await;
    assert_eq!(
        count_rows(&app, "SELECT COUNT(*) FROM idempotency_keys").await,
        0
    );

    let fixed = post_with_key(
        &app,
        "/v1/contacts",
        "fix-me",
        &json!({"email": "ada@example.com"}),
    )
    .await;
    assert_eq!(fixed.status(), 201);
    assert!(!is_replayed(&fixed));
    assert_eq!(body_json(fixed).await["data"]["email"], "ada@example.com");
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 1);
}

#[tokio::test]
async fn a_conflict_answer_is_not_stored_either() {
    let app = spawn_app().await;
    app.create_contact(json!({"email": "ada@example.com"}))
        .await;
    let body = json!({"email": "ada@example.com", "firstName": "Ada"});
    let duplicate = post_with_key(&app, "/v1/contacts", "dup", &body).await;
    assert_error(duplicate, 409, "CONFLICT").await;
    // Once the clash is gone the same retry really runs instead of replaying the 409.
    let deleted = app
        .database
        .write(|conn| Ok(conn.execute("DELETE FROM contacts", [])?))
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    let retry = post_with_key(&app, "/v1/contacts", "dup", &body).await;
    assert_eq!(retry.status(), 201);
    assert!(!is_replayed(&retry));
    assert_eq!(
        count_rows(
            &app,
            "SELECT COUNT(*) FROM contacts WHERE first_name = 'Ada'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn an_invalid_idempotency_key_is_a_400_and_writes_nothing() {
    let app = spawn_app().await;
    let body = json!({"email": "ada@example.com"});
    let too_long = "k".repeat(300);
    let cases: [(&[u8], &str); 4] = [
        (too_long.as_bytes(), "longer than 255 characters"),
        (b"", "empty"),
        (b"   ", "blank"),
        ("cl\u{e9}".as_bytes(), "not ASCII"),
    ];
    for (key, reason) in cases {
        let value = reqwest::header::HeaderValue::from_bytes(key).unwrap();
        let response = app
            .request(Method::POST, "/v1/contacts")
            .header("Idempotency-Key", value)
            .json(&body)
            .send()
            .await
            .unwrap();
        let error = assert_error(response, 400, "VALIDATION_ERROR").await;
        assert_eq!(
            error["error"]["details"]["field"], "Idempotency-Key",
            "{reason}: {error}"
        );
    }
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 0);
    assert_eq!(
        count_rows(&app, "SELECT COUNT(*) FROM idempotency_keys").await,
        0
    );
    // 255 characters is still a valid key.
    let longest = "k".repeat(255);
    let response = post_with_key(&app, "/v1/contacts", &longest, &body).await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn requests_without_the_header_are_never_deduplicated() {
    let app = spawn_app().await;
    let body = json!({"name": "Leads"});
    assert_eq!(app.post("/v1/groups", &body).await.status(), 201);
    let again = app.post("/v1/groups", &body).await;
    assert!(!is_replayed(&again));
    assert_error(again, 409, "CONFLICT").await;
    assert_eq!(
        count_rows(&app, "SELECT COUNT(*) FROM idempotency_keys").await,
        0
    );
}
