//! Enrolling contacts by ids, groups and filters, suppression, removal, progress, and dynamic
//! groups that keep enrolling their new members.

use super::*;
use crate::campaign_fixtures::contacts;
use crate::helpers::{assert_error, count_rows, spawn_app};

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
