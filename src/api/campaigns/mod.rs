//! `/v1/campaigns`: CRUD, the status actions (start, pause, resume, archive) and enrolment.

pub mod contacts;
pub mod dto;
pub mod preview;

use crate::api::envelope::{self, Envelope, ListEnvelope};
use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::Tenant;
use crate::api::AppState;
use crate::db;
use crate::db::campaigns::{CampaignChanges, CampaignFilter, CampaignRecord, CampaignSortField};
use crate::domain::campaign::{CampaignAction, CampaignSettings, SettingsInput, Transition};
use crate::domain::ids::{CampaignId, EmailAccountId, WorkspaceId};
use crate::domain::listing::PageRequest;
use crate::domain::text;
use crate::domain::workflow::Workflow;
use crate::error::Error;
use actix_web::{web, HttpResponse};
use dto::*;
use rusqlite::Connection;
use serde_json::{json, Value};

fn campaign_id(raw: &str) -> ApiResult<CampaignId> {
    CampaignId::parse(raw).ok_or(ApiError::Domain(Error::NotFound("Campaign")))
}

fn now() -> String {
    crate::domain::time::format(chrono::Utc::now())
}

fn name(raw: &str) -> Result<String, Error> {
    text::single_line("name", raw, 255)
        .map_err(|message| Error::invalid("name", message))?
        .ok_or_else(|| Error::invalid("name", "name is required"))
}

fn description(raw: Option<String>) -> Result<Option<String>, Error> {
    match raw {
        Some(raw) if raw.chars().count() > 2000 => Err(Error::invalid(
            "description",
            "description must be at most 2000 characters",
        )),
        Some(raw) if raw.trim().is_empty() => Ok(None),
        other => Ok(other),
    }
}

/// Settings from a request, merged over `base`.
pub fn settings(base: &CampaignSettings, raw: Value) -> Result<CampaignSettings, Error> {
    let input = SettingsInput::from_value(&raw).map_err(|error| Error::Validation {
        message: error.message.clone(),
        details: Some(json!({ "field": error.field })),
    })?;
    base.apply(input).map_err(|error| Error::Validation {
        message: error.message.clone(),
        details: Some(json!({ "field": error.field })),
    })
}

/// A workflow from a request (or the database), validated.
pub fn workflow(raw: &Value) -> Result<Workflow, Error> {
    Workflow::parse(raw).map_err(|error| Error::Validation {
        message: error.message.clone(),
        details: Some(json!({ "field": error.field, "nodeId": error.node_id })),
    })
}

fn account_seq(conn: &Connection, workspace_id: &WorkspaceId, raw: &str) -> Result<i64, Error> {
    let unknown = || Error::UnknownReference {
        message: format!("Email account {raw} does not exist"),
        details: Some(json!({ "field": "emailAccountId", "id": raw })),
    };
    let id = EmailAccountId::parse(raw).ok_or_else(unknown)?;
    db::campaigns::account_seq(conn, workspace_id, &id)?.ok_or_else(unknown)
}

fn group_seqs(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    raw: &[String],
    field: &str,
) -> Result<Vec<i64>, Error> {
    let ids = crate::api::contacts::dto::group_ids(raw).map_err(|_| Error::UnknownReference {
        message: format!("{field} must hold existing group ids"),
        details: Some(json!({ "field": field })),
    })?;
    db::groups::resolve_seqs(conn, workspace_id, &ids, field)
}

/// A stored campaign with its counters, as the API shows it.
pub fn respond(conn: &Connection, campaign: CampaignRecord) -> Result<CampaignResponse, Error> {
    let counters = db::campaign_stats::campaign_counts(conn, campaign.seq)?;
    Ok(CampaignResponse::new(campaign, counters))
}

/// List campaigns.
#[utoipa::path(get, path = "/v1/campaigns", tag = "Campaigns", operation_id = "listCampaigns",
    params(CampaignListQuery),
    responses((status = 200, description = "A page of campaigns.", body = ListEnvelope<CampaignResponse>)))]
pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    query: web::Query<CampaignListQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let page = PageRequest::parse(query.page, query.per_page)?;
    let field = match query.sort {
        None | Some(CampaignSortDto::CreatedAt) => CampaignSortField::CreatedAt,
        Some(CampaignSortDto::UpdatedAt) => CampaignSortField::UpdatedAt,
        Some(CampaignSortDto::Name) => CampaignSortField::Name,
    };
    let order = query.order.map(Into::into).unwrap_or_default();
    if query.name.as_ref().is_some_and(|n| n.chars().count() > 255) {
        return Err(ApiError::invalid(
            "name",
            "name must be at most 255 characters",
        ));
    }
    let filter = CampaignFilter {
        status: query.status.map(Into::into),
        name_contains: query
            .name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty()),
    };
    let (page_result, responses) = state
        .read(tenant.check(), move |conn| {
            let result = db::campaigns::list(conn, &tenant.0, &filter, (field, order), page)?;
            let total = result.total;
            let items = result
                .items
                .into_iter()
                .map(|campaign| respond(conn, campaign))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((total, items))
        })
        .await?;
    Ok(envelope::page(
        crate::domain::listing::Page {
            items: responses,
            total: page_result,
        },
        page,
        |item| item,
    ))
}

/// Create a draft campaign; members of `groupIds` are enrolled at once.
#[utoipa::path(post, path = "/v1/campaigns", tag = "Campaigns", operation_id = "createCampaign",
    request_body = CreateCampaignRequest,
    responses(
        (status = 201, description = "The created campaign.", body = Envelope<CampaignResponse>),
        (status = 404, description = "The email account or a group named in the body does not exist (`NOT_FOUND`).", body = crate::api::envelope::ErrorEnvelope),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    tenant: Tenant,
    body: web::Json<CreateCampaignRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let name = name(&body.name)?;
    let description = description(body.description)?;
    let settings = match body.settings {
        Some(raw) => settings(&CampaignSettings::default(), raw)?,
        None => CampaignSettings::default(),
    };
    let workflow = match body.workflow {
        Some(Value::Null) | None => None,
        Some(raw) => Some(workflow(&raw)?.to_json().to_string()),
    };
    let campaign = state
        .write(tenant.check(), move |conn| {
            let new = db::campaigns::NewCampaign {
                name,
                description,
                email_account_seq: Some(account_seq(conn, &tenant.0, &body.email_account_id)?),
                settings: settings.to_json(),
                workflow,
                group_seqs: group_seqs(
                    conn,
                    &tenant.0,
                    body.group_ids.as_deref().unwrap_or_default(),
                    "groupIds",
                )?,
            };
            let id = db::campaigns::insert(conn, &tenant.0, &new, &now())?;
            respond(conn, db::campaigns::require(conn, &tenant.0, &id)?)
        })
        .await?;
    Ok(envelope::created(campaign))
}

/// Get a campaign.
#[utoipa::path(get, path = "/v1/campaigns/{id}", tag = "Campaigns", operation_id = "getCampaign",
    params(("id" = String, Path, pattern = "^cmp_[A-Za-z0-9]{20}$", description = "Campaign id (`cmp_…`)")),
    responses((status = 200, description = "The campaign.", body = Envelope<CampaignResponse>)))]
pub async fn get(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = campaign_id(&path)?;
    let campaign = state
        .read(tenant.check(), move |conn| {
            respond(conn, db::campaigns::require(conn, &tenant.0, &id)?)
        })
        .await?;
    Ok(envelope::ok(campaign))
}

/// Update a draft or paused campaign (409 otherwise).
#[utoipa::path(put, path = "/v1/campaigns/{id}", tag = "Campaigns", operation_id = "updateCampaign",
    params(("id" = String, Path, pattern = "^cmp_[A-Za-z0-9]{20}$", description = "Campaign id")),
    request_body = UpdateCampaignRequest,
    responses(
        (status = 200, description = "The updated campaign.", body = Envelope<CampaignResponse>),
        (status = 404, description = "No such campaign, or the email account or a group named in the body does not exist (`NOT_FOUND`).", body = crate::api::envelope::ErrorEnvelope),
    ))]
