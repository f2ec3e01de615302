//! CSV import (`POST /v1/contacts/import`) and export (`GET /v1/contacts/export`), and the round
//! trip of awkward values through both.

use crate::helpers::{assert_error, body_json, count_rows, spawn_app, TestApp};
use fluenzr::domain::workspace::Plan;
use reqwest::{Method, Response};
use serde_json::{json, Map, Value};

const IMPORT: &str = "/v1/contacts/import";
const EXPORT: &str = "/v1/contacts/export";

async fn import_as(app: &TestApp, key: &str, query: &str, csv: impl Into<String>) -> Response {
    app.request_as(key, Method::POST, &format!("{IMPORT}{query}"))
        .header("content-type", "text/csv")
        .body(csv.into())
        .send()
        .await
        .expect("request sent")
}

async fn import(app: &TestApp, query: &str, csv: impl Into<String>) -> Response {
    import_as(app, &app.api_key, query, csv).await
}

/// Imports and returns the result (`data`) of a successful import.
async fn import_ok(app: &TestApp, query: &str, csv: impl Into<String>) -> Value {
    let response = import(app, query, csv).await;
    let status = response.status();
    let body = body_json(response).await;
    assert_eq!(status, 200, "import{query}: {body}");
    assert_eq!(body["success"], true, "{body}");
    body["data"].clone()
}

/// Exports with a key and returns the raw CSV text after checking the response headers.
async fn export_as(app: &TestApp, key: &str, query: &str) -> String {
    let response = app
        .request_as(key, Method::GET, &format!("{EXPORT}{query}"))
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), 200, "export {query}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    response.text().await.expect("body")
}

async fn export(app: &TestApp, query: &str) -> String {
    export_as(app, &app.api_key, query).await
}

