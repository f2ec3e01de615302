//! The /v1 conventions: envelopes, error codes, pagination, sorting and unknown parameters.

use crate::helpers::{assert_error, body_json, count_rows, spawn_app, spawn_app_with, TestApp};
use reqwest::{Method, Response};
use serde_json::{json, Value};

/// A raw request with the app's key, a body and an optional content type.
async fn send_raw(
    app: &TestApp,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Response {
    let mut request = app.request(method, path).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    request.send().await.expect("request sent")
}

/// The emails of a list response, in order.
fn emails(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("data is not a list: {body}"))
        .iter()
        .map(|contact| contact["email"].as_str().unwrap().to_owned())
        .collect()
}

/// Creates `count` contacts `person00@example.com`, `person01@…` in that order, one request each.
async fn create_people(app: &TestApp, count: usize) -> Vec<String> {
    let mut created = Vec::with_capacity(count);
    for index in 0..count {
        let email = format!("person{index:02}@example.com");
        app.create_contact(json!({ "email": email })).await;
        created.push(email);
    }
    created
}

#[tokio::test]
async fn a_created_contact_is_returned_in_the_success_envelope() {
    let app = spawn_app().await;
    let response = app
        .post("/v1/contacts", &json!({"email": "ada@example.com"}))
        .await;
    assert_eq!(response.status(), 201);
    let body = body_json(response).await;
    assert_eq!(body["success"], true);
    assert_eq!(body["data"]["email"], "ada@example.com");
    assert!(body["data"]["id"].as_str().unwrap().starts_with("con_"));
}

#[tokio::test]
async fn a_panicking_handler_answers_500_in_the_envelope_without_internals() {
    let app = spawn_app().await;
    let body = assert_error(app.get("/v1/_test/panic").await, 500, "INTERNAL_ERROR").await;
    assert_eq!(body["error"]["message"], "Internal server error");
    // The server keeps serving afterwards.
    assert_eq!(app.get("/v1/contacts").await.status(), 200);
}

#[tokio::test]
async fn an_unsupported_method_is_405_with_allow() {
    let app = spawn_app().await;
    let response = app
        .request(Method::PATCH, "/v1/contacts")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, POST");
    assert_error(response, 405, "METHOD_NOT_ALLOWED").await;
}

#[tokio::test]
async fn every_resource_answers_405_with_its_own_allow_list() {
    let app = spawn_app().await;
    let id = "con_AAAAAAAAAAAAAAAAAAAA";
    let cases = [
        (Method::DELETE, "/v1/groups".to_owned(), "GET, POST"),
        (
            Method::POST,
            format!("/v1/contacts/{id}"),
            "GET, PUT, DELETE",
        ),
        (Method::GET, "/v1/contacts/bulk".to_owned(), "POST"),
        (
            Method::PUT,
            format!("/v1/contacts/{id}/tags"),
            "POST, DELETE",
        ),
        (Method::POST, "/healthz".to_owned(), "GET"),
    ];
    for (method, path, allow) in cases {
        let response = app.request(method.clone(), &path).send().await.unwrap();
        assert_eq!(response.headers()["allow"], allow, "{method} {path}");
        assert_error(response, 405, "METHOD_NOT_ALLOWED").await;
    }
}

#[tokio::test]
async fn malformed_json_is_a_validation_error_and_writes_nothing() {
    let app = spawn_app().await;
    let bodies = [
        ("truncated object", "{\"email\": \"ada@example.com\""),
        ("trailing comma", "{\"email\": \"ada@example.com\",}"),
        ("single quotes", "{'email': 'ada@example.com'}"),
        ("not JSON at all", "email=ada@example.com"),
        ("empty body", ""),
    ];
    for (reason, body) in bodies {
        let response = send_raw(
            &app,
            Method::POST,
            "/v1/contacts",
            Some("application/json"),
            body,
        )
        .await;
        let error = assert_error(response, 400, "VALIDATION_ERROR").await;
        assert!(error.get("data").is_none(), "{reason}: {error}");
    }
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 0);
}

