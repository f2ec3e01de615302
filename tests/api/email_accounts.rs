//! /v1/email-accounts: CRUD, validation, write-only passwords sealed at rest, partial updates,
//! workspace isolation, the delete guard, and the connection test against real peers on
//! loopback: the SMTP sink of the test support code and a small scripted IMAP server.

use crate::helpers::{assert_error, body_json, count_rows, spawn_app, TestApp};
use crate::smtp_sink::{SinkConfig, SmtpSink};
use fluenzr::config::Secret;
use fluenzr::db::email_accounts::load_for_sending;
use fluenzr::domain::email_account::{Encryption, ImapSettings, SmtpSettings};
use fluenzr::domain::workspace::Plan;
use fluenzr::secret::SecretBox;
use fluenzr::sender::smtp::{self, Step};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const USER: &str = "ada@example.com";
/// Lines in the body of each message of the throughput test.
const BODY_LINES: usize = 30;
const PASSWORD: &str = "correct horse battery staple";

/// The `data` of a successful JSON answer, after checking its status.
async fn data(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let body = body_json(response).await;
    assert_eq!(body["success"], true, "{body}");
    body["data"].clone()
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

async fn create(app: &TestApp, body: Value) -> Value {
    data(app.post("/v1/email-accounts", &body).await, 201).await
}

async fn put(app: &TestApp, account: &Value, body: Value) -> Value {
    let path = format!("/v1/email-accounts/{}", id(account));
    data(app.send_json(Method::PUT, &path, &body).await, 200).await
}

async fn run_test(app: &TestApp, account: &Value) -> Value {
    let path = format!("/v1/email-accounts/{}/test", id(account));
    data(
        app.request(Method::POST, &path).send().await.expect("sent"),
        200,
    )
    .await
}

async fn fetch(app: &TestApp, account: &Value) -> Value {
    data(
        app.get(&format!("/v1/email-accounts/{}", id(account)))
            .await,
        200,
    )
    .await
}

/// The stored (sealed) password columns of an account.
async fn stored_passwords(app: &TestApp, account: &Value) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let account_id = id(account);
    app.database
        .read(move |conn| {
            Ok(conn.query_row(
                "SELECT smtp_password, imap_password FROM email_accounts WHERE id = ?1",
                [account_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?)
        })
        .await
        .expect("row read")
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// The real SMTP sink of the test support code, requiring AUTH with `USER`/`PASSWORD`.
async fn sink_with_auth(starttls: bool) -> SmtpSink {
    SmtpSink::start(SinkConfig {
        auth: Some((USER.to_owned(), PASSWORD.to_owned())),
        starttls,
        ..SinkConfig::default()
    })
    .await
}

/// A scripted IMAP server on loopback (plaintext): greeting, LOGIN for one user, LOGOUT.
async fn imap_peer() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write
                    .write_all(b"* OK [CAPABILITY IMAP4rev1] peer ready\r\n")
                    .await;
                let expected = format!("LOGIN \"{USER}\" \"{PASSWORD}\"");
                while let Ok(Some(line)) = lines.next_line().await {
                    let (tag, command) = line.split_once(' ').unwrap_or((line.as_str(), ""));
                    let reply = if command.to_ascii_uppercase().starts_with("LOGIN") {
                        if command == expected {
                            format!("{tag} OK LOGIN completed\r\n")
                        } else {
                            format!("{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
                        }
                    } else if command.eq_ignore_ascii_case("LOGOUT") {
                        let _ = write
                            .write_all(format!("* BYE\r\n{tag} OK LOGOUT completed\r\n").as_bytes())
                            .await;
                        break;
                    } else {
                        format!("{tag} BAD unknown command\r\n")
                    };
                    if write.write_all(reply.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

/// A loopback port nothing listens on.
async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("address").port()
}

fn full_account() -> Value {
    json!({
        "email": "ada@example.com",
        "displayName": "Ada Lovelace",
        "smtp": {"host": "smtp.example.com", "username": USER, "password": PASSWORD},
        "imap": {"host": "imap.example.com", "username": USER, "password": "imap-secret"},
        "dailyLimit": 200
    })
}

// ---------- CRUD ----------

#[tokio::test]
async fn an_email_account_is_created_read_listed_updated_and_deleted() {
    let app = spawn_app().await;
    let created = create(&app, full_account()).await;
    let account_id = id(&created);
    assert!(
        account_id.starts_with("acc_") && account_id.len() == 24,
        "{account_id}"
    );
    assert_eq!(created["email"], "ada@example.com");
    assert_eq!(created["displayName"], "Ada Lovelace");
    assert_eq!(
        created["smtp"],
        json!({"host": "smtp.example.com", "port": 587, "username": USER, "encryption": "tls", "hasPassword": true}),
        "smtp defaults to STARTTLS on 587"
    );
    assert_eq!(
        created["imap"],
        json!({"host": "imap.example.com", "port": 993, "username": USER, "encryption": "ssl", "hasPassword": true}),
        "imap defaults to implicit TLS on 993"
    );
    assert_eq!(created["dailyLimit"], 200);
    assert_eq!(created["status"], "active");
    assert_eq!(created["lastError"], Value::Null);
    assert_eq!(created["createdAt"], created["updatedAt"]);
    assert_eq!(fetch(&app, &created).await, created);

    let listed = body_json(app.get("/v1/email-accounts").await).await;
    assert_eq!(listed["data"], json!([created.clone()]));
    assert_eq!(listed["meta"]["total"], 1);

    let updated = put(
        &app,
        &created,
        json!({"displayName": "Ada L.", "dailyLimit": 50}),
    )
    .await;
    assert_eq!(updated["displayName"], "Ada L.");
    assert_eq!(updated["dailyLimit"], 50);
    assert_eq!(updated["smtp"], created["smtp"], "smtp untouched");
    assert_eq!(fetch(&app, &created).await, updated);

    let path = format!("/v1/email-accounts/{account_id}");
    let deleted = data(
        app.request(Method::DELETE, &path).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(deleted, json!({"id": account_id, "deleted": true}));
    assert_error(app.get(&path).await, 404, "NOT_FOUND").await;
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM email_accounts").await,
        0
    );
}

#[tokio::test]
async fn defaults_follow_the_encryption_and_a_sandbox_needs_no_port() {
    let app = spawn_app().await;
    let ssl = create(
        &app,
        json!({"email": "a@example.com", "smtp": {"host": "smtp.example.com", "encryption": "ssl"}, "imap": {"host": "imap.example.com", "encryption": "tls"}}),
    )
    .await;
    assert_eq!(ssl["smtp"]["port"], 465);
    assert_eq!(ssl["smtp"]["username"], Value::Null);
    assert_eq!(ssl["smtp"]["hasPassword"], false);
    assert_eq!(ssl["imap"]["port"], 143);
    assert_eq!(ssl["dailyLimit"], 500, "default daily limit");
    let plain = create(
        &app,
        json!({"email": "b@example.com", "smtp": {"host": "relay.local", "encryption": "none"}}),
    )
    .await;
    assert_eq!(plain["smtp"]["port"], 25);
    assert_eq!(plain["imap"], Value::Null);
    let sandbox = create(
        &app,
        json!({"email": "c@example.com", "smtp": {"host": "SANDBOX"}}),
    )
    .await;
    assert_eq!(sandbox["smtp"]["port"], 0);
    assert_eq!(sandbox["smtp"]["encryption"], "none");
}

#[tokio::test]
async fn the_list_filters_sorts_and_paginates() {
    let app = spawn_app().await;
    for email in ["carol@example.com", "alice@example.org", "bob@example.com"] {
        create(&app, json!({"email": email, "smtp": {"host": "sandbox"}})).await;
    }
    let emails = |body: &Value| -> Vec<String> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["email"].as_str().unwrap().to_owned())
            .collect()
    };
    let body = body_json(app.get("/v1/email-accounts?sort=email&order=asc").await).await;
    assert_eq!(
        emails(&body),
        ["alice@example.org", "bob@example.com", "carol@example.com"]
    );
    let body = body_json(app.get("/v1/email-accounts").await).await;
    assert_eq!(
        emails(&body),
        ["bob@example.com", "alice@example.org", "carol@example.com"],
        "newest first by default"
    );
    let body = body_json(
        app.get("/v1/email-accounts?email=EXAMPLE.COM&sort=email")
            .await,
    )
    .await;
    assert_eq!(emails(&body), ["carol@example.com", "bob@example.com"]);
    assert_eq!(body["meta"]["total"], 2);
    let body = body_json(
        app.get("/v1/email-accounts?perPage=2&page=2&sort=email&order=asc")
            .await,
    )
    .await;
    assert_eq!(emails(&body), ["carol@example.com"]);
    assert_eq!(
        body["meta"],
        json!({"page": 2, "perPage": 2, "total": 3, "totalPages": 2})
    );
    let body = body_json(app.get("/v1/email-accounts?status=error").await).await;
    assert_eq!(body["meta"]["total"], 0);
    for query in ["sort=name", "status=broken", "perPage=101", "colour=red"] {
        assert_error(
            app.get(&format!("/v1/email-accounts?{query}")).await,
            400,
            "VALIDATION_ERROR",
        )
        .await;
    }
}

// ---------- validation ----------

#[tokio::test]
async fn invalid_fields_are_refused_with_their_field_named_and_nothing_is_written() {
    let app = spawn_app().await;
    let smtp = json!({"host": "smtp.example.com"});
    let cases = [
        ("email is required", json!({"smtp": smtp}), "email"),
        (
            "email must be an address",
            json!({"email": "not-an-email", "smtp": smtp}),
            "email",
        ),
        (
            "header injection in the name",
            json!({"email": "a@example.com", "displayName": "Ada\r\nBcc: x@example.com", "smtp": smtp}),
            "displayName",
        ),
        (
            "name too long",
            json!({"email": "a@example.com", "displayName": "a".repeat(201), "smtp": smtp}),
            "displayName",
        ),
        (
            "smtp is required",
            json!({"email": "a@example.com"}),
            "smtp",
        ),
        (
            "smtp host is required",
            json!({"email": "a@example.com", "smtp": {"port": 587}}),
            "smtp.host",
        ),
        (
            "empty host",
            json!({"email": "a@example.com", "smtp": {"host": ""}}),
            "smtp.host",
        ),
        (
            "space in host",
            json!({"email": "a@example.com", "smtp": {"host": "smtp example.com"}}),
            "smtp.host",
        ),
        (
            "line break in host",
            json!({"email": "a@example.com", "smtp": {"host": "smtp\r\n.example.com"}}),
            "smtp.host",
        ),
        (
            "host too long",
            json!({"email": "a@example.com", "smtp": {"host": "a".repeat(254)}}),
            "smtp.host",
        ),
        (
            "port zero",
            json!({"email": "a@example.com", "smtp": {"host": "h.example.com", "port": 0}}),
            "smtp.port",
        ),
        (
            "port above 65535",
            json!({"email": "a@example.com", "smtp": {"host": "h.example.com", "port": 65536}}),
            "smtp.port",
        ),
        (
            "unknown encryption",
            json!({"email": "a@example.com", "smtp": {"host": "h.example.com", "encryption": "starttls"}}),
            "smtp.encryption",
        ),
        (
            "line break in user",
            json!({"email": "a@example.com", "smtp": {"host": "h.example.com", "username": "a\nb"}}),
            "smtp.username",
        ),
        (
            "line break in password",
            json!({"email": "a@example.com", "smtp": {"host": "h.example.com", "password": "a\r\nQUIT"}}),
            "smtp.password",
        ),
        (
            "imap host is required",
            json!({"email": "a@example.com", "smtp": smtp, "imap": {"port": 993}}),
            "imap.host",
        ),
        (
            "negative imap port",
            json!({"email": "a@example.com", "smtp": smtp, "imap": {"host": "i.example.com", "port": -1}}),
            "imap.port",
        ),
        (
            "daily limit zero",
            json!({"email": "a@example.com", "smtp": smtp, "dailyLimit": 0}),
            "dailyLimit",
        ),
        (
            "daily limit too high",
            json!({"email": "a@example.com", "smtp": smtp, "dailyLimit": 100_001}),
            "dailyLimit",
        ),
        (
            "unknown field",
            json!({"email": "a@example.com", "smtp": smtp, "password": "x"}),
            "password",
        ),
        (
            "unknown nested field",
            json!({"email": "a@example.com", "smtp": {"host": "h.example.com", "tls": true}}),
            "tls",
        ),
    ];
    for (reason, body, field) in cases {
        let error = assert_error(
            app.post("/v1/email-accounts", &body).await,
            400,
            "VALIDATION_ERROR",
        )
        .await;
        assert_eq!(
            error["error"]["details"]["field"], field,
            "{reason}: {error}"
        );
    }
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM email_accounts").await,
        0
    );

    let account = create(&app, json!({"email": "a@example.com", "smtp": smtp})).await;
    let path = format!("/v1/email-accounts/{}", id(&account));
    let updates = [
        (json!({"email": "nope"}), "email"),
        (json!({"smtp": {"port": 70000}}), "smtp.port"),
        (json!({"imap": {"username": "x"}}), "imap.host"),
        (json!({"dailyLimit": -5}), "dailyLimit"),
    ];
    for (body, field) in updates {
        let error = assert_error(
            app.send_json(Method::PUT, &path, &body).await,
            400,
            "VALIDATION_ERROR",
        )
        .await;
        assert_eq!(error["error"]["details"]["field"], field, "{body}: {error}");
    }
    assert_eq!(fetch(&app, &account).await, account, "nothing changed");
}

// ---------- passwords ----------

#[tokio::test]
async fn passwords_are_never_returned_and_are_stored_sealed() {
    let app = spawn_app().await;
    let response = app.post("/v1/email-accounts", &full_account()).await;
    let text = response.text().await.unwrap();
    assert!(
        !text.contains(PASSWORD) && !text.contains("imap-secret"),
        "{text}"
    );
    assert!(!text.contains("\"password\""), "{text}");
    let created: Value = serde_json::from_str(&text).unwrap();
    let account = created["data"].clone();
    for path in [
        format!("/v1/email-accounts/{}", id(&account)),
        "/v1/email-accounts".to_owned(),
    ] {
        let text = app.get(&path).await.text().await.unwrap();
        assert!(
            !text.contains(PASSWORD) && !text.contains("\"password\""),
            "{path}: {text}"
        );
        assert!(text.contains("\"hasPassword\":true"), "{path}: {text}");
    }
    let (smtp, imap) = stored_passwords(&app, &account).await;
    let (smtp, imap) = (smtp.expect("smtp sealed"), imap.expect("imap sealed"));
    assert!(!contains(&smtp, PASSWORD) && !contains(&imap, "imap-secret"));
    assert_eq!(smtp[0], 1, "version byte");

    // What the sender loads opens back to the plaintext with the configured key.
    let secrets = SecretBox::new(&Secret::new("test-secret".to_owned()));
    let account_id = id(&account);
    let sending = app
        .database
        .read(move |conn| {
            let seq: i64 = conn.query_row(
                "SELECT seq FROM email_accounts WHERE id = ?1",
                [account_id],
                |row| row.get(0),
            )?;
            load_for_sending(conn, seq, &secrets)
        })
        .await
        .expect("loaded")
        .expect("exists");
    assert_eq!(
        sending.smtp.password.as_ref().map(Secret::expose),
        Some(PASSWORD)
    );
    assert_eq!(sending.smtp.host, "smtp.example.com");
    assert_eq!(sending.daily_limit, 200);
    assert_eq!(sending.display_name.as_deref(), Some("Ada Lovelace"));
    assert!(!sending.is_sandbox());
    assert!(!format!("{sending:?}").contains(PASSWORD), "Debug redacts");

    // A sealed value moved to another account does not open there.
    let other = create(
        &app,
        json!({"email": "b@example.com", "smtp": {"host": "sandbox"}}),
    )
    .await;
    let other_id = id(&other);
    let moved = app
        .database
        .write(move |conn| {
            conn.execute(
                "UPDATE email_accounts SET smtp_password = ?1 WHERE id = ?2",
                rusqlite::params![smtp, other_id],
            )?;
            let seq: i64 = conn.query_row(
                "SELECT seq FROM email_accounts WHERE id = ?1",
                [other_id],
                |row| row.get(0),
            )?;
            Ok(load_for_sending(
                conn,
                seq,
                &SecretBox::new(&Secret::new("test-secret".to_owned())),
            )
            .is_err())
        })
        .await
        .unwrap();
    assert!(moved, "a password copied to another row must not open");
}

#[tokio::test]
async fn a_partial_update_merges_server_settings_field_by_field() {
    let app = spawn_app().await;
    let account = create(&app, full_account()).await;
    let (smtp_before, imap_before) = stored_passwords(&app, &account).await;

    let updated = put(&app, &account, json!({"smtp": {"port": 2525}})).await;
    assert_eq!(
        updated["smtp"],
        json!({"host": "smtp.example.com", "port": 2525, "username": USER, "encryption": "tls", "hasPassword": true})
    );
    assert_eq!(updated["imap"], account["imap"], "imap untouched");
    assert_eq!(
        stored_passwords(&app, &account).await,
        (smtp_before.clone(), imap_before),
        "omitted passwords are kept as stored"
    );

    let updated = put(&app, &account, json!({"smtp": {"encryption": "ssl"}})).await;
    assert_eq!(updated["smtp"]["port"], 2525, "a custom port stays");

    let updated = put(&app, &account, json!({"smtp": {"password": "new one"}})).await;
    assert_eq!(updated["smtp"]["hasPassword"], true);
    let (smtp_after, _) = stored_passwords(&app, &account).await;
    assert_ne!(smtp_after, smtp_before, "a new password is sealed anew");

    let updated = put(
        &app,
        &account,
        json!({"smtp": {"password": null, "username": null}}),
    )
    .await;
    assert_eq!(updated["smtp"]["hasPassword"], false);
    assert_eq!(updated["smtp"]["username"], Value::Null);
    assert_eq!(stored_passwords(&app, &account).await.0, None);

    let updated = put(&app, &account, json!({"imap": {"encryption": "tls"}})).await;
    assert_eq!(updated["imap"]["encryption"], "tls");
    assert_eq!(
        updated["imap"]["port"], 143,
        "a default port follows the encryption"
    );
    assert_eq!(updated["imap"]["hasPassword"], true);

    let updated = put(&app, &account, json!({"imap": null, "displayName": null})).await;
    assert_eq!(updated["imap"], Value::Null);
    assert_eq!(updated["displayName"], Value::Null);
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM email_accounts WHERE imap_host IS NULL AND imap_password IS NULL AND imap_port IS NULL").await,
        1
    );

    let updated = put(
        &app,
        &account,
        json!({"imap": {"host": "imap.example.net", "username": USER}}),
    )
    .await;
    assert_eq!(
        updated["imap"],
        json!({"host": "imap.example.net", "port": 993, "username": USER, "encryption": "ssl", "hasPassword": false}),
        "a removed IMAP comes back without its old password"
    );

    let unchanged = put(&app, &account, json!({})).await;
    assert_eq!(unchanged["smtp"], updated["smtp"]);
    assert_eq!(unchanged["imap"], updated["imap"]);
}

// ---------- workspaces ----------

#[tokio::test]
async fn another_workspace_gets_404_on_every_id_route_and_changes_nothing() {
    let app = spawn_app().await;
    let account = create(&app, full_account()).await;
    let (_, other_key) = app.create_workspace(Plan::Pro).await;
    let path = format!("/v1/email-accounts/{}", id(&account));
    let requests = [
        (Method::GET, path.clone(), None),
        (Method::PUT, path.clone(), Some(json!({"dailyLimit": 1}))),
        (Method::DELETE, path.clone(), None),
        (Method::POST, format!("{path}/test"), None),
    ];
    for (method, path, body) in requests {
        let mut request = app.request_as(&other_key, method.clone(), &path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        assert_error(response, 404, "NOT_FOUND").await;
    }
    let listed = body_json(
        app.request_as(&other_key, Method::GET, "/v1/email-accounts")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed["meta"]["total"], 0);
    assert_eq!(fetch(&app, &account).await, account);
    for path in [
        "/v1/email-accounts/acc_AAAAAAAAAAAAAAAAAAAA",
        "/v1/email-accounts/nonsense",
    ] {
        assert_error(app.get(path).await, 404, "NOT_FOUND").await;
    }
}

// ---------- delete guard ----------

async fn add_campaign(app: &TestApp, account: &Value, status: &'static str) {
    let account_id = id(account);
    app.database
        .write(move |conn| {
            conn.execute(
                "INSERT INTO campaigns (id, workspace_id, name, status, email_account_seq, settings, created_at, updated_at)
                 SELECT 'cmp_' || substr(hex(randomblob(10)), 1, 20), workspace_id, 'Launch', ?2, seq, '{}',
                        '2025-01-15T10:30:00Z', '2025-01-15T10:30:00Z'
                 FROM email_accounts WHERE id = ?1",
                rusqlite::params![account_id, status],
            )?;
            Ok(())
        })
        .await
        .expect("campaign inserted");
}

#[tokio::test]
async fn an_account_used_by_an_active_or_paused_campaign_cannot_be_deleted() {
    let app = spawn_app().await;
    let account = create(&app, full_account()).await;
    add_campaign(&app, &account, "active").await;
    add_campaign(&app, &account, "paused").await;
    add_campaign(&app, &account, "completed").await;
    let path = format!("/v1/email-accounts/{}", id(&account));
    let error = assert_error(
        app.request(Method::DELETE, &path).send().await.unwrap(),
        409,
        "CONFLICT",
    )
    .await;
    assert_eq!(error["error"]["details"]["campaigns"], 2, "{error}");
    assert!(
        error["error"]["message"].as_str().unwrap().contains('2'),
        "{error}"
    );
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM email_accounts").await,
        1
    );

    app.database
        .write(|conn| {
            conn.execute(
                "UPDATE campaigns SET status = 'archived' WHERE status IN ('active', 'paused')",
                [],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    data(
        app.request(Method::DELETE, &path).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM email_accounts").await,
        0
    );
    assert_eq!(
        count_rows(
            &app,
            "SELECT count(*) FROM campaigns WHERE email_account_seq IS NULL"
        )
        .await,
        3,
        "campaigns stay, without an account"
    );
}

// ---------- the connection test ----------

fn plain_account(port: u16, encryption: &str, password: &str) -> Value {
    json!({
        "email": "ada@example.com",
        "smtp": {"host": "127.0.0.1", "port": port, "encryption": encryption, "username": USER, "password": password}
    })
}

#[tokio::test]
async fn a_refused_connection_fails_at_the_connect_step_and_is_recorded() {
    let app = spawn_app().await;
    let account = create(&app, plain_account(closed_port().await, "none", PASSWORD)).await;
    let result = run_test(&app, &account).await;
    assert_eq!(result["ok"], false, "{result}");
    assert_eq!(result["smtp"]["ok"], false);
    assert_eq!(result["smtp"]["step"], "connect");
    assert!(
        result["smtp"]["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{result}"
    );
    assert_eq!(result["imap"], Value::Null);
    let stored = fetch(&app, &account).await;
    assert_eq!(stored["status"], "error");
    assert!(
        stored["lastError"]
            .as_str()
            .unwrap()
            .starts_with("SMTP connect: "),
        "{stored}"
    );
}

#[tokio::test]
async fn a_server_without_starttls_fails_at_the_tls_step() {
    let app = spawn_app().await;
    let sink = sink_with_auth(false).await;
    let account = create(&app, plain_account(sink.port(), "tls", PASSWORD)).await;
    let result = run_test(&app, &account).await;
    assert_eq!(result["smtp"]["step"], "tls", "{result}");
    let error = result["smtp"]["error"].as_str().unwrap();
    assert!(error.contains("STARTTLS"), "{error}");
    assert_eq!(sink.connections(), 1, "the test reached the sink");
    assert_eq!(fetch(&app, &account).await["status"], "error");
}

#[tokio::test]
async fn an_untrusted_certificate_fails_at_the_tls_step() {
    let app = spawn_app().await;
    let sink = sink_with_auth(true).await;
    let account = create(&app, plain_account(sink.port(), "tls", PASSWORD)).await;
    let result = run_test(&app, &account).await;
    assert_eq!(result["smtp"]["step"], "tls", "{result}");
    let error = result["smtp"]["error"].as_str().unwrap();
    assert!(error.to_lowercase().contains("certificate"), "{error}");
    let stored = fetch(&app, &account).await;
    assert!(
        stored["lastError"]
            .as_str()
            .unwrap()
            .starts_with("SMTP tls: "),
        "{stored}"
    );
}

#[tokio::test]
async fn wrong_credentials_fail_at_the_auth_step_with_the_servers_reply() {
    let app = spawn_app().await;
    let sink = sink_with_auth(false).await;
    let account = create(&app, plain_account(sink.port(), "none", "wrong password")).await;
    let result = run_test(&app, &account).await;
    assert_eq!(result["smtp"]["step"], "auth", "{result}");
    assert_eq!(result["ok"], false);
    let error = result["smtp"]["error"].as_str().unwrap();
    assert!(
        error.contains("535") && error.contains("Authentication credentials invalid"),
        "{error}"
    );
    let stored = fetch(&app, &account).await;
    assert_eq!(stored["status"], "error");
    let last_error = stored["lastError"].as_str().unwrap();
    assert!(last_error.starts_with("SMTP auth: 535"), "{stored}");
    assert!(!last_error.contains("wrong password"));
}

#[tokio::test]
async fn the_right_credentials_pass_and_clear_a_previous_error() {
    let app = spawn_app().await;
    let sink = sink_with_auth(false).await;
    let account = create(&app, plain_account(sink.port(), "none", "wrong password")).await;
    run_test(&app, &account).await;
    assert_eq!(fetch(&app, &account).await["status"], "error");
    // Fixing the password resets the status; the next test confirms it.
    let fixed = put(&app, &account, json!({"smtp": {"password": PASSWORD}})).await;
    assert_eq!(fixed["status"], "active");
    assert_eq!(fixed["lastError"], Value::Null);
    run_test(&app, &account).await;
    // Break it again, then prove the stored password is what makes the next test pass.
    put(&app, &account, json!({"smtp": {"password": "wrong again"}})).await;
    assert_eq!(run_test(&app, &account).await["ok"], false);
    put(&app, &account, json!({"smtp": {"password": PASSWORD}})).await;
    let result = run_test(&app, &account).await;
    assert_eq!(
        result,
        json!({"smtp": {"ok": true, "step": null, "error": null}, "imap": null, "ok": true})
    );
    let stored = fetch(&app, &account).await;
    assert_eq!(stored["status"], "active");
    assert_eq!(stored["lastError"], Value::Null);
    assert_eq!(sink.connections(), 4);
    assert_eq!(sink.message_count(), 0, "a test sends no mail");
}

#[tokio::test]
async fn a_sandbox_account_passes_without_any_network() {
    let app = spawn_app().await;
    let account = create(
        &app,
        json!({"email": "dev@example.com", "smtp": {"host": "sandbox"}}),
    )
    .await;
    let result = run_test(&app, &account).await;
    assert_eq!(
        result,
        json!({"smtp": {"ok": true, "step": null, "error": null}, "imap": null, "ok": true})
    );
    assert_eq!(fetch(&app, &account).await["status"], "active");
}

#[tokio::test]
async fn imap_settings_are_checked_with_a_login() {
    let app = spawn_app().await;
    let port = imap_peer().await;
    let account = create(
        &app,
        json!({
            "email": "ada@example.com",
            "smtp": {"host": "sandbox"},
            "imap": {"host": "127.0.0.1", "port": port, "encryption": "none", "username": USER, "password": "wrong"}
        }),
    )
    .await;
    let result = run_test(&app, &account).await;
    assert_eq!(result["smtp"]["ok"], true, "{result}");
    assert_eq!(result["imap"]["ok"], false, "{result}");
    assert_eq!(result["imap"]["step"], "auth");
    assert_eq!(result["ok"], false);
    let stored = fetch(&app, &account).await;
    assert!(
        stored["lastError"]
            .as_str()
            .unwrap()
            .starts_with("IMAP auth: "),
        "{stored}"
    );

    put(&app, &account, json!({"imap": {"password": PASSWORD}})).await;
    let result = run_test(&app, &account).await;
    assert_eq!(
        result["imap"],
        json!({"ok": true, "step": null, "error": null}),
        "{result}"
    );
    assert_eq!(result["ok"], true);
    assert_eq!(fetch(&app, &account).await["status"], "active");
}

fn sink_settings(port: u16, password: &str, encryption: Encryption) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".to_owned(),
        port,
        username: Some(USER.to_owned()),
        password: Some(Secret::new(password.to_owned())),
        encryption,
    }
}

#[tokio::test]
async fn one_connection_sends_many_messages_quickly() {
    let sink = sink_with_auth(false).await;
    let settings = sink_settings(sink.port(), PASSWORD, Encryption::None);
    let mut connection = smtp::connect(&settings, "example.com", Duration::from_secs(5))
        .await
        .expect("connected and authenticated");
    let envelope = lettre::address::Envelope::new(
        Some("ada@example.com".parse().unwrap()),
        vec!["bob@example.com".parse().unwrap()],
    )
    .unwrap();
    let mut message =
        b"Subject: Hello\r\nFrom: ada@example.com\r\nTo: bob@example.com\r\n\r\n".to_vec();
    for _ in 0..BODY_LINES {
        message.extend_from_slice(b"Hi Bob, a line of a longer message body.\r\n");
    }
    let started = Instant::now();
    for _ in 0..100 {
        connection
            .send(&envelope, &message)
            .await
            .expect("accepted");
    }
    // At the ~22 messages/s of a connection waiting on delayed ACKs this would take 4.5 s.
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    let _ = connection.quit().await;
    let received = sink.wait_for(100, Duration::from_secs(5)).await;
    assert_eq!(received[0].header("Subject").as_deref(), Some("Hello"));
    assert_eq!(sink.connections(), 1, "one connection for every message");
}

#[tokio::test]
async fn connect_reports_the_failing_step() {
    let sink = sink_with_auth(false).await;
    let attempt = |settings: SmtpSettings| async move {
        smtp::connect(&settings, "example.com", Duration::from_secs(5))
            .await
            .err()
            .expect("the connection fails")
    };
    let error = attempt(sink_settings(sink.port(), "wrong", Encryption::None)).await;
    assert_eq!(error.step, Step::Auth, "{error}");
    assert!(error.message.starts_with("535 "), "{error}");
    assert!(!error.message.contains("wrong"), "{error}");
    let error = attempt(sink_settings(sink.port(), PASSWORD, Encryption::Tls)).await;
    assert_eq!(error.step, Step::Tls, "no STARTTLS offered: {error}");
    let error = attempt(sink_settings(sink.port(), PASSWORD, Encryption::Ssl)).await;
    assert_eq!(
        error.step,
        Step::Tls,
        "a plaintext greeting is no TLS handshake: {error}"
    );
    let tls_sink = sink_with_auth(true).await;
    let error = attempt(sink_settings(tls_sink.port(), PASSWORD, Encryption::Tls)).await;
    assert_eq!(error.step, Step::Tls, "self-signed certificate: {error}");
    let error = attempt(sink_settings(
        closed_port().await,
        PASSWORD,
        Encryption::None,
    ))
    .await;
    assert_eq!(error.step, Step::Connect, "{error}");
    let imap = ImapSettings {
        host: "127.0.0.1".to_owned(),
        port: imap_peer().await,
        username: Some(USER.to_owned()),
        password: Some(Secret::new(PASSWORD.to_owned())),
        encryption: Encryption::Ssl,
    };
    let error = smtp::test_imap(&imap, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert_eq!(error.step, Step::Tls, "{error}");
}

// ---------- documentation ----------

#[tokio::test]
async fn every_email_account_operation_is_documented_with_examples() {
    let app = spawn_app().await;
    let document = body_json(
        reqwest::get(format!("{}/v1/openapi.json", app.address))
            .await
            .unwrap(),
    )
    .await;
    let operations = [
        ("get", "/v1/email-accounts", false),
        ("post", "/v1/email-accounts", true),
        ("get", "/v1/email-accounts/{id}", false),
        ("put", "/v1/email-accounts/{id}", true),
        ("delete", "/v1/email-accounts/{id}", false),
        ("post", "/v1/email-accounts/{id}/test", false),
    ];
    for (method, path, has_body) in operations {
        let operation = &document["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is documented");
        let success = operation["responses"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(status, _)| status.starts_with('2'))
            .map(|(_, response)| response.clone())
            .unwrap_or_else(|| panic!("{method} {path} documents its success"));
        assert!(
            success["content"]["application/json"]["example"].is_object(),
            "{method} {path} has a response example"
        );
        if has_body {
            assert!(
                operation["requestBody"]["content"]["application/json"]["example"].is_object(),
                "{method} {path} has a request example"
            );
        } else {
            assert!(operation.get("requestBody").is_none(), "{method} {path}");
        }
    }
    let response = &document["components"]["schemas"]["EmailAccountResponse"];
    assert!(response["properties"]["smtp"].is_object(), "{response}");
    assert!(
        !document["components"]["schemas"]["ServerResponse"]["properties"]
            .as_object()
            .unwrap()
            .contains_key("password"),
        "passwords are not part of any answer"
    );
}
