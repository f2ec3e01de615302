//! The OpenAPI 3.1 document, generated from the handlers' annotations and the DTO types, with
//! the conventions every `/v1` operation shares (auth, error responses, rate-limit headers)
//! added in one place.

use crate::api::contacts::dto::CustomFieldValue;
use crate::api::contacts::{self, bulk, csv};
use crate::api::envelope::ErrorEnvelope;
use crate::api::groups::{self, GroupSortDto};
use crate::api::pipeline_stages;
use actix_web::HttpResponse;
use std::borrow::Cow;
use std::sync::OnceLock;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::schema::{
    AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat,
    SchemaType,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder, Type};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

/// One line of text holding at least one character that is neither a control nor white space
/// (the server trims white space and refuses what is left empty). Plain one-line fields use
/// `^[^\x00-\x1f\x7f-\x9f]*$` (no C0 or C1 control, CR/LF included, and no DEL), spelled out
/// in the DTOs because `#[schema(pattern)]` takes a literal.
pub const NON_BLANK: &str = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$";
/// A group id.
pub const GROUP_ID: &str = "^grp_[A-Za-z0-9]{20}$";
/// A custom field key: 1–64 letters, digits, `_`, `-`, `.` or spaces, starting with a letter, a
/// digit or `_`. The server takes any Unicode alphabetic character as a letter, which also covers
/// a few combining marks and symbols (`Ⓐ`) that `\p{L}` leaves out; common generators and
/// validators only know the general categories, so the schema names those.
pub const CUSTOM_FIELD_KEY: &str = r"^[\p{L}\p{N}_][\p{L}\p{N}_. -]{0,63}$";

fn nullable(schema_type: Type, nullable: bool) -> SchemaType {
    if nullable {
        SchemaType::from_iter([schema_type, Type::Null])
    } else {
        SchemaType::Type(schema_type)
    }
}

fn string_list(
    item: ObjectBuilder,
    optional: bool,
    min_items: Option<usize>,
    description: &str,
) -> ArrayBuilder {
    ArrayBuilder::new()
        .schema_type(nullable(Type::Array, optional))
        .items(item.schema_type(Type::String))
        .min_items(min_items)
        .max_items(Some(100))
        .description(Some(description))
}

fn group_id_item() -> ObjectBuilder {
    ObjectBuilder::new()
        .pattern(Some(GROUP_ID))
        .description(Some("A group id (`grp_…`)."))
}

fn tag_item() -> ObjectBuilder {
    ObjectBuilder::new()
        .pattern(Some(NON_BLANK))
        .max_length(Some(64))
        .description(Some(
            "A tag: 1–64 characters on one line, trimmed; duplicates are dropped.",
        ))
}

/// `groupIds` that may be absent or `null`: at most 100 group ids.
pub fn optional_group_ids() -> ArrayBuilder {
    string_list(
        group_id_item(),
        true,
        None,
        "Group ids (`grp_…`), at most 100; an unknown one is `404`.",
    )
}

/// `groupIds` of a membership change: 1 to 100 group ids.
pub fn required_group_ids() -> ArrayBuilder {
    string_list(
        group_id_item(),
        false,
        Some(1),
        "Group ids (`grp_…`), 1 to 100; an unknown one is `404`.",
    )
}

/// `tags` that may be absent or `null`: at most 100 tags.
pub fn optional_tags() -> ArrayBuilder {
    string_list(tag_item(), true, None, "Tags, at most 100.")
}

/// `tags` of a tag change: 1 to 100 tags.
pub fn required_tags() -> ArrayBuilder {
    string_list(tag_item(), false, Some(1), "Tags, 1 to 100.")
}

fn custom_field_map(value: RefOr<Schema>, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(nullable(Type::Object, true))
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(CUSTOM_FIELD_KEY)),
        ))
        .additional_properties(Some(value))
        .max_properties(Some(100))
        .description(Some(description))
}

/// `customFields` of a new contact or of a search: at most 100 keys.
pub fn custom_fields() -> ObjectBuilder {
    custom_field_map(
        Ref::from_schema_name(CustomFieldValue::name()).into(),
        "Custom fields, at most 100: keys of 1–64 letters, digits, `_`, `-`, `.` or spaces starting with a letter, a digit or `_`; values are strings, numbers or booleans.",
    )
}

/// `customFields` of an update: merged per key, a `null` value removes the key.
pub fn custom_field_changes() -> ObjectBuilder {
    custom_field_map(
        OneOfBuilder::new()
            .item(Ref::from_schema_name(CustomFieldValue::name()))
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .into(),
        "Custom fields to merge, at most 100 per request: a value sets the key, `null` removes it. Keys as on create; a contact holds at most 100 custom fields.",
    )
}

