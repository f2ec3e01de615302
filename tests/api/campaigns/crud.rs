//! Creating, reading, listing, updating and deleting campaigns.

use super::*;
use crate::helpers::{assert_error, count_rows, spawn_app};

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
