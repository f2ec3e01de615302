//! Webhook delivery against real HTTP receivers on loopback: signatures checked byte for byte,
//! retries on a shrunk schedule, final 4xx, redirects not followed, concurrency, the SSRF guard,
//! disabled webhooks and the test endpoint.

use crate::helpers::{assert_error, body_json, spawn_app_with, TestApp};
use crate::webhook_fixtures::{
    create_webhook, create_webhook_with, emit, log_rows, payload, TestWebhook,
};
use crate::webhook_receiver::{Receiver, Reply};
use base64::Engine;
use chrono::{Duration as Span, Utc};
use fluenzr::webhooks::DispatchOutcome;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;
use std::time::{Duration, Instant};

async fn spawn_webhook_app() -> TestApp {
    spawn_app_with(|config| {
        config.webhook_allow_private = true;
        config.webhook_retry_schedule = vec![1, 2, 3, 4];
    })
    .await
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn outcome(delivered: usize, retrying: usize, failed: usize) -> DispatchOutcome {
    DispatchOutcome {
        delivered,
        retrying,
        failed,
    }
}

#[tokio::test]
async fn a_delivery_carries_the_stored_bytes_and_both_signatures_verify() {
    let app = spawn_webhook_app().await;
    let receiver = Receiver::start(vec![Reply::status(200)]).await;
    let webhook = create_webhook(&app, &receiver.url()).await;
    let event_id = emit(
        &app,
        "contact.created",
        json!({"contact": {"email": "ada@example.com", "firstName": "Ada ✓"}}),
    )
    .await;

    let done = app.dispatcher.run_once(Utc::now()).await.unwrap();

    assert_eq!(done, outcome(1, 0, 0));
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.request_line, "POST /hook HTTP/1.1");
    let head = String::from_utf8_lossy(&request.head).to_ascii_lowercase();
    assert!(head.contains(&format!("content-length: {}\r\n", request.body.len())));
    assert_eq!(request.body, payload(&app, &event_id).await.into_bytes());
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["id"], event_id.as_str());
    assert_eq!(body["type"], "contact.created");
    assert_eq!(request.header("content-type"), "application/json");
    assert_eq!(request.header("user-agent"), "fluenzr-webhooks");
    let timestamp = request.header("x-fluenzr-timestamp");
    assert!((timestamp.parse::<i64>().unwrap() - Utc::now().timestamp()).abs() < 60);
    // X-FluenzR-Signature over "<ts>.<raw body>", recomputed from the bytes received.
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(&request.body);
    let expected = format!(
        "sha256={}",
        hex::encode(hmac_sha256(webhook.secret.as_bytes(), &signed))
    );
    assert_eq!(request.header("x-fluenzr-signature"), expected);
    // Standard Webhooks: key is the base64 part of whsec_, message "<id>.<ts>.<body>".
    assert_eq!(request.header("webhook-id"), event_id);
    assert_eq!(request.header("webhook-timestamp"), timestamp);
    let key = base64::engine::general_purpose::STANDARD
        .decode(webhook.secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut signed = format!("{event_id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(&request.body);
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(hmac_sha256(&key, &signed))
    );
    assert_eq!(request.header("webhook-signature"), expected);
    let rows = log_rows(&app, &webhook).await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].id.starts_with("log_"));
    assert_eq!(rows[0].status, "delivered");
    assert_eq!(rows[0].status_code, Some(200));
    assert!(rows[0].response_time_ms.is_some() && rows[0].attempted_at.is_some());
    assert_eq!(rows[0].error, None);
}