/// `contacts` of a bulk write: 1 to 1000 rows. A row is meant to be a [`CreateContactRequest`],
/// but any JSON value is accepted: a row that is not valid is reported in `errors`, it never
/// fails the request.
///
/// [`CreateContactRequest`]: crate::api::contacts::dto::CreateContactRequest
pub fn bulk_rows() -> ArrayBuilder {
    ArrayBuilder::new()
        .items(
            AnyOfBuilder::new()
                .item(Ref::from_schema_name("CreateContactRequest"))
                .item(ObjectBuilder::new().schema_type(SchemaType::AnyValue))
                .description(Some(
                    "A contact as in `POST /v1/contacts`. Any row is accepted: one that is not a valid contact is reported in `errors` with its index.",
                )),
        )
        .min_items(Some(1))
        .max_items(Some(1000))
        .description(Some(
            "The contacts, 1 to 1000; each row is validated and written on its own.",
        ))
}

/// The body of `POST /v1/contacts/import`: CSV whose header row has an email column.
pub struct ContactsCsv;

/// A pattern for CSV text whose header row (up to the first CR or LF) has an email column: a
/// cell reading `email`, `emailaddress` or `mail` in any case once its punctuation is ignored
/// (`E-mail`, `Email Address`). Quoted header cells are allowed by the server but not described.
fn csv_with_email_column() -> String {
    // Punctuation and spaces a header cell may carry around and inside the name (no comma, no
    // quote); the server ignores every character that is not a letter or a digit.
    const FILLER: &str = r"[\t !#-+\-./:-@\[-`{-~]*";
    let word = |word: &str| {
        word.chars()
            .map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c))
            .collect::<Vec<_>>()
            .join(FILLER)
    };
    let other_cell = r#"[^",\r\n]*"#;
    format!(
        r"^(?:{other_cell},)*{FILLER}(?:{email}(?:{FILLER}{address})?|{mail}){FILLER}(?:,{other_cell})*(?:[\r\n][\s\S]*)?$",
        email = word("email"),
        address = word("address"),
        mail = word("mail"),
    )
}

impl PartialSchema for ContactsCsv {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(csv_with_email_column()))
            .description(Some(
                "CSV (RFC 4180) with a header row that has an email column (`email`, `Email Address`, `e-mail`, `mail`…); any number of data rows.",
            ))
            .into()
    }
}

impl ToSchema for ContactsCsv {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ContactsCsv")
    }
}

impl PartialSchema for CustomFieldValue {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(2000))
                    .pattern(Some(r"^[^\x00]*$"))
                    .description(Some("Text: at most 2000 characters, no NUL.")),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Number)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Double)))
                    .description(Some("A number.")),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Boolean)
                    .description(Some("A boolean.")),
            )
            .description(Some("A custom field value: string, number or boolean."))
            .into()
    }
}

impl ToSchema for CustomFieldValue {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CustomFieldValue")
    }
}

const DESCRIPTION: &str = r#"The fluenzr REST API: a self-hosted, FluenzR-compatible cold-email platform over one SQLite file.

**Authentication.** Send `Authorization: Bearer flz_sk_…` on every `/v1` call. Keys belong to one workspace and every query is scoped to it: ids of another workspace answer `404`. Only workspaces on the Pro plan may use the API (`403 FORBIDDEN` otherwise). Repeated failed authentications from one client IP are throttled (`429`).

**Envelopes.** Success: `{"success": true, "data": …}`; lists add `"meta": {"page", "perPage", "total", "totalPages"}`. Errors: `{"success": false, "error": {"code", "message", "details"}}` with the codes `VALIDATION_ERROR` (400), `UNAUTHORIZED` (401), `FORBIDDEN` (403), `NOT_FOUND` (404), `METHOD_NOT_ALLOWED` (405), `CONFLICT` (409), `PAYLOAD_TOO_LARGE` (413), `RATE_LIMIT_EXCEEDED` (429), `INTERNAL_ERROR` (500).

**Lists.** `page` (default 1) and `perPage` (default 20, at most 100); `sort` and `order=asc|desc` on the documented fields (default `createdAt desc`). Unknown query parameters are refused with `400` so typos are caught.

**Rate limits.** Per API key, 1000 requests per minute by default, as a token bucket: a key may use its whole quota at once and it refills continuously. Every `/v1` answer carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (Unix seconds when the bucket is full again); a `429` also carries `Retry-After` (seconds).

**Idempotency.** Any POST may carry an `Idempotency-Key` header (1–255 printable characters). The first successful response is stored for 24 hours and replayed, marked `Idempotent-Replayed: true`, for a retry with the same body; the same key with a different body or path is `409 CONFLICT`. Keys are per workspace; concurrent duplicates run once.

**Timestamps** are RFC 3339 UTC (`2025-01-15T10:30:00Z`). **Ids** are opaque prefixed strings (`con_`, `grp_`, `stg_`)."#;

