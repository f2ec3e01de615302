//! Message bodies: the plain-text alternative, click-tracking links, the open pixel, and header
//! values made safe from user data.

/// Line width of the plain-text alternative.
pub const TEXT_WIDTH: usize = 78;

/// The plain-text alternative of an HTML body: paragraphs and lists kept, links written as
/// `[text][1]` with the addresses listed at the end. Convert after `rewrite_links` so the text
/// carries the same (tracked) links as the HTML.
pub fn to_plain_text(html: &str) -> String {
    match html2text::from_read(html.as_bytes(), TEXT_WIDTH) {
        Ok(text) => text.trim_end().to_owned(),
        Err(_) => strip_tags(html),
    }
}

/// A last resort when the converter fails: drops tags and decodes entities.
fn strip_tags(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' if inside => inside = false,
            c if !inside => text.push(c),
            _ => {}
        }
    }
    decode_entities(text.trim())
}

/// Decodes the character references found in attribute values: the common named ones and
/// numeric ones (`&#39;`, `&#x2F;`). Anything else is kept as written.
pub fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|end| *end <= 10).and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => {
                    let number = name.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => number.parse::<u32>().ok()?,
                    };
                    char::from_u32(code)
                }
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Escapes text for a double-quoted HTML attribute.
fn escape_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// Whether a link target is http(s), ignoring case.
fn is_web_link(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Where an `<a>` tag's `href` value sits in the source.
struct Href {
    /// Byte range to replace (the value inside its quotes, or the bare unquoted value).
    start: usize,
    end: usize,
    quoted: bool,
}

/// Scans the attributes of a tag starting at `position` (just after the tag name); returns the
/// position after the tag's `>` (or the end of input) and the first `href`, if any.
fn scan_attributes(bytes: &[u8], mut position: usize) -> (usize, Option<Href>) {
    let mut href = None;
    let length = bytes.len();
    loop {
        while position < length && (is_space(bytes[position]) || bytes[position] == b'/') {
            position += 1;
        }
        if position >= length {
            return (length, href);
        }
        if bytes[position] == b'>' {
            return (position + 1, href);
        }
        let name_start = position;
        while position < length
            && !is_space(bytes[position])
            && !matches!(bytes[position], b'=' | b'>' | b'/')
        {
            position += 1;
        }
        let is_href = bytes[name_start..position].eq_ignore_ascii_case(b"href");
        let mut after_name = position;
        while after_name < length && is_space(bytes[after_name]) {
            after_name += 1;
        }
        if after_name >= length || bytes[after_name] != b'=' {
            position = after_name.max(name_start + 1).min(length);
            continue;
        }
        position = after_name + 1;
        while position < length && is_space(bytes[position]) {
            position += 1;
        }
        if position >= length {
            return (length, href);
        }
        let (start, end, quoted) = match bytes[position] {
            quote @ (b'"' | b'\'') => {
                let start = position + 1;
                let end = bytes[start..]
                    .iter()
                    .position(|byte| *byte == quote)
                    .map_or(length, |offset| start + offset);
                position = (end + 1).min(length);
                (start, end, true)
            }
            _ => {
                let start = position;
                while position < length && !is_space(bytes[position]) && bytes[position] != b'>' {
                    position += 1;
                }
                (start, position, false)
            }
        };
        if is_href && href.is_none() {
            href = Some(Href { start, end, quoted });
        }
    }
}

/// Replaces the `href` of every `<a>` whose target is http(s) (any case, quoted or not) with
/// `make_url(index, original)`, where `original` has its character references decoded and
/// `index` counts the rewritten links from 0. Returns the new HTML and the originals in order.
/// `mailto:` and other schemes, and links inside comments, are left alone.
pub fn rewrite_links(
    html: &str,
    mut make_url: impl FnMut(usize, &str) -> String,
) -> (String, Vec<String>) {
    let bytes = html.as_bytes();
    let length = bytes.len();
    let mut out = String::with_capacity(html.len() + 64);
    let mut originals = Vec::new();
    let mut copied = 0;
    let mut position = 0;
    while position < length {
        if bytes[position] != b'<' {
            position += 1;
            continue;
        }
        if bytes[position..].starts_with(b"<!--") {
            position = html[position + 4..]
                .find("-->")
                .map_or(length, |end| position + 4 + end + 3);
            continue;
        }
        let is_anchor = bytes
            .get(position + 1)
            .is_some_and(|b| b.eq_ignore_ascii_case(&b'a'))
            && bytes
                .get(position + 2)
                .is_none_or(|b| is_space(*b) || matches!(b, b'>' | b'/'));
        if !is_anchor {
            position += 1;
            continue;
        }
        let (after, href) = scan_attributes(bytes, position + 2);
        position = after;
        let Some(href) = href else {
            continue;
        };
        // Every index here sits next to an ASCII byte (or at the end), so slicing is on char
        // boundaries.
        let original = decode_entities(html[href.start..href.end].trim());
        if !is_web_link(&original) {
            continue;
        }
        let replacement = escape_attribute(&make_url(originals.len(), &original));
        originals.push(original);
        out.push_str(&html[copied..href.start]);
        if href.quoted {
            out.push_str(&replacement);
        } else {
            out.push('"');
            out.push_str(&replacement);
            out.push('"');
        }
        copied = href.end;
    }
    out.push_str(&html[copied..]);
    (out, originals)
}

/// Adds a hidden 1×1 image before `</body>` (any case), or at the end when there is none.
pub fn insert_pixel(html: &str, pixel_url: &str) -> String {
    let pixel = format!(
        "<img src=\"{}\" width=\"1\" height=\"1\" alt=\"\" style=\"display:none\">",
        escape_attribute(pixel_url)
    );
    let lower = html.to_ascii_lowercase();
    match lower.rfind("</body") {
        Some(at) => format!("{}{pixel}{}", &html[..at], &html[at..]),
        None => format!("{html}{pixel}"),
    }
}

/// A header value made from user data: every run of control characters (CR and LF included)
/// and Unicode line or paragraph separators becomes one space, and the result is trimmed.
pub fn header_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_run = false;
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            if !in_run {
                out.push(' ');
                in_run = true;
            }
        } else {
            out.push(c);
            in_run = false;
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracked(html: &str) -> (String, Vec<String>) {
        rewrite_links(html, |index, _| format!("https://t/c/{index}"))
    }

    #[test]
    fn web_links_are_rewritten_in_order_and_others_left_alone() {
        let html = concat!(
            "<p><a href=\"https://a.example/x?y=1&amp;z=2\">A</a> ",
            "<A HREF='HTTP://b.example'>B</A> ",
            "<a class=x href=http://c.example/p>C</a> ",
            "<a href=\"mailto:me@x.example\">M</a> <a href=\"#top\">T</a> ",
            "<a name=\"n\">N</a> <abbr href=\"https://no\">not a link</abbr> ",
            "<!-- <a href=\"https://hidden\"> --> ",
            "<a data-href=\"x\" href = \"https://d.example\" href=\"https://second\">D</a></p>"
        );
        let (out, originals) = tracked(html);
        assert_eq!(
            originals,
            [
                "https://a.example/x?y=1&z=2",
                "HTTP://b.example",
                "http://c.example/p",
                "https://d.example"
            ]
        );
        assert_eq!(
            out,
            concat!(
                "<p><a href=\"https://t/c/0\">A</a> ",
                "<A HREF='https://t/c/1'>B</A> ",
                "<a class=x href=\"https://t/c/2\">C</a> ",
                "<a href=\"mailto:me@x.example\">M</a> <a href=\"#top\">T</a> ",
                "<a name=\"n\">N</a> <abbr href=\"https://no\">not a link</abbr> ",
                "<!-- <a href=\"https://hidden\"> --> ",
                "<a data-href=\"x\" href = \"https://t/c/3\" href=\"https://second\">D</a></p>"
            )
        );
    }

    #[test]
    fn replacement_urls_are_escaped_for_the_attribute() {
        let (out, _) = rewrite_links("<a href=\"https://x\">x</a>", |_, _| {
            "https://t/c?a=1&b=\"2\"".to_owned()
        });
        assert_eq!(out, "<a href=\"https://t/c?a=1&amp;b=&quot;2&quot;\">x</a>");
    }

    #[test]
    fn entities_in_links_are_decoded() {
        assert_eq!(
            decode_entities("a&amp;b&#38;c&#x2F;d&lt;&unknown;&"),
            "a&b&c/d<&unknown;&"
        );
        let (_, originals) = tracked("<a href=\"https:&#x2F;&#x2F;x.example&#47;p\">x</a>");
        assert_eq!(originals, ["https://x.example/p"]);
    }

    #[test]
    fn truncated_and_hostile_markup_never_panics() {
        for html in [
            "<a",
            "<a href",
            "<a href=",
            "<a href=\"https://x",
            "<a href='https://x'",
            "<a href=https://x",
            "<!--",
            "<a\u{e9}href=\"https://x\">",
            "<a href=\"https://é.example/ü\">é</a>",
            "<<<a>>>",
            "&#xffffffff; &#99999999999; &;",
        ] {
            let _ = tracked(html);
            let _ = to_plain_text(html);
            let _ = insert_pixel(html, "https://t/o/1");
        }
        let (_, originals) = tracked("<a href=https://x");
        assert_eq!(originals, ["https://x"]);
    }

    #[test]
    fn random_input_never_panics() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet: &[&[u8]] = &[
            b"<",
            b">",
            b"a",
            b"A",
            b" ",
            b"href",
            b"=",
            b"\"",
            b"'",
            b"https://",
            b"http:",
            b"&amp;",
            b"&#x",
            b";",
            b"<!--",
            b"-->",
            b"</body>",
            b"/",
            b"\xc3\xa9",
            b"\xff",
            b"\n",
            b"\0",
        ];
        for _ in 0..2000 {
            let mut raw = Vec::new();
            for _ in 0..(next() % 40) {
                raw.extend_from_slice(alphabet[(next() % alphabet.len() as u64) as usize]);
                if next() % 5 == 0 {
                    raw.push((next() % 256) as u8);
                }
            }
            let html = String::from_utf8_lossy(&raw);
            let (out, originals) = tracked(&html);
            assert!(originals.iter().all(|url| is_web_link(url)));
            for index in 0..originals.len() {
                assert!(out.contains(&format!("https://t/c/{index}")), "{html:?}");
            }
            let _ = insert_pixel(&html, "https://t/o/1");
            let _ = header_safe(&html);
            let _ = to_plain_text(&html);
        }
    }

    #[test]
    fn plain_text_keeps_paragraphs_and_readable_links() {
        let text = to_plain_text(
            "<html><body><p>Hello <b>Ann</b>,</p><p>See <a href=\"https://x.example/a?b=1&amp;c=2\">our site</a>.</p></body></html>",
        );
        assert_eq!(
            text,
            "Hello Ann,\n\nSee [our site][1].\n\n[1]: https://x.example/a?b=1&c=2"
        );
    }

    #[test]
    fn the_pixel_goes_before_the_closing_body_tag() {
        let pixel = "<img src=\"https://t/o/1?a=1&amp;b=2\" width=\"1\" height=\"1\" alt=\"\" style=\"display:none\">";
        assert_eq!(
            insert_pixel(
                "<html><BODY><p>x</p></Body></html>",
                "https://t/o/1?a=1&b=2"
            ),
            format!("<html><BODY><p>x</p>{pixel}</Body></html>")
        );
        assert_eq!(
            insert_pixel("<p>x</p>", "https://t/o/1?a=1&b=2"),
            format!("<p>x</p>{pixel}")
        );
    }

    #[test]
    fn header_values_lose_line_breaks_and_control_characters() {
        let cases = [
            ("Hello\r\nBcc: x@y.example", "Hello Bcc: x@y.example"),
            ("  Re: offer \t", "Re: offer"),
            ("a\u{0}b\u{7f}c\u{85}d\u{2028}e", "a b c d e"),
            ("Zoé — ça va ?", "Zoé — ça va ?"),
        ];
        for (raw, expected) in cases {
            assert_eq!(header_safe(raw), expected, "{raw:?}");
        }
    }
}
