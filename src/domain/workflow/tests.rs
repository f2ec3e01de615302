//! Workflow parsing and validation tests: one row per rule, and round trips of valid graphs.

use super::*;
use serde_json::json;

fn example() -> Value {
    json!({
        "nodes": [
            {"id": "node_1", "type": "start", "position": {"x": 0, "y": 0}},
            {"id": "node_2", "type": "email", "data": {"subject": "Hi {{firstName|there}}", "body": "<p>Hello</p>", "trackOpens": true, "trackClicks": false}},
            {"id": "node_3", "type": "delay", "data": {"days": 2, "businessDays": true}},
            {"id": "node_4", "type": "condition", "data": {"criterion": "opened", "emailNodeId": "node_2"}},
            {"id": "node_5", "type": "email", "data": {"subject": "", "body": "<p>Following up</p>"}},
            {"id": "node_6", "type": "end"}
        ],
        "edges": [
            {"from": "node_1", "to": "node_2"}, {"from": "node_2", "to": "node_3"},
            {"from": "node_3", "to": "node_4"}, {"from": "node_4", "to": "node_5", "label": "false"},
            {"from": "node_4", "to": "node_6", "label": "true"}, {"from": "node_5", "to": "node_6"}
        ]
    })
}

/// The example with a change applied.
fn changed(change: impl FnOnce(&mut Value)) -> Value {
    let mut value = example();
    change(&mut value);
    value
}

fn push_node(value: &mut Value, node: Value) {
    value["nodes"].as_array_mut().unwrap().push(node);
}

fn push_edge(value: &mut Value, from: &str, to: &str) {
    value["edges"]
        .as_array_mut()
        .unwrap()
        .push(json!({"from": from, "to": to}));
}

/// start → condition on a contact field → (true: email A → email B) / (false: email B) → end.
fn branching(subject_b: &str, condition: Value) -> Value {
    json!({
        "nodes": [
            {"id": "s", "type": "start"},
            {"id": "c", "type": "condition", "data": {"criterion": "contactField", "field": "company", "operator": "isNotEmpty"}},
            {"id": "a", "type": "email", "data": {"subject": "A", "body": "a"}},
            {"id": "b", "type": "email", "data": {"subject": subject_b, "body": "b"}},
            {"id": "k", "type": "condition", "data": condition},
            {"id": "e", "type": "end"}
        ],
        "edges": [
            {"from": "s", "to": "c"}, {"from": "c", "to": "a", "label": "true"},
            {"from": "c", "to": "b", "label": "false"}, {"from": "a", "to": "b"},
            {"from": "b", "to": "k"}, {"from": "k", "to": "e", "label": "true"},
            {"from": "k", "to": "e", "label": "false"}
        ]
    })
}

#[test]
fn the_example_workflow_parses_and_answers_navigation() {
    let workflow = Workflow::parse(&example()).unwrap();
    assert_eq!(workflow.start_id(), "node_1");
    assert_eq!(workflow.next("node_1"), Some("node_2"));
    assert_eq!(workflow.next("node_4"), None);
    assert_eq!(workflow.next("node_6"), None);
    assert_eq!(workflow.branch("node_4", true), Some("node_6"));
    assert_eq!(workflow.branch("node_4", false), Some("node_5"));
    let emails: Vec<&str> = workflow
        .email_nodes()
        .iter()
        .map(|node| node.id.as_str())
        .collect();
    assert_eq!(emails, ["node_2", "node_5"]);
    assert_eq!(workflow.email_number("node_5"), Some(2));
    assert_eq!(workflow.email_number("node_3"), None);
    assert_eq!(
        workflow.node("node_3").map(|node| &node.kind),
        Some(&NodeKind::Delay(DelayStep {
            amount: DelayAmount::Days(2),
            business_days: true
        }))
    );
    assert_eq!(
        workflow
            .node("node_1")
            .and_then(|node| node.position.clone()),
        Some(json!({"x": 0, "y": 0}))
    );
}