/// The document's source.
#[derive(OpenApi)]
#[openapi(
    info(title = "fluenzr API", description = DESCRIPTION, license(name = "AGPL-3.0-or-later")),
    paths(
        contacts::list,
        contacts::create,
        contacts::get,
        contacts::update,
        contacts::delete,
        bulk::bulk,
        bulk::search,
        csv::import,
        csv::export,
        contacts::add_groups,
        contacts::remove_groups,
        contacts::add_tags,
        contacts::remove_tags,
        groups::list,
        groups::create,
        groups::get,
        groups::update,
        groups::delete,
        groups::members,
        groups::add_members,
        groups::remove_members,
        pipeline_stages::list,
    ),
    components(schemas(ErrorEnvelope, CustomFieldValue, GroupSortDto)),
    modifiers(&Conventions),
    tags(
        (name = "Contacts", description = "People you write to: CRUD, bulk, search, tags, group membership, CSV import and export."),
        (name = "Groups", description = "Static and dynamic lists of contacts."),
        (name = "Pipeline stages", description = "The workspace's sales pipeline stages, for `pipelineStageId`."),
    )
)]
pub struct ApiDoc;

struct Conventions;

fn error_response(description: &str, retry_after: bool) -> RefOr<Response> {
    let mut builder = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
            .build(),
    );
    if retry_after {
        builder = builder.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(utoipa::openapi::ObjectBuilder::new().schema_type(Type::Integer))
                .description(Some("Seconds to wait before retrying."))
                .build(),
        );
    }
    RefOr::T(builder.build())
}

fn rate_limit_headers(response: &mut RefOr<Response>) {
    let RefOr::T(response) = response else { return };
    for (name, description) in [
        (
            "X-RateLimit-Limit",
            "Requests allowed per minute for this key.",
        ),
        ("X-RateLimit-Remaining", "Requests left in the bucket."),
        (
            "X-RateLimit-Reset",
            "Unix time (seconds) when the bucket is full again.",
        ),
    ] {
        response.headers.insert(
            name.to_owned(),
            HeaderBuilder::new()
                .schema(utoipa::openapi::ObjectBuilder::new().schema_type(Type::Integer))
                .description(Some(description))
                .build(),
        );
    }
}

fn add_conventions(path: &str, method: &str, operation: &mut Operation) {
    let responses = &mut operation.responses.responses;
    let has_body = operation.request_body.is_some();
    let mut errors = vec![
        (
            "400",
            "Invalid input (`VALIDATION_ERROR`), including unknown query parameters.",
            false,
        ),
        (
            "401",
            "Missing, malformed, unknown or revoked API key (`UNAUTHORIZED`).",
            false,
        ),
        (
            "403",
            "The workspace is not on the Pro plan (`FORBIDDEN`).",
            false,
        ),
        ("429", "Rate limit exceeded (`RATE_LIMIT_EXCEEDED`).", true),
        ("500", "Unexpected error (`INTERNAL_ERROR`).", false),
    ];
    if path.contains('{') {
        errors.push((
            "404",
            "No such resource in this workspace (`NOT_FOUND`).",
            false,
        ));
    }
    if method == "post" || method == "put" {
        errors.push((
            "409",
            "The current state refuses the change: a duplicate, a limit the resource already reaches, or an Idempotency-Key reused with another request (`CONFLICT`).",
            false,
        ));
    }
    if has_body || method == "post" {
        errors.push((
            "413",
            "Request body above the configured limit (`PAYLOAD_TOO_LARGE`).",
            false,
        ));
    }
    for (status, description, retry_after) in errors {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| error_response(description, retry_after));
    }
    for response in responses.values_mut() {
        rate_limit_headers(response);
    }
}

impl Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.info.version = env!("CARGO_PKG_VERSION").to_owned();
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("flz_sk_<32 alphanumerics>")
                    .description(Some("An API key created with `fluenzr keys create` (or printed on first start)."))
                    .build(),
            ),
        );
        openapi.security = Some(vec![SecurityRequirement::new(
            "bearerAuth",
            Vec::<String>::new(),
        )]);
        for (path, item) in openapi.paths.paths.iter_mut() {
            let PathItem {
                get,
                post,
                put,
                delete,
                ..
            } = item;
            for (method, operation) in [
                ("get", get),
                ("post", post),
                ("put", put),
                ("delete", delete),
            ] {
                if let Some(operation) = operation {
                    add_conventions(path, method, operation);
                }
            }
        }
    }
}

/// The document as JSON, built once.
pub fn document_json() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        ApiDoc::openapi()
            .to_json()
            .unwrap_or_else(|_| "{}".to_owned())
    })
}

/// `GET /v1/openapi.json` (public).
pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .body(document_json())
}
