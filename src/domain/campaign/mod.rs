//! Campaigns: the status machine; the send days and sending settings live in `settings`.

use serde::{Deserialize, Serialize};
use std::fmt;

pub mod settings;

pub use settings::{weekday_name, CampaignSettings, SendDays, SettingsError, SettingsInput};

/// A campaign's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CampaignStatus {
    /// Being written; nothing is sent.
    Draft,
    /// Sending.
    Active,
    /// Stopped by the user; resumable.
    Paused,
    /// Every enrolled contact reached an end.
    Completed,
    /// Kept for its history only.
    Archived,
}

/// Something a user (or the sender) asks a campaign to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CampaignAction {
    /// Draft → active.
    Start,
    /// Active → paused.
    Pause,
    /// Paused → active.
    Resume,
    /// Completed or paused → archived.
    Archive,
    /// Active → completed (the sender, once every contact is done).
    Complete,
}

impl CampaignAction {
    /// The verb used in messages ("Cannot pause a draft campaign").
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Archive => "archive",
            Self::Complete => "complete",
        }
    }
}

/// The outcome of an allowed action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The campaign moves to this status.
    Changed(CampaignStatus),
    /// The campaign is already where the action leads (an idempotent no-op).
    Unchanged,
}

/// An action the campaign's current status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Cannot {} {} {} campaign", .action.as_str(), article(.from.as_str()), .from.as_str())]
pub struct TransitionError {
    /// The status the campaign was in.
    pub from: CampaignStatus,
    /// The refused action.
    pub action: CampaignAction,
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

impl From<TransitionError> for crate::error::Error {
    fn from(error: TransitionError) -> Self {
        crate::error::Error::conflict(error.to_string())
    }
}

impl CampaignStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [CampaignStatus; 5] = [
        Self::Draft,
        Self::Active,
        Self::Paused,
        Self::Completed,
        Self::Archived,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Completed => "completed",
            Self::Archived => "archived",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }

    /// Whether the campaign's name, settings and workflow may be changed (draft or paused).
    pub fn is_editable(self) -> bool {
        matches!(self, Self::Draft | Self::Paused)
    }

    /// The one place that decides which actions each status allows. Repeating an action whose
    /// result already holds (start or resume an active campaign, pause a paused one, archive an
    /// archived one, complete a completed one) is an `Unchanged` no-op rather than an error, so
    /// retried requests and racing workers do no harm.
    pub fn transition(self, action: CampaignAction) -> Result<Transition, TransitionError> {
        use CampaignAction as A;
        use CampaignStatus as S;
        match (self, action) {
            (S::Draft, A::Start) | (S::Paused, A::Resume) => Ok(Transition::Changed(S::Active)),
            (S::Active, A::Pause) => Ok(Transition::Changed(S::Paused)),
            (S::Active, A::Complete) => Ok(Transition::Changed(S::Completed)),
            (S::Completed | S::Paused, A::Archive) => Ok(Transition::Changed(S::Archived)),
            (S::Active, A::Start | A::Resume)
            | (S::Paused, A::Pause)
            | (S::Archived, A::Archive)
            | (S::Completed, A::Complete) => Ok(Transition::Unchanged),
            (from, action) => Err(TransitionError { from, action }),
        }
    }
}

impl fmt::Display for CampaignStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn allowed_transitions_change_the_status() {
        use CampaignAction as A;
        use CampaignStatus as S;
        for (from, action, to) in [
            (S::Draft, A::Start, S::Active),
            (S::Active, A::Pause, S::Paused),
            (S::Paused, A::Resume, S::Active),
            (S::Active, A::Complete, S::Completed),
            (S::Completed, A::Archive, S::Archived),
            (S::Paused, A::Archive, S::Archived),
        ] {
            assert_eq!(from.transition(action), Ok(Transition::Changed(to)));
        }
    }

    #[test]
    fn repeated_actions_are_no_ops() {
        use CampaignAction as A;
        use CampaignStatus as S;
        for (from, action) in [
            (S::Active, A::Start),
            (S::Active, A::Resume),
            (S::Paused, A::Pause),
            (S::Archived, A::Archive),
            (S::Completed, A::Complete),
        ] {
            assert_eq!(from.transition(action), Ok(Transition::Unchanged));
        }
    }

    #[test]
    fn refused_transitions_explain_themselves() {
        use CampaignAction as A;
        use CampaignStatus as S;
        let cases = [
            (S::Draft, A::Pause, "Cannot pause a draft campaign"),
            (S::Draft, A::Resume, "Cannot resume a draft campaign"),
            (S::Draft, A::Archive, "Cannot archive a draft campaign"),
            (S::Draft, A::Complete, "Cannot complete a draft campaign"),
            (S::Active, A::Archive, "Cannot archive an active campaign"),
            (S::Paused, A::Start, "Cannot start a paused campaign"),
            (S::Paused, A::Complete, "Cannot complete a paused campaign"),
            (S::Completed, A::Start, "Cannot start a completed campaign"),
            (
                S::Completed,
                A::Resume,
                "Cannot resume a completed campaign",
            ),
            (S::Archived, A::Start, "Cannot start an archived campaign"),
            (S::Archived, A::Resume, "Cannot resume an archived campaign"),
            (S::Archived, A::Pause, "Cannot pause an archived campaign"),
        ];
        for (from, action, message) in cases {
            let error = from.transition(action).unwrap_err();
            assert_eq!(error.to_string(), message);
        }
    }

    #[test]
    fn statuses_round_trip_and_only_draft_and_paused_are_editable() {
        for status in CampaignStatus::ALL {
            assert_eq!(CampaignStatus::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                json!(status.as_str())
            );
        }
        assert_eq!(CampaignStatus::parse("Draft"), None);
        let editable: Vec<_> = CampaignStatus::ALL
            .into_iter()
            .filter(|status| status.is_editable())
            .collect();
        assert_eq!(editable, [CampaignStatus::Draft, CampaignStatus::Paused]);
    }
}