#[tokio::test]
async fn a_json_endpoint_refuses_a_missing_or_wrong_content_type() {
    let app = spawn_app().await;
    let body = r#"{"email": "ada@example.com"}"#;
    let cases = [
        ("no content type at all", None),
        ("plain text", Some("text/plain")),
        ("a form", Some("application/x-www-form-urlencoded")),
        ("CSV", Some("text/csv")),
    ];
    for (reason, content_type) in cases {
        let response = send_raw(&app, Method::POST, "/v1/contacts", content_type, body).await;
        let error = assert_error(response, 400, "VALIDATION_ERROR").await;
        assert_eq!(
            error["error"]["details"]["field"], "Content-Type",
            "{reason}: {error}"
        );
    }
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 0);
    // The same body with the right type is accepted, so the refusals above were about the type.
    let response = send_raw(
        &app,
        Method::POST,
        "/v1/contacts",
        Some("application/json; charset=utf-8"),
        body,
    )
    .await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn an_unknown_body_field_is_a_400_naming_the_field() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/v1/contacts",
            &json!({"email": "ada@example.com", "nickname": "Ada"}),
        )
        .await;
    let body = assert_error(response, 400, "VALIDATION_ERROR").await;
    assert_eq!(body["error"]["details"]["field"], "nickname", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nickname"),
        "{body}"
    );
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 0);

    let group = app
        .post("/v1/groups", &json!({"name": "Leads", "colour": "#fff"}))
        .await;
    let body = assert_error(group, 400, "VALIDATION_ERROR").await;
    assert_eq!(body["error"]["details"]["field"], "colour", "{body}");
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM groups").await, 0);
}

#[tokio::test]
async fn a_missing_required_field_is_a_400_naming_the_field() {
    let app = spawn_app().await;
    let cases = [
        ("/v1/contacts", json!({"firstName": "Ada"}), "email"),
        ("/v1/groups", json!({"description": "no name"}), "name"),
    ];
    for (path, request, field) in cases {
        let body = assert_error(app.post(path, &request).await, 400, "VALIDATION_ERROR").await;
        assert_eq!(body["error"]["details"]["field"], field, "{path}: {body}");
    }
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 0);
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM groups").await, 0);
}

#[tokio::test]
async fn a_body_of_the_wrong_json_type_is_a_validation_error() {
    let app = spawn_app().await;
    let cases = [
        (
            "an array instead of an object",
            json!([{"email": "ada@example.com"}]),
        ),
        ("a number for the email", json!({"email": 42})),
        (
            "a string for the tags",
            json!({"email": "ada@example.com", "tags": "vip"}),
        ),
        (
            "an unknown status",
            json!({"email": "ada@example.com", "status": "asleep"}),
        ),
    ];
    for (reason, request) in cases {
        let response = app.post("/v1/contacts", &request).await;
        let body = assert_error(response, 400, "VALIDATION_ERROR").await;
        assert!(body["error"]["message"].is_string(), "{reason}: {body}");
    }
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 0);
}

#[tokio::test]
async fn an_invalid_utf8_body_is_a_validation_error() {
    let app = spawn_app().await;
    let mut bytes = br#"{"email": "ada@example.com", "firstName": ""#.to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe, 0xc3]);
    bytes.extend_from_slice(br#""}"#);
    let response = send_raw(
        &app,
        Method::POST,
        "/v1/contacts",
        Some("application/json"),
        bytes,
    )
    .await;
    assert_error(response, 400, "VALIDATION_ERROR").await;
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 0);
}

#[tokio::test]
async fn an_unknown_route_is_404_not_found_inside_and_outside_v1() {
    let app = spawn_app().await;
    for path in [
        "/v1/nothing-here",
        "/v1/contacts/con_AAAAAAAAAAAAAAAAAAAA/nothing",
        "/v2/contacts",
        "/",
        "/nothing-here",
    ] {
        let body = assert_error(app.get(path).await, 404, "NOT_FOUND").await;
        assert!(body.get("data").is_none(), "{path}: {body}");
    }
}

