//! The sink against a real client (lettre): reused connections, AUTH, STARTTLS, scripted replies,
//! dropped connections, the log file and many concurrent connections.

use super::{AfterData, Reply, SinkConfig, SmtpSink};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{AsyncSmtpConnection, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(10);

fn message(to: &str, id: &str, body: &str) -> Message {
    Message::builder()
        .from("Sender <sender@example.test>".parse::<Mailbox>().unwrap())
        .to(to.parse::<Mailbox>().unwrap())
        .subject(format!("Hello {to}"))
        .message_id(Some(format!("<{id}@example.test>")))
        .body(body.to_owned())
        .unwrap()
}

/// One connection as the product opens it: its own TcpStream with TCP_NODELAY.
async fn connect(port: u16) -> AsyncSmtpConnection {
    let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.set_nodelay(true).unwrap();
    AsyncSmtpConnection::connect_with_transport(
        Box::new(stream),
        &ClientId::Domain("client.test".into()),
    )
    .await
    .unwrap()
}

async fn send_on(connection: &mut AsyncSmtpConnection, message: &Message) {
    connection
        .send(message.envelope(), &message.formatted())
        .await
        .unwrap();
}

fn plain_transport(port: u16) -> lettre::transport::smtp::AsyncSmtpTransportBuilder {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(Some(WAIT))
}

#[tokio::test]
async fn several_messages_over_one_connection_arrive_in_order_and_unstuffed() {
    let sink = SmtpSink::start_default().await;
    let mut connection = connect(sink.port()).await;

    send_on(&mut connection, &message("a@example.test", "m1", "first")).await;
    assert!(connection.test_connected().await, "NOOP answered");
    connection.command("RSET\r\n").await.unwrap();
    // A line starting with a dot is doubled on the wire and must come out single.
    send_on(
        &mut connection,
        &message("b@example.test", "m2", "line one\r\n.hidden dot\r\n..two"),
    )
    .await;
    send_on(&mut connection, &message("c@example.test", "m3", "third")).await;
    connection.quit().await.unwrap();

    let messages = sink.wait_for(3, WAIT).await;
    assert_eq!(sink.connections(), 1);
    let recipients: Vec<_> = messages.iter().map(|m| m.rcpt_to.join(",")).collect();
    assert_eq!(
        recipients,
        ["a@example.test", "b@example.test", "c@example.test"]
    );
    assert_eq!(messages[0].mail_from, "sender@example.test");
    assert_eq!(messages[1].message_id.as_deref(), Some("<m2@example.test>"));
    assert_eq!(
        messages[1].header("subject").as_deref(),
        Some("Hello b@example.test")
    );
    assert_eq!(messages[1].body(), "line one\r\n.hidden dot\r\n..two\r\n");
    assert!(!messages[0].tls);
    assert!(sink.unacknowledged().is_empty());
}

#[tokio::test]
async fn folded_headers_are_unfolded() {
    let sink = SmtpSink::start_default().await;
    let mut connection = connect(sink.port()).await;
    let raw = b"Message-ID:\r\n <folded@example.test>\r\nSubject: one\r\n\ttwo\r\n\r\nbody\r\n";
    let envelope = lettre::address::Envelope::new(
        Some("s@example.test".parse().unwrap()),
        vec!["r@example.test".parse().unwrap()],
    )
    .unwrap();
    connection.send(&envelope, raw).await.unwrap();

    let messages = sink.wait_for(1, WAIT).await;
    assert_eq!(
        messages[0].message_id.as_deref(),
        Some("<folded@example.test>")
    );
    assert_eq!(messages[0].header("Subject").as_deref(), Some("one\ttwo"));
    assert_eq!(messages[0].header("X-Missing"), None);
}

#[tokio::test]
async fn auth_is_required_when_configured_and_checks_the_password() {
    let sink = SmtpSink::start(SinkConfig {
        auth: Some(("user".into(), "secret".into())),
        ..SinkConfig::default()
    })
    .await;
    let good = plain_transport(sink.port())
        .credentials(Credentials::new("user".into(), "secret".into()))
        .build::<Tokio1Executor>();
    let wrong = plain_transport(sink.port())
        .credentials(Credentials::new("user".into(), "nope".into()))
        .build::<Tokio1Executor>();
    let anonymous = plain_transport(sink.port()).build::<Tokio1Executor>();
    let login = plain_transport(sink.port())
        .credentials(Credentials::new("user".into(), "secret".into()))
        .authentication(vec![
            lettre::transport::smtp::authentication::Mechanism::Login,
        ])
        .build::<Tokio1Executor>();

    good.send(message("a@example.test", "plain", "x"))
        .await
        .unwrap();
    login
        .send(message("b@example.test", "login", "x"))
        .await
        .unwrap();
    let refused = wrong.send(message("c@example.test", "w", "x")).await;
    let unauthenticated = anonymous.send(message("d@example.test", "u", "x")).await;

    let error = refused.expect_err("a wrong password fails");
    assert_eq!(
        error.status().map(|c| c.to_string()).as_deref(),
        Some("535")
    );
    let error = unauthenticated.expect_err("MAIL without AUTH fails");
    assert_eq!(
        error.status().map(|c| c.to_string()).as_deref(),
        Some("530")
    );
    let messages = sink.messages();
    assert_eq!(messages.len(), 2);
    assert!(messages
        .iter()
        .all(|m| m.authenticated_as.as_deref() == Some("user")));
}

#[tokio::test]
async fn starttls_upgrades_the_connection_with_a_self_signed_certificate() {
    let sink = SmtpSink::start(SinkConfig {
        starttls: true,
        auth: Some(("user".into(), "secret".into())),
        ..SinkConfig::default()
    })
    .await;
    let tls = TlsParameters::builder("localhost".into())
        .dangerous_accept_invalid_certs(true)
        .build()
        .unwrap();
    let transport = plain_transport(sink.port())
        .tls(Tls::Required(tls))
        .credentials(Credentials::new("user".into(), "secret".into()))
        .build::<Tokio1Executor>();

    transport
        .send(message("a@example.test", "tls", "secret body"))
        .await
        .unwrap();

    let messages = sink.wait_for(1, WAIT).await;
    assert!(messages[0].tls, "the message came over TLS");
    assert_eq!(messages[0].authenticated_as.as_deref(), Some("user"));
}

#[tokio::test]
async fn rcpt_replies_550_and_451_as_scripted_and_nothing_is_stored() {
    let sink = SmtpSink::start(SinkConfig {
        on_rcpt: Arc::new(|rcpt| match rcpt {
            "gone@example.test" => Reply::Permanent(550, "5.1.1 No such user".into()),
            "busy@example.test" => Reply::Temporary(451, "4.3.0 Try again later".into()),
            _ => Reply::Ok,
        }),
        ..SinkConfig::default()
    })
    .await;
    let mut connection = connect(sink.port()).await;

    let permanent = message("gone@example.test", "p", "x");
    let error = connection
        .send(permanent.envelope(), &permanent.formatted())
        .await
        .expect_err("550 at RCPT");
    assert!(error.is_permanent(), "{error}");
    assert_eq!(
        error.status().map(|c| c.to_string()).as_deref(),
        Some("550")
    );
    // lettre quits and closes the connection after any negative reply.
    assert!(connection.has_broken());
    let mut connection = connect(sink.port()).await;
    let temporary = message("busy@example.test", "t", "x");
    let error = connection
        .send(temporary.envelope(), &temporary.formatted())
        .await
        .expect_err("451 at RCPT");
    assert!(error.is_transient(), "{error}");
    assert_eq!(
        error.status().map(|c| c.to_string()).as_deref(),
        Some("451")
    );
    let mut connection = connect(sink.port()).await;
    send_on(&mut connection, &message("ok@example.test", "ok", "x")).await;

    let messages = sink.wait_for(1, WAIT).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].rcpt_to, ["ok@example.test"]);
}

