//! `GET /v1/campaigns/{id}/preview` (an email node rendered for a contact exactly as the sender
//! would send it) and `GET /v1/campaigns/{id}/forecast` (who gets which email when).

use super::{campaign_id, workflow};
use crate::api::envelope::{self, Envelope};
use crate::api::error::ApiResult;
use crate::api::extract::Tenant;
use crate::api::AppState;
use crate::db;
use crate::domain::campaign::CampaignSettings;
use crate::domain::ids::ContactId;
use crate::domain::workflow::{NodeKind, Workflow};
use crate::error::Error;
use crate::sender::{forecast, message};
use actix_web::{web, HttpResponse};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

/// Query of the preview.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// The email node (default: the first email of the workflow).
    #[param(max_length = 64)]
    pub node_id: Option<String>,
    /// The contact to render for (default: sample data).
    pub contact_id: Option<String>,
}

/// A header of the rendered message.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeaderDto {
    /// Name.
    pub name: String,
    /// Value (unfolded).
    pub value: String,
}

/// An email node rendered for a contact.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"nodeId": "node_2", "emailNumber": 1, "contactId": "con_8fK2mQ9xLp3vR7tY1wZa", "sendable": true, "reason": null, "subject": "Hi Ada", "html": "<p>Hello Ada</p>", "text": "Hello Ada", "headers": [{"name": "Subject", "value": "Hi Ada"}]}))]
pub struct PreviewResponse {
    /// Email node.
    pub node_id: String,
    /// Its position among the workflow's emails (1-based).
    pub email_number: u32,
    /// The contact, or null for sample data.
    pub contact_id: Option<String>,
    /// Whether the sender would send it (false: a variable the contact lacks; see `reason`).
    pub sendable: bool,
    /// Why it would not be sent.
    pub reason: Option<String>,
    /// Subject as sent.
    pub subject: Option<String>,
    /// HTML part as sent (tracking links point at the token `preview`).
    pub html: Option<String>,
    /// Text part as sent.
    pub text: Option<String>,
    /// Every header of the message.
    pub headers: Vec<HeaderDto>,
}

/// Sample values used when no contact is given.
fn sample_fields() -> Vec<(&'static str, Option<String>)> {
    vec![
        ("firstName", Some("Alex".to_owned())),
        ("lastName", Some("Sample".to_owned())),
        ("company", Some("Example Inc".to_owned())),
        ("jobTitle", Some("Head of Sales".to_owned())),
        ("phone", Some("+1 555 0100".to_owned())),
        ("website", Some("https://example.com".to_owned())),
    ]
}

/// A contact's template values: (email, fields, custom fields JSON, tracking opt-out).
type ContactValues = (String, Vec<(&'static str, Option<String>)>, String, bool);

fn contact_values(
    conn: &Connection,
    workspace: &crate::domain::ids::WorkspaceId,
    raw: &str,
) -> Result<(i64, ContactValues), Error> {
    let unknown = || Error::UnknownReference {
        message: format!("Contact {raw} does not exist"),
        details: Some(json!({ "field": "contactId", "id": raw })),
    };
    let id = ContactId::parse(raw).ok_or_else(unknown)?;
    conn.prepare_cached(
        "SELECT seq, email, first_name, last_name, company, job_title, phone, website,
                custom_fields, tracking_opt_out
         FROM contacts WHERE workspace_id = ?1 AND id = ?2",
    )?
    .query_row(rusqlite::params![workspace.as_str(), id.as_str()], |row| {
        Ok((
            row.get(0)?,
            (
                row.get(1)?,
                vec![
                    ("firstName", row.get(2)?),
                    ("lastName", row.get(3)?),
                    ("company", row.get(4)?),
                    ("jobTitle", row.get(5)?),
                    ("phone", row.get(6)?),
                    ("website", row.get(7)?),
                ],
                row.get(8)?,
                row.get::<_, i64>(9)? != 0,
            ),
        ))
    })
    .optional()?
    .ok_or_else(unknown)
}

fn stored_workflow(campaign: &db::campaigns::CampaignRecord) -> Result<Workflow, Error> {
    let raw = campaign
        .workflow
        .as_deref()
        .ok_or_else(|| Error::Conflict {
            message: "The campaign has no workflow yet".to_owned(),
            details: Some(json!({ "field": "workflow" })),
        })?;
    workflow(&serde_json::from_str(raw)?)
}

/// Render an email node for a contact (or sample data) exactly as it would be sent.
#[utoipa::path(get, path = "/v1/campaigns/{id}/preview", tag = "Campaigns", operation_id = "previewCampaignEmail",
    params(("id" = String, Path, pattern = "^cmp_[A-Za-z0-9]{20}$", description = "Campaign id"), PreviewQuery),
    responses(
        (status = 200, description = "The rendered message.", body = Envelope<PreviewResponse>),
        (status = 409, description = "The campaign has no workflow yet (`CONFLICT`).", body = crate::api::envelope::ErrorEnvelope),
    ))]
