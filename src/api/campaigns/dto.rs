//! Request and response shapes of `/v1/campaigns`.

use crate::api::campaign_stats::CampaignStatsSummary;
use crate::api::contacts::bulk::SearchFilters;
use crate::api::contacts::query::OrderDto;
use crate::db::campaign_stats::CampaignCounts;
use crate::db::campaigns::enrolment::{EnrolError, Enrolment};
use crate::db::campaigns::CampaignRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// A campaign's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CampaignStatusDto {
    /// Being prepared; nothing is sent.
    Draft,
    /// Sending.
    Active,
    /// Stopped for now; resumes where each contact stood.
    Paused,
    /// Every contact has finished.
    Completed,
    /// Put away.
    Archived,
}

impl From<crate::domain::campaign::CampaignStatus> for CampaignStatusDto {
    fn from(value: crate::domain::campaign::CampaignStatus) -> Self {
        use crate::domain::campaign::CampaignStatus as S;
        match value {
            S::Draft => Self::Draft,
            S::Active => Self::Active,
            S::Paused => Self::Paused,
            S::Completed => Self::Completed,
            S::Archived => Self::Archived,
        }
    }
}

impl From<CampaignStatusDto> for crate::domain::campaign::CampaignStatus {
    fn from(value: CampaignStatusDto) -> Self {
        match value {
            CampaignStatusDto::Draft => Self::Draft,
            CampaignStatusDto::Active => Self::Active,
            CampaignStatusDto::Paused => Self::Paused,
            CampaignStatusDto::Completed => Self::Completed,
            CampaignStatusDto::Archived => Self::Archived,
        }
    }
}

/// A campaign.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "id": "cmp_0Qm3kd9aZb7RtYv2LpXw", "name": "Q1 outreach", "description": "Founders in fintech",
    "status": "draft", "emailAccountId": "acc_0Qm3kd9aZb7RtYv2LpXa",
    "settings": {"sendDays": ["monday", "tuesday", "wednesday", "thursday", "friday"], "sendHoursStart": 9, "sendHoursEnd": 17, "timezone": "Europe/Paris", "maxEmailsPerHour": 50, "dailyLimit": null, "stopOnReply": true, "trackOpens": true, "trackClicks": true, "unsubscribeLink": true},
    "workflow": {"nodes": [{"id": "node_1", "type": "start"}, {"id": "node_2", "type": "email", "data": {"subject": "Hi {{firstName|there}}", "body": "<p>Hello {{firstName|there}}</p>"}}, {"id": "node_3", "type": "end"}], "edges": [{"from": "node_1", "to": "node_2"}, {"from": "node_2", "to": "node_3"}]},
    "groupIds": [], "stats": {"totalContacts": 0, "sent": 0, "delivered": 0, "opened": 0, "clicked": 0, "replied": 0, "bounced": 0, "unsubscribed": 0},
    "createdAt": "2025-01-15T10:30:00Z", "startedAt": null, "completedAt": null, "updatedAt": "2025-01-15T10:30:00Z"}))]
pub struct CampaignResponse {
    /// Campaign id (`cmp_…`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Status.
    pub status: CampaignStatusDto,
    /// Sending account (`acc_…`).
    pub email_account_id: Option<String>,
    /// Sending settings.
    #[schema(schema_with = crate::api::openapi::campaign_schemas::settings)]
    pub settings: Value,
    /// The workflow graph `{nodes, edges}`, or null before one is given.
    #[schema(schema_with = crate::api::openapi::campaign_schemas::workflow)]
    pub workflow: Option<Value>,
    /// Groups whose members were enrolled (dynamic groups keep enrolling new members).
    pub group_ids: Vec<String>,
    /// Counters.
    pub stats: CampaignStatsSummary,
    /// Creation time.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// First start.
    #[schema(format = DateTime)]
    pub started_at: Option<String>,
    /// Completion (ext).
    #[schema(format = DateTime)]
    pub completed_at: Option<String>,
    /// Last change.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl CampaignResponse {
    /// Shapes a stored campaign and its counters.
    pub fn new(campaign: CampaignRecord, counters: CampaignCounts) -> Self {
        Self {
            id: campaign.id.to_string(),
            name: campaign.name,
            description: campaign.description,
            status: campaign.status.into(),
            email_account_id: campaign.email_account.map(|(_, id)| id.to_string()),
            settings: serde_json::from_str(&campaign.settings).unwrap_or(Value::Null),
            workflow: campaign
                .workflow
                .as_deref()
                .and_then(|w| serde_json::from_str(w).ok()),
            group_ids: campaign.group_ids.iter().map(ToString::to_string).collect(),
            stats: counters.into(),
            created_at: campaign.created_at,
            started_at: campaign.started_at,
            completed_at: campaign.completed_at,
            updated_at: campaign.updated_at,
        }
    }
}