/// Parses CSV text into rows of cells (header included).
fn parse(text: &str) -> Vec<Vec<String>> {
    ::csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|record| {
            record
                .expect("valid CSV")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// Parses an export into (header, rows as column → value maps).
fn parse_export(text: &str) -> (Vec<String>, Vec<Map<String, Value>>) {
    let mut rows = parse(text);
    assert!(!rows.is_empty(), "an export always has a header row");
    let header = rows.remove(0);
    let maps = rows
        .into_iter()
        .map(|row| {
            assert_eq!(row.len(), header.len(), "every row has every column");
            header
                .iter()
                .cloned()
                .zip(row.into_iter().map(Value::String))
                .collect()
        })
        .collect();
    (header, maps)
}

async fn contacts_by_email(app: &TestApp, key: &str) -> Vec<Value> {
    let response = app
        .request_as(
            key,
            Method::GET,
            "/v1/contacts?sort=email&order=asc&perPage=100",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    body_json(response).await["data"]
        .as_array()
        .unwrap()
        .clone()
}

async fn contact_by_email(app: &TestApp, email: &str) -> Value {
    let response = app.get(&format!("/v1/contacts?email={email}")).await;
    assert_eq!(response.status(), 200);
    let body = body_json(response).await;
    assert_eq!(body["meta"]["total"], 1, "exactly one contact for {email}");
    body["data"][0].clone()
}

fn error_indexes(result: &Value) -> Vec<u64> {
    result["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|error| error["index"].as_u64().unwrap())
        .collect()
}

const STANDARD_HEADER: [&str; 16] = [
    "id",
    "email",
    "firstName",
    "lastName",
    "company",
    "jobTitle",
    "phone",
    "website",
    "status",
    "tags",
    "groups",
    "pipelineStage",
    "trackingOptOut",
    "consentSource",
    "createdAt",
    "updatedAt",
];

// ---------- Import ----------

#[tokio::test]
async fn import_maps_header_names_and_turns_unknown_columns_into_custom_fields() {
    let app = spawn_app().await;
    let csv = "Email,First Name,Last Name,Company,Job Title,Phone,Website,Status,Tags,Tracking Opt Out,Consent Source,Lead Source,Plan\r\n\
               ada@example.com,Ada,Lovelace,\"Analytical Engines, Ltd\",Countess,+44 20 7946 0000,https://ada.example,replied,vip; eu,true,webinar,Web form,gold\r\n\
               alan@example.com,Alan,,,,,,,,,,,\r\n";
    let result = import_ok(&app, "", csv).await;
    assert_eq!(
        result,
        json!({"created": 2, "updated": 0, "skipped": 0, "errors": [], "errorCount": 0})
    );
    let ada = contact_by_email(&app, "ada@example.com").await;
    assert_eq!(ada["firstName"], "Ada");
    assert_eq!(ada["lastName"], "Lovelace");
    assert_eq!(ada["company"], "Analytical Engines, Ltd");
    assert_eq!(ada["jobTitle"], "Countess");
    assert_eq!(ada["phone"], "+44 20 7946 0000");
    assert_eq!(ada["website"], "https://ada.example");
    assert_eq!(ada["status"], "replied");
    assert_eq!(ada["tags"], json!(["eu", "vip"]));
    assert_eq!(ada["trackingOptOut"], true);
    assert_eq!(ada["consentSource"], "webinar");
    assert_eq!(
        ada["customFields"],
        json!({"Lead Source": "Web form", "Plan": "gold"})
    );
    let alan = contact_by_email(&app, "alan@example.com").await;
    assert_eq!(alan["lastName"], Value::Null, "an empty cell sets nothing");
    assert_eq!(alan["status"], "active");
    assert_eq!(alan["customFields"], json!({}));
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 2);
}

#[tokio::test]
async fn a_bad_row_is_reported_by_its_data_row_index_and_never_stops_the_others() {
    let app = spawn_app().await;
    let csv = "email,firstName,status\n\
               one@example.com,One,\n\
               not-an-email,Bad,\n\
               two@example.com,Two,\n\
               three@example.com,Three,sleeping\n\
               four@example.com,Four,,extra cell\n\
               ,Nobody,\n\
               five@example.com,\"Multi\nline\",\n\
               six@example.com,Six,active\n";
    let result = import_ok(&app, "", csv).await;
    assert_eq!(result["created"], 3, "{result}");
    assert_eq!(error_indexes(&result), vec![1, 3, 4, 5, 6], "{result}");
    assert_eq!(result["errorCount"], 5);
    let errors = result["errors"].as_array().unwrap();
    assert_eq!(errors[0]["email"], "not-an-email");
    for error in errors {
        assert_eq!(error["code"], "VALIDATION_ERROR", "{error}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 3);
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) FROM contacts WHERE email IN ('one@example.com', 'two@example.com', 'six@example.com')"
        )
        .await,
        3
    );
}

#[tokio::test]
async fn duplicates_are_skipped_by_default_and_updated_on_request() {
    let app = spawn_app().await;
    app.create_contact(json!({"email": "ada@example.com", "firstName": "Old", "company": "Keep"}))
        .await;
    let csv = "email,firstName,plan\n\
               ADA@example.com,New,gold\n\
               bob@example.com,Bob,silver\n\
               Bob@Example.com,Robert,bronze\n";
    let skipped = import_ok(&app, "", csv).await;
    assert_eq!(
        (
            &skipped["created"],
            &skipped["updated"],
            &skipped["skipped"]
        ),
        (&json!(1), &json!(0), &json!(2)),
        "{skipped}"
    );
    let ada = contact_by_email(&app, "ada@example.com").await;
    assert_eq!(ada["firstName"], "Old");
    assert_eq!(ada["customFields"], json!({}));
    assert_eq!(
        contact_by_email(&app, "bob@example.com").await["firstName"],
        "Bob"
    );

    let updated = import_ok(&app, "?onDuplicate=update", csv).await;
    assert_eq!(
        (
            &updated["created"],
            &updated["updated"],
            &updated["skipped"]
        ),
        (&json!(0), &json!(3), &json!(0)),
        "{updated}"
    );
    let ada = contact_by_email(&app, "ada@example.com").await;
    assert_eq!(ada["firstName"], "New");
    assert_eq!(ada["company"], "Keep", "a column the file lacks is kept");
    assert_eq!(ada["customFields"], json!({"plan": "gold"}));
    let bob = contact_by_email(&app, "bob@example.com").await;
    assert_eq!(bob["firstName"], "Robert", "the last row of the file wins");
    assert_eq!(bob["email"], "bob@example.com");
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 2);

    let explicit_skip = import_ok(&app, "?onDuplicate=skip", csv).await;
    assert_eq!(explicit_skip["skipped"], 3);
}

#[tokio::test]
async fn imported_contacts_join_the_groups_given_in_the_query() {
    let app = spawn_app().await;
    let leads = app.create_group("Leads").await;
    let partners = app.create_group("Partners").await;
    let (leads_id, partners_id) = (
        leads["id"].as_str().unwrap(),
        partners["id"].as_str().unwrap(),
    );
    let csv = "email\na@example.com\nb@example.com\nbroken\n";
    let result = import_ok(&app, &format!("?groupIds={leads_id},{partners_id}"), csv).await;
    assert_eq!(result["created"], 2, "{result}");
    for group in [leads_id, partners_id] {
        let fetched = body_json(app.get(&format!("/v1/groups/{group}")).await).await;
        assert_eq!(fetched["data"]["contactCount"], 2);
    }
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM group_members").await,
        4
    );

    let unknown = import(
        &app,
        "?groupIds=grp_AAAAAAAAAAAAAAAAAAAA",
        "email\nc@example.com\n",
    )
    .await;
    let body = assert_error(unknown, 404, "NOT_FOUND").await;
    assert_eq!(body["error"]["details"]["field"], "groupIds");
    let malformed = import(&app, "?groupIds=Leads", "email\nc@example.com\n").await;
    assert_error(malformed, 400, "VALIDATION_ERROR").await;
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 2);
}

