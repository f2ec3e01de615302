//! The OpenAPI 3.1 document, generated from the handlers' annotations and the DTO types, with
//! the conventions every `/v1` operation shares (auth, error responses, rate-limit headers)
//! added in one place.

pub mod campaign_schemas;
pub mod schemas;

use crate::api::campaign_stats::{self, CampaignStatsSummary, EventTypeDto, IntervalDto};
use crate::api::campaigns;
use crate::api::contacts::dto::CustomFieldValue;
use crate::api::contacts::{self, bulk, csv};
use crate::api::email_accounts::{self, AccountStatusDto, EmailAccountSortDto};
use crate::api::envelope::ErrorEnvelope;
use crate::api::groups::{self, GroupSortDto};
use crate::api::pipeline_stages;
use crate::api::sandbox;
use crate::api::webhook_test;
use crate::api::webhooks;
use crate::api::webhooks::dto::{DeliveryStatusDto, WebhookSortDto, WebhookStatusDto};
use actix_web::HttpResponse;
use serde_json::{json, Value};
use std::sync::OnceLock;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder, Type};
use utoipa::{Modify, OpenApi};

const DESCRIPTION: &str = r#"The fluenzr REST API: a self-hosted, FluenzR-compatible cold-email platform over one SQLite file.

**Authentication.** Send `Authorization: Bearer flz_sk_…` on every `/v1` call. Keys belong to one workspace and every query is scoped to it: ids of another workspace answer `404`, like unknown ids, in the path or named in a body or query (`groupIds`, `pipelineStageId`). Only workspaces on the Pro plan may use the API (`403 FORBIDDEN` otherwise). Repeated failed authentications from one client IP are throttled (`429`).

**Envelopes.** Success: `{"success": true, "data": …}`; lists add `"meta": {"page", "perPage", "total", "totalPages"}`. Errors: `{"success": false, "error": {"code", "message", "details"}}` with the codes `VALIDATION_ERROR` (400), `UNAUTHORIZED` (401), `FORBIDDEN` (403), `NOT_FOUND` (404), `METHOD_NOT_ALLOWED` (405), `CONFLICT` (409), `PAYLOAD_TOO_LARGE` (413), `RATE_LIMIT_EXCEEDED` (429), `INTERNAL_ERROR` (500).

**Lists.** `page` (default 1, at most 1000000) and `perPage` (default 20, at most 100); `sort` and `order=asc|desc` on the documented fields (default `createdAt desc`). Unknown query parameters are refused with `400` so typos are caught.

**Rate limits.** Per API key, 1000 requests per minute by default, as a token bucket: a key may use its whole quota at once and it refills continuously. Every `/v1` answer carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (Unix seconds when the bucket is full again); a `429` also carries `Retry-After` (seconds).

**Idempotency.** Any POST may carry an `Idempotency-Key` header (1–255 printable characters). The first successful response is stored for 24 hours and replayed, marked `Idempotent-Replayed: true`, for a retry with the same body; the same key with a different body or path is `409 CONFLICT`. Keys are per workspace; concurrent duplicates run once.

**SDKs.** `@fluenzr/sdk` (TypeScript, `sdks/js`) and `fluenzr` (Python, `sdks/python`) have a method for every operation, retry `429` after `Retry-After`, send an `Idempotency-Key` with every POST and verify webhook signatures; their guides are at `/docs/sdks`.

