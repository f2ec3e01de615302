//! Contacts: the validated shapes for creating and changing one, and the read model.

use crate::domain::email::EmailAddress;
use crate::domain::ids::{ContactId, GroupId, PipelineStageId};
use crate::domain::listing::SortOrder;
use serde_json::{Map, Value};

/// A contact's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactStatus {
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

impl ContactStatus {
    /// Every status, in display order.
    pub const ALL: [ContactStatus; 5] = [
        Self::Active,
        Self::Unsubscribed,
        Self::Bounced,
        Self::Replied,
        Self::Blocked,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Unsubscribed => "unsubscribed",
            Self::Bounced => "bounced",
            Self::Replied => "replied",
            Self::Blocked => "blocked",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }
}

/// A group as shown inside a contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRef {
    /// The group's id.
    pub id: GroupId,
    /// The group's name.
    pub name: String,
}

/// A pipeline stage as shown inside a contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRef {
    /// The stage's id.
    pub id: PipelineStageId,
    /// The stage's name.
    pub name: String,
}

/// A contact as read back from the database.
#[derive(Debug, Clone)]
pub struct Contact {
    /// Public id.
    pub id: ContactId,
    /// Email as given.
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
    pub status: ContactStatus,
    /// Groups the contact belongs to.
    pub groups: Vec<GroupRef>,
    /// Tags.
    pub tags: Vec<String>,
    /// Custom fields.
    pub custom_fields: Map<String, Value>,
    /// Pipeline stage.
    pub pipeline_stage: Option<StageRef>,
    /// Whether open tracking is disabled for this contact.
    pub tracking_opt_out: bool,
    /// Where consent came from.
    pub consent_source: Option<String>,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

/// Everything needed to create a contact, already validated.
#[derive(Debug, Clone)]
pub struct NewContact {
    /// Email.
    pub email: EmailAddress,
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
    /// Status (default active).
    pub status: ContactStatus,
    /// Tags, deduplicated.
    pub tags: Vec<String>,
    /// Custom fields.
    pub custom_fields: Map<String, Value>,
    /// Groups to join.
    pub group_ids: Vec<GroupId>,
    /// Pipeline stage.
    pub pipeline_stage_id: Option<PipelineStageId>,
    /// Open tracking opt-out.
    pub tracking_opt_out: bool,
    /// Consent source.
    pub consent_source: Option<String>,
}

/// A partial update: `None` leaves a field alone, `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default)]
pub struct ContactChanges {
    /// New email.
    pub email: Option<EmailAddress>,
    /// New first name.
    pub first_name: Option<Option<String>>,
    /// New last name.
    pub last_name: Option<Option<String>>,
    /// New company.
    pub company: Option<Option<String>>,
    /// New job title.
    pub job_title: Option<Option<String>>,
    /// New phone.
    pub phone: Option<Option<String>>,
    /// New website.
    pub website: Option<Option<String>>,
    /// New status.
    pub status: Option<ContactStatus>,
    /// Replacement tag list.
    pub tags: Option<Vec<String>>,
    /// Custom fields to merge: `None` as a value removes the key.
    pub custom_fields: Option<Vec<(String, Option<Value>)>>,
    /// Replacement group list.
    pub group_ids: Option<Vec<GroupId>>,
    /// New pipeline stage (or none).
    pub pipeline_stage_id: Option<Option<PipelineStageId>>,
    /// New opt-out flag.
    pub tracking_opt_out: Option<bool>,
    /// New consent source.
    pub consent_source: Option<Option<String>>,
}

impl ContactChanges {
    /// Turns a full new contact into the changes that overwrite an existing one with it
    /// (used by bulk and import with `onDuplicate=update`): only given values are applied.
    pub fn from_new(new: &NewContact) -> Self {
        let keep = |value: &Option<String>| value.clone().map(Some);
        Self {
            email: None,
            first_name: keep(&new.first_name),
            last_name: keep(&new.last_name),
            company: keep(&new.company),
            job_title: keep(&new.job_title),
            phone: keep(&new.phone),
            website: keep(&new.website),
            status: None,
            tags: None,
            custom_fields: (!new.custom_fields.is_empty()).then(|| {
                new.custom_fields
                    .iter()
                    .map(|(key, value)| (key.clone(), Some(value.clone())))
                    .collect()
            }),
            group_ids: None,
            pipeline_stage_id: new.pipeline_stage_id.clone().map(Some),
            tracking_opt_out: None,
            consent_source: keep(&new.consent_source),
        }
    }
}

/// Merges custom field changes into an existing map; `None` removes a key.
pub fn merge_custom_fields(
    existing: &mut Map<String, Value>,
    changes: &[(String, Option<Value>)],
) -> Result<(), String> {
    for (key, value) in changes {
        match value {
            Some(value) => {
                existing.insert(key.clone(), value.clone());
            }
            None => {
                existing.remove(key);
            }
        }
    }
    if existing.len() > crate::domain::text::MAX_CUSTOM_FIELDS {
        return Err(format!(
            "at most {} custom fields are allowed",
            crate::domain::text::MAX_CUSTOM_FIELDS
        ));
    }
    Ok(())
}

/// Fields contacts can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContactSortField {
    /// Creation time (default).
    #[default]
    CreatedAt,
    /// Last change.
    UpdatedAt,
    /// Email (case-insensitive).
    Email,
    /// First name.
    FirstName,
    /// Last name.
    LastName,
    /// Company.
    Company,
}

