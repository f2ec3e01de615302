//! The inbox poller against a real IMAP server (dovecot on loopback): replies, automatic
//! replies and delivery reports appended to the mailbox after real sends through the SMTP sink.

use crate::campaign_fixtures::*;
use crate::dovecot::{Dovecot, PASSWORD, USER};
use crate::helpers::{body_json, count_rows, spawn_app, TestApp};
use crate::smtp_sink::SmtpSink;
use serde_json::{json, Value};
use std::sync::Arc;

/// An account sending through the sink and reading dovecot's inbox.
async fn inbox_account(app: &TestApp, sink: &SmtpSink, imap_port: u16, password: &str) -> String {
    let response = app
        .post(
            "/v1/email-accounts",
            &json!({
                "email": "sales@sender.test",
                "displayName": "Sales Team",
                "smtp": {"host": "127.0.0.1", "port": sink.port(), "encryption": "none"},
                "imap": {"host": "127.0.0.1", "port": imap_port, "username": USER,
                         "password": password, "encryption": "none"},
                "dailyLimit": 1000
            }),
        )
        .await;
    let status = response.status();
    let body = body_json(response).await;
    assert_eq!(status, 201, "{body}");
    body["data"]["id"].as_str().expect("account id").to_owned()
}

/// start -> "Quick question" -> 1 day -> threaded follow-up -> end.
fn follow_up() -> Value {
    json!({
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "first", "type": "email", "data": {"subject": "Quick question", "body": "<p>Hi {{firstName}}</p>"}},
            {"id": "wait", "type": "delay", "data": {"days": 1}},
            {"id": "second", "type": "email", "data": {"subject": "", "body": "<p>Bumping this</p>"}},
            {"id": "end", "type": "end"}
        ],
        "edges": [
            {"from": "start", "to": "first"}, {"from": "first", "to": "wait"},
            {"from": "wait", "to": "second"}, {"from": "second", "to": "end"}
        ]
    })
}

/// A campaign of `workflow` sent by a new inbox account to `count` new contacts
/// `<prefix>N@example.test`, first emails sent on 1 March 2027 at 10:00.
struct Sent {
    account: String,
    campaign: String,
    contacts: Vec<String>,
}

async fn send_campaign(
    app: &TestApp,
    sink: &SmtpSink,
    dovecot: &Dovecot,
    prefix: &str,
    count: usize,
    workflow: Value,
) -> Sent {
    let account = inbox_account(app, sink, dovecot.port(), PASSWORD).await;
    let contacts = contacts(app, prefix, count).await;
    let campaign = campaign(app, &account, open_settings(), workflow).await;
    enrol_and_start(app, &campaign, &contacts).await;
    let outcome = app.sender.run_once(at(2027, 3, 1, 10, 0)).await.unwrap();
    assert_eq!(outcome.sent, count);
    Sent {
        account,
        campaign,
        contacts,
    }
}

/// The Message-ID (with angle brackets) of the message the sink received for `rcpt`.
fn message_id_to(sink: &SmtpSink, rcpt: &str) -> String {
    sink.messages()
        .into_iter()
        .find(|message| message.rcpt_to[0] == rcpt)
        .and_then(|message| message.message_id)
        .expect("a message to the recipient")
}

fn messages_to(sink: &SmtpSink, rcpt: &str) -> usize {
    sink.messages()
        .iter()
        .filter(|message| message.rcpt_to[0] == rcpt)
        .count()
}

fn reply(from: &str, subject: &str, in_reply_to: Option<&str>, id: &str, body: &str) -> String {
    let threading = in_reply_to
        .map(|parent| format!("In-Reply-To: {parent}\nReferences: {parent}\n"))
        .unwrap_or_default();
    format!(
        "From: {from}\nTo: Sales Team <sales@sender.test>\nSubject: {subject}\nDate: Mon, 1 Mar 2027 11:00:00 +0000\nMessage-ID: <{id}>\n{threading}MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n{body}\n"
    )
}

/// An RFC 3464 report about `recipient`; the returned message's headers when `original` is set.
fn report(recipient: &str, original: Option<&str>, action: &str, status: &str, id: &str) -> String {
    let returned = original
        .map(|original| {
            format!(
                "--b\nContent-Type: message/rfc822\n\nMessage-ID: {original}\nFrom: Sales Team <sales@sender.test>\nTo: {recipient}\nSubject: Quick question\n\nHi\n\n"
            )
        })
        .unwrap_or_default();
    format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.sender.test>\nTo: sales@sender.test\nSubject: Undelivered Mail Returned to Sender\nMessage-ID: <{id}>\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.sender.test\n\nFinal-Recipient: rfc822; {recipient}\nAction: {action}\nStatus: {status}\nDiagnostic-Code: smtp; {status_code} {status} <{recipient}>: Recipient address rejected\n\n{returned}--b--\n",
        status_code = if status.starts_with('5') { 550 } else { 450 },
    )
}

