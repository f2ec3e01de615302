//! `POST /v1/contacts/bulk` (up to 1000 rows, each independent) and `POST /v1/contacts/search`.

use super::dto::{self, ContactResponse, ContactStatusDto, CreateContactRequest};
use super::query::{self, ContactSortDto, OrderDto};
use crate::api::envelope::{self, Envelope, ErrorEnvelope, ListEnvelope};
use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{describe_json_error, Tenant};
use crate::api::AppState;
use crate::db;
use crate::db::contacts::{BulkOutcome, BulkRowError, OnDuplicate};
use crate::domain::contact::{ContactFilter, NewContact};
use crate::domain::listing::PageRequest;
use crate::domain::text;
use crate::error::Error;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

/// Most rows one bulk request may carry.
pub const MAX_BULK_ROWS: usize = 1000;

/// What to do with a row whose email already exists.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnDuplicateDto {
    /// Leave the existing contact alone (default).
    Skip,
    /// Apply the row's non-empty values to the existing contact; tags and groups are added.
    Update,
}

impl From<OnDuplicateDto> for OnDuplicate {
    fn from(value: OnDuplicateDto) -> Self {
        match value {
            OnDuplicateDto::Skip => Self::Skip,
            OnDuplicateDto::Update => Self::Update,
        }
    }
}

/// Body of `POST /v1/contacts/bulk`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"contacts": [{"email": "ada@example.com", "firstName": "Ada"}, {"email": "alan@example.com", "company": "Bletchley"}], "groupIds": [], "onDuplicate": "skip"}))]
pub struct BulkRequest {
    /// The contacts, 1 to 1000; each row is validated and written on its own.
    #[schema(schema_with = crate::api::openapi::schemas::bulk_rows)]
    pub contacts: Vec<Box<serde_json::value::RawValue>>,
    /// Groups every row joins.
    #[schema(schema_with = crate::api::openapi::schemas::optional_group_ids)]
    pub group_ids: Option<Vec<String>>,
    /// Duplicate handling (default `skip`).
    pub on_duplicate: Option<OnDuplicateDto>,
}

/// A row that was not written.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkErrorDto {
    /// Row position (0-based).
    pub index: usize,
    /// The row's email, when it had one.
    pub email: Option<String>,
    /// Error code.
    pub code: String,
    /// Why.
    pub message: String,
}

/// Result of a bulk write or a CSV import.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"created": 998, "updated": 0, "skipped": 1, "errors": [{"index": 7, "email": "not-an-email", "code": "VALIDATION_ERROR", "message": "Email is not a valid address"}], "errorCount": 1}))]
pub struct BulkResponse {
    /// Contacts created.
    pub created: u64,
    /// Existing contacts updated.
    pub updated: u64,
    /// Duplicates skipped.
    pub skipped: u64,
    /// Rows that failed (at most 1000 listed; see `errorCount`).
    pub errors: Vec<BulkErrorDto>,
    /// Number of failed rows in all.
    pub error_count: u64,
}

impl BulkResponse {
    /// Shapes a bulk outcome.
    pub fn from_outcome(outcome: BulkOutcome, error_count: u64) -> Self {
        Self {
            created: outcome.created,
            updated: outcome.updated,
            skipped: outcome.skipped,
            errors: outcome
                .errors
                .into_iter()
                .map(|error| BulkErrorDto {
                    index: error.index,
                    email: error.email,
                    code: error.code.to_owned(),
                    message: error.message,
                })
                .collect(),
            error_count,
        }
    }
}