#[tokio::test]
async fn a_failing_receiver_is_retried_on_the_schedule_then_the_event_fails_after_five_attempts() {
    let app = spawn_webhook_app().await;
    let receiver = Receiver::start(vec![Reply::status(500)]).await;
    let webhook = create_webhook(&app, &receiver.url()).await;
    let event_id = emit(&app, "email.sent", json!({"emailSubject": "Hi"})).await;
    let start = Utc::now();
    let at = |millis: i64| start + Span::milliseconds(millis);

    // Attempt k+1 is due schedule[k-1] seconds after attempt k: 1, 2, 3, 4 s.
    let steps = [
        (0, outcome(0, 1, 0)),
        (999, outcome(0, 0, 0)),
        (1_000, outcome(0, 1, 0)),
        (2_999, outcome(0, 0, 0)),
        (3_000, outcome(0, 1, 0)),
        (5_999, outcome(0, 0, 0)),
        (6_000, outcome(0, 1, 0)),
        (9_999, outcome(0, 0, 0)),
        (10_000, outcome(0, 0, 1)),
        (1_000_000, outcome(0, 0, 0)),
    ];
    for (millis, expected) in steps {
        let done = app.dispatcher.run_once(at(millis)).await.unwrap();
        assert_eq!(done, expected, "at +{millis} ms");
    }

    let received = receiver.received();
    assert_eq!(received.len(), 5);
    assert!(received
        .iter()
        .all(|request| request.header("webhook-id") == event_id));
    let rows = log_rows(&app, &webhook).await;
    let attempts: Vec<_> = rows
        .iter()
        .map(|row| (row.attempt, row.status.as_str()))
        .collect();
    assert_eq!(
        attempts,
        [
            (1, "retrying"),
            (2, "retrying"),
            (3, "retrying"),
            (4, "retrying"),
            (5, "failed")
        ]
    );
    let due: Vec<i64> = rows.iter().skip(1).map(|row| row.due_at).collect();
    assert_eq!(
        due,
        [at(1_000), at(3_000), at(6_000), at(10_000)].map(|t| t.timestamp_millis())
    );
    for row in &rows {
        assert_eq!(row.event_id, event_id);
        assert_eq!(row.status_code, Some(500), "{row:?}");
        assert!(row.response_time_ms.is_some(), "{row:?}");
        assert!(row.attempted_at.is_some(), "{row:?}");
        assert!(row.error.as_deref().unwrap().contains("500"), "{row:?}");
    }
}

#[tokio::test]
async fn a_4xx_answer_fails_the_event_after_one_attempt() {
    let app = spawn_webhook_app().await;
    let receiver = Receiver::start(vec![Reply::status(410)]).await;
    let webhook = create_webhook(&app, &receiver.url()).await;
    emit(&app, "contact.deleted", json!({})).await;

    assert_eq!(
        app.dispatcher.run_once(Utc::now()).await.unwrap(),
        outcome(0, 0, 1)
    );
    let later = Utc::now() + Span::hours(3);
    assert_eq!(
        app.dispatcher.run_once(later).await.unwrap(),
        outcome(0, 0, 0)
    );

    assert_eq!(receiver.received().len(), 1);
    let rows = log_rows(&app, &webhook).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "failed");
    assert_eq!(rows[0].status_code, Some(410));
    assert!(rows[0].error.as_deref().unwrap().contains("410"));
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_the_event_is_retried() {
    let app = spawn_webhook_app().await;
    let target = Receiver::start(vec![Reply::status(200)]).await;
    let redirect = Reply {
        location: Some(target.url()),
        ..Reply::status(302)
    };
    let receiver = Receiver::start(vec![redirect, Reply::status(200)]).await;
    let webhook = create_webhook(&app, &receiver.url()).await;
    let event_id = emit(&app, "campaign.started", json!({})).await;

    assert_eq!(
        app.dispatcher.run_once(Utc::now()).await.unwrap(),
        outcome(0, 1, 0)
    );
    assert_eq!(
        target.connections(),
        0,
        "the redirect target is never called"
    );
    let rows = log_rows(&app, &webhook).await;
    assert_eq!(rows[0].status_code, Some(302));
    assert!(rows[0].error.as_deref().unwrap().contains("redirect"));

    let next = Utc::now() + Span::seconds(1);
    assert_eq!(
        app.dispatcher.run_once(next).await.unwrap(),
        outcome(1, 0, 0)
    );
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    assert!(received
        .iter()
        .all(|request| request.header("webhook-id") == event_id));
    assert_eq!(target.connections(), 0);
}

