//! The public tracking endpoints: open pixel, click redirect, preferences page, one-click
//! unsubscribe and stop-tracking, with what each records in the database.

use crate::helpers::{count_rows, spawn_app, spawn_app_with, TestApp};
use crate::sending_fixtures::{enrol, first_workspace, insert_campaign, sent_message, SentMessage};
use fluenzr::domain::tracking::TRANSPARENT_GIF;
use serde_json::{json, Value};

const LINKS: [&str; 2] = [
    "https://example.com/a",
    "https://example.com/pricing?plan=pro#top",
];

/// A client that does not follow redirects and sends no API key.
fn public_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn public_get(app: &TestApp, path: &str) -> reqwest::Response {
    public_client()
        .get(format!("{}{path}", app.address))
        .header("User-Agent", "TestMail/1.0")
        .send()
        .await
        .expect("request sent")
}

async fn post_form(app: &TestApp, path: &str, body: &str) -> reqwest::Response {
    public_client()
        .post(format!("{}{path}", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .expect("request sent")
}

/// (opened_at, open_count, clicked_at, click_count) of the send with this token.
async fn send_state(app: &TestApp, token: &str) -> (Option<i64>, i64, Option<i64>, i64) {
    let token = token.to_owned();
    app.database
        .read(move |conn| {
            Ok(conn.query_row(
                "SELECT opened_at, open_count, clicked_at, click_count FROM sends WHERE token = ?1",
                [token],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )?)
        })
        .await
        .expect("send state")
}

/// (type, metadata) of every event, oldest first.
async fn events(app: &TestApp) -> Vec<(String, Value)> {
    app.database
        .read(|conn| {
            let mut statement =
                conn.prepare("SELECT type, metadata FROM campaign_events ORDER BY seq")?;
            let rows = statement
                .query_map([], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows
                .into_iter()
                .map(|(kind, metadata)| (kind, serde_json::from_str(&metadata).unwrap()))
                .collect())
        })
        .await
        .expect("events")
}

async fn assert_pixel(response: reqwest::Response) {
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/gif");
    assert_eq!(response.headers()["cache-control"], "no-store, private");
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len(), 43);
    assert_eq!(&bytes[..], &TRANSPARENT_GIF[..]);
    assert_eq!(&bytes[..6], b"GIF89a");
}

async fn message(app: &TestApp) -> SentMessage {
    sent_message(app, json!({"email": "ada@example.com"}), &LINKS).await
}

// ---------- open pixel ----------

#[tokio::test]
async fn the_pixel_is_a_gif_and_stores_only_the_first_open_date_by_default() {
    let app = spawn_app().await;
    let sent = message(&app).await;
    assert_pixel(public_get(&app, &format!("/t/o/{}", sent.token)).await).await;
    let (opened_at, open_count, clicked_at, _) = send_state(&app, &sent.token).await;
    let now = chrono::Utc::now().timestamp();
    assert!(
        opened_at.is_some_and(|t| (now - t).abs() < 60),
        "{opened_at:?}"
    );
    assert_eq!(open_count, 1);
    assert_eq!(clicked_at, None);

    // Pretend the first open was long ago: a second open keeps that date.
    let token = sent.token.clone();
    app.database
        .write(move |conn| {
            conn.execute(
                "UPDATE sends SET opened_at = 1000 WHERE token = ?1",
                [token],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    assert_pixel(public_get(&app, &format!("/t/o/{}", sent.token)).await).await;
    assert_eq!(send_state(&app, &sent.token).await.0, Some(1000));
    assert_eq!(send_state(&app, &sent.token).await.1, 2);

    let events = events(&app).await;
    assert_eq!(
        events,
        [("opened".to_owned(), json!({}))],
        "one event, no IP, no UA"
    );
}

#[tokio::test]
async fn full_tracking_stores_ip_and_user_agent_on_every_open() {
    let app = spawn_app_with(|config| config.tracking_full = true).await;
    let sent = message(&app).await;
    for _ in 0..2 {
        assert_pixel(public_get(&app, &format!("/t/o/{}", sent.token)).await).await;
    }
    assert_eq!(send_state(&app, &sent.token).await.1, 2);
    let events = events(&app).await;
    assert_eq!(events.len(), 2, "{events:?}");
    for (kind, metadata) in &events {
        assert_eq!(kind, "opened");
        assert_eq!(metadata["ip"], "127.0.0.1", "{metadata}");
        assert_eq!(metadata["userAgent"], "TestMail/1.0", "{metadata}");
    }
    assert!(events[0].1.get("repeat").is_none());
    assert_eq!(events[1].1["repeat"], true);
}

#[tokio::test]
async fn an_unknown_token_still_gets_the_gif_and_records_nothing() {
    let app = spawn_app().await;
    let sent = message(&app).await;
    for token in [
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "not-a-token",
        &"x".repeat(300),
    ] {
        assert_pixel(public_get(&app, &format!("/t/o/{token}")).await).await;
    }
    assert_eq!(send_state(&app, &sent.token).await, (None, 0, None, 0));
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM campaign_events").await,
        0
    );
}

#[tokio::test]
async fn an_opted_out_contact_records_no_open_and_no_click() {
    let app = spawn_app().await;
    let sent = sent_message(
        &app,
        json!({"email": "private@example.com", "trackingOptOut": true}),
        &LINKS,
    )
    .await;
    assert_pixel(public_get(&app, &format!("/t/o/{}", sent.token)).await).await;
    let response = public_get(&app, &format!("/t/c/{}.0", sent.token)).await;
    assert_eq!(response.status(), 302, "the link still works");
    assert_eq!(response.headers()["location"], LINKS[0]);
    assert_eq!(send_state(&app, &sent.token).await, (None, 0, None, 0));
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM campaign_events").await,
        0
    );
}

// ---------- click redirect ----------

#[tokio::test]
async fn a_click_redirects_to_that_link_and_counts_as_an_open() {
    let app = spawn_app().await;
    let sent = message(&app).await;
    let response = public_get(&app, &format!("/t/c/{}.1", sent.token)).await;
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], LINKS[1]);
    let (opened_at, open_count, clicked_at, click_count) = send_state(&app, &sent.token).await;
    assert!(opened_at.is_some() && clicked_at.is_some());
    assert_eq!(opened_at, clicked_at);
    assert_eq!((open_count, click_count), (1, 1));
    assert_eq!(
        events(&app).await,
        [
            ("opened".to_owned(), json!({})),
            ("clicked".to_owned(), json!({"url": LINKS[1]})),
        ]
    );

    // The same link again: counted, but no second event; another link: its own first event.
    let again = public_get(&app, &format!("/t/c/{}.1", sent.token)).await;
    assert_eq!(again.headers()["location"], LINKS[1]);
    let first = public_get(&app, &format!("/t/c/{}.0", sent.token)).await;
    assert_eq!(first.headers()["location"], LINKS[0]);
    let (_, open_count, _, click_count) = send_state(&app, &sent.token).await;
    assert_eq!((open_count, click_count), (1, 3));
    let kinds: Vec<_> = events(&app).await;
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert_eq!(kinds[2], ("clicked".to_owned(), json!({"url": LINKS[0]})));
}

