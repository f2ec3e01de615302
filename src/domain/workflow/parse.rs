//! Reads the workflow JSON into typed nodes and edges; every error carries the JSON path.

use super::{
    Condition, DelayAmount, DelayStep, Edge, EmailEvent, EmailStep, FieldOperator, Node, NodeKind,
    WorkflowError, MAX_NODES, MAX_NODE_ID_LEN, STANDARD_FIELDS,
};
use crate::domain::text::custom_field_key;
use serde_json::{Map, Value};
use std::fmt::Display;

fn plain(field: impl Into<String>, message: impl Into<String>) -> WorkflowError {
    WorkflowError {
        node_id: None,
        field: field.into(),
        message: message.into(),
    }
}

/// Whether `id` is 1–64 characters of `[A-Za-z0-9_-]`.
pub(super) fn is_valid_node_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_NODE_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Reads `{nodes, edges}`.
pub(super) fn graph(value: &Value) -> Result<(Vec<Node>, Vec<Edge>), WorkflowError> {
    let Some(object) = value.as_object() else {
        return Err(plain(
            "workflow",
            "workflow must be an object with nodes and edges",
        ));
    };
    if let Some(key) = object
        .keys()
        .find(|key| !["nodes", "edges"].contains(&key.as_str()))
    {
        return Err(plain(
            format!("workflow.{key}"),
            format!("workflow has an unknown field {key:?}"),
        ));
    }
    let list = |name: &str| match object.get(name) {
        Some(Value::Array(items)) => Ok(items),
        _ => Err(plain(
            format!("workflow.{name}"),
            format!("workflow.{name} must be a list"),
        )),
    };
    let raw_nodes = list("nodes")?;
    let raw_edges = list("edges")?;
    if raw_nodes.len() > MAX_NODES {
        return Err(plain(
            "workflow.nodes",
            format!("a workflow may hold at most {MAX_NODES} nodes"),
        ));
    }
    if raw_edges.len() > 2 * MAX_NODES {
        return Err(plain(
            "workflow.edges",
            format!("a workflow may hold at most {} edges", 2 * MAX_NODES),
        ));
    }
    let nodes = raw_nodes
        .iter()
        .enumerate()
        .map(|(position, raw)| node(position, raw))
        .collect::<Result<Vec<_>, _>>()?;
    let edges = raw_edges
        .iter()
        .enumerate()
        .map(|(position, raw)| edge(position, raw))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((nodes, edges))
}

/// Builds errors about one node once its id is known.
struct NodeContext<'a> {
    id: &'a str,
    path: String,
}

impl NodeContext<'_> {
    fn fail(&self, suffix: &str, message: impl Display) -> WorkflowError {
        WorkflowError {
            node_id: Some(self.id.to_owned()),
            field: if suffix.is_empty() {
                self.path.clone()
            } else {
                format!("{}.{suffix}", self.path)
            },
            message: format!("Node {:?}: {message}", self.id),
        }
    }

    fn only_keys(
        &self,
        object: &Map<String, Value>,
        allowed: &[&str],
        prefix: &str,
    ) -> Result<(), WorkflowError> {
        match object.keys().find(|key| !allowed.contains(&key.as_str())) {
            Some(key) => Err(self.fail(
                &format!("{prefix}{key}"),
                format!(
                    "unknown field {key:?} (expected one of: {})",
                    allowed.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }

    /// An optional string field (`null` = absent).
    fn string<'v>(
        &self,
        data: &'v Map<String, Value>,
        key: &str,
    ) -> Result<Option<&'v str>, WorkflowError> {
        match data.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(self.fail(&format!("data.{key}"), format!("{key} must be a string"))),
        }
    }

    /// An optional boolean field (`null` = absent).
    fn boolean(&self, data: &Map<String, Value>, key: &str) -> Result<Option<bool>, WorkflowError> {
        match data.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(_) => Err(self.fail(
                &format!("data.{key}"),
                format!("{key} must be true or false"),
            )),
        }
    }
}

