//! Webhook subscriptions: the target URL, the event names subscribed to, the status, and the
//! signing secret (given by the client or generated, shown once).

use crate::domain::ids::{DeliveryLogId, EventId, WebhookId};
use crate::error::Error;
use base64::Engine;
use rand::RngCore;
use std::fmt;

/// Longest accepted webhook URL.
pub const MAX_URL_LEN: usize = 2048;
/// Shortest secret a client may choose.
pub const MIN_SECRET_LEN: usize = 16;
/// Longest secret a client may choose.
pub const MAX_SECRET_LEN: usize = 512;
/// Longest description.
pub const MAX_DESCRIPTION_LEN: usize = 1000;
/// The subscription to every event type.
pub const ALL_EVENTS: &str = "*";

/// Whether deliveries are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebhookStatus {
    /// Events are delivered.
    #[default]
    Active,
    /// Switched off by the user: no new deliveries are created.
    Disabled,
    /// Switched off by the server after deliveries kept failing.
    Failed,
}

impl WebhookStatus {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Failed => "failed",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "active" => Some(Self::Active),
            "disabled" => Some(Self::Disabled),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// A non-empty, duplicate-free list of known event names, or exactly `["*"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvents(Vec<String>);

impl WebhookEvents {
    /// Validates event names against `known`: unknown names are refused all at once (listed in
    /// `details.unknown`), duplicates are dropped, `*` must stand alone.
    pub fn parse(raw: &[String], known: &[&str]) -> Result<Self, Error> {
        if raw.is_empty() {
            return Err(Error::invalid(
                "events",
                "events must name at least one event type, or be [\"*\"]",
            ));
        }
        let mut events: Vec<String> = Vec::with_capacity(raw.len());
        for name in raw {
            if !events.contains(name) {
                events.push(name.clone());
            }
        }
        if events.iter().any(|name| name == ALL_EVENTS) {
            if events.len() > 1 {
                return Err(Error::invalid(
                    "events",
                    "\"*\" subscribes to every event and must be the only entry of events",
                ));
            }
            return Ok(Self(events));
        }
        let unknown: Vec<&String> = events
            .iter()
            .filter(|name| !known.contains(&name.as_str()))
            .collect();
        if !unknown.is_empty() {
            let names: Vec<String> = unknown.iter().map(|name| format!("{name:?}")).collect();
            return Err(Error::Validation {
                message: format!(
                    "Unknown event type{} {}; known types: {}, or \"*\"",
                    if unknown.len() == 1 { "" } else { "s" },
                    names.join(", "),
                    known.join(", ")
                ),
                details: Some(serde_json::json!({ "field": "events", "unknown": unknown })),
            });
        }
        Ok(Self(events))
    }

    /// Wraps names read back from the database, which only stores validated lists.
    pub fn from_db(names: Vec<String>) -> Self {
        Self(names)
    }

    /// The names, in the order given.
    pub fn names(&self) -> &[String] {
        &self.0
    }

    /// The stored form: a JSON array.
    pub fn to_json(&self) -> String {
        serde_json::Value::from(self.0.clone()).to_string()
    }
}

/// Parses a webhook URL: absolute `http` or `https` with a host, at most [`MAX_URL_LEN`]
/// characters. Whether its host may be reached is the URL guard's decision, not this one's.
pub fn parse_url(raw: &str) -> Result<url::Url, Error> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Error::invalid("url", "url is required"));
    }
    if raw.chars().count() > MAX_URL_LEN {
        return Err(Error::invalid(
            "url",
            format!("url must be at most {MAX_URL_LEN} characters"),
        ));
    }
    let url = url::Url::parse(raw)
        .map_err(|error| Error::invalid("url", format!("url is not an absolute URL: {error}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid("url", "url must use http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid("url", "url must name a host"));
    }
    // The limit applies to what the client sent; the normalised form may be a little longer
    // (a trailing `/`, percent-encoding).
    Ok(url)
}