#[tokio::test]
async fn a_dropped_connection_after_data_leaves_the_message_unacknowledged() {
    let sink = SmtpSink::start(SinkConfig {
        after_data: Arc::new(|received| {
            if received.rcpt_to[0].starts_with("drop") {
                AfterData::DropConnection
            } else {
                AfterData::Accept
            }
        }),
        ..SinkConfig::default()
    })
    .await;
    let mut connection = connect(sink.port()).await;
    send_on(&mut connection, &message("keep@example.test", "k", "x")).await;

    let dropped = message("drop@example.test", "d", "x");
    let result = connection
        .send(dropped.envelope(), &dropped.formatted())
        .await;

    assert!(result.is_err(), "no reply after DATA is an error");
    assert_eq!(sink.messages().len(), 1);
    let unacknowledged = sink.wait_for_unacknowledged(1, WAIT).await;
    assert_eq!(
        unacknowledged[0].message_id.as_deref(),
        Some("<d@example.test>")
    );
}

#[tokio::test]
async fn after_data_replies_4xx_and_5xx_without_storing_and_hang_never_replies() {
    let sink = SmtpSink::start(SinkConfig {
        after_data: Arc::new(|received| match received.rcpt_to[0].as_str() {
            "temp@example.test" => AfterData::Temporary(452, "4.3.1 Full".into()),
            "perm@example.test" => AfterData::Permanent(554, "5.7.1 Rejected".into()),
            "hang@example.test" => AfterData::Hang,
            _ => AfterData::Accept,
        }),
        greeting_delay: Some(Duration::from_millis(50)),
        ..SinkConfig::default()
    })
    .await;
    let transport = plain_transport(sink.port()).build::<Tokio1Executor>();

    let temporary = transport.send(message("temp@example.test", "t", "x")).await;
    let permanent = transport.send(message("perm@example.test", "p", "x")).await;
    // lettre's timeout covers connecting only: a silent server needs a timeout around the send.
    let hung = tokio::time::timeout(
        Duration::from_millis(500),
        transport.send(message("hang@example.test", "h", "x")),
    )
    .await;

    assert!(temporary.expect_err("452").is_transient());
    assert!(permanent.expect_err("554").is_permanent());
    assert!(hung.is_err(), "no reply after DATA");
    assert!(sink.messages().is_empty());
    assert_eq!(sink.unacknowledged().len(), 1);
    assert_eq!(sink.connections(), 3);
}