impl ContactSortField {
    /// The wire names accepted by `sort`.
    pub const NAMES: [&'static str; 6] = [
        "createdAt",
        "updatedAt",
        "email",
        "firstName",
        "lastName",
        "company",
    ];

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "createdAt" => Some(Self::CreatedAt),
            "updatedAt" => Some(Self::UpdatedAt),
            "email" => Some(Self::Email),
            "firstName" => Some(Self::FirstName),
            "lastName" => Some(Self::LastName),
            "company" => Some(Self::Company),
            _ => None,
        }
    }
}

/// How a group is named in a filter: by id, or by id-or-name (the `group` parameter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupSelector {
    /// Exact group id.
    Id(String),
    /// A group id or a group name (case-insensitive).
    IdOrName(String),
}

/// Filters for listing, searching and exporting contacts.
#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    /// Email contains (case-insensitive).
    pub email_contains: Option<String>,
    /// Any of these statuses.
    pub statuses: Vec<ContactStatus>,
    /// In this group.
    pub group: Option<GroupSelector>,
    /// In any of these groups (ids).
    pub any_group_ids: Vec<String>,
    /// Has this tag.
    pub tag: Option<String>,
    /// Has any of these tags.
    pub any_tags: Vec<String>,
    /// Company contains (case-insensitive).
    pub company_contains: Option<String>,
    /// Email, names or company contain this (case-insensitive).
    pub query: Option<String>,
    /// Custom field equals value.
    pub custom_fields: Vec<(String, Value)>,
    /// Created at or after (RFC 3339).
    pub created_after: Option<String>,
    /// Created at or before (RFC 3339).
    pub created_before: Option<String>,
}

impl ContactFilter {
    /// Whether no filter is set (the total can then come from the workspace counter).
    pub fn is_empty(&self) -> bool {
        self.email_contains.is_none()
            && self.statuses.is_empty()
            && self.group.is_none()
            && self.any_group_ids.is_empty()
            && self.tag.is_none()
            && self.any_tags.is_empty()
            && self.company_contains.is_none()
            && self.query.is_none()
            && self.custom_fields.is_empty()
            && self.created_after.is_none()
            && self.created_before.is_none()
    }
}

/// A sort request for contacts.
#[derive(Debug, Clone, Copy, Default)]
pub struct ContactSort {
    /// Field.
    pub field: ContactSortField,
    /// Direction.
    pub order: SortOrder,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merging_custom_fields_sets_and_removes_keys() {
        let mut existing = json!({"plan": "gold", "score": 3})
            .as_object()
            .unwrap()
            .clone();
        merge_custom_fields(
            &mut existing,
            &[("plan".into(), None), ("city".into(), Some(json!("Lyon")))],
        )
        .unwrap();
        assert_eq!(Value::Object(existing), json!({"score": 3, "city": "Lyon"}));
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in ContactStatus::ALL {
            assert_eq!(ContactStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ContactStatus::parse("Active"), None);
    }
}
