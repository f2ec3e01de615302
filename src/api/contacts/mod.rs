//! `/v1/contacts`: CRUD, memberships and tags; bulk and search in `bulk`, CSV in `csv`.

pub mod bulk;
pub mod csv;
pub mod dto;
pub mod query;

use crate::api::envelope::{self, Envelope, ErrorEnvelope, ListEnvelope};
use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::Tenant;
use crate::api::AppState;
use crate::db;
use crate::domain::contact::{Contact, ContactChanges, NewContact};
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::listing::PageRequest;
use crate::domain::time;
use crate::error::Error;
use crate::webhooks::outbox;
use actix_web::{web, HttpResponse};
use dto::{
    ContactResponse, CreateContactRequest, DeletedResponse, GroupIdsRequest, TagsRequest,
    UpdateContactRequest,
};
use query::ContactListQuery;
use rusqlite::Connection;
use serde_json::json;

fn now() -> String {
    time::format(chrono::Utc::now())
}

/// Emits a `contact.*` webhook event whose `data.contact` is the contact as this API shows it.
/// Call it inside the transaction of the change.
pub fn emit_contact(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    event_type: &str,
    contact: &Contact,
) -> Result<(), Error> {
    if !outbox::is_subscribed(conn, workspace_id, event_type)? {
        return Ok(());
    }
    let data = json!({ "contact": ContactResponse::from(contact.clone()) });
    outbox::emit(conn, workspace_id, event_type, &data, chrono::Utc::now())?;
    Ok(())
}

/// [`emit_contact`] for each of these contacts (bulk writes and imports); reads them only when
/// a webhook listens.
pub fn emit_contacts(
    conn: &Connection,
    workspace_id: &WorkspaceId,
    event_type: &str,
    ids: &[ContactId],
) -> Result<(), Error> {
    if ids.is_empty() || !outbox::is_subscribed(conn, workspace_id, event_type)? {
        return Ok(());
    }
    for id in ids {
        let contact = db::contacts::require(conn, workspace_id, id)?;
        emit_contact(conn, workspace_id, event_type, &contact)?;
    }
    Ok(())
}

/// Parses a path id; a malformed id is simply not found.
pub fn contact_id(raw: &str) -> ApiResult<ContactId> {
    ContactId::parse(raw).ok_or(ApiError::Domain(crate::error::Error::NotFound("Contact")))
}

/// List contacts with filters, sorting and pagination.
#[utoipa::path(get, path = "/v1/contacts", tag = "Contacts", operation_id = "listContacts",
    params(ContactListQuery),
    responses((status = 200, description = "A page of contacts.", body = ListEnvelope<ContactResponse>)))]
pub async fn list(
    state: web::Data<AppState>,
    tenant: Tenant,
    query: web::Query<ContactListQuery>,
) -> ApiResult<HttpResponse> {
    let mut query = query.into_inner();
    let page = PageRequest::parse(query.page, query.per_page)?;
    let sort = query::sort(query.sort, query.order);
    let filter = query.filter_params().into_filter()?;
    let result = state
        .read(tenant.check(), move |conn| {
            db::contacts::list(conn, &tenant.0, &filter, sort, page)
        })
        .await?;
    Ok(envelope::page(result, page, ContactResponse::from))
}

/// Get one contact.
#[utoipa::path(get, path = "/v1/contacts/{id}", tag = "Contacts", operation_id = "getContact",
    params(("id" = String, Path, pattern = "^con_[A-Za-z0-9]{20}$", description = "Contact id (`con_…`)")),
    responses((status = 200, description = "The contact.", body = Envelope<ContactResponse>)))]
pub async fn get(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = contact_id(&path)?;
    let contact = state
        .read(tenant.check(), move |conn| {
            db::contacts::require(conn, &tenant.0, &id)
        })
        .await?;
    Ok(envelope::ok(ContactResponse::from(contact)))
}

/// Create a contact; a duplicate email (case-insensitive) is 409 "Email already exists".
#[utoipa::path(post, path = "/v1/contacts", tag = "Contacts", operation_id = "createContact",
    request_body = CreateContactRequest,
    responses(
        (status = 201, description = "The created contact.", body = Envelope<ContactResponse>),
        (status = 404, description = "A group or pipeline stage named in the body does not exist (`NOT_FOUND`).", body = ErrorEnvelope),
        (status = 409, description = "Email already exists (`CONFLICT`), or an Idempotency-Key reused with another request.", body = ErrorEnvelope),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    tenant: Tenant,
    body: web::Json<CreateContactRequest>,
) -> ApiResult<HttpResponse> {
    let new = NewContact::try_from(body.into_inner())?;
    let contact = state
        .write(tenant.check(), move |conn| {
            let id = db::contacts::insert(conn, &tenant.0, &new, &now())?;
            let contact = db::contacts::require(conn, &tenant.0, &id)?;
            emit_contact(conn, &tenant.0, "contact.created", &contact)?;
            Ok(contact)
        })
        .await?;
    Ok(envelope::created(ContactResponse::from(contact)))
}

/// Update a contact: only the given fields change; `customFields` are merged per key.
#[utoipa::path(put, path = "/v1/contacts/{id}", tag = "Contacts", operation_id = "updateContact",
    params(("id" = String, Path, pattern = "^con_[A-Za-z0-9]{20}$", description = "Contact id")),
    request_body = UpdateContactRequest,
    responses((status = 200, description = "The updated contact.", body = Envelope<ContactResponse>)))]