fn node(position: usize, raw: &Value) -> Result<Node, WorkflowError> {
    let path = format!("workflow.nodes[{position}]");
    let Some(object) = raw.as_object() else {
        return Err(plain(path.clone(), format!("{path} must be an object")));
    };
    let id = match object.get("id") {
        Some(Value::String(id)) if is_valid_node_id(id) => id.as_str(),
        _ => {
            return Err(plain(
                format!("{path}.id"),
                format!(
                    "{path}.id must be 1–{MAX_NODE_ID_LEN} characters of letters, digits, _ or -"
                ),
            ))
        }
    };
    let context = NodeContext { id, path };
    context.only_keys(object, &["id", "type", "position", "data"], "")?;
    let data = match object.get("data") {
        None | Some(Value::Null) => None,
        Some(Value::Object(data)) => Some(data),
        Some(_) => return Err(context.fail("data", "data must be an object")),
    };
    let kind_name = object.get("type").and_then(Value::as_str).unwrap_or("");
    let required =
        || data.ok_or_else(|| context.fail("data", format!("a {kind_name} node needs data")));
    let kind = match kind_name {
        "start" | "end" => {
            if data.is_some_and(|data| !data.is_empty()) {
                return Err(context.fail("data", format!("a {kind_name} node takes no data")));
            }
            if kind_name == "start" {
                NodeKind::Start
            } else {
                NodeKind::End
            }
        }
        "email" => NodeKind::Email(email(&context, required()?)?),
        "delay" => NodeKind::Delay(delay(&context, required()?)?),
        "condition" => NodeKind::Condition(condition(&context, required()?)?),
        _ => {
            return Err(context.fail(
                "type",
                "type must be one of start, email, delay, condition, end",
            ))
        }
    };
    Ok(Node {
        id: id.to_owned(),
        kind,
        position: object.get("position").cloned(),
    })
}

fn email(context: &NodeContext, data: &Map<String, Value>) -> Result<EmailStep, WorkflowError> {
    context.only_keys(
        data,
        &["subject", "body", "trackOpens", "trackClicks"],
        "data.",
    )?;
    Ok(EmailStep {
        subject: context
            .string(data, "subject")?
            .unwrap_or("")
            .trim()
            .to_owned(),
        body: context.string(data, "body")?.unwrap_or("").to_owned(),
        track_opens: context.boolean(data, "trackOpens")?,
        track_clicks: context.boolean(data, "trackClicks")?,
    })
}

fn delay(context: &NodeContext, data: &Map<String, Value>) -> Result<DelayStep, WorkflowError> {
    context.only_keys(data, &["days", "hours", "businessDays"], "data.")?;
    let number = |key: &str, max: u32| -> Result<Option<u32>, WorkflowError> {
        match data.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_u64()
                // JSON Schema's `integer` also admits integral floats such as `2.0`.
                .or_else(|| {
                    value
                        .as_f64()
                        .filter(|number| number.fract() == 0.0 && (0.0..4.0e9).contains(number))
                        .map(|number| number as u64)
                })
                .and_then(|number| u32::try_from(number).ok())
                .filter(|number| (1..=max).contains(number))
                .map(Some)
                .ok_or_else(|| {
                    context.fail(
                        &format!("data.{key}"),
                        format!("delay {key} must be a whole number from 1 to {max}"),
                    )
                }),
        }
    };
    let amount = match (number("days", 30)?, number("hours", 24)?) {
        (Some(days), None) => DelayAmount::Days(days),
        (None, Some(hours)) => DelayAmount::Hours(hours),
        (Some(_), Some(_)) => {
            return Err(context.fail("data", "a delay takes either days or hours, not both"))
        }
        (None, None) => {
            return Err(context.fail("data", "a delay needs days (1–30) or hours (1–24)"))
        }
    };
    Ok(DelayStep {
        amount,
        business_days: context.boolean(data, "businessDays")?.unwrap_or(false),
    })
}