**Timestamps** are RFC 3339 UTC (`2025-01-15T10:30:00Z`). **Ids** are opaque prefixed strings (`con_`, `grp_`, `stg_`, `acc_`, `cmp_`, `whk_`, `evt_`, `log_`)."#;

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
        email_accounts::list,
        email_accounts::create,
        email_accounts::get,
        email_accounts::update,
        email_accounts::delete,
        email_accounts::test,
        pipeline_stages::list,
        campaigns::list,
        campaigns::create,
        campaigns::get,
        campaigns::update,
        campaigns::delete,
        campaigns::start,
        campaigns::pause,
        campaigns::resume,
        campaigns::archive,
        campaigns::contacts::add,
        campaigns::contacts::remove,
        campaigns::contacts::list,
        campaigns::preview::preview,
        campaigns::preview::forecast,
        campaign_stats::stats,
        campaign_stats::emails,
        campaign_stats::timeline,
        campaign_stats::activity,
        sandbox::list,
        sandbox::get,
        sandbox::clear,
        webhooks::list,
        webhooks::create,
        webhooks::get,
        webhooks::update,
        webhooks::delete,
        webhooks::logs,
        webhook_test::test,
    ),
    components(schemas(ErrorEnvelope, CustomFieldValue, GroupSortDto, EmailAccountSortDto, AccountStatusDto, CampaignStatsSummary, EventTypeDto, IntervalDto, campaigns::dto::CampaignSortDto, campaigns::dto::EnrolmentStatusDto, WebhookStatusDto, WebhookSortDto, DeliveryStatusDto)),
    modifiers(&Conventions),
    tags(
        (name = "Contacts", description = "People you write to: CRUD, bulk, search, tags, group membership, CSV import and export."),
        (name = "Groups", description = "Static and dynamic lists of contacts."),
        (name = "Email accounts", description = "Mailboxes campaigns send from: SMTP settings (and IMAP for replies and bounces), a daily limit and a connection test. Passwords are write-only: stored encrypted with the server's secret key (`FLUENZR_SECRET_KEY`) and never returned; `hasPassword` tells whether one is set. The SMTP host `sandbox` makes a sandbox account whose mail is captured in the database instead of sent."),
        (name = "Pipeline stages", description = "The workspace's sales pipeline stages, for `pipelineStageId`."),
        (name = "Campaigns", description = "Sequences sent from an email account to enrolled contacts. `workflow` is a graph `{nodes, edges}`: one `start`, `email` nodes (`data {subject, body, trackOpens, trackClicks}`; an empty subject on a later email sends a threaded reply \"Re: <previous subject>\" with `In-Reply-To`/`References`), `delay` nodes (`data {days 1-30 | hours 1-24, businessDays}`), `condition` nodes (`data {criterion: opened|clicked|previousEmail|contactField, ...}` with two edges labelled `true` and `false`) and one or more `end` nodes; edges are `{from, to, label}`. Every node must be reachable, no cycles, every path ends at an `end`; errors name the node (`details.nodeId`). Templates use `{{firstName}}`, `{{lastName}}`, `{{email}}`, `{{company}}`, `{{jobTitle}}`, `{{phone}}`, `{{website}}`, any custom field key, fallbacks `{{firstName|there}}`, and `{{unsubscribe_link}}`, `{{current_date}}`, `{{current_year}}`; a contact missing a variable that has no fallback is not sent a broken email: it stops with status `failed` and the reason. Status: draft -> active (start) <-> paused (pause/resume) -> completed (automatic) -> archived; PUT only in draft or paused. Sending happens inside `sendDays` x `sendHoursStart..sendHoursEnd` in `timezone`, at most `maxEmailsPerHour` per campaign (any 60 minutes), `dailyLimit` per campaign (local day) and the account's `dailyLimit` (UTC day) across its campaigns."),
        (name = "Campaign statistics", description = "Counters, rates, per-email statistics, a timeline and the activity feed of a campaign. `sent` counts every message handed to the SMTP server (hard bounces included), `delivered = sent - bounced`; opens and clicks count unique contacts, and a click counts as an open when the pixel was blocked. Rates are percentages with one decimal: open, click, reply and unsubscribe over `delivered`, bounce over `sent`, 0 when the denominator is 0."),
        (name = "Sandbox", description = "Mail of sandbox email accounts, kept instead of being sent; browse it at `/sandbox`."),
        (name = "Webhooks", description = "Events POSTed to your URL as they happen. Types: `contact.created`, `contact.updated`, `contact.deleted` (`data.contact`: the contact as the contacts API shows it; for a deletion, as it was), `campaign.started` (start and resume), `campaign.paused`, `campaign.completed` (`data.campaign`: the campaign as the campaigns API shows it), and the email events `email.sent`, `email.delivered`, `email.opened`, `email.clicked`, `email.replied`, `email.bounced`, `email.unsubscribed`, whose `data` holds `campaignId, campaignName, contactId, contactEmail, emailNodeId` plus: sent `emailSubject`; opened `openCount, firstOpen` (and `userAgent, ip` only with full tracking; sent on the first open, or on every open with full tracking); clicked `linkUrl, clickCount` (every click); replied `replySubject, replyPreview`; bounced `bounceType` (`hard` or `soft`) and `bounceReason`. Subscribe with `events: [\"*\"]` to receive every type. Each delivery is `{\"id\": \"evt_…\", \"type\", \"timestamp\", \"data\"}`, signed with the webhook's secret: `X-FluenzR-Timestamp: <unix seconds>` and `X-FluenzR-Signature: sha256=<hex HMAC-SHA256(secret, \"<timestamp>.<raw body>\")>`, plus the Standard Webhooks headers `webhook-id` (the event id), `webhook-timestamp` and `webhook-signature` (`v1,<base64 HMAC-SHA256>` over `\"<id>.<timestamp>.<body>\"`, keyed with the base64 part of a `whsec_` secret). Redirects are never followed; `POST /v1/webhooks/{id}/test` sends a signed `webhook.test` event at once. A 2xx within 30 s is success; 3xx, 5xx and timeouts are retried after 1 min, 5 min, 30 min and 2 h; a 4xx is final; the event id stays the same across attempts. Events are written in the same transaction as the change that caused them: a change that is refused or rolled back emits nothing. URLs that resolve to loopback, private, link-local or metadata addresses are refused unless the server allows them."),
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
                    add_links(operation);
                }
            }
        }
    }
}