fn by_email<'a>(progress: &'a [Value], email: &str) -> &'a Value {
    progress
        .iter()
        .find(|p| p["email"] == email)
        .unwrap_or_else(|| panic!("{email} enrolled: {progress:?}"))
}

async fn activity(app: &TestApp, campaign: &str, kind: &str) -> Vec<Value> {
    let response = app
        .get(&format!("/v1/campaigns/{campaign}/activity?type={kind}"))
        .await;
    assert_eq!(response.status(), 200);
    body_json(response).await["data"]
        .as_array()
        .expect("events")
        .clone()
}

async fn contact_status(app: &TestApp, contact: &str) -> Value {
    body_json(app.get(&format!("/v1/contacts/{contact}")).await).await["data"]["status"].clone()
}

/// Subscribes a webhook to every event straight in the table, so the outbox records them.
async fn subscribe_everything(app: &TestApp) {
    app.database
        .write(|conn| {
            conn.execute(
                "INSERT INTO webhooks (id, workspace_id, url, events, secret, created_at, updated_at)
                 SELECT 'wh_inbox_test', workspace_id, 'http://127.0.0.1:9/hook', '[\"*\"]', x'00',
                        '2027-01-01T00:00:00Z', '2027-01-01T00:00:00Z'
                 FROM api_keys ORDER BY rowid LIMIT 1",
                [],
            )?;
            Ok(())
        })
        .await
        .expect("webhook inserted");
}

async fn outbox_payloads(app: &TestApp, kind: &'static str) -> Vec<Value> {
    app.database
        .read(move |conn| {
            let mut statement =
                conn.prepare("SELECT payload FROM webhook_events WHERE type = ?1 ORDER BY seq")?;
            let rows = statement
                .query_map([kind], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
        .expect("outbox read")
        .iter()
        .map(|payload| serde_json::from_str(payload).expect("JSON payload"))
        .collect()
}

#[tokio::test]
async fn a_reply_marks_the_contact_replied_stops_its_follow_up_and_counts_once() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let dovecot = Dovecot::start();
    subscribe_everything(&app).await;
    let sent = send_campaign(&app, &sink, &dovecot, "r", 2, follow_up()).await;
    let parent = message_id_to(&sink, "r1@example.test");
    dovecot
        .append(&reply(
            "Name1 <r1@example.test>",
            "Re: Quick question",
            Some(&parent),
            "reply-1@example.test",
            "Yes, let's talk on Thursday.\n\nOn Mon, 1 Mar 2027 Sales Team wrote:\n> Hi Name1",
        ))
        .await;

    let outcome = app.inbox.run_once(at(2027, 3, 1, 12, 0)).await.unwrap();
    let follow_ups = app.sender.run_once(at(2027, 3, 2, 10, 30)).await.unwrap();

    assert_eq!(
        (outcome.accounts, outcome.failed, outcome.replies),
        (1, 0, 1)
    );
    assert_eq!(follow_ups.sent, 1, "only the contact who did not reply");
    assert_eq!(messages_to(&sink, "r1@example.test"), 1);
    assert_eq!(messages_to(&sink, "r2@example.test"), 2);
    let progress = progress(&app, &sent.campaign).await;
    assert_eq!(by_email(&progress, "r1@example.test")["status"], "replied");
    assert_eq!(contact_status(&app, &sent.contacts[0]).await, "replied");
    let stats = stats(&app, &sent.campaign).await;
    assert_eq!(stats["replied"], 1);
    let events = activity(&app, &sent.campaign, "replied").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["contactId"], sent.contacts[0].as_str());
    assert_eq!(events[0]["emailNodeId"], "first");
    assert_eq!(events[0]["metadata"]["subject"], "Re: Quick question");
    assert_eq!(
        events[0]["metadata"]["preview"],
        "Yes, let's talk on Thursday."
    );
    let payloads = outbox_payloads(&app, "email.replied").await;
    assert_eq!(payloads.len(), 1);
    let data = &payloads[0]["data"];
    assert_eq!(data["campaignId"], sent.campaign.as_str());
    assert_eq!(data["campaignName"], "Test campaign");
    assert_eq!(data["contactId"], sent.contacts[0].as_str());
    assert_eq!(data["contactEmail"], "r1@example.test");
    assert_eq!(data["emailNodeId"], "first");
    assert_eq!(data["replySubject"], "Re: Quick question");
    assert_eq!(data["replyPreview"], "Yes, let's talk on Thursday.");
    assert_eq!(dovecot.seen().await, (0, 1), "the reply stays unread");
}

#[tokio::test]
async fn a_reply_without_threading_headers_is_matched_by_its_sender_and_subject() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let dovecot = Dovecot::start();
    let sent = send_campaign(&app, &sink, &dovecot, "f", 2, follow_up()).await;
    dovecot
        .append(&reply(
            "Name1 <F1@Example.test>",
            "RE: AW:  Quick question",
            None,
            "outlook-1@example.test",
            "Interested.",
        ))
        .await;
    // The other contact writes about something else: not a reply to the campaign.
    dovecot
        .append(&reply(
            "Name2 <f2@example.test>",
            "Invoice 42",
            None,
            "other-1@example.test",
            "Please find the invoice.",
        ))
        .await;

    let outcome = app.inbox.run_once(at(2027, 3, 1, 12, 0)).await.unwrap();

    assert_eq!((outcome.replies, outcome.unmatched), (1, 1));
    let progress = progress(&app, &sent.campaign).await;
    assert_eq!(by_email(&progress, "f1@example.test")["status"], "replied");
    assert_eq!(
        by_email(&progress, "f2@example.test")["status"],
        "in_progress"
    );
    assert_eq!(stats(&app, &sent.campaign).await["replied"], 1);
    let kinds = count_rows(
        &app,
        "SELECT count(*) FROM inbox_messages WHERE kind = 'unmatched' AND send_seq IS NULL",
    )
    .await;
    assert_eq!(kinds, 1);
}