/// Body of `POST /v1/campaigns`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({
    "name": "Q1 outreach", "emailAccountId": "acc_0Qm3kd9aZb7RtYv2LpXa",
    "settings": {"sendDays": ["monday", "tuesday", "wednesday", "thursday", "friday"], "sendHoursStart": 9, "sendHoursEnd": 17, "timezone": "Europe/Paris", "maxEmailsPerHour": 50},
    "workflow": {"nodes": [{"id": "node_1", "type": "start"}, {"id": "node_2", "type": "email", "data": {"subject": "Hi {{firstName|there}}", "body": "<p>Hello {{firstName|there}}</p>"}}, {"id": "node_3", "type": "delay", "data": {"days": 3, "businessDays": true}}, {"id": "node_4", "type": "email", "data": {"subject": "", "body": "<p>Just bumping this up.</p>"}}, {"id": "node_5", "type": "end"}], "edges": [{"from": "node_1", "to": "node_2"}, {"from": "node_2", "to": "node_3"}, {"from": "node_3", "to": "node_4"}, {"from": "node_4", "to": "node_5"}]}}))]
pub struct CreateCampaignRequest {
    /// Name (required).
    #[schema(
        max_length = 255,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// Description.
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// Sending account (`acc_…`, required).
    #[schema(pattern = "^acc_[A-Za-z0-9]{20}$")]
    pub email_account_id: String,
    /// Settings; omitted fields take their defaults (Monday–Friday, 9–17 UTC, 50 per hour).
    #[schema(schema_with = crate::api::openapi::campaign_schemas::settings)]
    pub settings: Option<Value>,
    /// Workflow graph `{nodes, edges}`.
    #[schema(schema_with = crate::api::openapi::campaign_schemas::workflow)]
    pub workflow: Option<Value>,
    /// Groups whose members are enrolled now (dynamic groups keep enrolling new members).
    pub group_ids: Option<Vec<String>>,
}

/// Body of `PUT /v1/campaigns/{id}` (draft or paused campaigns only): given fields change;
/// `settings` merge field by field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"name": "Q1 outreach (v2)", "settings": {"maxEmailsPerHour": 30}}))]
pub struct UpdateCampaignRequest {
    /// New name.
    #[schema(
        max_length = 255,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: Option<String>,
    /// New description (`null` clears it).
    #[serde(default, deserialize_with = "crate::api::contacts::dto::double_option")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Option<String>>,
    /// New sending account.
    #[schema(pattern = "^acc_[A-Za-z0-9]{20}$")]
    pub email_account_id: Option<String>,
    /// Settings to change.
    #[schema(schema_with = crate::api::openapi::campaign_schemas::settings)]
    pub settings: Option<Value>,
    /// New workflow.
    #[schema(schema_with = crate::api::openapi::campaign_schemas::workflow)]
    pub workflow: Option<Value>,
    /// New target groups (members of newly given groups are enrolled).
    pub group_ids: Option<Vec<String>>,
}

/// Fields campaigns can be sorted by.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum CampaignSortDto {
    /// Creation time (default).
    CreatedAt,
    /// Last change.
    UpdatedAt,
    /// Name.
    Name,
}

/// Query of `GET /v1/campaigns`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CampaignListQuery {
    /// Page number (default 1).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    /// Items per page (default 20, at most 100).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
    /// Sort field (default `createdAt`).
    pub sort: Option<CampaignSortDto>,
    /// Sort order (default `desc`).
    pub order: Option<OrderDto>,
    /// Status.
    pub status: Option<CampaignStatusDto>,
    /// Name contains (case-insensitive).
    #[param(max_length = 255)]
    pub name: Option<String>,
}

/// Body of `POST /v1/campaigns/{id}/contacts`: exactly one of the four selectors.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AddCampaignContactsRequest {
    /// Contacts by id (1 to 1000).
    pub contact_ids: Option<Vec<String>>,
    /// Every member of these groups.
    pub group_ids: Option<Vec<String>>,
    /// Every member of this group.
    pub group_id: Option<String>,
    /// Every contact matching these filters (same as the search filters).
    pub filters: Option<SearchFilters>,
}

