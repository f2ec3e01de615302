//! Tracking links and tokens: the URLs the sender puts in a message (open pixel, click redirect,
//! unsubscribe page) and the parsing of the tokens those URLs carry. Pure: no I/O, no clock.

use rand::distr::{Alphanumeric, SampleString};

/// Length of a send token: 32 alphanumerics, about 190 bits, so tokens cannot be guessed.
pub const TOKEN_LEN: usize = 32;

/// Longest token the tracking endpoints look up; anything longer is unknown without a query.
pub const MAX_TOKEN_LEN: usize = 128;

/// The 1×1 transparent GIF answered by the open pixel (43 bytes).
pub const TRANSPARENT_GIF: [u8; 43] = [
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// A fresh random send token (the key of a message's pixel, click and unsubscribe links).
pub fn generate_token() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), TOKEN_LEN)
}

fn base(public_url: &str) -> &str {
    public_url.trim_end_matches('/')
}

/// The open pixel of a message: `<public url>/t/o/<token>`.
pub fn open_url(public_url: &str, send_token: &str) -> String {
    format!("{}/t/o/{send_token}", base(public_url))
}

/// The tracked form of the message's link number `index` (0-based, in the order of the send's
/// `links`): `<public url>/t/c/<token>.<index>`.
pub fn click_url(public_url: &str, send_token: &str, index: usize) -> String {
    format!("{}/t/c/{send_token}.{index}", base(public_url))
}

/// The preferences page of a message (unsubscribe, stop tracking): `<public url>/u/<token>`;
/// also the target of the one-click `List-Unsubscribe` POST (RFC 8058).
pub fn unsubscribe_url(public_url: &str, send_token: &str) -> String {
    format!("{}/u/{send_token}", base(public_url))
}

/// Whether `raw` can be a send token at all (checked before any database work).
pub fn is_plausible_token(raw: &str) -> bool {
    !raw.is_empty()
        && raw.len() <= MAX_TOKEN_LEN
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Splits a click token `<send token>.<link index>`; `None` when it is not of that shape.
pub fn parse_click_token(raw: &str) -> Option<(&str, usize)> {
    let (token, index) = raw.rsplit_once('.')?;
    if !is_plausible_token(token)
        || index.is_empty()
        || index.len() > 6
        || !index.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some((token, index.parse().ok()?))
}

/// A stored link made safe for a `Location` header: characters outside visible ASCII (spaces,
/// non-ASCII letters, controls) are percent-encoded as UTF-8; everything else is kept as written.
pub fn location_header(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        if c.is_ascii_graphic() {
            out.push(c);
        } else {
            let mut buffer = [0u8; 4];
            for byte in c.encode_utf8(&mut buffer).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    out
}

fn mask_part(part: &str) -> String {
    let mut chars = part.chars();
    match chars.next() {
        Some(first) => {
            let hidden = chars.count().clamp(1, 8);
            format!("{first}{}", "*".repeat(hidden))
        }
        None => String::new(),
    }
}

/// An email address shown partially on the public preferences page: `ada@example.com` →
/// `a**@e******.com`, so a forwarded link does not reveal the whole address.
pub fn mask_email(email: &str) -> String {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return mask_part(email);
    };
    let (name, suffix) = match domain.rsplit_once('.') {
        Some((name, tld)) => (name, format!(".{tld}")),
        None => (domain, String::new()),
    };
    format!("{}@{}{suffix}", mask_part(local), mask_part(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_the_public_url_and_the_token() {
        assert_eq!(
            open_url("https://t.example.com/", "AbC"),
            "https://t.example.com/t/o/AbC"
        );
        assert_eq!(
            click_url("https://t.example.com", "AbC", 3),
            "https://t.example.com/t/c/AbC.3"
        );
        assert_eq!(
            unsubscribe_url("http://127.0.0.1:8080", "AbC"),
            "http://127.0.0.1:8080/u/AbC"
        );
    }

    #[test]
    fn click_tokens_parse_only_in_their_exact_shape() {
        assert_eq!(parse_click_token("AbC.0"), Some(("AbC", 0)));
        assert_eq!(parse_click_token("AbC.12"), Some(("AbC", 12)));
        for bad in [
            "AbC",
            "AbC.",
            ".1",
            "AbC.-1",
            "AbC.+1",
            "AbC.1x",
            "a/b.1",
            "AbC.9999999",
        ] {
            assert_eq!(parse_click_token(bad), None, "{bad}");
        }
    }

    #[test]
    fn generated_tokens_are_plausible_and_differ() {
        let a = generate_token();
        assert_eq!(a.len(), TOKEN_LEN);
        assert!(is_plausible_token(&a));
        assert_ne!(a, generate_token());
        assert!(!is_plausible_token(""));
        assert!(!is_plausible_token("https://evil.example"));
    }

    #[test]
    fn locations_encode_what_a_header_cannot_carry() {
        assert_eq!(
            location_header("https://example.com/a b?q=é#x"),
            "https://example.com/a%20b?q=%C3%A9#x"
        );
        assert_eq!(
            location_header("https://x.io/\r\nSet-Cookie:a"),
            "https://x.io/%0D%0ASet-Cookie:a"
        );
    }

    #[test]
    fn emails_are_masked_but_recognisable() {
        assert_eq!(mask_email("ada@example.com"), "a**@e******.com");
        assert_eq!(mask_email("x@y.io"), "x*@y*.io");
        assert!(!mask_email("someone.long@example.org").contains("someone"));
    }

    #[test]
    fn the_pixel_is_a_43_byte_gif() {
        assert_eq!(&TRANSPARENT_GIF[..6], b"GIF89a");
        assert_eq!(TRANSPARENT_GIF.len(), 43);
    }
}
