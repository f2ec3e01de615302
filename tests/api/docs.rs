//! Outside /v1: the OpenAPI document, the embedded documentation page (checked in a real headless
//! browser) and the health probes.

use crate::helpers::{body_json, html_page, spawn_app};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Every documented operation of the resources below, and whether it takes a request body.
const OPERATIONS: [(&str, &str, bool); 56] = [
    ("get", "/v1/contacts", false),
    ("post", "/v1/contacts", true),
    ("get", "/v1/contacts/{id}", false),
    ("put", "/v1/contacts/{id}", true),
    ("delete", "/v1/contacts/{id}", false),
    ("post", "/v1/contacts/bulk", true),
    ("post", "/v1/contacts/search", true),
    ("post", "/v1/contacts/import", true),
    ("get", "/v1/contacts/export", false),
    ("post", "/v1/contacts/{id}/groups", true),
    ("delete", "/v1/contacts/{id}/groups", true),
    ("post", "/v1/contacts/{id}/tags", true),
    ("delete", "/v1/contacts/{id}/tags", true),
    ("get", "/v1/groups", false),
    ("post", "/v1/groups", true),
    ("get", "/v1/groups/{id}", false),
    ("put", "/v1/groups/{id}", true),
    ("delete", "/v1/groups/{id}", false),
    ("get", "/v1/groups/{id}/contacts", false),
    ("post", "/v1/groups/{id}/contacts", true),
    ("delete", "/v1/groups/{id}/contacts", true),
    ("get", "/v1/email-accounts", false),
    ("post", "/v1/email-accounts", true),
    ("get", "/v1/email-accounts/{id}", false),
    ("put", "/v1/email-accounts/{id}", true),
    ("delete", "/v1/email-accounts/{id}", false),
    ("post", "/v1/email-accounts/{id}/test", false),
    ("get", "/v1/campaigns", false),
    ("post", "/v1/campaigns", true),
    ("get", "/v1/campaigns/{id}", false),
    ("put", "/v1/campaigns/{id}", true),
    ("delete", "/v1/campaigns/{id}", false),
    ("post", "/v1/campaigns/{id}/start", false),
    ("post", "/v1/campaigns/{id}/pause", false),
    ("post", "/v1/campaigns/{id}/resume", false),
    ("post", "/v1/campaigns/{id}/archive", false),
    ("get", "/v1/campaigns/{id}/contacts", false),
    ("post", "/v1/campaigns/{id}/contacts", true),
    ("delete", "/v1/campaigns/{id}/contacts", true),
    ("get", "/v1/campaigns/{id}/preview", false),
    ("get", "/v1/campaigns/{id}/forecast", false),
    ("get", "/v1/campaigns/{id}/stats", false),
    ("get", "/v1/campaigns/{id}/stats/emails", false),
    ("get", "/v1/campaigns/{id}/stats/timeline", false),
    ("get", "/v1/campaigns/{id}/activity", false),
    ("get", "/v1/sandbox/messages", false),
    ("delete", "/v1/sandbox/messages", false),
    ("get", "/v1/sandbox/messages/{id}", false),
    ("get", "/v1/pipeline-stages", false),
    ("get", "/v1/webhooks", false),
    ("post", "/v1/webhooks", true),
    ("get", "/v1/webhooks/{id}", false),
    ("put", "/v1/webhooks/{id}", true),
    ("delete", "/v1/webhooks/{id}", false),
    ("get", "/v1/webhooks/{id}/logs", false),
    ("post", "/v1/webhooks/{id}/test", false),
];

/// The path prefixes whose operations `OPERATIONS` lists.
const PREFIXES: [&str; 7] = [
    "/v1/contacts",
    "/v1/groups",
    "/v1/email-accounts",
    "/v1/campaigns",
    "/v1/sandbox",
    "/v1/pipeline-stages",
    "/v1/webhooks",
];

const HTTP_METHODS: [&str; 8] = [
    "get", "post", "put", "patch", "delete", "head", "options", "trace",
];

/// Fetches the OpenAPI document without any credentials.
async fn openapi(address: &str) -> Value {
    let response = reqwest::get(format!("{address}/v1/openapi.json"))
        .await
        .expect("request sent");
    assert_eq!(response.status(), 200, "the document is public");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    body_json(response).await
}

/// (method, path) of every operation of the document under the `PREFIXES`.
fn documented_operations(document: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        if !PREFIXES.iter().any(|prefix| path.starts_with(prefix)) {
            continue;
        }
        for method in HTTP_METHODS {
            if item.get(method).is_some() {
                found.push((method.to_owned(), path.clone()));
            }
        }
    }
    found
}

