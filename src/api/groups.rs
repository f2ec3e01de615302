//! `/v1/groups`: CRUD and members.

use crate::api::contacts::dto::ContactResponse;
use crate::api::contacts::query::{self as contact_query, ContactSortDto, OrderDto};
use crate::api::envelope::{self, Envelope, ListEnvelope};
use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::Tenant;
use crate::api::AppState;
use crate::db;
use crate::db::groups::{GroupFilter, MembershipOutcome};
use crate::domain::contact::{ContactFilter, GroupSelector};
use crate::domain::group::{parse_color, Group, GroupChanges, GroupSortField, GroupType, NewGroup};
use crate::domain::ids::GroupId;
use crate::domain::listing::PageRequest;
use crate::domain::text;
use crate::error::Error;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Most contact ids one membership request may carry.
const MAX_MEMBER_IDS: usize = 1000;

/// Static or dynamic.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GroupTypeDto {
    /// A plain list.
    Static,
    /// Members added later are enrolled at once in the active campaigns given this group.
    Dynamic,
}

impl From<GroupTypeDto> for GroupType {
    fn from(value: GroupTypeDto) -> Self {
        match value {
            GroupTypeDto::Static => Self::Static,
            GroupTypeDto::Dynamic => Self::Dynamic,
        }
    }
}

impl From<GroupType> for GroupTypeDto {
    fn from(value: GroupType) -> Self {
        match value {
            GroupType::Static => Self::Static,
            GroupType::Dynamic => Self::Dynamic,
        }
    }
}

/// A group.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"id": "grp_Q2w3E4r5T6y7U8i9O0pA", "name": "Leads", "description": "Inbound leads", "type": "static", "color": "#3b82f6", "contactCount": 42, "createdAt": "2025-01-15T10:30:00Z", "updatedAt": "2025-01-15T10:30:00Z"}))]
pub struct GroupResponse {
    /// Group id (`grp_…`).
    pub id: String,
    /// Name, unique in the workspace (case-insensitive).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Type.
    #[serde(rename = "type")]
    pub group_type: GroupTypeDto,
    /// Color `#rrggbb`.
    pub color: Option<String>,
    /// Number of members.
    pub contact_count: u64,
    /// Creation time.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Last change.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Group> for GroupResponse {
    fn from(group: Group) -> Self {
        Self {
            id: group.id.to_string(),
            name: group.name,
            description: group.description,
            group_type: group.group_type.into(),
            color: group.color,
            contact_count: group.contact_count,
            created_at: group.created_at,
            updated_at: group.updated_at,
        }
    }
}

/// Body of `POST /v1/groups`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"name": "Leads", "description": "Inbound leads", "type": "static", "color": "#3b82f6"}))]
pub struct CreateGroupRequest {
    /// Name (unique in the workspace, case-insensitive).
    #[schema(
        max_length = 255,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// Description.
    #[schema(max_length = 1000, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub description: Option<String>,
    /// Type (default `static`).
    #[serde(rename = "type")]
    pub group_type: Option<GroupTypeDto>,
    /// Color `#rgb` or `#rrggbb`.
    #[schema(pattern = "^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")]
    pub color: Option<String>,
}

/// Body of `PUT /v1/groups/{id}`: only given fields change; `null` clears description or color.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"name": "Warm leads", "description": null, "color": "#22c55e"}))]
pub struct UpdateGroupRequest {
    /// New name.
    #[schema(
        max_length = 255,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: Option<String>,
    /// New description.
    #[serde(default, deserialize_with = "crate::api::contacts::dto::double_option")]
    #[schema(value_type = Option<String>, max_length = 1000, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub description: Option<Option<String>>,
    /// New type.
    #[serde(rename = "type")]
    pub group_type: Option<GroupTypeDto>,
    /// New color.
    #[serde(default, deserialize_with = "crate::api::contacts::dto::double_option")]
    #[schema(value_type = Option<String>, pattern = "^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")]
    pub color: Option<Option<String>>,
}

