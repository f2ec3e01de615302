//! /v1/groups: CRUD, unique names, types and colors, filters, members and their counts.

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

fn id(value: &Value) -> &str {
    value["id"].as_str().expect("an id")
}

fn field_list(items: &Value, field: &str) -> Vec<String> {
    items
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| item[field].as_str().unwrap().to_owned())
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

async fn group_names(app: &TestApp, query: &str) -> (Vec<String>, Value) {
    let response = app.get(&format!("/v1/groups?{query}")).await;
    assert_eq!(response.status(), 200, "GET /v1/groups?{query}");
    let body = body_json(response).await;
    (field_list(&body["data"], "name"), body["meta"].clone())
}

async fn contact_count(app: &TestApp, group: &Value) -> u64 {
    let fetched = data(app.get(&format!("/v1/groups/{}", id(group))).await, 200).await;
    fetched["contactCount"].as_u64().expect("contactCount")
}

async fn add(app: &TestApp, group: &Value, ids: Value) -> Value {
    let path = format!("/v1/groups/{}/contacts", id(group));
    data(app.post(&path, &json!({"contactIds": ids})).await, 200).await
}

async fn remove(app: &TestApp, group: &Value, ids: Value) -> Value {
    let path = format!("/v1/groups/{}/contacts", id(group));
    data(
        app.send_json(Method::DELETE, &path, &json!({"contactIds": ids}))
            .await,
        200,
    )
    .await
}

async fn contacts(app: &TestApp, n: usize) -> Vec<Value> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        out.push(
            app.create_contact(json!({"email": format!("c{i}@example.com")}))
                .await,
        );
    }
    out
}

// ---------- CRUD ----------

#[tokio::test]
async fn a_group_is_created_read_updated_and_deleted() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/v1/groups",
            &json!({"name": "  Leads  ", "description": "Inbound", "type": "dynamic", "color": "#3B82F6"}),
        )
        .await;
    let created = data(response, 201).await;
    let group_id = id(&created).to_owned();
    assert!(
        group_id.starts_with("grp_") && group_id.len() == 24,
        "{group_id}"
    );
    assert_eq!(created["name"], "Leads");
    assert_eq!(created["description"], "Inbound");
    assert_eq!(created["type"], "dynamic");
    assert_eq!(created["color"], "#3b82f6");
    assert_eq!(created["contactCount"], 0);
    assert_eq!(created["createdAt"], created["updatedAt"]);
    let path = format!("/v1/groups/{group_id}");
    assert_eq!(data(app.get(&path).await, 200).await, created);

    let updated = data(
        app.send_json(
            Method::PUT,
            &path,
            &json!({"name": "Hot leads", "description": null, "type": "static"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["name"], "Hot leads");
    assert_eq!(updated["description"], Value::Null);
    assert_eq!(updated["type"], "static");
    assert_eq!(updated["color"], "#3b82f6", "an absent field is kept");
    assert_eq!(data(app.get(&path).await, 200).await, updated);
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) FROM groups WHERE name = 'Hot leads' AND description IS NULL AND type = 'static'"
        )
        .await,
        1
    );

    let response = app.request(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(
        data(response, 200).await,
        json!({"id": group_id, "deleted": true})
    );
    assert_error(app.get(&path).await, 404, "NOT_FOUND").await;
    let again = app.request(Method::DELETE, &path).send().await.unwrap();
    assert_error(again, 404, "NOT_FOUND").await;
    assert_eq!(count_rows(&app, "SELECT count(*) FROM groups").await, 0);
}

#[tokio::test]
async fn a_group_is_static_unless_told_otherwise() {
    let app = spawn_app().await;
    let created = app.create_group("Plain").await;
    assert_eq!(created["type"], "static");
    assert_eq!(created["description"], Value::Null);
    assert_eq!(created["color"], Value::Null);
}