#[tokio::test]
async fn a_body_that_is_not_csv_is_refused() {
    let app = spawn_app().await;
    let csv = "email\na@example.com\n";
    for content_type in [Some("application/json"), Some("text/plain"), None] {
        let mut request = app.request(Method::POST, IMPORT).body(csv);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        let body = assert_error(response, 400, "VALIDATION_ERROR").await;
        assert_eq!(
            body["error"]["details"]["field"], "Content-Type",
            "{content_type:?}"
        );
    }
    let charset = app
        .request(Method::POST, IMPORT)
        .header("content-type", "text/csv; charset=utf-8")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(charset.status(), 200);
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 1);
}

#[tokio::test]
async fn a_csv_without_an_email_column_or_with_bad_parameters_is_refused() {
    let app = spawn_app().await;
    let cases = [
        ("", "name,company\nAda,Acme\n", "no email column"),
        ("", "", "empty body"),
        (
            "?onDuplicate=merge",
            "email\na@example.com\n",
            "unknown duplicate mode",
        ),
        (
            "?groups=x",
            "email\na@example.com\n",
            "unknown query parameter",
        ),
    ];
    for (query, csv, reason) in cases {
        let response = import(&app, query, csv).await;
        assert_eq!(response.status(), 400, "{reason}");
        assert_error(response, 400, "VALIDATION_ERROR").await;
    }
    assert_eq!(count_rows(&app, "SELECT count(*) FROM contacts").await, 0);
}