#[tokio::test]
async fn unknown_indexes_forged_tokens_and_urls_in_the_path_are_404_never_a_redirect() {
    let app = spawn_app().await;
    let sent = message(&app).await;
    let cases = [
        format!("/t/c/{}.2", sent.token),
        format!("/t/c/{}.99999", sent.token),
        format!("/t/c/{}", sent.token),
        format!("/t/c/{}.-1", sent.token),
        format!("/t/c/{}.0x", sent.token),
        "/t/c/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.0".to_owned(),
        "/t/c/https://evil.example.com/.0".to_owned(),
        "/t/c/https%3A%2F%2Fevil.example.com.0".to_owned(),
        format!("/t/c/{}.0/https://evil.example.com", sent.token),
        format!("/t/c/{}.0?url=https://evil.example.com", sent.token),
    ];
    for (n, path) in cases.iter().enumerate() {
        let response = public_get(&app, path).await;
        if n == cases.len() - 1 {
            // A query string cannot choose the target: the stored link is used.
            assert_eq!(response.status(), 302, "{path}");
            assert_eq!(response.headers()["location"], LINKS[0], "{path}");
            continue;
        }
        assert_eq!(response.status(), 404, "{path}");
        assert!(response.headers().get("location").is_none(), "{path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("evil.example.com"), "{path}: {body}");
    }
    let html = public_get(&app, &format!("/t/c/{}.2", sent.token)).await;
    assert!(html.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(html.text().await.unwrap().contains("Link not found"));
    assert_eq!(
        send_state(&app, &sent.token).await.3,
        1,
        "only the valid click counted"
    );
}

// ---------- preferences page, unsubscribe ----------

/// The message's contact also enrolled in two other campaigns: one pending, one completed.
async fn other_enrolments(app: &TestApp, sent: &SentMessage) {
    let workspace = first_workspace(app).await;
    let pending = insert_campaign(app, &workspace, None).await;
    enrol(app, pending.seq, sent.contact_seq, "pending").await;
    let done = insert_campaign(app, &workspace, None).await;
    enrol(app, done.seq, sent.contact_seq, "completed").await;
}

async fn enrolments(app: &TestApp, contact: i64) -> Vec<(String, Option<i64>)> {
    app.database
        .read(move |conn| {
            let mut statement = conn.prepare(
                "SELECT status, due_at FROM campaign_contacts WHERE contact_seq = ?1 ORDER BY campaign_seq",
            )?;
            let rows = statement
                .query_map([contact], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
        .unwrap()
}

async fn contact_row(app: &TestApp, contact: i64) -> (String, i64, String) {
    app.database
        .read(move |conn| {
            Ok(conn.query_row(
                "SELECT status, tracking_opt_out, updated_at FROM contacts WHERE seq = ?1",
                [contact],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?)
        })
        .await
        .unwrap()
}

async fn unsubscribe_events(app: &TestApp) -> Vec<Value> {
    events(app)
        .await
        .into_iter()
        .filter(|(kind, _)| kind == "unsubscribed")
        .map(|(_, metadata)| metadata)
        .collect()
}

async fn age_contact(app: &TestApp, contact: i64) {
    app.database
        .write(move |conn| {
            conn.execute(
                "UPDATE contacts SET updated_at = '2000-01-01T00:00:00Z' WHERE seq = ?1",
                [contact],
            )?;
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn the_preferences_page_masks_the_email_and_offers_both_choices() {
    let app = spawn_app().await;
    let sent = message(&app).await;
    let response = public_get(&app, &format!("/u/{}", sent.token)).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let html = response.text().await.unwrap();
    assert!(html.contains("a**@e******.com"), "{html}");
    assert!(!html.contains("ada@example.com"), "the address is masked");
    assert!(html.contains("name=\"action\" value=\"unsubscribe\""));
    assert!(html.contains(">Unsubscribe</button>"));
    assert!(html.contains("name=\"action\" value=\"stop-tracking\""));
    assert!(html.contains("Stop tracking when I open emails"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external assets"
    );
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM campaign_events").await,
        0
    );
    assert_eq!(
        contact_row(&app, sent.contact_seq).await.0,
        "active",
        "a GET changes nothing"
    );
}

#[tokio::test]
async fn unsubscribing_from_the_page_stops_every_enrolment_once() {
    let app = spawn_app().await;
    let sent = message(&app).await;
    other_enrolments(&app, &sent).await;
    age_contact(&app, sent.contact_seq).await;
    let path = format!("/u/{}", sent.token);
    for attempt in 0..2 {
        let response = post_form(&app, &path, "action=unsubscribe").await;
        assert_eq!(response.status(), 200, "attempt {attempt}");
        let html = response.text().await.unwrap();
        assert!(html.contains("You have been unsubscribed"), "{html}");
        assert!(
            !html.contains("value=\"unsubscribe\""),
            "no second unsubscribe button"
        );
    }
    let (status, _, updated_at) = contact_row(&app, sent.contact_seq).await;
    assert_eq!(status, "unsubscribed");
    assert_ne!(updated_at, "2000-01-01T00:00:00Z");
    assert_eq!(
        enrolments(&app, sent.contact_seq).await,
        [
            ("unsubscribed".to_owned(), None),
            ("unsubscribed".to_owned(), None),
            ("completed".to_owned(), None),
        ]
    );
    assert_eq!(unsubscribe_events(&app).await, [json!({"source": "page"})]);
    let in_campaign = sent.campaign.seq;
    let events_in_campaign = app
        .database
        .read(move |conn| {
            Ok(conn.query_row(
                "SELECT count(*) FROM campaign_events WHERE type = 'unsubscribed' AND campaign_seq = ?1",
                [in_campaign],
                |row| row.get::<_, i64>(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(
        events_in_campaign, 1,
        "the event is in the token's campaign"
    );
    let page = public_get(&app, &path).await.text().await.unwrap();
    assert!(page.contains("You are unsubscribed"), "{page}");
}

#[tokio::test]
async fn the_rfc_8058_one_click_post_unsubscribes() {
    let app = spawn_app().await;
    let sent = message(&app).await;
    let path = format!("/u/{}", sent.token);
    let response = post_form(&app, &path, "List-Unsubscribe=One-Click").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert!(response.text().await.unwrap().contains("unsubscribed"));
    assert_eq!(contact_row(&app, sent.contact_seq).await.0, "unsubscribed");
    assert_eq!(
        enrolments(&app, sent.contact_seq).await,
        [("unsubscribed".to_owned(), None)]
    );
    assert_eq!(
        unsubscribe_events(&app).await,
        [json!({"source": "one-click"})]
    );

    // The multipart form the RFC also allows, a second time: still one event.
    let multipart = "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XyZ--\r\n";
    let again = public_client()
        .post(format!("{}{path}", app.address))
        .header("Content-Type", "multipart/form-data; boundary=XyZ")
        .body(multipart)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(unsubscribe_events(&app).await.len(), 1);
}

#[tokio::test]
async fn a_bounced_contact_stays_bounced_but_its_enrolments_stop() {
    let app = spawn_app().await;
    let sent = message(&app).await;
    let contact = sent.contact_seq;
    app.database
        .write(move |conn| {
            conn.execute(
                "UPDATE contacts SET status = 'bounced' WHERE seq = ?1",
                [contact],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let response = post_form(&app, &format!("/u/{}", sent.token), "action=unsubscribe").await;
    assert_eq!(response.status(), 200);
    assert_eq!(contact_row(&app, contact).await.0, "bounced");
    assert_eq!(
        enrolments(&app, contact).await,
        [("unsubscribed".to_owned(), None)]
    );
}

#[tokio::test]
async fn stop_tracking_sets_the_opt_out_and_later_opens_record_nothing() {
    let app = spawn_app().await;
    let sent = message(&app).await;
    age_contact(&app, sent.contact_seq).await;
    let path = format!("/u/{}", sent.token);
    let response = post_form(&app, &path, "action=stop-tracking").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("no longer track"), "{html}");
    let (status, opt_out, updated_at) = contact_row(&app, sent.contact_seq).await;
    assert_eq!((status.as_str(), opt_out), ("active", 1));
    assert_ne!(updated_at, "2000-01-01T00:00:00Z");
    assert_eq!(
        enrolments(&app, sent.contact_seq).await,
        [("in_progress".to_owned(), Some(1_700_000_000))],
        "still enrolled"
    );
    let contact = app
        .get(&format!("/v1/contacts/{}", sent.contact_id))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(contact["data"]["trackingOptOut"], true);
    assert_pixel(public_get(&app, &format!("/t/o/{}", sent.token)).await).await;
    assert_eq!(send_state(&app, &sent.token).await, (None, 0, None, 0));
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM campaign_events").await,
        0
    );
}

#[tokio::test]
async fn unknown_tokens_and_unknown_actions_change_nothing() {
    let app = spawn_app().await;
    let sent = message(&app).await;
    let unknown = "/u/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let page = public_get(&app, unknown).await;
    assert_eq!(page.status(), 404);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text().await.unwrap().contains("Link not found"));
    for body in ["action=unsubscribe", "List-Unsubscribe=One-Click"] {
        assert_eq!(post_form(&app, unknown, body).await.status(), 404, "{body}");
    }
    let path = format!("/u/{}", sent.token);
    for body in ["", "action=delete-everything", "List-Unsubscribe=Yes"] {
        assert_eq!(post_form(&app, &path, body).await.status(), 400, "{body:?}");
    }
    assert_eq!(contact_row(&app, sent.contact_seq).await.0, "active");
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM campaign_events").await,
        0
    );
}

#[tokio::test]
async fn a_link_with_spaces_or_accents_redirects_percent_encoded() {
    let app = spawn_app().await;
    let sent = sent_message(
        &app,
        json!({"email": "ada@example.com"}),
        &["https://example.com/café menu?q=1"],
    )
    .await;
    let response = public_get(&app, &format!("/t/c/{}.0", sent.token)).await;
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()["location"],
        "https://example.com/caf%C3%A9%20menu?q=1"
    );
    assert_eq!(send_state(&app, &sent.token).await.3, 1);
}
