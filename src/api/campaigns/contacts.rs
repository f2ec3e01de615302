//! `/v1/campaigns/{id}/contacts`: enrol (by ids, groups or filters), remove, list progress.

use super::dto::*;
use super::{campaign_id, group_seqs, now};
use crate::api::envelope::{self, Envelope, ListEnvelope};
use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::Tenant;
use crate::api::AppState;
use crate::db;
use crate::db::campaigns::enrolment;
use crate::domain::campaign::CampaignStatus;
use crate::domain::contact::ContactFilter;
use crate::domain::listing::PageRequest;
use crate::error::Error;
use actix_web::{web, HttpResponse};

/// Most contact ids one request may carry.
const MAX_IDS: usize = 1000;

/// Which contacts an enrolment request selects.
enum Selection {
    Ids(Vec<String>),
    Groups(Vec<String>, &'static str),
    Filter(Box<ContactFilter>),
}

fn selection(body: AddCampaignContactsRequest) -> Result<Selection, Error> {
    let given = [
        body.contact_ids.is_some(),
        body.group_ids.is_some(),
        body.group_id.is_some(),
        body.filters.is_some(),
    ]
    .iter()
    .filter(|given| **given)
    .count();
    if given != 1 {
        return Err(Error::invalid(
            "contactIds",
            "Give exactly one of contactIds, groupIds, groupId or filters",
        ));
    }
    if let Some(ids) = body.contact_ids {
        if ids.is_empty() || ids.len() > MAX_IDS {
            return Err(Error::invalid(
                "contactIds",
                format!("contactIds must hold 1 to {MAX_IDS} ids"),
            ));
        }
        return Ok(Selection::Ids(ids));
    }
    if let Some(ids) = body.group_ids {
        if ids.is_empty() {
            return Err(Error::invalid("groupIds", "groupIds must not be empty"));
        }
        return Ok(Selection::Groups(ids, "groupIds"));
    }
    if let Some(id) = body.group_id {
        return Ok(Selection::Groups(vec![id], "groupId"));
    }
    let mut filter = ContactFilter::default();
    if let Some(filters) = body.filters {
        crate::api::contacts::bulk::apply_filters(&mut filter, filters, "filters")?;
    }
    Ok(Selection::Filter(Box::new(filter)))
}

/// Enrol contacts; unsubscribed, bounced and blocked contacts are skipped with a reason.
#[utoipa::path(post, path = "/v1/campaigns/{id}/contacts", tag = "Campaigns", operation_id = "addCampaignContacts",
    params(("id" = String, Path, pattern = "^cmp_[A-Za-z0-9]{20}$", description = "Campaign id")),
    request_body = AddCampaignContactsRequest,
    responses((status = 200, description = "Counts, and the contacts left out with their reason.", body = Envelope<AddCampaignContactsResponse>)))]
pub async fn add(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    body: web::Json<AddCampaignContactsRequest>,
) -> ApiResult<HttpResponse> {
    let id = campaign_id(&path)?;
    let selection = selection(body.into_inner())?;
    let outcome = state
        .write(tenant.check(), move |conn| {
            let campaign = db::campaigns::require(conn, &tenant.0, &id)?;
            if matches!(
                campaign.status,
                CampaignStatus::Completed | CampaignStatus::Archived
            ) {
                return Err(Error::Conflict {
                    message: format!(
                        "Contacts cannot be added to a {} campaign",
                        campaign.status.as_str()
                    ),
                    details: Some(serde_json::json!({ "status": campaign.status.as_str() })),
                });
            }
            let now = now();
            match selection {
                Selection::Ids(ids) => {
                    enrolment::enrol_ids(conn, &tenant.0, campaign.seq, &ids, &now)
                }
                Selection::Groups(ids, field) => {
                    let groups = group_seqs(conn, &tenant.0, &ids, field)?;
                    enrolment::enrol_group_members(conn, campaign.seq, &groups, &now)
                }
                Selection::Filter(filter) => {
                    enrolment::enrol_matching(conn, &tenant.0, campaign.seq, &filter, &now)
                }
            }
        })
        .await?;
    state.sender.wake();
    Ok(envelope::ok(AddCampaignContactsResponse {
        added: outcome.added,
        skipped: outcome.skipped,
        errors: outcome.errors.into_iter().map(Into::into).collect(),
    }))
}

/// Remove contacts from the campaign; what they were already sent stays in the statistics.
#[utoipa::path(delete, path = "/v1/campaigns/{id}/contacts", tag = "Campaigns", operation_id = "removeCampaignContacts",
    params(("id" = String, Path, pattern = "^cmp_[A-Za-z0-9]{20}$", description = "Campaign id")),
    request_body = RemoveCampaignContactsRequest,
    responses((status = 200, description = "Counts and unknown ids.", body = Envelope<RemoveCampaignContactsResponse>)))]
pub async fn remove(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    body: web::Json<RemoveCampaignContactsRequest>,
) -> ApiResult<HttpResponse> {
    let id = campaign_id(&path)?;
    let ids = body.into_inner().contact_ids;
    if ids.is_empty() || ids.len() > MAX_IDS {
        return Err(ApiError::invalid(
            "contactIds",
            format!("contactIds must hold 1 to {MAX_IDS} ids"),
        ));
    }
    let outcome = state
        .write(tenant.check(), move |conn| {
            let campaign = db::campaigns::require(conn, &tenant.0, &id)?;
            enrolment::remove_ids(conn, &tenant.0, campaign.seq, &ids)
        })
        .await?;
    Ok(envelope::ok(RemoveCampaignContactsResponse {
        removed: outcome.removed,
        skipped: outcome.skipped,
        errors: outcome.errors.into_iter().map(Into::into).collect(),
    }))
}

/// Each enrolled contact's progress through the workflow.
#[utoipa::path(get, path = "/v1/campaigns/{id}/contacts", tag = "Campaigns", operation_id = "listCampaignContacts",
    params(("id" = String, Path, pattern = "^cmp_[A-Za-z0-9]{20}$", description = "Campaign id"), CampaignContactsQuery),
    responses((status = 200, description = "A page of enrolled contacts.", body = ListEnvelope<CampaignContactResponse>)))]
pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    query: web::Query<CampaignContactsQuery>,
) -> ApiResult<HttpResponse> {
    let id = campaign_id(&path)?;
    let query = query.into_inner();
    let page = PageRequest::parse(query.page, query.per_page)?;
    let status = query.status.map(EnrolmentStatusDto::as_str);
    let result = state
        .read(tenant.check(), move |conn| {
            let campaign = db::campaigns::require(conn, &tenant.0, &id)?;
            enrolment::list(conn, campaign.seq, status, page)
        })
        .await?;
    Ok(envelope::page(result, page, CampaignContactResponse::from))
}
