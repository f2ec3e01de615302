//! Workspace isolation: another workspace's ids are unknown ids, its data never shows up in lists,
//! searches or exports, and nothing of it can be changed.

use crate::campaign_fixtures::{one_email, open_settings, smtp_account};
use crate::helpers::{assert_error, body_json, count_rows, spawn_app_with, TestApp};
use fluenzr::domain::workspace::Plan;
use reqwest::{Method, Response};
use serde_json::{json, Value};

const A_EMAIL: &str = "secret.founder@alpha.example";
const A_FIRST_NAME: &str = "Wilhelmina";
const A_LAST_NAME: &str = "Quackenbush";
const A_COMPANY: &str = "Alphaco";
const A_GROUP: &str = "Alpha VIPs";
const A_CAMPAIGN: &str = "Alpha stealth launch";

/// Workspace A (the app's own key) with one contact in one group, and workspace B with its own
/// contact and group.
struct Tenants {
    app: TestApp,
    b_key: String,
    a_contact: Value,
    a_group: Value,
    b_contact: Value,
    b_group: Value,
}

impl Tenants {
    async fn arrange() -> Self {
        let app = spawn_app_with(|config| config.webhook_allow_private = true).await;
        let a_group = app.create_group(A_GROUP).await;
        let a_contact = app
            .create_contact(json!({
                "email": A_EMAIL,
                "firstName": A_FIRST_NAME,
                "lastName": A_LAST_NAME,
                "company": A_COMPANY,
                "tags": ["alpha-tag"],
                "groupIds": [a_group["id"]],
            }))
            .await;
        let (_, b_key) = app.create_workspace(Plan::Pro).await;
        let b_group = body_json(
            app.request_as(&b_key, Method::POST, "/v1/groups")
                .json(&json!({"name": "Beta list"}))
                .send()
                .await
                .unwrap(),
        )
        .await["data"]
            .clone();
        let b_contact = body_json(
            app.request_as(&b_key, Method::POST, "/v1/contacts")
                .json(&json!({"email": "someone@beta.example"}))
                .send()
                .await
                .unwrap(),
        )
        .await["data"]
            .clone();
        assert!(b_group["id"].is_string() && b_contact["id"].is_string());
        Self {
            app,
            b_key,
            a_contact,
            a_group,
            b_contact,
            b_group,
        }
    }

    fn a_contact_id(&self) -> &str {
        self.a_contact["id"].as_str().unwrap()
    }

    fn a_group_id(&self) -> &str {
        self.a_group["id"].as_str().unwrap()
    }

    fn b_contact_id(&self) -> &str {
        self.b_contact["id"].as_str().unwrap()
    }

    fn b_group_id(&self) -> &str {
        self.b_group["id"].as_str().unwrap()
    }

    /// A draft campaign of workspace A (with a workflow) that has A's contact enrolled.
    async fn a_campaign(&self) -> Value {
        let account = smtp_account(&self.app, 2525, 100).await;
        let response = self
            .app
            .post(
                "/v1/campaigns",
                &json!({
                    "name": A_CAMPAIGN,
                    "emailAccountId": account,
                    "settings": open_settings(),
                    "workflow": one_email("Hello {{firstName}}", "<p>Hi {{company}}</p>")
                }),
            )
            .await;
        assert_eq!(response.status(), 201);
        let campaign = body_json(response).await["data"].clone();
        let enrolled = self
            .app
            .post(
                &format!(
                    "/v1/campaigns/{}/contacts",
                    campaign["id"].as_str().unwrap()
                ),
                &json!({"contactIds": [self.a_contact_id()]}),
            )
            .await;
        assert_eq!(body_json(enrolled).await["data"]["added"], 1);
        body_json(
            self.app
                .get(&format!(
                    "/v1/campaigns/{}",
                    campaign["id"].as_str().unwrap()
                ))
                .await,
        )
        .await["data"]
            .clone()
    }

    /// A webhook of workspace A (subscribed to everything).
    async fn a_webhook(&self) -> Value {
        let response = self
            .app
            .post(
                "/v1/webhooks",
                &json!({"url": "http://127.0.0.1:9/alpha", "events": ["*"], "description": A_COMPANY}),
            )
            .await;
        assert_eq!(response.status(), 201);
        let mut webhook = body_json(response).await["data"].clone();
        webhook.as_object_mut().unwrap().remove("secret");
        webhook
    }