pub async fn update(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    body: web::Json<UpdateCampaignRequest>,
) -> ApiResult<HttpResponse> {
    let id = campaign_id(&path)?;
    let body = body.into_inner();
    let name = body.name.as_deref().map(name).transpose()?;
    let description = body.description.map(description).transpose()?;
    let workflow = match body.workflow {
        None => None,
        Some(raw) => Some(workflow(&raw)?.to_json().to_string()),
    };
    let campaign = state
        .write(tenant.check(), move |conn| {
            let campaign = db::campaigns::require(conn, &tenant.0, &id)?;
            let settings = match body.settings {
                None => None,
                Some(raw) => {
                    let base = CampaignSettings::from_json(&campaign.settings)
                        .map_err(|e| Error::Internal(anyhow::anyhow!("stored settings: {e}")))?;
                    Some(settings(&base, raw)?.to_json())
                }
            };
            let changes = CampaignChanges {
                name,
                description,
                email_account_seq: body
                    .email_account_id
                    .as_deref()
                    .map(|raw| account_seq(conn, &tenant.0, raw))
                    .transpose()?,
                settings,
                workflow,
                group_seqs: body
                    .group_ids
                    .as_deref()
                    .map(|raw| group_seqs(conn, &tenant.0, raw, "groupIds"))
                    .transpose()?,
            };
            db::campaigns::update(conn, &campaign, &changes, &now())?;
            respond(conn, db::campaigns::require(conn, &tenant.0, &id)?)
        })
        .await?;
    Ok(envelope::ok(campaign))
}

/// Delete a campaign with its history (an active campaign must be paused first).
#[utoipa::path(delete, path = "/v1/campaigns/{id}", tag = "Campaigns", operation_id = "deleteCampaign",
    params(("id" = String, Path, pattern = "^cmp_[A-Za-z0-9]{20}$", description = "Campaign id")),
    responses(
        (status = 200, description = "Deleted.", body = Envelope<crate::api::contacts::dto::DeletedResponse>),
        (status = 409, description = "The campaign is active: pause it first (`CONFLICT`).", body = crate::api::envelope::ErrorEnvelope),
    ))]
pub async fn delete(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = campaign_id(&path)?;
    let deleted = id.to_string();
    state
        .write(tenant.check(), move |conn| {
            let campaign = db::campaigns::require(conn, &tenant.0, &id)?;
            db::campaigns::delete(conn, &campaign)
        })
        .await?;
    Ok(envelope::ok(crate::api::contacts::dto::DeletedResponse {
        id: deleted,
        deleted: true,
    }))
}

/// Why a campaign cannot start, naming everything that is missing.
fn check_startable(conn: &Connection, campaign: &CampaignRecord) -> Result<(), Error> {
    let mut missing = Vec::new();
    match campaign.workflow.as_deref() {
        None => missing.push("workflow"),
        Some(raw) => {
            let value: Value = serde_json::from_str(raw)?;
            workflow(&value)?;
        }
    }
    if campaign.email_account.is_none() {
        missing.push("emailAccountId");
    }
    if db::campaigns::enrolment::count(conn, campaign.seq)? == 0 {
        missing.push("contacts");
    }
    if missing.is_empty() {
        return Ok(());
    }
    let words: Vec<&str> = missing
        .iter()
        .map(|m| match *m {
            "workflow" => "a workflow",
            "emailAccountId" => "an email account",
            _ => "at least one contact",
        })
        .collect();
    Err(Error::Validation {
        message: format!("The campaign cannot start: it needs {}", words.join(", ")),
        details: Some(json!({ "field": missing[0], "missing": missing })),
    })
}