#[tokio::test]
async fn a_slow_receiver_does_not_delay_delivery_to_another_webhook() {
    let app = spawn_webhook_app().await;
    let slow = Receiver::start(vec![Reply {
        delay: Duration::from_secs(3),
        ..Reply::status(200)
    }])
    .await;
    let fast = Receiver::start(vec![Reply::status(200)]).await;
    // The slow webhook first: its attempts are older and come first in the queue.
    let slow_webhook = create_webhook(&app, &slow.url()).await;
    let fast_webhook = create_webhook(&app, &fast.url()).await;
    for index in 0..6 {
        emit(&app, "email.opened", json!({"openCount": index})).await;
    }

    let started = Instant::now();
    let done = app.dispatcher.run_once(Utc::now()).await.unwrap();

    assert_eq!(done, outcome(12, 0, 0));
    let fast_received = fast.received();
    assert_eq!(fast_received.len(), 6);
    let fast_done = fast_received
        .iter()
        .map(|request| request.arrived.duration_since(started))
        .max()
        .unwrap();
    assert!(
        fast_done < Duration::from_secs(1),
        "fast took {fast_done:?}"
    );
    // Six slow attempts, four at a time: two rounds of three seconds.
    assert!(started.elapsed() >= Duration::from_secs(6));
    assert_eq!(slow.received().len(), 6);
    assert_eq!(log_rows(&app, &slow_webhook).await.len(), 6);
    assert_eq!(log_rows(&app, &fast_webhook).await.len(), 6);
}

#[tokio::test]
async fn urls_on_private_addresses_are_refused_at_delivery_and_nothing_connects() {
    let app = spawn_app_with(|config| {
        config.webhook_allow_private = false;
        config.webhook_retry_schedule = vec![1, 2, 3, 4];
    })
    .await;
    let canary = Receiver::start(vec![Reply::status(200)]).await;
    let port = canary.port;
    let mut urls: Vec<String> = [
        "http://127.0.0.1:{port}/",
        "http://localhost:{port}/",
        "http://2130706433:{port}/",
        "http://0x7f000001:{port}/",
        "http://0177.0.0.1:{port}/",
        "http://127.1:{port}/",
        "http://[::1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://169.254.169.254/",
        "http://10.0.0.1/",
        "http://100.64.0.1/",
        "http://[fc00::1]/",
        "http://0.0.0.0:{port}/",
    ]
    .iter()
    .map(|url| url.replace("{port}", &port.to_string()))
    .collect();
    // Names other than `localhost` that this machine resolves to loopback exercise the refusal
    // at resolution (the connector only ever gets vetted addresses).
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let loopback_names: Vec<String> = hosts
        .lines()
        .filter(|line| line.starts_with("127."))
        .flat_map(|line| line.split_whitespace().skip(1).map(str::to_owned))
        .filter(|name| !name.contains("localhost"))
        .collect();
    for name in &loopback_names {
        urls.push(format!("http://{name}:{port}/"));
    }
    let mut webhooks: Vec<(String, TestWebhook)> = Vec::new();
    for url in &urls {
        webhooks.push((url.clone(), create_webhook(&app, url).await));
    }
    emit(&app, "contact.created", json!({})).await;

    let done = app.dispatcher.run_once(Utc::now()).await.unwrap();

    assert_eq!(done, outcome(0, 0, urls.len()));
    for (url, webhook) in &webhooks {
        let rows = log_rows(&app, webhook).await;
        assert_eq!(rows.len(), 1, "{url}");
        assert_eq!(rows[0].status, "failed", "{url}");
        let error = rows[0].error.as_deref().unwrap_or_default();
        assert!(error.contains("not allowed"), "{url}: {error}");
    }
    assert_eq!(
        canary.connections(),
        0,
        "the canary saw a connection (names tried: {loopback_names:?})"
    );
}

