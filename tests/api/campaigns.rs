//! /v1/campaigns over HTTP: CRUD and settings defaults, validation of settings and workflows, the
//! status machine, enrolment (by ids, groups and filters, dynamic groups), preview and forecast.

use crate::campaign_fixtures::{
    contacts, decoded, link_path, one_email, open_settings, smtp_account,
};
use crate::helpers::{assert_error, body_json, count_rows, spawn_app, TestApp};
use crate::smtp_sink::SmtpSink;
use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use reqwest::{Method, Response};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// An id that has the right shape but exists nowhere.
const UNKNOWN_CAMPAIGN: &str = "cmp_00000000000000000000";
const UNKNOWN_CONTACT: &str = "con_00000000000000000000";
const UNKNOWN_GROUP: &str = "grp_00000000000000000000";
const UNKNOWN_ACCOUNT: &str = "acc_00000000000000000000";
/// The base of tracking and unsubscribe links of a test app (its configured bind address).
const PUBLIC_URL: &str = "http://127.0.0.1:0";

// ---------- helpers ----------

/// The `data` of a successful JSON answer, after checking its status.
async fn data(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let body = body_json(response).await;
    assert_eq!(actual, status, "{body}");
    assert_eq!(body["success"], true, "{body}");
    body["data"].clone()
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

/// An email account whose SMTP port is never dialled by these tests.
async fn account(app: &TestApp) -> String {
    smtp_account(app, 2525, 1000).await
}

/// `base` with the keys of `extra` set over it.
fn with(base: &Value, extra: Value) -> Value {
    let mut out = base.as_object().cloned().unwrap_or_default();
    for (key, value) in extra.as_object().cloned().unwrap_or_default() {
        out.insert(key, value);
    }
    Value::Object(out)
}

fn node(id: &str, kind: &str) -> Value {
    json!({"id": id, "type": kind})
}

fn email(id: &str, subject: &str, body: &str) -> Value {
    json!({"id": id, "type": "email", "data": {"subject": subject, "body": body}})
}

fn delay(id: &str, data: Value) -> Value {
    json!({"id": id, "type": "delay", "data": data})
}

fn opened(id: &str) -> Value {
    json!({"id": id, "type": "condition", "data": {"criterion": "opened"}})
}

fn edge(from: &str, to: &str) -> Value {
    json!({"from": from, "to": to})
}

fn labelled(from: &str, to: &str, label: &str) -> Value {
    json!({"from": from, "to": to, "label": label})
}

fn graph(nodes: Vec<Value>, edges: Vec<Value>) -> Value {
    json!({"nodes": nodes, "edges": edges})
}

/// start → email_1 → wait (1 hour) → email_2 (threaded follow-up) → end.
fn two_emails(subject: &str, first: &str, second: &str) -> Value {
    graph(
        vec![
            node("start", "start"),
            email("email_1", subject, first),
            delay("wait", json!({"hours": 1})),
            email("email_2", "", second),
            node("end", "end"),
        ],
        vec![
            edge("start", "email_1"),
            edge("email_1", "wait"),
            edge("wait", "email_2"),
            edge("email_2", "end"),
        ],
    )
}

async fn create(app: &TestApp, body: Value) -> Value {
    data(app.post("/v1/campaigns", &body).await, 201).await
}

/// A draft with a one-email workflow and no contacts.
async fn draft(app: &TestApp, account: &str, name: &str) -> String {
    id(&create(
        app,
        json!({
            "name": name,
            "emailAccountId": account,
            "workflow": one_email("Hello {{firstName|there}}", "<p>Hi</p>")
        }),
    )
    .await)
}

async fn get_campaign(app: &TestApp, campaign: &str) -> Value {
    data(app.get(&format!("/v1/campaigns/{campaign}")).await, 200).await
}

async fn put(app: &TestApp, campaign: &str, body: Value) -> Response {
    app.send_json(Method::PUT, &format!("/v1/campaigns/{campaign}"), &body)
        .await
}

/// POST /campaigns/:id/<action> without a body, as the SDKs send it.
async fn act(app: &TestApp, campaign: &str, action: &str) -> Response {
    app.request(Method::POST, &format!("/v1/campaigns/{campaign}/{action}"))
        .send()
        .await
        .expect("request sent")
}

async fn enrol(app: &TestApp, campaign: &str, body: Value) -> Value {
    data(
        app.post(&format!("/v1/campaigns/{campaign}/contacts"), &body)
            .await,
        200,
    )
    .await
}

/// Ids of the campaign's enrolled contacts (first 100).
async fn enrolled(app: &TestApp, campaign: &str) -> BTreeSet<String> {
    let page = data(
        app.get(&format!("/v1/campaigns/{campaign}/contacts?perPage=100"))
            .await,
        200,
    )
    .await;
    page.as_array()
        .expect("a list")
        .iter()
        .map(|item| item["contactId"].as_str().expect("contactId").to_owned())
        .collect()
}

async fn total_contacts(app: &TestApp, campaign: &str) -> u64 {
    get_campaign(app, campaign).await["stats"]["totalContacts"]
        .as_u64()
        .expect("totalContacts")
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|id| (*id).clone()).collect()
}

/// A contact with a status other than active, set through the API.
async fn contact_with_status(app: &TestApp, email: &str, status: &str) -> String {
    let contact = app.create_contact(json!({ "email": email })).await;
    let contact_id = id(&contact);
    let updated = data(
        app.send_json(
            Method::PUT,
            &format!("/v1/contacts/{contact_id}"),
            &json!({ "status": status }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["status"], status);
    contact_id
}

/// An active campaign with one enrolled contact.
async fn active(app: &TestApp, account: &str, name: &str, contact: &str) -> String {
    let campaign = draft(app, account, name).await;
    enrol(app, &campaign, json!({ "contactIds": [contact] })).await;
    let started = data(act(app, &campaign, "start").await, 200).await;
    assert_eq!(started["status"], "active");
    campaign
}

fn default_settings() -> Value {
    json!({
        "sendDays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
        "sendHoursStart": 9,
        "sendHoursEnd": 17,
        "timezone": "UTC",
        "maxEmailsPerHour": 50,
        "dailyLimit": null,
        "stopOnReply": true,
        "trackOpens": true,
        "trackClicks": true,
        "unsubscribeLink": true
    })
}

// ---------- CRUD ----------

#[tokio::test]
async fn a_campaign_is_created_as_a_draft_with_the_default_settings() {
    let app = spawn_app().await;
    let account = account(&app).await;

    let created = create(
        &app,
        json!({"name": "  Q1 outreach  ", "emailAccountId": account}),
    )
    .await;

    let campaign = id(&created);
    assert!(
        campaign.starts_with("cmp_") && campaign.len() == 24,
        "{campaign}"
    );
    assert_eq!(created["name"], "Q1 outreach");
    assert_eq!(created["status"], "draft");
    assert_eq!(created["emailAccountId"], account.as_str());
    assert_eq!(created["description"], Value::Null);
    assert_eq!(created["workflow"], Value::Null);
    assert_eq!(created["groupIds"], json!([]));
    assert_eq!(created["settings"], default_settings());
    for counter in [
        "totalContacts",
        "sent",
        "delivered",
        "opened",
        "clicked",
        "replied",
        "bounced",
        "unsubscribed",
    ] {
        assert_eq!(created["stats"][counter], 0, "{counter}");
    }
    assert_eq!(created["startedAt"], Value::Null);
    assert_eq!(created["createdAt"], created["updatedAt"]);
    assert_eq!(get_campaign(&app, &campaign).await, created);
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) FROM campaigns WHERE name = 'Q1 outreach' AND status = 'draft'
               AND workflow IS NULL AND json_extract(settings, '$.maxEmailsPerHour') = 50"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn given_settings_are_merged_over_the_defaults_and_the_workflow_is_stored_normalised() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let workflow = graph(
        vec![
            node("start", "start"),
            email("email_1", "Hi {{firstName|there}}", "<p>Hello</p>"),
            delay("wait", json!({"days": 2})),
            email("email_2", "", "<p>Bump</p>"),
            node("end", "end"),
        ],
        vec![
            edge("start", "email_1"),
            edge("email_1", "wait"),
            edge("wait", "email_2"),
            edge("email_2", "end"),
        ],
    );

    let created = create(
        &app,
        json!({
            "name": "Paris",
            "description": "Founders in fintech",
            "emailAccountId": account,
            "settings": {
                "timezone": "Europe/Paris",
                "sendDays": ["friday", "monday"],
                "dailyLimit": 200,
                "trackOpens": false
            },
            "workflow": workflow
        }),
    )
    .await;

    let mut expected = default_settings();
    expected["timezone"] = json!("Europe/Paris");
    expected["sendDays"] = json!(["monday", "friday"]);
    expected["dailyLimit"] = json!(200);
    expected["trackOpens"] = json!(false);
    assert_eq!(created["settings"], expected);
    assert_eq!(created["description"], "Founders in fintech");
    let mut stored = workflow.clone();
    stored["nodes"][2]["data"] = json!({"days": 2, "businessDays": false});
    assert_eq!(created["workflow"], stored);
    assert_eq!(get_campaign(&app, &id(&created)).await, created);
}