fn condition(context: &NodeContext, data: &Map<String, Value>) -> Result<Condition, WorkflowError> {
    let criterion = context.string(data, "criterion")?.unwrap_or("");
    match criterion {
        "opened" | "clicked" => {
            context.only_keys(data, &["criterion", "emailNodeId"], "data.")?;
            let email_node_id = context.string(data, "emailNodeId")?.map(str::to_owned);
            Ok(if criterion == "opened" {
                Condition::Opened { email_node_id }
            } else {
                Condition::Clicked { email_node_id }
            })
        }
        "previousEmail" => {
            context.only_keys(data, &["criterion", "event"], "data.")?;
            let event = match context.string(data, "event")? {
                None => EmailEvent::Opened,
                Some(raw) => EmailEvent::parse(raw).ok_or_else(|| {
                    context.fail(
                        "data.event",
                        "event must be one of sent, opened, clicked, replied",
                    )
                })?,
            };
            Ok(Condition::PreviousEmail { event })
        }
        "contactField" => {
            context.only_keys(data, &["criterion", "field", "operator", "value"], "data.")?;
            let field = context.string(data, "field")?.unwrap_or("");
            if !STANDARD_FIELDS.contains(&field) && custom_field_key(field).is_err() {
                return Err(context.fail(
                    "data.field",
                    format!(
                        "field must be one of {} or a custom field key",
                        STANDARD_FIELDS.join(", ")
                    ),
                ));
            }
            let operator = context
                .string(data, "operator")?
                .and_then(FieldOperator::parse)
                .ok_or_else(|| {
                    context.fail(
                        "data.operator",
                        "operator must be one of equals, notEquals, contains, notContains, isEmpty, isNotEmpty",
                    )
                })?;
            let value = context.string(data, "value")?;
            let value = if operator.needs_value() {
                match value {
                    Some(value) => Some(value.to_owned()),
                    None => {
                        return Err(context.fail(
                            "data.value",
                            format!("operator {} needs a value", operator.as_str()),
                        ))
                    }
                }
            } else if value.is_some_and(|value| !value.is_empty()) {
                return Err(context.fail(
                    "data.value",
                    format!("operator {} takes no value", operator.as_str()),
                ));
            } else {
                None
            };
            Ok(Condition::ContactField {
                field: field.to_owned(),
                operator,
                value,
            })
        }
        _ => Err(context.fail(
            "data.criterion",
            "criterion must be one of opened, clicked, previousEmail, contactField",
        )),
    }
}

fn edge(position: usize, raw: &Value) -> Result<Edge, WorkflowError> {
    let path = format!("workflow.edges[{position}]");
    let Some(object) = raw.as_object() else {
        return Err(plain(path.clone(), format!("{path} must be an object")));
    };
    let from = object.get("from").and_then(Value::as_str);
    let known_from = from.filter(|id| is_valid_node_id(id));
    let fail = |suffix: &str, message: String| WorkflowError {
        node_id: known_from.map(str::to_owned),
        field: format!("{path}.{suffix}"),
        message: match known_from {
            Some(id) => format!("Node {id:?}: {message}"),
            None => format!("Edge {position}: {message}"),
        },
    };
    if let Some(key) = object
        .keys()
        .find(|key| !["from", "to", "label"].contains(&key.as_str()))
    {
        return Err(fail(
            key,
            format!("edge {position} has an unknown field {key:?} (expected from, to, label)"),
        ));
    }
    let Some(from) = from else {
        return Err(fail("from", "a \"from\" node id is required".to_owned()));
    };
    let Some(to) = object.get("to").and_then(Value::as_str) else {
        return Err(fail(
            "to",
            format!("edge {position} needs a \"to\" node id"),
        ));
    };
    let label = match object.get("label") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text == "true" => Some(true),
        Some(Value::String(text)) if text == "false" => Some(false),
        Some(Value::Bool(flag)) => Some(*flag),
        Some(_) => {
            return Err(fail(
                "label",
                format!("edge {position}: label must be \"true\" or \"false\""),
            ))
        }
    };
    Ok(Edge {
        from: from.to_owned(),
        to: to.to_owned(),
        label,
    })
}
