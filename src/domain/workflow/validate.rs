//! The graph rules a workflow must satisfy before it is stored or started.
//!
//! Checked in this order, the first broken rule is reported: unique node ids; exactly one start;
//! edges between existing nodes, without duplicates, none into the start or out of an end;
//! one unlabelled outgoing edge from start, email and delay nodes, a `"true"` and a `"false"`
//! edge from conditions; every node reachable from the start; no cycles (so every path ends at
//! an end); email content; condition references.

use super::{Condition, NodeKind, Workflow, WorkflowError};
use crate::domain::template::Template;
use std::collections::{HashSet, VecDeque};

fn node_error(
    workflow: &Workflow,
    position: usize,
    suffix: &str,
    message: impl AsRef<str>,
) -> WorkflowError {
    let id = &workflow.nodes[position].id;
    WorkflowError {
        node_id: Some(id.clone()),
        field: if suffix.is_empty() {
            format!("workflow.nodes[{position}]")
        } else {
            format!("workflow.nodes[{position}].{suffix}")
        },
        message: format!("Node {id:?}: {}", message.as_ref()),
    }
}

fn edge_error(
    workflow: &Workflow,
    position: usize,
    suffix: &str,
    node: Option<&str>,
    message: impl AsRef<str>,
) -> WorkflowError {
    let node = node.unwrap_or(&workflow.edges[position].from);
    WorkflowError {
        node_id: workflow.index.contains_key(node).then(|| node.to_owned()),
        field: if suffix.is_empty() {
            format!("workflow.edges[{position}]")
        } else {
            format!("workflow.edges[{position}].{suffix}")
        },
        message: format!("Node {node:?}: {}", message.as_ref()),
    }
}

/// Checks every rule; the error names the first one broken.
pub(super) fn graph(workflow: &Workflow) -> Result<(), WorkflowError> {
    unique_ids(workflow)?;
    let start = single_start(workflow)?;
    edges(workflow)?;
    outgoing(workflow)?;
    reachable(workflow, start)?;
    let order = acyclic_order(workflow, start)?;
    let after_email = always_after_email(workflow, &order);
    emails(workflow, &after_email)?;
    conditions(workflow, start, &after_email)
}

fn unique_ids(workflow: &Workflow) -> Result<(), WorkflowError> {
    let mut seen = HashSet::new();
    for (position, node) in workflow.nodes.iter().enumerate() {
        if !seen.insert(node.id.as_str()) {
            return Err(node_error(
                workflow,
                position,
                "id",
                "node id is used twice",
            ));
        }
    }
    Ok(())
}

fn single_start(workflow: &Workflow) -> Result<usize, WorkflowError> {
    let mut starts = workflow
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, node)| node.kind == NodeKind::Start)
        .map(|(position, _)| position);
    let Some(first) = starts.next() else {
        return Err(WorkflowError {
            node_id: None,
            field: "workflow.nodes".to_owned(),
            message: "The workflow needs a start node".to_owned(),
        });
    };
    if let Some(second) = starts.next() {
        return Err(node_error(
            workflow,
            second,
            "type",
            "a workflow has exactly one start node",
        ));
    }
    Ok(first)
}

fn edges(workflow: &Workflow) -> Result<(), WorkflowError> {
    let mut seen = HashSet::new();
    for (position, edge) in workflow.edges.iter().enumerate() {
        for (suffix, id) in [("from", &edge.from), ("to", &edge.to)] {
            if !workflow.index.contains_key(id) {
                return Err(WorkflowError {
                    node_id: None,
                    field: format!("workflow.edges[{position}].{suffix}"),
                    message: format!("Edge {position} refers to {id:?}, which is not a node"),
                });
            }
        }
        if !seen.insert((&edge.from, &edge.to, edge.label)) {
            return Err(edge_error(
                workflow,
                position,
                "",
                None,
                format!("the edge to {:?} is listed twice", edge.to),
            ));
        }
        if workflow
            .node(&edge.to)
            .is_some_and(|node| node.kind == NodeKind::Start)
        {
            return Err(edge_error(
                workflow,
                position,
                "to",
                Some(&edge.to),
                "the start node cannot have incoming edges",
            ));
        }
        if workflow
            .node(&edge.from)
            .is_some_and(|node| node.kind == NodeKind::End)
        {
            return Err(edge_error(
                workflow,
                position,
                "from",
                None,
                "an end node cannot have outgoing edges",
            ));
        }
    }
    Ok(())
}

