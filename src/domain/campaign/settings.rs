//! Campaign sending settings: send days, window hours, zone, limits and tracking switches.

use chrono::Weekday;
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Number, Value};

/// Weekdays in the order they are written back (Monday first).
const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// The lowercase wire name of a weekday.
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

/// A non-empty set of weekdays on which a campaign may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SendDays {
    /// Bit `n` set = `Weekday::num_days_from_monday() == n` is included.
    bits: u8,
}

impl SendDays {
    /// Monday to Friday.
    pub const WEEKDAYS: SendDays = SendDays { bits: 0b001_1111 };
    /// Every day of the week.
    pub const EVERY_DAY: SendDays = SendDays { bits: 0b111_1111 };

    /// Parses lowercase day names (`monday`..`sunday`); an empty list, an unknown name or a
    /// repeated day is refused.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, String> {
        if names.is_empty() {
            return Err("sendDays must name at least one day".to_owned());
        }
        let mut bits = 0u8;
        for name in names {
            let name = name.as_ref();
            let Some(day) = WEEK.into_iter().find(|day| weekday_name(*day) == name) else {
                return Err(format!(
                    "sendDays: {name:?} is not a day name (monday..sunday, lowercase)"
                ));
            };
            let bit = 1u8 << day.num_days_from_monday();
            if bits & bit != 0 {
                return Err(format!("sendDays: {name:?} is listed twice"));
            }
            bits |= bit;
        }
        Ok(Self { bits })
    }

    /// Whether the set includes this day.
    pub fn contains(&self, day: Weekday) -> bool {
        self.bits & (1u8 << day.num_days_from_monday()) != 0
    }

    /// The included days, Monday first.
    pub fn days(&self) -> impl Iterator<Item = Weekday> + '_ {
        WEEK.into_iter().filter(|day| self.contains(*day))
    }

    /// The included day names, Monday first.
    pub fn names(&self) -> Vec<&'static str> {
        self.days().map(weekday_name).collect()
    }
}

impl Default for SendDays {
    fn default() -> Self {
        Self::WEEKDAYS
    }
}

impl Serialize for SendDays {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.names())
    }
}

impl<'de> Deserialize<'de> for SendDays {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let names = Vec::<String>::deserialize(deserializer)?;
        SendDays::parse(&names).map_err(serde::de::Error::custom)
    }
}

fn serialize_timezone<S: Serializer>(zone: &Tz, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(zone.name())
}

/// A campaign's validated sending settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignSettings {
    /// Days on which messages may go out.
    pub send_days: SendDays,
    /// First local hour of the window (0..=23).
    pub send_hours_start: u8,
    /// Local hour the window closes (1..=24, after the start).
    pub send_hours_end: u8,
    /// The zone the window is read in.
    #[serde(serialize_with = "serialize_timezone")]
    pub timezone: Tz,
    /// Most messages this campaign sends in any hour (1..=10000).
    pub max_emails_per_hour: u32,
    /// Most messages this campaign sends per local day (1..=100000), if limited.
    pub daily_limit: Option<u32>,
    /// Whether a reply ends the contact's sequence.
    pub stop_on_reply: bool,
    /// Whether messages carry an open pixel (email nodes may override it).
    pub track_opens: bool,
    /// Whether links are rewritten for click tracking (email nodes may override it).
    pub track_clicks: bool,
    /// Whether messages carry an unsubscribe link.
    pub unsubscribe_link: bool,
}

impl Default for CampaignSettings {
    fn default() -> Self {
        Self {
            send_days: SendDays::WEEKDAYS,
            send_hours_start: 9,
            send_hours_end: 17,
            timezone: Tz::UTC,
            max_emails_per_hour: 50,
            daily_limit: None,
            stop_on_reply: true,
            track_opens: true,
            track_clicks: true,
            unsubscribe_link: true,
        }
    }
}