#[tokio::test]
async fn group_names_are_unique_in_any_case() {
    let app = spawn_app().await;
    app.create_group("Leads").await;
    let other = app.create_group("Partners").await;
    for name in ["Leads", "LEADS", "leads", " leads "] {
        let body = assert_error(
            app.post("/v1/groups", &json!({"name": name})).await,
            409,
            "CONFLICT",
        )
        .await;
        assert_eq!(body["error"]["details"]["field"], "name", "{name}");
    }
    let path = format!("/v1/groups/{}", id(&other));
    let renamed = app
        .send_json(Method::PUT, &path, &json!({"name": "lEaDs"}))
        .await;
    assert_error(renamed, 409, "CONFLICT").await;
    assert_eq!(data(app.get(&path).await, 200).await["name"], "Partners");
    assert_eq!(count_rows(&app, "SELECT count(*) FROM groups").await, 2);
    // Renaming a group to its own name in another case is allowed.
    let own = data(
        app.send_json(Method::PUT, &path, &json!({"name": "PARTNERS"}))
            .await,
        200,
    )
    .await;
    assert_eq!(own["name"], "PARTNERS");
}

#[tokio::test]
async fn the_same_group_name_may_exist_in_two_workspaces() {
    let app = spawn_app().await;
    let (_, other_key) = app.create_workspace(Plan::Pro).await;
    app.create_group("Leads").await;
    let response = app
        .request_as(&other_key, Method::POST, "/v1/groups")
        .json(&json!({"name": "Leads"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(count_rows(&app, "SELECT count(*) FROM groups").await, 2);
}

#[tokio::test]
async fn invalid_groups_are_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"name": "A", "color": "red"}),
            Some("color"),
            "a color name",
        ),
        (
            json!({"name": "A", "color": "#12345"}),
            Some("color"),
            "five hex digits",
        ),
        (
            json!({"name": "A", "color": "#gggggg"}),
            Some("color"),
            "not hex",
        ),
        (
            json!({"name": "A", "color": "3b82f6"}),
            Some("color"),
            "no #",
        ),
        (
            json!({"name": "A", "color": ""}),
            Some("color"),
            "empty color",
        ),
        (json!({"name": ""}), Some("name"), "empty name"),
        (json!({"name": "   "}), Some("name"), "blank name"),
        (
            json!({"name": "x".repeat(256)}),
            Some("name"),
            "name over 255 characters",
        ),
        (
            json!({"name": "a\nb"}),
            Some("name"),
            "line break in the name",
        ),
        (json!({}), Some("name"), "missing name"),
        (
            json!({"name": "A", "description": "d".repeat(1001)}),
            Some("description"),
            "long description",
        ),
        (json!({"name": "A", "type": "smart"}), None, "unknown type"),
        (
            json!({"name": "A", "owner": "me"}),
            Some("owner"),
            "unknown field",
        ),
    ];
    for (body, field, reason) in cases {
        let error =
            assert_error(app.post("/v1/groups", &body).await, 400, "VALIDATION_ERROR").await;
        if let Some(field) = field {
            assert_eq!(
                error["error"]["details"]["field"], field,
                "{reason}: {error}"
            );
        }
    }
    assert_eq!(count_rows(&app, "SELECT count(*) FROM groups").await, 0);

    let group = app.create_group("Valid").await;
    let path = format!("/v1/groups/{}", id(&group));
    let bad = app
        .send_json(
            Method::PUT,
            &path,
            &json!({"color": "blue", "name": "Renamed"}),
        )
        .await;
    let error = assert_error(bad, 400, "VALIDATION_ERROR").await;
    assert_eq!(error["error"]["details"]["field"], "color");
    assert_eq!(data(app.get(&path).await, 200).await, group);
}

