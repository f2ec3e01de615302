//! Pending webhook deliveries survive `kill -9`: the real `fluenzr` binary, a receiver that is
//! down during the first run and up during the second, and every event delivered once with its
//! event id.

use crate::webhook_fixtures::{
    emit_on, first_workspace, insert_webhook, new_secret, SERVER_SECRET_KEY,
};
use crate::webhook_receiver::{Receiver, Reply};
use fluenzr::domain::workspace::Plan;
use rusqlite::Connection;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_fluenzr");
const EVENTS: usize = 40;
const TIMEOUT: Duration = Duration::from_secs(60);

/// A `fluenzr serve` child; SIGKILLed when dropped.
struct Server(Child);

impl Server {
    /// Starts the binary with the sender (and so the dispatcher) on, and waits until it listens.
    fn start(db: &Path) -> Server {
        let mut child = Command::new(BINARY)
            .args(["serve", "--bind", "127.0.0.1:0", "--db"])
            .arg(db)
            .env("FLUENZR_SECRET_KEY", SERVER_SECRET_KEY)
            .env("FLUENZR_WEBHOOK_RETRY_SCHEDULE", "1,1,1,1")
            .env("FLUENZR_WEBHOOK_ALLOW_PRIVATE", "true")
            .env("FLUENZR_WORKERS", "1")
            .env("FLUENZR_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("fluenzr serve starts");
        let (listening, started) = mpsc::channel();
        let err = child.stderr.take().expect("stderr piped");
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if line.contains("fluenzr is listening") {
                    let _ = listening.send(());
                }
            }
        });
        started.recv_timeout(TIMEOUT).expect("the server starts");
        Server(child)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn = Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn.query_row(sql, [], |row| row.get(0)).unwrap()
}

/// Polls (off the async workers) until `sql` counts at least `wanted`.
async fn wait_for(db: &Path, sql: &'static str, wanted: i64) {
    let db = db.to_owned();
    tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let found = count(&db, sql);
            if found >= wanted {
                return;
            }
            assert!(Instant::now() < deadline, "{sql}: {found} of {wanted}");
            std::thread::sleep(Duration::from_millis(25));
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn pending_deliveries_survive_kill_9_and_every_event_arrives_once_with_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fluenzr.db");
    // A port with nobody listening yet: the first run gets "connection refused".
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut payloads = HashMap::new();
    {
        let mut conn = fluenzr::db::open_connection(&db).unwrap();
        fluenzr::db::migrate::migrate(&mut conn).unwrap();
        fluenzr::db::workspaces::create(&conn, "Crash", Plan::Pro, "2025-01-15T10:30:00Z").unwrap();
        let workspace = first_workspace(&conn);
        let url = format!("http://127.0.0.1:{port}/hook");
        insert_webhook(&conn, &workspace, &url, &["*"], &new_secret(), "active");
        for index in 0..EVENTS {
            let id = emit_on(&conn, &workspace, "contact.created", &json!({"n": index}));
            let payload: String = conn
                .query_row(
                    "SELECT payload FROM webhook_events WHERE id = ?1",
                    [&id],
                    |row| row.get(0),
                )
                .unwrap();
            payloads.insert(id, payload);
        }
    }

    let first = tokio::task::spawn_blocking({
        let db = db.clone();
        move || Server::start(&db)
    })
    .await
    .unwrap();
    wait_for(
        &db,
        "SELECT count(*) FROM webhook_deliveries WHERE status = 'retrying'",
        EVENTS as i64,
    )
    .await;
    drop(first); // SIGKILL
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"
        ),
        EVENTS as i64,
        "each event has exactly one pending attempt after the kill"
    );

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let receiver = Receiver::serve(listener, vec![Reply::status(200)]);
    let _second = tokio::task::spawn_blocking({
        let db = db.clone();
        move || Server::start(&db)
    })
    .await
    .unwrap();
    wait_for(
        &db,
        "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'",
        EVENTS as i64,
    )
    .await;

    let received = receiver.received();
    assert_eq!(received.len(), EVENTS, "every event exactly once");
    let ids: HashSet<String> = received
        .iter()
        .map(|request| request.header("webhook-id").to_owned())
        .collect();
    assert_eq!(ids, payloads.keys().cloned().collect());
    for request in &received {
        let id = request.header("webhook-id");
        assert_eq!(request.body, payloads[id].as_bytes(), "{id}");
    }
}
