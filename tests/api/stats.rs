//! /v1/campaigns/{id}/stats, /stats/emails, /stats/timeline and /activity on hand-made sends and
//! events.

use crate::helpers::{assert_error, body_json, spawn_app, TestApp};
use crate::sending_fixtures::{
    contact_seq, enrol, first_workspace, insert_campaign, insert_event, insert_send, Campaign,
    SendRow,
};
use fluenzr::domain::workspace::Plan;
use serde_json::{json, Value};

async fn data(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200, "status");
    let body = body_json(response).await;
    assert_eq!(body["success"], true, "{body}");
    body["data"].clone()
}

/// start → node_1 → delay → node_2 → end, listed out of order on purpose.
fn workflow() -> Value {
    json!({
        "nodes": [
            {"id": "node_2", "type": "email", "data": {"subject": "", "body": "Following up"}},
            {"id": "end", "type": "end"},
            {"id": "wait", "type": "delay", "data": {"days": 2}},
            {"id": "node_1", "type": "email", "data": {"subject": "Hello {{firstName}}", "body": "Hi"}},
            {"id": "start", "type": "start"}
        ],
        "edges": [
            {"from": "start", "to": "node_1"},
            {"from": "node_1", "to": "wait"},
            {"from": "wait", "to": "node_2"},
            {"from": "node_2", "to": "end"}
        ]
    })
}

async fn contacts(app: &TestApp, n: usize) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for i in 0..n {
        let contact = app
            .create_contact(json!({"email": format!("c{i}@example.com")}))
            .await;
        let id = contact["id"].as_str().unwrap().to_owned();
        let seq = contact_seq(app, &id).await;
        out.push((id, seq));
    }
    out
}

/// Six contacts in one campaign:
/// - enrolments: c0 pending, c1 pending, c2 in_progress, c3 completed, c4 replied, c5 unsubscribed;
/// - node_1: c0 sent+opened+clicked, c1 sent+opened, c2 bounced, c3 sent+replied, c4 sent, c5 uncertain;
/// - node_2: c0 sent+opened, c1 failed.
async fn arranged(app: &TestApp) -> (Campaign, Vec<(String, i64)>) {
    let workspace = first_workspace(app).await;
    let campaign = insert_campaign(app, &workspace, Some(workflow())).await;
    let people = contacts(app, 6).await;
    for (n, status) in [
        "pending",
        "pending",
        "in_progress",
        "completed",
        "replied",
        "unsubscribed",
    ]
    .into_iter()
    .enumerate()
    {
        enrol(app, campaign.seq, people[n].1, status).await;
    }
    let at = Some(1_736_900_000);
    let c = campaign.seq;
    let rows = [
        SendRow::new(c, people[0].1).activity(at, at, None),
        SendRow::new(c, people[1].1).activity(at, None, None),
        SendRow::new(c, people[2].1).state("bounced"),
        SendRow::new(c, people[3].1).activity(None, None, at),
        SendRow::new(c, people[4].1),
        SendRow::new(c, people[5].1).state("uncertain"),
        SendRow::new(c, people[0].1)
            .node("node_2")
            .activity(at, None, None),
        SendRow::new(c, people[1].1).node("node_2").state("failed"),
    ];
    for row in rows {
        insert_send(app, row).await;
    }
    (campaign, people)
}