#[tokio::test]
async fn a_malformed_or_unknown_id_is_404_not_found() {
    let app = spawn_app().await;
    for path in [
        "/v1/contacts/con_AAAAAAAAAAAAAAAAAAAA",
        "/v1/contacts/not-an-id",
        "/v1/contacts/grp_AAAAAAAAAAAAAAAAAAAA",
        "/v1/groups/grp_AAAAAAAAAAAAAAAAAAAA",
        "/v1/groups/1",
    ] {
        let body = assert_error(app.get(path).await, 404, "NOT_FOUND").await;
        assert!(body.get("data").is_none(), "{path}: {body}");
    }
}

#[tokio::test]
async fn a_body_over_the_configured_limit_is_413_in_the_envelope() {
    let app = spawn_app_with(|config| config.max_body_bytes = 1024).await;
    let request = json!({"email": "ada@example.com", "company": "x".repeat(2000)});
    let response = app.post("/v1/contacts", &request).await;
    let body = assert_error(response, 413, "PAYLOAD_TOO_LARGE").await;
    assert_eq!(body["error"]["details"]["limit"], 1024, "{body}");
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 0);
    // A body under the limit still goes through.
    let small = app
        .post("/v1/contacts", &json!({"email": "ada@example.com"}))
        .await;
    assert_eq!(small.status(), 201);
}

