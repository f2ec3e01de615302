//! The preview of an email node for a contact, and the forecast of who gets which email when.

use super::*;
use crate::campaign_fixtures::{contacts, decoded, link_path, open_settings};
use crate::helpers::{assert_error, count_rows, spawn_app};
use crate::smtp_sink::SmtpSink;
use chrono::{DateTime, Datelike, Duration, Timelike, Utc};

#[tokio::test]
async fn the_preview_renders_an_email_for_a_contact_with_fallbacks_and_the_unsubscribe_headers() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let ada = id(&app
        .create_contact(json!({"email": "ada@example.com", "firstName": "Ada", "company": "Acme"}))
        .await);
    let nameless = id(&app
        .create_contact(json!({"email": "nameless@example.com"}))
        .await);
    let campaign = id(&create(
        &app,
        json!({
            "name": "Preview",
            "emailAccountId": account,
            "workflow": two_emails(
                "Hi {{firstName|there}} at {{company}}",
                "<p>Hello {{firstName|there}} {{lastName|friend}}, about {{company}}.</p>",
                "<p>Following up, {{firstName|there}}.</p>"
            )
        }),
    )
    .await);
    let path = format!("/v1/campaigns/{campaign}/preview");

    let preview = data(
        app.get(&format!("{path}?nodeId=email_1&contactId={ada}"))
            .await,
        200,
    )
    .await;
    assert_eq!(preview["nodeId"], "email_1");
    assert_eq!(preview["emailNumber"], 1);
    assert_eq!(preview["contactId"], ada.as_str());
    assert_eq!(preview["sendable"], true);
    assert_eq!(preview["reason"], Value::Null);
    assert_eq!(preview["subject"], "Hi Ada at Acme");
    let html = preview["html"].as_str().unwrap();
    assert!(html.contains("Hello Ada friend, about Acme."), "{html}");
    let text = preview["text"].as_str().unwrap();
    assert!(text.contains("Hello Ada friend, about Acme."), "{text}");
    assert!(!text.contains('<'), "the text part has no markup: {text}");
    let headers: Vec<(String, String)> = preview["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap().to_ascii_lowercase(),
                h["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("header {name} in {headers:?}"))
    };
    assert_eq!(header("subject"), "Hi Ada at Acme");
    assert!(header("to").contains("ada@example.com"));
    let unsubscribe = header("list-unsubscribe");
    assert!(
        unsubscribe.contains("/u/") && unsubscribe.contains("mailto:"),
        "{unsubscribe}"
    );
    assert_eq!(
        header("list-unsubscribe-post"),
        "List-Unsubscribe=One-Click"
    );
    let link = link_path(html, PUBLIC_URL, "u").expect("an unsubscribe link in the body");
    assert!(
        unsubscribe.contains(&format!("<{PUBLIC_URL}{link}>")),
        "the header and the body carry the same link: {unsubscribe} / {link}"
    );

    // Without a nodeId, the first email; without a contact, sample data.
    let sample = data(app.get(&path).await, 200).await;
    assert_eq!(sample["nodeId"], "email_1");
    assert_eq!(sample["contactId"], Value::Null);
    assert_eq!(sample["sendable"], true);
    assert_eq!(sample["subject"], "Hi Alex at Example Inc");

    // A contact without a company (no fallback) would not be sent this email.
    let broken = data(
        app.get(&format!("{path}?nodeId=email_1&contactId={nameless}"))
            .await,
        200,
    )
    .await;
    assert_eq!(broken["sendable"], false);
    assert_eq!(broken["subject"], Value::Null);
    let reason = broken["reason"].as_str().unwrap();
    assert!(reason.contains("company"), "{reason}");
    // The follow-up only uses fallbacks, but it replies to the first email, which this contact
    // cannot be sent: the reason names that email.
    let follow_up = data(
        app.get(&format!("{path}?nodeId=email_2&contactId={nameless}"))
            .await,
        200,
    )
    .await;
    assert_eq!(follow_up["emailNumber"], 2);
    assert_eq!(follow_up["sendable"], false);
    let reason = follow_up["reason"].as_str().unwrap();
    assert!(
        reason.contains("email_1") && reason.contains("company"),
        "{reason}"
    );
    // With sample data it renders, threaded under the first email's rendered subject.
    let sample_follow_up = data(app.get(&format!("{path}?nodeId=email_2")).await, 200).await;
    assert_eq!(sample_follow_up["sendable"], true);
    assert_eq!(sample_follow_up["subject"], "Re: Hi Alex at Example Inc");
    let text = sample_follow_up["text"].as_str().unwrap();
    assert!(text.contains("Following up, Alex."), "{text}");

    let cases: Vec<(String, u16, &str, &str, &str)> = vec![
        (
            format!("{path}?nodeId=node_9"),
            400,
            "VALIDATION_ERROR",
            "nodeId",
            "unknown node",
        ),
        (
            format!("{path}?nodeId=wait"),
            400,
            "VALIDATION_ERROR",
            "nodeId",
            "a delay node",
        ),
        (
            format!("{path}?nodeId=start"),
            400,
            "VALIDATION_ERROR",
            "nodeId",
            "the start node",
        ),
        (
            format!("{path}?contactId={UNKNOWN_CONTACT}"),
            404,
            "NOT_FOUND",
            "contactId",
            "unknown contact",
        ),
        (
            format!("{path}?contactId=ada"),
            404,
            "NOT_FOUND",
            "contactId",
            "not a contact id",
        ),
        (
            format!("{path}?node=email_1"),
            400,
            "VALIDATION_ERROR",
            "",
            "unknown parameter",
        ),
    ];
    for (url, status, code, field, reason) in cases {
        let response = app.get(&url).await;
        assert_eq!(response.status().as_u16(), status, "{reason}");
        let error = assert_error(response, status, code).await;
        if !field.is_empty() {
            assert_eq!(
                error["error"]["details"]["field"], field,
                "{reason}: {error}"
            );
        }
    }
    let no_workflow = id(&create(&app, json!({"name": "Empty", "emailAccountId": account})).await);
    // Without a workflow there is nothing to render: a conflict with the campaign's state.
    let error = assert_error(
        app.get(&format!("/v1/campaigns/{no_workflow}/preview"))
            .await,
        409,
        "CONFLICT",
    )
    .await;
    assert_eq!(error["error"]["details"]["field"], "workflow");
    assert_error(
        app.get(&format!("/v1/campaigns/{UNKNOWN_CAMPAIGN}/preview"))
            .await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(count_rows(&app, "SELECT count(*) FROM sends").await, 0);
}

#[tokio::test]
async fn the_preview_shows_exactly_the_subjects_the_sender_sends() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let account = smtp_account(&app, sink.port(), 1000).await;
    let ada = id(&app
        .create_contact(json!({"email": "ada@example.com", "firstName": "Ada", "company": "Acme"}))
        .await);
    let workflow = two_emails(
        "Hello {{firstName|there}}",
        "<p>Hi {{firstName}}, from {{company|us}}.</p>",
        "<p>Any thoughts, {{firstName}}?</p>",
    );
    let campaign = id(&create(
        &app,
        json!({
            "name": "Threaded",
            "emailAccountId": account,
            "settings": open_settings(),
            "workflow": workflow
        }),
    )
    .await);
    let preview = |node: &'static str, contact: Option<&str>| {
        let url = match contact {
            Some(contact) => {
                format!("/v1/campaigns/{campaign}/preview?nodeId={node}&contactId={contact}")
            }
            None => format!("/v1/campaigns/{campaign}/preview?nodeId={node}"),
        };
        let app = &app;
        async move { data(app.get(&url).await, 200).await }
    };
    let first = preview("email_1", Some(&ada)).await;
    let second = preview("email_2", Some(&ada)).await;
    assert_eq!(first["subject"], "Hello Ada");
    assert_eq!(
        second["subject"], "Re: Hello Ada",
        "a threaded follow-up replies to the subject the contact received"
    );
    assert_eq!(
        preview("email_2", None).await["subject"],
        "Re: Hello Alex",
        "sample data too"
    );

    enrol(&app, &campaign, json!({"contactIds": [ada]})).await;
    data(act(&app, &campaign, "start").await, 200).await;
    let now = Utc::now() + Duration::seconds(5);
    let outcome = app.sender.run_once(now).await.unwrap();
    assert_eq!(outcome.sent, 1);
    let later = app.sender.run_once(now + Duration::hours(2)).await.unwrap();
    assert_eq!(later.sent, 1);
    let messages = sink.messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].header("Subject").unwrap(), first["subject"]);
    assert_eq!(messages[1].header("Subject").unwrap(), second["subject"]);
    let body = decoded(&messages[0]);
    assert!(body.contains("Hi Ada, from Acme."), "{body}");
    assert!(
        first["text"]
            .as_str()
            .unwrap()
            .contains("Hi Ada, from Acme."),
        "{first}"
    );
}

