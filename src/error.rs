//! The error type shared by the database layer and the services; `api::error` maps it to HTTP.

use serde_json::Value;

/// What went wrong, in terms of the domain rather than HTTP.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is invalid; `details` names the field(s) at fault.
    #[error("{message}")]
    Validation {
        message: String,
        details: Option<Value>,
    },
    /// The resource does not exist in the caller's workspace.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// An id the request refers to (a group, a stage) does not exist in the caller's workspace;
    /// `details` names the field and the id.
    #[error("{message}")]
    UnknownReference {
        message: String,
        details: Option<Value>,
    },
    /// The API key was revoked (or its workspace lost API access) while the request was in flight.
    #[error("Invalid or missing API key")]
    Unauthenticated,
    /// A uniqueness rule or a state transition refused the change.
    #[error("{message}")]
    Conflict {
        message: String,
        details: Option<Value>,
    },
    /// Anything unexpected: the message is logged, never shown to clients.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    /// A validation error about one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Error::Validation {
            message: message.into(),
            details: Some(serde_json::json!({ "field": field })),
        }
    }

    /// A conflict without details.
    pub fn conflict(message: impl Into<String>) -> Self {
        Error::Conflict {
            message: message.into(),
            details: None,
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Self {
        Error::Internal(anyhow::Error::new(error))
    }
}

impl From<r2d2::Error> for Error {
    fn from(error: r2d2::Error) -> Self {
        Error::Internal(anyhow::Error::new(error))
    }
}

impl From<serde_json::Error> for Error {
    fn from(error: serde_json::Error) -> Self {
        Error::Internal(anyhow::Error::new(error))
    }
}