#[tokio::test]
async fn a_disabled_webhook_fails_its_pending_attempts_without_calling() {
    let app = spawn_webhook_app().await;
    let receiver = Receiver::start(vec![Reply::status(200)]).await;
    let webhook = create_webhook(&app, &receiver.url()).await;
    emit(&app, "email.clicked", json!({})).await;
    let seq = webhook.seq;
    app.database
        .write(move |conn| {
            conn.execute(
                "UPDATE webhooks SET status = 'disabled' WHERE seq = ?1",
                [seq],
            )?;
            Ok(())
        })
        .await
        .unwrap();

    assert_eq!(
        app.dispatcher.run_once(Utc::now()).await.unwrap(),
        outcome(0, 0, 1)
    );

    assert_eq!(receiver.connections(), 0);
    let rows = log_rows(&app, &webhook).await;
    assert_eq!(rows[0].status, "failed");
    assert_eq!(rows[0].error.as_deref(), Some("webhook disabled"));
}

#[tokio::test]
async fn the_test_endpoint_delivers_a_signed_test_event_now_and_answers_its_log_entry() {
    let app = spawn_webhook_app().await;
    let receiver = Receiver::start(vec![Reply::status(204)]).await;
    // Subscribed to one event type only: the test event goes to it all the same.
    let webhook = create_webhook_with(&app, &receiver.url(), &["email.sent"], "active").await;

    let response = app
        .post(&format!("/v1/webhooks/{}/test", webhook.id), &json!({}))
        .await;

    assert_eq!(response.status(), 200);
    let data = body_json(response).await["data"].clone();
    assert_eq!(data["eventType"], "webhook.test");
    assert_eq!(data["status"], "delivered");
    assert_eq!(data["statusCode"], 204);
    assert_eq!(data["attempt"], 1);
    assert!(data["responseTime"].is_i64());
    assert!(data["error"].is_null());
    assert!(data["id"].as_str().unwrap().starts_with("log_"));
    assert!(data["timestamp"].as_str().unwrap().ends_with('Z'));
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let body: Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(body["id"], data["eventId"]);
    assert_eq!(body["type"], "webhook.test");
    assert_eq!(body["data"]["webhookId"], webhook.id.as_str());
    assert_eq!(body["data"]["message"], "This is a test event from fluenzr");
    // Already delivered: the worker has nothing left to send.
    assert_eq!(
        app.dispatcher.run_once(Utc::now()).await.unwrap(),
        outcome(0, 0, 0)
    );
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn the_test_endpoint_reports_a_failed_delivery_as_a_log_entry() {
    let app = spawn_webhook_app().await;
    let receiver = Receiver::start(vec![Reply::status(503)]).await;
    let webhook = create_webhook(&app, &receiver.url()).await;

    let response = app
        .post(&format!("/v1/webhooks/{}/test", webhook.id), &json!({}))
        .await;

    assert_eq!(response.status(), 200);
    let data = body_json(response).await["data"].clone();
    assert_eq!(data["status"], "retrying");
    assert_eq!(data["statusCode"], 503);
    assert!(data["error"].as_str().unwrap().contains("503"));
}

#[tokio::test]
async fn the_test_endpoint_answers_404_for_unknown_and_other_workspace_webhooks() {
    let app = spawn_webhook_app().await;
    let receiver = Receiver::start(vec![Reply::status(200)]).await;
    let webhook = create_webhook(&app, &receiver.url()).await;
    let (_, other_key) = app
        .create_workspace(fluenzr::domain::workspace::Plan::Pro)
        .await;

    let other = app
        .request_as(
            &other_key,
            Method::POST,
            &format!("/v1/webhooks/{}/test", webhook.id),
        )
        .send()
        .await
        .unwrap();
    assert_error(other, 404, "NOT_FOUND").await;
    let unknown = app
        .post("/v1/webhooks/whk_00000000000000000000/test", &json!({}))
        .await;
    assert_error(unknown, 404, "NOT_FOUND").await;
    let malformed = app.post("/v1/webhooks/nope/test", &json!({})).await;
    assert_error(malformed, 404, "NOT_FOUND").await;

    assert_eq!(receiver.connections(), 0);
}