    /// A request with workspace B's key.
    async fn as_b(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut request = self.app.request_as(&self.b_key, method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request sent")
    }
}

/// Asserts the refusal of a body that names a group of another workspace: it is an unknown
/// reference, answered as a 400 VALIDATION_ERROR or a 404 NOT_FOUND naming `groupIds`, and it
/// says nothing about workspace A.
async fn assert_unknown_group_reference(response: Response, context: &str) {
    let status = response.status().as_u16();
    let code = match status {
        400 => "VALIDATION_ERROR",
        404 => "NOT_FOUND",
        other => panic!("{context}: expected 400 or 404, got {other}"),
    };
    let body = assert_error(response, status, code).await;
    assert_eq!(
        body["error"]["details"]["field"], "groupIds",
        "{context}: {body}"
    );
    assert_nothing_of_a(&body.to_string(), context);
}

/// Asserts that a body mentions nothing of workspace A.
fn assert_nothing_of_a(text: &str, context: &str) {
    for secret in [
        A_EMAIL,
        A_FIRST_NAME,
        A_LAST_NAME,
        A_COMPANY,
        A_GROUP,
        A_CAMPAIGN,
        "alpha-tag",
    ] {
        assert!(!text.contains(secret), "{context} leaks {secret:?}: {text}");
    }
}

#[tokio::test]
async fn every_operation_on_another_workspaces_ids_is_404_and_leaks_nothing() {
    let t = Tenants::arrange().await;
    let a_campaign = t.a_campaign().await;
    let campaign = a_campaign["id"].as_str().unwrap().to_owned();
    let contact = t.a_contact_id().to_owned();
    let group = t.a_group_id().to_owned();
    let a_webhook = t.a_webhook().await;
    let webhook = a_webhook["id"].as_str().unwrap().to_owned();
    let cases: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/v1/contacts/{contact}"), None),
        (
            Method::PUT,
            format!("/v1/contacts/{contact}"),
            Some(json!({"firstName": "Hijacked", "status": "blocked"})),
        ),
        (Method::DELETE, format!("/v1/contacts/{contact}"), None),
        (
            Method::POST,
            format!("/v1/contacts/{contact}/groups"),
            Some(json!({"groupIds": [t.b_group_id()]})),
        ),
        (
            Method::DELETE,
            format!("/v1/contacts/{contact}/groups"),
            Some(json!({"groupIds": [t.b_group_id()]})),
        ),
        (
            Method::POST,
            format!("/v1/contacts/{contact}/tags"),
            Some(json!({"tags": ["hijacked"]})),
        ),
        (
            Method::DELETE,
            format!("/v1/contacts/{contact}/tags"),
            Some(json!({"tags": ["alpha-tag"]})),
        ),
        (Method::GET, format!("/v1/groups/{group}"), None),
        (
            Method::PUT,
            format!("/v1/groups/{group}"),
            Some(json!({"name": "Hijacked", "description": "owned"})),
        ),
        (Method::DELETE, format!("/v1/groups/{group}"), None),
        (Method::GET, format!("/v1/groups/{group}/contacts"), None),
        (
            Method::POST,
            format!("/v1/groups/{group}/contacts"),
            Some(json!({"contactIds": [t.b_contact_id()]})),
        ),
        (
            Method::DELETE,
            format!("/v1/groups/{group}/contacts"),
            Some(json!({"contactIds": [contact]})),
        ),
        (Method::GET, format!("/v1/campaigns/{campaign}"), None),
        (
            Method::PUT,
            format!("/v1/campaigns/{campaign}"),
            Some(json!({"name": "Hijacked", "settings": {"maxEmailsPerHour": 1}})),
        ),
        (
            Method::POST,
            format!("/v1/campaigns/{campaign}/start"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/campaigns/{campaign}/pause"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/campaigns/{campaign}/resume"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/campaigns/{campaign}/archive"),
            None,
        ),
        (
            Method::GET,
            format!("/v1/campaigns/{campaign}/contacts"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/campaigns/{campaign}/contacts"),
            Some(json!({"contactIds": [t.b_contact_id()]})),
        ),
        (
            Method::DELETE,
            format!("/v1/campaigns/{campaign}/contacts"),
            Some(json!({"contactIds": [contact]})),
        ),
        (Method::GET, format!("/v1/campaigns/{campaign}/stats"), None),
        (
            Method::GET,
            format!("/v1/campaigns/{campaign}/stats/emails"),
            None,
        ),
        (
            Method::GET,
            format!("/v1/campaigns/{campaign}/stats/timeline"),
            None,
        ),
        (
            Method::GET,
            format!("/v1/campaigns/{campaign}/activity"),
            None,
        ),
        (
            Method::GET,
            format!("/v1/campaigns/{campaign}/preview?contactId={contact}"),
            None,
        ),
        (
            Method::GET,
            format!("/v1/campaigns/{campaign}/forecast"),
            None,
        ),
        (Method::DELETE, format!("/v1/campaigns/{campaign}"), None),
        (Method::GET, format!("/v1/webhooks/{webhook}"), None),
        (
            Method::PUT,
            format!("/v1/webhooks/{webhook}"),
            Some(json!({"url": "http://127.0.0.1:9/hijacked", "status": "disabled"})),
        ),
        (Method::GET, format!("/v1/webhooks/{webhook}/logs"), None),
        (Method::DELETE, format!("/v1/webhooks/{webhook}"), None),
    ];
    for (method, path, body) in cases {
        let response = t.as_b(method.clone(), &path, body).await;
        assert_eq!(response.status(), 404, "{method} {path}");
        let text = response.text().await.unwrap();
        assert_nothing_of_a(&text, &format!("{method} {path}"));
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["success"], false, "{method} {path}");
        assert_eq!(body["error"]["code"], "NOT_FOUND", "{method} {path}");
    }

    // A's data is exactly as it was, read with A's key.
    let contact_now = body_json(t.app.get(&format!("/v1/contacts/{contact}")).await).await;
    assert_eq!(contact_now["data"], t.a_contact);
    let group_now = body_json(t.app.get(&format!("/v1/groups/{group}")).await).await;
    assert_eq!(group_now["data"]["name"], A_GROUP);
    assert_eq!(group_now["data"]["contactCount"], 1);
    assert_eq!(group_now["data"]["updatedAt"], t.a_group["updatedAt"]);
    let members = body_json(t.app.get(&format!("/v1/groups/{group}/contacts")).await).await;
    assert_eq!(members["meta"]["total"], 1);
    assert_eq!(members["data"][0]["id"], contact.as_str());
    // And B's own group gained nobody.
    let b_members = body_json(
        t.as_b(
            Method::GET,
            &format!("/v1/groups/{}/contacts", t.b_group_id()),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(b_members["meta"]["total"], 0);
    // A's campaign is exactly as it was, with only A's contact enrolled.
    let campaign_now = body_json(t.app.get(&format!("/v1/campaigns/{campaign}")).await).await;
    assert_eq!(campaign_now["data"], a_campaign);
    assert_eq!(campaign_now["data"]["status"], "draft");
    let enrolled = body_json(
        t.app
            .get(&format!("/v1/campaigns/{campaign}/contacts"))
            .await,
    )
    .await;
    assert_eq!(enrolled["meta"]["total"], 1);
    assert_eq!(enrolled["data"][0]["contactId"], contact.as_str());
    assert_eq!(
        count_rows(&t.app, "SELECT COUNT(*) FROM campaign_contacts").await,
        1
    );
    // A's webhook is exactly as it was, and B sees no webhook at all.
    let webhook_now = body_json(t.app.get(&format!("/v1/webhooks/{webhook}")).await).await;
    assert_eq!(webhook_now["data"], a_webhook);
    let b_webhooks = body_json(t.as_b(Method::GET, "/v1/webhooks", None).await).await;
    assert_eq!(b_webhooks["meta"]["total"], 0);
}

#[tokio::test]
async fn another_workspaces_ids_are_unknown_inside_campaign_requests() {
    let t = Tenants::arrange().await;
    let a_campaign = t.a_campaign().await;
    let a_account = a_campaign["emailAccountId"].as_str().unwrap().to_owned();

    // B cannot build a campaign on A's email account or A's group.
    let response = t
        .as_b(
            Method::POST,
            "/v1/campaigns",
            Some(json!({"name": "Beta", "emailAccountId": a_account})),
        )
        .await;
    let error = assert_error(response, 404, "NOT_FOUND").await;
    assert_eq!(error["error"]["details"]["field"], "emailAccountId");
    let b_account = body_json(
        t.as_b(
            Method::POST,
            "/v1/email-accounts",
            Some(json!({
                "email": "sales@beta.example",
                "smtp": {"host": "127.0.0.1", "port": 2525, "encryption": "none"}
            })),
        )
        .await,
    )
    .await["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = t
        .as_b(
            Method::POST,
            "/v1/campaigns",
            Some(
                json!({"name": "Beta", "emailAccountId": b_account, "groupIds": [t.a_group_id()]}),
            ),
        )
        .await;
    assert_unknown_group_reference(response, "campaign on A's group").await;
    assert_eq!(
        count_rows(&t.app, "SELECT COUNT(*) FROM campaigns").await,
        1
    );
    let created = t
        .as_b(
            Method::POST,
            "/v1/campaigns",
            Some(json!({
                "name": "Beta",
                "emailAccountId": b_account,
                "workflow": one_email("Hi {{firstName|there}}", "<p>Hi</p>")
            })),
        )
        .await;
    assert_eq!(created.status(), 201);
    let b_campaign = body_json(created).await["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let contacts_path = format!("/v1/campaigns/{b_campaign}/contacts");

    // A's contact in contactIds is an unknown id; B's own contact is enrolled.
    let response = t
        .as_b(
            Method::POST,
            &contacts_path,
            Some(json!({"contactIds": [t.a_contact_id(), t.b_contact_id()]})),
        )
        .await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert_nothing_of_a(&text, "enrolling A's contact");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["data"]["added"], 1, "{body}");
    assert_eq!(body["data"]["skipped"], 0, "{body}");
    assert_eq!(
        body["data"]["errors"],
        json!([{"contactId": t.a_contact_id(), "code": "NOT_FOUND", "message": "Contact not found"}])
    );
    // Removing it is an unknown id too.
    let response = t
        .as_b(
            Method::DELETE,
            &contacts_path,
            Some(json!({"contactIds": [t.a_contact_id()]})),
        )
        .await;
    let body = body_json(response).await;
    assert_eq!(body["data"]["removed"], 0, "{body}");
    assert_eq!(body["data"]["errors"][0]["code"], "NOT_FOUND", "{body}");
    // A's group as a selector is unknown; filters never reach A's contacts.
    let response = t
        .as_b(
            Method::POST,
            &contacts_path,
            Some(json!({"groupId": t.a_group_id()})),
        )
        .await;
    let error = assert_error(response, 404, "NOT_FOUND").await;
    assert_eq!(error["error"]["details"]["field"], "groupId");
    for filters in [
        json!({"tags": ["alpha-tag"]}),
        json!({"status": "active"}),
        json!({"groups": [t.a_group_id()]}),
    ] {
        let response = t
            .as_b(
                Method::POST,
                &contacts_path,
                Some(json!({ "filters": filters })),
            )
            .await;
        let body = body_json(response).await;
        assert_eq!(body["data"]["added"], 0, "{filters}: {body}");
    }
    // Previewing for A's contact is an unknown contact.
    let response = t
        .as_b(
            Method::GET,
            &format!(
                "/v1/campaigns/{b_campaign}/preview?contactId={}",
                t.a_contact_id()
            ),
            None,
        )
        .await;
    assert_eq!(response.status(), 404);
    let text = response.text().await.unwrap();
    assert_nothing_of_a(&text, "preview for A's contact");
    // B's campaign list shows only B's campaign.
    let list = body_json(t.as_b(Method::GET, "/v1/campaigns", None).await).await;
    assert_eq!(list["meta"]["total"], 1);
    assert_eq!(list["data"][0]["id"], b_campaign.as_str());
    assert_nothing_of_a(&list.to_string(), "campaign list");

    assert_eq!(
        count_rows(
            &t.app,
            "SELECT COUNT(*) FROM campaign_contacts cc
             JOIN contacts c ON c.seq = cc.contact_seq
             JOIN campaigns k ON k.seq = cc.campaign_seq
             WHERE c.workspace_id <> k.workspace_id"
        )
        .await,
        0
    );
    assert_eq!(
        count_rows(&t.app, "SELECT COUNT(*) FROM campaign_contacts").await,
        2,
        "A's enrolment and B's own"
    );
}

#[tokio::test]
async fn adding_another_workspaces_contact_to_a_group_reports_it_not_found() {
    let t = Tenants::arrange().await;
    let response = t
        .as_b(
            Method::POST,
            &format!("/v1/groups/{}/contacts", t.b_group_id()),
            Some(json!({"contactIds": [t.a_contact_id(), t.b_contact_id()]})),
        )
        .await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert_nothing_of_a(&text, "adding members");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["data"]["added"], 1, "{body}");
    assert_eq!(body["data"]["skipped"], 0, "{body}");
    let errors = body["data"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["contactId"], t.a_contact_id());
    assert_eq!(errors[0]["code"], "NOT_FOUND");

    let members = body_json(
        t.as_b(
            Method::GET,
            &format!("/v1/groups/{}/contacts", t.b_group_id()),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(members["meta"]["total"], 1);
    assert_eq!(members["data"][0]["id"], t.b_contact_id());
    // In the database: A's contact belongs to A's group only.
    assert_eq!(
        count_rows(
            &t.app,
            "SELECT COUNT(*) FROM group_members m
             JOIN contacts c ON c.seq = m.contact_seq
             JOIN groups g ON g.seq = m.group_seq
             WHERE c.workspace_id <> g.workspace_id"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn another_workspaces_group_ids_are_refused_in_contact_bodies() {
    let t = Tenants::arrange().await;
    let create = t
        .as_b(
            Method::POST,
            "/v1/contacts",
            Some(json!({"email": "new@beta.example", "groupIds": [t.a_group_id()]})),
        )
        .await;
    assert_unknown_group_reference(create, "create with A's group").await;
    assert_eq!(
        count_rows(
            &t.app,
            "SELECT COUNT(*) FROM contacts WHERE email = 'new@beta.example'"
        )
        .await,
        0
    );

    let update = t
        .as_b(
            Method::PUT,
            &format!("/v1/contacts/{}", t.b_contact_id()),
            Some(json!({"groupIds": [t.a_group_id()]})),
        )
        .await;
    assert_unknown_group_reference(update, "update with A's group").await;

    let join = t
        .as_b(
            Method::POST,
            &format!("/v1/contacts/{}/groups", t.b_contact_id()),
            Some(json!({"groupIds": [t.a_group_id()]})),
        )
        .await;
    assert_unknown_group_reference(join, "join A's group").await;

    let bulk = t
        .as_b(
            Method::POST,
            "/v1/contacts/bulk",
            Some(
                json!({"contacts": [{"email": "bulk@beta.example"}], "groupIds": [t.a_group_id()]}),
            ),
        )
        .await;
    assert_unknown_group_reference(bulk, "bulk into A's group").await;

    // A's group still has only A's contact.
    let group = body_json(t.app.get(&format!("/v1/groups/{}", t.a_group_id())).await).await;
    assert_eq!(group["data"]["contactCount"], 1);
    assert_eq!(
        count_rows(&t.app, "SELECT COUNT(*) FROM group_members").await,
        1
    );
    assert_eq!(
        count_rows(
            &t.app,
            "SELECT COUNT(*) FROM contacts WHERE email = 'bulk@beta.example'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn lists_searches_and_exports_never_show_another_workspaces_contacts() {
    let t = Tenants::arrange().await;
    let lists = [
        "/v1/contacts".to_owned(),
        "/v1/contacts?perPage=100".to_owned(),
        format!("/v1/contacts?email={A_EMAIL}"),
        format!("/v1/contacts?q={A_LAST_NAME}"),
        format!("/v1/contacts?company={A_COMPANY}"),
        "/v1/contacts?tag=alpha-tag".to_owned(),
        "/v1/groups".to_owned(),
        format!("/v1/groups?name={}", &A_GROUP[..5]),
    ];
    for path in lists {
        let response = t.as_b(Method::GET, &path, None).await;
        assert_eq!(response.status(), 200, "{path}");
        let text = response.text().await.unwrap();
        assert_nothing_of_a(&text, &path);
        let body: Value = serde_json::from_str(&text).unwrap();
        let ids: Vec<&str> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].as_str().unwrap())
            .collect();
        assert!(
            ids.iter()
                .all(|id| *id == t.b_contact_id() || *id == t.b_group_id()),
            "{path}: {ids:?}"
        );
        assert_eq!(
            body["meta"]["total"],
            ids.len(),
            "{path} counts only B's rows"
        );
    }

    // Filtering by A's group id finds nothing of A (either an error or an empty page).
    for path in [
        format!("/v1/contacts?groupId={}", t.a_group_id()),
        format!("/v1/contacts?group={}", t.a_group_id()),
        format!("/v1/contacts?group={A_GROUP}"),
    ] {
        let response = t.as_b(Method::GET, &path, None).await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_nothing_of_a(&text, &path);
        if status == 200 {
            let body: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(body["meta"]["total"], 0, "{path}");
        } else {
            assert!([400, 404].contains(&status), "{path}: {status}");
        }
    }

    for search in [
        json!({}),
        json!({"query": A_EMAIL}),
        json!({"query": A_FIRST_NAME}),
        json!({"filters": {"tags": ["alpha-tag"]}}),
        json!({"filters": {"groups": [t.a_group_id()]}}),
    ] {
        let response = t
            .as_b(Method::POST, "/v1/contacts/search", Some(search.clone()))
            .await;
        assert_eq!(response.status(), 200, "{search}");
        let text = response.text().await.unwrap();
        assert_nothing_of_a(&text, &search.to_string());
        let body: Value = serde_json::from_str(&text).unwrap();
        for contact in body["data"].as_array().unwrap() {
            assert_eq!(contact["id"], t.b_contact_id(), "{search}");
        }
    }

    let export = t.as_b(Method::GET, "/v1/contacts/export", None).await;
    assert_eq!(export.status(), 200);
    let csv = export.text().await.unwrap();
    assert!(csv.contains("someone@beta.example"), "{csv}");
    assert_nothing_of_a(&csv, "export");
    let filtered = t
        .as_b(
            Method::GET,
            &format!("/v1/contacts/export?q={A_LAST_NAME}"),
            None,
        )
        .await;
    assert_eq!(filtered.status(), 200);
    assert_nothing_of_a(&filtered.text().await.unwrap(), "filtered export");

    // A sees its own contact in the same places: the filters above were able to match.
    let a_list = body_json(t.app.get(&format!("/v1/contacts?q={A_LAST_NAME}")).await).await;
    assert_eq!(a_list["meta"]["total"], 1);
    assert_eq!(a_list["data"][0]["id"], t.a_contact_id());
    let a_export = t.app.get("/v1/contacts/export").await.text().await.unwrap();
    assert!(a_export.contains(A_EMAIL));
    assert!(!a_export.contains("someone@beta.example"));
}

#[tokio::test]
async fn the_same_email_and_group_name_may_exist_in_two_workspaces() {
    let t = Tenants::arrange().await;
    let contact = t
        .as_b(
            Method::POST,
            "/v1/contacts",
            Some(json!({"email": A_EMAIL})),
        )
        .await;
    assert_eq!(
        contact.status(),
        201,
        "emails are unique per workspace only"
    );
    let contact = body_json(contact).await;
    assert_ne!(contact["data"]["id"], t.a_contact["id"]);
    assert_eq!(contact["data"]["firstName"], Value::Null);
    let group = t
        .as_b(Method::POST, "/v1/groups", Some(json!({"name": A_GROUP})))
        .await;
    assert_eq!(
        group.status(),
        201,
        "group names are unique per workspace only"
    );
    assert_eq!(
        count_rows(
            &t.app,
            "SELECT COUNT(*) FROM contacts WHERE email_lower = 'secret.founder@alpha.example'"
        )
        .await,
        2
    );
    // A's contact is untouched by B's namesake.
    let a_now = body_json(
        t.app
            .get(&format!("/v1/contacts/{}", t.a_contact_id()))
            .await,
    )
    .await;
    assert_eq!(a_now["data"], t.a_contact);
}
