//! Workspaces (tenants) and their plans.

use crate::domain::ids::WorkspaceId;

/// A workspace's subscription plan; only Pro may use the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// No API access.
    Free,
    /// No API access.
    Starter,
    /// Full API access.
    Pro,
}

impl Plan {
    /// Parses the stored or typed name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "free" => Some(Self::Free),
            "starter" => Some(Self::Starter),
            "pro" => Some(Self::Pro),
            _ => None,
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Starter => "starter",
            Self::Pro => "pro",
        }
    }

    /// Whether keys of this plan may call `/v1`.
    pub fn has_api_access(self) -> bool {
        self == Self::Pro
    }
}

/// A workspace as listed by the CLI.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// Its id.
    pub id: WorkspaceId,
    /// Display name.
    pub name: String,
    /// Plan.
    pub plan: Plan,
    /// Creation time (RFC 3339).
    pub created_at: String,
}