fn outgoing(workflow: &Workflow) -> Result<(), WorkflowError> {
    for (position, node) in workflow.nodes.iter().enumerate() {
        let out: Vec<usize> = workflow
            .edges
            .iter()
            .enumerate()
            .filter(|(_, edge)| edge.from == node.id)
            .map(|(index, _)| index)
            .collect();
        match node.kind {
            NodeKind::End => {}
            NodeKind::Condition(_) => {
                let mut seen = [false; 2];
                for &index in &out {
                    let Some(label) = workflow.edges[index].label else {
                        return Err(edge_error(
                            workflow,
                            index,
                            "label",
                            None,
                            "a condition's edges must be labelled \"true\" or \"false\"",
                        ));
                    };
                    if std::mem::replace(&mut seen[usize::from(label)], true) {
                        return Err(edge_error(
                            workflow,
                            index,
                            "label",
                            None,
                            format!("a condition has one \"{label}\" edge"),
                        ));
                    }
                }
                if let Some(missing) = [true, false]
                    .into_iter()
                    .find(|label| !seen[usize::from(*label)])
                {
                    return Err(node_error(
                        workflow,
                        position,
                        "",
                        format!("the condition needs an edge labelled \"{missing}\""),
                    ));
                }
            }
            NodeKind::Start | NodeKind::Email(_) | NodeKind::Delay(_) => {
                let kind = node.kind.as_str();
                if let Some(&index) = out
                    .iter()
                    .find(|index| workflow.edges[**index].label.is_some())
                {
                    return Err(edge_error(
                        workflow,
                        index,
                        "label",
                        None,
                        format!("only condition edges are labelled, not edges from a {kind} node"),
                    ));
                }
                match out.as_slice() {
                    [] => {
                        return Err(node_error(
                            workflow,
                            position,
                            "",
                            format!("the {kind} node needs an outgoing edge"),
                        ))
                    }
                    [_] => {}
                    [_, second, ..] => {
                        return Err(edge_error(
                            workflow,
                            *second,
                            "",
                            None,
                            format!("a {kind} node has exactly one outgoing edge"),
                        ))
                    }
                }
            }
        }
    }
    Ok(())
}

fn reachable(workflow: &Workflow, start: usize) -> Result<(), WorkflowError> {
    let seen = visit(workflow, start, None);
    match seen.iter().position(|reached| !reached) {
        Some(position) => Err(node_error(
            workflow,
            position,
            "",
            "not reachable from the start node",
        )),
        None => Ok(()),
    }
}

/// Nodes reachable from `start`, never passing through `avoid`.
fn visit(workflow: &Workflow, start: usize, avoid: Option<usize>) -> Vec<bool> {
    let mut seen = vec![false; workflow.nodes.len()];
    let mut queue = VecDeque::from([start]);
    seen[start] = true;
    while let Some(position) = queue.pop_front() {
        for next in workflow.successors(position) {
            if !seen[next] && Some(next) != avoid {
                seen[next] = true;
                queue.push_back(next);
            }
        }
    }
    seen
}

