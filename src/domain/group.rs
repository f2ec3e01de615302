//! Groups of contacts: static lists, or dynamic ones that enrol new members into campaigns.

use crate::domain::ids::GroupId;

/// Static or dynamic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupType {
    /// A plain list.
    #[default]
    Static,
    /// New members are enrolled at once in the active campaigns given this group.
    Dynamic,
}

impl GroupType {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Static => "static",
            Self::Dynamic => "dynamic",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "static" => Some(Self::Static),
            "dynamic" => Some(Self::Dynamic),
            _ => None,
        }
    }
}

/// A group as read back.
#[derive(Debug, Clone)]
pub struct Group {
    /// Public id.
    pub id: GroupId,
    /// Unique (case-insensitive) name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Type.
    pub group_type: GroupType,
    /// Display color `#rrggbb`.
    pub color: Option<String>,
    /// Number of members.
    pub contact_count: u64,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

/// A validated new group.
#[derive(Debug, Clone)]
pub struct NewGroup {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Type.
    pub group_type: GroupType,
    /// Color.
    pub color: Option<String>,
}

/// A validated partial update.
#[derive(Debug, Clone, Default)]
pub struct GroupChanges {
    /// New name.
    pub name: Option<String>,
    /// New description (or none).
    pub description: Option<Option<String>>,
    /// New type.
    pub group_type: Option<GroupType>,
    /// New color (or none).
    pub color: Option<Option<String>>,
}

/// Accepts `#rgb` or `#rrggbb` colors.
pub fn parse_color(raw: &str) -> Result<String, String> {
    let value = raw.trim();
    let hex = value.strip_prefix('#').unwrap_or("");
    if (hex.len() == 6 || hex.len() == 3) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err("color must be a hex color like #3b82f6".to_owned())
    }
}

/// Fields groups can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupSortField {
    /// Creation time (default).
    #[default]
    CreatedAt,
    /// Last change.
    UpdatedAt,
    /// Name.
    Name,
    /// Member count.
    ContactCount,
}

impl GroupSortField {
    /// The wire names accepted by `sort`.
    pub const NAMES: [&'static str; 4] = ["createdAt", "updatedAt", "name", "contactCount"];

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "createdAt" => Some(Self::CreatedAt),
            "updatedAt" => Some(Self::UpdatedAt),
            "name" => Some(Self::Name),
            "contactCount" => Some(Self::ContactCount),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors_must_be_hex() {
        assert_eq!(parse_color("#3B82F6").unwrap(), "#3b82f6");
        assert!(parse_color("red").is_err());
        assert!(parse_color("#12345").is_err());
    }
}
