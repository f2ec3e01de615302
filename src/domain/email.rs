//! A syntactically valid email address, kept as given and compared case-insensitively.

use std::fmt;

/// An email address that passed `parse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Checks the shape `local@domain.tld` (a dot-atom local part, letters and digits in any
    /// script) with the usual length limits and no whitespace or control characters anywhere, so
    /// it can never smuggle a header line.
    pub fn parse(value: &str) -> Result<Self, &'static str> {
        if value.is_empty() {
            return Err("Email is required");
        }
        if value.len() > 254 {
            return Err("Email must be at most 254 characters");
        }
        if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err("Email must not contain spaces or control characters");
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err("Email is not a valid address");
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()));
        if local_ok && domain_ok {
            Ok(Self(value.to_owned()))
        } else {
            Err("Email is not a valid address")
        }
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form used for uniqueness.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::EmailAddress;

    #[test]
    fn ordinary_addresses_are_accepted() {
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.com",
            "ÉLODIE@exemple.fr",
            "a@b.c",
            "user@xn--p1ai.xn--p1ai",
            "!#$%&'*+-/=?^_`{|}~@0.example",
        ] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn malformed_addresses_are_refused() {
        let cases = [
            ("", "empty"),
            ("plain", "no at sign"),
            ("a@b", "no top-level domain"),
            ("a b@c.com", "space"),
            ("a@c.com\r\nBcc: x@y.com", "header injection"),
            ("a..b@c.com", "double dot"),
            ("@c.com", "empty local part"),
            ("a@-c.com", "label starts with hyphen"),
            ("a@c.123", "numeric top-level domain"),
            ("a\tb@c.com", "tab"),
            ("a@c.com\n", "trailing line break"),
            (" a@c.com", "leading space"),
        ];
        for (input, reason) in cases {
            assert!(EmailAddress::parse(input).is_err(), "{reason}");
        }
    }

    #[test]
    fn normalized_form_is_lowercase() {
        assert_eq!(
            EmailAddress::parse("Ann@Example.COM").unwrap().normalized(),
            "ann@example.com"
        );
    }
}
