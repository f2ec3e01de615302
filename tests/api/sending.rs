//! The sender end to end: real SMTP conversations with the test sink, driven by `run_once` with
//! a fake clock.

use crate::campaign_fixtures::*;
use crate::helpers::{body_json, spawn_app};
use crate::smtp_sink::{AfterData, Reply, SinkConfig, SmtpSink};
use serde_json::json;
use std::sync::Arc;

const PUBLIC: &str = "http://127.0.0.1:0";

#[tokio::test]
async fn a_started_campaign_sends_each_contact_its_personalised_email_exactly_once() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let account = smtp_account(&app, sink.port(), 1000).await;
    let ids = contacts(&app, "p", 2).await;
    let campaign = campaign(
        &app,
        &account,
        open_settings(),
        one_email(
            "Hello {{firstName}} at {{company}}",
            "<p>Hi {{firstName|there}}, see <a href=\"https://example.com/pricing?a=1&amp;b=2\">pricing</a>.</p>",
        ),
    )
    .await;
    enrol_and_start(&app, &campaign, &ids).await;

    let outcome = app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();
    let again = app.sender.run_once(at(2027, 3, 1, 10, 5)).await.unwrap();

    assert_eq!(outcome.sent, 2);
    assert_eq!(again.sent, 0);
    let messages = sink.messages();
    assert_eq!(messages.len(), 2);
    let mut recipients: Vec<_> = messages.iter().map(|m| m.rcpt_to[0].clone()).collect();
    recipients.sort();
    assert_eq!(recipients, ["p1@example.test", "p2@example.test"]);
    let first = messages
        .iter()
        .find(|m| m.rcpt_to[0] == "p1@example.test")
        .unwrap();
    assert_eq!(first.mail_from, "sales@sender.test");
    assert_eq!(first.header("Subject").unwrap(), "Hello Name1 at Acme");
    assert!(first.header("From").unwrap().contains("Sales Team"));
    let message_id = first.message_id.clone().unwrap();
    assert!(message_id.starts_with('<') && message_id.ends_with("@sender.test>"));
    let unsubscribe = first.header("List-Unsubscribe").unwrap();
    assert!(
        unsubscribe.contains(&format!("<{PUBLIC}/u/")),
        "{unsubscribe}"
    );
    assert!(
        unsubscribe.contains("mailto:sales@sender.test"),
        "{unsubscribe}"
    );
    assert_eq!(
        first.header("List-Unsubscribe-Post").unwrap(),
        "List-Unsubscribe=One-Click"
    );
    let content_type = first.header("Content-Type").unwrap();
    assert!(
        content_type.starts_with("multipart/alternative"),
        "{content_type}"
    );
    let text = decoded(first);
    assert!(text.contains("text/plain"));
    assert!(text.contains("Hi Name1, see"));
    // The link is tracked, the pixel is there, the original target is not in the HTML.
    assert!(link_path(&text, PUBLIC, "t/c").is_some(), "{text}");
    assert!(link_path(&text, PUBLIC, "t/o").is_some(), "{text}");
    let stats = stats(&app, &campaign).await;
    assert_eq!(stats["sent"], 2);
    assert_eq!(stats["delivered"], 2);
    let progress = progress(&app, &campaign).await;
    assert!(
        progress.iter().all(|p| p["status"] == "completed"),
        "{progress:?}"
    );
    let body = body_json(app.get(&format!("/v1/campaigns/{campaign}")).await).await;
    assert_eq!(body["data"]["status"], "completed");
}

#[tokio::test]
async fn the_same_contact_and_node_get_the_same_message_id_and_the_ids_differ_between_contacts() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let account = smtp_account(&app, sink.port(), 1000).await;
    let ids = contacts(&app, "m", 2).await;
    let campaign = campaign(
        &app,
        &account,
        open_settings(),
        one_email("Hi", "<p>Hi</p>"),
    )
    .await;
    enrol_and_start(&app, &campaign, &ids).await;
    app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();
    let messages = sink.messages();
    assert_ne!(messages[0].message_id, messages[1].message_id);
    let stored = crate::helpers::count_rows(
        &app,
        "SELECT count(DISTINCT message_id) FROM sends WHERE state = 'sent'",
    )
    .await;
    assert_eq!(stored, 2);
}