#[tokio::test]
async fn a_color_can_be_cleared_with_null() {
    let app = spawn_app().await;
    let group = data(
        app.post("/v1/groups", &json!({"name": "Tinted", "color": "#abc"}))
            .await,
        201,
    )
    .await;
    assert_eq!(group["color"], "#abc");
    let path = format!("/v1/groups/{}", id(&group));
    let cleared = data(
        app.send_json(Method::PUT, &path, &json!({"color": null}))
            .await,
        200,
    )
    .await;
    assert_eq!(cleared["color"], Value::Null);
    assert_eq!(cleared["name"], "Tinted");
}

#[tokio::test]
async fn groups_are_filtered_by_name_and_type_and_sorted_by_name() {
    let app = spawn_app().await;
    for (name, kind) in [
        ("beta leads", "static"),
        ("Alpha Leads", "dynamic"),
        ("Customers", "static"),
        ("gamma", "dynamic"),
    ] {
        data(
            app.post("/v1/groups", &json!({"name": name, "type": kind}))
                .await,
            201,
        )
        .await;
    }
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "sort=name&order=asc",
            vec!["Alpha Leads", "beta leads", "Customers", "gamma"],
        ),
        (
            "sort=name&order=desc",
            vec!["gamma", "Customers", "beta leads", "Alpha Leads"],
        ),
        (
            "name=LEADS&sort=name&order=asc",
            vec!["Alpha Leads", "beta leads"],
        ),
        ("name=ust", vec!["Customers"]),
        (
            "type=dynamic&sort=name&order=asc",
            vec!["Alpha Leads", "gamma"],
        ),
        ("type=static&name=lead", vec!["beta leads"]),
        ("name=nothing", vec![]),
        ("", vec!["gamma", "Customers", "Alpha Leads", "beta leads"]),
    ];
    for (query, expected) in cases {
        let (names, meta) = group_names(&app, query).await;
        assert_eq!(names, strings(&expected), "{query}");
        assert_eq!(meta["total"], expected.len(), "{query}");
    }
    let (page, meta) = group_names(&app, "sort=name&order=asc&perPage=3&page=2").await;
    assert_eq!(page, strings(&["gamma"]));
    assert_eq!(
        meta,
        json!({"page": 2, "perPage": 3, "total": 4, "totalPages": 2})
    );
    for query in ["type=smart", "sort=colour", "nam=x", "perPage=500"] {
        assert_error(
            app.get(&format!("/v1/groups?{query}")).await,
            400,
            "VALIDATION_ERROR",
        )
        .await;
    }
}

// ---------- Members ----------