#[tokio::test]
async fn an_auto_reply_is_recorded_as_such_and_never_counted_as_a_reply() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let dovecot = Dovecot::start();
    let sent = send_campaign(&app, &sink, &dovecot, "o", 1, follow_up()).await;
    let parent = message_id_to(&sink, "o1@example.test");
    let out_of_office = reply(
        "Name1 <o1@example.test>",
        "Automatic reply: Quick question",
        Some(&parent),
        "oof-1@example.test",
        "I am out of the office until Monday.",
    )
    .replace("MIME-Version", "Auto-Submitted: auto-replied\nMIME-Version");
    dovecot.append(&out_of_office).await;

    let outcome = app.inbox.run_once(at(2027, 3, 1, 12, 0)).await.unwrap();
    let follow_ups = app.sender.run_once(at(2027, 3, 2, 10, 30)).await.unwrap();

    assert_eq!((outcome.auto_replies, outcome.replies), (1, 0));
    assert_eq!(follow_ups.sent, 1, "the sequence goes on");
    assert_eq!(stats(&app, &sent.campaign).await["replied"], 0);
    assert!(activity(&app, &sent.campaign, "replied").await.is_empty());
    assert_eq!(contact_status(&app, &sent.contacts[0]).await, "active");
    let recorded = count_rows(
        &app,
        "SELECT count(*) FROM inbox_messages WHERE kind = 'auto_reply' AND send_seq IS NOT NULL",
    )
    .await;
    assert_eq!(recorded, 1);
}

