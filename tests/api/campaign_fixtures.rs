//! Shared arrangements for campaign and sending tests: accounts, contacts, campaigns, clocks.

use crate::helpers::{body_json, TestApp};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

/// Every day of the week, for windows that are always open.
pub fn all_days() -> Value {
    json!([
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday"
    ])
}

/// Settings whose window is always open and whose limits are out of the way.
pub fn open_settings() -> Value {
    json!({
        "sendDays": all_days(),
        "sendHoursStart": 0,
        "sendHoursEnd": 24,
        "timezone": "UTC",
        "maxEmailsPerHour": 10000
    })
}

/// start -> one email -> end.
pub fn one_email(subject: &str, body: &str) -> Value {
    json!({
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "email_1", "type": "email", "data": {"subject": subject, "body": body}},
            {"id": "end", "type": "end"}
        ],
        "edges": [{"from": "start", "to": "email_1"}, {"from": "email_1", "to": "end"}]
    })
}

/// A UTC instant.
pub fn at(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, hour, minute, 0)
        .single()
        .expect("valid instant")
}

/// Creates an SMTP account pointing at a sink on `port` (plaintext, no auth).
pub async fn smtp_account(app: &TestApp, port: u16, daily_limit: u32) -> String {
    let response = app
        .post(
            "/v1/email-accounts",
            &json!({
                "email": "sales@sender.test",
                "displayName": "Sales Team",
                "smtp": {"host": "127.0.0.1", "port": port, "encryption": "none"},
                "dailyLimit": daily_limit
            }),
        )
        .await;
    assert_eq!(response.status(), 201);
    body_json(response).await["data"]["id"]
        .as_str()
        .expect("account id")
        .to_owned()
}

/// Creates contacts `<prefix>1@example.test`… with first names; returns their ids.
pub async fn contacts(app: &TestApp, prefix: &str, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for n in 1..=count {
        let contact = app
            .create_contact(json!({
                "email": format!("{prefix}{n}@example.test"),
                "firstName": format!("Name{n}"),
                "company": "Acme"
            }))
            .await;
        ids.push(contact["id"].as_str().expect("contact id").to_owned());
    }
    ids
}

/// Creates a campaign; panics unless it is created.
pub async fn campaign(app: &TestApp, account: &str, settings: Value, workflow: Value) -> String {
    let response = app
        .post(
            "/v1/campaigns",
            &json!({
                "name": "Test campaign",
                "emailAccountId": account,
                "settings": settings,
                "workflow": workflow
            }),
        )
        .await;
    let status = response.status();
    let body = body_json(response).await;
    assert_eq!(status, 201, "{body}");
    body["data"]["id"].as_str().expect("campaign id").to_owned()
}

/// Enrols contacts and starts the campaign.
pub async fn enrol_and_start(app: &TestApp, campaign: &str, contact_ids: &[String]) {
    let response = app
        .post(
            &format!("/v1/campaigns/{campaign}/contacts"),
            &json!({ "contactIds": contact_ids }),
        )
        .await;
    let body = body_json(response).await;
    assert_eq!(body["data"]["added"], contact_ids.len(), "{body}");
    let response = app
        .post(&format!("/v1/campaigns/{campaign}/start"), &json!({}))
        .await;
    let status = response.status();
    let body = body_json(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["status"], "active");
}

/// The campaign's statistics.
pub async fn stats(app: &TestApp, campaign: &str) -> Value {
    let response = app.get(&format!("/v1/campaigns/{campaign}/stats")).await;
    assert_eq!(response.status(), 200);
    body_json(response).await["data"].clone()
}

/// The campaign's enrolled contacts (first page of 100).
pub async fn progress(app: &TestApp, campaign: &str) -> Vec<Value> {
    let response = app
        .get(&format!("/v1/campaigns/{campaign}/contacts?perPage=100"))
        .await;
    assert_eq!(response.status(), 200);
    body_json(response).await["data"]
        .as_array()
        .expect("list")
        .clone()
}

/// The path part of the first URL in `text` that starts with `{base}/{kind}/`.
pub fn link_path(text: &str, base: &str, kind: &str) -> Option<String> {
    let needle = format!("{base}/{kind}/");
    let start = text.find(&needle)?;
    let rest = &text[start + base.len()..];
    let end = rest
        .find(|c: char| c == '"' || c == '>' || c == '<' || c.is_whitespace())
        .unwrap_or(rest.len());
    Some(rest[..end].to_owned())
}

/// The message's text with quoted-printable soft breaks and escapes decoded (both body parts).
pub fn decoded(message: &crate::smtp_sink::Received) -> String {
    let raw = message.text();
    let joined = raw.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(value) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(value);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
