//! Schemas of the campaign bodies the derive macros cannot express: `settings`, the `workflow`
//! graph and the one-of-four enrolment selector. They are written as JSON Schema and parsed
//! into utoipa's types, so they read like the documentation they are.

use serde_json::{json, Value};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;

pub(crate) fn parse(value: Value) -> RefOr<Schema> {
    match serde_json::from_value::<Schema>(value) {
        Ok(schema) => RefOr::T(schema),
        // The literals below are valid schemas; a broken one shows up as an empty schema in
        // the document (and fails the documentation tests) rather than a panic at start.
        Err(_) => RefOr::T(Schema::default()),
    }
}

const DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// `settings`: every field optional on input (merged over the defaults or the stored values).
pub fn settings() -> RefOr<Schema> {
    parse(json!({
        "type": "object",
        "additionalProperties": false,
        "description": "Sending settings. On create, omitted fields take their defaults; on update, given fields replace the stored ones. sendHoursStart must be before sendHoursEnd.",
        "properties": {
            "sendDays": {"type": "array", "items": {"type": "string", "enum": DAYS}, "minItems": 1, "maxItems": 7, "uniqueItems": true,
                         "description": "Days messages may go out (default Monday–Friday)."},
            "sendHoursStart": {"type": "integer", "minimum": 0, "maximum": 23, "description": "First local hour of the window (default 9)."},
            "sendHoursEnd": {"type": "integer", "minimum": 1, "maximum": 24, "description": "Local hour the window closes (default 17)."},
            "timezone": {"type": "string", "minLength": 1, "maxLength": 64, "description": "IANA time zone of the window (default UTC).", "example": "Europe/Paris"},
            "maxEmailsPerHour": {"type": "integer", "minimum": 1, "maximum": 10000, "description": "Most messages in any 60 minutes (default 50)."},
            "dailyLimit": {"type": ["integer", "null"], "minimum": 1, "maximum": 100000, "description": "Most messages per local day; null: no campaign limit (the account's limit still applies)."},
            "stopOnReply": {"type": "boolean", "description": "A reply ends the contact's sequence (default true)."},
            "trackOpens": {"type": "boolean", "description": "Open pixel (default true)."},
            "trackClicks": {"type": "boolean", "description": "Click tracking (default true)."},
            "unsubscribeLink": {"type": "boolean", "description": "Unsubscribe line when the body has no {{unsubscribe_link}} (default true)."}
        }
    }))
}

