//! Every event is written to the outbox, with its exact payload, by the change that causes it:
//! real requests over HTTP, real sends through the SMTP sink, real clicks on tracking links.

use super::{data, spawn_webhook_app, subscribe_all};
use crate::campaign_fixtures::*;
use crate::helpers::{assert_error, body_json, spawn_app_with, TestApp};
use crate::smtp_sink::{Reply, SinkConfig, SmtpSink};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::Arc;

const PUBLIC: &str = "http://127.0.0.1:0";

/// Every event payload in the outbox, oldest first.
async fn outbox(app: &TestApp) -> Vec<Value> {
    app.database
        .read(|conn| {
            let mut statement = conn.prepare("SELECT payload FROM webhook_events ORDER BY seq")?;
            let rows = statement
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows
                .iter()
                .map(|payload| serde_json::from_str(payload).expect("JSON payload"))
                .collect())
        })
        .await
        .expect("outbox read")
}

/// The events after the first `skip`, each checked for the envelope fields; returns
/// (type, data) pairs.
async fn events_since(app: &TestApp, skip: usize) -> Vec<(String, Value)> {
    outbox(app)
        .await
        .into_iter()
        .skip(skip)
        .map(|event| {
            let id = event["id"].as_str().expect("an id");
            assert!(id.starts_with("evt_") && id.len() == 24, "{event}");
            let timestamp = event["timestamp"].as_str().expect("a timestamp");
            assert!(fluenzr::domain::time::parse(timestamp).is_some(), "{event}");
            let keys: Vec<&String> = event.as_object().unwrap().keys().collect();
            assert_eq!(keys.len(), 4, "id, type, timestamp, data: {event}");
            (
                event["type"].as_str().expect("a type").to_owned(),
                event["data"].clone(),
            )
        })
        .collect()
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

#[tokio::test]
async fn contact_changes_emit_their_events_with_the_contact_as_the_api_shows_it() {
    let app = spawn_webhook_app().await;
    subscribe_all(&app).await;
    let group = app.create_group("Leads").await;

    let created = app
        .create_contact(json!({"email": "ada@example.com", "firstName": "Ada"}))
        .await;
    let path = format!("/v1/contacts/{}", id(&created));
    let updated = data(
        app.send_json(Method::PUT, &path, &json!({"company": "Engines"}))
            .await,
        200,
    )
    .await;
    let tagged = data(
        app.post(&format!("{path}/tags"), &json!({"tags": ["vip"]}))
            .await,
        200,
    )
    .await;
    let grouped = data(
        app.post(
            &format!("{path}/groups"),
            &json!({"groupIds": [group["id"]]}),
        )
        .await,
        200,
    )
    .await;
    let before_delete = data(app.get(&path).await, 200).await;
    data(
        app.request(Method::DELETE, &path).send().await.unwrap(),
        200,
    )
    .await;

    assert_eq!(
        events_since(&app, 0).await,
        vec![
            ("contact.created".to_owned(), json!({ "contact": created })),
            ("contact.updated".to_owned(), json!({ "contact": updated })),
            ("contact.updated".to_owned(), json!({ "contact": tagged })),
            ("contact.updated".to_owned(), json!({ "contact": grouped })),
            (
                "contact.deleted".to_owned(),
                json!({ "contact": before_delete })
            ),
        ]
    );
}

#[tokio::test]
async fn a_refused_change_emits_nothing() {
    let app = spawn_webhook_app().await;
    subscribe_all(&app).await;
    let created = app
        .create_contact(json!({"email": "ada@example.com"}))
        .await;
    let before = outbox(&app).await.len();
    assert_error(
        app.post("/v1/contacts", &json!({"email": "ADA@example.com"}))
            .await,
        409,
        "CONFLICT",
    )
    .await;
    assert_error(
        app.send_json(
            Method::PUT,
            &format!("/v1/contacts/{}", id(&created)),
            &json!({"pipelineStageId": "stg_AAAAAAAAAAAAAAAAAAAA"}),
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(
        outbox(&app).await.len(),
        before,
        "no event without its change"
    );
}

#[tokio::test]
async fn bulk_and_import_emit_created_and_updated_events_for_the_rows_written_only() {
    let app = spawn_webhook_app().await;
    subscribe_all(&app).await;
    app.create_contact(json!({"email": "old@example.com"}))
        .await;
    let skip = outbox(&app).await.len();
    let outcome = data(
        app.post(
            "/v1/contacts/bulk",
            &json!({
                "onDuplicate": "update",
                "contacts": [
                    {"email": "new1@example.com", "firstName": "One"},
                    {"email": "not-an-email"},
                    {"email": "old@example.com", "firstName": "Old"},
                    {"email": "new2@example.com", "pipelineStageId": "stg_AAAAAAAAAAAAAAAAAAAA"},
                    {"email": "new3@example.com"}
                ]
            }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (&outcome["created"], &outcome["updated"]),
        (&json!(2), &json!(1)),
        "{outcome}"
    );
    let events = events_since(&app, skip).await;
    let summary: Vec<(&str, &str)> = events
        .iter()
        .map(|(kind, data)| {
            (
                kind.as_str(),
                data["contact"]["email"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("contact.created", "new1@example.com"),
            ("contact.created", "new3@example.com"),
            ("contact.updated", "old@example.com"),
        ],
        "the refused rows emit nothing"
    );
    for (_, data) in &events {
        let email = data["contact"]["email"].as_str().unwrap();
        let listed = body_json(app.get(&format!("/v1/contacts?email={email}")).await).await;
        assert_eq!(data["contact"], listed["data"][0], "{email}");
    }
    assert_eq!(events[2].1["contact"]["firstName"], "Old");

    let skip = outbox(&app).await.len();
    let response = app
        .request(Method::POST, "/v1/contacts/import?onDuplicate=update")
        .header("content-type", "text/csv")
        .body("email,firstName\nimported@example.com,Imp\nnew1@example.com,Uno\n,missing\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let summary: Vec<(String, String, String)> = events_since(&app, skip)
        .await
        .into_iter()
        .map(|(kind, data)| {
            (
                kind,
                data["contact"]["email"].as_str().unwrap().to_owned(),
                data["contact"]["firstName"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "contact.created".to_owned(),
                "imported@example.com".to_owned(),
                "Imp".to_owned()
            ),
            (
                "contact.updated".to_owned(),
                "new1@example.com".to_owned(),
                "Uno".to_owned()
            ),
        ]
    );
}

#[tokio::test]
async fn nothing_is_written_when_no_active_webhook_listens() {
    let app = spawn_webhook_app().await;
    let webhook = data(
        app.post(
            "/v1/webhooks",
            &json!({"url": super::HOOK_URL, "events": ["email.sent"]}),
        )
        .await,
        201,
    )
    .await;
    app.create_contact(json!({"email": "ada@example.com"}))
        .await;
    assert!(outbox(&app).await.is_empty(), "not subscribed");
    app.send_json(
        Method::PUT,
        &format!("/v1/webhooks/{}", id(&webhook)),
        &json!({"events": ["*"], "status": "disabled"}),
    )
    .await;
    app.create_contact(json!({"email": "bob@example.com"}))
        .await;
    assert!(outbox(&app).await.is_empty(), "disabled");
}

/// A campaign of one email to one contact, sent through a sink; returns (campaign, contact).
async fn one_contact_campaign(app: &TestApp, sink: &SmtpSink, email: &str) -> (String, Value) {
    let account = smtp_account(app, sink.port(), 1000).await;
    let contact = app
        .create_contact(json!({"email": email, "firstName": "Ada"}))
        .await;
    let campaign = campaign(
        app,
        &account,
        open_settings(),
        one_email(
            "Hello {{firstName}}",
            "<p>See <a href=\"https://example.com/pricing\">pricing</a>.</p>",
        ),
    )
    .await;
    (campaign, contact)
}

/// The base fields of every email event about this contact in this campaign.
fn email_base(campaign: &str, contact: &Value) -> serde_json::Map<String, Value> {
    json!({
        "campaignId": campaign,
        "campaignName": "Test campaign",
        "contactId": contact["id"],
        "contactEmail": contact["email"],
        "emailNodeId": "email_1"
    })
    .as_object()
    .unwrap()
    .clone()
}

fn with(base: &serde_json::Map<String, Value>, extra: Value) -> Value {
    let mut data = base.clone();
    data.extend(extra.as_object().unwrap().clone());
    Value::Object(data)
}

fn public_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn campaign_actions_and_the_senders_completion_emit_campaign_events() {
    let app = spawn_webhook_app().await;
    subscribe_all(&app).await;
    let sink = SmtpSink::start_default().await;
    let (campaign, contact) = one_contact_campaign(&app, &sink, "ada@example.test").await;
    app.post(
        &format!("/v1/campaigns/{campaign}/contacts"),
        &json!({"contactIds": [contact["id"]]}),
    )
    .await;
    let skip = outbox(&app).await.len();
    let action = |name: &'static str| {
        let path = format!("/v1/campaigns/{campaign}/{name}");
        let app = &app;
        async move { data(app.post(&path, &json!({})).await, 200).await }
    };
    let started = action("start").await;
    let paused = action("pause").await;
    let paused_again = action("pause").await;
    let resumed = action("resume").await;
    assert_eq!(paused_again["status"], "paused");
    assert_eq!(
        events_since(&app, skip).await,
        vec![
            (
                "campaign.started".to_owned(),
                json!({ "campaign": started })
            ),
            ("campaign.paused".to_owned(), json!({ "campaign": paused })),
            (
                "campaign.started".to_owned(),
                json!({ "campaign": resumed })
            ),
        ],
        "a pause that changes nothing emits nothing"
    );

    let skip = outbox(&app).await.len();
    for minute in 0..5 {
        app.sender
            .run_once(at(2027, 3, 1, 10, minute))
            .await
            .unwrap();
    }
    let finished = data(app.get(&format!("/v1/campaigns/{campaign}")).await, 200).await;
    assert_eq!(finished["status"], "completed");
    let completed: Vec<Value> = events_since(&app, skip)
        .await
        .into_iter()
        .filter(|(kind, _)| kind == "campaign.completed")
        .map(|(_, data)| data)
        .collect();
    assert_eq!(completed, [json!({ "campaign": finished })]);
}

#[tokio::test]
async fn a_real_send_opens_clicks_and_unsubscribe_emit_the_email_events() {
    let app = spawn_webhook_app().await;
    subscribe_all(&app).await;
    let sink = SmtpSink::start_default().await;
    let (campaign, contact) = one_contact_campaign(&app, &sink, "ada@example.test").await;
    enrol_and_start(&app, &campaign, &[id(&contact)]).await;
    let skip = outbox(&app).await.len();
    let sent_at = at(2027, 3, 1, 10, 0);
    assert_eq!(app.sender.run_once(sent_at).await.unwrap().sent, 1);
    let base = email_base(&campaign, &contact);
    let sends: Vec<Value> = outbox(&app).await.into_iter().skip(skip).collect();
    assert_eq!(sends[0]["timestamp"], "2027-03-01T10:00:00Z");
    let events = events_since(&app, skip).await;
    assert_eq!(
        events[..2],
        [
            (
                "email.sent".to_owned(),
                with(&base, json!({"emailSubject": "Hello Ada"}))
            ),
            ("email.delivered".to_owned(), Value::Object(base.clone())),
        ]
    );

    let text = decoded(&sink.messages()[0]);
    let pixel = link_path(&text, PUBLIC, "t/o").expect("a pixel");
    let click = link_path(&text, PUBLIC, "t/c").expect("a tracked link");
    let unsubscribe = link_path(&text, PUBLIC, "u").expect("an unsubscribe link");
    let client = public_client();
    let get = |path: &str| client.get(format!("{}{path}", app.address)).send();
    let skip = outbox(&app).await.len();
    get(&pixel).await.unwrap();
    get(&pixel).await.unwrap();
    assert_eq!(get(&click).await.unwrap().status(), 302);
    get(&click).await.unwrap();
    let events = events_since(&app, skip).await;
    assert_eq!(
        events.len(),
        3,
        "one open event by default, every click: {events:?}"
    );
    let (kind, opened) = &events[0];
    assert_eq!(kind, "email.opened");
    let first_open = opened["firstOpen"].as_str().unwrap().to_owned();
    assert!(fluenzr::domain::time::parse(&first_open).is_some());
    assert_eq!(
        opened,
        &with(&base, json!({"openCount": 1, "firstOpen": first_open})),
        "no user agent or IP by default"
    );
    assert_eq!(
        events[1..],
        [
            (
                "email.clicked".to_owned(),
                with(
                    &base,
                    json!({"linkUrl": "https://example.com/pricing", "clickCount": 1})
                )
            ),
            (
                "email.clicked".to_owned(),
                with(
                    &base,
                    json!({"linkUrl": "https://example.com/pricing", "clickCount": 2})
                )
            ),
        ]
    );

    let skip = outbox(&app).await.len();
    let one_click = || {
        client
            .post(format!("{}{unsubscribe}", app.address))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
    };
    assert_eq!(one_click().await.unwrap().status(), 200);
    assert_eq!(one_click().await.unwrap().status(), 200);
    let now = data(
        app.get(&format!("/v1/contacts/{}", id(&contact))).await,
        200,
    )
    .await;
    assert_eq!(now["status"], "unsubscribed");
    assert_eq!(
        events_since(&app, skip).await,
        vec![
            ("email.unsubscribed".to_owned(), Value::Object(base.clone())),
            ("contact.updated".to_owned(), json!({ "contact": now })),
        ],
        "a repeated unsubscribe emits nothing more"
    );
}

#[tokio::test]
async fn full_tracking_adds_the_user_agent_and_ip_to_every_open() {
    let app = spawn_app_with(|config| {
        config.webhook_allow_private = true;
        config.tracking_full = true;
    })
    .await;
    subscribe_all(&app).await;
    let sink = SmtpSink::start_default().await;
    let (campaign, contact) = one_contact_campaign(&app, &sink, "ada@example.test").await;
    enrol_and_start(&app, &campaign, &[id(&contact)]).await;
    app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();
    let pixel = link_path(&decoded(&sink.messages()[0]), PUBLIC, "t/o").unwrap();
    let skip = outbox(&app).await.len();
    for _ in 0..2 {
        public_client()
            .get(format!("{}{pixel}", app.address))
            .header("User-Agent", "TestMail/1.0")
            .send()
            .await
            .unwrap();
    }
    let opens = events_since(&app, skip).await;
    assert_eq!(opens.len(), 2, "{opens:?}");
    for (n, (kind, data)) in opens.iter().enumerate() {
        assert_eq!(kind, "email.opened");
        assert_eq!(data["openCount"], n + 1);
        assert_eq!(data["userAgent"], "TestMail/1.0");
        assert_eq!(data["ip"], "127.0.0.1");
        assert_eq!(data["firstOpen"], opens[0].1["firstOpen"]);
    }
}

#[tokio::test]
async fn a_hard_bounce_emits_sent_and_bounced_with_the_reason() {
    let app = spawn_webhook_app().await;
    subscribe_all(&app).await;
    let sink = SmtpSink::start(SinkConfig {
        on_rcpt: Arc::new(|_| Reply::Permanent(550, "5.1.1 No such user".into())),
        ..SinkConfig::default()
    })
    .await;
    let (campaign, contact) = one_contact_campaign(&app, &sink, "gone@example.test").await;
    enrol_and_start(&app, &campaign, &[id(&contact)]).await;
    let skip = outbox(&app).await.len();
    let outcome = app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();
    assert_eq!(outcome.bounced, 1);
    let reason: String = app
        .database
        .read(|conn| Ok(conn.query_row("SELECT last_error FROM sends", [], |row| row.get(0))?))
        .await
        .unwrap();
    assert!(reason.contains("No such user"), "{reason}");
    let base = email_base(&campaign, &contact);
    let events: Vec<(String, Value)> = events_since(&app, skip)
        .await
        .into_iter()
        .filter(|(kind, _)| kind.starts_with("email."))
        .collect();
    assert_eq!(
        events,
        [
            (
                "email.sent".to_owned(),
                with(&base, json!({"emailSubject": "Hello Ada"}))
            ),
            (
                "email.bounced".to_owned(),
                with(&base, json!({"bounceType": "hard", "bounceReason": reason}))
            ),
        ],
        "no email.delivered for a bounce"
    );
}