pub async fn preview(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    query: web::Query<PreviewQuery>,
) -> ApiResult<HttpResponse> {
    let id = campaign_id(&path)?;
    let query = query.into_inner();
    let public_url = state.config.public_url.clone();
    let secret = state.config.secret_key.expose().to_owned();
    let response = state
        .read(tenant.check(), move |conn| {
            let campaign = db::campaigns::require(conn, &tenant.0, &id)?;
            let workflow = stored_workflow(&campaign)?;
            let settings = CampaignSettings::from_json(&campaign.settings)
                .map_err(|e| Error::Internal(anyhow::anyhow!("stored settings: {e}")))?;
            let emails = workflow.email_nodes();
            let node = match &query.node_id {
                Some(wanted) => emails
                    .iter()
                    .find(|n| &n.id == wanted)
                    .copied()
                    .ok_or_else(|| {
                        Error::invalid(
                            "nodeId",
                            format!("{wanted} is not an email node of this workflow"),
                        )
                    })?,
                None => emails
                    .first()
                    .copied()
                    .ok_or_else(|| Error::invalid("nodeId", "The workflow has no email node"))?,
            };
            let NodeKind::Email(step) = &node.kind else {
                return Err(Error::invalid("nodeId", "not an email node"));
            };
            let (contact_seq, (email, fields, custom, opt_out), contact_id) =
                match &query.contact_id {
                    Some(raw) => {
                        let (seq, values) = contact_values(conn, &tenant.0, raw)?;
                        (Some(seq), values, raw.clone())
                    }
                    None => (
                        None,
                        (
                            "alex@example.com".to_owned(),
                            sample_fields(),
                            "{}".to_owned(),
                            false,
                        ),
                        "con_sample".to_owned(),
                    ),
                };
            let thread = match contact_seq {
                Some(seq) => db::sends::thread_ids(conn, campaign.seq, seq)?,
                None => Vec::new(),
            };
            // The email a threaded follow-up replies to: the last earlier one with a subject.
            let earlier = emails
                .iter()
                .take_while(|n| n.id != node.id)
                .filter_map(|n| match &n.kind {
                    NodeKind::Email(e) if !e.subject.trim().is_empty() => Some((&n.id, e)),
                    _ => None,
                })
                .last();
            let account = campaign
                .email_account
                .as_ref()
                .map(|(seq, _)| db::email_accounts::load_identity(conn, *seq))
                .transpose()?
                .flatten()
                .unwrap_or_else(|| ("sender@example.com".to_owned(), None));
            let sender = message::Sender {
                email: &account.0,
                display_name: account.1.as_deref(),
                public_url: &public_url,
                secret: &secret,
            };
            let templates = message::Templates::compile(&workflow)?;
            let input = message::RenderInput {
                campaign: &campaign,
                settings: &settings,
                node_id: &node.id,
                step,
                contact_id: &contact_id,
                email: &email,
                fields: &fields,
                custom_fields: &custom,
                tracking_opt_out: opt_out,
                token: "preview",
                previous_subject: None,
                thread: &thread,
                now: chrono::Utc::now(),
            };
            // A follow-up's "Re:" subject is the earlier email's subject as this contact got it
            // (or would get it), never the raw template.
            let previous = match earlier {
                None => Ok(None),
                Some((earlier_id, earlier_step)) => {
                    let sent = match contact_seq {
                        Some(seq) => db::sends::find(conn, campaign.seq, seq, earlier_id)?
                            .map(|send| send.subject),
                        None => None,
                    };
                    match sent {
                        Some(subject) => Ok(Some(subject)),
                        None => templates
                            .render(
                                &sender,
                                &message::RenderInput {
                                    node_id: earlier_id,
                                    step: earlier_step,
                                    ..input
                                },
                            )
                            .map(|rendered| Some(rendered.subject)),
                    }
                }
            };
            let number = workflow.email_number(&node.id).unwrap_or(1);
            let rendered = previous.and_then(|previous| {
                templates.render(
                    &sender,
                    &message::RenderInput {
                        previous_subject: previous.as_deref(),
                        ..input
                    },
                )
            });
            let response = match rendered {
                Err(reason) => PreviewResponse {
                    node_id: node.id.clone(),
                    email_number: number,
                    contact_id: query.contact_id.clone(),
                    sendable: false,
                    reason: Some(reason),
                    subject: None,
                    html: None,
                    text: None,
                    headers: Vec::new(),
                },
                Ok(rendered) => {
                    let headers = message::build(&rendered)
                        .map(|m| message::header_lines(&m.formatted()))
                        .unwrap_or_default();
                    PreviewResponse {
                        node_id: node.id.clone(),
                        email_number: number,
                        contact_id: query.contact_id.clone(),
                        sendable: true,
                        reason: None,
                        subject: Some(rendered.subject),
                        html: Some(rendered.html),
                        text: Some(rendered.text),
                        headers: headers
                            .into_iter()
                            .map(|(name, value)| HeaderDto { name, value })
                            .collect(),
                    }
                }
            };
            Ok(response)
        })
        .await?;
    Ok(envelope::ok(response))
}