#[tokio::test]
async fn a_hard_bounce_report_bounces_and_suppresses_the_right_contact() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let dovecot = Dovecot::start();
    subscribe_everything(&app).await;
    let sent = send_campaign(
        &app,
        &sink,
        &dovecot,
        "b",
        3,
        one_email("Quick question", "<p>Hi</p>"),
    )
    .await;
    // One report returns the original message; the other only names the recipient.
    let original = message_id_to(&sink, "b1@example.test");
    dovecot
        .append(&report(
            "b1@example.test",
            Some(&original),
            "failed",
            "5.1.1",
            "dsn-1@mx.sender.test",
        ))
        .await;
    dovecot
        .append(&report(
            "B2@example.test",
            None,
            "failed",
            "5.1.1",
            "dsn-2@mx.sender.test",
        ))
        .await;

    let outcome = app.inbox.run_once(at(2027, 3, 1, 12, 0)).await.unwrap();

    assert_eq!(outcome.bounces, 2);
    assert_eq!(contact_status(&app, &sent.contacts[0]).await, "bounced");
    assert_eq!(contact_status(&app, &sent.contacts[1]).await, "bounced");
    assert_eq!(contact_status(&app, &sent.contacts[2]).await, "active");
    let stats = stats(&app, &sent.campaign).await;
    assert_eq!(
        (&stats["sent"], &stats["bounced"], &stats["delivered"]),
        (&json!(3), &json!(2), &json!(1))
    );
    let progress = progress(&app, &sent.campaign).await;
    assert_eq!(by_email(&progress, "b1@example.test")["status"], "bounced");
    assert_eq!(
        by_email(&progress, "b3@example.test")["status"],
        "completed"
    );
    let events = activity(&app, &sent.campaign, "bounced").await;
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e["metadata"]["bounceType"] == "hard"));
    let payloads = outbox_payloads(&app, "email.bounced").await;
    assert_eq!(payloads.len(), 2);
    assert_eq!(payloads[0]["data"]["bounceType"], "hard");
    assert!(
        payloads[0]["data"]["bounceReason"]
            .as_str()
            .unwrap()
            .starts_with("550 5.1.1"),
        "{}",
        payloads[0]
    );
    // Suppressed everywhere: another campaign refuses the contact.
    let other = campaign(
        &app,
        &sent.account,
        open_settings(),
        one_email("Again", "<p>Hi</p>"),
    )
    .await;
    let response = app
        .post(
            &format!("/v1/campaigns/{other}/contacts"),
            &json!({"contactIds": [sent.contacts[0]]}),
        )
        .await;
    assert_eq!(
        body_json(response).await["data"]["errors"][0]["code"],
        "BOUNCED"
    );
}

#[tokio::test]
async fn a_soft_bounce_marks_the_send_but_suppresses_nothing() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let dovecot = Dovecot::start();
    let sent = send_campaign(&app, &sink, &dovecot, "s", 1, follow_up()).await;
    let original = message_id_to(&sink, "s1@example.test");
    dovecot
        .append(&report(
            "s1@example.test",
            Some(&original),
            "delayed",
            "4.4.1",
            "delay-1@mx.sender.test",
        ))
        .await;

    let outcome = app.inbox.run_once(at(2027, 3, 1, 12, 0)).await.unwrap();
    let follow_ups = app.sender.run_once(at(2027, 3, 2, 10, 30)).await.unwrap();

    assert_eq!(outcome.bounces, 1);
    assert_eq!(follow_ups.sent, 1);
    assert_eq!(contact_status(&app, &sent.contacts[0]).await, "active");
    assert_eq!(stats(&app, &sent.campaign).await["bounced"], 0);
    let soft = count_rows(
        &app,
        "SELECT count(*) FROM sends WHERE node_id = 'first' AND state = 'sent' AND bounce_type = 'soft'",
    )
    .await;
    assert_eq!(soft, 1);
    let events = activity(&app, &sent.campaign, "bounced").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["metadata"]["bounceType"], "soft");
}

/// A configuration like the test app's (same secret), for a second poller.
fn test_config(app: &TestApp) -> fluenzr::config::Config {
    let mut config = fluenzr::config::Config::with_defaults(app.db_path.clone(), "127.0.0.1:0");
    config.secret_key = fluenzr::config::Secret::new("test-secret".to_owned());
    config
}