/// The `scheduledAt` of each forecast item.
fn scheduled(items: &Value) -> Vec<DateTime<Utc>> {
    items
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            item["scheduledAt"]
                .as_str()
                .expect("scheduledAt")
                .parse()
                .expect("RFC 3339")
        })
        .collect()
}

#[tokio::test]
async fn the_forecast_spreads_sends_at_the_hourly_limit_inside_the_send_window() {
    let app = spawn_app().await;
    let account = account(&app).await;
    let ids = contacts(&app, "f", 5).await;
    let mut settings = open_settings();
    settings["maxEmailsPerHour"] = json!(2);
    let always = id(&create(
        &app,
        json!({"name": "Always", "emailAccountId": account, "settings": settings,
               "workflow": one_email("Hi", "<p>Hi</p>")}),
    )
    .await);
    let office = id(&create(
        &app,
        json!({
            "name": "Office hours",
            "emailAccountId": account,
            "settings": {
                "sendDays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                "sendHoursStart": 9,
                "sendHoursEnd": 17,
                "timezone": "Europe/Paris",
                "maxEmailsPerHour": 2
            },
            "workflow": one_email("Hi", "<p>Hi</p>")
        }),
    )
    .await);
    for campaign in [&always, &office] {
        enrol(&app, campaign, json!({ "contactIds": ids })).await;
        data(act(&app, campaign, "start").await, 200).await;
    }

    // An always-open window: two now, two an hour later, one two hours later.
    let plan = data(
        app.get(&format!("/v1/campaigns/{always}/forecast")).await,
        200,
    )
    .await;
    assert_eq!(plan["truncated"], false);
    assert!(plan["assumptions"].as_str().is_some_and(|a| !a.is_empty()));
    let generated: DateTime<Utc> = plan["generatedAt"].as_str().unwrap().parse().unwrap();
    let times = scheduled(&plan["items"]);
    assert_eq!(times.len(), 5, "{plan}");
    let offsets: Vec<i64> = times
        .iter()
        .map(|t| (*t - times[0]).num_seconds())
        .collect();
    assert_eq!(offsets, [0, 0, 3600, 3600, 7200], "{plan}");
    assert!(
        (times[0] - generated).num_seconds().abs() <= 5,
        "the first two go at once: {plan}"
    );
    let planned: BTreeSet<String> = plan["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            assert_eq!(item["nodeId"], "email_1");
            assert_eq!(item["emailNumber"], 1);
            assert!(item["email"].as_str().unwrap().ends_with("@example.test"));
            item["contactId"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(planned, ids.iter().cloned().collect::<BTreeSet<_>>());

    // Office hours in Paris: every send inside Monday–Friday 9–17 local, at most 2 an hour.
    let plan = data(
        app.get(&format!("/v1/campaigns/{office}/forecast")).await,
        200,
    )
    .await;
    let times = scheduled(&plan["items"]);
    assert_eq!(times.len(), 5, "{plan}");
    for (n, time) in times.iter().enumerate() {
        let local = time.with_timezone(&chrono_tz::Europe::Paris);
        assert!(
            local.weekday().num_days_from_monday() < 5,
            "{n}: {local} is a weekday"
        );
        assert!((9..17).contains(&local.hour()), "{n}: {local} in 9–17");
        assert!(
            *time >= generated - Duration::seconds(1),
            "{n}: not in the past"
        );
        if n > 0 {
            assert!(times[n - 1] <= *time, "in time order: {plan}");
        }
        if n >= 2 {
            assert!(
                (*time - times[n - 2]).num_seconds() >= 3600,
                "{n}: a third send within an hour: {plan}"
            );
        }
    }

    let limited = data(
        app.get(&format!("/v1/campaigns/{always}/forecast?limit=3"))
            .await,
        200,
    )
    .await;
    assert_eq!(limited["items"].as_array().unwrap().len(), 3);
    assert_eq!(limited["truncated"], true);
    let exact = data(
        app.get(&format!("/v1/campaigns/{always}/forecast?limit=5"))
            .await,
        200,
    )
    .await;
    assert_eq!(exact["items"].as_array().unwrap().len(), 5);
    assert_eq!(exact["truncated"], false);
    for (query, reason) in [
        ("limit=0", "below 1"),
        ("limit=1001", "above 1000"),
        ("limit=-1", "negative"),
        ("limit=ten", "not a number"),
        ("days=3", "unknown parameter"),
    ] {
        let response = app
            .get(&format!("/v1/campaigns/{always}/forecast?{query}"))
            .await;
        assert_eq!(response.status(), 400, "{reason}");
        assert_error(response, 400, "VALIDATION_ERROR").await;
    }
    assert_error(
        app.get(&format!("/v1/campaigns/{UNKNOWN_CAMPAIGN}/forecast"))
            .await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(count_rows(&app, "SELECT count(*) FROM sends").await, 0);
}