#[tokio::test]
async fn the_openapi_document_is_public_and_describes_every_operation_of_each_resource() {
    let app = spawn_app().await;
    let document = openapi(&app.address).await;
    let version = document["openapi"].as_str().expect("openapi version");
    assert!(version.starts_with("3.1"), "{version}");
    assert!(document["info"]["title"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    for (method, path, has_body) in OPERATIONS {
        let operation = &document["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is documented");
        let responses = operation["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} has responses"));
        assert!(
            responses.keys().any(|status| status.starts_with('2')),
            "{method} {path} documents its success"
        );
        for response in responses.values() {
            assert!(
                response["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{method} {path}: every response is described"
            );
        }
        if has_body {
            let content = operation["requestBody"]["content"]
                .as_object()
                .unwrap_or_else(|| panic!("{method} {path} documents its request body"));
            assert!(!content.is_empty(), "{method} {path}");
            for (media_type, media) in content {
                assert!(
                    media["schema"].is_object(),
                    "{method} {path} {media_type} has a schema"
                );
            }
        } else {
            assert!(
                operation.get("requestBody").is_none(),
                "{method} {path} takes no body"
            );
        }
    }
    assert!(
        document["paths"]["/v1/contacts/import"]["post"]["requestBody"]["content"]
            .get("text/csv")
            .is_some(),
        "the import takes CSV"
    );
    let mut documented = documented_operations(&document);
    let mut listed: Vec<(String, String)> = OPERATIONS
        .iter()
        .map(|(method, path, _)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    documented.sort();
    listed.sort();
    assert_eq!(
        documented, listed,
        "every operation of these resources is listed here, and nothing else"
    );
}

#[tokio::test]
async fn the_docs_page_and_its_assets_are_served_with_their_content_types() {
    let app = spawn_app().await;
    for path in ["/docs", "/docs/"] {
        let html = html_page(&app.address, path).await;
        assert!(
            html.contains("src=\"/docs/app.js\""),
            "{path} loads the script"
        );
        assert!(
            html.contains("href=\"/docs/style.css\""),
            "{path} loads the styles"
        );
    }
    for (path, expected) in [
        ("/docs/app.js", "javascript"),
        ("/docs/style.css", "text/css"),
    ] {
        let response = reqwest::get(format!("{}{path}", app.address))
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(content_type.contains(expected), "{path}: {content_type}");
        assert!(!response.bytes().await.unwrap().is_empty(), "{path}");
    }
    let missing = reqwest::get(format!("{}/docs/nothing.js", app.address))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(body_json(missing).await["error"]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn the_docs_page_links_to_both_sdk_guides_which_the_server_renders() {
    let app = spawn_app().await;
    let html = html_page(&app.address, "/docs").await;
    for link in [
        "href=\"/docs/sdks\"",
        "href=\"/docs/sdks/js\"",
        "href=\"/docs/sdks/python\"",
    ] {
        assert!(html.contains(link), "the reference links {link}");
    }
    // Each guide is its SDK's README, rendered: install command, client and webhook helper.
    for (path, expected) in [
        (
            "/docs/sdks",
            [
                "@fluenzr/sdk",
                "contacts.addToGroups",
                "contacts.add_to_groups",
            ],
        ),
        (
            "/docs/sdks/js",
            ["npm install", "new FluenzrClient", "verifyWebhookSignature"],
        ),
        (
            "/docs/sdks/python",
            [
                "pip install",
                "AsyncFluenzrClient",
                "verify_webhook_signature",
            ],
        ),
    ] {
        let page = html_page(&app.address, path).await;
        assert!(
            page.contains("href=\"/docs/style.css\""),
            "{path} is styled"
        );
        assert!(page.contains("<h1"), "{path} is rendered Markdown");
        for text in expected {
            assert!(page.contains(text), "{path} mentions {text}");
        }
    }
    let missing = reqwest::get(format!("{}/docs/sdks/ruby", app.address))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(body_json(missing).await["error"]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn the_health_probes_answer_without_a_key() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let response = reqwest::get(format!("{}{path}", app.address))
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(body_json(response).await["status"].is_string(), "{path}");
    }
}

/// Runs headless chromium against `url` and returns the DOM after the scripts ran.
async fn dump_dom(url: String) -> String {
    const CHROMIUM: &str = "/usr/bin/chromium";
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: install the chromium package to run the real-browser check \
         of the documentation page"
    );
    let profile = tempfile::tempdir().expect("temp dir");
    let child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--virtual-time-budget=10000", "--dump-dom"])
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let pid = child.id();
    let waiting = tokio::task::spawn_blocking(move || child.wait_with_output());
    let output = match tokio::time::timeout(Duration::from_secs(120), waiting).await {
        Ok(joined) => joined.expect("join").expect("chromium output"),
        Err(_) => {
            // Stop the browser this test started, by its id.
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("chromium did not finish within 120 s");
        }
    };
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success() && !dom.is_empty(),
        "chromium failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    drop(profile);
    dom
}

/// The text of every `<h3 class="op-title">` heading, tags removed and whitespace collapsed.
fn operation_titles(dom: &str) -> Vec<String> {
    let mut titles = Vec::new();
    let mut rest = dom;
    while let Some(start) = rest.find("<h3 class=\"op-title\">") {
        let after = &rest[start..];
        let end = after.find("</h3>").expect("closed heading");
        let mut text = String::new();
        let mut in_tag = false;
        for c in after[..end].chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        titles.push(text.split_whitespace().collect::<Vec<_>>().join(" "));
        rest = &after[end..];
    }
    titles
}

#[tokio::test]
async fn a_real_browser_renders_every_operation_of_each_resource_on_the_docs_page() {
    let app = spawn_app().await;
    let document = openapi(&app.address).await;
    let expected = documented_operations(&document);
    assert!(expected.len() >= OPERATIONS.len(), "{expected:?}");
    for (method, path, _) in OPERATIONS {
        assert!(
            expected.contains(&(method.to_owned(), path.to_owned())),
            "{method} {path} is in the document"
        );
    }

    let dom = dump_dom(format!("{}/docs", app.address)).await;
    assert!(
        !dom.contains("Could not load the API description"),
        "the page loaded the document"
    );
    let titles = operation_titles(&dom);
    for (method, path) in &expected {
        let section = format!(
            "data-method=\"{method}\" data-path=\"{}\"",
            path.replace('&', "&amp;").replace('"', "&quot;")
        );
        let found = dom
            .match_indices("<section class=\"operation\"")
            .any(|(at, _)| {
                let tag_end = dom[at..].find('>').map_or(dom.len(), |end| at + end);
                dom[at..tag_end].contains(&section)
            });
        assert!(found, "a section for {method} {path}");
        let title = format!("{} {path}", method.to_uppercase());
        assert!(
            titles.contains(&title),
            "a heading {title:?} among {titles:?}"
        );
    }
}
