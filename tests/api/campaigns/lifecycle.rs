//! The status machine: what a start needs, and start, pause, resume and archive.

use super::*;
use crate::helpers::{assert_error, count_rows, spawn_app};

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
