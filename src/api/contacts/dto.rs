//! Request and response bodies of the contact endpoints, and their conversion to domain types.

use crate::domain::contact::{Contact, ContactChanges, ContactStatus, NewContact};
use crate::domain::email::EmailAddress;
use crate::domain::ids::{GroupId, PipelineStageId};
use crate::domain::text;
use crate::error::Error;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// Most group ids one request may name.
pub const MAX_GROUP_IDS: usize = 100;

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A contact's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContactStatusDto {
    /// Can be sent to.
    Active,
    /// Asked to receive nothing more.
    Unsubscribed,
    /// A message hard-bounced.
    Bounced,
    /// Replied to a campaign.
    Replied,
    /// Blocked by the user.
    Blocked,
}

impl From<ContactStatusDto> for ContactStatus {
    fn from(value: ContactStatusDto) -> Self {
        match value {
            ContactStatusDto::Active => Self::Active,
            ContactStatusDto::Unsubscribed => Self::Unsubscribed,
            ContactStatusDto::Bounced => Self::Bounced,
            ContactStatusDto::Replied => Self::Replied,
            ContactStatusDto::Blocked => Self::Blocked,
        }
    }
}

impl From<ContactStatus> for ContactStatusDto {
    fn from(value: ContactStatus) -> Self {
        match value {
            ContactStatus::Active => Self::Active,
            ContactStatus::Unsubscribed => Self::Unsubscribed,
            ContactStatus::Bounced => Self::Bounced,
            ContactStatus::Replied => Self::Replied,
            ContactStatus::Blocked => Self::Blocked,
        }
    }
}

/// A custom field value: string, number or boolean (its schema is in `api::openapi`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CustomFieldValue {
    /// Text (at most 2000 characters).
    Text(String),
    /// A number.
    Number(f64),
    /// A boolean.
    Flag(bool),
}

/// Body of `POST /v1/contacts` (and one row of bulk).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace", "company": "Analytical Engines", "tags": ["vip"], "customFields": {"plan": "gold", "seats": 12}}))]
pub struct CreateContactRequest {
    /// Email address, unique per workspace (case-insensitive).
    #[schema(format = "idn-email", max_length = 254)]
    pub email: String,
    /// First name.
    #[schema(max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub first_name: Option<String>,
    /// Last name.
    #[schema(max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub last_name: Option<String>,
    /// Company.
    #[schema(max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub company: Option<String>,
    /// Job title.
    #[schema(max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub job_title: Option<String>,
    /// Phone number.
    #[schema(max_length = 64, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub phone: Option<String>,
    /// Website.
    #[schema(max_length = 2048, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub website: Option<String>,
    /// Status (default `active`).
    pub status: Option<ContactStatusDto>,
    /// Groups to add the contact to.
    #[schema(schema_with = crate::api::openapi::schemas::optional_group_ids)]
    pub group_ids: Option<Vec<String>>,
    /// Tags.
    #[schema(schema_with = crate::api::openapi::schemas::optional_tags)]
    pub tags: Option<Vec<String>>,
    /// Custom fields: keys of 1–64 letters, digits, `_`, `-`, `.` or spaces.
    #[schema(schema_with = crate::api::openapi::schemas::custom_fields)]
    pub custom_fields: Option<Map<String, Value>>,
    /// Pipeline stage id (`stg_…`, see `GET /v1/pipeline-stages`); an unknown one is `404`.
    #[schema(pattern = "^stg_[A-Za-z0-9]{20}$")]
    pub pipeline_stage_id: Option<String>,
    /// Disable open tracking for this contact.
    pub tracking_opt_out: Option<bool>,
    /// Where consent came from.
    #[schema(max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub consent_source: Option<String>,
}

/// Body of `PUT /v1/contacts/{id}`: only the given fields change; `null` clears a field, and in
/// `customFields` a `null` value removes that key while other keys are merged.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"company": "New Co", "customFields": {"plan": "platinum", "oldField": null}}))]
pub struct UpdateContactRequest {
    /// New email.
    #[schema(format = "idn-email", max_length = 254)]
    pub email: Option<String>,
    /// First name (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub first_name: Option<Option<String>>,
    /// Last name.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub last_name: Option<Option<String>>,
    /// Company.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub company: Option<Option<String>>,
    /// Job title.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub job_title: Option<Option<String>>,
    /// Phone.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 64, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub phone: Option<Option<String>>,
    /// Website.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 2048, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub website: Option<Option<String>>,
    /// Status.
    pub status: Option<ContactStatusDto>,
    /// Replaces the group list.
    #[schema(schema_with = crate::api::openapi::schemas::optional_group_ids)]
    pub group_ids: Option<Vec<String>>,
    /// Replaces the tag list.
    #[schema(schema_with = crate::api::openapi::schemas::optional_tags)]
    pub tags: Option<Vec<String>>,
    /// Merged per key; a `null` value removes the key.
    #[schema(schema_with = crate::api::openapi::schemas::custom_field_changes)]
    pub custom_fields: Option<Map<String, Value>>,
    /// Pipeline stage (`null` clears); an unknown one is `404`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, pattern = "^stg_[A-Za-z0-9]{20}$")]
    pub pipeline_stage_id: Option<Option<String>>,
    /// Disable open tracking.
    pub tracking_opt_out: Option<bool>,
    /// Consent source.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub consent_source: Option<Option<String>>,
}