#[tokio::test]
async fn sending_waits_for_the_window_in_the_campaigns_time_zone_across_a_dst_change() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let account = smtp_account(&app, sink.port(), 1000).await;
    let ids = contacts(&app, "w", 1).await;
    let settings = json!({
        "sendDays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
        "sendHoursStart": 9, "sendHoursEnd": 17, "timezone": "America/New_York",
        "maxEmailsPerHour": 100
    });
    let campaign = campaign(&app, &account, settings, one_email("Hi", "<p>Hi</p>")).await;
    enrol_and_start(&app, &campaign, &ids).await;

    // Saturday 6 November 2027, 15:00 in New York (EDT): a weekend.
    let saturday = app.sender.run_once(at(2027, 11, 6, 19, 0)).await.unwrap();
    let progress_after = progress(&app, &campaign).await;
    // Monday 8 November, after the change to EST (UTC-5) on the 7th: 09:00 local is 14:00 UTC.
    let before_open = app.sender.run_once(at(2027, 11, 8, 13, 59)).await.unwrap();
    let at_open = app.sender.run_once(at(2027, 11, 8, 14, 0)).await.unwrap();

    assert_eq!(saturday.sent, 0);
    assert_eq!(progress_after[0]["nextActionAt"], "2027-11-08T14:00:00Z");
    assert_eq!(before_open.sent, 0);
    assert_eq!(at_open.sent, 1);
    assert_eq!(sink.message_count(), 1);
}

#[tokio::test]
async fn the_hourly_cap_holds_within_the_hour_and_across_a_new_sender() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let account = smtp_account(&app, sink.port(), 1000).await;
    let ids = contacts(&app, "h", 5).await;
    let mut settings = open_settings();
    settings["maxEmailsPerHour"] = json!(2);
    let campaign = campaign(&app, &account, settings, one_email("Hi", "<p>Hi</p>")).await;
    enrol_and_start(&app, &campaign, &ids).await;

    let first = app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();
    let same_hour = app.sender.run_once(at(2027, 3, 1, 10, 30)).await.unwrap();
    // A restart: a fresh sender over the same database knows what was sent.
    let restarted = fluenzr::sender::Sender::new(
        app.database.clone(),
        Arc::new(test_config(&app)),
        Default::default(),
    );
    let still_same_hour = restarted.run_once(at(2027, 3, 1, 10, 59)).await.unwrap();
    let next_hour = restarted.run_once(at(2027, 3, 1, 11, 1)).await.unwrap();

    assert_eq!(first.sent, 2);
    assert_eq!(same_hour.sent, 0);
    assert_eq!(still_same_hour.sent, 0);
    assert_eq!(next_hour.sent, 2);
    assert_eq!(sink.message_count(), 4);
}

/// A configuration like the test app's (same secret), for a second sender.
fn test_config(app: &crate::helpers::TestApp) -> fluenzr::config::Config {
    let mut config = fluenzr::config::Config::with_defaults(app.db_path.clone(), "127.0.0.1:0");
    config.secret_key = fluenzr::config::Secret::new("test-secret".to_owned());
    config
}

#[tokio::test]
async fn an_accounts_daily_limit_is_shared_by_all_its_campaigns() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let account = smtp_account(&app, sink.port(), 3).await;
    let first_ids = contacts(&app, "a", 2).await;
    let second_ids = contacts(&app, "b", 2).await;
    let first = campaign(
        &app,
        &account,
        open_settings(),
        one_email("One", "<p>1</p>"),
    )
    .await;
    let second = campaign(
        &app,
        &account,
        open_settings(),
        one_email("Two", "<p>2</p>"),
    )
    .await;
    enrol_and_start(&app, &first, &first_ids).await;
    enrol_and_start(&app, &second, &second_ids).await;

    let today = app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();
    let later_today = app.sender.run_once(at(2027, 3, 1, 23, 0)).await.unwrap();
    let tomorrow = app.sender.run_once(at(2027, 3, 2, 0, 30)).await.unwrap();

    assert_eq!(today.sent, 3);
    assert_eq!(later_today.sent, 0);
    assert_eq!(tomorrow.sent, 1);
}

