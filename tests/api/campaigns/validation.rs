//! Invalid campaign bodies, settings and workflows are refused naming the field (and the
//! node), and nothing is written.

use super::*;
use crate::helpers::{assert_error, count_rows, spawn_app};

#[tokio::test]
async fn invalid_campaign_bodies_are_refused_naming_the_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let base = json!({"name": "Valid", "emailAccountId": account});
    let settings = |value: Value| with(&base, json!({ "settings": value }));
    let cases: Vec<(Value, u16, &str, &str, &str)> = vec![
        (
            json!({"emailAccountId": account}),
            400,
            "VALIDATION_ERROR",
            "name",
            "missing name",
        ),
        (
            with(&base, json!({"name": "   "})),
            400,
            "VALIDATION_ERROR",
            "name",
            "blank name",
        ),
        (
            with(&base, json!({"name": "x".repeat(256)})),
            400,
            "VALIDATION_ERROR",
            "name",
            "name too long",
        ),
        (
            with(&base, json!({"name": "a\nb"})),
            400,
            "VALIDATION_ERROR",
            "name",
            "name with a line break",
        ),
        (
            json!({"name": "Valid"}),
            400,
            "VALIDATION_ERROR",
            "emailAccountId",
            "missing account",
        ),
        (
            with(&base, json!({"emailAccountId": UNKNOWN_ACCOUNT})),
            404,
            "NOT_FOUND",
            "emailAccountId",
            "unknown account",
        ),
        (
            with(&base, json!({"emailAccountId": "smtp-1"})),
            404,
            "NOT_FOUND",
            "emailAccountId",
            "not an account id",
        ),
        (
            with(&base, json!({"groupIds": [UNKNOWN_GROUP]})),
            404,
            "NOT_FOUND",
            "groupIds",
            "unknown group",
        ),
        (
            with(&base, json!({"description": "x".repeat(2001)})),
            400,
            "VALIDATION_ERROR",
            "description",
            "description too long",
        ),
        (
            with(&base, json!({"sendWindow": "9-17"})),
            400,
            "VALIDATION_ERROR",
            "sendWindow",
            "unknown field in the body",
        ),
        (
            settings(json!({"sendHoursStart": 24})),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursStart",
            "start hour past 23",
        ),
        (
            settings(json!({"sendHoursStart": -1})),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursStart",
            "negative hour",
        ),
        (
            settings(json!({"sendHoursEnd": 25})),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursEnd",
            "end hour past 24",
        ),
        (
            settings(json!({"sendHoursStart": 12, "sendHoursEnd": 12})),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursEnd",
            "start equals end",
        ),
        (
            settings(json!({"sendHoursStart": 18, "sendHoursEnd": 10})),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursEnd",
            "start after end",
        ),
        (
            settings(json!({"sendHoursStart": 17})),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursStart",
            "start at the default end",
        ),
        (
            settings(json!({"sendHoursStart": 9.5})),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursStart",
            "fractional start hour",
        ),
        (
            settings(json!({"sendHoursEnd": 16.5})),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursEnd",
            "fractional end hour",
        ),
        (
            settings(json!({"timezone": "Mars/Olympus"})),
            400,
            "VALIDATION_ERROR",
            "settings.timezone",
            "unknown time zone",
        ),
        (
            settings(json!({"maxEmailsPerHour": 0})),
            400,
            "VALIDATION_ERROR",
            "settings.maxEmailsPerHour",
            "zero per hour",
        ),
        (
            settings(json!({"maxEmailsPerHour": 10001})),
            400,
            "VALIDATION_ERROR",
            "settings.maxEmailsPerHour",
            "above 10000 per hour",
        ),
        (
            settings(json!({"dailyLimit": 0})),
            400,
            "VALIDATION_ERROR",
            "settings.dailyLimit",
            "zero daily limit",
        ),
        (
            settings(json!({"sendDays": []})),
            400,
            "VALIDATION_ERROR",
            "settings.sendDays",
            "no send day",
        ),
        (
            settings(json!({"sendDays": ["monday", "funday"]})),
            400,
            "VALIDATION_ERROR",
            "settings.sendDays",
            "unknown day",
        ),
        (
            settings(json!({"sendDays": ["monday", "monday"]})),
            400,
            "VALIDATION_ERROR",
            "settings.sendDays",
            "duplicate day",
        ),
        (
            settings(json!({"sendHour": 9})),
            400,
            "VALIDATION_ERROR",
            "settings",
            "unknown settings field",
        ),
        (
            settings(json!("weekdays")),
            400,
            "VALIDATION_ERROR",
            "settings",
            "settings not an object",
        ),
        (
            with(&base, json!({"workflow": []})),
            400,
            "VALIDATION_ERROR",
            "workflow",
            "workflow not an object",
        ),
    ];
    for (body, status, code, field, reason) in cases {
        let response = app.post("/v1/campaigns", &body).await;
        assert_eq!(response.status().as_u16(), status, "{reason}");
        let error = assert_error(response, status, code).await;
        assert_eq!(
            error["error"]["details"]["field"], field,
            "{reason}: {error}"
        );
    }
    assert_eq!(count_rows(&app, "SELECT count(*) FROM campaigns").await, 0);
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM campaign_groups").await,
        0
    );
}