async fn act(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    action: CampaignAction,
) -> ApiResult<HttpResponse> {
    let id = campaign_id(&path)?;
    let campaign = state
        .write(tenant.check(), move |conn| {
            let campaign = db::campaigns::require(conn, &tenant.0, &id)?;
            match campaign.status.transition(action) {
                Err(error) => {
                    return Err(Error::Conflict {
                        message: error.to_string(),
                        details: Some(json!({ "status": campaign.status.as_str() })),
                    })
                }
                Ok(Transition::Unchanged) => {}
                Ok(Transition::Changed(next)) => {
                    if action == CampaignAction::Start {
                        check_startable(conn, &campaign)?;
                    }
                    db::campaigns::set_status(conn, campaign.seq, next, &now())?;
                    let event = match action {
                        CampaignAction::Start | CampaignAction::Resume => Some("campaign.started"),
                        CampaignAction::Pause => Some("campaign.paused"),
                        _ => None,
                    };
                    if let Some(event) = event {
                        crate::webhooks::events::campaign(
                            conn,
                            campaign.seq,
                            event,
                            chrono::Utc::now(),
                        )?;
                    }
                }
            }
            respond(conn, db::campaigns::require(conn, &tenant.0, &id)?)
        })
        .await?;
    if campaign.status == CampaignStatusDto::Active {
        state.sender.wake();
    }
    Ok(envelope::ok(campaign))
}

/// Start a draft campaign (a no-op on an active one).
#[utoipa::path(post, path = "/v1/campaigns/{id}/start", tag = "Campaigns", operation_id = "startCampaign",
    params(("id" = String, Path, pattern = "^cmp_[A-Za-z0-9]{20}$", description = "Campaign id")),
    responses((status = 200, description = "The campaign, now active.", body = Envelope<CampaignResponse>)))]
pub async fn start(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    act(state, tenant, path, CampaignAction::Start).await
}

/// Pause an active campaign: no further message is claimed for sending.
#[utoipa::path(post, path = "/v1/campaigns/{id}/pause", tag = "Campaigns", operation_id = "pauseCampaign",
    params(("id" = String, Path, pattern = "^cmp_[A-Za-z0-9]{20}$", description = "Campaign id")),
    responses((status = 200, description = "The campaign, now paused.", body = Envelope<CampaignResponse>)))]
pub async fn pause(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    act(state, tenant, path, CampaignAction::Pause).await
}

/// Resume a paused campaign; steps already sent are never sent again.
#[utoipa::path(post, path = "/v1/campaigns/{id}/resume", tag = "Campaigns", operation_id = "resumeCampaign",
    params(("id" = String, Path, pattern = "^cmp_[A-Za-z0-9]{20}$", description = "Campaign id")),
    responses((status = 200, description = "The campaign, active again.", body = Envelope<CampaignResponse>)))]
pub async fn resume(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    act(state, tenant, path, CampaignAction::Resume).await
}

/// Archive a completed or paused campaign.
#[utoipa::path(post, path = "/v1/campaigns/{id}/archive", tag = "Campaigns", operation_id = "archiveCampaign",
    params(("id" = String, Path, pattern = "^cmp_[A-Za-z0-9]{20}$", description = "Campaign id")),
    responses((status = 200, description = "The campaign, now archived.", body = Envelope<CampaignResponse>)))]
pub async fn archive(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    act(state, tenant, path, CampaignAction::Archive).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::campaign::CampaignStatus;

    #[test]
    fn an_over_long_description_is_refused() {
        assert!(description(Some("x".repeat(2001))).is_err());
        assert_eq!(description(Some("  ".into())).unwrap(), None);
    }

    #[test]
    fn campaign_status_round_trips_through_the_dto() {
        for status in [
            CampaignStatus::Draft,
            CampaignStatus::Active,
            CampaignStatus::Paused,
            CampaignStatus::Completed,
            CampaignStatus::Archived,
        ] {
            let dto: CampaignStatusDto = status.into();
            assert_eq!(CampaignStatus::from(dto), status);
        }
    }
}