/// Parses a description: trimmed, empty means none, at most [`MAX_DESCRIPTION_LEN`] characters.
pub fn parse_description(raw: &str) -> Result<Option<String>, Error> {
    let trimmed = raw.trim();
    if trimmed.chars().count() > MAX_DESCRIPTION_LEN {
        return Err(Error::invalid(
            "description",
            format!("description must be at most {MAX_DESCRIPTION_LEN} characters"),
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Error::invalid(
            "description",
            "description must not contain control characters",
        ));
    }
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

/// A signing secret; its `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    /// A client's secret: [`MIN_SECRET_LEN`] to [`MAX_SECRET_LEN`] printable ASCII characters.
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let length = raw.chars().count();
        if length < MIN_SECRET_LEN {
            return Err(Error::invalid(
                "secret",
                format!("secret must be at least {MIN_SECRET_LEN} characters"),
            ));
        }
        if length > MAX_SECRET_LEN {
            return Err(Error::invalid(
                "secret",
                format!("secret must be at most {MAX_SECRET_LEN} characters"),
            ));
        }
        if !raw.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(Error::invalid(
                "secret",
                "secret must hold printable ASCII characters only",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// A fresh secret: `whsec_` and the base64 of 32 random bytes.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ))
    }

    /// Wraps a secret opened from the database.
    pub fn from_db(value: String) -> Self {
        Self(value)
    }

    /// The secret itself (for sealing, signing and the one create answer).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A webhook as read back (no secret).
#[derive(Debug, Clone)]
pub struct Webhook {
    /// Public id.
    pub id: WebhookId,
    /// Target URL.
    pub url: String,
    /// Subscribed event names, or `["*"]`.
    pub events: WebhookEvents,
    /// Status.
    pub status: WebhookStatus,
    /// Description.
    pub description: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

/// A validated new webhook.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    /// Target URL (checked by the URL guard).
    pub url: url::Url,
    /// Subscribed events.
    pub events: WebhookEvents,
    /// Description.
    pub description: Option<String>,
    /// Signing secret.
    pub secret: WebhookSecret,
}

/// A validated partial update: `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct WebhookChanges {
    /// New URL.
    pub url: Option<url::Url>,
    /// New subscription.
    pub events: Option<WebhookEvents>,
    /// New status.
    pub status: Option<WebhookStatus>,
    /// New secret.
    pub secret: Option<WebhookSecret>,
    /// New description (`Some(None)` clears it).
    pub description: Option<Option<String>>,
}

/// State of a delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not tried yet (due at its time).
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Failed; a later attempt is pending.
    Retrying,
    /// Failed for good.
    Failed,
}

impl DeliveryStatus {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Retrying => "retrying",
            Self::Failed => "failed",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "retrying" => Some(Self::Retrying),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One delivery attempt, as the logs show it.
#[derive(Debug, Clone)]
pub struct DeliveryLog {
    /// Attempt id.
    pub id: DeliveryLogId,
    /// The event delivered (the same across attempts).
    pub event_id: EventId,
    /// Its type.
    pub event_type: String,
    /// State.
    pub status: DeliveryStatus,
    /// HTTP status of the receiver's answer, if one came.
    pub status_code: Option<u16>,
    /// Milliseconds until the answer (or the failure).
    pub response_time_ms: Option<u64>,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// Why it failed.
    pub error: Option<String>,
    /// When it was tried, or when it is due while pending.
    pub timestamp: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: [&str; 3] = ["contact.created", "contact.updated", "email.sent"];

    fn names(raw: &[&str]) -> Vec<String> {
        raw.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn events_are_deduplicated_in_order() {
        let events = WebhookEvents::parse(
            &names(&["email.sent", "contact.created", "email.sent"]),
            &KNOWN,
        )
        .unwrap();
        assert_eq!(events.names(), ["email.sent", "contact.created"]);
        assert_eq!(events.to_json(), r#"["email.sent","contact.created"]"#);
    }

    #[test]
    fn invalid_event_lists_are_refused_with_the_reason() {
        for (raw, reason) in [
            (vec![], "empty"),
            (vec!["*", "email.sent"], "star with others"),
            (vec!["email.snt"], "unknown"),
            (vec!["EMAIL.SENT"], "case matters"),
        ] {
            assert!(
                WebhookEvents::parse(&names(&raw), &KNOWN).is_err(),
                "{reason}"
            );
        }
        assert!(WebhookEvents::parse(&names(&["*", "*"]), &KNOWN).is_ok());
    }

    #[test]
    fn unknown_event_names_are_all_listed() {
        let Err(Error::Validation { details, .. }) =
            WebhookEvents::parse(&names(&["a.b", "email.sent", "c.d"]), &KNOWN)
        else {
            panic!("refused");
        };
        assert_eq!(
            details.unwrap()["unknown"],
            serde_json::json!(["a.b", "c.d"])
        );
    }

    #[test]
    fn only_absolute_http_urls_with_a_host_are_accepted() {
        for (raw, reason) in [
            ("ftp://example.com/hook", "scheme"),
            ("/hooks/1", "relative"),
            ("http://", "no host"),
            ("http://:80/path", "empty host"),
            ("mailto:ops@example.com", "not http"),
            ("", "empty"),
        ] {
            assert!(parse_url(raw).is_err(), "{reason}: {raw}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(parse_url(&long).is_err(), "too long");
        assert!(parse_url("https://example.com/hooks?x=1").is_ok());
        assert!(parse_url("http://127.0.0.1:9000/h").is_ok());
    }

    #[test]
    fn secrets_are_long_printable_and_generated_ones_follow_the_convention() {
        assert!(WebhookSecret::parse("short").is_err());
        assert!(WebhookSecret::parse("sixteen-chars-ok").is_ok());
        assert!(WebhookSecret::parse("sixteen-chars-\u{e9}k").is_err());
        assert!(WebhookSecret::parse("line\nbreak-in-the-secret").is_err());
        let generated = WebhookSecret::generate();
        let encoded = generated.expose().strip_prefix("whsec_").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert_eq!(bytes.len(), 32);
        assert_ne!(generated, WebhookSecret::generate());
        assert_eq!(format!("{generated:?}"), "[redacted]");
    }
}