#[tokio::test]
async fn adding_members_is_idempotent_and_reports_unknown_ids() {
    let app = spawn_app().await;
    let (_, other_key) = app.create_workspace(Plan::Pro).await;
    let foreign = app
        .request_as(&other_key, Method::POST, "/v1/contacts")
        .json(&json!({"email": "foreign@example.com"}))
        .send()
        .await
        .unwrap();
    let foreign = data(foreign, 201).await;
    let group = app.create_group("Leads").await;
    let people = contacts(&app, 3).await;
    let ids = json!([id(&people[0]), id(&people[1])]);

    let first = add(&app, &group, ids.clone()).await;
    assert_eq!(first, json!({"added": 2, "skipped": 0, "errors": []}));
    assert_eq!(contact_count(&app, &group).await, 2);

    let second = add(&app, &group, ids).await;
    assert_eq!(second, json!({"added": 0, "skipped": 2, "errors": []}));
    assert_eq!(contact_count(&app, &group).await, 2);
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM group_members").await,
        2
    );

    let mixed = add(
        &app,
        &group,
        json!([
            id(&people[2]),
            "con_AAAAAAAAAAAAAAAAAAAA",
            "garbage",
            id(&foreign),
            id(&people[0])
        ]),
    )
    .await;
    assert_eq!(mixed["added"], 1);
    assert_eq!(mixed["skipped"], 1);
    let errors = mixed["errors"].as_array().unwrap();
    assert_eq!(
        field_list(&mixed["errors"], "contactId"),
        strings(&["con_AAAAAAAAAAAAAAAAAAAA", "garbage", id(&foreign)])
    );
    for error in errors {
        assert_eq!(error["code"], "NOT_FOUND", "{error}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(contact_count(&app, &group).await, 3);
    // The other workspace's contact was not touched.
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) FROM group_members gm JOIN contacts c ON c.seq = gm.contact_seq
             WHERE c.email = 'foreign@example.com'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn removing_members_keeps_the_contacts_and_is_idempotent() {
    let app = spawn_app().await;
    let group = app.create_group("Leads").await;
    let people = contacts(&app, 3).await;
    add(
        &app,
        &group,
        json!([id(&people[0]), id(&people[1]), id(&people[2])]),
    )
    .await;
    let ids = json!([id(&people[0]), id(&people[1]), "con_AAAAAAAAAAAAAAAAAAAA"]);
    let first = remove(&app, &group, ids.clone()).await;
    assert_eq!(first["removed"], 2);
    assert_eq!(first["skipped"], 0);
    assert_eq!(
        field_list(&first["errors"], "contactId"),
        strings(&["con_AAAAAAAAAAAAAAAAAAAA"])
    );
    assert_eq!(contact_count(&app, &group).await, 1);
    let second = remove(&app, &group, ids).await;
    assert_eq!(second["removed"], 0);
    assert_eq!(second["skipped"], 2);
    assert_eq!(contact_count(&app, &group).await, 1);
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 3);
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM group_members").await,
        1
    );
    let fetched = data(
        app.get(&format!("/v1/contacts/{}", id(&people[0]))).await,
        200,
    )
    .await;
    assert_eq!(fetched["groups"], json!([]));
}

#[tokio::test]
async fn member_requests_are_validated() {
    let app = spawn_app().await;
    let group = app.create_group("Leads").await;
    let path = format!("/v1/groups/{}/contacts", id(&group));
    let too_many: Vec<String> = (0..1001)
        .map(|_| "con_AAAAAAAAAAAAAAAAAAAA".to_owned())
        .collect();
    for body in [
        json!({"contactIds": []}),
        json!({"contactIds": too_many}),
        json!({"ids": ["x"]}),
        json!({"contactIds": "con_AAAAAAAAAAAAAAAAAAAA"}),
    ] {
        assert_error(app.post(&path, &body).await, 400, "VALIDATION_ERROR").await;
    }
    let person = app.create_contact(json!({"email": "a@example.com"})).await;
    let unknown_group = app
        .post(
            "/v1/groups/grp_AAAAAAAAAAAAAAAAAAAA/contacts",
            &json!({"contactIds": [id(&person)]}),
        )
        .await;
    assert_error(unknown_group, 404, "NOT_FOUND").await;
    assert_error(
        app.get("/v1/groups/grp_AAAAAAAAAAAAAAAAAAAA/contacts")
            .await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM group_members").await,
        0
    );
}

#[tokio::test]
async fn the_members_of_a_group_are_listed_page_by_page() {
    let app = spawn_app().await;
    let group = app.create_group("Leads").await;
    let people = contacts(&app, 6).await;
    // c5 is not a member.
    let member_ids: Vec<&str> = people[..5].iter().map(id).collect();
    add(&app, &group, json!(member_ids)).await;
    let path = format!("/v1/groups/{}/contacts", id(&group));
    let mut seen = Vec::new();
    for page in 1..=3 {
        let response = app
            .get(&format!(
                "{path}?perPage=2&page={page}&sort=email&order=asc"
            ))
            .await;
        assert_eq!(response.status(), 200);
        let body = body_json(response).await;
        assert_eq!(
            body["meta"],
            json!({"page": page, "perPage": 2, "total": 5, "totalPages": 3})
        );
        let emails = field_list(&body["data"], "email");
        assert_eq!(emails.len(), if page < 3 { 2 } else { 1 });
        seen.extend(emails);
    }
    assert_eq!(
        seen,
        strings(&[
            "c0@example.com",
            "c1@example.com",
            "c2@example.com",
            "c3@example.com",
            "c4@example.com"
        ])
    );
    // Members carry their groups like any contact.
    let body = body_json(app.get(&format!("{path}?perPage=1")).await).await;
    assert_eq!(
        body["data"][0]["groups"],
        json!([{"id": id(&group), "name": "Leads"}])
    );
    assert_error(
        app.get(&format!("{path}?status=active")).await,
        400,
        "VALIDATION_ERROR",
    )
    .await;
}