#[tokio::test]
async fn the_log_file_gets_one_line_per_accepted_recipient() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sink.log");
    let sink = SmtpSink::start(SinkConfig {
        log_file: Some(log.clone()),
        after_data: Arc::new(|received| match received.rcpt_to[0].as_str() {
            "drop@example.test" => AfterData::DropConnection,
            _ => AfterData::Accept,
        }),
        ..SinkConfig::default()
    })
    .await;
    let mut connection = connect(sink.port()).await;
    send_on(&mut connection, &message("a@example.test", "1", "x")).await;
    send_on(&mut connection, &message("b@example.test", "2", "x")).await;
    let dropped = message("drop@example.test", "3", "x");
    let _ = connection
        .send(dropped.envelope(), &dropped.formatted())
        .await;

    sink.wait_for(2, WAIT).await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        text,
        "<1@example.test>\ta@example.test\n<2@example.test>\tb@example.test\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_connections_each_send_many_messages() {
    let sink = SmtpSink::start_default().await;
    let port = sink.port();
    let started = std::time::Instant::now();
    let clients: Vec<_> = (0..8)
        .map(|client| {
            tokio::spawn(async move {
                let mut connection = connect(port).await;
                for n in 0..250 {
                    let to = format!("c{client}-{n}@example.test");
                    send_on(
                        &mut connection,
                        &message(&to, &format!("{client}.{n}"), "x"),
                    )
                    .await;
                }
                connection.quit().await.unwrap();
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }

    let messages = sink.wait_for(2000, WAIT).await;
    let elapsed = started.elapsed();
    eprintln!(
        "sink: 2000 messages over 8 connections in {elapsed:?} ({:.0}/s)",
        2000.0 / elapsed.as_secs_f64()
    );
    assert_eq!(messages.len(), 2000);
    assert_eq!(sink.connections(), 8);
    let mut ids: Vec<_> = messages
        .iter()
        .filter_map(|m| m.message_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 2000, "every message once");
}