/// `{"contactIds": [...]}`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"contactIds": ["con_8fK2mQ9xLp3vR7tY1wZa"]}))]
pub struct ContactIdsRequest {
    /// Contact ids (`con_…`), 1 to 1000.
    #[schema(min_items = 1, max_items = 1000)]
    pub contact_ids: Vec<String>,
}

/// A contact id that was not changed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberErrorDto {
    /// The id as given.
    pub contact_id: String,
    /// Error code.
    pub code: String,
    /// Why.
    pub message: String,
}

/// Result of adding members.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"added": 2, "skipped": 1, "errors": [{"contactId": "con_0000000000000000000x", "code": "NOT_FOUND", "message": "Contact not found"}]}))]
pub struct AddMembersResponse {
    /// Contacts added.
    pub added: u64,
    /// Contacts already in the group.
    pub skipped: u64,
    /// Unknown contact ids.
    pub errors: Vec<MemberErrorDto>,
}

/// Result of removing members.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"removed": 2, "skipped": 0, "errors": []}))]
pub struct RemoveMembersResponse {
    /// Contacts removed.
    pub removed: u64,
    /// Contacts that were not in the group.
    pub skipped: u64,
    /// Unknown contact ids.
    pub errors: Vec<MemberErrorDto>,
}

/// Fields groups can be sorted by.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum GroupSortDto {
    /// Creation time (default).
    CreatedAt,
    /// Last change.
    UpdatedAt,
    /// Name.
    Name,
    /// Member count.
    ContactCount,
}

/// Query of `GET /v1/groups`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct GroupListQuery {
    /// Page number (default 1).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    /// Items per page (default 20, at most 100).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
    /// Sort field (default `createdAt`).
    pub sort: Option<GroupSortDto>,
    /// Sort order (default `desc`).
    pub order: Option<OrderDto>,
    /// Name contains (case-insensitive).
    #[param(max_length = 255)]
    pub name: Option<String>,
    /// Type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub group_type: Option<GroupTypeDto>,
}

/// Query of `GET /v1/groups/{id}/contacts`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct MemberListQuery {
    /// Page number (default 1).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    /// Items per page (default 20, at most 100).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
    /// Sort field (default `createdAt`).
    pub sort: Option<ContactSortDto>,
    /// Sort order (default `desc`).
    pub order: Option<OrderDto>,
}

fn group_id(raw: &str) -> ApiResult<GroupId> {
    GroupId::parse(raw).ok_or(ApiError::Domain(Error::NotFound("Group")))
}

fn name(raw: &str) -> Result<String, Error> {
    text::single_line("name", raw, 255)
        .map_err(|message| Error::invalid("name", message))?
        .ok_or_else(|| Error::invalid("name", "name is required"))
}

fn description(raw: Option<String>) -> Result<Option<String>, Error> {
    raw.map_or(Ok(None), |raw| {
        text::single_line("description", &raw, 1000)
            .map_err(|message| Error::invalid("description", message))
    })
}

fn color(raw: Option<String>) -> Result<Option<String>, Error> {
    raw.map(|raw| parse_color(&raw).map_err(|message| Error::invalid("color", message)))
        .transpose()
}

fn now() -> String {
    crate::domain::time::format(chrono::Utc::now())
}

/// List groups.
#[utoipa::path(get, path = "/v1/groups", tag = "Groups", operation_id = "listGroups",
    params(GroupListQuery),
    responses((status = 200, description = "A page of groups.", body = ListEnvelope<GroupResponse>)))]
pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    query: web::Query<GroupListQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let page = PageRequest::parse(query.page, query.per_page)?;
    let field = match query.sort {
        None | Some(GroupSortDto::CreatedAt) => GroupSortField::CreatedAt,
        Some(GroupSortDto::UpdatedAt) => GroupSortField::UpdatedAt,
        Some(GroupSortDto::Name) => GroupSortField::Name,
        Some(GroupSortDto::ContactCount) => GroupSortField::ContactCount,
    };
    let order = query.order.map(Into::into).unwrap_or_default();
    if query.name.as_ref().is_some_and(|n| n.chars().count() > 255) {
        return Err(ApiError::invalid(
            "name",
            "name must be at most 255 characters",
        ));
    }
    let filter = GroupFilter {
        name_contains: query
            .name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty()),
        group_type: query.group_type.map(Into::into),
    };
    let result = state
        .read(tenant.check(), move |conn| {
            db::groups::list(conn, &tenant.0, &filter, (field, order), page)
        })
        .await?;
    Ok(envelope::page(result, page, GroupResponse::from))
}

/// Create a group; a name already used in the workspace is 409.
#[utoipa::path(post, path = "/v1/groups", tag = "Groups", operation_id = "createGroup",
    request_body = CreateGroupRequest,
    responses((status = 201, description = "The created group.", body = Envelope<GroupResponse>)))]
pub async fn create(
    state: web::Data<AppState>,
    tenant: Tenant,
    body: web::Json<CreateGroupRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let new = NewGroup {
        name: name(&body.name)?,
        description: description(body.description)?,
        group_type: body.group_type.map(Into::into).unwrap_or_default(),
        color: color(body.color)?,
    };
    let group = state
        .write(tenant.check(), move |conn| {
            let id = db::groups::insert(conn, &tenant.0, &new, &now())?;
            db::groups::require(conn, &tenant.0, &id)
        })
        .await?;
    Ok(envelope::created(GroupResponse::from(group)))
}

/// Get a group.
#[utoipa::path(get, path = "/v1/groups/{id}", tag = "Groups", operation_id = "getGroup",
    params(("id" = String, Path, pattern = "^grp_[A-Za-z0-9]{20}$", description = "Group id (`grp_…`)")),
    responses((status = 200, description = "The group.", body = Envelope<GroupResponse>)))]
pub async fn get(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = group_id(&path)?;
    let group = state
        .read(tenant.check(), move |conn| {
            db::groups::require(conn, &tenant.0, &id)
        })
        .await?;
    Ok(envelope::ok(GroupResponse::from(group)))
}

/// Update a group (partial).
#[utoipa::path(put, path = "/v1/groups/{id}", tag = "Groups", operation_id = "updateGroup",
    params(("id" = String, Path, pattern = "^grp_[A-Za-z0-9]{20}$", description = "Group id")),
    request_body = UpdateGroupRequest,
    responses((status = 200, description = "The updated group.", body = Envelope<GroupResponse>)))]
pub async fn update(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    body: web::Json<UpdateGroupRequest>,
) -> ApiResult<HttpResponse> {
    let id = group_id(&path)?;
    let body = body.into_inner();
    let changes = GroupChanges {
        name: body.name.as_deref().map(name).transpose()?,
        description: body.description.map(description).transpose()?,
        group_type: body.group_type.map(Into::into),
        color: body.color.map(color).transpose()?,
    };
    let group = state
        .write(tenant.check(), move |conn| {
            db::groups::update(conn, &tenant.0, &id, &changes, &now())?;
            db::groups::require(conn, &tenant.0, &id)
        })
        .await?;
    Ok(envelope::ok(GroupResponse::from(group)))
}

/// Delete a group; its contacts are kept.
#[utoipa::path(delete, path = "/v1/groups/{id}", tag = "Groups", operation_id = "deleteGroup",
    params(("id" = String, Path, pattern = "^grp_[A-Za-z0-9]{20}$", description = "Group id")),
    responses((status = 200, description = "Deleted.", body = Envelope<crate::api::contacts::dto::DeletedResponse>)))]
pub async fn delete(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = group_id(&path)?;
    let deleted = id.to_string();
    state
        .write(tenant.check(), move |conn| {
            db::groups::delete(conn, &tenant.0, &id)
        })
        .await?;
    Ok(envelope::ok(crate::api::contacts::dto::DeletedResponse {
        id: deleted,
        deleted: true,
    }))
}

