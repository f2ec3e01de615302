//! A campaign's workflow: a graph of start, email, delay, condition and end nodes, parsed and
//! validated as a whole (`parse` reads the JSON, `validate` checks the graph rules).

mod condition;
mod parse;
mod validate;

pub use condition::{Condition, EmailEvent, FieldOperator};

use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};

/// Most nodes a workflow may hold (keeps every check cheap).
pub const MAX_NODES: usize = 500;
/// Longest node id.
pub const MAX_NODE_ID_LEN: usize = 64;
/// The contact fields a `contactField` condition may name besides custom field keys.
pub const STANDARD_FIELDS: [&str; 7] = [
    "firstName",
    "lastName",
    "email",
    "company",
    "jobTitle",
    "phone",
    "website",
];

/// A validated workflow graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    /// Node id → index in `nodes`.
    index: HashMap<String, usize>,
    /// Indexes of the email nodes in email-number order.
    email_order: Vec<usize>,
}

/// One node of the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Client-chosen id, unique in the workflow.
    pub id: String,
    /// What the node does.
    pub kind: NodeKind,
    /// Editor position, kept verbatim.
    pub position: Option<Value>,
}

/// What a node does.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// Where every contact begins (exactly one).
    Start,
    /// Sends a message.
    Email(EmailStep),
    /// Waits.
    Delay(DelayStep),
    /// Branches on what happened.
    Condition(Condition),
    /// Where a contact's sequence finishes.
    End,
}

impl NodeKind {
    /// The wire name of the node type.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Email(_) => "email",
            Self::Delay(_) => "delay",
            Self::Condition(_) => "condition",
            Self::End => "end",
        }
    }
}

/// An email node's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailStep {
    /// Subject template; empty = a threaded reply to the previous message.
    pub subject: String,
    /// HTML body template.
    pub body: String,
    /// Overrides the campaign's open tracking when set.
    pub track_opens: Option<bool>,
    /// Overrides the campaign's click tracking when set.
    pub track_clicks: Option<bool>,
}

/// How long a delay node waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelayAmount {
    /// 1..=30 days.
    Days(u32),
    /// 1..=24 hours.
    Hours(u32),
}

/// A delay node's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelayStep {
    /// How long.
    pub amount: DelayAmount,
    /// Count only Monday–Friday (days only; ignored for hours).
    pub business_days: bool,
}

/// A directed edge; `label` is `Some(outcome)` only on a condition's two edges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// Source node id.
    pub from: String,
    /// Target node id.
    pub to: String,
    /// `"true"` / `"false"` branch of a condition.
    pub label: Option<bool>,
}

/// The first rule a workflow breaks, naming the node and the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct WorkflowError {
    /// The node at fault, when there is one.
    pub node_id: Option<String>,
    /// The JSON path of the field, e.g. `workflow.nodes[2].data.subject`.
    pub field: String,
    /// A sentence naming the node, e.g. `Node "node_5": email body is empty`.
    pub message: String,
}

impl From<WorkflowError> for crate::error::Error {
    fn from(error: WorkflowError) -> Self {
        let mut details = Map::new();
        details.insert("field".into(), Value::String(error.field));
        if let Some(node_id) = error.node_id {
            details.insert("nodeId".into(), Value::String(node_id));
        }
        crate::error::Error::Validation {
            message: error.message,
            details: Some(Value::Object(details)),
        }
    }
}

impl Workflow {
    /// Reads and validates a `{nodes, edges}` workflow; the error names the first rule broken.
    pub fn parse(value: &Value) -> Result<Workflow, WorkflowError> {
        let (nodes, edges) = parse::graph(value)?;
        let index = nodes
            .iter()
            .enumerate()
            .map(|(position, node)| (node.id.clone(), position))
            .collect();
        let mut workflow = Workflow {
            nodes,
            edges,
            index,
            email_order: Vec::new(),
        };
        validate::graph(&workflow)?;
        workflow.email_order = workflow.breadth_first_emails();
        Ok(workflow)
    }