#[tokio::test]
async fn the_contact_count_follows_adds_removes_and_contact_deletion() {
    let app = spawn_app().await;
    let group = app.create_group("Leads").await;
    let other = app.create_group("Other").await;
    let people = contacts(&app, 4).await;
    add(
        &app,
        &group,
        json!([id(&people[0]), id(&people[1]), id(&people[2])]),
    )
    .await;
    add(&app, &other, json!([id(&people[0])])).await;
    assert_eq!(contact_count(&app, &group).await, 3);

    remove(&app, &group, json!([id(&people[1])])).await;
    assert_eq!(contact_count(&app, &group).await, 2);

    let deleted = app
        .request(Method::DELETE, &format!("/v1/contacts/{}", id(&people[0])))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    assert_eq!(contact_count(&app, &group).await, 1);
    assert_eq!(contact_count(&app, &other).await, 0);

    // Joining through the contact endpoints counts as well.
    let joined = app
        .post(
            &format!("/v1/contacts/{}/groups", id(&people[3])),
            &json!({"groupIds": [id(&group)]}),
        )
        .await;
    assert_eq!(joined.status(), 200);
    assert_eq!(contact_count(&app, &group).await, 2);

    // The counter always matches the membership rows.
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) FROM groups g
             WHERE g.contact_count != (SELECT count(*) FROM group_members gm WHERE gm.group_seq = g.seq)"
        )
        .await,
        0
    );
    let (names, _) = group_names(&app, "sort=contactCount&order=desc").await;
    assert_eq!(names, strings(&["Leads", "Other"]));
}

#[tokio::test]
async fn deleting_a_group_keeps_its_contacts() {
    let app = spawn_app().await;
    let group = app.create_group("Leads").await;
    let people = contacts(&app, 3).await;
    add(&app, &group, json!([id(&people[0]), id(&people[1])])).await;
    let response = app
        .request(Method::DELETE, &format!("/v1/groups/{}", id(&group)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 3);
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM group_members").await,
        0
    );
    let fetched = data(
        app.get(&format!("/v1/contacts/{}", id(&people[0]))).await,
        200,
    )
    .await;
    assert_eq!(fetched["groups"], json!([]));
    let body = body_json(app.get("/v1/contacts").await).await;
    assert_eq!(body["meta"]["total"], 3);
    let body = body_json(app.get("/v1/contacts?group=Leads").await).await;
    assert_eq!(body["meta"]["total"], 0);
}

#[tokio::test]
async fn contacts_are_listed_by_group_and_by_group_id() {
    let app = spawn_app().await;
    let leads = app.create_group("Leads").await;
    let others = app.create_group("Others").await;
    let people = contacts(&app, 4).await;
    add(&app, &leads, json!([id(&people[0]), id(&people[2])])).await;
    add(&app, &others, json!([id(&people[1]), id(&people[2])])).await;
    let leads_id = id(&leads);
    for query in [
        format!("group={leads_id}"),
        format!("groupId={leads_id}"),
        "group=Leads".to_owned(),
        "group=LEADS".to_owned(),
    ] {
        let response = app
            .get(&format!("/v1/contacts?{query}&sort=email&order=asc"))
            .await;
        assert_eq!(response.status(), 200);
        let body = body_json(response).await;
        assert_eq!(
            field_list(&body["data"], "email"),
            strings(&["c0@example.com", "c2@example.com"]),
            "{query}"
        );
        assert_eq!(body["meta"]["total"], 2, "{query}");
    }
    // groupId is an id, never a name.
    let body = body_json(app.get("/v1/contacts?groupId=Leads").await).await;
    assert_eq!(body["meta"]["total"], 0);
}