#[tokio::test]
async fn a_20000_row_import_creates_every_good_row() {
    let app = spawn_app().await;
    let mut csv = String::from("email,firstName,company,score\n");
    for i in 0..20_000 {
        if i % 5000 == 4999 {
            csv.push_str(&format!("bad-{i},Bad,Broken,{i}\n"));
        } else {
            csv.push_str(&format!(
                "user{i}@example.com,First{i},\"Company, {}\",{i}\n",
                i % 50
            ));
        }
    }
    let result = import_ok(&app, "", csv.clone()).await;
    assert_eq!(result["created"], 19_996, "{}", result["errors"]);
    assert_eq!(result["errorCount"], 4);
    assert_eq!(error_indexes(&result), vec![4999, 9999, 14_999, 19_999]);
    assert_eq!(result["errors"][1]["email"], "bad-9999");
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM contacts").await,
        19_996
    );
    assert_eq!(
        count_rows(&app, "SELECT contact_count FROM workspaces").await,
        19_996
    );
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) FROM contacts WHERE email = 'user12345@example.com'
             AND first_name = 'First12345' AND company = 'Company, 45'
             AND json_extract(custom_fields, '$.score') = '12345'"
        )
        .await,
        1
    );
    let listed = body_json(app.get("/v1/contacts?perPage=1").await).await;
    assert_eq!(listed["meta"]["total"], 19_996);
    let filtered = body_json(app.get("/v1/contacts?company=company,%2045").await).await;
    assert_eq!(filtered["meta"]["total"], 400);

    // The export streams every row back.
    let exported = export(&app, "").await;
    assert_eq!(parse(&exported).len(), 19_997);

    // Importing the same file again only skips.
    let again = import_ok(&app, "", csv).await;
    assert_eq!(again["created"], 0);
    assert_eq!(again["skipped"], 19_996);
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM contacts").await,
        19_996
    );
}

// ---------- Export ----------

#[tokio::test]
async fn the_export_has_a_header_row_crlf_line_ends_and_one_row_per_contact() {
    let app = spawn_app().await;
    let leads = app.create_group("Leads").await;
    app.create_contact(json!({
        "email": "ada@example.com", "firstName": "Ada", "tags": ["vip", "eu"],
        "groupIds": [leads["id"]], "customFields": {"plan": "gold", "seats": 12}
    }))
    .await;
    app.create_contact(json!({"email": "bob@example.com", "status": "bounced"}))
        .await;
    let response = app.get(EXPORT).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let text = export(&app, "?sort=email&order=asc").await;
    assert!(text.ends_with("\r\n"));
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "every line ends with CRLF"
    );
    let lines: Vec<&str> = text.trim_end_matches("\r\n").split("\r\n").collect();
    assert_eq!(lines.len(), 3);
    let mut expected_header = STANDARD_HEADER.join(",");
    expected_header.push_str(",plan,seats");
    assert_eq!(lines[0], expected_header);
    let (_, rows) = parse_export(&text);
    assert_eq!(rows[0]["email"], "ada@example.com");
    assert_eq!(rows[0]["firstName"], "Ada");
    assert_eq!(rows[0]["tags"], "eu;vip");
    assert_eq!(rows[0]["groups"], "Leads");
    assert_eq!(rows[0]["status"], "active");
    assert_eq!(rows[0]["trackingOptOut"], "false");
    assert_eq!(rows[0]["plan"], "gold");
    assert_eq!(rows[0]["seats"], "12");
    assert!(rows[0]["id"].as_str().unwrap().starts_with("con_"));
    assert_eq!(rows[1]["email"], "bob@example.com");
    assert_eq!(rows[1]["status"], "bounced");
    assert_eq!(rows[1]["plan"], "");
}

#[tokio::test]
async fn an_empty_export_is_just_the_header() {
    let app = spawn_app().await;
    let text = export(&app, "").await;
    assert_eq!(text, format!("{}\r\n", STANDARD_HEADER.join(",")));
}

#[tokio::test]
async fn cells_with_commas_quotes_and_line_breaks_are_quoted() {
    let app = spawn_app().await;
    app.create_contact(json!({
        "email": "ada@example.com",
        "company": "Acme, Inc.",
        "lastName": "O\"Neil",
        "customFields": {"notes": "line one\nline two", "both": "a, \"b\"\r\nc"}
    }))
    .await;
    let text = export(&app, "").await;
    for quoted in [
        "\"Acme, Inc.\"",
        "\"O\"\"Neil\"",
        "\"line one\nline two\"",
        "\"a, \"\"b\"\"\r\nc\"",
    ] {
        assert!(text.contains(quoted), "{quoted:?} in {text:?}");
    }
    let (_, rows) = parse_export(&text);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["company"], "Acme, Inc.");
    assert_eq!(rows[0]["lastName"], "O\"Neil");
    assert_eq!(rows[0]["notes"], "line one\nline two");
    assert_eq!(rows[0]["both"], "a, \"b\"\r\nc");
}

