//! /v1/contacts: CRUD, partial updates, uniqueness, bulk, search, list filters, memberships and tags.

use crate::helpers::{assert_error, body_json, count_rows, spawn_app, TestApp};
use fluenzr::domain::workspace::Plan;
use reqwest::Method;
use serde_json::{json, Value};

/// The `data` of a successful JSON answer, after checking its status.
async fn data(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let body = body_json(response).await;
    assert_eq!(body["success"], true, "{body}");
    body["data"].clone()
}

/// GET a list and return (emails of the page, meta).
async fn list_emails(app: &TestApp, path: &str) -> (Vec<String>, Value) {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "GET {path}");
    let body = body_json(response).await;
    (emails_of(&body["data"]), body["meta"].clone())
}

fn emails_of(items: &Value) -> Vec<String> {
    items
        .as_array()
        .expect("a list")
        .iter()
        .map(|contact| contact["email"].as_str().unwrap().to_owned())
        .collect()
}

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Sets a contact's creation time straight in the database (to arrange date filters).
async fn set_created_at(app: &TestApp, id: &str, created_at: &'static str) {
    let id = id.to_owned();
    app.database
        .write(move |conn| {
            conn.execute(
                "UPDATE contacts SET created_at = ?1 WHERE id = ?2",
                [created_at, id.as_str()],
            )?;
            Ok(())
        })
        .await
        .expect("created_at updated");
}

async fn first_stage(app: &TestApp) -> Value {
    let stages = data(app.get("/v1/pipeline-stages").await, 200).await;
    let stages = stages.as_array().expect("stages");
    assert!(stages.len() >= 2, "the workspace has default stages");
    stages[1].clone()
}

// ---------- CRUD ----------

