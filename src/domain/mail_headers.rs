//! The header block of a raw RFC 5322 message as (name, value) pairs, for the sandbox viewer.

/// Parses the header block (everything before the first empty line), unfolding continuation
/// lines (a line starting with a space or a tab continues the previous header).
pub fn parse(raw: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(raw);
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                let folded = line.trim();
                if !folded.is_empty() {
                    if !value.is_empty() {
                        value.push(' ');
                    }
                    value.push_str(folded);
                }
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    #[test]
    fn folded_headers_are_unfolded_and_the_body_is_ignored() {
        let raw = b"Subject: Hello\r\n  there\r\nFrom: a@example.com\r\nX-Long:\r\n\tvalue\r\n\r\nBody: not a header\r\n";
        let headers = super::parse(raw);
        assert_eq!(
            headers,
            [
                ("Subject".to_owned(), "Hello there".to_owned()),
                ("From".to_owned(), "a@example.com".to_owned()),
                ("X-Long".to_owned(), "value".to_owned()),
            ]
        );
    }
}