#[tokio::test]
async fn campaigns_are_listed_with_status_and_name_filters_sorting_and_pages() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let contact = id(&app
        .create_contact(json!({"email": "ada@example.com"}))
        .await);
    draft(&app, &account, "Alpha launch").await;
    active(&app, &account, "beta follow-up", &contact).await;
    draft(&app, &account, "Gamma launch").await;

    let names = |query: &'static str| {
        let app = &app;
        async move {
            let response = app.get(&format!("/v1/campaigns{query}")).await;
            let status = response.status();
            let body = body_json(response).await;
            assert_eq!(status, 200, "{query}: {body}");
            let names: Vec<String> = body["data"]
                .as_array()
                .expect("a list")
                .iter()
                .map(|item| item["name"].as_str().unwrap().to_owned())
                .collect();
            (names, body["meta"].clone())
        }
    };

    let (all, meta) = names("").await;
    assert_eq!(
        all,
        ["Gamma launch", "beta follow-up", "Alpha launch"],
        "newest first by default"
    );
    assert_eq!(
        meta,
        json!({"page": 1, "perPage": 20, "total": 3, "totalPages": 1})
    );
    let cases: [(&str, &[&str]); 11] = [
        ("?status=active", &["beta follow-up"]),
        ("?status=draft", &["Gamma launch", "Alpha launch"]),
        ("?status=paused", &[]),
        ("?name=LAUNCH", &["Gamma launch", "Alpha launch"]),
        ("?name=follow", &["beta follow-up"]),
        ("?name=%25", &[]),
        ("?name=launch&status=active", &[]),
        (
            "?sort=name&order=asc",
            &["Alpha launch", "beta follow-up", "Gamma launch"],
        ),
        (
            "?sort=name&order=desc",
            &["Gamma launch", "beta follow-up", "Alpha launch"],
        ),
        (
            "?sort=name",
            &["Gamma launch", "beta follow-up", "Alpha launch"],
        ),
        (
            "?sort=createdAt&order=asc",
            &["Alpha launch", "beta follow-up", "Gamma launch"],
        ),
    ];
    for (query, expected) in cases {
        let (found, meta) = names(query).await;
        assert_eq!(found, expected, "{query}");
        assert_eq!(meta["total"], expected.len(), "{query}");
    }
    let (by_update, _) = names("?sort=updatedAt&order=desc").await;
    assert_eq!(by_update.len(), 3);

    let (second, meta) = names("?perPage=2&page=2&sort=name&order=asc").await;
    assert_eq!(second, ["Gamma launch"]);
    assert_eq!(
        meta,
        json!({"page": 2, "perPage": 2, "total": 3, "totalPages": 2})
    );
    let (beyond, meta) = names("?page=5").await;
    assert!(beyond.is_empty());
    assert_eq!(meta["total"], 3);

    let invalid = [
        ("status=running", "unknown status"),
        ("sort=status", "unsortable field"),
        ("order=up", "unknown order"),
        ("perPage=0", "page size below 1"),
        ("perPage=101", "page size above 100"),
        ("page=0", "page below 1"),
        ("colour=red", "unknown parameter"),
    ];
    for (query, reason) in invalid {
        let response = app.get(&format!("/v1/campaigns?{query}")).await;
        let status = response.status();
        assert_eq!(status, 400, "{reason}");
        assert_error(response, 400, "VALIDATION_ERROR").await;
    }
}

#[tokio::test]
async fn a_put_changes_only_the_given_fields_and_merges_settings_field_by_field() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let other_account = smtp_account(&app, 2526, 10).await;
    let created = create(
        &app,
        json!({
            "name": "Original",
            "description": "First",
            "emailAccountId": account,
            "settings": {"timezone": "Europe/Paris", "dailyLimit": 200, "sendHoursEnd": 18},
            "workflow": one_email("Hi", "<p>Hi</p>")
        }),
    )
    .await;
    let campaign = id(&created);

    let updated = data(
        put(
            &app,
            &campaign,
            json!({"settings": {"maxEmailsPerHour": 30}}),
        )
        .await,
        200,
    )
    .await;
    let mut expected = created["settings"].clone();
    expected["maxEmailsPerHour"] = json!(30);
    assert_eq!(updated["settings"], expected, "only maxEmailsPerHour moved");
    assert_eq!(updated["settings"]["timezone"], "Europe/Paris");
    assert_eq!(updated["settings"]["dailyLimit"], 200);
    assert_eq!(updated["settings"]["sendHoursEnd"], 18);
    for kept in [
        "name",
        "description",
        "workflow",
        "emailAccountId",
        "createdAt",
    ] {
        assert_eq!(updated[kept], created[kept], "{kept} is kept");
    }

    let renamed = data(
        put(
            &app,
            &campaign,
            json!({
                "name": "Renamed",
                "description": null,
                "emailAccountId": other_account,
                "settings": {"dailyLimit": null, "sendHoursStart": 8},
                "workflow": one_email("Changed", "<p>Changed</p>")
            }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(renamed["name"], "Renamed");
    assert_eq!(renamed["description"], Value::Null);
    assert_eq!(renamed["emailAccountId"], other_account.as_str());
    assert_eq!(renamed["settings"]["dailyLimit"], Value::Null);
    assert_eq!(renamed["settings"]["sendHoursStart"], 8);
    assert_eq!(renamed["settings"]["sendHoursEnd"], 18);
    assert_eq!(renamed["settings"]["maxEmailsPerHour"], 30);
    assert_eq!(renamed["workflow"], one_email("Changed", "<p>Changed</p>"));
    assert_eq!(get_campaign(&app, &campaign).await, renamed);
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) FROM campaigns WHERE name = 'Renamed' AND description IS NULL
               AND json_extract(settings, '$.maxEmailsPerHour') = 30
               AND json_extract(settings, '$.dailyLimit') IS NULL
               AND json_extract(settings, '$.sendHoursStart') = 8
               AND json_extract(settings, '$.timezone') = 'Europe/Paris'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn an_active_campaign_cannot_be_deleted_and_a_draft_is_gone_with_its_enrolments() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let contact = id(&app
        .create_contact(json!({"email": "ada@example.com"}))
        .await);
    let running = active(&app, &account, "Running", &contact).await;
    let group = app.create_group("Leads").await;
    let doomed = id(&create(
        &app,
        json!({"name": "Doomed", "emailAccountId": account, "groupIds": [group["id"]]}),
    )
    .await);
    enrol(&app, &doomed, json!({"contactIds": [contact]})).await;

    let refused = app
        .request(Method::DELETE, &format!("/v1/campaigns/{running}"))
        .send()
        .await
        .unwrap();
    assert_error(refused, 409, "CONFLICT").await;
    assert_eq!(get_campaign(&app, &running).await["status"], "active");

    let path = format!("/v1/campaigns/{doomed}");
    let deleted = data(
        app.request(Method::DELETE, &path).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(deleted, json!({"id": doomed, "deleted": true}));
    assert_error(app.get(&path).await, 404, "NOT_FOUND").await;
    let again = app.request(Method::DELETE, &path).send().await.unwrap();
    assert_error(again, 404, "NOT_FOUND").await;
    assert_eq!(count_rows(&app, "SELECT count(*) FROM campaigns").await, 1);
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM campaign_contacts").await,
        1,
        "only the running campaign's enrolment is left"
    );
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM campaign_groups").await,
        0
    );
    assert_eq!(
        app.get(&format!("/v1/contacts/{contact}")).await.status(),
        200,
        "the contact stays"
    );

    // Once paused, it can go.
    data(act(&app, &running, "pause").await, 200).await;
    let response = app
        .request(Method::DELETE, &format!("/v1/campaigns/{running}"))
        .send()
        .await
        .unwrap();
    data(response, 200).await;
    assert_eq!(count_rows(&app, "SELECT count(*) FROM campaigns").await, 0);
}