fn follow_up_workflow(delay: serde_json::Value) -> serde_json::Value {
    json!({
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "first", "type": "email", "data": {"subject": "Quick question", "body": "<p>Hi {{firstName}}</p>"}},
            {"id": "wait", "type": "delay", "data": delay},
            {"id": "second", "type": "email", "data": {"subject": "", "body": "<p>Bumping this</p>"}},
            {"id": "end", "type": "end"}
        ],
        "edges": [
            {"from": "start", "to": "first"}, {"from": "first", "to": "wait"},
            {"from": "wait", "to": "second"}, {"from": "second", "to": "end"}
        ]
    })
}

#[tokio::test]
async fn a_business_day_delay_skips_the_weekend_and_the_follow_up_is_threaded() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let account = smtp_account(&app, sink.port(), 1000).await;
    let ids = contacts(&app, "t", 1).await;
    let workflow = follow_up_workflow(json!({"days": 1, "businessDays": true}));
    let campaign = campaign(&app, &account, open_settings(), workflow).await;
    enrol_and_start(&app, &campaign, &ids).await;

    // Friday 5 March 2027.
    let friday = app.sender.run_once(at(2027, 3, 5, 10, 0)).await.unwrap();
    let saturday = app.sender.run_once(at(2027, 3, 6, 10, 0)).await.unwrap();
    let sunday = app.sender.run_once(at(2027, 3, 7, 12, 0)).await.unwrap();
    let monday = app.sender.run_once(at(2027, 3, 8, 10, 0)).await.unwrap();

    assert_eq!(
        (friday.sent, saturday.sent, sunday.sent, monday.sent),
        (1, 0, 0, 1)
    );
    let messages = sink.messages();
    let first_id = messages[0].message_id.clone().unwrap();
    assert_eq!(messages[1].header("Subject").unwrap(), "Re: Quick question");
    assert_eq!(messages[1].header("In-Reply-To").unwrap(), first_id);
    assert!(messages[1]
        .header("References")
        .unwrap()
        .contains(&first_id));
}