    /// The same JSON shape `parse` reads, with defaults made explicit (`businessDays`, the
    /// `previousEmail` event); unset tracking overrides stay absent.
    pub fn to_json(&self) -> Value {
        let nodes: Vec<Value> = self.nodes.iter().map(node_json).collect();
        let edges: Vec<Value> = self
            .edges
            .iter()
            .map(|edge| {
                let mut out = json!({"from": edge.from, "to": edge.to});
                if let (Some(label), Some(object)) = (edge.label, out.as_object_mut()) {
                    object.insert("label".into(), json!(label.to_string()));
                }
                out
            })
            .collect();
        json!({"nodes": nodes, "edges": edges})
    }

    /// Every node, in the order given.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Every edge, in the order given.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.index.get(id).map(|position| &self.nodes[*position])
    }

    /// The start node's id.
    pub fn start_id(&self) -> &str {
        self.nodes
            .iter()
            .find(|node| node.kind == NodeKind::Start)
            .map_or("", |node| node.id.as_str())
    }

    /// The single successor of a start, email or delay node (`None` for conditions and ends).
    pub fn next(&self, id: &str) -> Option<&str> {
        self.edges
            .iter()
            .find(|edge| edge.from == id && edge.label.is_none())
            .map(|edge| edge.to.as_str())
    }

    /// Where a condition node leads for this outcome.
    pub fn branch(&self, id: &str, outcome: bool) -> Option<&str> {
        self.edges
            .iter()
            .find(|edge| edge.from == id && edge.label == Some(outcome))
            .map(|edge| edge.to.as_str())
    }

    /// The email nodes in email-number order: breadth-first from the start, following edges in
    /// the order given. The first is email number 1.
    pub fn email_nodes(&self) -> Vec<&Node> {
        self.email_order
            .iter()
            .map(|position| &self.nodes[*position])
            .collect()
    }

    /// The 1-based email number of an email node.
    pub fn email_number(&self, id: &str) -> Option<u32> {
        let position = *self.index.get(id)?;
        self.email_order
            .iter()
            .position(|candidate| *candidate == position)
            .and_then(|order| u32::try_from(order + 1).ok())
    }

    /// Indexes of the successors of a node, in edge order.
    fn successors(&self, position: usize) -> impl Iterator<Item = usize> + '_ {
        let id = &self.nodes[position].id;
        self.edges
            .iter()
            .filter(move |edge| &edge.from == id)
            .filter_map(|edge| self.index.get(&edge.to).copied())
    }

    fn breadth_first_emails(&self) -> Vec<usize> {
        let Some(start) = self.index.get(self.start_id()).copied() else {
            return Vec::new();
        };
        let mut seen = vec![false; self.nodes.len()];
        let mut queue = VecDeque::from([start]);
        seen[start] = true;
        let mut order = Vec::new();
        while let Some(position) = queue.pop_front() {
            if matches!(self.nodes[position].kind, NodeKind::Email(_)) {
                order.push(position);
            }
            for next in self.successors(position) {
                if !seen[next] {
                    seen[next] = true;
                    queue.push_back(next);
                }
            }
        }
        order
    }
}

fn node_json(node: &Node) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(node.id));
    out.insert("type".into(), json!(node.kind.as_str()));
    if let Some(position) = &node.position {
        out.insert("position".into(), position.clone());
    }
    let data = match &node.kind {
        NodeKind::Start | NodeKind::End => None,
        NodeKind::Email(step) => {
            let mut data = json!({"subject": step.subject, "body": step.body});
            if let Some(object) = data.as_object_mut() {
                if let Some(track) = step.track_opens {
                    object.insert("trackOpens".into(), json!(track));
                }
                if let Some(track) = step.track_clicks {
                    object.insert("trackClicks".into(), json!(track));
                }
            }
            Some(data)
        }
        NodeKind::Delay(step) => Some(match step.amount {
            DelayAmount::Days(days) => json!({"days": days, "businessDays": step.business_days}),
            DelayAmount::Hours(hours) => {
                json!({"hours": hours, "businessDays": step.business_days})
            }
        }),
        NodeKind::Condition(condition) => Some(condition.to_json()),
    };
    if let Some(data) = data {
        out.insert("data".into(), data);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests;