#[tokio::test]
async fn member_and_contact_counters_match_the_rows_after_every_kind_of_change() {
    let app = spawn_app().await;
    let a = app.create_group("Counter A").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = app.create_group("Counter B").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Created with groups, through bulk (new and updated rows) and one by one.
    let bulk = app
        .post(
            "/v1/contacts/bulk",
            &json!({"contacts": [{"email": "c1@example.com"}, {"email": "c2@example.com", "groupIds": [b]},
                                  {"email": "c3@example.com"}], "groupIds": [a]}),
        )
        .await;
    assert_eq!(bulk.status(), 200);
    let single = app
        .create_contact(json!({"email": "c4@example.com", "groupIds": [a, b]}))
        .await;
    let update = app
        .post(
            "/v1/contacts/bulk",
            &json!({"contacts": [{"email": "c4@example.com", "groupIds": [a]}, {"email": "c5@example.com"}],
                    "onDuplicate": "update", "groupIds": [b]}),
        )
        .await;
    assert_eq!(update.status(), 200);
    let c4 = single["id"].as_str().unwrap().to_owned();
    // Replaced by PUT, removed and re-added through both membership endpoints, then deleted.
    let put = app
        .send_json(
            Method::PUT,
            &format!("/v1/contacts/{c4}"),
            &json!({"groupIds": [b]}),
        )
        .await;
    assert_eq!(put.status(), 200);
    let removed = app
        .send_json(
            Method::DELETE,
            &format!("/v1/contacts/{c4}/groups"),
            &json!({"groupIds": [b]}),
        )
        .await;
    assert_eq!(removed.status(), 200);
    let added = app
        .post(
            &format!("/v1/contacts/{c4}/groups"),
            &json!({"groupIds": [a, b]}),
        )
        .await;
    assert_eq!(added.status(), 200);
    let members = app
        .post(
            &format!("/v1/groups/{b}/contacts"),
            &json!({"contactIds": [c4]}),
        )
        .await;
    assert_eq!(members.status(), 200);
    let listed = body_json(app.get("/v1/contacts?email=c1%40").await).await;
    let c1 = listed["data"][0]["id"].as_str().unwrap().to_owned();
    let gone = app
        .send_json(
            Method::DELETE,
            &format!("/v1/groups/{a}/contacts"),
            &json!({"contactIds": [c1]}),
        )
        .await;
    assert_eq!(gone.status(), 200);
    assert_eq!(
        app.request(Method::DELETE, &format!("/v1/contacts/{c4}"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let mismatched_groups = count_rows(
        &app,
        "SELECT count(*) FROM groups g WHERE g.contact_count <>
           (SELECT count(*) FROM group_members m WHERE m.group_seq = g.seq)",
    )
    .await;
    assert_eq!(
        mismatched_groups, 0,
        "group counters drifted from the memberships"
    );
    let mismatched_workspaces = count_rows(
        &app,
        "SELECT count(*) FROM workspaces w WHERE w.contact_count <>
           (SELECT count(*) FROM contacts c WHERE c.workspace_id = w.id)",
    )
    .await;
    assert_eq!(
        mismatched_workspaces, 0,
        "workspace counters drifted from the contacts"
    );
    let group_a = body_json(app.get(&format!("/v1/groups/{a}")).await).await;
    assert_eq!(group_a["data"]["contactCount"], 2, "c2 and c3 remain in A");
    let total = body_json(app.get("/v1/contacts").await).await;
    assert_eq!(total["meta"]["total"], 4);
}