#[tokio::test]
async fn a_condition_on_opening_sends_the_branch_the_contact_earned() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let account = smtp_account(&app, sink.port(), 1000).await;
    let ids = contacts(&app, "c", 2).await;
    let workflow = json!({
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "intro", "type": "email", "data": {"subject": "Intro", "body": "<p>Hello</p>"}},
            {"id": "wait", "type": "delay", "data": {"hours": 2}},
            {"id": "check", "type": "condition", "data": {"criterion": "opened", "emailNodeId": "intro"}},
            {"id": "opened", "type": "email", "data": {"subject": "Thanks for reading", "body": "<p>Glad you read it</p>"}},
            {"id": "not_opened", "type": "email", "data": {"subject": "Did you see this?", "body": "<p>Resending</p>"}},
            {"id": "end", "type": "end"}
        ],
        "edges": [
            {"from": "start", "to": "intro"}, {"from": "intro", "to": "wait"}, {"from": "wait", "to": "check"},
            {"from": "check", "to": "opened", "label": "true"}, {"from": "check", "to": "not_opened", "label": "false"},
            {"from": "opened", "to": "end"}, {"from": "not_opened", "to": "end"}
        ]
    });
    let campaign = campaign(&app, &account, open_settings(), workflow).await;
    enrol_and_start(&app, &campaign, &ids).await;
    app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();
    let intro_to_first = sink
        .messages()
        .into_iter()
        .find(|m| m.rcpt_to[0] == "c1@example.test")
        .unwrap();
    let pixel = link_path(&decoded(&intro_to_first), PUBLIC, "t/o").expect("pixel");
    let response = app
        .client
        .get(format!("{}{pixel}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let too_early = app.sender.run_once(at(2027, 3, 1, 11, 0)).await.unwrap();
    let after_delay = app.sender.run_once(at(2027, 3, 1, 12, 1)).await.unwrap();

    assert_eq!(too_early.sent, 0);
    assert_eq!(after_delay.sent, 2);
    let messages = sink.messages();
    let subject_for = |rcpt: &str| {
        messages
            .iter()
            .filter(|m| m.rcpt_to[0] == rcpt)
            .map(|m| m.header("Subject").unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        subject_for("c1@example.test"),
        ["Intro", "Thanks for reading"]
    );
    assert_eq!(
        subject_for("c2@example.test"),
        ["Intro", "Did you see this?"]
    );
}

#[tokio::test]
async fn a_contact_missing_a_variable_without_fallback_is_skipped_with_the_reason_and_never_sent() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let account = smtp_account(&app, sink.port(), 1000).await;
    let with_title = app
        .create_contact(json!({"email": "has@example.test", "jobTitle": "CTO"}))
        .await;
    let without = app
        .create_contact(json!({"email": "lacks@example.test"}))
        .await;
    let campaign = campaign(
        &app,
        &account,
        open_settings(),
        one_email("For the {{jobTitle}}", "<p>Hi {{firstName|there}}</p>"),
    )
    .await;
    let ids = vec![
        with_title["id"].as_str().unwrap().to_owned(),
        without["id"].as_str().unwrap().to_owned(),
    ];
    enrol_and_start(&app, &campaign, &ids).await;

    let outcome = app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();

    assert_eq!(outcome.sent, 1);
    assert_eq!(outcome.skipped, 1);
    let messages = sink.messages();
    assert_eq!(messages[0].rcpt_to, ["has@example.test"]);
    assert_eq!(messages[0].header("Subject").unwrap(), "For the CTO");
    assert!(decoded(&messages[0]).contains("Hi there"));
    let progress = progress(&app, &campaign).await;
    let skipped = progress
        .iter()
        .find(|p| p["email"] == "lacks@example.test")
        .unwrap();
    assert_eq!(skipped["status"], "failed");
    assert!(
        skipped["reason"].as_str().unwrap().contains("{{jobTitle}}"),
        "{skipped}"
    );
}

#[tokio::test]
async fn a_hard_bounce_suppresses_the_contact_in_every_campaign() {
    let app = spawn_app().await;
    let sink = SmtpSink::start(SinkConfig {
        on_rcpt: Arc::new(|rcpt| {
            if rcpt.starts_with("gone") {
                Reply::Permanent(550, "5.1.1 No such user".into())
            } else {
                Reply::Ok
            }
        }),
        ..SinkConfig::default()
    })
    .await;
    let account = smtp_account(&app, sink.port(), 1000).await;
    let gone = app
        .create_contact(json!({"email": "gone@example.test"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let kept = contacts(&app, "k", 1).await;
    let first = campaign(
        &app,
        &account,
        open_settings(),
        one_email("Hi", "<p>Hi</p>"),
    )
    .await;
    enrol_and_start(&app, &first, &[gone.clone(), kept[0].clone()]).await;

    let outcome = app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();

    assert_eq!((outcome.sent, outcome.bounced), (1, 1));
    let stats = stats(&app, &first).await;
    assert_eq!(stats["sent"], 2);
    assert_eq!(stats["bounced"], 1);
    assert_eq!(stats["delivered"], 1);
    assert_eq!(stats["bounceRate"], 50.0);
    let contact = body_json(app.get(&format!("/v1/contacts/{gone}")).await).await;
    assert_eq!(contact["data"]["status"], "bounced");
    let second = campaign(
        &app,
        &account,
        open_settings(),
        one_email("Again", "<p>Hi</p>"),
    )
    .await;
    let response = app
        .post(
            &format!("/v1/campaigns/{second}/contacts"),
            &json!({"contactIds": [gone]}),
        )
        .await;
    let body = body_json(response).await;
    assert_eq!(body["data"]["added"], 0);
    assert_eq!(body["data"]["errors"][0]["code"], "BOUNCED");
}

#[tokio::test]
async fn a_temporary_failure_is_retried_later_and_sent_once() {
    let app = spawn_app().await;
    let refuse = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let flag = refuse.clone();
    let sink = SmtpSink::start(SinkConfig {
        on_rcpt: Arc::new(move |_| {
            if flag.load(std::sync::atomic::Ordering::SeqCst) {
                Reply::Temporary(451, "4.3.0 Try again later".into())
            } else {
                Reply::Ok
            }
        }),
        ..SinkConfig::default()
    })
    .await;
    let account = smtp_account(&app, sink.port(), 1000).await;
    let ids = contacts(&app, "r", 1).await;
    let campaign = campaign(
        &app,
        &account,
        open_settings(),
        one_email("Hi", "<p>Hi</p>"),
    )
    .await;
    enrol_and_start(&app, &campaign, &ids).await;

    let refused = app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();
    refuse.store(false, std::sync::atomic::Ordering::SeqCst);
    let too_soon = app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();
    let retried = app.sender.run_once(at(2027, 3, 1, 10, 2)).await.unwrap();
    let after = app.sender.run_once(at(2027, 3, 1, 12, 0)).await.unwrap();

    assert_eq!((refused.sent, refused.retried), (0, 1));
    assert_eq!(too_soon.sent, 0);
    assert_eq!(retried.sent, 1);
    assert_eq!(after.sent, 0);
    assert_eq!(sink.message_count(), 1);
}

#[tokio::test]
async fn a_connection_dropped_after_data_is_uncertain_and_never_resent() {
    let app = spawn_app().await;
    let sink = SmtpSink::start(SinkConfig {
        after_data: Arc::new(|_| AfterData::DropConnection),
        ..SinkConfig::default()
    })
    .await;
    let account = smtp_account(&app, sink.port(), 1000).await;
    let ids = contacts(&app, "u", 1).await;
    let campaign = campaign(
        &app,
        &account,
        open_settings(),
        one_email("Hi", "<p>Hi</p>"),
    )
    .await;
    enrol_and_start(&app, &campaign, &ids).await;

    let first = app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();
    let later = app.sender.run_once(at(2027, 3, 2, 10, 0)).await.unwrap();

    assert_eq!(first.uncertain, 1);
    assert_eq!(later.sent + later.uncertain + later.retried, 0);
    assert_eq!(sink.unacknowledged().len(), 1);
    let stats = stats(&app, &campaign).await;
    assert_eq!(stats["uncertain"], 1);
    assert_eq!(stats["sent"], 0);
}

#[tokio::test]
async fn claims_left_by_a_dead_process_become_uncertain_at_start() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let account = smtp_account(&app, sink.port(), 1000).await;
    let ids = contacts(&app, "d", 1).await;
    let campaign = campaign(
        &app,
        &account,
        open_settings(),
        follow_up_workflow(json!({"hours": 1})),
    )
    .await;
    enrol_and_start(&app, &campaign, &ids).await;
    app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();
    // Pretend the process died while the follow-up was being handed over.
    app.database
        .write(|conn| {
            conn.execute(
                "UPDATE sends SET state = 'claimed' WHERE node_id = 'first'",
                [],
            )?;
            Ok(())
        })
        .await
        .unwrap();

    let settled = app.sender.recover(at(2027, 3, 1, 10, 1)).await.unwrap();
    app.sender.run_once(at(2027, 3, 1, 12, 0)).await.unwrap();

    assert_eq!(settled, 1);
    assert_eq!(sink.message_count(), 2);
    assert_eq!(stats(&app, &campaign).await["uncertain"], 1);
}

#[tokio::test]
async fn pausing_stops_the_next_send_and_resuming_never_resends_a_step() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let account = smtp_account(&app, sink.port(), 1000).await;
    let ids = contacts(&app, "z", 1).await;
    let campaign = campaign(
        &app,
        &account,
        open_settings(),
        follow_up_workflow(json!({"hours": 1})),
    )
    .await;
    enrol_and_start(&app, &campaign, &ids).await;
    app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();

    let paused = app
        .post(&format!("/v1/campaigns/{campaign}/pause"), &json!({}))
        .await;
    assert_eq!(body_json(paused).await["data"]["status"], "paused");
    let while_paused = app.sender.run_once(at(2027, 3, 1, 12, 0)).await.unwrap();
    let resumed = app
        .post(&format!("/v1/campaigns/{campaign}/resume"), &json!({}))
        .await;
    assert_eq!(body_json(resumed).await["data"]["status"], "active");
    let after_resume = app.sender.run_once(at(2027, 3, 1, 12, 5)).await.unwrap();
    let again = app.sender.run_once(at(2027, 3, 2, 12, 5)).await.unwrap();

    assert_eq!(while_paused.sent, 0);
    assert_eq!(after_resume.sent, 1);
    assert_eq!(again.sent, 0);
    let subjects: Vec<_> = sink
        .messages()
        .iter()
        .map(|m| m.header("Subject").unwrap())
        .collect();
    assert_eq!(subjects, ["Quick question", "Re: Quick question"]);
}

#[tokio::test]
async fn one_click_unsubscribe_stops_the_sequence_and_every_later_campaign() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let account = smtp_account(&app, sink.port(), 1000).await;
    let ids = contacts(&app, "x", 1).await;
    let campaign = campaign(
        &app,
        &account,
        open_settings(),
        follow_up_workflow(json!({"hours": 1})),
    )
    .await;
    enrol_and_start(&app, &campaign, &ids).await;
    app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();
    let header = sink.messages()[0].header("List-Unsubscribe").unwrap();
    let path = link_path(&header, PUBLIC, "u").expect("unsubscribe link");

    let response = app
        .client
        .post(format!("{}{path}", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let later = app.sender.run_once(at(2027, 3, 1, 12, 0)).await.unwrap();

    assert_eq!(later.sent, 0);
    assert_eq!(sink.message_count(), 1);
    let progress = progress(&app, &campaign).await;
    assert_eq!(progress[0]["status"], "unsubscribed");
    assert_eq!(stats(&app, &campaign).await["unsubscribed"], 1);
}

#[tokio::test]
async fn hostile_contact_values_cannot_inject_headers_or_markup() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let account = smtp_account(&app, sink.port(), 1000).await;
    let contact = app
        .create_contact(json!({
            "email": "hostile@example.test",
            "firstName": "Eve",
            "customFields": {"note": "x\r\nBcc: victim@example.test", "html": "<script>alert(1)</script>"}
        }))
        .await;
    let campaign = campaign(
        &app,
        &account,
        open_settings(),
        one_email("Hi {{note}}", "<p>{{html}}</p>"),
    )
    .await;
    enrol_and_start(
        &app,
        &campaign,
        &[contact["id"].as_str().unwrap().to_owned()],
    )
    .await;

    app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();

    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].rcpt_to, ["hostile@example.test"]);
    assert!(messages[0].header("Bcc").is_none());
    assert!(!messages[0].header("Subject").unwrap().contains('\n'));
    let text = decoded(&messages[0]);
    let html = text
        .split("Content-Type: text/html")
        .nth(1)
        .expect("an HTML part");
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
}