/// Validates one row: JSON shape first, then the domain rules. Rows arrive as raw JSON so a
/// valid row is parsed once, straight into its request type.
pub fn parse_row(
    index: usize,
    row: &serde_json::value::RawValue,
) -> Result<NewContact, BulkRowError> {
    let failed = |error: ApiError| {
        // Only a failed row is parsed a second time, to report its email.
        let email = serde_json::from_str::<Value>(row.get())
            .ok()
            .and_then(|value| {
                value
                    .get("email")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
        let (code, message) = match &error {
            ApiError::Domain(Error::Validation { message, .. }) => {
                ("VALIDATION_ERROR", message.clone())
            }
            other => (other.code(), other.to_string()),
        };
        BulkRowError {
            index,
            email,
            code,
            message,
        }
    };
    if !row.get().trim_start().starts_with('{') {
        return Err(failed(ApiError::validation(
            "Each contact must be a JSON object",
        )));
    }
    let request: CreateContactRequest =
        serde_json::from_str(row.get()).map_err(|error| failed(describe_json_error(&error)))?;
    NewContact::try_from(request).map_err(|error| failed(ApiError::Domain(error)))
}

/// Create or update up to 1000 contacts; one bad row never fails the others.
#[utoipa::path(post, path = "/v1/contacts/bulk", tag = "Contacts", operation_id = "bulkCreateContacts",
    request_body = BulkRequest,
    responses(
        (status = 200, description = "Counts and per-row errors.", body = Envelope<BulkResponse>),
        (status = 404, description = "A group of `groupIds` does not exist (`NOT_FOUND`); a row naming an unknown group or stage is reported in `errors` instead.", body = ErrorEnvelope),
    ))]
pub async fn bulk(
    state: web::Data<AppState>,
    tenant: Tenant,
    body: web::Json<BulkRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    if body.contacts.is_empty() || body.contacts.len() > MAX_BULK_ROWS {
        return Err(ApiError::invalid(
            "contacts",
            format!("contacts must hold 1 to {MAX_BULK_ROWS} rows"),
        ));
    }
    let groups = dto::group_ids(body.group_ids.as_deref().unwrap_or_default())?;
    let on_duplicate = body.on_duplicate.map(Into::into).unwrap_or_default();
    let rows: Vec<_> = body
        .contacts
        .into_iter()
        .enumerate()
        .map(|(index, row)| (index, parse_row(index, &row)))
        .collect();
    let now = crate::domain::time::format(chrono::Utc::now());
    let outcome = state
        .write(tenant.check(), move |conn| {
            let outcome =
                db::contacts::bulk_upsert(conn, &tenant.0, rows, &groups, on_duplicate, &now)?;
            super::emit_contacts(conn, &tenant.0, "contact.created", &outcome.created_ids)?;
            super::emit_contacts(conn, &tenant.0, "contact.updated", &outcome.updated_ids)?;
            Ok(outcome)
        })
        .await?;
    let count = outcome.errors.len() as u64;
    Ok(envelope::ok(BulkResponse::from_outcome(outcome, count)))
}

/// A status or a list of statuses.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum StatusFilter {
    /// One status.
    One(ContactStatusDto),
    /// Any of these statuses.
    Many(Vec<ContactStatusDto>),
}

/// Filters of a search.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SearchFilters {
    /// Status, or any of several statuses.
    pub status: Option<StatusFilter>,
    /// In any of these groups (ids).
    #[schema(schema_with = crate::api::openapi::schemas::optional_group_ids)]
    pub groups: Option<Vec<String>>,
    /// Has any of these tags.
    #[schema(schema_with = crate::api::openapi::schemas::optional_tags)]
    pub tags: Option<Vec<String>>,
    /// Custom fields equal to these values.
    #[schema(schema_with = crate::api::openapi::schemas::custom_fields)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// Sort of a search.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchSort {
    /// Field.
    pub field: ContactSortDto,
    /// Order (default `desc`).
    pub order: Option<OrderDto>,
}

/// Body of `POST /v1/contacts/search`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"query": "acme", "filters": {"status": "active", "tags": ["vip"], "customFields": {"plan": "gold"}}, "sort": {"field": "email", "order": "asc"}}))]
pub struct SearchRequest {
    /// Text searched in email, names and company (case-insensitive).
    #[schema(max_length = 255)]
    pub query: Option<String>,
    /// Filters.
    pub filters: Option<SearchFilters>,
    /// Sort (default `createdAt desc`).
    pub sort: Option<SearchSort>,
    /// Page (default 1).
    #[serde(default, deserialize_with = "integral")]
    #[schema(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    /// Items per page (default 20, at most 100).
    #[serde(default, deserialize_with = "integral")]
    #[schema(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
}

