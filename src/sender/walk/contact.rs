//! Walking one due contact through the workflow: delays, conditions, ends, and the claim of the
//! email it is due.

use super::{message, Due};
use crate::db::campaigns::CampaignRecord;
use crate::db::sends::{self, NewClaim, Progress};
use crate::domain::campaign::CampaignSettings;
use crate::domain::schedule::{add_delay, SendWindow};
use crate::domain::workflow::{Condition, NodeKind, Workflow};
use crate::error::Error;
use crate::sender::message::Rendered;
use chrono::{DateTime, Utc};
use rusqlite::Connection;

/// Most workflow steps one contact takes in one pass (a validated graph has no cycles, so this
/// only bounds a corrupted one).
const MAX_STEPS: usize = 256;

/// What walking one contact did.
pub(super) enum Step {
    Claimed(Box<Rendered>, sends::SendRef),
    Skipped,
    Moved,
    Waiting,
}

pub(super) struct Walk<'a, 'b> {
    pub(super) campaign: &'a CampaignRecord,
    pub(super) settings: &'a CampaignSettings,
    pub(super) workflow: &'a Workflow,
    pub(super) templates: &'a message::Templates,
    pub(super) sender: &'a message::Sender<'a>,
    pub(super) window: &'a SendWindow,
    pub(super) window_open: bool,
    pub(super) budget: &'b std::cell::Cell<u64>,
    pub(super) reopens: i64,
    pub(super) now: DateTime<Utc>,
    pub(super) now_text: &'a str,
}

fn stop(
    conn: &Connection,
    walk: &Walk<'_, '_>,
    contact: &Due,
    status: &str,
    node: Option<&str>,
    reason: Option<&str>,
) -> Result<Step, Error> {
    sends::set_progress(
        conn,
        walk.campaign.seq,
        contact.contact_seq,
        Progress {
            status,
            node_id: node,
            due_at: None,
            reason,
        },
        walk.now_text,
    )?;
    Ok(Step::Moved)
}

fn wait(
    conn: &Connection,
    walk: &Walk<'_, '_>,
    contact: &Due,
    node: &str,
    due_at: Option<i64>,
) -> Result<Step, Error> {
    sends::set_progress(
        conn,
        walk.campaign.seq,
        contact.contact_seq,
        Progress {
            status: "in_progress",
            node_id: Some(node),
            due_at,
            reason: None,
        },
        walk.now_text,
    )?;
    Ok(Step::Waiting)
}

pub(super) fn walk_contact(
    conn: &Connection,
    walk: &Walk<'_, '_>,
    contact: &Due,
) -> Result<Step, Error> {
    match contact.contact_status.as_str() {
        "unsubscribed" => {
            return stop(
                conn,
                walk,
                contact,
                "unsubscribed",
                contact.node_id.as_deref(),
                None,
            )
        }
        "bounced" => {
            return stop(
                conn,
                walk,
                contact,
                "bounced",
                contact.node_id.as_deref(),
                None,
            )
        }
        "blocked" => {
            return stop(
                conn,
                walk,
                contact,
                "failed",
                contact.node_id.as_deref(),
                Some("Contact is blocked"),
            )
        }
        _ => {}
    }
    if !matches!(contact.status.as_str(), "pending" | "in_progress") {
        return stop(
            conn,
            walk,
            contact,
            &contact.status,
            contact.node_id.as_deref(),
            None,
        );
    }
    let mut node_id = contact
        .node_id
        .clone()
        .unwrap_or_else(|| walk.workflow.start_id().to_owned());
    let mut last_email = contact.last_email_node.clone();
    let mut arrived = false;
    for _ in 0..MAX_STEPS {
        let Some(node) = walk.workflow.node(&node_id) else {
            return stop(
                conn,
                walk,
                contact,
                "failed",
                None,
                Some("The workflow changed: the contact's step no longer exists"),
            );
        };
        let next = match &node.kind {
            NodeKind::Start => walk.workflow.next(&node_id),
            NodeKind::End => return stop(conn, walk, contact, "completed", Some(&node_id), None),
            NodeKind::Delay(delay) => {
                if arrived {
                    let wake = add_delay(walk.now, delay, walk.settings.timezone);
                    return wait(conn, walk, contact, &node_id, Some(wake.timestamp()));
                }
                walk.workflow.next(&node_id)
            }
            NodeKind::Condition(condition) => {
                let outcome = evaluate(conn, walk, contact, condition, last_email.as_deref())?;
                walk.workflow.branch(&node_id, outcome)
            }
            NodeKind::Email(step) => {
                let existing = sends::find(conn, walk.campaign.seq, contact.contact_seq, &node_id)?;
                match existing.as_ref().map(|s| s.state.as_str()) {
                    None | Some("pending") => {
                        return send(
                            conn,
                            walk,
                            contact,
                            &node_id,
                            step,
                            existing.as_ref(),
                            last_email.as_deref(),
                        );
                    }
                    Some("claimed") => return wait(conn, walk, contact, &node_id, None),
                    Some("bounced") => {
                        return stop(conn, walk, contact, "bounced", Some(&node_id), None)
                    }
                    Some("failed") => {
                        let reason = existing.and_then(|s| s.last_error);
                        return stop(
                            conn,
                            walk,
                            contact,
                            "failed",
                            Some(&node_id),
                            reason.as_deref(),
                        );
                    }
                    _ => {
                        last_email = Some(node_id.clone());
                        walk.workflow.next(&node_id)
                    }
                }
            }
        };
        let Some(next) = next else {
            return stop(
                conn,
                walk,
                contact,
                "failed",
                Some(&node_id),
                Some("The workflow has no next step here"),
            );
        };
        node_id = next.to_owned();
        arrived = true;
    }
    stop(
        conn,
        walk,
        contact,
        "failed",
        Some(&node_id),
        Some("The workflow has too many steps"),
    )
}