#[tokio::test]
async fn a_ten_megabyte_body_is_413_under_the_default_limit() {
    let app = spawn_app().await;
    let padding = "x".repeat(10 * 1024 * 1024);
    let body = format!(r#"{{"email": "ada@example.com", "company": "{padding}"}}"#);
    let response = send_raw(
        &app,
        Method::POST,
        "/v1/contacts",
        Some("application/json"),
        body,
    )
    .await;
    let body = assert_error(response, 413, "PAYLOAD_TOO_LARGE").await;
    assert_eq!(body["error"]["details"]["limit"], 4 * 1024 * 1024, "{body}");
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 0);
    assert_eq!(app.get("/v1/contacts").await.status(), 200);
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413_naming_the_limit() {
    let app = spawn_app_with(|config| config.max_body_bytes = 1024).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let key = app.api_key.clone();
    // No Content-Length: the server only learns the size while reading the chunks.
    let raw = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&address).expect("connect");
        let head = format!(
            "POST /v1/contacts HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        let mut request = head.into_bytes();
        let json = format!(r#"{{"email": "ada@example.com", "company": "{}"}}"#, "x".repeat(8192));
        for chunk in json.as_bytes().chunks(512) {
            request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            request.extend_from_slice(chunk);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"0\r\n\r\n");
        // The server may answer and close before reading everything; the answer is what counts.
        let _ = stream.write_all(&request);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .unwrap();
    assert!(raw.starts_with("HTTP/1.1 413"), "{raw}");
    let body = &raw[raw.find("\r\n\r\n").expect("a body") + 4..];
    let body: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {raw}"));
    assert_eq!(body["success"], false);
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE");
    assert_eq!(body["error"]["details"]["limit"], 1024, "{body}");
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 0);
}

#[tokio::test]
async fn out_of_range_or_malformed_pagination_is_a_400() {
    let app = spawn_app().await;
    let cases = [
        (
            "perPage=99999999999999999999",
            "a number beyond any integer",
        ),
        ("page=99999999999999999999", "a page beyond any integer"),
        ("page=0", "pages start at 1"),
        ("page=1000001", "above the documented maximum page"),
        ("page=-1", "negative page"),
        ("perPage=0", "empty pages"),
        ("perPage=101", "above the maximum of 100"),
        ("perPage=-5", "negative page size"),
        ("page=two", "not a number"),
        ("perPage=1.5", "not an integer"),
    ];
    for (query, reason) in cases {
        for path in ["/v1/contacts", "/v1/groups"] {
            let response = app.get(&format!("{path}?{query}")).await;
            let body = assert_error(response, 400, "VALIDATION_ERROR").await;
            assert!(body.get("data").is_none(), "{path}?{query} ({reason})");
        }
    }
}

#[tokio::test]
async fn pagination_bounds_name_the_offending_parameter() {
    let app = spawn_app().await;
    let page = assert_error(
        app.get("/v1/contacts?page=0").await,
        400,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(page["error"]["details"]["field"], "page", "{page}");
    let per_page = assert_error(
        app.get("/v1/contacts?perPage=101").await,
        400,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(
        per_page["error"]["details"]["field"], "perPage",
        "{per_page}"
    );
    // The boundaries themselves are accepted.
    assert_eq!(
        app.get("/v1/contacts?page=1&perPage=100").await.status(),
        200
    );
    assert_eq!(app.get("/v1/contacts?perPage=1").await.status(), 200);
}

#[tokio::test]
async fn an_unknown_query_parameter_is_a_400_naming_it() {
    let app = spawn_app().await;
    for (path, parameter) in [
        ("/v1/contacts?pageSize=10", "pageSize"),
        ("/v1/contacts?per_page=10", "per_page"),
        ("/v1/contacts?emial=ada", "emial"),
        ("/v1/groups?colour=red", "colour"),
        ("/v1/contacts/export?page=2", "page"),
    ] {
        let body = assert_error(app.get(path).await, 400, "VALIDATION_ERROR").await;
        assert_eq!(body["error"]["details"]["parameter"], parameter, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(parameter),
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_repeated_query_parameter_is_a_400_naming_it() {
    let app = spawn_app().await;
    for (path, parameter) in [
        ("/v1/contacts?page=1&page=2", "page"),
        ("/v1/contacts?status=active&status=bounced", "status"),
        ("/v1/groups?name=a&name=b", "name"),
    ] {
        let body = assert_error(app.get(path).await, 400, "VALIDATION_ERROR").await;
        assert_eq!(body["error"]["details"]["parameter"], parameter, "{body}");
    }
}

#[tokio::test]
async fn an_unknown_sort_field_or_order_is_a_400() {
    let app = spawn_app().await;
    app.create_contact(json!({"email": "ada@example.com"}))
        .await;
    for (query, reason) in [
        ("sort=password", "not a sortable field"),
        ("sort=email;DROP TABLE contacts", "SQL in the sort field"),
        ("sort=created_at", "snake case is not the API's spelling"),
        ("sort=", "empty sort"),
        ("sort=email&order=up", "order is asc or desc"),
        ("sort=email&order=asc,desc", "one order only"),
        ("order=random", "order without sort"),
    ] {
        let response = app.get(&format!("/v1/contacts?{query}")).await;
        let body = assert_error(response, 400, "VALIDATION_ERROR").await;
        assert!(body.get("data").is_none(), "{query} ({reason})");
    }
    let response = app.get("/v1/groups?sort=email").await;
    assert_error(response, 400, "VALIDATION_ERROR").await;
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 1);
}

#[tokio::test]
async fn pagination_meta_counts_every_match_and_pages_split_the_list() {
    let app = spawn_app().await;
    let mut created = create_people(&app, 25).await;
    created.sort();

    let first = body_json(
        app.get("/v1/contacts?perPage=10&sort=email&order=asc")
            .await,
    )
    .await;
    assert_eq!(
        first["meta"],
        json!({"page": 1, "perPage": 10, "total": 25, "totalPages": 3})
    );
    assert_eq!(emails(&first), created[0..10]);

    let second = body_json(
        app.get("/v1/contacts?page=2&perPage=10&sort=email&order=asc")
            .await,
    )
    .await;
    assert_eq!(
        second["meta"],
        json!({"page": 2, "perPage": 10, "total": 25, "totalPages": 3})
    );
    assert_eq!(emails(&second), created[10..20]);

    let last = body_json(
        app.get("/v1/contacts?page=3&perPage=10&sort=email&order=asc")
            .await,
    )
    .await;
    assert_eq!(emails(&last), created[20..25]);

    let beyond = body_json(app.get("/v1/contacts?page=4&perPage=10").await).await;
    assert_eq!(beyond["success"], true);
    assert_eq!(beyond["data"], json!([]));
    assert_eq!(beyond["meta"]["total"], 25);
    assert_eq!(beyond["meta"]["totalPages"], 3);
}

#[tokio::test]
async fn the_default_page_has_twenty_items_and_an_empty_list_has_zero_pages() {
    let app = spawn_app().await;
    let empty = body_json(app.get("/v1/contacts").await).await;
    assert_eq!(
        empty["meta"],
        json!({"page": 1, "perPage": 20, "total": 0, "totalPages": 0})
    );
    assert_eq!(empty["data"], json!([]));

    create_people(&app, 21).await;
    let full = body_json(app.get("/v1/contacts").await).await;
    assert_eq!(emails(&full).len(), 20);
    assert_eq!(
        full["meta"],
        json!({"page": 1, "perPage": 20, "total": 21, "totalPages": 2})
    );
}

#[tokio::test]
async fn filters_are_counted_in_the_meta_total() {
    let app = spawn_app().await;
    create_people(&app, 5).await;
    app.create_contact(json!({"email": "boss@acme.test", "company": "Acme"}))
        .await;
    let body = body_json(app.get("/v1/contacts?company=acme&perPage=1").await).await;
    assert_eq!(emails(&body), ["boss@acme.test"]);
    assert_eq!(body["meta"]["total"], 1);
    assert_eq!(body["meta"]["totalPages"], 1);
}

#[tokio::test]
async fn contacts_sort_by_email_in_both_directions() {
    let app = spawn_app().await;
    for email in ["carol@example.com", "alice@example.com", "bob@example.com"] {
        app.create_contact(json!({ "email": email })).await;
    }
    let ascending = body_json(app.get("/v1/contacts?sort=email&order=asc").await).await;
    assert_eq!(
        emails(&ascending),
        ["alice@example.com", "bob@example.com", "carol@example.com"]
    );
    let descending = body_json(app.get("/v1/contacts?sort=email&order=desc").await).await;
    assert_eq!(
        emails(&descending),
        ["carol@example.com", "bob@example.com", "alice@example.com"]
    );
    // Sorting happens before paging: page 2 of size 1 is the middle one either way.
    let middle = body_json(
        app.get("/v1/contacts?sort=email&order=desc&perPage=1&page=2")
            .await,
    )
    .await;
    assert_eq!(emails(&middle), ["bob@example.com"]);
}

#[tokio::test]
async fn the_default_order_is_newest_first() {
    let app = spawn_app().await;
    // Created out of alphabetical order so that an email sort would give another answer.
    let created = ["mike@example.com", "alice@example.com", "zoe@example.com"];
    for email in created {
        app.create_contact(json!({ "email": email })).await;
    }
    let newest_first: Vec<&str> = created.iter().rev().copied().collect();
    let default = body_json(app.get("/v1/contacts").await).await;
    assert_eq!(emails(&default), newest_first);
    let explicit = body_json(app.get("/v1/contacts?sort=createdAt").await).await;
    assert_eq!(emails(&explicit), newest_first);
    let oldest_first = body_json(app.get("/v1/contacts?sort=createdAt&order=asc").await).await;
    assert_eq!(emails(&oldest_first), created);
}

#[tokio::test]
async fn sql_looking_strings_are_stored_verbatim_and_match_nothing_extra() {
    let app = spawn_app().await;
    app.create_contact(json!({"email": "ada@example.com"}))
        .await;
    let injection = "Robert'); DROP TABLE contacts;--";
    let created = app
        .create_contact(json!({
            "email": "bobby@example.com",
            "firstName": injection,
            "company": "' OR '1'='1",
            "tags": ["x' OR 1=1 --"],
        }))
        .await;
    assert_eq!(created["firstName"], injection);
    assert_eq!(created["company"], "' OR '1'='1");

    let fetched = body_json(
        app.get(&format!("/v1/contacts/{}", created["id"].as_str().unwrap()))
            .await,
    )
    .await;
    assert_eq!(fetched["data"]["firstName"], injection);
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 2);

    // Filters treat quotes, LIKE wildcards and comments as plain text.
    for (query, expected) in [
        ("q=%27%20OR%20%271%27%3D%271", vec!["bobby@example.com"]),
        ("email=%25", vec![]),
        ("email=_", vec![]),
        (
            "q=%27%29%3B%20DROP%20TABLE%20contacts%3B--",
            vec!["bobby@example.com"],
        ),
        ("tag=x%27%20OR%201%3D1%20--", vec!["bobby@example.com"]),
        ("company=%27%20OR%201%3D1%20--", vec![]),
    ] {
        let body = body_json(app.get(&format!("/v1/contacts?{query}")).await).await;
        assert_eq!(emails(&body), expected, "{query}");
    }
    let search = app
        .post("/v1/contacts/search", &json!({"query": "' OR 1=1 --"}))
        .await;
    assert_eq!(emails(&body_json(search).await), Vec::<String>::new());
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 2);
}

#[tokio::test]
async fn line_breaks_in_single_line_fields_are_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let cases = [
        (
            "firstName",
            "Ada\r\nBcc: victim@example.com",
            "CR/LF header injection",
        ),
        ("firstName", "Ada\nLovelace", "bare LF"),
        ("firstName", "Ada\rLovelace", "bare CR"),
        ("lastName", "Love\r\nlace", "CR/LF in the last name"),
        ("company", "Acme\u{0}Corp", "NUL byte"),
        ("jobTitle", "CEO\u{7}", "bell control character"),
    ];
    for (field, value, reason) in cases {
        let mut request = json!({"email": "ada@example.com"});
        request[field] = json!(value);
        let response = app.post("/v1/contacts", &request).await;
        let body = assert_error(response, 400, "VALIDATION_ERROR").await;
        assert_eq!(body["error"]["details"]["field"], field, "{reason}: {body}");
    }
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 0);
    assert_eq!(
        count_rows(&app, "SELECT COUNT(*) FROM contact_tags").await,
        0
    );
    assert_eq!(
        count_rows(&app, "SELECT contact_count FROM workspaces").await,
        0
    );
}

#[tokio::test]
async fn line_breaks_in_emails_group_names_and_tags_are_refused() {
    let app = spawn_app().await;
    let contact = app
        .create_contact(json!({"email": "ada@example.com", "tags": ["vip"]}))
        .await;
    let id = contact["id"].as_str().unwrap();
    let cases = [
        (
            Method::POST,
            "/v1/contacts".to_owned(),
            json!({"email": "eve@example.com\r\nBcc: victim@example.com"}),
            "email",
        ),
        (
            Method::POST,
            "/v1/groups".to_owned(),
            json!({"name": "Leads\r\nInjected"}),
            "name",
        ),
        (
            Method::POST,
            format!("/v1/contacts/{id}/tags"),
            json!({"tags": ["ok", "bad\ntag"]}),
            "tags",
        ),
        (
            Method::PUT,
            format!("/v1/contacts/{id}"),
            json!({"tags": ["bad\rtag"]}),
            "tags",
        ),
    ];
    for (method, path, request, field) in cases {
        let response = app.send_json(method.clone(), &path, &request).await;
        let body = assert_error(response, 400, "VALIDATION_ERROR").await;
        assert_eq!(
            body["error"]["details"]["field"], field,
            "{method} {path}: {body}"
        );
    }
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 1);
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM groups").await, 0);
    assert_eq!(
        count_rows(&app, "SELECT COUNT(*) FROM contact_tags WHERE tag = 'vip'").await,
        1
    );
    assert_eq!(
        count_rows(&app, "SELECT COUNT(*) FROM contact_tags").await,
        1
    );
}

