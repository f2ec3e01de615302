//! Timestamps: RFC 3339 UTC with second precision, the API's one format.

use chrono::{DateTime, SecondsFormat, Utc};

/// Formats a time the way the API and the database store it (`2025-01-15T10:30:00Z`).
pub fn format(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses any RFC 3339 timestamp (any offset) into UTC.
pub fn parse(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw.trim())
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

/// Unix seconds of a stored timestamp (0 when it does not parse, which stored ones always do).
pub fn unix_seconds(raw: &str) -> i64 {
    parse(raw).map_or(0, |time| time.timestamp())
}

/// A stored timestamp from Unix seconds.
pub fn from_unix(seconds: i64) -> String {
    format(DateTime::from_timestamp(seconds, 0).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn offsets_are_normalised_to_utc() {
        let time = super::parse("2025-01-15T12:30:00+02:00").unwrap();
        assert_eq!(super::format(time), "2025-01-15T10:30:00Z");
        assert!(super::parse("yesterday").is_none());
    }
}
