//! Query strings of the contact list and export, turned into domain filters.

use super::dto::ContactStatusDto;
use crate::domain::contact::{ContactFilter, ContactSort, ContactSortField, GroupSelector};
use crate::domain::listing::SortOrder;
use crate::domain::time;
use crate::error::Error;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// Fields contacts can be sorted by.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum ContactSortDto {
    /// Creation time (default).
    CreatedAt,
    /// Last change.
    UpdatedAt,
    /// Email.
    Email,
    /// First name.
    FirstName,
    /// Last name.
    LastName,
    /// Company.
    Company,
}

impl From<ContactSortDto> for ContactSortField {
    fn from(value: ContactSortDto) -> Self {
        match value {
            ContactSortDto::CreatedAt => Self::CreatedAt,
            ContactSortDto::UpdatedAt => Self::UpdatedAt,
            ContactSortDto::Email => Self::Email,
            ContactSortDto::FirstName => Self::FirstName,
            ContactSortDto::LastName => Self::LastName,
            ContactSortDto::Company => Self::Company,
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OrderDto {
    /// Ascending.
    Asc,
    /// Descending (default).
    Desc,
}

impl From<OrderDto> for SortOrder {
    fn from(value: OrderDto) -> Self {
        match value {
            OrderDto::Asc => Self::Asc,
            OrderDto::Desc => Self::Desc,
        }
    }
}

/// Builds a contact sort from the optional query values.
pub fn sort(field: Option<ContactSortDto>, order: Option<OrderDto>) -> ContactSort {
    ContactSort {
        field: field.map(Into::into).unwrap_or_default(),
        order: order.map(Into::into).unwrap_or_default(),
    }
}

/// Query of `GET /v1/contacts`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ContactListQuery {
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
    /// Email contains (case-insensitive).
    #[param(max_length = 255)]
    pub email: Option<String>,
    /// Status.
    pub status: Option<ContactStatusDto>,
    /// Group id or group name.
    #[param(max_length = 255)]
    pub group: Option<String>,
    /// Group id.
    #[param(max_length = 255)]
    pub group_id: Option<String>,
    /// Has this tag.
    #[param(max_length = 255)]
    pub tag: Option<String>,
    /// Company contains (case-insensitive).
    #[param(max_length = 255)]
    pub company: Option<String>,
    /// Email, first/last name or company contains (case-insensitive).
    #[param(max_length = 255)]
    pub q: Option<String>,
    /// Created at or after this time (RFC 3339).
    #[param(format = DateTime)]
    pub created_after: Option<String>,
    /// Created at or before this time (RFC 3339).
    #[param(format = DateTime)]
    pub created_before: Option<String>,
}

/// Query of `GET /v1/contacts/export`: the list filters and sort, no pagination.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ContactExportQuery {
    /// Sort field (default `createdAt`).
    pub sort: Option<ContactSortDto>,
    /// Sort order (default `desc`).
    pub order: Option<OrderDto>,
    /// Email contains (case-insensitive).
    #[param(max_length = 255)]
    pub email: Option<String>,
    /// Status.
    pub status: Option<ContactStatusDto>,
    /// Group id or group name.
    #[param(max_length = 255)]
    pub group: Option<String>,
    /// Group id.
    #[param(max_length = 255)]
    pub group_id: Option<String>,
    /// Has this tag.
    #[param(max_length = 255)]
    pub tag: Option<String>,
    /// Company contains.
    #[param(max_length = 255)]
    pub company: Option<String>,
    /// Email, name or company contains.
    #[param(max_length = 255)]
    pub q: Option<String>,
    /// Created at or after (RFC 3339).
    #[param(format = DateTime)]
    pub created_after: Option<String>,
    /// Created at or before (RFC 3339).
    #[param(format = DateTime)]
    pub created_before: Option<String>,
}

/// The filter fields shared by list and export.
pub struct FilterParams {
    /// `email`
    pub email: Option<String>,
    /// `status`
    pub status: Option<ContactStatusDto>,
    /// `group`
    pub group: Option<String>,
    /// `groupId`
    pub group_id: Option<String>,
    /// `tag`
    pub tag: Option<String>,
    /// `company`
    pub company: Option<String>,
    /// `q`
    pub q: Option<String>,
    /// `createdAfter`
    pub created_after: Option<String>,
    /// `createdBefore`
    pub created_before: Option<String>,
}

/// Both query types carry the same filter fields (serde's `flatten` cannot be combined with
/// `deny_unknown_fields`, so the fields are repeated there and moved out here).
macro_rules! filter_params_of {
    ($query:ty) => {
        impl $query {
            /// Splits out the filter fields.
            pub fn filter_params(&mut self) -> FilterParams {
                FilterParams {
                    email: self.email.take(),
                    status: self.status,
                    group: self.group.take(),
                    group_id: self.group_id.take(),
                    tag: self.tag.take(),
                    company: self.company.take(),
                    q: self.q.take(),
                    created_after: self.created_after.take(),
                    created_before: self.created_before.take(),
                }
            }
        }
    };
}

filter_params_of!(ContactListQuery);
filter_params_of!(ContactExportQuery);

fn non_empty(field: &str, value: Option<String>) -> Result<Option<String>, Error> {
    match value {
        Some(v) if v.chars().count() > 255 => Err(Error::invalid(
            field,
            format!("{field} must be at most 255 characters"),
        )),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => Ok(Some(v.trim().to_owned())),
        None => Ok(None),
    }
}

/// A timestamp filter: when given, it must be an RFC 3339 timestamp (an empty value included).
fn timestamp(field: &str, value: Option<String>) -> Result<Option<String>, Error> {
    match value {
        None => Ok(None),
        Some(raw) => time::parse(&raw)
            .filter(|_| raw.trim() == raw)
            .map(|t| Some(time::format(t)))
            .ok_or_else(|| Error::invalid(field, format!("{field} must be an RFC 3339 timestamp"))),
    }
}

impl FilterParams {
    /// Validates the values into a domain filter.
    pub fn into_filter(self) -> Result<ContactFilter, Error> {
        let group = match (
            non_empty("groupId", self.group_id)?,
            non_empty("group", self.group)?,
        ) {
            (Some(id), _) => Some(GroupSelector::Id(id)),
            (None, Some(value)) => Some(GroupSelector::IdOrName(value)),
            (None, None) => None,
        };
        Ok(ContactFilter {
            email_contains: non_empty("email", self.email)?,
            statuses: self.status.map(Into::into).into_iter().collect(),
            group,
            tag: non_empty("tag", self.tag)?,
            company_contains: non_empty("company", self.company)?,
            query: non_empty("q", self.q)?,
            created_after: timestamp("createdAfter", self.created_after)?,
            created_before: timestamp("createdBefore", self.created_before)?,
            ..ContactFilter::default()
        })
    }
}