#[tokio::test]
async fn a_line_break_in_an_update_is_refused_and_the_contact_is_unchanged() {
    let app = spawn_app().await;
    let contact = app
        .create_contact(json!({"email": "ada@example.com", "firstName": "Ada"}))
        .await;
    let path = format!("/v1/contacts/{}", contact["id"].as_str().unwrap());
    let response = app
        .send_json(
            Method::PUT,
            &path,
            &json!({"firstName": "Ada\r\nBcc: victim@example.com", "company": "Acme"}),
        )
        .await;
    let body = assert_error(response, 400, "VALIDATION_ERROR").await;
    assert_eq!(body["error"]["details"]["field"], "firstName", "{body}");
    let after = body_json(app.get(&path).await).await["data"].clone();
    assert_eq!(after, contact, "a refused update must change nothing");
    assert_eq!(
        count_rows(
            &app,
            "SELECT COUNT(*) FROM contacts WHERE first_name = 'Ada' AND company IS NULL"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_duplicate_email_is_409_conflict_in_the_envelope() {
    let app = spawn_app().await;
    app.create_contact(json!({"email": "ada@example.com"}))
        .await;
    let response = app
        .post("/v1/contacts", &json!({"email": "ADA@example.com"}))
        .await;
    let body = assert_error(response, 409, "CONFLICT").await;
    assert_eq!(body["error"]["message"], "Email already exists");
    assert_eq!(count_rows(&app, "SELECT COUNT(*) FROM contacts").await, 1);
}

#[tokio::test]
async fn every_error_answer_uses_the_error_envelope() {
    let app = spawn_app_with(|config| config.max_body_bytes = 2048).await;
    app.create_contact(json!({"email": "ada@example.com"}))
        .await;
    let url = |path: &str| format!("{}{path}", app.address);
    let key = app.api_key.clone();
    let client = &app.client;
    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        (
            "malformed JSON",
            client
                .post(url("/v1/contacts"))
                .bearer_auth(&key)
                .header("content-type", "application/json")
                .body("{"),
            400,
            "VALIDATION_ERROR",
        ),
        (
            "bad query parameter",
            client.get(url("/v1/contacts?page=zero")).bearer_auth(&key),
            400,
            "VALIDATION_ERROR",
        ),
        (
            "no key",
            client.get(url("/v1/contacts")),
            401,
            "UNAUTHORIZED",
        ),
        (
            "unknown id",
            client
                .get(url("/v1/groups/grp_AAAAAAAAAAAAAAAAAAAA"))
                .bearer_auth(&key),
            404,
            "NOT_FOUND",
        ),
        (
            "unknown route",
            client.get(url("/v1/unknown")).bearer_auth(&key),
            404,
            "NOT_FOUND",
        ),
        (
            "unknown route outside /v1",
            client.get(url("/unknown")),
            404,
            "NOT_FOUND",
        ),
        (
            "unsupported method",
            client.delete(url("/v1/contacts")).bearer_auth(&key),
            405,
            "METHOD_NOT_ALLOWED",
        ),
        (
            "duplicate",
            client
                .post(url("/v1/contacts"))
                .bearer_auth(&key)
                .json(&json!({"email": "ada@example.com"})),
            409,
            "CONFLICT",
        ),
        (
            "oversized body",
            client
                .post(url("/v1/contacts"))
                .bearer_auth(&key)
                .json(&json!({"email": "x@example.com", "company": "y".repeat(4096)})),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
        (
            "panic",
            client.get(url("/v1/_test/panic")).bearer_auth(&key),
            500,
            "INTERNAL_ERROR",
        ),
    ];
    for (reason, request, status, code) in cases {
        let response = request.send().await.expect("request sent");
        let body = assert_error(response, status, code).await;
        let error = body["error"].as_object().unwrap();
        assert!(
            error
                .keys()
                .all(|k| ["code", "message", "details"].contains(&k.as_str())),
            "{reason}: unexpected keys in {body}"
        );
        let top: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert_eq!(top.len(), 2, "{reason}: only success and error: {body}");
    }
}