/// Invalid workflows: (workflow, details.field, details.nodeId, reason).
fn invalid_workflows() -> Vec<(Value, &'static str, Option<&'static str>, &'static str)> {
    let start = || node("start", "start");
    let end = || node("end", "end");
    let hello = || email("email_1", "Hello", "<p>Hi</p>");
    let with_delay = |data: Value| {
        graph(
            vec![
                start(),
                hello(),
                delay("wait", data),
                email("email_2", "", "<p>Bump</p>"),
                end(),
            ],
            vec![
                edge("start", "email_1"),
                edge("email_1", "wait"),
                edge("wait", "email_2"),
                edge("email_2", "end"),
            ],
        )
    };
    vec![
        (
            graph(
                vec![start(), node("start_2", "start"), hello(), end()],
                vec![
                    edge("start", "email_1"),
                    edge("start_2", "email_1"),
                    edge("email_1", "end"),
                ],
            ),
            "workflow.nodes[1].type",
            Some("start_2"),
            "two start nodes",
        ),
        (
            graph(vec![hello(), end()], vec![edge("email_1", "end")]),
            "workflow.nodes",
            None,
            "no start node",
        ),
        (
            graph(
                vec![
                    start(),
                    hello(),
                    email("orphan", "Lost", "<p>Lost</p>"),
                    end(),
                ],
                vec![
                    edge("start", "email_1"),
                    edge("email_1", "end"),
                    edge("orphan", "end"),
                ],
            ),
            "workflow.nodes[2]",
            Some("orphan"),
            "a node the start never reaches",
        ),
        (
            graph(
                vec![
                    start(),
                    hello(),
                    opened("check"),
                    delay("wait", json!({"days": 1})),
                    end(),
                ],
                vec![
                    edge("start", "email_1"),
                    edge("email_1", "check"),
                    labelled("check", "end", "true"),
                    labelled("check", "wait", "false"),
                    edge("wait", "email_1"),
                ],
            ),
            "workflow.edges[4].to",
            Some("wait"),
            "a cycle back to the first email",
        ),
        (
            graph(
                vec![start(), hello(), delay("wait", json!({"days": 2})), end()],
                vec![edge("start", "email_1"), edge("email_1", "wait")],
            ),
            "workflow.nodes[2]",
            Some("wait"),
            "a delay leading nowhere instead of to an end",
        ),
        (
            graph(
                vec![start(), hello(), opened("check"), end()],
                vec![
                    edge("start", "email_1"),
                    edge("email_1", "check"),
                    labelled("check", "end", "true"),
                ],
            ),
            "workflow.nodes[2]",
            Some("check"),
            "a condition without its false edge",
        ),
        (
            graph(
                vec![start(), hello(), opened("check"), end()],
                vec![
                    edge("start", "email_1"),
                    edge("email_1", "check"),
                    edge("check", "end"),
                ],
            ),
            "workflow.edges[2].label",
            Some("check"),
            "a condition edge without a label",
        ),
        (
            one_email("Hello", ""),
            "workflow.nodes[1].data.body",
            Some("email_1"),
            "an email without a body",
        ),
        (
            one_email("Hello", "   "),
            "workflow.nodes[1].data.body",
            Some("email_1"),
            "an email whose body is blank",
        ),
        (
            one_email("", "<p>Hi</p>"),
            "workflow.nodes[1].data.subject",
            Some("email_1"),
            "the first email without a subject",
        ),
        (
            one_email("Hi {{firstName", "<p>Hi</p>"),
            "workflow.nodes[1].data.subject",
            Some("email_1"),
            "an unclosed variable in the subject",
        ),
        (
            one_email("Hi", "<p>Hi {{firstName</p>"),
            "workflow.nodes[1].data.body",
            Some("email_1"),
            "an unclosed variable in the body",
        ),
        (
            with_delay(json!({"days": 0})),
            "workflow.nodes[2].data.days",
            Some("wait"),
            "a delay of 0 days",
        ),
        (
            with_delay(json!({"days": 31})),
            "workflow.nodes[2].data.days",
            Some("wait"),
            "a delay of 31 days",
        ),
        (
            with_delay(json!({"days": 1.5})),
            "workflow.nodes[2].data.days",
            Some("wait"),
            "a fractional delay",
        ),
        (
            with_delay(json!({"hours": 25})),
            "workflow.nodes[2].data.hours",
            Some("wait"),
            "a delay of 25 hours",
        ),
        (
            with_delay(json!({"days": 1, "hours": 2})),
            "workflow.nodes[2].data",
            Some("wait"),
            "a delay with both days and hours",
        ),
        (
            with_delay(json!({})),
            "workflow.nodes[2].data",
            Some("wait"),
            "a delay with neither days nor hours",
        ),
        (
            graph(
                vec![
                    start(),
                    json!({"id": "sms_1", "type": "sms", "data": {"text": "Hi"}}),
                    end(),
                ],
                vec![edge("start", "sms_1"), edge("sms_1", "end")],
            ),
            "workflow.nodes[1].type",
            Some("sms_1"),
            "an unknown node type",
        ),
        (
            graph(
                vec![start(), hello(), end()],
                vec![edge("start", "email_1"), edge("email_1", "nowhere")],
            ),
            "workflow.edges[1].to",
            None,
            "an edge to a node that does not exist",
        ),
        (
            graph(
                vec![
                    start(),
                    hello(),
                    email("email_1", "Again", "<p>Again</p>"),
                    end(),
                ],
                vec![edge("start", "email_1"), edge("email_1", "end")],
            ),
            "workflow.nodes[2].id",
            Some("email_1"),
            "two nodes with the same id",
        ),
    ]
}