#[tokio::test]
async fn stats_count_sends_and_enrolments_with_one_decimal_rates() {
    let app = spawn_app().await;
    let (campaign, _) = arranged(&app).await;
    let stats = data(
        app.get(&format!("/v1/campaigns/{}/stats", campaign.id))
            .await,
    )
    .await;
    // sent = 5 (node_1: c0, c1, c2 bounced, c3, c4) + 1 (node_2: c0); delivered = 6 - 1.
    assert_eq!(
        stats,
        json!({
            "totalContacts": 6,
            "sent": 6,
            "delivered": 5,
            "opened": 2,
            "openRate": 40.0,
            "clicked": 1,
            "clickRate": 20.0,
            "replied": 2,
            "replyRate": 40.0,
            "bounced": 1,
            "bounceRate": 16.7,
            "unsubscribed": 1,
            "unsubscribeRate": 20.0,
            "uncertain": 1,
            "failed": 1,
            "pending": 3
        })
    );
    let text = app
        .get(&format!("/v1/campaigns/{}/stats", campaign.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(text.contains("\"bounceRate\":16.7"), "{text}");
}

#[tokio::test]
async fn a_campaign_without_sends_has_zero_counts_and_zero_rates() {
    let app = spawn_app().await;
    let workspace = first_workspace(&app).await;
    let campaign = insert_campaign(&app, &workspace, None).await;
    let people = contacts(&app, 1).await;
    enrol(&app, campaign.seq, people[0].1, "pending").await;
    let stats = data(
        app.get(&format!("/v1/campaigns/{}/stats", campaign.id))
            .await,
    )
    .await;
    assert_eq!(stats["totalContacts"], 1);
    assert_eq!(stats["pending"], 1);
    for field in [
        "sent",
        "delivered",
        "opened",
        "clicked",
        "replied",
        "bounced",
        "unsubscribed",
    ] {
        assert_eq!(stats[field], 0, "{field}");
    }
    for field in [
        "openRate",
        "clickRate",
        "replyRate",
        "bounceRate",
        "unsubscribeRate",
    ] {
        assert_eq!(stats[field].as_f64(), Some(0.0), "{field}");
    }
    let emails = data(
        app.get(&format!("/v1/campaigns/{}/stats/emails", campaign.id))
            .await,
    )
    .await;
    assert_eq!(emails, json!([]), "no workflow, no email rows");
}

#[tokio::test]
async fn campaign_counts_is_what_the_campaign_resource_embeds() {
    let app = spawn_app().await;
    let (campaign, _) = arranged(&app).await;
    let seq = campaign.seq;
    let counts = app
        .database
        .read(move |conn| fluenzr::db::campaign_stats::campaign_counts(conn, seq))
        .await
        .unwrap();
    let summary = serde_json::to_value(fluenzr::api::campaign_stats::CampaignStatsSummary::from(
        counts,
    ))
    .unwrap();
    assert_eq!(
        summary,
        json!({"totalContacts": 6, "sent": 6, "delivered": 5, "opened": 2, "clicked": 1,
               "replied": 2, "bounced": 1, "unsubscribed": 1})
    );
}

#[tokio::test]
async fn per_email_stats_follow_the_workflow_order() {
    let app = spawn_app().await;
    let (campaign, _) = arranged(&app).await;
    let emails = data(
        app.get(&format!("/v1/campaigns/{}/stats/emails", campaign.id))
            .await,
    )
    .await;
    // node_1: sent 5, delivered 4 (c2 bounced); opened c0, c1; clicked c0; replied c3 (replied_at)
    // and c4 (enrolment replied with node_1 as its last email).
    assert_eq!(
        emails,
        json!([
            {"nodeId": "node_1", "emailNumber": 1, "subject": "Hello {{firstName}}", "sent": 5,
             "opened": 2, "openRate": 50.0, "clicked": 1, "clickRate": 25.0, "replied": 2, "replyRate": 50.0},
            {"nodeId": "node_2", "emailNumber": 2, "subject": "", "sent": 1,
             "opened": 1, "openRate": 100.0, "clicked": 0, "clickRate": 0.0, "replied": 0, "replyRate": 0.0}
        ])
    );
}

// ---------- timeline ----------

/// 2025-01-13 (a Monday) 00:00 UTC.
const MONDAY: i64 = 1_736_726_400;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

async fn timeline_campaign(app: &TestApp) -> Campaign {
    let workspace = first_workspace(app).await;
    let campaign = insert_campaign(app, &workspace, None).await;
    let c = campaign.seq;
    for (kind, at, metadata) in [
        ("sent", MONDAY + 9 * HOUR + 15 * 60, json!({})),
        ("sent", MONDAY + 9 * HOUR + 45 * 60, json!({})),
        ("sent", MONDAY + 11 * HOUR, json!({})),
        ("opened", MONDAY + DAY + 10 * HOUR, json!({})),
        ("opened", MONDAY + DAY + 11 * HOUR, json!({"repeat": true})),
        ("skipped", MONDAY + DAY + 11 * HOUR, json!({})),
        (
            "clicked",
            MONDAY + 7 * DAY,
            json!({"url": "https://example.com"}),
        ),
        ("bounced", MONDAY - 1, json!({})),
        ("replied", MONDAY + 2 * DAY, json!({})),
    ] {
        insert_event(app, c, None, kind, at, metadata).await;
    }
    campaign
}

fn iso(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn bucket(date: i64, counts: [u64; 5]) -> Value {
    json!({"date": iso(date), "sent": counts[0], "opened": counts[1], "clicked": counts[2],
           "replied": counts[3], "bounced": counts[4]})
}

async fn timeline(app: &TestApp, campaign: &Campaign, query: &str) -> Value {
    data(
        app.get(&format!(
            "/v1/campaigns/{}/stats/timeline?{query}",
            campaign.id
        ))
        .await,
    )
    .await
}

#[tokio::test]
async fn the_timeline_buckets_events_by_hour_day_and_week_with_empty_buckets() {
    let app = spawn_app().await;
    let campaign = timeline_campaign(&app).await;
    let hours = timeline(
        &app,
        &campaign,
        "interval=hour&from=2025-01-13T09:00:00Z&to=2025-01-13T12:00:00Z",
    )
    .await;
    assert_eq!(
        hours,
        json!([
            bucket(MONDAY + 9 * HOUR, [2, 0, 0, 0, 0]),
            bucket(MONDAY + 10 * HOUR, [0, 0, 0, 0, 0]),
            bucket(MONDAY + 11 * HOUR, [1, 0, 0, 0, 0]),
        ])
    );
    let days = timeline(&app, &campaign, "from=2025-01-12&to=2025-01-16").await;
    assert_eq!(
        days,
        json!([
            bucket(MONDAY - DAY, [0, 0, 0, 0, 1]),
            bucket(MONDAY, [3, 0, 0, 0, 0]),
            bucket(MONDAY + DAY, [0, 1, 0, 0, 0]),
            bucket(MONDAY + 2 * DAY, [0, 0, 0, 1, 0]),
        ]),
        "repeat opens and skipped events are not counted"
    );
    let weeks = timeline(
        &app,
        &campaign,
        "interval=week&from=2025-01-12T00:00:00Z&to=2025-01-21T00:00:00%2B00:00",
    )
    .await;
    assert_eq!(
        weeks,
        json!([
            bucket(MONDAY - 7 * DAY, [0, 0, 0, 0, 1]),
            bucket(MONDAY, [3, 1, 0, 1, 0]),
            bucket(MONDAY + 7 * DAY, [0, 0, 1, 0, 0]),
        ])
    );
    assert_eq!(
        iso(MONDAY - 7 * DAY),
        "2025-01-06T00:00:00Z",
        "weeks start on Monday"
    );
}

#[tokio::test]
async fn the_timeline_defaults_to_thirty_days_by_day() {
    let app = spawn_app().await;
    let campaign = timeline_campaign(&app).await;
    let days = timeline(&app, &campaign, "").await;
    let days = days.as_array().unwrap();
    assert!((30..=31).contains(&days.len()), "{}", days.len());
    let today = chrono::Utc::now().format("%Y-%m-%dT00:00:00Z").to_string();
    assert_eq!(days.last().unwrap()["date"], today);
    assert!(days.iter().all(|d| d["sent"] == 0), "the events are older");
}

#[tokio::test]
async fn the_default_timeline_counts_what_happened_in_the_current_second() {
    let app = spawn_app().await;
    let campaign = timeline_campaign(&app).await;
    let now = chrono::Utc::now().timestamp();
    insert_event(&app, campaign.seq, None, "sent", now, json!({})).await;
    let days = timeline(&app, &campaign, "").await;
    let last = days.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["sent"], 1,
        "a send of this very second is counted: {last}"
    );
}

#[tokio::test]
async fn invalid_timeline_ranges_are_400_naming_the_parameter() {
    let app = spawn_app().await;
    let campaign = timeline_campaign(&app).await;
    let cases = [
        ("from=2025-01-13&to=2025-01-13", Some("from")),
        ("from=2025-01-14&to=2025-01-13", Some("from")),
        ("from=yesterday", Some("from")),
        ("to=2025-13-45", Some("to")),
        (
            "interval=hour&from=2025-01-01&to=2025-03-01",
            Some("interval"),
        ),
        ("interval=minute", None),
        ("bucket=day", Some("bucket")),
    ];
    for (query, field) in cases {
        let response = app
            .get(&format!(
                "/v1/campaigns/{}/stats/timeline?{query}",
                campaign.id
            ))
            .await;
        let body = assert_error(response, 400, "VALIDATION_ERROR").await;
        if let Some(field) = field {
            let details = &body["error"]["details"];
            assert!(
                details["field"] == field || details["parameter"] == field,
                "{query}: {body}"
            );
        }
    }
    // 1000 hourly buckets is the most allowed.
    let at_most = timeline(
        &app,
        &campaign,
        "interval=hour&from=2025-01-01T00:00:00Z&to=2025-02-11T16:00:00Z",
    )
    .await;
    assert_eq!(at_most.as_array().unwrap().len(), 1000);
}

// ---------- activity ----------

#[tokio::test]
async fn activity_lists_events_newest_first_with_filters_and_pages() {
    let app = spawn_app().await;
    let workspace = first_workspace(&app).await;
    let campaign = insert_campaign(&app, &workspace, None).await;
    let people = contacts(&app, 2).await;
    let (ada, bob) = (&people[0], &people[1]);
    let c = campaign.seq;
    insert_event(&app, c, Some(ada.1), "sent", MONDAY, json!({})).await;
    insert_event(&app, c, Some(bob.1), "sent", MONDAY + 1, json!({})).await;
    insert_event(&app, c, Some(ada.1), "opened", MONDAY + HOUR, json!({})).await;
    insert_event(
        &app,
        c,
        Some(ada.1),
        "clicked",
        MONDAY + 2 * HOUR,
        json!({"url": "https://example.com/a"}),
    )
    .await;
    insert_event(
        &app,
        c,
        None,
        "skipped",
        MONDAY + DAY,
        json!({"reason": "x"}),
    )
    .await;
    let other = insert_campaign(&app, &workspace, None).await;
    insert_event(&app, other.seq, Some(ada.1), "sent", MONDAY, json!({})).await;

    let path = format!("/v1/campaigns/{}/activity", campaign.id);
    let response = app.get(&path).await;
    assert_eq!(response.status(), 200);
    let body = body_json(response).await;
    assert_eq!(
        body["meta"],
        json!({"page": 1, "perPage": 20, "total": 5, "totalPages": 1})
    );
    let types: Vec<_> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].clone())
        .collect();
    assert_eq!(
        types,
        [
            json!("skipped"),
            json!("clicked"),
            json!("opened"),
            json!("sent"),
            json!("sent")
        ]
    );
    let click = &body["data"][1];
    assert!(click["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(click["contactId"], ada.0.as_str());
    assert_eq!(click["contactEmail"], "c0@example.com");
    assert_eq!(click["emailNodeId"], "node_1");
    assert_eq!(click["timestamp"], "2025-01-13T02:00:00Z");
    assert_eq!(click["metadata"], json!({"url": "https://example.com/a"}));
    assert_eq!(body["data"][0]["contactId"], Value::Null);
    assert_eq!(
        body["data"][4]["contactId"],
        ada.0.as_str(),
        "the oldest event comes last"
    );

    let filtered = body_json(app.get(&format!("{path}?type=sent")).await).await;
    assert_eq!(filtered["meta"]["total"], 2);
    let by_contact = body_json(app.get(&format!("{path}?contactId={}", bob.0)).await).await;
    assert_eq!(by_contact["meta"]["total"], 1);
    assert_eq!(by_contact["data"][0]["contactEmail"], "c1@example.com");
    let window = body_json(
        app.get(&format!(
            "{path}?from=2025-01-13T00:00:01Z&to=2025-01-14T00:00:00Z"
        ))
        .await,
    )
    .await;
    let types: Vec<_> = window["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].clone())
        .collect();
    assert_eq!(types, [json!("clicked"), json!("opened"), json!("sent")]);
    let second = body_json(app.get(&format!("{path}?perPage=2&page=2")).await).await;
    assert_eq!(
        second["meta"],
        json!({"page": 2, "perPage": 2, "total": 5, "totalPages": 3})
    );
    assert_eq!(second["data"][0]["type"], "opened");

    for query in [
        "type=delivered",
        "contactId=nope",
        "from=soon",
        "perPage=0",
        "sort=createdAt",
    ] {
        assert_error(
            app.get(&format!("{path}?{query}")).await,
            400,
            "VALIDATION_ERROR",
        )
        .await;
    }
    let (_, other_key) = app.create_workspace(Plan::Pro).await;
    let stranger = app
        .request_as(&other_key, reqwest::Method::POST, "/v1/contacts")
        .json(&json!({"email": "z@example.com"}))
        .send()
        .await
        .unwrap();
    let stranger_id = body_json(stranger).await["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = assert_error(
        app.get(&format!("{path}?contactId={stranger_id}")).await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(body["error"]["details"]["field"], "contactId");
}

#[tokio::test]
async fn another_workspace_s_campaign_is_404_on_every_statistics_route() {
    let app = spawn_app().await;
    let (campaign, _) = arranged(&app).await;
    let (_, other_key) = app.create_workspace(Plan::Pro).await;
    for suffix in ["stats", "stats/emails", "stats/timeline", "activity"] {
        let path = format!("/v1/campaigns/{}/{suffix}", campaign.id);
        let response = app
            .request_as(&other_key, reqwest::Method::GET, &path)
            .send()
            .await
            .unwrap();
        assert_error(response, 404, "NOT_FOUND").await;
        assert_eq!(app.get(&path).await.status(), 200, "{path}");
        for id in [
            "cmp_AAAAAAAAAAAAAAAAAAAA",
            "cmp_short",
            "grp_AAAAAAAAAAAAAAAAAAAA",
        ] {
            let response = app.get(&format!("/v1/campaigns/{id}/{suffix}")).await;
            assert_error(response, 404, "NOT_FOUND").await;
        }
        let unauthenticated = reqwest::get(format!("{}{path}", app.address))
            .await
            .unwrap();
        assert_eq!(unauthenticated.status(), 401);
    }
    let unknown = app
        .get(&format!("/v1/campaigns/{}/stats?x=1", campaign.id))
        .await;
    assert_error(unknown, 400, "VALIDATION_ERROR").await;
}

#[tokio::test]
async fn the_openapi_document_describes_the_statistics_and_sandbox_operations() {
    let app = spawn_app().await;
    let document: Value = reqwest::get(format!("{}/v1/openapi.json", app.address))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (method, path) in [
        ("get", "/v1/campaigns/{id}/stats"),
        ("get", "/v1/campaigns/{id}/stats/emails"),
        ("get", "/v1/campaigns/{id}/stats/timeline"),
        ("get", "/v1/campaigns/{id}/activity"),
        ("get", "/v1/sandbox/messages"),
        ("delete", "/v1/sandbox/messages"),
        ("get", "/v1/sandbox/messages/{id}"),
    ] {
        let operation = &document["paths"][path][method];
        assert!(operation.is_object(), "{method} {path}");
        let ok = &operation["responses"]["200"]["content"]["application/json"];
        assert!(
            ok["example"].is_object(),
            "{method} {path} has an example: {ok}"
        );
        assert!(operation["responses"]["401"].is_object(), "{method} {path}");
    }
    let params = document["paths"]["/v1/campaigns/{id}/activity"]["get"]["parameters"].to_string();
    for name in [
        "\"type\"",
        "\"contactId\"",
        "\"from\"",
        "\"to\"",
        "\"page\"",
        "\"perPage\"",
    ] {
        assert!(params.contains(name), "{name} in {params}");
    }
}