#[test]
fn valid_workflows_round_trip_through_json() {
    let hours = json!({
        "nodes": [
            {"id": "s", "type": "start", "data": {}, "position": [1, "any", {"z": null}]},
            {"id": "m", "type": "email", "data": {"subject": "S", "body": "B {{ lead source|x }}"}},
            {"id": "d", "type": "delay", "data": {"hours": 24}},
            {"id": "p", "type": "condition", "data": {"criterion": "previousEmail", "event": "replied"}},
            {"id": "e", "type": "end"}, {"id": "f", "type": "end"}
        ],
        "edges": [
            {"from": "s", "to": "m"}, {"from": "m", "to": "d"}, {"from": "d", "to": "p"},
            {"from": "p", "to": "e", "label": "true"}, {"from": "p", "to": "f", "label": false}
        ]
    });
    let cases = [
        example(),
        hours,
        branching("B", json!({"criterion": "clicked", "emailNodeId": "b"})),
        branching(
            "B",
            json!({"criterion": "contactField", "field": "plan tier", "operator": "equals", "value": ""}),
        ),
    ];
    for raw in cases {
        let workflow = Workflow::parse(&raw).unwrap();
        let again = Workflow::parse(&workflow.to_json()).unwrap();
        assert_eq!(again, workflow);
        assert_eq!(again.to_json(), workflow.to_json());
    }
    let json = Workflow::parse(&example()).unwrap().to_json();
    assert_eq!(
        json["nodes"][2]["data"],
        json!({"days": 2, "businessDays": true})
    );
    assert_eq!(
        json["nodes"][4]["data"],
        json!({"subject": "", "body": "<p>Following up</p>"})
    );
    assert_eq!(
        json["edges"][3],
        json!({"from": "node_4", "to": "node_5", "label": "false"})
    );
    assert!(json["nodes"][5].get("data").is_none());
}

#[test]
fn emails_are_numbered_breadth_first_in_edge_order() {
    let raw = json!({
        "nodes": [
            {"id": "late", "type": "email", "data": {"subject": "3", "body": "x"}},
            {"id": "s", "type": "start"},
            {"id": "c", "type": "condition", "data": {"criterion": "contactField", "field": "email", "operator": "contains", "value": "@"}},
            {"id": "second", "type": "email", "data": {"subject": "2", "body": "x"}},
            {"id": "first", "type": "email", "data": {"subject": "1", "body": "x"}},
            {"id": "e", "type": "end"}
        ],
        "edges": [
            {"from": "s", "to": "c"}, {"from": "c", "to": "first", "label": "true"},
            {"from": "c", "to": "second", "label": "false"}, {"from": "first", "to": "late"},
            {"from": "second", "to": "e"}, {"from": "late", "to": "e"}
        ]
    });
    let workflow = Workflow::parse(&raw).unwrap();
    let order: Vec<&str> = workflow
        .email_nodes()
        .iter()
        .map(|node| node.id.as_str())
        .collect();
    assert_eq!(order, ["first", "second", "late"]);
    assert_eq!(workflow.email_number("late"), Some(3));
}