#[tokio::test]
async fn polling_again_or_after_a_restart_never_counts_a_message_twice() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let dovecot = Dovecot::start();
    subscribe_everything(&app).await;
    let sent = send_campaign(
        &app,
        &sink,
        &dovecot,
        "d",
        2,
        one_email("Quick question", "<p>Hi</p>"),
    )
    .await;
    let parent = message_id_to(&sink, "d1@example.test");
    dovecot
        .append(&reply(
            "d1@example.test",
            "Re: Quick question",
            Some(&parent),
            "dup-reply@example.test",
            "Sure.",
        ))
        .await;
    let original = message_id_to(&sink, "d2@example.test");
    dovecot
        .append(&report(
            "d2@example.test",
            Some(&original),
            "failed",
            "5.1.1",
            "dup-dsn@mx.sender.test",
        ))
        .await;

    let first = app.inbox.run_once(at(2027, 3, 1, 12, 0)).await.unwrap();
    let second = app.inbox.run_once(at(2027, 3, 1, 12, 5)).await.unwrap();
    // A new process whose position was lost reads the whole mailbox again.
    app.database
        .write(|conn| {
            conn.execute("UPDATE inbox_state SET last_uid = 0", [])?;
            Ok(())
        })
        .await
        .unwrap();
    let restarted = fluenzr::inbox::Inbox::new(app.database.clone(), Arc::new(test_config(&app)));
    let third = restarted.run_once(at(2027, 3, 1, 12, 10)).await.unwrap();

    assert_eq!((first.replies, first.bounces), (1, 1));
    assert_eq!(
        (second.replies, second.bounces, second.duplicates),
        (0, 0, 0)
    );
    assert_eq!((third.replies, third.bounces, third.duplicates), (0, 0, 2));
    let stats = stats(&app, &sent.campaign).await;
    assert_eq!(
        (&stats["replied"], &stats["bounced"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(activity(&app, &sent.campaign, "replied").await.len(), 1);
    assert_eq!(activity(&app, &sent.campaign, "bounced").await.len(), 1);
    assert_eq!(outbox_payloads(&app, "email.replied").await.len(), 1);
    assert_eq!(outbox_payloads(&app, "email.bounced").await.len(), 1);
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM inbox_messages").await,
        2
    );
}

#[tokio::test]
async fn a_changed_uidvalidity_rereads_the_mailbox_without_counting_twice() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let dovecot = Dovecot::start();
    let sent = send_campaign(
        &app,
        &sink,
        &dovecot,
        "v",
        2,
        one_email("Quick question", "<p>Hi</p>"),
    )
    .await;
    let first_parent = message_id_to(&sink, "v1@example.test");
    dovecot
        .append(&reply(
            "v1@example.test",
            "Re: Quick question",
            Some(&first_parent),
            "validity-1@example.test",
            "Sure.",
        ))
        .await;
    let before = app.inbox.run_once(at(2027, 3, 1, 12, 0)).await.unwrap();
    dovecot.set_uid_validity(4242);
    let second_parent = message_id_to(&sink, "v2@example.test");
    dovecot
        .append(&reply(
            "v2@example.test",
            "Re: Quick question",
            Some(&second_parent),
            "validity-2@example.test",
            "Me too.",
        ))
        .await;

    let after = app.inbox.run_once(at(2027, 3, 1, 13, 0)).await.unwrap();

    assert_eq!(before.replies, 1);
    assert_eq!((after.replies, after.duplicates), (1, 1));
    assert_eq!(stats(&app, &sent.campaign).await["replied"], 2);
    assert_eq!(activity(&app, &sent.campaign, "replied").await.len(), 2);
    let validity = count_rows(&app, "SELECT uid_validity FROM inbox_state").await;
    assert_eq!(validity, 4242);
}

#[tokio::test]
async fn a_failing_inbox_marks_its_account_and_the_other_accounts_are_still_polled() {
    let app = spawn_app().await;
    let sink = SmtpSink::start_default().await;
    let dovecot = Dovecot::start();
    let sent = send_campaign(
        &app,
        &sink,
        &dovecot,
        "e",
        1,
        one_email("Quick question", "<p>Hi</p>"),
    )
    .await;
    let wrong_password = inbox_account(&app, &sink, dovecot.port(), "not-the-password").await;
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let unreachable = inbox_account(&app, &sink, closed_port, PASSWORD).await;
    // The working account carries an inbox error from an earlier poll: it clears.
    app.database
        .write(|conn| {
            conn.execute(
                "UPDATE email_accounts SET status = 'error', last_error = 'IMAP connect: earlier'
                 WHERE seq = (SELECT min(seq) FROM email_accounts)",
                [],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let parent = message_id_to(&sink, "e1@example.test");
    dovecot
        .append(&reply(
            "e1@example.test",
            "Re: Quick question",
            Some(&parent),
            "error-test@example.test",
            "Sure.",
        ))
        .await;

    let outcome = app.inbox.run_once(at(2027, 3, 1, 12, 0)).await.unwrap();

    assert_eq!(
        (outcome.accounts, outcome.failed, outcome.replies),
        (3, 2, 1)
    );
    let account = |id: String| {
        let app = &app;
        async move {
            body_json(app.get(&format!("/v1/email-accounts/{id}")).await).await["data"].clone()
        }
    };
    let refused = account(wrong_password).await;
    assert_eq!(refused["status"], "error");
    let error = refused["lastError"].as_str().unwrap();
    assert!(error.starts_with("IMAP auth"), "{error}");
    assert!(!error.contains("not-the-password"), "{error}");
    let down = account(unreachable).await;
    assert_eq!(down["status"], "error");
    assert!(
        down["lastError"]
            .as_str()
            .unwrap()
            .starts_with("IMAP connect"),
        "{down}"
    );
    let working = account(sent.account).await;
    assert_eq!(
        (&working["status"], &working["lastError"]),
        (&json!("active"), &Value::Null)
    );
    assert_eq!(stats(&app, &sent.campaign).await["replied"], 1);
}
