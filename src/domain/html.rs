//! Message bodies (temporary stand-in until the full module lands).

/// Plain text of an HTML body.
pub fn to_plain_text(html: &str) -> String {
    html2text::from_read(html.as_bytes(), 78).unwrap_or_default()
}

/// Rewrites `href` targets of links.
pub fn rewrite_links(
    html: &str,
    mut make_url: impl FnMut(usize, &str) -> String,
) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut links = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("href=\"") {
        let (head, tail) = rest.split_at(start + 6);
        out.push_str(head);
        let end = tail.find('"').unwrap_or(tail.len());
        let url = tail[..end].replace("&amp;", "&");
        if url.starts_with("http") {
            out.push_str(&make_url(links.len(), &url));
            links.push(url);
        } else {
            out.push_str(&tail[..end]);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    (out, links)
}

/// Adds the open pixel.
pub fn insert_pixel(html: &str, pixel_url: &str) -> String {
    format!("{html}<img src=\"{pixel_url}\" width=\"1\" height=\"1\" alt=\"\">")
}

/// Header-safe text.
pub fn header_safe(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_owned()
}