#[test]
fn invalid_workflows_name_the_node_and_the_field() {
    let long_id = "n".repeat(65);
    let cases: Vec<(Value, Option<&str>, &str, &str)> = vec![
        (json!([]), None, "workflow", "not an object"),
        (
            changed(|v| v["extra"] = json!(1)),
            None,
            "workflow.extra",
            "unknown top-level field",
        ),
        (
            json!({"edges": []}),
            None,
            "workflow.nodes",
            "nodes missing",
        ),
        (
            changed(|v| v["nodes"][0]["id"] = json!("node 1")),
            None,
            "workflow.nodes[0].id",
            "space in id",
        ),
        (
            changed(|v| v["nodes"][0]["id"] = json!(long_id)),
            None,
            "workflow.nodes[0].id",
            "id over 64",
        ),
        (
            changed(|v| v["nodes"][1]["label"] = json!("x")),
            Some("node_2"),
            "workflow.nodes[1].label",
            "unknown node field",
        ),
        (
            changed(|v| v["nodes"][1]["type"] = json!("sms")),
            Some("node_2"),
            "workflow.nodes[1].type",
            "unknown type",
        ),
        (
            changed(|v| v["nodes"][1]["data"] = json!(null)),
            Some("node_2"),
            "workflow.nodes[1].data",
            "email without data",
        ),
        (
            changed(|v| v["nodes"][1]["data"]["cc"] = json!("x")),
            Some("node_2"),
            "workflow.nodes[1].data.cc",
            "unknown email field",
        ),
        (
            changed(|v| v["nodes"][1]["data"]["trackOpens"] = json!("yes")),
            Some("node_2"),
            "workflow.nodes[1].data.trackOpens",
            "tracking not a boolean",
        ),
        (
            changed(|v| v["nodes"][1]["data"]["body"] = json!(1)),
            Some("node_2"),
            "workflow.nodes[1].data.body",
            "body not a string",
        ),
        (
            changed(|v| v["nodes"][2]["data"]["hours"] = json!(3)),
            Some("node_3"),
            "workflow.nodes[2].data",
            "days and hours",
        ),
        (
            changed(|v| v["nodes"][2]["data"] = json!({"businessDays": true})),
            Some("node_3"),
            "workflow.nodes[2].data",
            "neither days nor hours",
        ),
        (
            changed(|v| v["nodes"][2]["data"]["days"] = json!(31)),
            Some("node_3"),
            "workflow.nodes[2].data.days",
            "31 days",
        ),
        (
            changed(|v| v["nodes"][2]["data"]["days"] = json!(1.5)),
            Some("node_3"),
            "workflow.nodes[2].data.days",
            "fractional days",
        ),
        (
            changed(|v| v["nodes"][2]["data"] = json!({"hours": 25})),
            Some("node_3"),
            "workflow.nodes[2].data.hours",
            "25 hours",
        ),
        (
            changed(|v| v["nodes"][2]["data"] = json!({"hours": 0})),
            Some("node_3"),
            "workflow.nodes[2].data.hours",
            "zero hours",
        ),
        (
            changed(|v| v["nodes"][3]["data"] = json!({"criterion": "bounced"})),
            Some("node_4"),
            "workflow.nodes[3].data.criterion",
            "unknown criterion",
        ),
        (
            changed(|v| v["nodes"][3]["data"]["event"] = json!("sent")),
            Some("node_4"),
            "workflow.nodes[3].data.event",
            "field of another criterion",
        ),
        (
            changed(|v| {
                v["nodes"][3]["data"] = json!({"criterion": "previousEmail", "event": "bounced"})
            }),
            Some("node_4"),
            "workflow.nodes[3].data.event",
            "unknown event",
        ),
        (
            changed(
                |v| v["nodes"][3]["data"] = json!({"criterion": "contactField", "field": "company", "operator": "startsWith", "value": "a"}),
            ),
            Some("node_4"),
            "workflow.nodes[3].data.operator",
            "unknown operator",
        ),
        (
            changed(|v| {
                v["nodes"][3]["data"] =
                    json!({"criterion": "contactField", "field": "company", "operator": "equals"})
            }),
            Some("node_4"),
            "workflow.nodes[3].data.value",
            "missing value",
        ),
        (
            changed(
                |v| v["nodes"][3]["data"] = json!({"criterion": "contactField", "field": "company", "operator": "isEmpty", "value": "x"}),
            ),
            Some("node_4"),
            "workflow.nodes[3].data.value",
            "value with isEmpty",
        ),
        (
            changed(|v| {
                v["nodes"][3]["data"] =
                    json!({"criterion": "contactField", "field": "{{x}}", "operator": "isEmpty"})
            }),
            Some("node_4"),
            "workflow.nodes[3].data.field",
            "invalid field key",
        ),
        (
            changed(|v| v["nodes"][0]["data"] = json!({"x": 1})),
            Some("node_1"),
            "workflow.nodes[0].data",
            "data on a start node",
        ),
        (
            changed(|v| v["nodes"][5]["id"] = json!("node_5")),
            Some("node_5"),
            "workflow.nodes[5].id",
            "duplicate id",
        ),
        (
            changed(|v| v["nodes"][0]["type"] = json!("end")),
            None,
            "workflow.nodes",
            "no start",
        ),
        (
            changed(|v| push_node(v, json!({"id": "node_7", "type": "start"}))),
            Some("node_7"),
            "workflow.nodes[6].type",
            "two starts",
        ),
        (
            changed(|v| v["edges"][5]["to"] = json!("node_9")),
            None,
            "workflow.edges[5].to",
            "edge to an unknown node",
        ),
        (
            changed(|v| v["edges"][0]["id"] = json!("e1")),
            Some("node_1"),
            "workflow.edges[0].id",
            "unknown edge field",
        ),
        (
            changed(|v| v["edges"][3]["label"] = json!("yes")),
            Some("node_4"),
            "workflow.edges[3].label",
            "label not true or false",
        ),
        (
            changed(|v| push_edge(v, "node_5", "node_6")),
            Some("node_5"),
            "workflow.edges[6]",
            "duplicate edge",
        ),
        (
            changed(|v| push_edge(v, "node_5", "node_1")),
            Some("node_1"),
            "workflow.edges[6].to",
            "edge into the start",
        ),
        (
            changed(|v| push_edge(v, "node_6", "node_5")),
            Some("node_6"),
            "workflow.edges[6].from",
            "edge out of an end",
        ),
        (
            changed(|v| push_edge(v, "node_2", "node_6")),
            Some("node_2"),
            "workflow.edges[6]",
            "two edges out of an email",
        ),
        (
            changed(|v| {
                v["edges"].as_array_mut().unwrap().remove(1);
            }),
            Some("node_2"),
            "workflow.nodes[1]",
            "no edge out of an email",
        ),
        (
            changed(|v| v["edges"][1]["label"] = json!("true")),
            Some("node_2"),
            "workflow.edges[1].label",
            "labelled edge out of an email",
        ),
        (
            changed(|v| v["edges"][3]["label"] = json!(null)),
            Some("node_4"),
            "workflow.edges[3].label",
            "unlabelled condition edge",
        ),
        (
            changed(|v| v["edges"][4]["label"] = json!("false")),
            Some("node_4"),
            "workflow.edges[4].label",
            "two false edges",
        ),
        (
            changed(|v| {
                v["edges"].as_array_mut().unwrap().remove(3);
            }),
            Some("node_4"),
            "workflow.nodes[3]",
            "no false edge",
        ),
        (
            changed(|v| push_node(v, json!({"id": "node_7", "type": "end"}))),
            Some("node_7"),
            "workflow.nodes[6]",
            "unreachable node",
        ),
        (
            changed(|v| v["edges"][5]["to"] = json!("node_3")),
            Some("node_5"),
            "workflow.edges[5].to",
            "cycle",
        ),
        (
            changed(|v| v["nodes"][4]["data"]["body"] = json!("  ")),
            Some("node_5"),
            "workflow.nodes[4].data.body",
            "empty body",
        ),
        (
            changed(|v| v["nodes"][1]["data"]["subject"] = json!("")),
            Some("node_2"),
            "workflow.nodes[1].data.subject",
            "first email without subject",
        ),
        (
            changed(|v| v["nodes"][1]["data"]["subject"] = json!("Hi\r\nBcc: x")),
            Some("node_2"),
            "workflow.nodes[1].data.subject",
            "line break in subject",
        ),
        (
            changed(|v| v["nodes"][1]["data"]["subject"] = json!("Hi {{first")),
            Some("node_2"),
            "workflow.nodes[1].data.subject",
            "unclosed variable in subject",
        ),
        (
            changed(|v| v["nodes"][4]["data"]["body"] = json!("<p>{{ first name! }}</p>")),
            Some("node_5"),
            "workflow.nodes[4].data.body",
            "invalid variable in body",
        ),
        (
            changed(|v| v["nodes"][3]["data"]["emailNodeId"] = json!("node_9")),
            Some("node_4"),
            "workflow.nodes[3].data.emailNodeId",
            "unknown email node",
        ),
        (
            changed(|v| v["nodes"][3]["data"]["emailNodeId"] = json!("node_3")),
            Some("node_4"),
            "workflow.nodes[3].data.emailNodeId",
            "not an email node",
        ),
        (
            branching("", json!({"criterion": "opened"})),
            Some("b"),
            "workflow.nodes[3].data.subject",
            "follow-up reached without an email",
        ),
        (
            branching("B", json!({"criterion": "opened", "emailNodeId": "a"})),
            Some("k"),
            "workflow.nodes[4].data.emailNodeId",
            "email not on every path",
        ),
        (
            json!({
                "nodes": [{"id": "s", "type": "start"}, {"id": "k", "type": "condition", "data": {"criterion": "previousEmail"}}, {"id": "e", "type": "end"}],
                "edges": [{"from": "s", "to": "k"}, {"from": "k", "to": "e", "label": "true"}, {"from": "k", "to": "e", "label": "false"}]
            }),
            Some("k"),
            "workflow.nodes[1].data.criterion",
            "condition before any email",
        ),
    ];
    for (raw, node_id, field, reason) in cases {
        let error = Workflow::parse(&raw).expect_err(reason);
        assert_eq!(error.field, field, "{reason}: {}", error.message);
        assert_eq!(
            error.node_id.as_deref(),
            node_id,
            "{reason}: {}",
            error.message
        );
        if let Some(node_id) = node_id {
            assert!(
                error.message.contains(&format!("\"{node_id}\"")),
                "{reason}: {}",
                error.message
            );
        }
    }
}

#[test]
fn error_messages_read_as_sentences_about_the_node() {
    let error =
        Workflow::parse(&changed(|v| v["nodes"][4]["data"]["body"] = json!(""))).unwrap_err();
    assert_eq!(error.message, "Node \"node_5\": email body is empty");
}

#[test]
fn contact_field_operators_ignore_case_and_blanks() {
    use FieldOperator as F;
    let cases = [
        (F::Equals, Some("ACME "), "acme", true),
        (F::Equals, None, "acme", false),
        (F::NotEquals, None, "acme", true),
        (F::Contains, Some("Acme Corp"), "corp", true),
        (F::NotContains, Some("Acme Corp"), "corp", false),
        (F::NotContains, None, "corp", true),
        (F::IsEmpty, Some("  "), "", true),
        (F::IsEmpty, None, "", true),
        (F::IsNotEmpty, Some("x"), "", true),
    ];
    for (operator, field, value, expected) in cases {
        assert_eq!(
            operator.evaluate(field, value),
            expected,
            "{operator:?} {field:?} {value:?}"
        );
    }
}