/// An optional JSON integer, also accepted as an integral float (`2.0`) as JSON Schema's
/// `integer` allows.
fn integral<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let value = match number.as_u64() {
        Some(value) => Some(value),
        None => number
            .as_f64()
            .filter(|value| value.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(value))
            .map(|value| value as u64),
    };
    value
        .and_then(|value| u32::try_from(value).ok())
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("{number} is not a valid page number")))
}

/// Pagination accepted in the query string of a search as well.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number (default 1).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    /// Items per page (default 20, at most 100).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
}

fn search_filter(request: &mut SearchRequest) -> Result<ContactFilter, Error> {
    let mut filter = ContactFilter {
        query: match request.query.take() {
            Some(q) if q.chars().count() > 255 => {
                return Err(Error::invalid(
                    "query",
                    "query must be at most 255 characters",
                ))
            }
            Some(q) if !q.trim().is_empty() => Some(q.trim().to_owned()),
            _ => None,
        },
        ..ContactFilter::default()
    };
    let Some(filters) = request.filters.take() else {
        return Ok(filter);
    };
    apply_filters(&mut filter, filters, "filters")?;
    Ok(filter)
}

/// Adds search filters to a contact filter; errors name `<prefix>.<field>`.
pub fn apply_filters(
    filter: &mut ContactFilter,
    filters: SearchFilters,
    prefix: &str,
) -> Result<(), Error> {
    filter.statuses = match filters.status {
        None => Vec::new(),
        Some(StatusFilter::One(status)) => vec![status.into()],
        Some(StatusFilter::Many(statuses)) => statuses.into_iter().map(Into::into).collect(),
    };
    filter.any_group_ids = dto::group_ids(filters.groups.as_deref().unwrap_or_default())
        .map_err(|_| {
            Error::invalid(
                &format!("{prefix}.groups"),
                "groups must be group ids (grp_…)",
            )
        })?
        .into_iter()
        .map(|id| id.to_string())
        .collect();
    filter.any_tags = text::tags(filters.tags.as_deref().unwrap_or_default())
        .map_err(|m| Error::invalid(&format!("{prefix}.tags"), m))?;
    if let Some(custom) = filters.custom_fields {
        filter.custom_fields = text::custom_fields(&custom)
            .map_err(|m| Error::invalid(&format!("{prefix}.customFields"), m))?
            .into_iter()
            .collect();
    }
    Ok(())
}

/// Search contacts by text and structured filters; same envelope as the list. `page` and
/// `perPage` may be given in the query string or in the body; when both are, the body's value is
/// used (the query string's is still validated).
#[utoipa::path(post, path = "/v1/contacts/search", tag = "Contacts", operation_id = "searchContacts",
    params(PageQuery),
    request_body = SearchRequest,
    responses((status = 200, description = "A page of matching contacts.", body = ListEnvelope<ContactResponse>)))]
pub async fn search(
    state: web::Data<AppState>,
    tenant: Tenant,
    page_query: web::Query<PageQuery>,
    body: web::Json<SearchRequest>,
) -> ApiResult<HttpResponse> {
    let mut body = body.into_inner();
    // Values in the query string are checked even when the body overrides them.
    PageRequest::parse(page_query.page, page_query.per_page)?;
    let page = PageRequest::parse(
        body.page.or(page_query.page),
        body.per_page.or(page_query.per_page),
    )?;
    let sort = match &body.sort {
        Some(sort) => query::sort(Some(sort.field), sort.order),
        None => query::sort(None, None),
    };
    let filter = search_filter(&mut body)?;
    let result = state
        .read(tenant.check(), move |conn| {
            db::contacts::list(conn, &tenant.0, &filter, sort, page)
        })
        .await?;
    Ok(envelope::page(result, page, ContactResponse::from))
}