/// Operations taking, as their `{id}`, the id a creating operation answers with.
const LINKS: [(&str, &[&str]); 5] = [
    (
        "createContact",
        &[
            "getContact",
            "updateContact",
            "deleteContact",
            "addContactTags",
            "removeContactTags",
            "addContactToGroups",
            "removeContactFromGroups",
        ],
    ),
    (
        "createGroup",
        &[
            "getGroup",
            "updateGroup",
            "deleteGroup",
            "listGroupContacts",
            "addGroupContacts",
            "removeGroupContacts",
        ],
    ),
    (
        "createCampaign",
        &[
            "getCampaign",
            "updateCampaign",
            "deleteCampaign",
            "startCampaign",
            "pauseCampaign",
            "resumeCampaign",
            "archiveCampaign",
            "listCampaignContacts",
            "addCampaignContacts",
            "removeCampaignContacts",
            "previewCampaignEmail",
            "forecastCampaign",
            "getCampaignStats",
            "getCampaignEmailStats",
            "getCampaignTimeline",
            "listCampaignActivity",
        ],
    ),
    (
        "createEmailAccount",
        &[
            "getEmailAccount",
            "updateEmailAccount",
            "deleteEmailAccount",
            "testEmailAccount",
        ],
    ),
    (
        "createWebhook",
        &[
            "getWebhook",
            "updateWebhook",
            "deleteWebhook",
            "listWebhookLogs",
            "testWebhook",
        ],
    ),
];