/// Body of `DELETE /v1/campaigns/{id}/contacts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"contactIds": ["con_8fK2mQ9xLp3vR7tY1wZa"]}))]
pub struct RemoveCampaignContactsRequest {
    /// Contact ids (1 to 1000).
    #[schema(min_items = 1, max_items = 1000)]
    pub contact_ids: Vec<String>,
}

/// A contact that was not enrolled or removed, and why.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnrolErrorDto {
    /// The contact id.
    pub contact_id: String,
    /// `NOT_FOUND`, `UNSUBSCRIBED`, `BOUNCED` or `BLOCKED`.
    pub code: String,
    /// Why.
    pub message: String,
}

impl From<EnrolError> for EnrolErrorDto {
    fn from(error: EnrolError) -> Self {
        Self {
            contact_id: error.contact_id,
            code: error.code.to_owned(),
            message: error.message,
        }
    }
}

/// Result of enrolling contacts. `skipped` counts existing contacts left out (already enrolled,
/// or unsubscribed / bounced / blocked: those are also listed in `errors` with their reason).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"added": 2, "skipped": 1, "errors": [{"contactId": "con_8fK2mQ9xLp3vR7tY1wZa", "code": "UNSUBSCRIBED", "message": "Contact has unsubscribed"}]}))]
pub struct AddCampaignContactsResponse {
    /// Contacts enrolled.
    pub added: u64,
    /// Contacts left out.
    pub skipped: u64,
    /// Unknown or suppressed contacts (at most 1000 listed).
    pub errors: Vec<EnrolErrorDto>,
}

/// Result of removing contacts.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"removed": 1, "skipped": 0, "errors": []}))]
pub struct RemoveCampaignContactsResponse {
    /// Contacts removed.
    pub removed: u64,
    /// Contacts that were not enrolled.
    pub skipped: u64,
    /// Unknown ids.
    pub errors: Vec<EnrolErrorDto>,
}

/// Progress status of an enrolled contact.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnrolmentStatusDto {
    /// Not started yet.
    Pending,
    /// Walking the workflow.
    InProgress,
    /// Reached an end node.
    Completed,
    /// Replied (the sequence stops when `stopOnReply`).
    Replied,
    /// The address bounced.
    Bounced,
    /// Unsubscribed.
    Unsubscribed,
    /// Stopped: see `reason` (e.g. a template variable the contact lacks).
    Failed,
}

impl EnrolmentStatusDto {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Replied => "replied",
            Self::Bounced => "bounced",
            Self::Unsubscribed => "unsubscribed",
            Self::Failed => "failed",
        }
    }
}

/// One enrolled contact's progress.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"contactId": "con_8fK2mQ9xLp3vR7tY1wZa", "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace", "status": "in_progress", "currentNodeId": "node_3", "nextActionAt": "2025-01-18T09:00:00Z", "lastEmailNodeId": "node_2", "emailsSent": 1, "reason": null, "enrolledAt": "2025-01-15T10:30:00Z", "updatedAt": "2025-01-15T10:31:00Z"}))]
pub struct CampaignContactResponse {
    /// Contact id.
    pub contact_id: String,
    /// Email.
    pub email: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Progress status.
    pub status: String,
    /// Workflow node the contact stands at.
    pub current_node_id: Option<String>,
    /// When the sender acts on this contact next (null: finished, or a send in flight).
    #[schema(format = DateTime)]
    pub next_action_at: Option<String>,
    /// The last email node sent to the contact.
    pub last_email_node_id: Option<String>,
    /// Emails handed to SMTP for this contact.
    pub emails_sent: u64,
    /// Why the contact stopped or was skipped.
    pub reason: Option<String>,
    /// Enrolment time.
    #[schema(format = DateTime)]
    pub enrolled_at: String,
    /// Last change.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Enrolment> for CampaignContactResponse {
    fn from(e: Enrolment) -> Self {
        Self {
            contact_id: e.contact_id.to_string(),
            email: e.email,
            first_name: e.first_name,
            last_name: e.last_name,
            status: e.status,
            current_node_id: e.node_id,
            next_action_at: e.due_at.map(crate::domain::time::from_unix),
            last_email_node_id: e.last_email_node,
            emails_sent: e.emails_sent,
            reason: e.reason,
            enrolled_at: e.enrolled_at,
            updated_at: e.updated_at,
        }
    }
}

/// Query of `GET /v1/campaigns/{id}/contacts`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CampaignContactsQuery {
    /// Page number (default 1).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    /// Items per page (default 20, at most 100).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
    /// Only contacts in this status.
    pub status: Option<EnrolmentStatusDto>,
}