/// Query of the forecast.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ForecastQuery {
    /// Most planned messages returned (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// One planned message.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastItem {
    /// Contact.
    pub contact_id: String,
    /// Its email.
    pub email: String,
    /// Email node.
    pub node_id: String,
    /// Its position among the workflow's emails.
    pub email_number: u32,
    /// When it is planned to go out.
    #[schema(format = DateTime)]
    pub scheduled_at: String,
}

/// The plan.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"generatedAt": "2025-01-15T10:30:00Z", "assumptions": "…", "items": [{"contactId": "con_8fK2mQ9xLp3vR7tY1wZa", "email": "ada@example.com", "nodeId": "node_2", "emailNumber": 1, "scheduledAt": "2025-01-15T11:00:00Z"}], "truncated": false}))]
pub struct ForecastResponse {
    /// When the plan was made.
    #[schema(format = DateTime)]
    pub generated_at: String,
    /// What the plan assumes.
    pub assumptions: String,
    /// Planned messages in time order.
    pub items: Vec<ForecastItem>,
    /// Whether more messages are planned than `limit`.
    pub truncated: bool,
}

/// Who gets which email when, under the campaign's windows and limits.
#[utoipa::path(get, path = "/v1/campaigns/{id}/forecast", tag = "Campaigns", operation_id = "forecastCampaign",
    params(("id" = String, Path, pattern = "^cmp_[A-Za-z0-9]{20}$", description = "Campaign id"), ForecastQuery),
    responses(
        (status = 200, description = "The planned messages.", body = Envelope<ForecastResponse>),
        (status = 409, description = "The campaign has no workflow yet (`CONFLICT`).", body = crate::api::envelope::ErrorEnvelope),
    ))]
pub async fn forecast(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    query: web::Query<ForecastQuery>,
) -> ApiResult<HttpResponse> {
    let id = campaign_id(&path)?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(crate::api::error::ApiError::invalid(
            "limit",
            "limit must be between 1 and 1000",
        ));
    }
    let now = chrono::Utc::now();
    let plan = state
        .read(tenant.check(), move |conn| {
            let campaign = db::campaigns::require(conn, &tenant.0, &id)?;
            let workflow = stored_workflow(&campaign)?;
            forecast::plan(conn, &campaign, &workflow, now, limit as usize)
        })
        .await?;
    Ok(envelope::ok(ForecastResponse {
        generated_at: crate::domain::time::format(now),
        assumptions: forecast::ASSUMPTIONS.to_owned(),
        truncated: plan.truncated,
        items: plan
            .items
            .into_iter()
            .map(|item| ForecastItem {
                contact_id: item.contact_id,
                email: item.email,
                node_id: item.node_id,
                email_number: item.email_number,
                scheduled_at: crate::domain::time::format(item.at),
            })
            .collect(),
    }))
}