#[tokio::test]
async fn a_contact_is_created_read_back_and_stored_once() {
    let app = spawn_app().await;
    let created = app
        .create_contact(json!({
            "email": "ada@example.com",
            "firstName": "Ada",
            "lastName": "Lovelace",
            "company": "Analytical Engines",
            "jobTitle": "Analyst",
            "phone": "+44 20 7946 0000",
            "website": "https://example.com",
            "status": "replied",
            "trackingOptOut": true,
            "consentSource": "conference"
        }))
        .await;
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("con_") && id.len() == 24, "{id}");
    let fetched = data(app.get(&format!("/v1/contacts/{id}")).await, 200).await;
    assert_eq!(fetched, created);
    assert_eq!(fetched["firstName"], "Ada");
    assert_eq!(fetched["status"], "replied");
    assert_eq!(fetched["trackingOptOut"], true);
    assert_eq!(fetched["consentSource"], "conference");
    assert_eq!(fetched["groups"], json!([]));
    assert_eq!(fetched["tags"], json!([]));
    assert_eq!(fetched["customFields"], json!({}));
    assert_eq!(fetched["pipelineStage"], Value::Null);
    assert!(fetched["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 1);
    assert_eq!(
        count_rows(&app, "SELECT contact_count FROM workspaces").await,
        1
    );
}

#[tokio::test]
async fn a_new_contact_defaults_to_active_with_tracking_on() {
    let app = spawn_app().await;
    let created = app
        .create_contact(json!({"email": "plain@example.com"}))
        .await;
    assert_eq!(created["status"], "active");
    assert_eq!(created["trackingOptOut"], false);
    assert_eq!(created["firstName"], Value::Null);
}

#[tokio::test]
async fn an_unknown_or_malformed_contact_id_is_404() {
    let app = spawn_app().await;
    for path in [
        "/v1/contacts/con_AAAAAAAAAAAAAAAAAAAA",
        "/v1/contacts/not-an-id",
    ] {
        assert_error(app.get(path).await, 404, "NOT_FOUND").await;
        let response = app
            .send_json(Method::PUT, path, &json!({"firstName": "x"}))
            .await;
        assert_error(response, 404, "NOT_FOUND").await;
    }
}

#[tokio::test]
async fn a_put_changes_only_the_given_fields_and_null_clears_one() {
    let app = spawn_app().await;
    let created = app
        .create_contact(json!({
            "email": "ada@example.com",
            "firstName": "Ada",
            "lastName": "Lovelace",
            "company": "Analytical Engines",
            "phone": "+44 1",
            "tags": ["vip"]
        }))
        .await;
    let id = created["id"].as_str().unwrap();
    let updated = data(
        app.send_json(
            Method::PUT,
            &format!("/v1/contacts/{id}"),
            &json!({"company": null, "jobTitle": "Countess", "status": "unsubscribed"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["company"], Value::Null);
    assert_eq!(updated["jobTitle"], "Countess");
    assert_eq!(updated["status"], "unsubscribed");
    // Untouched fields keep their values.
    assert_eq!(updated["email"], "ada@example.com");
    assert_eq!(updated["firstName"], "Ada");
    assert_eq!(updated["lastName"], "Lovelace");
    assert_eq!(updated["phone"], "+44 1");
    assert_eq!(updated["tags"], json!(["vip"]));
    assert_eq!(updated["createdAt"], created["createdAt"]);
    // And the database agrees.
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) FROM contacts WHERE company IS NULL AND job_title = 'Countess'
             AND first_name = 'Ada' AND status = 'unsubscribed'"
        )
        .await,
        1
    );
    let fetched = data(app.get(&format!("/v1/contacts/{id}")).await, 200).await;
    assert_eq!(fetched, updated);
}

#[tokio::test]
async fn an_empty_put_changes_nothing() {
    let app = spawn_app().await;
    let created = app
        .create_contact(
            json!({"email": "ada@example.com", "firstName": "Ada", "customFields": {"a": 1}}),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    let updated = data(
        app.send_json(Method::PUT, &format!("/v1/contacts/{id}"), &json!({}))
            .await,
        200,
    )
    .await;
    for field in ["email", "firstName", "customFields", "status", "tags"] {
        assert_eq!(updated[field], created[field], "{field}");
    }
}

#[tokio::test]
async fn custom_fields_merge_per_key_and_null_removes_a_key() {
    let app = spawn_app().await;
    let created = app
        .create_contact(json!({
            "email": "ada@example.com",
            "customFields": {"plan": "gold", "seats": 12, "region": "EU"}
        }))
        .await;
    let id = created["id"].as_str().unwrap();
    let updated = data(
        app.send_json(
            Method::PUT,
            &format!("/v1/contacts/{id}"),
            &json!({"customFields": {"plan": "platinum", "region": null, "trial": true}}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        updated["customFields"],
        json!({"plan": "platinum", "seats": 12, "trial": true})
    );
    // Removing a key that does not exist is harmless.
    let again = data(
        app.send_json(
            Method::PUT,
            &format!("/v1/contacts/{id}"),
            &json!({"customFields": {"nothere": null}}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(again["customFields"], updated["customFields"]);
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) FROM contacts WHERE json_extract(custom_fields, '$.region') IS NULL
             AND json_extract(custom_fields, '$.plan') = 'platinum'
             AND json_extract(custom_fields, '$.seats') = 12"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_duplicate_email_in_any_case_is_a_conflict_and_writes_nothing() {
    let app = spawn_app().await;
    app.create_contact(json!({"email": "Ada@Example.com"}))
        .await;
    for email in ["Ada@Example.com", "ada@example.com", "ADA@EXAMPLE.COM"] {
        let response = app
            .post("/v1/contacts", &json!({"email": email, "firstName": "Dup"}))
            .await;
        let body = assert_error(response, 409, "CONFLICT").await;
        assert_eq!(body["error"]["message"], "Email already exists", "{email}");
    }
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 1);
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) FROM contacts WHERE first_name = 'Dup'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn changing_an_email_to_another_contacts_email_is_a_conflict() {
    let app = spawn_app().await;
    app.create_contact(json!({"email": "ada@example.com"}))
        .await;
    let alan = app
        .create_contact(json!({"email": "alan@example.com", "firstName": "Alan"}))
        .await;
    let path = format!("/v1/contacts/{}", alan["id"].as_str().unwrap());
    let response = app
        .send_json(
            Method::PUT,
            &path,
            &json!({"email": "ADA@example.com", "firstName": "Changed"}),
        )
        .await;
    let body = assert_error(response, 409, "CONFLICT").await;
    assert_eq!(body["error"]["message"], "Email already exists");
    // The whole update was refused.
    let fetched = data(app.get(&path).await, 200).await;
    assert_eq!(fetched["email"], "alan@example.com");
    assert_eq!(fetched["firstName"], "Alan");
    // Changing the case of one's own email is fine.
    let updated = data(
        app.send_json(Method::PUT, &path, &json!({"email": "Alan@Example.com"}))
            .await,
        200,
    )
    .await;
    assert_eq!(updated["email"], "Alan@Example.com");
}

#[tokio::test]
async fn the_same_email_may_exist_in_two_workspaces() {
    let app = spawn_app().await;
    let (_, other_key) = app.create_workspace(Plan::Pro).await;
    app.create_contact(json!({"email": "ada@example.com"}))
        .await;
    let response = app
        .request_as(&other_key, Method::POST, "/v1/contacts")
        .json(&json!({"email": "ada@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 2);
}

#[tokio::test]
async fn a_contact_is_created_with_groups_tags_custom_fields_and_a_stage() {
    let app = spawn_app().await;
    let leads = app.create_group("Leads").await;
    let vips = app.create_group("VIPs").await;
    let stage = first_stage(&app).await;
    let created = app
        .create_contact(json!({
            "email": "ada@example.com",
            "groupIds": [leads["id"], vips["id"], leads["id"]],
            "tags": ["b-tag", "a-tag", "b-tag"],
            "customFields": {"plan": "gold", "seats": 12, "trial": false, "Lead Source": "web"},
            "pipelineStageId": stage["id"]
        }))
        .await;
    assert_eq!(
        created["groups"],
        json!([
            {"id": leads["id"], "name": "Leads"},
            {"id": vips["id"], "name": "VIPs"}
        ])
    );
    assert_eq!(created["tags"], json!(["a-tag", "b-tag"]));
    assert_eq!(
        created["customFields"],
        json!({"plan": "gold", "seats": 12, "trial": false, "Lead Source": "web"})
    );
    assert_eq!(
        created["pipelineStage"],
        json!({"id": stage["id"], "name": stage["name"]})
    );
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM group_members").await,
        2
    );
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM contact_tags").await,
        2
    );
    let group = data(
        app.get(&format!("/v1/groups/{}", leads["id"].as_str().unwrap()))
            .await,
        200,
    )
    .await;
    assert_eq!(group["contactCount"], 1);
    // The stage can be cleared with null.
    let cleared = data(
        app.send_json(
            Method::PUT,
            &format!("/v1/contacts/{}", created["id"].as_str().unwrap()),
            &json!({"pipelineStageId": null}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(cleared["pipelineStage"], Value::Null);
    assert_eq!(cleared["groups"], created["groups"]);
}

#[tokio::test]
async fn a_put_with_group_ids_and_tags_replaces_both_lists() {
    let app = spawn_app().await;
    let leads = app.create_group("Leads").await;
    let vips = app.create_group("VIPs").await;
    let created = app
        .create_contact(
            json!({"email": "ada@example.com", "groupIds": [leads["id"]], "tags": ["old"]}),
        )
        .await;
    let updated = data(
        app.send_json(
            Method::PUT,
            &format!("/v1/contacts/{}", created["id"].as_str().unwrap()),
            &json!({"groupIds": [vips["id"]], "tags": ["new"]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        updated["groups"],
        json!([{"id": vips["id"], "name": "VIPs"}])
    );
    assert_eq!(updated["tags"], json!(["new"]));
    assert_eq!(
        count_rows(
            &app,
            "SELECT contact_count FROM groups WHERE name = 'Leads'"
        )
        .await,
        0
    );
    assert_eq!(
        count_rows(&app, "SELECT contact_count FROM groups WHERE name = 'VIPs'").await,
        1
    );
}

#[tokio::test]
async fn invalid_contacts_are_refused_with_the_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let long = "x".repeat(256);
    let cases = [
        (json!({"email": "not-an-email"}), "email", "no at sign"),
        (json!({"email": "a@b"}), "email", "no top-level domain"),
        (json!({"email": ""}), "email", "empty email"),
        (json!({"firstName": "Ada"}), "email", "missing email"),
        (
            json!({"email": "a@example.com", "firstName": long}),
            "firstName",
            "first name over 255 characters",
        ),
        (
            json!({"email": "a@example.com", "lastName": long}),
            "lastName",
            "last name over 255 characters",
        ),
        (
            json!({"email": "a@example.com", "company": long}),
            "company",
            "company over 255 characters",
        ),
        (
            json!({"email": "a@example.com", "firstName": "Ann\r\nBcc: x@y.com"}),
            "firstName",
            "line break in a name",
        ),
        (
            json!({"email": "a@example.com", "customFields": {"address": {"city": "Paris"}}}),
            "customFields",
            "nested object as a custom field value",
        ),
        (
            json!({"email": "a@example.com", "customFields": {"list": [1, 2]}}),
            "customFields",
            "array as a custom field value",
        ),
        (
            json!({"email": "a@example.com", "customFields": {"{{x}}": "y"}}),
            "customFields",
            "custom field key with braces",
        ),
        (
            json!({"email": "a@example.com", "tags": [""]}),
            "tags",
            "empty tag",
        ),
        (
            json!({"email": "a@example.com", "groupIds": ["Leads"]}),
            "groupIds",
            "a group name instead of an id",
        ),
        (
            json!({"email": "a@example.com", "pipelineStageId": "Lead"}),
            "pipelineStageId",
            "a stage name instead of an id",
        ),
        (
            json!({"email": "a@example.com", "nickname": "Ada"}),
            "nickname",
            "unknown field",
        ),
    ];
    for (body, field, reason) in cases {
        let response = app.post("/v1/contacts", &body).await;
        let error = assert_error(response, 400, "VALIDATION_ERROR").await;
        assert_eq!(
            error["error"]["details"]["field"], field,
            "{reason}: {error}"
        );
    }
    let response = app
        .post(
            "/v1/contacts",
            &json!({"email": "a@example.com", "status": "sleeping"}),
        )
        .await;
    assert_error(response, 400, "VALIDATION_ERROR").await;
    // Well-formed ids that name nothing in this workspace are unknown references.
    for (body, field) in [
        (
            json!({"email": "a@example.com", "groupIds": ["grp_AAAAAAAAAAAAAAAAAAAA"]}),
            "groupIds",
        ),
        (
            json!({"email": "a@example.com", "pipelineStageId": "stg_AAAAAAAAAAAAAAAAAAAA"}),
            "pipelineStageId",
        ),
    ] {
        let error = assert_error(app.post("/v1/contacts", &body).await, 404, "NOT_FOUND").await;
        assert_eq!(error["error"]["details"]["field"], field, "{error}");
    }
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 0);
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM contact_tags").await,
        0
    );
    assert_eq!(
        count_rows(&app, "SELECT contact_count FROM workspaces").await,
        0
    );
}

#[tokio::test]
async fn an_invalid_put_leaves_the_contact_unchanged() {
    let app = spawn_app().await;
    let created = app
        .create_contact(
            json!({"email": "ada@example.com", "firstName": "Ada", "customFields": {"a": "b"}}),
        )
        .await;
    let path = format!("/v1/contacts/{}", created["id"].as_str().unwrap());
    let long = "y".repeat(256);
    let cases = [
        (json!({"email": "nope"}), "email", "invalid email"),
        (
            json!({"firstName": long}),
            "firstName",
            "overlong first name",
        ),
        (
            json!({"firstName": "Bob", "customFields": {"a": {"nested": true}}}),
            "customFields",
            "nested custom field value",
        ),
    ];
    for (body, field, reason) in cases {
        let response = app.send_json(Method::PUT, &path, &body).await;
        let error = assert_error(response, 400, "VALIDATION_ERROR").await;
        assert_eq!(error["error"]["details"]["field"], field, "{reason}");
    }
    let fetched = data(app.get(&path).await, 200).await;
    assert_eq!(fetched, created);
}

// ---------- Delete ----------

#[tokio::test]
async fn deleting_a_contact_removes_its_memberships_and_a_second_delete_is_404() {
    let app = spawn_app().await;
    let group = app.create_group("Leads").await;
    let group_path = format!("/v1/groups/{}", group["id"].as_str().unwrap());
    let ada = app
        .create_contact(
            json!({"email": "ada@example.com", "groupIds": [group["id"]], "tags": ["vip"]}),
        )
        .await;
    app.create_contact(json!({"email": "alan@example.com", "groupIds": [group["id"]]}))
        .await;
    assert_eq!(
        data(app.get(&group_path).await, 200).await["contactCount"],
        2
    );

    let id = ada["id"].as_str().unwrap();
    let path = format!("/v1/contacts/{id}");
    let response = app.request(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(
        data(response, 200).await,
        json!({"id": id, "deleted": true})
    );

    assert_error(app.get(&path).await, 404, "NOT_FOUND").await;
    assert_eq!(
        data(app.get(&group_path).await, 200).await["contactCount"],
        1
    );
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 1);
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM group_members").await,
        1
    );
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM contact_tags").await,
        0
    );
    assert_eq!(
        count_rows(&app, "SELECT contact_count FROM workspaces").await,
        1
    );
    let (emails, meta) = list_emails(&app, "/v1/contacts").await;
    assert_eq!(emails, strings(&["alan@example.com"]));
    assert_eq!(meta["total"], 1);

    let again = app.request(Method::DELETE, &path).send().await.unwrap();
    assert_error(again, 404, "NOT_FOUND").await;
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 1);
}

// ---------- Bulk ----------

#[tokio::test]
async fn bulk_creates_good_rows_and_reports_each_bad_row() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/v1/contacts/bulk",
            &json!({"contacts": [
                {"email": "one@example.com", "firstName": "One"},
                {"email": "not-an-email"},
                {"email": "two@example.com", "tags": ["t"]},
                {"email": "typed@example.com", "firstName": 5},
                "just a string",
                {"firstName": "No email"},
                {"email": "three@example.com", "customFields": {"k": {"nested": 1}}},
                {"email": "four@example.com", "customFields": {"k": 1}},
                42,
                {"email": "five@example.com", "unknown": true},
                {"email": "six@example.com", "groupIds": ["grp_AAAAAAAAAAAAAAAAAAAA"]},
                {"email": "seven@example.com", "pipelineStageId": "stg_AAAAAAAAAAAAAAAAAAAA"}
            ]}),
        )
        .await;
    let result = data(response, 200).await;
    assert_eq!(result["created"], 3, "{result}");
    assert_eq!(result["updated"], 0);
    assert_eq!(result["skipped"], 0);
    let errors = result["errors"].as_array().unwrap();
    let summary: Vec<(u64, Value, String)> = errors
        .iter()
        .map(|e| {
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
            (
                e["index"].as_u64().unwrap(),
                e["email"].clone(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let v = "VALIDATION_ERROR".to_owned();
    assert_eq!(
        summary,
        vec![
            (1, json!("not-an-email"), v.clone()),
            (3, json!("typed@example.com"), v.clone()),
            (4, Value::Null, v.clone()),
            (5, Value::Null, v.clone()),
            (6, json!("three@example.com"), v.clone()),
            (8, Value::Null, v.clone()),
            (9, json!("five@example.com"), v.clone()),
            (10, json!("six@example.com"), "NOT_FOUND".to_owned()),
            (11, json!("seven@example.com"), "NOT_FOUND".to_owned()),
        ]
    );
    assert_eq!(result["errorCount"], 9);
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 3);
    let (emails, _) = list_emails(&app, "/v1/contacts").await;
    assert_eq!(
        sorted(emails),
        strings(&["four@example.com", "one@example.com", "two@example.com"])
    );
}

#[tokio::test]
async fn bulk_skips_existing_emails_by_default_and_leaves_them_unchanged() {
    let app = spawn_app().await;
    app.create_contact(json!({"email": "ada@example.com", "firstName": "Old", "company": "Keep"}))
        .await;
    for body in [
        json!({"contacts": [{"email": "ADA@example.com", "firstName": "New"}, {"email": "new@example.com"}]}),
        json!({"contacts": [{"email": "ada@example.com", "firstName": "New"}], "onDuplicate": "skip"}),
    ] {
        let result = data(app.post("/v1/contacts/bulk", &body).await, 200).await;
        assert_eq!(result["updated"], 0, "{result}");
        assert_eq!(result["skipped"], 1, "{result}");
        assert_eq!(result["errors"], json!([]));
    }
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 2);
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) FROM contacts WHERE email = 'ada@example.com' AND first_name = 'Old'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn bulk_with_on_duplicate_update_applies_the_given_values_only() {
    let app = spawn_app().await;
    let existing = app
        .create_contact(json!({
            "email": "ada@example.com",
            "firstName": "Old",
            "company": "Keep",
            "tags": ["old"],
            "customFields": {"plan": "silver", "seats": 3}
        }))
        .await;
    let result = data(
        app.post(
            "/v1/contacts/bulk",
            &json!({
                "onDuplicate": "update",
                "contacts": [
                    {"email": "Ada@Example.com", "firstName": "New", "tags": ["new"], "customFields": {"plan": "gold"}},
                    {"email": "fresh@example.com"}
                ]
            }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(result["created"], 1, "{result}");
    assert_eq!(result["updated"], 1);
    assert_eq!(result["skipped"], 0);
    let fetched = data(
        app.get(&format!(
            "/v1/contacts/{}",
            existing["id"].as_str().unwrap()
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(fetched["firstName"], "New");
    assert_eq!(fetched["company"], "Keep");
    assert_eq!(fetched["email"], "ada@example.com");
    assert_eq!(fetched["tags"], json!(["new", "old"]));
    assert_eq!(fetched["customFields"], json!({"plan": "gold", "seats": 3}));
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 2);
}

#[tokio::test]
async fn a_duplicate_inside_one_batch_is_skipped_or_updated() {
    let app = spawn_app().await;
    let rows = json!([
        {"email": "twice@example.com", "firstName": "First"},
        {"email": "TWICE@example.com", "firstName": "Second"}
    ]);
    let skip = data(
        app.post("/v1/contacts/bulk", &json!({"contacts": rows}))
            .await,
        200,
    )
    .await;
    assert_eq!(
        (&skip["created"], &skip["skipped"], &skip["updated"]),
        (&json!(1), &json!(1), &json!(0))
    );
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) FROM contacts WHERE first_name = 'First'"
        )
        .await,
        1
    );

    let rows = json!([
        {"email": "pair@example.com", "firstName": "First"},
        {"email": "Pair@example.com", "firstName": "Second"}
    ]);
    let update = data(
        app.post(
            "/v1/contacts/bulk",
            &json!({"contacts": rows, "onDuplicate": "update"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (&update["created"], &update["skipped"], &update["updated"]),
        (&json!(1), &json!(0), &json!(1))
    );
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) FROM contacts WHERE email_lower = 'pair@example.com' AND first_name = 'Second'"
        )
        .await,
        1
    );
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 2);
}

#[tokio::test]
async fn bulk_accepts_1000_rows_and_refuses_1001_or_none() {
    let app = spawn_app().await;
    let rows = |n: usize, prefix: &str| -> Value {
        (0..n)
            .map(|i| json!({"email": format!("{prefix}{i}@example.com")}))
            .collect()
    };
    let too_many = app
        .post(
            "/v1/contacts/bulk",
            &json!({"contacts": rows(1001, "over")}),
        )
        .await;
    let body = assert_error(too_many, 400, "VALIDATION_ERROR").await;
    assert_eq!(body["error"]["details"]["field"], "contacts");
    let empty = app
        .post("/v1/contacts/bulk", &json!({"contacts": []}))
        .await;
    assert_error(empty, 400, "VALIDATION_ERROR").await;
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 0);

    let full = data(
        app.post("/v1/contacts/bulk", &json!({"contacts": rows(1000, "ok")}))
            .await,
        200,
    )
    .await;
    assert_eq!(full["created"], 1000);
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM contacts").await,
        1000
    );
    let (_, meta) = list_emails(&app, "/v1/contacts").await;
    assert_eq!(meta["total"], 1000);
}

#[tokio::test]
async fn bulk_group_ids_apply_to_every_created_and_updated_row() {
    let app = spawn_app().await;
    let group = app.create_group("Imported").await;
    let other = app.create_group("Own").await;
    app.create_contact(json!({"email": "existing@example.com"}))
        .await;
    let result = data(
        app.post(
            "/v1/contacts/bulk",
            &json!({
                "groupIds": [group["id"]],
                "onDuplicate": "update",
                "contacts": [
                    {"email": "a@example.com"},
                    {"email": "b@example.com", "groupIds": [other["id"]]},
                    {"email": "existing@example.com", "firstName": "Now"},
                    {"email": "broken"}
                ]
            }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(result["created"], 2, "{result}");
    assert_eq!(result["updated"], 1);
    assert_eq!(result["errors"].as_array().unwrap().len(), 1);
    let group_path = format!("/v1/groups/{}", group["id"].as_str().unwrap());
    assert_eq!(
        data(app.get(&group_path).await, 200).await["contactCount"],
        3
    );
    let (members, _) = list_emails(
        &app,
        &format!("/v1/contacts?groupId={}", group["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(
        sorted(members),
        strings(&["a@example.com", "b@example.com", "existing@example.com"])
    );
    assert_eq!(
        count_rows(&app, "SELECT contact_count FROM groups WHERE name = 'Own'").await,
        1
    );
}

#[tokio::test]
async fn bulk_with_an_unknown_group_writes_nothing() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/v1/contacts/bulk",
            &json!({"groupIds": ["grp_AAAAAAAAAAAAAAAAAAAA"], "contacts": [{"email": "a@example.com"}]}),
        )
        .await;
    let body = assert_error(response, 404, "NOT_FOUND").await;
    assert_eq!(body["error"]["details"]["field"], "groupIds");
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 0);
}

// ---------- Search ----------

async fn seed_for_search(app: &TestApp) -> (Value, Value) {
    let leads = app.create_group("Leads").await;
    let partners = app.create_group("Partners").await;
    let rows = json!([
        {"email": "ada@acme.com", "firstName": "Ada", "company": "Acme", "tags": ["vip"],
         "customFields": {"plan": "gold", "seats": 10}, "groupIds": [leads["id"]]},
        {"email": "bob@acme.com", "firstName": "Bob", "company": "Acme", "status": "unsubscribed",
         "customFields": {"plan": "silver"}, "groupIds": [partners["id"]]},
        {"email": "cy@other.org", "firstName": "Cy", "lastName": "Acmeson", "tags": ["vip", "eu"],
         "customFields": {"plan": "gold", "seats": 2}},
        {"email": "dee@other.org", "firstName": "Dee", "status": "bounced", "tags": ["eu"],
         "groupIds": [leads["id"], partners["id"]]}
    ]);
    let result = data(
        app.post("/v1/contacts/bulk", &json!({"contacts": rows}))
            .await,
        200,
    )
    .await;
    assert_eq!(result["created"], 4, "{result}");
    (leads, partners)
}

async fn search(app: &TestApp, body: Value) -> (Vec<String>, Value) {
    let response = app.post("/v1/contacts/search", &body).await;
    assert_eq!(response.status(), 200, "search {body}");
    let body = body_json(response).await;
    assert_eq!(body["success"], true);
    (emails_of(&body["data"]), body["meta"].clone())
}

#[tokio::test]
async fn search_matches_text_and_structured_filters() {
    let app = spawn_app().await;
    let (leads, partners) = seed_for_search(&app).await;
    let asc = json!({"field": "email", "order": "asc"});
    let cases: Vec<(Value, Vec<&str>, &str)> = vec![
        (
            json!({}),
            vec![
                "ada@acme.com",
                "bob@acme.com",
                "cy@other.org",
                "dee@other.org",
            ],
            "everything",
        ),
        (
            json!({"query": "ACME"}),
            vec!["ada@acme.com", "bob@acme.com", "cy@other.org"],
            "email, company or last name",
        ),
        (json!({"query": "dee"}), vec!["dee@other.org"], "first name"),
        (
            json!({"filters": {"status": "active"}}),
            vec!["ada@acme.com", "cy@other.org"],
            "one status",
        ),
        (
            json!({"filters": {"status": ["unsubscribed", "bounced"]}}),
            vec!["bob@acme.com", "dee@other.org"],
            "several statuses",
        ),
        (
            json!({"filters": {"groups": [leads["id"]]}}),
            vec!["ada@acme.com", "dee@other.org"],
            "one group",
        ),
        (
            json!({"filters": {"groups": [leads["id"], partners["id"]]}}),
            vec!["ada@acme.com", "bob@acme.com", "dee@other.org"],
            "any of two groups",
        ),
        (
            json!({"filters": {"tags": ["vip"]}}),
            vec!["ada@acme.com", "cy@other.org"],
            "a tag",
        ),
        (
            json!({"filters": {"tags": ["vip", "eu"]}}),
            vec!["ada@acme.com", "cy@other.org", "dee@other.org"],
            "any of two tags",
        ),
        (
            json!({"filters": {"customFields": {"plan": "gold"}}}),
            vec!["ada@acme.com", "cy@other.org"],
            "custom text field",
        ),
        (
            json!({"filters": {"customFields": {"plan": "gold", "seats": 2}}}),
            vec!["cy@other.org"],
            "custom text and number fields",
        ),
        (
            json!({"query": "acme", "filters": {"status": "active", "tags": ["vip"], "customFields": {"plan": "gold"}}}),
            vec!["ada@acme.com", "cy@other.org"],
            "text and filters",
        ),
        (json!({"query": "nobody-matches"}), vec![], "no match"),
    ];
    for (mut body, expected, reason) in cases {
        body["sort"] = asc.clone();
        let (emails, meta) = search(&app, body).await;
        assert_eq!(emails, strings(&expected), "{reason}");
        assert_eq!(meta["total"], expected.len(), "{reason}");
    }
}

#[tokio::test]
async fn search_sorts_and_paginates_from_the_body() {
    let app = spawn_app().await;
    seed_for_search(&app).await;
    let (first, meta) = search(
        &app,
        json!({"sort": {"field": "firstName", "order": "desc"}, "page": 1, "perPage": 3}),
    )
    .await;
    assert_eq!(
        first,
        strings(&["dee@other.org", "cy@other.org", "bob@acme.com"])
    );
    assert_eq!(
        meta,
        json!({"page": 1, "perPage": 3, "total": 4, "totalPages": 2})
    );
    let (second, meta) = search(
        &app,
        json!({"sort": {"field": "firstName", "order": "desc"}, "page": 2, "perPage": 3}),
    )
    .await;
    assert_eq!(second, strings(&["ada@acme.com"]));
    assert_eq!(meta["page"], 2);
}

#[tokio::test]
async fn invalid_searches_are_refused() {
    let app = spawn_app().await;
    let cases = [
        (json!({"filters": {"colour": "red"}}), "unknown filter"),
        (json!({"sort": {"field": "shoeSize"}}), "unknown sort field"),
        (json!({"filters": {"status": "asleep"}}), "unknown status"),
        (
            json!({"filters": {"groups": ["Leads"]}}),
            "group given by name",
        ),
        (json!({"perPage": 101}), "page too large"),
        (json!({"page": 0}), "page zero"),
        (
            json!({"filters": {"customFields": {"k": {"a": 1}}}}),
            "nested custom value",
        ),
    ];
    for (body, reason) in cases {
        let response = app.post("/v1/contacts/search", &body).await;
        assert_eq!(response.status(), 400, "{reason}");
        assert_error(response, 400, "VALIDATION_ERROR").await;
    }
}

// ---------- List filters ----------

#[tokio::test]
async fn list_filters_select_the_right_contacts() {
    let app = spawn_app().await;
    let (leads, _partners) = seed_for_search(&app).await;
    let leads_id = leads["id"].as_str().unwrap();
    let cases: Vec<(String, Vec<&str>, &str)> = vec![
        (
            "email=ACME".into(),
            vec!["ada@acme.com", "bob@acme.com"],
            "email contains, any case",
        ),
        (
            "email=@other".into(),
            vec!["cy@other.org", "dee@other.org"],
            "email contains domain",
        ),
        ("status=bounced".into(), vec!["dee@other.org"], "status"),
        (
            format!("group={leads_id}"),
            vec!["ada@acme.com", "dee@other.org"],
            "group by id",
        ),
        (
            "group=leads".into(),
            vec!["ada@acme.com", "dee@other.org"],
            "group by name, any case",
        ),
        (
            "group=Partners".into(),
            vec!["bob@acme.com", "dee@other.org"],
            "group by name",
        ),
        (
            format!("groupId={leads_id}"),
            vec!["ada@acme.com", "dee@other.org"],
            "groupId",
        ),
        ("group=Nobody".into(), vec![], "unknown group name"),
        (
            "tag=eu".into(),
            vec!["cy@other.org", "dee@other.org"],
            "tag",
        ),
        (
            "company=acm".into(),
            vec!["ada@acme.com", "bob@acme.com"],
            "company contains",
        ),
        ("q=acmeson".into(), vec!["cy@other.org"], "q on last name"),
        ("q=Cy%20Acme".into(), vec!["cy@other.org"], "q on full name"),
        (
            "q=bob".into(),
            vec!["bob@acme.com"],
            "q on first name and email",
        ),
        (
            "status=active&tag=vip&company=acme".into(),
            vec!["ada@acme.com"],
            "combined filters",
        ),
        ("email=%25".into(), vec![], "a LIKE wildcard is literal"),
    ];
    for (query, expected, reason) in cases {
        let (emails, meta) =
            list_emails(&app, &format!("/v1/contacts?{query}&sort=email&order=asc")).await;
        assert_eq!(emails, strings(&expected), "{reason}");
        assert_eq!(meta["total"], expected.len(), "{reason}");
    }
}

#[tokio::test]
async fn created_after_and_before_bound_the_creation_time() {
    let app = spawn_app().await;
    for (email, at) in [
        ("old@example.com", "2024-01-01T00:00:00Z"),
        ("mid@example.com", "2024-06-01T00:00:00Z"),
        ("new@example.com", "2025-01-01T00:00:00Z"),
    ] {
        let contact = app.create_contact(json!({"email": email})).await;
        set_created_at(&app, contact["id"].as_str().unwrap(), at).await;
    }
    let cases = [
        (
            "createdAfter=2024-03-01T00:00:00Z",
            vec!["mid@example.com", "new@example.com"],
        ),
        (
            "createdBefore=2024-12-31T00:00:00Z",
            vec!["mid@example.com", "old@example.com"],
        ),
        (
            "createdAfter=2024-03-01T02:00:00%2B02:00&createdBefore=2024-12-31T00:00:00Z",
            vec!["mid@example.com"],
        ),
        (
            "createdAfter=2024-06-01T00:00:00Z",
            vec!["mid@example.com", "new@example.com"],
        ),
        ("createdAfter=2030-01-01T00:00:00Z", vec![]),
    ];
    for (query, expected) in cases {
        let (emails, _) =
            list_emails(&app, &format!("/v1/contacts?{query}&sort=email&order=asc")).await;
        assert_eq!(emails, strings(&expected), "{query}");
    }
    for query in ["createdAfter=yesterday", "createdBefore=2024-13-01"] {
        let response = app.get(&format!("/v1/contacts?{query}")).await;
        assert_error(response, 400, "VALIDATION_ERROR").await;
    }
}

#[tokio::test]
async fn the_list_is_newest_first_and_paginated() {
    let app = spawn_app().await;
    for i in 0..5 {
        app.create_contact(json!({"email": format!("c{i}@example.com")}))
            .await;
    }
    let (page1, meta) = list_emails(&app, "/v1/contacts?perPage=2").await;
    assert_eq!(page1, strings(&["c4@example.com", "c3@example.com"]));
    assert_eq!(
        meta,
        json!({"page": 1, "perPage": 2, "total": 5, "totalPages": 3})
    );
    let (page3, _) = list_emails(&app, "/v1/contacts?perPage=2&page=3").await;
    assert_eq!(page3, strings(&["c0@example.com"]));
    let (asc, _) = list_emails(&app, "/v1/contacts?sort=email&order=asc&perPage=100").await;
    assert_eq!(asc.len(), 5);
    assert_eq!(asc[0], "c0@example.com");
}

#[tokio::test]
async fn bad_list_parameters_are_refused() {
    let app = spawn_app().await;
    for query in [
        "status=sleeping",
        "sort=shoeSize",
        "order=sideways",
        "perPage=0",
        "perPage=101",
        "page=0",
        "emial=ada",
    ] {
        let response = app.get(&format!("/v1/contacts?{query}")).await;
        assert_error(response, 400, "VALIDATION_ERROR").await;
    }
}

// ---------- Memberships and tags ----------

#[tokio::test]
async fn adding_and_removing_groups_of_a_contact_is_idempotent() {
    let app = spawn_app().await;
    let leads = app.create_group("Leads").await;
    let vips = app.create_group("VIPs").await;
    let contact = app
        .create_contact(json!({"email": "ada@example.com"}))
        .await;
    let path = format!("/v1/contacts/{}/groups", contact["id"].as_str().unwrap());
    let both = json!({"groupIds": [leads["id"], vips["id"]]});
    for _ in 0..2 {
        let updated = data(app.post(&path, &both).await, 200).await;
        assert_eq!(
            updated["groups"],
            json!([{"id": leads["id"], "name": "Leads"}, {"id": vips["id"], "name": "VIPs"}])
        );
        assert_eq!(
            count_rows(&app, "SELECT count(*) FROM group_members").await,
            2
        );
        assert_eq!(
            count_rows(&app, "SELECT sum(contact_count) FROM groups").await,
            2
        );
    }
    let only_leads = json!({"groupIds": [leads["id"]]});
    for _ in 0..2 {
        let updated = data(app.send_json(Method::DELETE, &path, &only_leads).await, 200).await;
        assert_eq!(
            updated["groups"],
            json!([{"id": vips["id"], "name": "VIPs"}])
        );
        assert_eq!(
            count_rows(
                &app,
                "SELECT contact_count FROM groups WHERE name = 'Leads'"
            )
            .await,
            0
        );
        assert_eq!(
            count_rows(&app, "SELECT contact_count FROM groups WHERE name = 'VIPs'").await,
            1
        );
    }
    // Unknown groups, empty lists and unknown contacts are refused.
    let unknown = app
        .post(&path, &json!({"groupIds": ["grp_AAAAAAAAAAAAAAAAAAAA"]}))
        .await;
    assert_error(unknown, 404, "NOT_FOUND").await;
    let malformed = app.post(&path, &json!({"groupIds": ["Leads"]})).await;
    assert_error(malformed, 400, "VALIDATION_ERROR").await;
    let empty = app.post(&path, &json!({"groupIds": []})).await;
    assert_error(empty, 400, "VALIDATION_ERROR").await;
    let nobody = app
        .post(
            "/v1/contacts/con_AAAAAAAAAAAAAAAAAAAA/groups",
            &json!({"groupIds": [leads["id"]]}),
        )
        .await;
    assert_error(nobody, 404, "NOT_FOUND").await;
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM group_members").await,
        1
    );
}

#[tokio::test]
async fn adding_and_removing_tags_of_a_contact_is_idempotent() {
    let app = spawn_app().await;
    let contact = app
        .create_contact(json!({"email": "ada@example.com", "tags": ["keep"]}))
        .await;
    let path = format!("/v1/contacts/{}/tags", contact["id"].as_str().unwrap());
    for _ in 0..2 {
        let updated = data(app.post(&path, &json!({"tags": ["vip", "eu"]})).await, 200).await;
        assert_eq!(updated["tags"], json!(["eu", "keep", "vip"]));
        assert_eq!(
            count_rows(&app, "SELECT count(*) FROM contact_tags").await,
            3
        );
    }
    for _ in 0..2 {
        let updated = data(
            app.send_json(Method::DELETE, &path, &json!({"tags": ["vip", "absent"]}))
                .await,
            200,
        )
        .await;
        assert_eq!(updated["tags"], json!(["eu", "keep"]));
        assert_eq!(
            count_rows(&app, "SELECT count(*) FROM contact_tags").await,
            2
        );
    }
    let (emails, _) = list_emails(&app, "/v1/contacts?tag=vip").await;
    assert!(emails.is_empty());
    let (emails, _) = list_emails(&app, "/v1/contacts?tag=eu").await;
    assert_eq!(emails, strings(&["ada@example.com"]));
    for body in [
        json!({"tags": []}),
        json!({"tags": [""]}),
        json!({"tags": ["a\nb"]}),
    ] {
        assert_error(app.post(&path, &body).await, 400, "VALIDATION_ERROR").await;
    }
    let nobody = app
        .post(
            "/v1/contacts/con_AAAAAAAAAAAAAAAAAAAA/tags",
            &json!({"tags": ["x"]}),
        )
        .await;
    assert_error(nobody, 404, "NOT_FOUND").await;
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM contact_tags").await,
        2
    );
}