fn evaluate(
    conn: &Connection,
    walk: &Walk<'_, '_>,
    contact: &Due,
    condition: &Condition,
    last_email: Option<&str>,
) -> Result<bool, Error> {
    let send_of = |node: Option<&str>| -> Result<Option<sends::SendState>, Error> {
        match node {
            Some(node) => sends::find(conn, walk.campaign.seq, contact.contact_seq, node),
            None => Ok(None),
        }
    };
    Ok(match condition {
        Condition::Opened { email_node_id } => send_of(email_node_id.as_deref().or(last_email))?
            .is_some_and(|s| s.opened_at.is_some() || s.clicked_at.is_some()),
        Condition::Clicked { email_node_id } => send_of(email_node_id.as_deref().or(last_email))?
            .is_some_and(|s| s.clicked_at.is_some()),
        Condition::PreviousEmail { event } => {
            let send = send_of(last_email)?;
            message::email_event_happened(event, send.as_ref())
        }
        Condition::ContactField {
            field,
            operator,
            value,
        } => {
            let actual = message::field_value(
                &contact.fields,
                &contact.email,
                &contact.custom_fields,
                field,
            );
            operator.evaluate(actual.as_deref(), value.as_deref().unwrap_or_default())
        }
    })
}

fn send(
    conn: &Connection,
    walk: &Walk<'_, '_>,
    contact: &Due,
    node_id: &str,
    step: &crate::domain::workflow::EmailStep,
    existing: Option<&sends::SendState>,
    last_email: Option<&str>,
) -> Result<Step, Error> {
    let now_s = walk.now.timestamp();
    if !walk.window_open {
        let open = walk.window.next_open(walk.now).timestamp();
        return wait(conn, walk, contact, node_id, Some(open.max(now_s + 1)));
    }
    if walk.budget.get() == 0 {
        return wait(
            conn,
            walk,
            contact,
            node_id,
            Some(walk.reopens.max(now_s + 1)),
        );
    }
    let previous = match last_email {
        Some(node) => sends::find(conn, walk.campaign.seq, contact.contact_seq, node)?,
        None => None,
    };
    let thread = if step.subject.trim().is_empty() {
        sends::thread_ids(conn, walk.campaign.seq, contact.contact_seq)?
    } else {
        Vec::new()
    };
    let token = existing
        .map(|s| s.token.clone())
        .unwrap_or_else(crate::domain::tracking::generate_token);
    let input = message::RenderInput {
        campaign: walk.campaign,
        settings: walk.settings,
        node_id,
        step,
        contact_id: &contact.contact_id,
        email: &contact.email,
        fields: &contact.fields,
        custom_fields: &contact.custom_fields,
        tracking_opt_out: contact.tracking_opt_out,
        token: &token,
        previous_subject: previous.as_ref().map(|s| s.subject.as_str()),
        thread: &thread,
        now: walk.now,
    };
    let rendered = match walk.templates.render(walk.sender, &input) {
        Ok(rendered) => rendered,
        Err(reason) => {
            crate::db::campaign_events::insert(
                conn,
                walk.campaign.seq,
                Some(contact.contact_seq),
                Some(node_id),
                crate::domain::campaign_stats::EventType::Skipped,
                now_s,
                &serde_json::json!({ "reason": reason }),
            )?;
            stop(conn, walk, contact, "failed", Some(node_id), Some(&reason))?;
            return Ok(Step::Skipped);
        }
    };
    let links = serde_json::to_string(&rendered.links)?;
    let seq = sends::claim(
        conn,
        &NewClaim {
            workspace_id: walk.campaign.workspace_id.as_str(),
            campaign_seq: walk.campaign.seq,
            contact_seq: contact.contact_seq,
            node_id,
            email_account_seq: walk
                .campaign
                .email_account
                .as_ref()
                .map_or(0, |(seq, _)| *seq),
            token: &token,
            message_id: &rendered.message_id,
            recipient: &contact.email,
            subject: &rendered.subject,
            links: &links,
        },
        now_s,
    )?;
    wait(conn, walk, contact, node_id, None)?;
    walk.budget.set(walk.budget.get().saturating_sub(1));
    Ok(Step::Claimed(
        Box::new(rendered.clone()),
        sends::SendRef {
            seq,
            campaign_seq: walk.campaign.seq,
            contact_seq: contact.contact_seq,
            node_id: node_id.to_owned(),
            subject: rendered.subject,
        },
    ))
}