/// The workflow graph.
pub fn workflow() -> RefOr<Schema> {
    let node_id = json!({"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"});
    let position = json!({"description": "Editor position, kept as given."});
    parse(json!({
        "type": ["object", "null"],
        "additionalProperties": false,
        "required": ["nodes", "edges"],
        "description": "A graph: exactly one start, every node reachable from it, no cycles, every path ending at an end node; a condition has two edges labelled \"true\" and \"false\". Errors name the node (details.nodeId).",
        "properties": {
            "nodes": {
                "type": "array", "minItems": 2, "maxItems": 500,
                "items": {"oneOf": [
                    {"type": "object", "additionalProperties": false, "required": ["id", "type"],
                     "properties": {"id": node_id, "type": {"type": "string", "enum": ["start"]}, "position": position, "data": {"type": ["object", "null"], "maxProperties": 0}}},
                    {"type": "object", "additionalProperties": false, "required": ["id", "type"],
                     "properties": {"id": node_id, "type": {"type": "string", "enum": ["end"]}, "position": position, "data": {"type": ["object", "null"], "maxProperties": 0}}},
                    {"type": "object", "additionalProperties": false, "required": ["id", "type", "data"],
                     "properties": {"id": node_id, "type": {"type": "string", "enum": ["email"]}, "position": position,
                        "data": {"type": "object", "additionalProperties": false, "required": ["body"],
                                 "properties": {
                                    "subject": {"type": "string", "maxLength": 998, "description": "Empty on a later email: a threaded reply \"Re: <previous subject>\"."},
                                    "body": {"type": "string", "minLength": 1, "description": "HTML with {{variables}}."},
                                    "trackOpens": {"type": "boolean"},
                                    "trackClicks": {"type": "boolean"}}}}},
                    {"type": "object", "additionalProperties": false, "required": ["id", "type", "data"],
                     "properties": {"id": node_id, "type": {"type": "string", "enum": ["delay"]}, "position": position,
                        "data": {"type": "object", "additionalProperties": false,
                                 "properties": {
                                    "days": {"type": "integer", "minimum": 1, "maximum": 30},
                                    "hours": {"type": "integer", "minimum": 1, "maximum": 24},
                                    "businessDays": {"type": "boolean"}},
                                 "oneOf": [{"required": ["days"]}, {"required": ["hours"]}]}}},
                    {"type": "object", "additionalProperties": false, "required": ["id", "type", "data"],
                     "properties": {"id": node_id, "type": {"type": "string", "enum": ["condition"]}, "position": position,
                        "data": {"type": "object", "required": ["criterion"],
                                 "properties": {
                                    "criterion": {"type": "string", "enum": ["opened", "clicked", "previousEmail", "contactField"]},
                                    "emailNodeId": node_id,
                                    "event": {"type": "string", "enum": ["sent", "opened", "clicked", "replied"]},
                                    "field": {"type": "string", "minLength": 1, "maxLength": 64},
                                    "operator": {"type": "string", "enum": ["equals", "notEquals", "contains", "notContains", "isEmpty", "isNotEmpty"]},
                                    "value": {"type": ["string", "null"]}}}}}
                ]}
            },
            "edges": {
                "type": "array", "minItems": 1, "maxItems": 1000,
                "items": {"type": "object", "additionalProperties": false, "required": ["from", "to"],
                          "properties": {"from": node_id, "to": node_id,
                                         "label": {"type": "string", "enum": ["true", "false"], "description": "Only on a condition's two edges."}}}
            }
        }
    }))
}

/// The enrolment body: exactly one of `contactIds`, `groupIds`, `groupId` or `filters`.
pub fn add_contacts() -> RefOr<Schema> {
    let one = |name: &str, schema: Value| json!({"type": "object", "additionalProperties": false, "required": [name], "properties": {name: schema}});
    parse(json!({
        "description": "Exactly one of the four selectors.",
        "oneOf": [
            one("contactIds", json!({"type": "array", "minItems": 1, "maxItems": 1000, "items": {"type": "string", "pattern": "^con_[A-Za-z0-9]{20}$"}})),
            one("groupIds", json!({"type": "array", "minItems": 1, "maxItems": 100, "items": {"type": "string", "pattern": "^grp_[A-Za-z0-9]{20}$"}})),
            one("groupId", json!({"type": "string", "pattern": "^grp_[A-Za-z0-9]{20}$"})),
            one("filters", json!({"$ref": "#/components/schemas/SearchFilters"}))
        ],
        "example": {"groupId": "grp_Q2w3E4r5T6y7U8i9O0pA"}
    }))
}

impl utoipa::PartialSchema for crate::api::campaigns::dto::AddCampaignContactsRequest {
    fn schema() -> RefOr<Schema> {
        add_contacts()
    }
}

impl utoipa::ToSchema for crate::api::campaigns::dto::AddCampaignContactsRequest {}

fn webhook_events_schema(nullable: bool) -> RefOr<Schema> {
    let types = crate::webhooks::outbox::EVENT_TYPES;
    let mut schema = json!({
        "description": "Event types to receive (repeats are dropped), or [\"*\"] for all of them.",
        "anyOf": [
            {"type": "array", "minItems": 1, "items": {"type": "string", "enum": ["*"]}},
            {"type": "array", "minItems": 1, "items": {"type": "string", "enum": types}}
        ],
        "example": ["email.opened", "email.clicked"]
    });
    if nullable {
        if let Some(any) = schema["anyOf"].as_array_mut() {
            any.push(json!({"type": "null"}));
        }
    }
    parse(schema)
}

/// A webhook's `events` on create: the list is required.
pub fn webhook_events() -> RefOr<Schema> {
    webhook_events_schema(false)
}

/// A webhook's `events` on update: `null` or absent leaves them unchanged.
pub fn webhook_events_update() -> RefOr<Schema> {
    webhook_events_schema(true)
}