#[tokio::test]
async fn a_sandbox_account_captures_the_mail_instead_of_sending_it() {
    let app = spawn_app().await;
    let account = app
        .post(
            "/v1/email-accounts",
            &json!({"email": "demo@sandbox.test", "smtp": {"host": "sandbox"}}),
        )
        .await;
    assert_eq!(account.status(), 201);
    let account = body_json(account).await["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ids = contacts(&app, "s", 2).await;
    let campaign = campaign(
        &app,
        &account,
        open_settings(),
        one_email("Hello {{firstName}}", "<p>Hi</p>"),
    )
    .await;
    enrol_and_start(&app, &campaign, &ids).await;

    let outcome = app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();

    assert_eq!(outcome.sent, 2);
    let list = body_json(app.get("/v1/sandbox/messages").await).await;
    assert_eq!(list["meta"]["total"], 2);
    let subjects: Vec<_> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["subject"].as_str().unwrap().to_owned())
        .collect();
    assert!(subjects.contains(&"Hello Name1".to_owned()), "{subjects:?}");
    assert_eq!(stats(&app, &campaign).await["sent"], 2);
}

#[tokio::test]
async fn a_server_that_never_answers_after_data_makes_the_send_uncertain_not_repeated() {
    let app = crate::helpers::spawn_app_with(|config| {
        config.smtp_timeout = std::time::Duration::from_secs(1);
    })
    .await;
    let sink = SmtpSink::start(SinkConfig {
        after_data: Arc::new(|_| AfterData::Hang),
        ..SinkConfig::default()
    })
    .await;
    let account = smtp_account(&app, sink.port(), 1000).await;
    let ids = contacts(&app, "hang", 1).await;
    let campaign = campaign(
        &app,
        &account,
        open_settings(),
        one_email("Hi", "<p>Hi</p>"),
    )
    .await;
    enrol_and_start(&app, &campaign, &ids).await;

    let first = app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();
    let later = app.sender.run_once(at(2027, 3, 2, 10, 0)).await.unwrap();

    assert_eq!(first.uncertain, 1);
    assert_eq!(later.sent + later.uncertain + later.retried, 0);
    assert_eq!(sink.unacknowledged().len(), 1);
    assert_eq!(stats(&app, &campaign).await["uncertain"], 1);
}