/// Adds OpenAPI links from a `201` to the operations addressing the created resource.
fn add_links(operation: &mut Operation) {
    let Some((_, targets)) = LINKS
        .iter()
        .find(|(source, _)| operation.operation_id.as_deref() == Some(*source))
    else {
        return;
    };
    let Some(RefOr::T(created)) = operation.responses.responses.get_mut("201") else {
        return;
    };
    for target in *targets {
        created.links.insert(
            (*target).to_owned(),
            RefOr::T(
                LinkBuilder::new()
                    .operation_id(*target)
                    .parameter("id", "$response.body#/data/id")
                    .description("The created resource's id.")
                    .build(),
            ),
        );
    }
}

/// utoipa 5 writes a link's `operationId` and `requestBody` in snake case; OpenAPI spells them
/// in camel case.
fn camel_case_links(document: &mut serde_json::Value) {
    let Some(paths) = document
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    let responses = paths
        .values_mut()
        .filter_map(serde_json::Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(|operation| operation.get_mut("responses"))
        .filter_map(serde_json::Value::as_object_mut)
        .flat_map(|responses| responses.values_mut());
    for response in responses {
        let Some(links) = response
            .get_mut("links")
            .and_then(serde_json::Value::as_object_mut)
        else {
            continue;
        };
        for link in links
            .values_mut()
            .filter_map(serde_json::Value::as_object_mut)
        {
            for (snake, camel) in [
                ("operation_id", "operationId"),
                ("operation_ref", "operationRef"),
                ("request_body", "requestBody"),
            ] {
                if let Some(value) = link.remove(snake) {
                    link.insert(camel.to_owned(), value);
                }
            }
        }
    }
}

/// The document as JSON, built once.
pub fn document_json() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut document = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        camel_case_links(&mut document);
        attach_media_examples(&mut document);
        document.to_string()
    })
}

/// The `example` of a component schema.
fn component_example(document: &Value, name: &str) -> Option<Value> {
    document
        .pointer(&format!("/components/schemas/{name}/example"))
        .cloned()
}

/// An example for a media type whose schema is a `$ref`: the component's own example, or, for
/// the generated envelopes (`Envelope_X`, `Envelope_Vec_X`, `ListEnvelope_X`), X's example
/// wrapped the way the server wraps it.
fn example_for(document: &Value, schema: &Value) -> Option<Value> {
    let name = schema
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")?;
    if let Some(example) = component_example(document, name) {
        return Some(example);
    }
    if let Some(inner) = name.strip_prefix("ListEnvelope_") {
        let item = component_example(document, inner)?;
        return Some(json!({
            "success": true,
            "data": [item],
            "meta": {"page": 1, "perPage": 20, "total": 1, "totalPages": 1}
        }));
    }
    if let Some(inner) = name.strip_prefix("Envelope_Vec_") {
        let item = component_example(document, inner)?;
        return Some(json!({ "success": true, "data": [item] }));
    }
    let inner = name.strip_prefix("Envelope_")?;
    Some(json!({ "success": true, "data": component_example(document, inner)? }))
}

/// Gives every request body and response content an example, so each operation in the
/// reference shows a complete request and answer.
fn attach_media_examples(document: &mut Value) {
    let snapshot = document.clone();
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            if let Some(body) = operation
                .pointer_mut("/requestBody/content")
                .and_then(Value::as_object_mut)
            {
                body.values_mut()
                    .for_each(|media| fill_example(&snapshot, media));
            }
            if let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
            {
                for response in responses.values_mut() {
                    if let Some(content) =
                        response.get_mut("content").and_then(Value::as_object_mut)
                    {
                        content
                            .values_mut()
                            .for_each(|media| fill_example(&snapshot, media));
                    }
                }
            }
        }
    }
}

fn fill_example(document: &Value, media: &mut Value) {
    let Some(media) = media.as_object_mut() else {
        return;
    };
    if media.contains_key("example") || media.contains_key("examples") {
        return;
    }
    if let Some(example) = media
        .get("schema")
        .and_then(|schema| example_for(document, schema))
    {
        media.insert("example".to_owned(), example);
    }
}

/// `GET /v1/openapi.json` (public).
pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .body(document_json())
}