fn assert_names_the_node(error: &Value, field: &str, node: Option<&str>, reason: &str) {
    let details = &error["error"]["details"];
    assert_eq!(details["field"], field, "{reason}: {error}");
    assert_eq!(details["nodeId"], json!(node), "{reason}: {error}");
    if let Some(node) = node {
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(node), "{reason}: {message}");
    }
}

#[tokio::test]
async fn invalid_workflows_are_refused_naming_the_node_on_create_and_on_update() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let existing = draft(&app, &account, "Existing").await;
    let before = get_campaign(&app, &existing).await;

    for (workflow, field, node, reason) in invalid_workflows() {
        let response = app
            .post(
                "/v1/campaigns",
                &json!({"name": "New", "emailAccountId": account, "workflow": workflow}),
            )
            .await;
        let error = assert_error(response, 400, "VALIDATION_ERROR").await;
        assert_names_the_node(&error, field, node, reason);

        let response = put(&app, &existing, json!({ "workflow": workflow })).await;
        let error = assert_error(response, 400, "VALIDATION_ERROR").await;
        assert_names_the_node(&error, field, node, &format!("update: {reason}"));
    }
    assert_eq!(count_rows(&app, "SELECT count(*) FROM campaigns").await, 1);
    assert_eq!(get_campaign(&app, &existing).await, before);
}

#[tokio::test]
async fn invalid_updates_leave_the_campaign_as_it_was() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let campaign = draft(&app, &account, "Kept").await;
    let before = get_campaign(&app, &campaign).await;
    let cases: Vec<(Value, u16, &str, &str, &str)> = vec![
        (
            json!({"name": ""}),
            400,
            "VALIDATION_ERROR",
            "name",
            "empty name",
        ),
        (
            json!({"emailAccountId": UNKNOWN_ACCOUNT}),
            404,
            "NOT_FOUND",
            "emailAccountId",
            "unknown account",
        ),
        (
            json!({"groupIds": [UNKNOWN_GROUP]}),
            404,
            "NOT_FOUND",
            "groupIds",
            "unknown group",
        ),
        (
            json!({"status": "active"}),
            400,
            "VALIDATION_ERROR",
            "status",
            "status is not writable",
        ),
        (
            json!({"settings": {"sendHoursStart": 17}}),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursStart",
            "start at the stored end",
        ),
        (
            json!({"settings": {"sendHoursEnd": 9}}),
            400,
            "VALIDATION_ERROR",
            "settings.sendHoursEnd",
            "end at the stored start",
        ),
        (
            json!({"settings": {"timezone": "Mars/Olympus"}}),
            400,
            "VALIDATION_ERROR",
            "settings.timezone",
            "unknown time zone",
        ),
        (
            json!({"settings": {"maxEmailsPerHour": 10001}}),
            400,
            "VALIDATION_ERROR",
            "settings.maxEmailsPerHour",
            "above 10000 per hour",
        ),
        (
            json!({"settings": {"sendDays": ["saturday", "saturday"]}}),
            400,
            "VALIDATION_ERROR",
            "settings.sendDays",
            "duplicate day",
        ),
        (
            json!({"name": "Changed", "settings": {"dailyLimit": 0}}),
            400,
            "VALIDATION_ERROR",
            "settings.dailyLimit",
            "a valid name with invalid settings",
        ),
    ];
    for (body, status, code, field, reason) in cases {
        let response = put(&app, &campaign, body).await;
        assert_eq!(response.status().as_u16(), status, "{reason}");
        let error = assert_error(response, status, code).await;
        assert_eq!(
            error["error"]["details"]["field"], field,
            "{reason}: {error}"
        );
    }
    assert_eq!(get_campaign(&app, &campaign).await, before);
    let missing = put(&app, UNKNOWN_CAMPAIGN, json!({"name": "X"})).await;
    assert_error(missing, 404, "NOT_FOUND").await;
}
