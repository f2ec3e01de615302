//! /v1/campaigns over HTTP: CRUD and settings defaults, validation of settings and workflows, the
//! status machine, enrolment (by ids, groups and filters, dynamic groups), preview and forecast.

use crate::campaign_fixtures::{one_email, smtp_account};
use crate::helpers::{body_json, TestApp};
use reqwest::{Method, Response};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Ids that have the right shape but exist nowhere.
const UNKNOWN_CAMPAIGN: &str = "cmp_00000000000000000000";
const UNKNOWN_CONTACT: &str = "con_00000000000000000000";
const UNKNOWN_GROUP: &str = "grp_00000000000000000000";
const UNKNOWN_ACCOUNT: &str = "acc_00000000000000000000";
/// The base of tracking and unsubscribe links of a test app (its configured bind address).
const PUBLIC_URL: &str = "http://127.0.0.1:0";

mod crud;
mod enrolment;
mod lifecycle;
mod preview;
mod validation;

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