#[tokio::test]
async fn formula_cells_are_exported_with_a_leading_quote() {
    let app = spawn_app().await;
    app.create_contact(json!({
        "email": "ada@example.com",
        "firstName": "=1+1",
        "phone": "+33 1 23 45 67 89",
        "company": "@x",
        "lastName": "Plain",
        "customFields": {"neg": "-5", "num": -5, "tab": "\tcmd", "safe": "5-"}
    }))
    .await;
    let text = export(&app, "").await;
    let (_, rows) = parse_export(&text);
    let row = &rows[0];
    assert_eq!(row["firstName"], "'=1+1");
    assert_eq!(row["phone"], "'+33 1 23 45 67 89");
    assert_eq!(row["company"], "'@x");
    assert_eq!(row["neg"], "'-5");
    assert_eq!(row["num"], "'-5");
    assert_eq!(row["tab"], "'\tcmd");
    assert_eq!(row["lastName"], "Plain");
    assert_eq!(row["safe"], "5-");
    for line in text.split("\r\n") {
        for cell in line.split(',') {
            assert!(
                !cell
                    .trim_start_matches('"')
                    .starts_with(['=', '+', '-', '@', '\t']),
                "unneutralised cell {cell:?}"
            );
        }
    }
}

#[tokio::test]
async fn the_export_applies_the_list_filters() {
    let app = spawn_app().await;
    let leads = app.create_group("Leads").await;
    let rows = json!([
        {"email": "ada@acme.com", "company": "Acme", "tags": ["vip"], "groupIds": [leads["id"]]},
        {"email": "bob@acme.com", "company": "Acme", "status": "unsubscribed"},
        {"email": "cy@other.org", "tags": ["vip"], "customFields": {"only": "cy"}}
    ]);
    let response = app
        .post("/v1/contacts/bulk", &json!({"contacts": rows}))
        .await;
    assert_eq!(response.status(), 200);
    let cases = [
        ("?status=unsubscribed", vec!["bob@acme.com"]),
        (
            "?tag=vip&sort=email&order=asc",
            vec!["ada@acme.com", "cy@other.org"],
        ),
        ("?group=Leads", vec!["ada@acme.com"]),
        (
            "?company=acme&sort=email&order=desc",
            vec!["bob@acme.com", "ada@acme.com"],
        ),
        ("?email=OTHER", vec!["cy@other.org"]),
        ("?q=nobody", vec![]),
    ];
    for (query, expected) in cases {
        let (header, rows) = parse_export(&export(&app, query).await);
        let emails: Vec<&str> = rows.iter().map(|r| r["email"].as_str().unwrap()).collect();
        assert_eq!(emails, expected, "{query}");
        // Custom field columns are those of the exported contacts only.
        assert_eq!(
            header.contains(&"only".to_owned()),
            expected.contains(&"cy@other.org"),
            "{query}"
        );
    }
    for query in ["?page=2", "?status=sleeping", "?createdAfter=soon"] {
        let response = app.get(&format!("{EXPORT}{query}")).await;
        assert_error(response, 400, "VALIDATION_ERROR").await;
    }
}

// ---------- Round trip ----------

/// Custom field values as an import gives them back: every scalar as its text.
fn as_text(fields: &Value) -> Value {
    Value::Object(
        fields
            .as_object()
            .unwrap()
            .iter()
            .map(|(key, value)| {
                let text = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (key.clone(), Value::String(text))
            })
            .collect(),
    )
}