#[tokio::test]
async fn an_unreachable_server_is_retried_and_nothing_is_lost() {
    let app = spawn_app().await;
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let account = smtp_account(&app, port, 1000).await;
    let ids = contacts(&app, "down", 2).await;
    let campaign = campaign(
        &app,
        &account,
        open_settings(),
        one_email("Hi", "<p>Hi</p>"),
    )
    .await;
    enrol_and_start(&app, &campaign, &ids).await;

    let outcome = app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();

    assert_eq!((outcome.sent, outcome.retried), (0, 2));
    let pending = crate::helpers::count_rows(
        &app,
        "SELECT count(*) FROM sends WHERE state = 'pending' AND next_attempt_at IS NOT NULL AND last_error LIKE 'SMTP connect%'",
    )
    .await;
    assert_eq!(pending, 2);
    let progress = progress(&app, &campaign).await;
    assert!(
        progress.iter().all(|p| p["status"] == "in_progress"),
        "{progress:?}"
    );
}

#[tokio::test]
async fn a_campaign_that_cannot_be_walked_does_not_stop_the_others() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let account = smtp_account(&app, sink.port(), 1000).await;
    let broken_ids = contacts(&app, "broken", 1).await;
    let healthy_ids = contacts(&app, "healthy", 1).await;
    let broken = campaign(&app, &account, open_settings(), one_email("A", "<p>A</p>")).await;
    let healthy = campaign(&app, &account, open_settings(), one_email("B", "<p>B</p>")).await;
    enrol_and_start(&app, &broken, &broken_ids).await;
    enrol_and_start(&app, &healthy, &healthy_ids).await;
    // Damage the stored workflow behind the API's back.
    let id = broken.clone();
    app.database
        .write(move |conn| {
            conn.execute(
                "UPDATE campaigns SET workflow = '{\"nodes\": 1}' WHERE id = ?1",
                [id],
            )?;
            Ok(())
        })
        .await
        .unwrap();

    let outcome = app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();

    assert_eq!(outcome.sent, 1);
    assert_eq!(sink.messages()[0].rcpt_to, ["healthy1@example.test"]);
    assert_eq!(progress(&app, &broken).await[0]["status"], "pending");
    assert_eq!(
        crate::helpers::count_rows(&app, "SELECT count(*) FROM sends").await,
        1
    );
}