async fn change_members(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    body: ContactIdsRequest,
    add: bool,
) -> ApiResult<MembershipOutcome> {
    let id = group_id(&path)?;
    if body.contact_ids.is_empty() || body.contact_ids.len() > MAX_MEMBER_IDS {
        return Err(ApiError::invalid(
            "contactIds",
            format!("contactIds must hold 1 to {MAX_MEMBER_IDS} ids"),
        ));
    }
    let ids = body.contact_ids;
    Ok(state
        .write(tenant.check(), move |conn| {
            db::groups::change_members(conn, &tenant.0, &id, &ids, add, &now())
        })
        .await?)
}

fn member_errors(outcome: &mut MembershipOutcome) -> Vec<MemberErrorDto> {
    outcome
        .errors
        .drain(..)
        .map(|error| MemberErrorDto {
            contact_id: error.contact_id,
            code: error.code.to_owned(),
            message: error.message,
        })
        .collect()
}

/// Add contacts to the group (idempotent: members already in are skipped).
#[utoipa::path(post, path = "/v1/groups/{id}/contacts", tag = "Groups", operation_id = "addGroupContacts",
    params(("id" = String, Path, pattern = "^grp_[A-Za-z0-9]{20}$", description = "Group id")),
    request_body = ContactIdsRequest,
    responses((status = 200, description = "Counts and unknown ids.", body = Envelope<AddMembersResponse>)))]
pub async fn add_members(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    body: web::Json<ContactIdsRequest>,
) -> ApiResult<HttpResponse> {
    let mut outcome = change_members(state, tenant, path, body.into_inner(), true).await?;
    let errors = member_errors(&mut outcome);
    Ok(envelope::ok(AddMembersResponse {
        added: outcome.changed,
        skipped: outcome.skipped,
        errors,
    }))
}

/// Remove contacts from the group (idempotent); the contacts themselves are kept.
#[utoipa::path(delete, path = "/v1/groups/{id}/contacts", tag = "Groups", operation_id = "removeGroupContacts",
    params(("id" = String, Path, pattern = "^grp_[A-Za-z0-9]{20}$", description = "Group id")),
    request_body = ContactIdsRequest,
    responses((status = 200, description = "Counts and unknown ids.", body = Envelope<RemoveMembersResponse>)))]
pub async fn remove_members(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    body: web::Json<ContactIdsRequest>,
) -> ApiResult<HttpResponse> {
    let mut outcome = change_members(state, tenant, path, body.into_inner(), false).await?;
    let errors = member_errors(&mut outcome);
    Ok(envelope::ok(RemoveMembersResponse {
        removed: outcome.changed,
        skipped: outcome.skipped,
        errors,
    }))
}

/// List the group's contacts.
#[utoipa::path(get, path = "/v1/groups/{id}/contacts", tag = "Groups", operation_id = "listGroupContacts",
    params(("id" = String, Path, pattern = "^grp_[A-Za-z0-9]{20}$", description = "Group id"), MemberListQuery),
    responses((status = 200, description = "A page of the group's contacts.", body = ListEnvelope<ContactResponse>)))]
pub async fn members(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    query: web::Query<MemberListQuery>,
) -> ApiResult<HttpResponse> {
    let id = group_id(&path)?;
    let query = query.into_inner();
    let page = PageRequest::parse(query.page, query.per_page)?;
    let sort = contact_query::sort(query.sort, query.order);
    let result = state
        .read(tenant.check(), move |conn| {
            db::groups::require(conn, &tenant.0, &id)?;
            let filter = ContactFilter {
                group: Some(GroupSelector::Id(id.to_string())),
                ..ContactFilter::default()
            };
            db::contacts::list(conn, &tenant.0, &filter, sort, page)
        })
        .await?;
    Ok(envelope::page(result, page, ContactResponse::from))
}