/// Drops the columns that differ by nature between two workspaces.
fn comparable(text: &str) -> Vec<Vec<String>> {
    let rows = parse(text);
    let header = rows[0].clone();
    let keep: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, name)| !matches!(name.as_str(), "id" | "createdAt" | "updatedAt"))
        .map(|(index, _)| index)
        .collect();
    rows.iter()
        .map(|row| keep.iter().map(|&i| row[i].clone()).collect())
        .collect()
}

#[tokio::test]
async fn an_export_imported_into_another_workspace_exports_the_same() {
    let app = spawn_app().await;
    let awkward = json!([
        {
            "email": "ada@example.com",
            "firstName": "Ada",
            "lastName": "O\"Neil, Jr.",
            "company": "Acme, Inc.",
            "jobTitle": "=HYPERLINK(\"http://x.example\")",
            "phone": "+33 1 23 45 67 89",
            "website": "https://example.com/?a=1,b=2",
            "status": "unsubscribed",
            "tags": ["vip", "eu", "a,b"],
            "trackingOptOut": true,
            "consentSource": "form, page \"2\"",
            "customFields": {
                "notes": "line one\nline two, with \"quotes\"",
                "crlf": "a\r\nb",
                "score": 42,
                "ratio": 1.5,
                "active": true,
                "formula": "=1+1",
                "minus": "-5",
                "at": "@SUM(A1)",
                "tab": "\tindented",
                "quoted": "'=already quoted",
                "apostrophe": "'plain",
                "unicode": "Zoë – 東京 🚀",
                "email": "a custom field named like a column",
                "First Name": "another column look-alike",
                "title": "job title look-alike",
                "custom.note": "a key with the column prefix",
                "Lead Source": "  padded  "
            }
        },
        {
            "email": "-dash@example.com",
            "firstName": "@handle",
            "lastName": "Ünïcödé",
            "company": "-minus corp",
            "customFields": {"score": -7, "active": false}
        },
        {
            "email": "=eq@example.com",
            "firstName": "Zoë",
            "status": "bounced",
            "customFields": {"notes": "\"fully quoted\""}
        },
        {"email": "plain@example.com"},
        {"email": "élodie@exemple.fr", "company": "Société Générale", "tags": ["ünï"]}
    ]);
    let created = body_json(
        app.post("/v1/contacts/bulk", &json!({"contacts": awkward}))
            .await,
    )
    .await;
    assert_eq!(created["data"]["created"], 5, "{created}");

    let first = export(&app, "?sort=email&order=asc").await;
    let (_, other_key) = app.create_workspace(Plan::Pro).await;
    let response = import_as(&app, &other_key, "", first.clone()).await;
    assert_eq!(response.status(), 200);
    let result = body_json(response).await;
    assert_eq!(
        result["data"],
        json!({"created": 5, "updated": 0, "skipped": 0, "errors": [], "errorCount": 0})
    );
    let second = export_as(&app, &other_key, "?sort=email&order=asc").await;

    let (a, b) = (comparable(&first), comparable(&second));
    assert_eq!(a.len(), 6);
    assert_eq!(a[0], b[0], "same columns");
    for (row_a, row_b) in a.iter().zip(&b).skip(1) {
        assert_eq!(row_a, row_b);
    }
    assert_eq!(a, b);

    // Field by field, the contacts are the same, custom values having become text.
    let originals = contacts_by_email(&app, &app.api_key).await;
    let copies = contacts_by_email(&app, &other_key).await;
    assert_eq!(originals.len(), copies.len());
    for (original, copy) in originals.iter().zip(&copies) {
        for field in [
            "email",
            "firstName",
            "lastName",
            "company",
            "jobTitle",
            "phone",
            "website",
            "status",
            "tags",
            "trackingOptOut",
            "consentSource",
        ] {
            assert_eq!(
                original[field], copy[field],
                "{field} of {}",
                original["email"]
            );
        }
        assert_eq!(
            as_text(&original["customFields"]),
            copy["customFields"],
            "custom fields of {}",
            original["email"]
        );
        assert_ne!(original["id"], copy["id"]);
    }
}