/// `Some(value)` for a present field, even when the value is `null` (absent stays `None`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Settings as a client sends them: every field optional, merged over defaults or stored values.
/// Numbers are kept as JSON numbers so that fractions and out-of-range values get a message
/// naming the field rather than a generic type error.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SettingsInput {
    /// Day names.
    pub send_days: Option<Vec<String>>,
    /// Window start hour.
    pub send_hours_start: Option<Number>,
    /// Window end hour.
    pub send_hours_end: Option<Number>,
    /// IANA zone name.
    pub timezone: Option<String>,
    /// Hourly limit.
    pub max_emails_per_hour: Option<Number>,
    /// Daily limit: absent = unchanged, `Some(None)` (JSON `null`) = no limit.
    #[serde(default, deserialize_with = "present")]
    pub daily_limit: Option<Option<Number>>,
    /// Stop on reply.
    pub stop_on_reply: Option<bool>,
    /// Open tracking.
    pub track_opens: Option<bool>,
    /// Click tracking.
    pub track_clicks: Option<bool>,
    /// Unsubscribe link.
    pub unsubscribe_link: Option<bool>,
}

impl SettingsInput {
    /// Reads a `settings` object, naming the field in the error when its shape is wrong.
    pub fn from_value(value: &Value) -> Result<Self, SettingsError> {
        if !value.is_object() {
            return Err(SettingsError::new("settings", "settings must be an object"));
        }
        Self::deserialize(value).map_err(|error| SettingsError::new("settings", error.to_string()))
    }
}

/// A settings value that was refused, with the field it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SettingsError {
    /// The field at fault, e.g. `settings.sendHoursStart`.
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl SettingsError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl From<SettingsError> for crate::error::Error {
    fn from(error: SettingsError) -> Self {
        crate::error::Error::invalid(error.field, error.message)
    }
}

/// An integer JSON number within `range`, or a message naming `name`.
fn integer_in(
    number: &Number,
    range: std::ops::RangeInclusive<u32>,
    field: &'static str,
    name: &str,
) -> Result<u32, SettingsError> {
    number
        .as_u64()
        // JSON Schema's `integer` also admits integral floats such as `9.0`.
        .or_else(|| {
            number
                .as_f64()
                .filter(|value| value.fract() == 0.0 && (0.0..4.0e9).contains(value))
                .map(|value| value as u64)
        })
        .and_then(|value| u32::try_from(value).ok())
        .filter(|value| range.contains(value))
        .ok_or_else(|| {
            SettingsError::new(
                field,
                format!(
                    "{name} must be an integer from {} to {}",
                    range.start(),
                    range.end()
                ),
            )
        })
}

/// An hour value: the ranges are small enough that the conversion cannot fail.
fn hour(value: u32) -> u8 {
    u8::try_from(value).unwrap_or(u8::MAX)
}

impl CampaignSettings {
    /// Merges a client's partial input over these settings (the defaults on create, the stored
    /// settings on update) and validates the result.
    pub fn apply(&self, input: SettingsInput) -> Result<CampaignSettings, SettingsError> {
        let mut out = self.clone();
        if let Some(names) = input.send_days {
            out.send_days = SendDays::parse(&names)
                .map_err(|message| SettingsError::new("settings.sendDays", message))?;
        }
        if let Some(start) = input.send_hours_start {
            out.send_hours_start = hour(integer_in(
                &start,
                0..=23,
                "settings.sendHoursStart",
                "sendHoursStart",
            )?);
        }
        let end_given = input.send_hours_end.is_some();
        if let Some(end) = input.send_hours_end {
            out.send_hours_end = hour(integer_in(
                &end,
                1..=24,
                "settings.sendHoursEnd",
                "sendHoursEnd",
            )?);
        }
        if out.send_hours_start >= out.send_hours_end {
            // Name the field the client changed: the other one may be a stored value.
            let field = if end_given {
                "settings.sendHoursEnd"
            } else {
                "settings.sendHoursStart"
            };
            return Err(SettingsError::new(
                field,
                format!(
                    "sendHoursEnd ({}) must be later than sendHoursStart ({})",
                    out.send_hours_end, out.send_hours_start
                ),
            ));
        }
        if let Some(name) = input.timezone {
            out.timezone = name.parse::<Tz>().map_err(|_| {
                SettingsError::new(
                    "settings.timezone",
                    format!("timezone {name:?} is not an IANA time zone name (e.g. Europe/Paris)"),
                )
            })?;
        }
        if let Some(limit) = input.max_emails_per_hour {
            out.max_emails_per_hour = integer_in(
                &limit,
                1..=10_000,
                "settings.maxEmailsPerHour",
                "maxEmailsPerHour",
            )?;
        }
        if let Some(limit) = input.daily_limit {
            out.daily_limit = match limit {
                None => None,
                Some(limit) => Some(integer_in(
                    &limit,
                    1..=100_000,
                    "settings.dailyLimit",
                    "dailyLimit",
                )?),
            };
        }
        out.stop_on_reply = input.stop_on_reply.unwrap_or(out.stop_on_reply);
        out.track_opens = input.track_opens.unwrap_or(out.track_opens);
        out.track_clicks = input.track_clicks.unwrap_or(out.track_clicks);
        out.unsubscribe_link = input.unsubscribe_link.unwrap_or(out.unsubscribe_link);
        Ok(out)
    }