pub async fn update(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    body: web::Json<UpdateContactRequest>,
) -> ApiResult<HttpResponse> {
    let id = contact_id(&path)?;
    let changes = ContactChanges::try_from(body.into_inner())?;
    let contact = state
        .write(tenant.check(), move |conn| {
            db::contacts::update(conn, &tenant.0, &id, &changes, &now())?;
            let contact = db::contacts::require(conn, &tenant.0, &id)?;
            emit_contact(conn, &tenant.0, "contact.updated", &contact)?;
            Ok(contact)
        })
        .await?;
    Ok(envelope::ok(ContactResponse::from(contact)))
}

/// Delete a contact; it leaves its groups, its send history stays for statistics.
#[utoipa::path(delete, path = "/v1/contacts/{id}", tag = "Contacts", operation_id = "deleteContact",
    params(("id" = String, Path, pattern = "^con_[A-Za-z0-9]{20}$", description = "Contact id")),
    responses((status = 200, description = "Deleted.", body = Envelope<DeletedResponse>)))]
pub async fn delete(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = contact_id(&path)?;
    let deleted = id.to_string();
    state
        .write(tenant.check(), move |conn| {
            if outbox::is_subscribed(conn, &tenant.0, "contact.deleted")? {
                // The payload shows the contact as it was before the deletion.
                let contact = db::contacts::require(conn, &tenant.0, &id)?;
                emit_contact(conn, &tenant.0, "contact.deleted", &contact)?;
            }
            db::contacts::delete(conn, &tenant.0, &id)
        })
        .await?;
    Ok(envelope::ok(DeletedResponse {
        id: deleted,
        deleted: true,
    }))
}

async fn change_groups(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    body: GroupIdsRequest,
    add: bool,
) -> ApiResult<HttpResponse> {
    let id = contact_id(&path)?;
    let groups = dto::group_ids(&body.group_ids)?;
    if groups.is_empty() {
        return Err(ApiError::invalid("groupIds", "groupIds must not be empty"));
    }
    let contact = state
        .write(tenant.check(), move |conn| {
            if add {
                db::contacts::add_groups(conn, &tenant.0, &id, &groups, &now())?;
            } else {
                db::contacts::remove_groups(conn, &tenant.0, &id, &groups, &now())?;
            }
            let contact = db::contacts::require(conn, &tenant.0, &id)?;
            emit_contact(conn, &tenant.0, "contact.updated", &contact)?;
            Ok(contact)
        })
        .await?;
    Ok(envelope::ok(ContactResponse::from(contact)))
}

/// Add the contact to groups (already a member is fine).
#[utoipa::path(post, path = "/v1/contacts/{id}/groups", tag = "Contacts", operation_id = "addContactToGroups",
    params(("id" = String, Path, pattern = "^con_[A-Za-z0-9]{20}$", description = "Contact id")),
    request_body = GroupIdsRequest,
    responses((status = 200, description = "The contact with its groups.", body = Envelope<ContactResponse>)))]
pub async fn add_groups(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    body: web::Json<GroupIdsRequest>,
) -> ApiResult<HttpResponse> {
    change_groups(state, tenant, path, body.into_inner(), true).await
}

/// Remove the contact from groups (not a member is fine).
#[utoipa::path(delete, path = "/v1/contacts/{id}/groups", tag = "Contacts", operation_id = "removeContactFromGroups",
    params(("id" = String, Path, pattern = "^con_[A-Za-z0-9]{20}$", description = "Contact id")),
    request_body = GroupIdsRequest,
    responses((status = 200, description = "The contact with its groups.", body = Envelope<ContactResponse>)))]
pub async fn remove_groups(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    body: web::Json<GroupIdsRequest>,
) -> ApiResult<HttpResponse> {
    change_groups(state, tenant, path, body.into_inner(), false).await
}

async fn change_tags(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    body: TagsRequest,
    add: bool,
) -> ApiResult<HttpResponse> {
    let id = contact_id(&path)?;
    let tags = dto::tags(&body.tags)?;
    if tags.is_empty() {
        return Err(ApiError::invalid("tags", "tags must not be empty"));
    }
    let contact = state
        .write(tenant.check(), move |conn| {
            if add {
                db::contacts::add_tags(conn, &tenant.0, &id, &tags, &now())?;
            } else {
                db::contacts::remove_tags(conn, &tenant.0, &id, &tags, &now())?;
            }
            let contact = db::contacts::require(conn, &tenant.0, &id)?;
            emit_contact(conn, &tenant.0, "contact.updated", &contact)?;
            Ok(contact)
        })
        .await?;
    Ok(envelope::ok(ContactResponse::from(contact)))
}

/// Add tags to the contact (existing tags are kept).
#[utoipa::path(post, path = "/v1/contacts/{id}/tags", tag = "Contacts", operation_id = "addContactTags",
    params(("id" = String, Path, pattern = "^con_[A-Za-z0-9]{20}$", description = "Contact id")),
    request_body = TagsRequest,
    responses((status = 200, description = "The contact with its tags.", body = Envelope<ContactResponse>)))]
pub async fn add_tags(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    body: web::Json<TagsRequest>,
) -> ApiResult<HttpResponse> {
    change_tags(state, tenant, path, body.into_inner(), true).await
}

/// Remove tags from the contact (absent tags are ignored).
#[utoipa::path(delete, path = "/v1/contacts/{id}/tags", tag = "Contacts", operation_id = "removeContactTags",
    params(("id" = String, Path, pattern = "^con_[A-Za-z0-9]{20}$", description = "Contact id")),
    request_body = TagsRequest,
    responses((status = 200, description = "The contact with its tags.", body = Envelope<ContactResponse>)))]
pub async fn remove_tags(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    body: web::Json<TagsRequest>,
) -> ApiResult<HttpResponse> {
    change_tags(state, tenant, path, body.into_inner(), false).await
}
