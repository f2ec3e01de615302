//! /v1/webhooks: CRUD, validation, a secret shown once and stored sealed, partial updates and
//! the delivery logs; `events` checks that every event is written to the outbox where it
//! happens.

mod events;

use crate::helpers::{assert_error, body_json, count_rows, spawn_app_with, TestApp};
use fluenzr::config::Secret;
use fluenzr::db::webhooks::load_for_delivery;
use fluenzr::domain::ids::WorkspaceId;
use fluenzr::domain::webhook::WebhookStatus;
use fluenzr::secret::SecretBox;
use reqwest::Method;
use serde_json::{json, Value};

/// A receiver URL on loopback (never contacted by these tests).
pub const HOOK_URL: &str = "http://127.0.0.1:9/hooks/fluenzr";

/// An app whose webhooks may point at loopback (the URL guard's private-address check is off).
pub async fn spawn_webhook_app() -> TestApp {
    spawn_app_with(|config| config.webhook_allow_private = true).await
}

/// The `data` of a successful JSON answer, after checking its status.
pub async fn data(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let body = body_json(response).await;
    assert_eq!(actual, status, "{body}");
    assert_eq!(body["success"], true, "{body}");
    body["data"].clone()
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

/// Creates a webhook subscribed to every event; returns the create answer.
pub async fn subscribe_all(app: &TestApp) -> Value {
    data(
        app.post("/v1/webhooks", &json!({"url": HOOK_URL, "events": ["*"]}))
            .await,
        201,
    )
    .await
}

async fn put(app: &TestApp, webhook: &Value, body: Value) -> reqwest::Response {
    app.send_json(Method::PUT, &format!("/v1/webhooks/{}", id(webhook)), &body)
        .await
}

async fn stored_secret(app: &TestApp, webhook: &Value) -> Vec<u8> {
    let webhook_id = id(webhook);
    app.database
        .read(move |conn| {
            Ok(conn.query_row(
                "SELECT secret FROM webhooks WHERE id = ?1",
                [webhook_id],
                |row| row.get(0),
            )?)
        })
        .await
        .expect("row read")
}

async fn delivery_target(app: &TestApp, webhook: &Value) -> fluenzr::db::webhooks::DeliveryTarget {
    let webhook_id = id(webhook);
    app.database
        .read(move |conn| {
            let seq: i64 = conn.query_row(
                "SELECT seq FROM webhooks WHERE id = ?1",
                [webhook_id],
                |row| row.get(0),
            )?;
            let secrets = SecretBox::new(&Secret::new("test-secret".to_owned()));
            load_for_delivery(conn, seq, &secrets)
        })
        .await
        .expect("loaded")
        .expect("the webhook exists")
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn a_webhook_is_created_read_listed_updated_and_deleted() {
    let app = spawn_webhook_app().await;
    let created = data(
        app.post(
            "/v1/webhooks",
            &json!({"url": HOOK_URL, "events": ["email.opened", "contact.created"], "description": "CRM sync"}),
        )
        .await,
        201,
    )
    .await;
    let webhook_id = id(&created);
    assert!(
        webhook_id.starts_with("whk_") && webhook_id.len() == 24,
        "{webhook_id}"
    );
    assert_eq!(created["url"], HOOK_URL);
    assert_eq!(
        created["events"],
        json!(["email.opened", "contact.created"])
    );
    assert_eq!(created["status"], "active");
    assert_eq!(created["description"], "CRM sync");
    assert_eq!(created["createdAt"], created["updatedAt"]);
    let mut shown = created.clone();
    shown
        .as_object_mut()
        .unwrap()
        .remove("secret")
        .expect("create shows the secret");

    let path = format!("/v1/webhooks/{webhook_id}");
    assert_eq!(data(app.get(&path).await, 200).await, shown);
    let listed = body_json(app.get("/v1/webhooks").await).await;
    assert_eq!(listed["data"], json!([shown.clone()]));
    assert_eq!(listed["meta"]["total"], 1);

    let updated = data(
        put(
            &app,
            &created,
            json!({"events": ["*"], "status": "disabled", "description": null}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["events"], json!(["*"]));
    assert_eq!(updated["status"], "disabled");
    assert_eq!(updated["description"], Value::Null);
    assert_eq!(updated["url"], HOOK_URL, "url untouched");
    assert!(updated.get("secret").is_none());
    assert_eq!(data(app.get(&path).await, 200).await, updated);

    let deleted = data(
        app.request(Method::DELETE, &path).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(deleted, json!({"id": webhook_id, "deleted": true}));
    assert_error(app.get(&path).await, 404, "NOT_FOUND").await;
    assert_error(
        app.request(Method::DELETE, &path).send().await.unwrap(),
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(count_rows(&app, "SELECT count(*) FROM webhooks").await, 0);
}

#[tokio::test]
async fn the_secret_is_shown_only_by_create_and_stored_sealed() {
    let app = spawn_webhook_app().await;
    let given = "my-own-shared-secret-123";
    let mine = data(
        app.post(
            "/v1/webhooks",
            &json!({"url": HOOK_URL, "events": ["*"], "secret": given}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(mine["secret"], given);
    let generated = subscribe_all(&app).await;
    let secret = generated["secret"].as_str().unwrap().to_owned();
    let encoded = secret.strip_prefix("whsec_").expect("whsec_ prefix");
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("base64");
    assert_eq!(bytes.len(), 32);

    for webhook in [&mine, &generated] {
        let text = app
            .get(&format!("/v1/webhooks/{}", id(webhook)))
            .await
            .text()
            .await
            .unwrap();
        let plain = webhook["secret"].as_str().unwrap();
        assert!(
            !text.contains(plain) && !text.contains("\"secret\""),
            "{text}"
        );
        let stored = stored_secret(&app, webhook).await;
        assert!(
            !contains(&stored, plain),
            "the secret is not stored in clear"
        );
        assert_eq!(delivery_target(&app, webhook).await.secret, plain);
    }
    let list = app.get("/v1/webhooks").await.text().await.unwrap();
    assert!(!list.contains(given) && !list.contains(&secret), "{list}");

    // A new secret replaces the old one, and is not echoed.
    let changed = put(&app, &mine, json!({"secret": "a-brand-new-secret-456"})).await;
    let text = changed.text().await.unwrap();
    assert!(!text.contains("a-brand-new-secret-456"), "{text}");
    assert_eq!(
        delivery_target(&app, &mine).await.secret,
        "a-brand-new-secret-456"
    );
    assert_eq!(delivery_target(&app, &generated).await.secret, secret);
}

#[tokio::test]
async fn load_for_delivery_gives_the_dispatcher_the_url_workspace_and_status() {
    let app = spawn_webhook_app().await;
    let webhook = subscribe_all(&app).await;
    put(&app, &webhook, json!({"status": "disabled"})).await;
    let target = delivery_target(&app, &webhook).await;
    assert_eq!(target.id.as_str(), id(&webhook));
    assert_eq!(target.url, HOOK_URL);
    assert_eq!(target.status, WebhookStatus::Disabled);
    assert!(target.workspace_id.as_str().starts_with("ws_"));
    assert!(!format!("{target:?}").contains(webhook["secret"].as_str().unwrap()));
    let missing = app
        .database
        .read(|conn| {
            load_for_delivery(
                conn,
                999_999,
                &SecretBox::new(&Secret::new("test-secret".to_owned())),
            )
        })
        .await
        .unwrap();
    assert!(missing.is_none());
}

#[tokio::test]
async fn invalid_webhooks_are_refused_naming_the_field() {
    let app = spawn_webhook_app().await;
    let long_url = format!("https://example.com/{}", "a".repeat(2048));
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"url": "ftp://example.com/hook", "events": ["*"]}),
            "url",
            "not http(s)",
        ),
        (
            json!({"url": "/hooks/1", "events": ["*"]}),
            "url",
            "relative",
        ),
        (json!({"url": "http://", "events": ["*"]}), "url", "no host"),
        (json!({"url": long_url, "events": ["*"]}), "url", "too long"),
        (json!({"events": ["*"]}), "url", "missing url"),
        (json!({"url": HOOK_URL}), "events", "missing events"),
        (
            json!({"url": HOOK_URL, "events": []}),
            "events",
            "empty events",
        ),
        (
            json!({"url": HOOK_URL, "events": ["*", "contact.created"]}),
            "events",
            "star with others",
        ),
        (
            json!({"url": HOOK_URL, "events": ["contact.craeted"]}),
            "events",
            "unknown name",
        ),
        (
            json!({"url": HOOK_URL, "events": ["*"], "secret": "too-short"}),
            "secret",
            "short secret",
        ),
        (
            json!({"url": HOOK_URL, "events": ["*"], "secret": "tab\tin-the-secret-value"}),
            "secret",
            "control character",
        ),
        (
            json!({"url": HOOK_URL, "events": ["*"], "description": "d".repeat(1001)}),
            "description",
            "long description",
        ),
    ];
    for (body, field, reason) in cases {
        let refused = assert_error(
            app.post("/v1/webhooks", &body).await,
            400,
            "VALIDATION_ERROR",
        )
        .await;
        assert_eq!(
            refused["error"]["details"]["field"], field,
            "{reason}: {refused}"
        );
    }
    let unknown_field = assert_error(
        app.post(
            "/v1/webhooks",
            &json!({"url": HOOK_URL, "events": ["*"], "status": "active"}),
        )
        .await,
        400,
        "VALIDATION_ERROR",
    )
    .await;
    assert!(unknown_field["error"]["message"]
        .as_str()
        .unwrap()
        .contains("status"));
    assert_eq!(count_rows(&app, "SELECT count(*) FROM webhooks").await, 0);
}

#[tokio::test]
async fn unknown_event_names_are_listed_in_the_refusal() {
    let app = spawn_webhook_app().await;
    let refused = assert_error(
        app.post(
            "/v1/webhooks",
            &json!({"url": HOOK_URL, "events": ["email.sent", "email.open", "contact.removed"]}),
        )
        .await,
        400,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(
        refused["error"]["details"],
        json!({"field": "events", "unknown": ["email.open", "contact.removed"]})
    );
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("email.open") && message.contains("contact.removed"),
        "{message}"
    );
}

#[tokio::test]
async fn duplicate_event_names_are_dropped() {
    let app = spawn_webhook_app().await;
    let created = data(
        app.post(
            "/v1/webhooks",
            &json!({"url": HOOK_URL, "events": ["email.sent", "email.opened", "email.sent"]}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(created["events"], json!(["email.sent", "email.opened"]));
}

#[tokio::test]
async fn a_put_changes_only_the_given_fields_and_refuses_invalid_ones() {
    let app = spawn_webhook_app().await;
    let created = data(
        app.post(
            "/v1/webhooks",
            &json!({"url": HOOK_URL, "events": ["email.sent"], "description": "first"}),
        )
        .await,
        201,
    )
    .await;
    let new_url = "http://127.0.0.1:9/hooks/second";
    let updated = data(put(&app, &created, json!({"url": new_url})).await, 200).await;
    assert_eq!(updated["url"], new_url);
    assert_eq!(updated["events"], json!(["email.sent"]));
    assert_eq!(updated["description"], "first");
    assert_eq!(updated["status"], "active");
    for (body, field) in [
        (json!({"url": "ftp://example.com/"}), "url"),
        (json!({"events": []}), "events"),
        (json!({"events": ["nope"]}), "events"),
        (json!({"secret": "short"}), "secret"),
    ] {
        let refused = assert_error(put(&app, &created, body).await, 400, "VALIDATION_ERROR").await;
        assert_eq!(refused["error"]["details"]["field"], field, "{refused}");
    }
    // `failed` is the server's verdict, not a client's choice.
    assert_error(
        put(&app, &created, json!({"status": "failed"})).await,
        400,
        "VALIDATION_ERROR",
    )
    .await;
    let unchanged = data(
        app.get(&format!("/v1/webhooks/{}", id(&created))).await,
        200,
    )
    .await;
    assert_eq!(unchanged, updated, "refused updates change nothing");
}

#[tokio::test]
async fn the_list_filters_by_status_sorts_and_paginates() {
    let app = spawn_webhook_app().await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let webhook = data(
            app.post(
                "/v1/webhooks",
                &json!({"url": format!("http://127.0.0.1:9/h{n}"), "events": ["*"]}),
            )
            .await,
            201,
        )
        .await;
        ids.push(id(&webhook));
    }
    app.send_json(
        Method::PUT,
        &format!("/v1/webhooks/{}", ids[1]),
        &json!({"status": "disabled"}),
    )
    .await;
    let disabled = body_json(app.get("/v1/webhooks?status=disabled").await).await;
    assert_eq!(disabled["meta"]["total"], 1);
    assert_eq!(disabled["data"][0]["id"], ids[1].as_str());
    let by_url = body_json(
        app.get("/v1/webhooks?sort=url&order=asc&perPage=2&page=2")
            .await,
    )
    .await;
    assert_eq!(
        by_url["meta"],
        json!({"page": 2, "perPage": 2, "total": 3, "totalPages": 2})
    );
    assert_eq!(by_url["data"][0]["url"], "http://127.0.0.1:9/h2");
    for bad in [
        "/v1/webhooks?sort=secret",
        "/v1/webhooks?status=gone",
        "/v1/webhooks?colour=red",
    ] {
        assert_error(app.get(bad).await, 400, "VALIDATION_ERROR").await;
    }
}

/// Emits an event of the workspace through the outbox, as a change would.
async fn emit(app: &TestApp, workspace: &str, event_type: &'static str, n: u32) {
    let workspace = WorkspaceId::from_db(workspace.to_owned());
    app.database
        .write(move |conn| {
            fluenzr::webhooks::outbox::emit(
                conn,
                &workspace,
                event_type,
                &json!({ "n": n }),
                chrono::Utc::now(),
            )?;
            Ok(())
        })
        .await
        .expect("emitted");
}

async fn workspace_of(app: &TestApp, webhook: &Value) -> String {
    let webhook_id = id(webhook);
    app.database
        .read(move |conn| {
            Ok(conn.query_row(
                "SELECT workspace_id FROM webhooks WHERE id = ?1",
                [webhook_id],
                |row| row.get(0),
            )?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn the_logs_list_each_delivery_newest_first_with_its_event() {
    let app = spawn_webhook_app().await;
    let webhook = subscribe_all(&app).await;
    let only_sent = data(
        app.post(
            "/v1/webhooks",
            &json!({"url": HOOK_URL, "events": ["email.sent"]}),
        )
        .await,
        201,
    )
    .await;
    let workspace = workspace_of(&app, &webhook).await;
    emit(&app, &workspace, "email.sent", 1).await;
    emit(&app, &workspace, "contact.created", 2).await;
    emit(&app, &workspace, "email.opened", 3).await;
    // A delivery that was tried and failed, as the dispatcher records it.
    app.database
        .write(|conn| {
            conn.execute(
                "UPDATE webhook_deliveries SET status = 'retrying', status_code = 503,
                        response_time_ms = 87, error = 'HTTP 503', attempted_at = '2030-01-02T03:04:05Z'
                 WHERE event_seq = (SELECT seq FROM webhook_events WHERE type = 'contact.created')",
                [],
            )?;
            Ok(())
        })
        .await
        .unwrap();

    let logs = body_json(
        app.get(&format!("/v1/webhooks/{}/logs", id(&webhook)))
            .await,
    )
    .await;
    assert_eq!(logs["meta"]["total"], 3);
    let types: Vec<&str> = logs["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|log| log["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["email.opened", "contact.created", "email.sent"]);
    let pending = &logs["data"][0];
    assert!(
        pending["id"].as_str().unwrap().starts_with("log_"),
        "{pending}"
    );
    assert!(
        pending["eventId"].as_str().unwrap().starts_with("evt_"),
        "{pending}"
    );
    assert_eq!(pending["status"], "pending");
    assert_eq!(pending["attempt"], 1);
    assert_eq!(pending["statusCode"], Value::Null);
    assert_eq!(pending["responseTime"], Value::Null);
    assert_eq!(pending["error"], Value::Null);
    assert!(fluenzr::domain::time::parse(pending["timestamp"].as_str().unwrap()).is_some());
    let retried = &logs["data"][1];
    assert_eq!(retried["status"], "retrying");
    assert_eq!(retried["statusCode"], 503);
    assert_eq!(retried["responseTime"], 87);
    assert_eq!(retried["error"], "HTTP 503");
    assert_eq!(retried["timestamp"], "2030-01-02T03:04:05Z");

    let filtered = body_json(
        app.get(&format!(
            "/v1/webhooks/{}/logs?status=retrying",
            id(&webhook)
        ))
        .await,
    )
    .await;
    assert_eq!(filtered["meta"]["total"], 1);
    assert_eq!(filtered["data"][0]["eventId"], retried["eventId"]);
    let paged = body_json(
        app.get(&format!(
            "/v1/webhooks/{}/logs?perPage=1&page=3",
            id(&webhook)
        ))
        .await,
    )
    .await;
    assert_eq!(paged["data"][0]["eventType"], "email.sent");
    // The other webhook only got the event it subscribes to, with the same event id.
    let other = body_json(
        app.get(&format!("/v1/webhooks/{}/logs", id(&only_sent)))
            .await,
    )
    .await;
    assert_eq!(other["meta"]["total"], 1);
    assert_eq!(other["data"][0]["eventId"], logs["data"][2]["eventId"]);
    for bad in ["?status=sent", "?perPage=0", "?since=yesterday"] {
        assert_error(
            app.get(&format!("/v1/webhooks/{}/logs{bad}", id(&webhook)))
                .await,
            400,
            "VALIDATION_ERROR",
        )
        .await;
    }
    assert_error(
        app.get("/v1/webhooks/whk_AAAAAAAAAAAAAAAAAAAA/logs").await,
        404,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn a_disabled_webhook_gets_no_new_deliveries_and_deleting_drops_its_logs() {
    let app = spawn_webhook_app().await;
    let webhook = subscribe_all(&app).await;
    let workspace = workspace_of(&app, &webhook).await;
    emit(&app, &workspace, "email.sent", 1).await;
    put(&app, &webhook, json!({"status": "disabled"})).await;
    emit(&app, &workspace, "email.sent", 2).await;
    let logs = body_json(
        app.get(&format!("/v1/webhooks/{}/logs", id(&webhook)))
            .await,
    )
    .await;
    assert_eq!(logs["meta"]["total"], 1);
    app.request(Method::DELETE, &format!("/v1/webhooks/{}", id(&webhook)))
        .send()
        .await
        .unwrap();
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM webhook_deliveries").await,
        0
    );
}

/// A host name other than `localhost` that the system resolves to a loopback address, from
/// `/etc/hosts` (the machine's own name usually is one).
fn loopback_alias() -> Option<String> {
    let hosts = std::fs::read_to_string("/etc/hosts").ok()?;
    hosts.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        let address: std::net::IpAddr = fields.next()?.parse().ok()?;
        if !address.is_loopback() {
            return None;
        }
        fields
            .find(|name| !name.starts_with('#') && !name.eq_ignore_ascii_case("localhost"))
            .map(str::to_owned)
    })
}

#[tokio::test]
async fn private_addresses_are_refused_at_creation_in_every_spelling_unless_allowed() {
    let app = spawn_app_with(|config| config.webhook_allow_private = false).await;
    let mut urls = vec![
        "http://127.0.0.1:9/hook".to_owned(),
        "http://2130706433/hook".to_owned(),
        "http://0x7f000001/hook".to_owned(),
        "http://0177.0.0.1/hook".to_owned(),
        "http://127.1/hook".to_owned(),
        "http://[::1]/hook".to_owned(),
        "http://[::ffff:127.0.0.1]/hook".to_owned(),
        "http://169.254.169.254/latest".to_owned(),
        "http://10.0.0.1/hook".to_owned(),
        "http://localhost:9/hook".to_owned(),
    ];
    // A name that resolves to loopback is refused too (the host is resolved at creation).
    if let Some(alias) = loopback_alias() {
        urls.push(format!("http://{alias}:9/hook"));
    }
    for url in &urls {
        let response = app
            .post("/v1/webhooks", &json!({"url": url, "events": ["*"]}))
            .await;
        let body = assert_error(response, 400, "VALIDATION_ERROR").await;
        assert_eq!(body["error"]["details"]["field"], "url", "{url}: {body}");
    }
    assert_eq!(count_rows(&app, "SELECT count(*) FROM webhooks").await, 0);

    let allowed = spawn_webhook_app().await;
    let response = allowed
        .post(
            "/v1/webhooks",
            &json!({"url": "http://127.0.0.1:9/hook", "events": ["*"]}),
        )
        .await;
    assert_eq!(response.status(), 201);
}