// ---------- validation ----------

#[tokio::test]
async fn invalid_campaign_bodies_are_refused_naming_the_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let base = json!({"name": "Valid", "emailAccountId": account});
    let settings = |value: Value| with(&base, json!({ "settings": value }));
    let cases: Vec<(Value, u16, &str, &str, &str)> = vec![
        (
            json!({"emailAccountId": account}),
            400,
            "VALIDATION_ERROR",
            "name",
            "missing name",
        ),
        (
            with(&base, json!({"name": "   "})),
            400,
            "VALIDATION_ERROR",
            "name",
            "blank name",
        ),
        (
            with(&base, json!({"name": "x".repeat(256)})),
            400,
            "VALIDATION_ERROR",
            "name",
            "name too long",
        ),
        (
            with(&base, json!({"name": "a\nb"})),
            400,
            "VALIDATION_ERROR",
            "name",
            "name with a line break",
        ),
        (
            json!({"name": "Valid"}),
            400,
            "VALIDATION_ERROR",
            "emailAccountId",
            "missing account",
        ),
        (
            with(&base, json!({"emailAccountId": UNKNOWN_ACCOUNT})),
            404,
            "NOT_FOUND",
            "emailAccountId",
            "unknown account",
        ),
        (
            with(&base, json!({"emailAccountId": "smtp-1"})),
            404,
            "NOT_FOUND",
            "emailAccountId",
            "not an account id",
        ),
        (
            with(&base, json!({"groupIds": [UNKNOWN_GROUP]})),
            404,
            "NOT_FOUND",
            "groupIds",
            "unknown group",
        ),
        (
            with(&base, json!({"description": "x".repeat(2001)})),
            400,
            "VALIDATION_ERROR",
            "description",
            "description too long",
        ),
        (
            with(&base, json!({"sendWindow": "9-17"})),
            400,
            "VALIDATION_ERROR",
            "sendWindow",
            "unknown field in the body",
        ),
        (
            settings(json!({"sendHoursStart": 24})),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursStart",
            "start hour past 23",
        ),
        (
            settings(json!({"sendHoursStart": -1})),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursStart",
            "negative hour",
        ),
        (
            settings(json!({"sendHoursEnd": 25})),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursEnd",
            "end hour past 24",
        ),
        (
            settings(json!({"sendHoursStart": 12, "sendHoursEnd": 12})),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursEnd",
            "start equals end",
        ),
        (
            settings(json!({"sendHoursStart": 18, "sendHoursEnd": 10})),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursEnd",
            "start after end",
        ),
        (
            settings(json!({"sendHoursStart": 17})),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursStart",
            "start at the default end",
        ),
        (
            settings(json!({"sendHoursStart": 9.5})),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursStart",
            "fractional start hour",
        ),
        (
            settings(json!({"sendHoursEnd": 16.5})),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursEnd",
            "fractional end hour",
        ),
        (
            settings(json!({"timezone": "Mars/Olympus"})),
            400,
            "VALIDATION_ERROR",
            "settings.timezone",
            "unknown time zone",
        ),
        (
            settings(json!({"maxEmailsPerHour": 0})),
            400,
            "VALIDATION_ERROR",
            "settings.maxEmailsPerHour",
            "zero per hour",
        ),
        (
            settings(json!({"maxEmailsPerHour": 10001})),
            400,
            "VALIDATION_ERROR",
            "settings.maxEmailsPerHour",
            "above 10000 per hour",
        ),
        (
            settings(json!({"dailyLimit": 0})),
            400,
            "VALIDATION_ERROR",
            "settings.dailyLimit",
            "zero daily limit",
        ),
        (
            settings(json!({"sendDays": []})),
            400,
            "VALIDATION_ERROR",
            "settings.sendDays",
            "no send day",
        ),
        (
            settings(json!({"sendDays": ["monday", "funday"]})),
            400,
            "VALIDATION_ERROR",
            "settings.sendDays",
            "unknown day",
        ),
        (
            settings(json!({"sendDays": ["monday", "monday"]})),
            400,
            "VALIDATION_ERROR",
            "settings.sendDays",
            "duplicate day",
        ),
        (
            settings(json!({"sendHour": 9})),
            400,
            "VALIDATION_ERROR",
            "settings",
            "unknown settings field",
        ),
        (
            settings(json!("weekdays")),
            400,
            "VALIDATION_ERROR",
            "settings",
            "settings not an object",
        ),
        (
            with(&base, json!({"workflow": []})),
            400,
            "VALIDATION_ERROR",
            "workflow",
            "workflow not an object",
        ),
    ];
    for (body, status, code, field, reason) in cases {
        let response = app.post("/v1/campaigns", &body).await;
        assert_eq!(response.status().as_u16(), status, "{reason}");
        let error = assert_error(response, status, code).await;
        assert_eq!(
            error["error"]["details"]["field"], field,
            "{reason}: {error}"
        );
    }
    assert_eq!(count_rows(&app, "SELECT count(*) FROM campaigns").await, 0);
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM campaign_groups").await,
        0
    );
}

