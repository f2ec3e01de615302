//! The SDK guides at `/docs/sdks`, `/docs/sdks/js` and `/docs/sdks/python`: the READMEs of
//! `sdks/`, compiled into the binary and rendered from Markdown, so they read offline beside
//! the API reference.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use pulldown_cmark::{html, Options, Parser};

/// One SDK guide: its path under `/docs/sdks`, its title and its Markdown source.
struct Guide {
    slug: &'static str,
    title: &'static str,
    markdown: &'static str,
}

const GUIDES: [Guide; 3] = [
    Guide {
        slug: "",
        title: "SDKs",
        markdown: include_str!("../../sdks/README.md"),
    },
    Guide {
        slug: "js",
        title: "TypeScript SDK (@fluenzr/sdk)",
        markdown: include_str!("../../sdks/js/README.md"),
    },
    Guide {
        slug: "python",
        title: "Python SDK (fluenzr)",
        markdown: include_str!("../../sdks/python/README.md"),
    },
];

/// Rewrites the READMEs' links between each other (`js/README.md`, `../python/README.md`, …)
/// to the pages that show them.
fn page_link(href: &str) -> Option<&'static str> {
    let target = href.trim_start_matches("./").trim_start_matches("../");
    match target {
        "README.md" | "sdks/README.md" => Some("/docs/sdks"),
        "js/README.md" | "js/" | "js" | "sdks/js/README.md" => Some("/docs/sdks/js"),
        "python/README.md" | "python/" | "python" | "sdks/python/README.md" => {
            Some("/docs/sdks/python")
        }
        _ => None,
    }
}

/// The anchor of a heading, as Markdown renderers make them: lowercase letters, digits, `-`
/// and `_`, with spaces turned into `-` (`"Sync a CRM"` → `sync-a-crm`).
fn slug(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// The guide's Markdown events: links between the READMEs point at their pages, and each
/// heading gets the id in-page links (`[Campaigns](#campaigns)`) expect.
fn events(markdown: &str) -> Vec<pulldown_cmark::Event<'_>> {
    use pulldown_cmark::{Event, Tag, TagEnd};
    let mut events: Vec<Event> = Parser::new_ext(markdown, Options::ENABLE_TABLES)
        .map(|event| match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Link {
                link_type,
                dest_url: page_link(&dest_url).map_or(dest_url, Into::into),
                title,
                id,
            }),
            other => other,
        })
        .collect();
    let mut index = 0;
    while index < events.len() {
        if let Event::Start(Tag::Heading { .. }) = &events[index] {
            let text: String = events[index + 1..]
                .iter()
                .take_while(|event| !matches!(event, Event::End(TagEnd::Heading(_))))
                .filter_map(|event| match event {
                    Event::Text(text) | Event::Code(text) => Some(text.as_ref()),
                    _ => None,
                })
                .collect();
            if let Event::Start(Tag::Heading { id, .. }) = &mut events[index] {
                *id = Some(slug(&text).into());
            }
        }
        index += 1;
    }
    events
}

/// The guide's Markdown as an HTML page in the reference's style.
fn render(guide: &Guide) -> String {
    let mut body = String::new();
    html::push_html(&mut body, events(guide.markdown).into_iter());
    let nav = GUIDES
        .iter()
        .map(|other| {
            let href = match other.slug {
                "" => "/docs/sdks".to_owned(),
                slug => format!("/docs/sdks/{slug}"),
            };
            format!("<a href=\"{href}\">{}</a>", other.title)
        })
        .collect::<Vec<_>>()
        .join(" · ");
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · FluenzR API</title>\n\
         <link rel=\"icon\" type=\"image/svg+xml\" href=\"/docs/favicon.svg\">\n\
         <link rel=\"stylesheet\" href=\"/docs/style.css\">\n</head>\n<body>\n\
         <main id=\"content\" class=\"guide-page md\">\n\
         <p class=\"api-meta\"><a class=\"raw-link\" href=\"/docs\">← API reference</a> {nav}</p>\n\
         {body}</main>\n</body>\n</html>\n",
        title = guide.title,
    )
}

fn respond(slug: &str) -> HttpResponse {
    match GUIDES.iter().find(|guide| guide.slug == slug) {
        Some(guide) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
            .body(render(guide)),
        None => HttpResponse::NotFound()
            .content_type("application/json")
            .body(crate::api::error::error_body("NOT_FOUND", "No such page", None).to_string()),
    }
}

/// `GET /docs/sdks`: what the two SDKs share and which method calls which operation.
pub async fn index() -> HttpResponse {
    respond("")
}

/// `GET /docs/sdks/{sdk}`: the guide of one SDK (`js` or `python`).
pub async fn guide(path: web::Path<String>) -> HttpResponse {
    respond(path.into_inner().trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_between_the_readmes_point_at_their_pages() {
        assert_eq!(page_link("js/README.md"), Some("/docs/sdks/js"));
        assert_eq!(page_link("../python/README.md"), Some("/docs/sdks/python"));
        assert_eq!(page_link("../README.md"), Some("/docs/sdks"));
        assert_eq!(page_link("https://example.com/"), None);
    }

    #[test]
    fn headings_get_the_ids_in_page_links_use() {
        assert_eq!(slug("Sync a CRM"), "sync-a-crm");
        assert_eq!(
            slug("Sandbox and pipeline stages"),
            "sandbox-and-pipeline-stages"
        );
        assert_eq!(slug("@fluenzr/sdk"), "fluenzrsdk");
        let page = render(&GUIDES[1]);
        assert!(
            page.contains("<h3 id=\"campaigns\">Campaigns</h3>"),
            "{page}"
        );
        assert!(page.contains("<h2 id=\"usage-examples\">"));
    }

    #[test]
    fn every_guide_renders_its_markdown_with_tables() {
        for guide in &GUIDES {
            let page = render(guide);
            assert!(page.contains(&format!("<title>{} · FluenzR API", guide.title)));
            assert!(page.contains("href=\"/docs/sdks/js\""), "{}", guide.slug);
            assert!(
                page.contains("href=\"/docs/sdks/python\""),
                "{}",
                guide.slug
            );
        }
        assert!(render(&GUIDES[0]).contains("<table>"));
    }
}