    /// The stored form: the same camelCase JSON the API shows, the zone by its name.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// The settings as a JSON value (the API's `settings` object).
    pub fn to_value(&self) -> Value {
        serde_json::json!({
            "sendDays": self.send_days.names(),
            "sendHoursStart": self.send_hours_start,
            "sendHoursEnd": self.send_hours_end,
            "timezone": self.timezone.name(),
            "maxEmailsPerHour": self.max_emails_per_hour,
            "dailyLimit": self.daily_limit,
            "stopOnReply": self.stop_on_reply,
            "trackOpens": self.track_opens,
            "trackClicks": self.track_clicks,
            "unsubscribeLink": self.unsubscribe_link,
        })
    }

    /// Reads the stored form back, through the same validation as client input; fields missing
    /// from older rows take their defaults.
    pub fn from_json(raw: &str) -> Result<CampaignSettings, SettingsError> {
        let value: Value = serde_json::from_str(raw)
            .map_err(|error| SettingsError::new("settings", error.to_string()))?;
        CampaignSettings::default().apply(SettingsInput::from_value(&value)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(value: Value) -> SettingsInput {
        SettingsInput::from_value(&value).unwrap()
    }

    #[test]
    fn send_days_are_written_back_monday_first() {
        let days = SendDays::parse(&["sunday", "monday", "wednesday"]).unwrap();
        assert_eq!(days.names(), ["monday", "wednesday", "sunday"]);
        assert!(days.contains(Weekday::Sun));
        assert!(!days.contains(Weekday::Tue));
        assert_eq!(
            SendDays::default().names(),
            ["monday", "tuesday", "wednesday", "thursday", "friday"]
        );
    }

    #[test]
    fn defaults_match_the_contract() {
        let settings = CampaignSettings::default();
        assert_eq!(
            settings.to_value(),
            json!({
                "sendDays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                "sendHoursStart": 9, "sendHoursEnd": 17, "timezone": "UTC",
                "maxEmailsPerHour": 50, "dailyLimit": null, "stopOnReply": true,
                "trackOpens": true, "trackClicks": true, "unsubscribeLink": true
            })
        );
        assert_eq!(
            serde_json::to_value(&settings).unwrap(),
            settings.to_value()
        );
    }

    #[test]
    fn input_is_merged_over_the_stored_settings() {
        let stored = CampaignSettings::default()
            .apply(input(json!({
                "timezone": "Europe/Paris", "dailyLimit": 200, "sendHoursEnd": 18
            })))
            .unwrap();
        let updated = stored
            .apply(input(json!({"sendHoursStart": 8, "trackOpens": false})))
            .unwrap();
        assert_eq!(updated.timezone, chrono_tz::Europe::Paris);
        assert_eq!(updated.daily_limit, Some(200));
        assert_eq!((updated.send_hours_start, updated.send_hours_end), (8, 18));
        assert!(!updated.track_opens);
        let cleared = updated.apply(input(json!({"dailyLimit": null}))).unwrap();
        assert_eq!(cleared.daily_limit, None);
    }

    #[test]
    fn stored_json_round_trips() {
        let settings = CampaignSettings::default()
            .apply(input(json!({
                "sendDays": ["saturday", "monday"], "timezone": "America/New_York",
                "sendHoursStart": 0, "sendHoursEnd": 24, "maxEmailsPerHour": 10000,
                "dailyLimit": 100000, "stopOnReply": false, "trackOpens": false,
                "trackClicks": false, "unsubscribeLink": false
            })))
            .unwrap();
        assert_eq!(
            CampaignSettings::from_json(&settings.to_json()).unwrap(),
            settings
        );
        assert_eq!(
            CampaignSettings::from_json("{}").unwrap(),
            CampaignSettings::default()
        );
    }

    #[test]
    fn invalid_settings_name_the_field() {
        let cases = [
            (
                json!({"sendHoursStart": 24}),
                "settings.sendHoursStart",
                "start past 23",
            ),
            (
                json!({"sendHoursStart": -1}),
                "settings.sendHoursStart",
                "negative hour",
            ),
            (
                json!({"sendHoursStart": 9.5}),
                "settings.sendHoursStart",
                "fractional hour",
            ),
            (
                json!({"sendHoursEnd": 0}),
                "settings.sendHoursEnd",
                "end at midnight start",
            ),
            (
                json!({"sendHoursEnd": 25}),
                "settings.sendHoursEnd",
                "end past 24",
            ),
            (
                json!({"sendHoursEnd": 9}),
                "settings.sendHoursEnd",
                "end equals default start",
            ),
            (
                json!({"sendHoursStart": 17}),
                "settings.sendHoursStart",
                "start at default end",
            ),
            (
                json!({"sendHoursStart": 18, "sendHoursEnd": 10}),
                "settings.sendHoursEnd",
                "start after end",
            ),
            (
                json!({"timezone": "Mars/Olympus"}),
                "settings.timezone",
                "unknown zone",
            ),
            (
                json!({"timezone": "europe/paris"}),
                "settings.timezone",
                "wrong case",
            ),
            (json!({"timezone": ""}), "settings.timezone", "empty zone"),
            (
                json!({"maxEmailsPerHour": 0}),
                "settings.maxEmailsPerHour",
                "zero per hour",
            ),
            (
                json!({"maxEmailsPerHour": 10001}),
                "settings.maxEmailsPerHour",
                "too many per hour",
            ),
            (
                json!({"dailyLimit": 0}),
                "settings.dailyLimit",
                "zero daily limit",
            ),
            (
                json!({"dailyLimit": 100001}),
                "settings.dailyLimit",
                "daily limit too high",
            ),
            (json!({"sendDays": []}), "settings.sendDays", "no days"),
            (
                json!({"sendDays": ["Monday"]}),
                "settings.sendDays",
                "capitalised day",
            ),
            (
                json!({"sendDays": ["mon"]}),
                "settings.sendDays",
                "abbreviated day",
            ),
            (
                json!({"sendDays": ["monday", "monday"]}),
                "settings.sendDays",
                "duplicate day",
            ),
        ];
        for (raw, field, reason) in cases {
            let error = CampaignSettings::default().apply(input(raw)).unwrap_err();
            assert_eq!(error.field, field, "{reason}");
            assert!(
                error.message.contains(&field[9..]),
                "{reason}: {}",
                error.message
            );
        }
    }

    #[test]
    fn malformed_settings_objects_are_refused() {
        let cases = [
            (json!({"sendHour": 9}), "unknown field"),
            (json!({"trackOpens": "yes"}), "string for a boolean"),
            (json!({"sendDays": "monday"}), "a string instead of a list"),
            (json!({"sendHoursStart": "9"}), "a string for a number"),
            (json!([]), "not an object"),
        ];
        for (raw, reason) in cases {
            let error = SettingsInput::from_value(&raw).unwrap_err();
            assert_eq!(error.field, "settings", "{reason}");
        }
    }
}