/// Invalid workflows: (workflow, details.field, details.nodeId, reason).
fn invalid_workflows() -> Vec<(Value, &'static str, Option<&'static str>, &'static str)> {
    let start = || node("start", "start");
    let end = || node("end", "end");
    let hello = || email("email_1", "Hello", "<p>Hi</p>");
    let with_delay = |data: Value| {
        graph(
            vec![
                start(),
                hello(),
                delay("wait", data),
                email("email_2", "", "<p>Bump</p>"),
                end(),
            ],
            vec![
                edge("start", "email_1"),
                edge("email_1", "wait"),
                edge("wait", "email_2"),
                edge("email_2", "end"),
            ],
        )
    };
    vec![
        (
            graph(
                vec![start(), node("start_2", "start"), hello(), end()],
                vec![
                    edge("start", "email_1"),
                    edge("start_2", "email_1"),
                    edge("email_1", "end"),
                ],
            ),
            "workflow.nodes[1].type",
            Some("start_2"),
            "two start nodes",
        ),
        (
            graph(vec![hello(), end()], vec![edge("email_1", "end")]),
            "workflow.nodes",
            None,
            "no start node",
        ),
        (
            graph(
                vec![
                    start(),
                    hello(),
                    email("orphan", "Lost", "<p>Lost</p>"),
                    end(),
                ],
                vec![
                    edge("start", "email_1"),
                    edge("email_1", "end"),
                    edge("orphan", "end"),
                ],
            ),
            "workflow.nodes[2]",
            Some("orphan"),
            "a node the start never reaches",
        ),
        (
            graph(
                vec![
                    start(),
                    hello(),
                    opened("check"),
                    delay("wait", json!({"days": 1})),
                    end(),
                ],
                vec![
                    edge("start", "email_1"),
                    edge("email_1", "check"),
                    labelled("check", "end", "true"),
                    labelled("check", "wait", "false"),
                    edge("wait", "email_1"),
                ],
            ),
            "workflow.edges[4].to",
            Some("wait"),
            "a cycle back to the first email",
        ),
        (
            graph(
                vec![start(), hello(), delay("wait", json!({"days": 2})), end()],
                vec![edge("start", "email_1"), edge("email_1", "wait")],
            ),
            "workflow.nodes[2]",
            Some("wait"),
            "a delay leading nowhere instead of to an end",
        ),
        (
            graph(
                vec![start(), hello(), opened("check"), end()],
                vec![
                    edge("start", "email_1"),
                    edge("email_1", "check"),
                    labelled("check", "end", "true"),
                ],
            ),
            "workflow.nodes[2]",
            Some("check"),
            "a condition without its false edge",
        ),
        (
            graph(
                vec![start(), hello(), opened("check"), end()],
                vec![
                    edge("start", "email_1"),
                    edge("email_1", "check"),
                    edge("check", "end"),
                ],
            ),
            "workflow.edges[2].label",
            Some("check"),
            "a condition edge without a label",
        ),
        (
            one_email("Hello", ""),
            "workflow.nodes[1].data.body",
            Some("email_1"),
            "an email without a body",
        ),
        (
            one_email("Hello", "   "),
            "workflow.nodes[1].data.body",
            Some("email_1"),
            "an email whose body is blank",
        ),
        (
            one_email("", "<p>Hi</p>"),
            "workflow.nodes[1].data.subject",
            Some("email_1"),
            "the first email without a subject",
        ),
        (
            one_email("Hi {{firstName", "<p>Hi</p>"),
            "workflow.nodes[1].data.subject",
            Some("email_1"),
            "an unclosed variable in the subject",
        ),
        (
            one_email("Hi", "<p>Hi {{firstName</p>"),
            "workflow.nodes[1].data.body",
            Some("email_1"),
            "an unclosed variable in the body",
        ),
        (
            with_delay(json!({"days": 0})),
            "workflow.nodes[2].data.days",
            Some("wait"),
            "a delay of 0 days",
        ),
        (
            with_delay(json!({"days": 31})),
            "workflow.nodes[2].data.days",
            Some("wait"),
            "a delay of 31 days",
        ),
        (
            with_delay(json!({"days": 1.5})),
            "workflow.nodes[2].data.days",
            Some("wait"),
            "a fractional delay",
        ),
        (
            with_delay(json!({"hours": 25})),
            "workflow.nodes[2].data.hours",
            Some("wait"),
            "a delay of 25 hours",
        ),
        (
            with_delay(json!({"days": 1, "hours": 2})),
            "workflow.nodes[2].data",
            Some("wait"),
            "a delay with both days and hours",
        ),
        (
            with_delay(json!({})),
            "workflow.nodes[2].data",
            Some("wait"),
            "a delay with neither days nor hours",
        ),
        (
            graph(
                vec![
                    start(),
                    json!({"id": "sms_1", "type": "sms", "data": {"text": "Hi"}}),
                    end(),
                ],
                vec![edge("start", "sms_1"), edge("sms_1", "end")],
            ),
            "workflow.nodes[1].type",
            Some("sms_1"),
            "an unknown node type",
        ),
        (
            graph(
                vec![start(), hello(), end()],
                vec![edge("start", "email_1"), edge("email_1", "nowhere")],
            ),
            "workflow.edges[1].to",
            None,
            "an edge to a node that does not exist",
        ),
        (
            graph(
                vec![
                    start(),
                    hello(),
                    email("email_1", "Again", "<p>Again</p>"),
                    end(),
                ],
                vec![edge("start", "email_1"), edge("email_1", "end")],
            ),
            "workflow.nodes[2].id",
            Some("email_1"),
            "two nodes with the same id",
        ),
    ]
}

fn assert_names_the_node(error: &Value, field: &str, node: Option<&str>, reason: &str) {
    let details = &error["error"]["details"];
    assert_eq!(details["field"], field, "{reason}: {error}");
    assert_eq!(details["nodeId"], json!(node), "{reason}: {error}");
    if let Some(node) = node {
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(node), "{reason}: {message}");
    }
}

#[tokio::test]
async fn invalid_workflows_are_refused_naming_the_node_on_create_and_on_update() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let existing = draft(&app, &account, "Existing").await;
    let before = get_campaign(&app, &existing).await;

    for (workflow, field, node, reason) in invalid_workflows() {
        let response = app
            .post(
                "/v1/campaigns",
                &json!({"name": "New", "emailAccountId": account, "workflow": workflow}),
            )
            .await;
        let error = assert_error(response, 400, "VALIDATION_ERROR").await;
        assert_names_the_node(&error, field, node, reason);

        let response = put(&app, &existing, json!({ "workflow": workflow })).await;
        let error = assert_error(response, 400, "VALIDATION_ERROR").await;
        assert_names_the_node(&error, field, node, &format!("update: {reason}"));
    }
    assert_eq!(count_rows(&app, "SELECT count(*) FROM campaigns").await, 1);
    assert_eq!(get_campaign(&app, &existing).await, before);
}

#[tokio::test]
async fn invalid_updates_leave_the_campaign_as_it_was() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let campaign = draft(&app, &account, "Kept").await;
    let before = get_campaign(&app, &campaign).await;
    let cases: Vec<(Value, u16, &str, &str, &str)> = vec![
        (
            json!({"name": ""}),
            400,
            "VALIDATION_ERROR",
            "name",
            "empty name",
        ),
        (
            json!({"emailAccountId": UNKNOWN_ACCOUNT}),
            404,
            "NOT_FOUND",
            "emailAccountId",
            "unknown account",
        ),
        (
            json!({"groupIds": [UNKNOWN_GROUP]}),
            404,
            "NOT_FOUND",
            "groupIds",
            "unknown group",
        ),
        (
            json!({"status": "active"}),
            400,
            "VALIDATION_ERROR",
            "status",
            "status is not writable",
        ),
        (
            json!({"settings": {"sendHoursStart": 17}}),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursStart",
            "start at the stored end",
        ),
        (
            json!({"settings": {"sendHoursEnd": 9}}),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursEnd",
            "end at the stored start",
        ),
        (
            json!({"settings": {"timezone": "Mars/Olympus"}}),
            400,
            "VALIDATION_ERROR",
            "settings.timezone",
            "unknown time zone",
        ),
        (
            json!({"settings": {"maxEmailsPerHour": 10001}}),
            400,
            "VALIDATION_ERROR",
            "settings.maxEmailsPerHour",
            "above 10000 per hour",
        ),
        (
            json!({"settings": {"sendDays": ["saturday", "saturday"]}}),
            400,
            "VALIDATION_ERROR",
            "settings.sendDays",
            "duplicate day",
        ),
        (
            json!({"name": "Changed", "settings": {"dailyLimit": 0}}),
            400,
            "VALIDATION_ERROR",
            "settings.dailyLimit",
            "a valid name with invalid settings",
        ),
    ];
    for (body, status, code, field, reason) in cases {
        let response = put(&app, &campaign, body).await;
        assert_eq!(response.status().as_u16(), status, "{reason}");
        let error = assert_error(response, status, code).await;
        assert_eq!(
            error["error"]["details"]["field"], field,
            "{reason}: {error}"
        );
    }
    assert_eq!(get_campaign(&app, &campaign).await, before);
    let missing = put(&app, UNKNOWN_CAMPAIGN, json!({"name": "X"})).await;
    assert_error(missing, 404, "NOT_FOUND").await;
}

// ---------- the status machine ----------