/// A topological order of the nodes, or the first edge that closes a cycle.
fn acyclic_order(workflow: &Workflow, start: usize) -> Result<Vec<usize>, WorkflowError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let count = workflow.nodes.len();
    let mut marks = vec![Mark::New; count];
    let mut finished = Vec::with_capacity(count);
    // Iterative depth-first search: (node, its outgoing edge indexes still to follow).
    let out_edges = |position: usize| -> Vec<usize> {
        let id = &workflow.nodes[position].id;
        workflow
            .edges
            .iter()
            .enumerate()
            .filter(|(_, edge)| &edge.from == id)
            .map(|(index, _)| index)
            .rev()
            .collect()
    };
    let mut stack = vec![(start, out_edges(start))];
    marks[start] = Mark::Open;
    while let Some((position, pending)) = stack.last_mut() {
        let position = *position;
        match pending.pop() {
            Some(edge) => {
                let Some(&next) = workflow.index.get(&workflow.edges[edge].to) else {
                    continue;
                };
                match marks[next] {
                    Mark::Open => {
                        return Err(edge_error(
                            workflow,
                            edge,
                            "to",
                            None,
                            format!("the edge to {:?} makes a cycle", workflow.edges[edge].to),
                        ));
                    }
                    Mark::New => {
                        marks[next] = Mark::Open;
                        stack.push((next, out_edges(next)));
                    }
                    Mark::Done => {}
                }
            }
            None => {
                marks[position] = Mark::Done;
                finished.push(position);
                stack.pop();
            }
        }
    }
    finished.reverse();
    Ok(finished)
}

/// For each node: whether every path from the start to it passes an email node first.
fn always_after_email(workflow: &Workflow, order: &[usize]) -> Vec<bool> {
    let count = workflow.nodes.len();
    let mut has_predecessor = vec![false; count];
    let mut after = vec![true; count];
    for &position in order {
        let guaranteed = has_predecessor[position] && after[position];
        after[position] = guaranteed;
        let passes = guaranteed || matches!(workflow.nodes[position].kind, NodeKind::Email(_));
        for next in workflow.successors(position) {
            has_predecessor[next] = true;
            after[next] &= passes;
        }
    }
    after
}

fn emails(workflow: &Workflow, after_email: &[bool]) -> Result<(), WorkflowError> {
    for (position, node) in workflow.nodes.iter().enumerate() {
        let NodeKind::Email(step) = &node.kind else {
            continue;
        };
        if step.body.trim().is_empty() {
            return Err(node_error(
                workflow,
                position,
                "data.body",
                "email body is empty",
            ));
        }
        if step.subject.is_empty() && !after_email[position] {
            return Err(node_error(
                workflow,
                position,
                "data.subject",
                "email subject is empty; only a follow-up that every path reaches after an earlier email may leave it empty (it is sent as a reply)",
            ));
        }
        if step.subject.chars().any(char::is_control) {
            return Err(node_error(
                workflow,
                position,
                "data.subject",
                "email subject must be a single line",
            ));
        }
        if let Err(error) = Template::parse(&step.subject) {
            return Err(node_error(
                workflow,
                position,
                "data.subject",
                format!("subject: {error}"),
            ));
        }
        if let Err(error) = Template::parse(&step.body) {
            return Err(node_error(
                workflow,
                position,
                "data.body",
                format!("body: {error}"),
            ));
        }
    }
    Ok(())
}

/// Conditions about messages need an email before them on every path; a named `emailNodeId`
/// must be an email node on every path to the condition (so every contact reaching the
/// condition was sent that email).
fn conditions(
    workflow: &Workflow,
    start: usize,
    after_email: &[bool],
) -> Result<(), WorkflowError> {
    for (position, node) in workflow.nodes.iter().enumerate() {
        let NodeKind::Condition(condition) = &node.kind else {
            continue;
        };
        if condition.needs_earlier_email() && !after_email[position] {
            return Err(node_error(
                workflow,
                position,
                "data.criterion",
                format!(
                    "a {} condition needs an email before it on every path",
                    condition.criterion()
                ),
            ));
        }
        let (Condition::Opened {
            email_node_id: Some(target),
        }
        | Condition::Clicked {
            email_node_id: Some(target),
        }) = condition
        else {
            continue;
        };
        let email = workflow
            .index
            .get(target)
            .copied()
            .filter(|email| matches!(workflow.nodes[*email].kind, NodeKind::Email(_)));
        let Some(email) = email else {
            return Err(node_error(
                workflow,
                position,
                "data.emailNodeId",
                format!("emailNodeId {target:?} is not an email node"),
            ));
        };
        if visit(workflow, start, Some(email))[position] {
            return Err(node_error(
                workflow,
                position,
                "data.emailNodeId",
                format!("email {target:?} is not on every path to this condition"),
            ));
        }
    }
    Ok(())
}
