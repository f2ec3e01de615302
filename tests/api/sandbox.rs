//! /v1/sandbox/messages (list, get, clear; workspace scoped) and the /sandbox viewer page.

use crate::helpers::{assert_error, body_json, count_rows, html_page, spawn_app, TestApp};
use crate::sending_fixtures::{first_workspace, insert_email_account};
use fluenzr::db::sandbox::CapturedMessage;
use fluenzr::domain::ids::WorkspaceId;
use fluenzr::domain::workspace::Plan;
use reqwest::Method;
use serde_json::{json, Value};

const RAW: &str = "From: Founder <founder@example.com>\r\nTo: ada@example.com\r\nSubject: Quick\r\n question, Ada\r\nMessage-ID: <m1@example.com>\r\nList-Unsubscribe: <http://127.0.0.1/u/tok>,\r\n\t<mailto:unsubscribe@example.com>\r\n\r\nHi Ada,\r\nX-Not-A-Header: body\r\n";

/// Keeps a message for the workspace through the sender's entry point.
async fn capture(app: &TestApp, workspace: &str, subject: &str, to: &str) -> String {
    let account = insert_email_account(app, workspace).await;
    let workspace = WorkspaceId::parse(workspace).expect("workspace id");
    let message = CapturedMessage {
        message_id: format!("{subject}@example.com"),
        mail_from: "founder@example.com".to_owned(),
        rcpt_to: to.to_owned(),
        subject: subject.to_owned(),
        raw: RAW.as_bytes().to_vec(),
        html: "<p>Hi <b>Ada</b>,</p><script>alert(1)</script>".to_owned(),
        text: "Hi Ada,".to_owned(),
    };
    app.database
        .write(move |conn| {
            fluenzr::db::sandbox::capture(
                conn,
                &workspace,
                account,
                &message,
                "2025-01-15T10:30:00Z",
            )
        })
        .await
        .expect("captured")
        .to_string()
}

#[tokio::test]
async fn captured_messages_are_listed_newest_first_and_read_with_their_headers() {
    let app = spawn_app().await;
    let workspace = first_workspace(&app).await;
    let first = capture(&app, &workspace, "First", "ada@example.com").await;
    let second = capture(&app, &workspace, "Second", "bob@example.com").await;
    assert!(first.starts_with("msg_"), "{first}");

    let response = app.get("/v1/sandbox/messages").await;
    assert_eq!(response.status(), 200);
    let body = body_json(response).await;
    assert_eq!(
        body["meta"],
        json!({"page": 1, "perPage": 20, "total": 2, "totalPages": 1})
    );
    assert_eq!(
        body["data"][0],
        json!({"id": second, "messageId": "Second@example.com", "from": "founder@example.com",
               "to": "bob@example.com", "subject": "Second", "createdAt": "2025-01-15T10:30:00Z"})
    );
    assert_eq!(body["data"][1]["id"], first.as_str());
    let paged = body_json(app.get("/v1/sandbox/messages?perPage=1&page=2").await).await;
    assert_eq!(paged["data"][0]["id"], first.as_str());
    assert_error(
        app.get("/v1/sandbox/messages?unread=true").await,
        400,
        "VALIDATION_ERROR",
    )
    .await;

    let message =
        body_json(app.get(&format!("/v1/sandbox/messages/{first}")).await).await["data"].clone();
    assert_eq!(message["subject"], "First");
    assert_eq!(
        message["html"],
        "<p>Hi <b>Ada</b>,</p><script>alert(1)</script>"
    );
    assert_eq!(message["text"], "Hi Ada,");
    assert_eq!(message["raw"], RAW);
    assert_eq!(
        message["headers"],
        json!([
            {"name": "From", "value": "Founder <founder@example.com>"},
            {"name": "To", "value": "ada@example.com"},
            {"name": "Subject", "value": "Quick question, Ada"},
            {"name": "Message-ID", "value": "<m1@example.com>"},
            {"name": "List-Unsubscribe", "value": "<http://127.0.0.1/u/tok>, <mailto:unsubscribe@example.com>"}
        ])
    );
    for id in [
        "msg_AAAAAAAAAAAAAAAAAAAA",
        "msg_bad",
        "con_AAAAAAAAAAAAAAAAAAAA",
    ] {
        assert_error(
            app.get(&format!("/v1/sandbox/messages/{id}")).await,
            404,
            "NOT_FOUND",
        )
        .await;
    }
}

#[tokio::test]
async fn the_sandbox_is_scoped_to_the_workspace_and_cleared_per_workspace() {
    let app = spawn_app().await;
    let workspace = first_workspace(&app).await;
    let (other_workspace, other_key) = app.create_workspace(Plan::Pro).await;
    let mine = capture(&app, &workspace, "Mine", "ada@example.com").await;
    capture(&app, &workspace, "Mine too", "bob@example.com").await;
    let theirs = capture(&app, &other_workspace, "Theirs", "zed@example.com").await;

    let as_other = |method: Method, path: String| app.request_as(&other_key, method, &path).send();
    let listed = body_json(
        as_other(Method::GET, "/v1/sandbox/messages".into())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed["meta"]["total"], 1);
    assert_eq!(listed["data"][0]["id"], theirs.as_str());
    let foreign = as_other(Method::GET, format!("/v1/sandbox/messages/{mine}"))
        .await
        .unwrap();
    assert_error(foreign, 404, "NOT_FOUND").await;

    let cleared = app
        .request(Method::DELETE, "/v1/sandbox/messages")
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 200);
    assert_eq!(body_json(cleared).await["data"], json!({"deleted": 2}));
    let empty = body_json(app.get("/v1/sandbox/messages").await).await;
    assert_eq!(empty["data"], json!([]));
    assert_eq!(empty["meta"]["total"], 0);
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM sandbox_messages").await,
        1,
        "theirs is kept"
    );
    let again = app
        .request(Method::DELETE, "/v1/sandbox/messages")
        .send()
        .await
        .unwrap();
    assert_eq!(body_json(again).await["data"], json!({"deleted": 0}));
    let unauthenticated = reqwest::Client::new()
        .delete(format!("{}/v1/sandbox/messages", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM sandbox_messages").await,
        1
    );
}

#[tokio::test]
async fn the_sandbox_page_and_its_assets_are_served_offline() {
    let app = spawn_app().await;
    for path in ["/sandbox", "/sandbox/"] {
        let html = html_page(&app.address, path).await;
        assert!(html.contains("src=\"/sandbox/app.js\""), "{html}");
        assert!(html.contains("href=\"/sandbox/style.css\""));
        assert!(html.contains("id=\"refresh\""), "a refresh button");
        assert!(!html.contains("https://"), "no external assets");
    }
    let script = reqwest::get(format!("{}/sandbox/app.js", app.address))
        .await
        .unwrap();
    assert!(script.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("javascript"));
    let script = script.text().await.unwrap();
    assert!(
        script.contains("setAttribute('sandbox', '')"),
        "the message HTML runs in a sandboxed iframe"
    );
    assert!(script.contains("srcdoc"));
    assert!(script.contains("localStorage"));
    assert!(script.contains("/v1/sandbox/messages"));
    let style = reqwest::get(format!("{}/sandbox/style.css", app.address))
        .await
        .unwrap();
    assert!(style.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("text/css"));
    let missing = reqwest::get(format!("{}/sandbox/nothing.js", app.address))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let _: Value = missing.json().await.unwrap();
}