#[tokio::test]
async fn starting_needs_a_workflow_and_contacts_and_names_what_is_missing() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let contact = id(&app
        .create_contact(json!({"email": "ada@example.com"}))
        .await);
    let bare = id(&create(&app, json!({"name": "Bare", "emailAccountId": account})).await);
    let no_contacts = draft(&app, &account, "No contacts").await;

    let cases = [
        (&bare, json!(["workflow", "contacts"]), "neither"),
        (&no_contacts, json!(["contacts"]), "no contacts"),
    ];
    for (campaign, missing, reason) in cases {
        let error = assert_error(act(&app, campaign, "start").await, 400, "VALIDATION_ERROR").await;
        assert_eq!(error["error"]["details"]["missing"], missing, "{reason}");
        assert_eq!(error["error"]["details"]["field"], missing[0], "{reason}");
    }
    let error = assert_error(act(&app, &bare, "start").await, 400, "VALIDATION_ERROR").await;
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("workflow") && message.contains("contact"),
        "{message}"
    );

    enrol(&app, &bare, json!({"contactIds": [contact]})).await;
    let error = assert_error(act(&app, &bare, "start").await, 400, "VALIDATION_ERROR").await;
    assert_eq!(error["error"]["details"]["missing"], json!(["workflow"]));
    let still = get_campaign(&app, &bare).await;
    assert_eq!(still["status"], "draft");
    assert_eq!(still["startedAt"], Value::Null);
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) FROM campaigns WHERE status <> 'draft' OR started_at IS NOT NULL"
        )
        .await,
        0
    );

    data(
        put(
            &app,
            &bare,
            json!({"workflow": one_email("Hi", "<p>Hi</p>")}),
        )
        .await,
        200,
    )
    .await;
    let started = data(act(&app, &bare, "start").await, 200).await;
    assert_eq!(started["status"], "active");
    assert!(started["startedAt"].is_string());
}

#[tokio::test]
async fn a_campaign_moves_through_start_pause_resume_and_archive() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let contact = id(&app
        .create_contact(json!({"email": "ada@example.com"}))
        .await);
    let late = id(&app
        .create_contact(json!({"email": "late@example.com"}))
        .await);
    let campaign = draft(&app, &account, "Lifecycle").await;
    enrol(&app, &campaign, json!({"contactIds": [contact]})).await;

    for action in ["pause", "resume", "archive"] {
        let error = assert_error(act(&app, &campaign, action).await, 409, "CONFLICT").await;
        assert_eq!(error["error"]["details"]["status"], "draft", "{action}");
    }

    let started = data(act(&app, &campaign, "start").await, 200).await;
    assert_eq!(started["status"], "active");
    let started_at = started["startedAt"].clone();
    assert!(started_at.is_string());
    let again = data(act(&app, &campaign, "start").await, 200).await;
    assert_eq!(again["status"], "active", "starting twice is a no-op");
    assert_eq!(again["startedAt"], started_at);

    let error = assert_error(act(&app, &campaign, "archive").await, 409, "CONFLICT").await;
    assert_eq!(error["error"]["details"]["status"], "active");
    let error = assert_error(
        put(&app, &campaign, json!({"name": "Edited while active"})).await,
        409,
        "CONFLICT",
    )
    .await;
    assert_eq!(error["error"]["details"]["status"], "active");
    assert_eq!(get_campaign(&app, &campaign).await["name"], "Lifecycle");

    assert_eq!(
        data(act(&app, &campaign, "pause").await, 200).await["status"],
        "paused"
    );
    assert_eq!(
        data(act(&app, &campaign, "pause").await, 200).await["status"],
        "paused",
        "pausing twice is a no-op"
    );
    assert_error(act(&app, &campaign, "start").await, 409, "CONFLICT").await;
    let edited = data(
        put(&app, &campaign, json!({"name": "Edited while paused"})).await,
        200,
    )
    .await;
    assert_eq!(edited["name"], "Edited while paused");
    assert_eq!(edited["status"], "paused");

    let resumed = data(act(&app, &campaign, "resume").await, 200).await;
    assert_eq!(resumed["status"], "active");
    assert_eq!(
        resumed["startedAt"], started_at,
        "a resume is not a new start"
    );
    assert_eq!(
        data(act(&app, &campaign, "resume").await, 200).await["status"],
        "active"
    );

    data(act(&app, &campaign, "pause").await, 200).await;
    let archived = data(act(&app, &campaign, "archive").await, 200).await;
    assert_eq!(archived["status"], "archived");
    assert_eq!(
        data(act(&app, &campaign, "archive").await, 200).await["status"],
        "archived"
    );
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) FROM campaigns WHERE status = 'archived'"
        )
        .await,
        1
    );
    for action in ["start", "pause", "resume"] {
        let error = assert_error(act(&app, &campaign, action).await, 409, "CONFLICT").await;
        assert_eq!(error["error"]["details"]["status"], "archived", "{action}");
    }
    assert_error(
        put(&app, &campaign, json!({"name": "Too late"})).await,
        409,
        "CONFLICT",
    )
    .await;
    let error = assert_error(
        app.post(
            &format!("/v1/campaigns/{campaign}/contacts"),
            &json!({"contactIds": [late]}),
        )
        .await,
        409,
        "CONFLICT",
    )
    .await;
    assert_eq!(error["error"]["details"]["status"], "archived");
    assert_eq!(enrolled(&app, &campaign).await, set(&[&contact]));

    for action in ["start", "pause", "resume", "archive"] {
        assert_error(act(&app, UNKNOWN_CAMPAIGN, action).await, 404, "NOT_FOUND").await;
    }
}

// ---------- enrolment ----------

#[tokio::test]
async fn contacts_are_enrolled_by_ids_by_groups_by_one_group_and_by_filters() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let first = app.create_group("First").await;
    let second = app.create_group("Second").await;
    let vip = id(&app
        .create_contact(json!({"email": "vip@example.com", "tags": ["vip"]}))
        .await);
    let in_first = id(&app
        .create_contact(json!({"email": "one@example.com", "groupIds": [first["id"]]}))
        .await);
    let in_both = id(&app
        .create_contact(json!({
            "email": "both@example.com",
            "tags": ["vip"],
            "groupIds": [first["id"], second["id"]]
        }))
        .await);
    let loner = id(&app
        .create_contact(json!({"email": "loner@example.com"}))
        .await);
    let gone = contact_with_status(&app, "gone@example.com", "unsubscribed").await;

    let cases = [
        (
            json!({"contactIds": [vip, loner]}),
            set(&[&vip, &loner]),
            "by ids",
        ),
        (
            json!({"groupIds": [first["id"], second["id"]]}),
            set(&[&in_first, &in_both]),
            "by groups (a member of both counts once)",
        ),
        (
            json!({"groupId": second["id"]}),
            set(&[&in_both]),
            "by one group",
        ),
        (
            json!({"filters": {"tags": ["vip"]}}),
            set(&[&vip, &in_both]),
            "by tag",
        ),
        (
            json!({"filters": {"status": "active"}}),
            set(&[&vip, &in_first, &in_both, &loner]),
            "by status",
        ),
        (
            json!({"filters": {"groups": [first["id"]], "tags": ["vip"]}}),
            set(&[&in_both]),
            "by group and tag together",
        ),
    ];
    for (n, (body, expected, reason)) in cases.into_iter().enumerate() {
        let campaign = draft(&app, &account, &format!("Selector {n}")).await;
        let outcome = enrol(&app, &campaign, body).await;
        assert_eq!(outcome["added"], expected.len(), "{reason}: {outcome}");
        assert_eq!(outcome["skipped"], 0, "{reason}: {outcome}");
        assert_eq!(outcome["errors"], json!([]), "{reason}: {outcome}");
        assert_eq!(enrolled(&app, &campaign).await, expected, "{reason}");
        assert_eq!(
            total_contacts(&app, &campaign).await,
            expected.len() as u64,
            "{reason}"
        );
    }
    // Filtering by status "unsubscribed" selects the suppressed contact, which is then skipped.
    let campaign = draft(&app, &account, "Unsubscribed").await;
    let outcome = enrol(
        &app,
        &campaign,
        json!({"filters": {"status": "unsubscribed"}}),
    )
    .await;
    assert_eq!(outcome["added"], 0);
    assert_eq!(outcome["skipped"], 1);
    assert_eq!(outcome["errors"][0]["contactId"], gone.as_str());
    assert_eq!(outcome["errors"][0]["code"], "UNSUBSCRIBED");
}

