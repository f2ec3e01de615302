//! Validated single-line text values: names, tags, custom field keys and values.

use serde_json::{Map, Value};

/// Most characters any single-line text field may hold.
pub const MAX_TEXT_LEN: usize = 255;
/// Most tags a contact may carry.
pub const MAX_TAGS: usize = 100;
/// Most custom fields a contact may carry.
pub const MAX_CUSTOM_FIELDS: usize = 100;
/// Longest custom field string value.
pub const MAX_CUSTOM_VALUE_LEN: usize = 2000;

/// Refuses control characters (CR/LF included) and overlong values, as given, then trims a
/// single-line text value. Empty strings become `None`.
pub fn single_line(field: &str, raw: &str, max: usize) -> Result<Option<String>, String> {
    if raw.chars().any(char::is_control) {
        return Err(format!(
            "{field} must not contain control characters or line breaks"
        ));
    }
    if raw.chars().count() > max {
        return Err(format!("{field} must be at most {max} characters"));
    }
    let value = raw.trim();
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

/// A tag: 1–64 characters, single line.
pub fn tag(raw: &str) -> Result<String, String> {
    match single_line("tag", raw, 64)? {
        Some(tag) => Ok(tag),
        None => Err("tags must not be empty".to_owned()),
    }
}

/// Parses a list of tags, dropping duplicates while keeping order.
pub fn tags(raw: &[String]) -> Result<Vec<String>, String> {
    if raw.len() > MAX_TAGS {
        return Err(format!("at most {MAX_TAGS} tags are allowed"));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for item in raw {
        let tag = tag(item)?;
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    Ok(out)
}

/// A custom field key: 1–64 characters of letters, digits, `_`, `-`, `.` or space, starting with
/// a letter, digit or underscore, so it can be used as a `{{variable}}` in templates.
pub fn custom_field_key(raw: &str) -> Result<String, String> {
    let key = raw;
    let valid_start = key
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '_');
    if key.is_empty() || key.chars().count() > 64 || !valid_start {
        return Err(format!(
            "custom field key {key:?} must be 1–64 characters starting with a letter, digit or _"
        ));
    }
    if !key
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '))
    {
        return Err(format!(
            "custom field key {key:?} may only contain letters, digits, '_', '-', '.' and spaces"
        ));
    }
    Ok(key.to_owned())
}

/// Turns any column header into a valid custom field key (used by CSV import).
pub fn custom_field_key_lossy(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let cleaned = cleaned.trim().to_owned();
    if cleaned.is_empty() {
        return None;
    }
    if cleaned.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
        Some(cleaned)
    } else {
        Some(format!("_{}", cleaned.chars().take(63).collect::<String>()))
    }
}

/// A custom field value: a string, a finite number or a boolean.
pub fn custom_field_value(key: &str, value: &Value) -> Result<Value, String> {
    match value {
        Value::String(text) => {
            if text.chars().count() > MAX_CUSTOM_VALUE_LEN {
                return Err(format!(
                    "custom field {key:?} must be at most {MAX_CUSTOM_VALUE_LEN} characters"
                ));
            }
            if text.contains('\0') {
                return Err(format!(
                    "custom field {key:?} must not contain NUL characters"
                ));
            }
            Ok(value.clone())
        }
        Value::Number(_) | Value::Bool(_) => Ok(value.clone()),
        _ => Err(format!(
            "custom field {key:?} must be a string, a number or a boolean"
        )),
    }
}

/// Validates a whole custom field map for a new contact (no `null` removals).
pub fn custom_fields(raw: &Map<String, Value>) -> Result<Map<String, Value>, String> {
    if raw.len() > MAX_CUSTOM_FIELDS {
        return Err(format!(
            "at most {MAX_CUSTOM_FIELDS} custom fields are allowed"
        ));
    }
    let mut out = Map::new();
    for (key, value) in raw {
        let key = custom_field_key(key)?;
        let value = custom_field_value(&key, value)?;
        out.insert(key, value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_are_refused_in_single_line_text() {
        assert!(single_line("firstName", "Ann\r\nBcc: x", 255).is_err());
        assert_eq!(
            single_line("firstName", "  Ann ", 255).unwrap().as_deref(),
            Some("Ann")
        );
        assert_eq!(single_line("firstName", "   ", 255).unwrap(), None);
    }

    #[test]
    fn custom_field_keys_are_checked_and_lossy_keys_are_made_valid() {
        assert!(custom_field_key("lead source").is_ok());
        assert!(custom_field_key("{{x}}").is_err());
        assert!(custom_field_key("").is_err());
        assert_eq!(
            custom_field_key_lossy("Lead/Source").as_deref(),
            Some("Lead_Source")
        );
        assert_eq!(custom_field_key_lossy("-x").as_deref(), Some("_-x"));
    }

    #[test]
    fn nested_custom_field_values_are_refused() {
        assert!(custom_field_value("k", &serde_json::json!({"a": 1})).is_err());
        assert!(custom_field_value("k", &serde_json::json!([1])).is_err());
        assert!(custom_field_value("k", &serde_json::json!(null)).is_err());
        assert!(custom_field_value("k", &serde_json::json!(1.5)).is_ok());
    }
}