/// A group inside a contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupRefDto {
    /// Group id.
    pub id: String,
    /// Group name.
    pub name: String,
}

/// A pipeline stage inside a contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageRefDto {
    /// Stage id.
    pub id: String,
    /// Stage name.
    pub name: String,
}

/// A contact.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"id": "con_8fK2mQ9xLp3vR7tY1wZa", "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace", "company": "Analytical Engines", "jobTitle": null, "phone": null, "website": null, "status": "active", "groups": [{"id": "grp_Q2w3E4r5T6y7U8i9O0pA", "name": "Leads"}], "tags": ["vip"], "customFields": {"plan": "gold"}, "pipelineStage": null, "trackingOptOut": false, "consentSource": null, "createdAt": "2025-01-15T10:30:00Z", "updatedAt": "2025-01-15T10:30:00Z"}))]
pub struct ContactResponse {
    /// Contact id (`con_…`).
    pub id: String,
    /// Email.
    pub email: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Status.
    pub status: ContactStatusDto,
    /// Groups.
    pub groups: Vec<GroupRefDto>,
    /// Tags.
    pub tags: Vec<String>,
    /// Custom fields.
    #[schema(value_type = std::collections::HashMap<String, CustomFieldValue>)]
    pub custom_fields: Map<String, Value>,
    /// Pipeline stage.
    pub pipeline_stage: Option<StageRefDto>,
    /// Open tracking disabled.
    pub tracking_opt_out: bool,
    /// Consent source.
    pub consent_source: Option<String>,
    /// Creation time (RFC 3339 UTC).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Last change (RFC 3339 UTC).
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Contact> for ContactResponse {
    fn from(contact: Contact) -> Self {
        Self {
            id: contact.id.to_string(),
            email: contact.email,
            first_name: contact.first_name,
            last_name: contact.last_name,
            company: contact.company,
            job_title: contact.job_title,
            phone: contact.phone,
            website: contact.website,
            status: contact.status.into(),
            groups: contact
                .groups
                .into_iter()
                .map(|group| GroupRefDto {
                    id: group.id.to_string(),
                    name: group.name,
                })
                .collect(),
            tags: contact.tags,
            custom_fields: contact.custom_fields,
            pipeline_stage: contact.pipeline_stage.map(|stage| StageRefDto {
                id: stage.id.to_string(),
                name: stage.name,
            }),
            tracking_opt_out: contact.tracking_opt_out,
            consent_source: contact.consent_source,
            created_at: contact.created_at,
            updated_at: contact.updated_at,
        }
    }
}

/// Body of `DELETE /v1/contacts/{id}`'s answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "con_8fK2mQ9xLp3vR7tY1wZa", "deleted": true}))]
pub struct DeletedResponse {
    /// The deleted id.
    pub id: String,
    /// Always true.
    pub deleted: bool,
}

/// `{"groupIds": [...]}`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"groupIds": ["grp_Q2w3E4r5T6y7U8i9O0pA"]}))]
pub struct GroupIdsRequest {
    /// Group ids (`grp_…`), 1 to 100.
    #[schema(schema_with = crate::api::openapi::schemas::required_group_ids)]
    pub group_ids: Vec<String>,
}

/// `{"tags": [...]}`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"tags": ["vip", "q1-2025"]}))]
pub struct TagsRequest {
    /// Tags, 1 to 100.
    #[schema(schema_with = crate::api::openapi::schemas::required_tags)]
    pub tags: Vec<String>,
}

fn line(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, Error> {
    match value {
        None => Ok(None),
        Some(raw) => {
            text::single_line(field, &raw, max).map_err(|message| Error::invalid(field, message))
        }
    }
}

fn clearable(
    field: &str,
    value: Option<Option<String>>,
    max: usize,
) -> Result<Option<Option<String>>, Error> {
    match value {
        None => Ok(None),
        Some(inner) => line(field, inner, max).map(Some),
    }
}

/// Parses `groupIds`: each must look like a group id (existence is checked in the database).
pub fn group_ids(raw: &[String]) -> Result<Vec<GroupId>, Error> {
    if raw.len() > MAX_GROUP_IDS {
        return Err(Error::invalid(
            "groupIds",
            format!("at most {MAX_GROUP_IDS} group ids are allowed"),
        ));
    }
    raw.iter()
        .map(|id| {
            GroupId::parse(id).ok_or_else(|| Error::Validation {
                message: format!("Group {id} does not exist"),
                details: Some(serde_json::json!({ "field": "groupIds", "id": id })),
            })
        })
        .collect()
}

/// Parses a list of tags.
pub fn tags(raw: &[String]) -> Result<Vec<String>, Error> {
    text::tags(raw).map_err(|message| Error::invalid("tags", message))
}

fn stage_id(raw: &str) -> Result<PipelineStageId, Error> {
    PipelineStageId::parse(raw)
        .ok_or_else(|| Error::invalid("pipelineStageId", format!("Unknown pipeline stage {raw}")))
}

fn email(raw: &str) -> Result<EmailAddress, Error> {
    EmailAddress::parse(raw).map_err(|message| Error::invalid("email", message))
}

impl TryFrom<CreateContactRequest> for NewContact {
    type Error = Error;

    fn try_from(request: CreateContactRequest) -> Result<Self, Error> {
        Ok(NewContact {
            email: email(&request.email)?,
            first_name: line("firstName", request.first_name, 255)?,
            last_name: line("lastName", request.last_name, 255)?,
            company: line("company", request.company, 255)?,
            job_title: line("jobTitle", request.job_title, 255)?,
            phone: line("phone", request.phone, 64)?,
            website: line("website", request.website, 2048)?,
            status: request.status.map_or(ContactStatus::Active, Into::into),
            tags: tags(request.tags.as_deref().unwrap_or_default())?,
            custom_fields: match &request.custom_fields {
                Some(map) => text::custom_fields(map)
                    .map_err(|message| Error::invalid("customFields", message))?,
                None => Map::new(),
            },
            group_ids: group_ids(request.group_ids.as_deref().unwrap_or_default())?,
            pipeline_stage_id: request
                .pipeline_stage_id
                .as_deref()
                .map(stage_id)
                .transpose()?,
            tracking_opt_out: request.tracking_opt_out.unwrap_or(false),
            consent_source: line("consentSource", request.consent_source, 255)?,
        })
    }
}

impl TryFrom<UpdateContactRequest> for ContactChanges {
    type Error = Error;

    fn try_from(request: UpdateContactRequest) -> Result<Self, Error> {
        let custom_fields = match request.custom_fields {
            None => None,
            Some(map) if map.len() > text::MAX_CUSTOM_FIELDS => {
                return Err(Error::invalid(
                    "customFields",
                    format!(
                        "at most {} custom fields are allowed",
                        text::MAX_CUSTOM_FIELDS
                    ),
                ))
            }
            Some(map) => {
                let mut changes = Vec::with_capacity(map.len());
                for (key, value) in map {
                    let key = text::custom_field_key(&key)
                        .map_err(|message| Error::invalid("customFields", message))?;
                    let value = match value {
                        Value::Null => None,
                        value => Some(
                            text::custom_field_value(&key, &value)
                                .map_err(|message| Error::invalid("customFields", message))?,
                        ),
                    };
                    changes.push((key, value));
                }
                Some(changes)
            }
        };
        Ok(ContactChanges {
            email: request.email.as_deref().map(email).transpose()?,
            first_name: clearable("firstName", request.first_name, 255)?,
            last_name: clearable("lastName", request.last_name, 255)?,
            company: clearable("company", request.company, 255)?,
            job_title: clearable("jobTitle", request.job_title, 255)?,
            phone: clearable("phone", request.phone, 64)?,
            website: clearable("website", request.website, 2048)?,
            status: request.status.map(Into::into),
            tags: request.tags.as_deref().map(tags).transpose()?,
            custom_fields,
            group_ids: request.group_ids.as_deref().map(group_ids).transpose()?,
            pipeline_stage_id: match request.pipeline_stage_id {
                None => None,
                Some(None) => Some(None),
                Some(Some(raw)) => Some(Some(stage_id(&raw)?)),
            },
            tracking_opt_out: request.tracking_opt_out,
            consent_source: clearable("consentSource", request.consent_source, 255)?,
        })
    }
}