#[tokio::test]
async fn an_enrolment_needs_exactly_one_selector_and_nothing_is_written_otherwise() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let group = app.create_group("Group").await;
    let contact = id(&app
        .create_contact(json!({"email": "ada@example.com", "groupIds": [group["id"]]}))
        .await);
    let campaign = draft(&app, &account, "Selectors").await;
    let cases: Vec<(Value, u16, &str, &str, &str)> = vec![
        (
            json!({}),
            400,
            "VALIDATION_ERROR",
            "contactIds",
            "no selector",
        ),
        (
            json!({"contactIds": [contact], "groupId": group["id"]}),
            400,
            "VALIDATION_ERROR",
            "contactIds",
            "ids and a group",
        ),
        (
            json!({"groupIds": [group["id"]], "filters": {"tags": ["vip"]}}),
            400,
            "VALIDATION_ERROR",
            "contactIds",
            "groups and filters",
        ),
        (
            json!({"contactIds": []}),
            400,
            "VALIDATION_ERROR",
            "contactIds",
            "no ids",
        ),
        (
            json!({"groupIds": []}),
            400,
            "VALIDATION_ERROR",
            "groupIds",
            "no groups",
        ),
        (
            json!({"contactIds": vec![contact.clone(); 1001]}),
            400,
            "VALIDATION_ERROR",
            "contactIds",
            "more than 1000 ids",
        ),
        (
            json!({"groupId": UNKNOWN_GROUP}),
            404,
            "NOT_FOUND",
            "groupId",
            "unknown group",
        ),
        (
            json!({"groupIds": [group["id"], UNKNOWN_GROUP]}),
            404,
            "NOT_FOUND",
            "groupIds",
            "one unknown group among known ones",
        ),
        (
            json!({"segment": "all"}),
            400,
            "VALIDATION_ERROR",
            "segment",
            "unknown selector",
        ),
        (
            json!({"filters": {"status": "sleeping"}}),
            400,
            "VALIDATION_ERROR",
            "",
            "unknown status in filters",
        ),
    ];
    for (body, status, code, field, reason) in cases {
        let response = app
            .post(&format!("/v1/campaigns/{campaign}/contacts"), &body)
            .await;
        assert_eq!(response.status().as_u16(), status, "{reason}");
        let error = assert_error(response, status, code).await;
        if !field.is_empty() {
            assert_eq!(
                error["error"]["details"]["field"], field,
                "{reason}: {error}"
            );
        }
    }
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM campaign_contacts").await,
        0
    );
    let missing = app
        .post(
            &format!("/v1/campaigns/{UNKNOWN_CAMPAIGN}/contacts"),
            &json!({"contactIds": [contact]}),
        )
        .await;
    assert_error(missing, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn unknown_and_suppressed_contacts_are_reported_and_enrolled_contacts_are_skipped() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let fine = id(&app
        .create_contact(json!({"email": "fine@example.com"}))
        .await);
    let unsubscribed = contact_with_status(&app, "unsub@example.com", "unsubscribed").await;
    let bounced = contact_with_status(&app, "bounced@example.com", "bounced").await;
    let blocked = contact_with_status(&app, "blocked@example.com", "blocked").await;
    let campaign = draft(&app, &account, "Suppression").await;

    let outcome = enrol(
        &app,
        &campaign,
        json!({"contactIds": [fine, unsubscribed, bounced, blocked, UNKNOWN_CONTACT, "not-an-id"]}),
    )
    .await;

    assert_eq!(outcome["added"], 1, "{outcome}");
    assert_eq!(
        outcome["skipped"], 3,
        "suppressed contacts are skipped: {outcome}"
    );
    let errors: BTreeSet<(String, String)> = outcome["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
            (
                e["contactId"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        (unsubscribed.as_str(), "UNSUBSCRIBED"),
        (bounced.as_str(), "BOUNCED"),
        (blocked.as_str(), "BLOCKED"),
        (UNKNOWN_CONTACT, "NOT_FOUND"),
        ("not-an-id", "NOT_FOUND"),
    ]
    .into_iter()
    .map(|(id, code)| (id.to_owned(), code.to_owned()))
    .collect();
    assert_eq!(errors, expected);
    assert_eq!(enrolled(&app, &campaign).await, set(&[&fine]));
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM campaign_contacts").await,
        1
    );

    let again = enrol(&app, &campaign, json!({"contactIds": [fine]})).await;
    assert_eq!(
        again,
        json!({"added": 0, "skipped": 1, "errors": []}),
        "re-adding is a skip"
    );
    assert_eq!(total_contacts(&app, &campaign).await, 1);

    // Through a group, the suppressed members are skipped with their reason too.
    let group = app.create_group("Mixed").await;
    data(
        app.post(
            &format!("/v1/groups/{}/contacts", id(&group)),
            &json!({"contactIds": [fine, bounced]}),
        )
        .await,
        200,
    )
    .await;
    let through_group = enrol(&app, &campaign, json!({"groupId": group["id"]})).await;
    assert_eq!(through_group["added"], 0);
    assert_eq!(through_group["skipped"], 2);
    assert_eq!(
        through_group["errors"],
        json!([{"contactId": bounced, "code": "BOUNCED", "message": "Contact's address bounced"}])
    );
}

#[tokio::test]
async fn enrolled_contacts_are_listed_with_their_progress_and_can_be_removed() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let ids = contacts(&app, "p", 3).await;
    let campaign = draft(&app, &account, "Progress").await;
    enrol(&app, &campaign, json!({ "contactIds": ids })).await;
    assert_eq!(total_contacts(&app, &campaign).await, 3);

    let path = format!("/v1/campaigns/{campaign}/contacts");
    let response = app.get(&format!("{path}?status=pending&perPage=2")).await;
    let body = body_json(response).await;
    assert_eq!(
        body["meta"],
        json!({"page": 1, "perPage": 2, "total": 3, "totalPages": 2})
    );
    let first = &body["data"][0];
    assert_eq!(first["contactId"], ids[0].as_str());
    assert_eq!(first["email"], "p1@example.test");
    assert_eq!(first["firstName"], "Name1");
    assert_eq!(first["status"], "pending");
    assert_eq!(first["emailsSent"], 0);
    assert_eq!(first["lastEmailNodeId"], Value::Null);
    assert!(first["enrolledAt"].is_string());
    for status in ["completed", "in_progress", "failed", "replied"] {
        let page = body_json(app.get(&format!("{path}?status={status}")).await).await;
        assert_eq!(page["meta"]["total"], 0, "{status}");
    }
    for (query, reason) in [
        ("status=done", "unknown status"),
        ("status=PENDING", "status in capitals"),
        ("perPage=101", "page too large"),
        ("sort=email", "unknown parameter"),
    ] {
        let response = app.get(&format!("{path}?{query}")).await;
        assert_eq!(response.status(), 400, "{reason}");
        assert_error(response, 400, "VALIDATION_ERROR").await;
    }

    let removed = data(
        app.send_json(
            Method::DELETE,
            &path,
            &json!({"contactIds": [ids[0], UNKNOWN_CONTACT]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(removed["removed"], 1, "{removed}");
    assert_eq!(removed["skipped"], 0, "{removed}");
    assert_eq!(removed["errors"][0]["contactId"], UNKNOWN_CONTACT);
    assert_eq!(removed["errors"][0]["code"], "NOT_FOUND");
    let again = data(
        app.send_json(Method::DELETE, &path, &json!({"contactIds": [ids[0]]}))
            .await,
        200,
    )
    .await;
    assert_eq!(again, json!({"removed": 0, "skipped": 1, "errors": []}));
    assert_eq!(enrolled(&app, &campaign).await, set(&[&ids[1], &ids[2]]));
    assert_eq!(total_contacts(&app, &campaign).await, 2);
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM campaign_contacts").await,
        2
    );
    let error = assert_error(
        app.send_json(Method::DELETE, &path, &json!({"contactIds": []}))
            .await,
        400,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(error["error"]["details"]["field"], "contactIds");
    assert_eq!(
        app.get(&format!("/v1/contacts/{}", ids[0])).await.status(),
        200,
        "removing from a campaign keeps the contact"
    );
}

// ---------- dynamic groups ----------

#[tokio::test]
async fn a_dynamic_group_keeps_enrolling_new_members_and_a_static_group_does_not() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let dynamic = data(
        app.post("/v1/groups", &json!({"name": "Inbound", "type": "dynamic"}))
            .await,
        201,
    )
    .await;
    let fixed = app.create_group("Fixed").await;
    let early = id(&app
        .create_contact(json!({"email": "early@example.com", "groupIds": [dynamic["id"]]}))
        .await);
    let fixed_early = id(&app
        .create_contact(json!({"email": "fixed@example.com", "groupIds": [fixed["id"]]}))
        .await);
    let created = create(
        &app,
        json!({
            "name": "Always on",
            "emailAccountId": account,
            "groupIds": [dynamic["id"], fixed["id"]],
            "workflow": one_email("Hi", "<p>Hi</p>")
        }),
    )
    .await;
    let campaign = id(&created);
    assert_eq!(created["groupIds"], json!([dynamic["id"], fixed["id"]]));
    assert_eq!(created["stats"]["totalContacts"], 2);
    assert_eq!(
        enrolled(&app, &campaign).await,
        set(&[&early, &fixed_early])
    );
    data(act(&app, &campaign, "start").await, 200).await;

    // Joining the dynamic group by each path enrols the contact.
    let joined = id(&app
        .create_contact(json!({"email": "joined@example.com"}))
        .await);
    data(
        app.post(
            &format!("/v1/groups/{}/contacts", id(&dynamic)),
            &json!({"contactIds": [joined]}),
        )
        .await,
        200,
    )
    .await;
    let created_in = id(&app
        .create_contact(json!({"email": "created@example.com", "groupIds": [dynamic["id"]]}))
        .await);
    let bulk = data(
        app.post(
            "/v1/contacts/bulk",
            &json!({"contacts": [{"email": "bulk@example.com"}], "groupIds": [dynamic["id"]]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(bulk["created"], 1, "{bulk}");
    let bulked = id(&data(app.get("/v1/contacts?email=bulk@example.com").await, 200).await[0]);
    // A suppressed contact joining the dynamic group is not enrolled.
    let unsubscribed = contact_with_status(&app, "unsub@example.com", "unsubscribed").await;
    data(
        app.post(
            &format!("/v1/groups/{}/contacts", id(&dynamic)),
            &json!({"contactIds": [unsubscribed]}),
        )
        .await,
        200,
    )
    .await;
    // Joining the static group enrols nobody, by any path.
    let static_joined = id(&app
        .create_contact(json!({"email": "static@example.com"}))
        .await);
    data(
        app.post(
            &format!("/v1/groups/{}/contacts", id(&fixed)),
            &json!({"contactIds": [static_joined]}),
        )
        .await,
        200,
    )
    .await;
    app.create_contact(json!({"email": "static2@example.com", "groupIds": [fixed["id"]]}))
        .await;

    assert_eq!(
        enrolled(&app, &campaign).await,
        set(&[&early, &fixed_early, &joined, &created_in, &bulked])
    );
    assert_eq!(total_contacts(&app, &campaign).await, 5);
    let progress = data(
        app.get(&format!(
            "/v1/campaigns/{campaign}/contacts?status=pending&perPage=100"
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(
        progress.as_array().unwrap().len(),
        5,
        "new members start pending"
    );
}

// ---------- preview and forecast ----------

#[tokio::test]
async fn the_preview_renders_an_email_for_a_contact_with_fallbacks_and_the_unsubscribe_headers() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let ada = id(&app
        .create_contact(json!({"email": "ada@example.com", "firstName": "Ada", "company": "Acme"}))
        .await);
    let nameless = id(&app
        .create_contact(json!({"email": "nameless@example.com"}))
        .await);
    let campaign = id(&create(
        &app,
        json!({
            "name": "Preview",
            "emailAccountId": account,
            "workflow": two_emails(
                "Hi {{firstName|there}} at {{company}}",
                "<p>Hello {{firstName|there}} {{lastName|friend}}, about {{company}}.</p>",
                "<p>Following up, {{firstName|there}}.</p>"
            )
        }),
    )
    .await);
    let path = format!("/v1/campaigns/{campaign}/preview");

    let preview = data(
        app.get(&format!("{path}?nodeId=email_1&contactId={ada}"))
            .await,
        200,
    )
    .await;
    assert_eq!(preview["nodeId"], "email_1");
    assert_eq!(preview["emailNumber"], 1);
    assert_eq!(preview["contactId"], ada.as_str());
    assert_eq!(preview["sendable"], true);
    assert_eq!(preview["reason"], Value::Null);
    assert_eq!(preview["subject"], "Hi Ada at Acme");
    let html = preview["html"].as_str().unwrap();
    assert!(html.contains("Hello Ada friend, about Acme."), "{html}");
    let text = preview["text"].as_str().unwrap();
    assert!(text.contains("Hello Ada friend, about Acme."), "{text}");
    assert!(!text.contains('<'), "the text part has no markup: {text}");
    let headers: Vec<(String, String)> = preview["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap().to_ascii_lowercase(),
                h["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("header {name} in {headers:?}"))
    };
    assert_eq!(header("subject"), "Hi Ada at Acme");
    assert!(header("to").contains("ada@example.com"));
    let unsubscribe = header("list-unsubscribe");
    assert!(
        unsubscribe.contains("/u/") && unsubscribe.contains("mailto:"),
        "{unsubscribe}"
    );
    assert_eq!(
        header("list-unsubscribe-post"),
        "List-Unsubscribe=One-Click"
    );
    let link = link_path(html, PUBLIC_URL, "u").expect("an unsubscribe link in the body");
    assert!(
        unsubscribe.contains(&format!("<{PUBLIC_URL}{link}>")),
        "the header and the body carry the same link: {unsubscribe} / {link}"
    );

    // Without a nodeId, the first email; without a contact, sample data.
    let sample = data(app.get(&path).await, 200).await;
    assert_eq!(sample["nodeId"], "email_1");
    assert_eq!(sample["contactId"], Value::Null);
    assert_eq!(sample["sendable"], true);
    assert_eq!(sample["subject"], "Hi Alex at Example Inc");

    // A contact without a company (no fallback) would not be sent this email.
    let broken = data(
        app.get(&format!("{path}?nodeId=email_1&contactId={nameless}"))
            .await,
        200,
    )
    .await;
    assert_eq!(broken["sendable"], false);
    assert_eq!(broken["subject"], Value::Null);
    let reason = broken["reason"].as_str().unwrap();
    assert!(reason.contains("company"), "{reason}");
    // The follow-up only uses fallbacks, but it replies to the first email, which this contact
    // cannot be sent: the reason names that email.
    let follow_up = data(
        app.get(&format!("{path}?nodeId=email_2&contactId={nameless}"))
            .await,
        200,
    )
    .await;
    assert_eq!(follow_up["emailNumber"], 2);
    assert_eq!(follow_up["sendable"], false);
    let reason = follow_up["reason"].as_str().unwrap();
    assert!(
        reason.contains("email_1") && reason.contains("company"),
        "{reason}"
    );
    // With sample data it renders, threaded under the first email's rendered subject.
    let sample_follow_up = data(app.get(&format!("{path}?nodeId=email_2")).await, 200).await;
    assert_eq!(sample_follow_up["sendable"], true);
    assert_eq!(sample_follow_up["subject"], "Re: Hi Alex at Example Inc");
    let text = sample_follow_up["text"].as_str().unwrap();
    assert!(text.contains("Following up, Alex."), "{text}");

    let cases: Vec<(String, u16, &str, &str, &str)> = vec![
        (
            format!("{path}?nodeId=node_9"),
            400,
            "VALIDATION_ERROR",
            "nodeId",
            "unknown node",
        ),
        (
            format!("{path}?nodeId=wait"),
            400,
            "VALIDATION_ERROR",
            "nodeId",
            "a delay node",
        ),
        (
            format!("{path}?nodeId=start"),
            400,
            "VALIDATION_ERROR",
            "nodeId",
            "the start node",
        ),
        (
            format!("{path}?contactId={UNKNOWN_CONTACT}"),
            404,
            "NOT_FOUND",
            "contactId",
            "unknown contact",
        ),
        (
            format!("{path}?contactId=ada"),
            404,
            "NOT_FOUND",
            "contactId",
            "not a contact id",
        ),
        (
            format!("{path}?node=email_1"),
            400,
            "VALIDATION_ERROR",
            "",
            "unknown parameter",
        ),
    ];
    for (url, status, code, field, reason) in cases {
        let response = app.get(&url).await;
        assert_eq!(response.status().as_u16(), status, "{reason}");
        let error = assert_error(response, status, code).await;
        if !field.is_empty() {
            assert_eq!(
                error["error"]["details"]["field"], field,
                "{reason}: {error}"
            );
        }
    }
    let no_workflow = id(&create(&app, json!({"name": "Empty", "emailAccountId": account})).await);
    let error = assert_error(
        app.get(&format!("/v1/campaigns/{no_workflow}/preview"))
            .await,
        400,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(error["error"]["details"]["field"], "workflow");
    assert_error(
        app.get(&format!("/v1/campaigns/{UNKNOWN_CAMPAIGN}/preview"))
            .await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(count_rows(&app, "SELECT count(*) FROM sends").await, 0);
}

#[tokio::test]
async fn the_preview_shows_exactly_the_subjects_the_sender_sends() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let account = smtp_account(&app, sink.port(), 1000).await;
    let ada = id(&app
        .create_contact(json!({"email": "ada@example.com", "firstName": "Ada", "company": "Acme"}))
        .await);
    let workflow = two_emails(
        "Hello {{firstName|there}}",
        "<p>Hi {{firstName}}, from {{company|us}}.</p>",
        "<p>Any thoughts, {{firstName}}?</p>",
    );
    let campaign = id(&create(
        &app,
        json!({
            "name": "Threaded",
            "emailAccountId": account,
            "settings": open_settings(),
            "workflow": workflow
        }),
    )
    .await);
    let preview = |node: &'static str, contact: Option<&str>| {
        let url = match contact {
            Some(contact) => {
                format!("/v1/campaigns/{campaign}/preview?nodeId={node}&contactId={contact}")
            }
            None => format!("/v1/campaigns/{campaign}/preview?nodeId={node}"),
        };
        let app = &app;
        async move { data(app.get(&url).await, 200).await }
    };
    let first = preview("email_1", Some(&ada)).await;
    let second = preview("email_2", Some(&ada)).await;
    assert_eq!(first["subject"], "Hello Ada");
    assert_eq!(
        second["subject"], "Re: Hello Ada",
        "a threaded follow-up replies to the subject the contact received"
    );
    assert_eq!(
        preview("email_2", None).await["subject"],
        "Re: Hello Alex",
        "sample data too"
    );

    enrol(&app, &campaign, json!({"contactIds": [ada]})).await;
    data(act(&app, &campaign, "start").await, 200).await;
    let now = Utc::now() + Duration::seconds(5);
    let outcome = app.sender.run_once(now).await.unwrap();
    assert_eq!(outcome.sent, 1);
    let later = app.sender.run_once(now + Duration::hours(2)).await.unwrap();
    assert_eq!(later.sent, 1);
    let messages = sink.messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].header("Subject").unwrap(), first["subject"]);
    assert_eq!(messages[1].header("Subject").unwrap(), second["subject"]);
    let body = decoded(&messages[0]);
    assert!(body.contains("Hi Ada, from Acme."), "{body}");
    assert!(
        first["text"]
            .as_str()
            .unwrap()
            .contains("Hi Ada, from Acme."),
        "{first}"
    );
}

/// The `scheduledAt` of each forecast item.
fn scheduled(items: &Value) -> Vec<DateTime<Utc>> {
    items
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            item["scheduledAt"]
                .as_str()
                .expect("scheduledAt")
                .parse()
                .expect("RFC 3339")
        })
        .collect()
}

#[tokio::test]
async fn the_forecast_spreads_sends_at_the_hourly_limit_inside_the_send_window() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let ids = contacts(&app, "f", 5).await;
    let mut settings = open_settings();
    settings["maxEmailsPerHour"] = json!(2);
    let always = id(&create(
        &app,
        json!({"name": "Always", "emailAccountId": account, "settings": settings,
               "workflow": one_email("Hi", "<p>Hi</p>")}),
    )
    .await);
    let office = id(&create(
        &app,
        json!({
            "name": "Office hours",
            "emailAccountId": account,
            "settings": {
                "sendDays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                "sendHoursStart": 9,
                "sendHoursEnd": 17,
                "timezone": "Europe/Paris",
                "maxEmailsPerHour": 2
            },
            "workflow": one_email("Hi", "<p>Hi</p>")
        }),
    )
    .await);
    for campaign in [&always, &office] {
        enrol(&app, campaign, json!({ "contactIds": ids })).await;
        data(act(&app, campaign, "start").await, 200).await;
    }

    // An always-open window: two now, two an hour later, one two hours later.
    let plan = data(
        app.get(&format!("/v1/campaigns/{always}/forecast")).await,
        200,
    )
    .await;
    assert_eq!(plan["truncated"], false);
    assert!(plan["assumptions"].as_str().is_some_and(|a| !a.is_empty()));
    let generated: DateTime<Utc> = plan["generatedAt"].as_str().unwrap().parse().unwrap();
    let times = scheduled(&plan["items"]);
    assert_eq!(times.len(), 5, "{plan}");
    let offsets: Vec<i64> = times
        .iter()
        .map(|t| (*t - times[0]).num_seconds())
        .collect();
    assert_eq!(offsets, [0, 0, 3600, 3600, 7200], "{plan}");
    assert!(
        (times[0] - generated).num_seconds().abs() <= 5,
        "the first two go at once: {plan}"
    );
    let planned: BTreeSet<String> = plan["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            assert_eq!(item["nodeId"], "email_1");
            assert_eq!(item["emailNumber"], 1);
            assert!(item["email"].as_str().unwrap().ends_with("@example.test"));
            item["contactId"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(planned, ids.iter().cloned().collect::<BTreeSet<_>>());

    // Office hours in Paris: every send inside Monday–Friday 9–17 local, at most 2 an hour.
    let plan = data(
        app.get(&format!("/v1/campaigns/{office}/forecast")).await,
        200,
    )
    .await;
    let times = scheduled(&plan["items"]);
    assert_eq!(times.len(), 5, "{plan}");
    for (n, time) in times.iter().enumerate() {
        let local = time.with_timezone(&chrono_tz::Europe::Paris);
        assert!(
            local.weekday().num_days_from_monday() < 5,
            "{n}: {local} is a weekday"
        );
        assert!((9..17).contains(&local.hour()), "{n}: {local} in 9–17");
        assert!(
            *time >= generated - Duration::seconds(1),
            "{n}: not in the past"
        );
        if n > 0 {
            assert!(times[n - 1] <= *time, "in time order: {plan}");
        }
        if n >= 2 {
            assert!(
                (*time - times[n - 2]).num_seconds() >= 3600,
                "{n}: a third send within an hour: {plan}"
            );
        }
    }

    let limited = data(
        app.get(&format!("/v1/campaigns/{always}/forecast?limit=3"))
            .await,
        200,
    )
    .await;
    assert_eq!(limited["items"].as_array().unwrap().len(), 3);
    assert_eq!(limited["truncated"], true);
    let exact = data(
        app.get(&format!("/v1/campaigns/{always}/forecast?limit=5"))
            .await,
        200,
    )
    .await;
    assert_eq!(exact["items"].as_array().unwrap().len(), 5);
    assert_eq!(exact["truncated"], false);
    for (query, reason) in [
        ("limit=0", "below 1"),
        ("limit=1001", "above 1000"),
        ("limit=-1", "negative"),
        ("limit=ten", "not a number"),
        ("days=3", "unknown parameter"),
    ] {
        let response = app
            .get(&format!("/v1/campaigns/{always}/forecast?{query}"))
            .await;
        assert_eq!(response.status(), 400, "{reason}");
        assert_error(response, 400, "VALIDATION_ERROR").await;
    }
    assert_error(
        app.get(&format!("/v1/campaigns/{UNKNOWN_CAMPAIGN}/forecast"))
            .await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(count_rows(&app, "SELECT count(*) FROM sends").await, 0);
}
