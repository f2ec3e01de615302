//! `kill -9` while a campaign sends: the real `fluenzr` binary, a real SMTP sink, repeated kills
//! and restarts, then proof from the sink's own log that no recipient got the email twice.

use crate::smtp_sink::{SinkConfig, SmtpSink};
use reqwest::Method;
use rusqlite::Connection;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_fluenzr");
const CONTACTS: usize = 10_000;
/// How far the sink log grows between a (re)start and the next kill: varied on purpose.
const KILL_AFTER: [usize; 4] = [1_500, 2_300, 1_800, 2_500];
/// The last run must still have this many messages to send after the last kill.
const LEFT_FOR_THE_LAST_RUN: usize = 800;
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one run may take to send the next batch before the test gives up.
const PROGRESS_TIMEOUT: Duration = Duration::from_secs(60);
const FINISH_TIMEOUT: Duration = Duration::from_secs(300);

/// A `fluenzr serve` child process; killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    stdout: mpsc::Receiver<String>,
    /// The last lines of its log (stderr), for failure messages.
    log_tail: Arc<Mutex<VecDeque<String>>>,
}

impl Server {
    /// Starts the binary on `db` and `port` and waits until it logs that it listens (blocking).
    fn start(db: &Path, port: u16) -> Server {
        let mut child = Command::new(BINARY)
            .arg("serve")
            .arg("--db")
            .arg(db)
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .env("FLUENZR_SECRET_KEY", "test-secret")
            .env("FLUENZR_RATE_LIMIT_PER_MINUTE", "1000000")
            .env("FLUENZR_WORKERS", "2")
            .env("FLUENZR_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("fluenzr serve starts");
        let (stdout_sender, stdout) = mpsc::channel();
        let out = child.stdout.take().expect("stdout piped");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = stdout_sender.send(line);
            }
        });
        let log_tail = Arc::new(Mutex::new(VecDeque::new()));
        let (listening_sender, listening) = mpsc::channel();
        let err = child.stderr.take().expect("stderr piped");
        let tail = log_tail.clone();
        // Reads to the end, so the child never blocks on (or dies of) a full or closed pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if line.contains("fluenzr is listening") {
                    let _ = listening_sender.send(());
                }
                let mut tail = tail.lock().unwrap();
                if tail.len() == 40 {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        });
        let mut server = Server {
            child,
            stdout,
            log_tail,
        };
        if listening.recv_timeout(START_TIMEOUT).is_err() {
            panic!("the server did not start: {}", server.kill_and_tail());
        }
        server
    }

    /// The API key the first start prints on a line of its own.
    fn first_start_key(&self) -> String {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.stdout.recv_timeout(left).expect("a key on stdout");
            if line.starts_with("flz_sk_") {
                return line.trim().to_owned();
            }
        }
    }

    /// SIGKILL, then wait until the process is gone; returns its last log lines.
    fn kill_and_tail(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let tail = self.log_tail.lock().unwrap();
        tail.iter().cloned().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the server off the async workers (it blocks while waiting for the log line).
async fn start_server(db: &Path, port: u16) -> Server {
    let db = db.to_owned();
    tokio::task::spawn_blocking(move || Server::start(&db, port))
        .await
        .unwrap()
}

/// Kills the server with SIGKILL and counts the sends left `claimed` in the file (in flight).
async fn kill_and_count_claimed(mut server: Server, db: &Path) -> i64 {
    let db = db.to_owned();
    tokio::task::spawn_blocking(move || {
        server.kill_and_tail();
        let conn = Connection::open(&db).unwrap();
        conn.query_row(
            "SELECT count(*) FROM sends WHERE state = 'claimed'",
            [],
            |row| row.get(0),
        )
        .unwrap()
    })
    .await
    .unwrap()
}

/// HTTP calls with one key; a fresh client per server run (no pooled connection to a dead one).
struct Api {
    base: String,
    key: String,
    client: reqwest::Client,
}

impl Api {
    fn new(port: u16, key: &str) -> Api {
        Api {
            base: format!("http://127.0.0.1:{port}"),
            key: key.to_owned(),
            client: reqwest::Client::new(),
        }
    }

    /// A call that must succeed; returns `data`.
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["success"], true, "{method} {path}: {body}");
        body["data"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(Method::POST, path, Some(body)).await
    }
}

fn recipient(n: usize) -> String {
    format!("r{n:05}@example.test")
}

/// Account, 10,000 contacts in a group, and a started one-email campaign; returns its id.
async fn start_campaign(api: &Api, smtp_port: u16) -> String {
    let account = api
        .post(
            "/v1/email-accounts",
            json!({"email": "sender@example.test", "displayName": "Sender",
                   "smtp": {"host": "127.0.0.1", "port": smtp_port, "encryption": "none"},
                   "dailyLimit": 100_000}),
        )
        .await;
    let group = api.post("/v1/groups", json!({"name": "crash"})).await;
    let group_id = group["id"].as_str().unwrap().to_owned();
    for chunk in (1..=CONTACTS).collect::<Vec<_>>().chunks(1000) {
        let contacts: Vec<Value> = chunk
            .iter()
            .map(|n| json!({"email": recipient(*n), "firstName": format!("R{n}")}))
            .collect();
        let result = api
            .post(
                "/v1/contacts/bulk",
                json!({"contacts": contacts, "groupIds": [group_id]}),
            )
            .await;
        assert_eq!(result["created"], chunk.len(), "{result}");
    }
    let campaign = api
        .post(
            "/v1/campaigns",
            json!({
                "name": "Crash",
                "emailAccountId": account["id"],
                "settings": {
                    "sendDays": ["monday", "tuesday", "wednesday", "thursday", "friday",
                                 "saturday", "sunday"],
                    "sendHoursStart": 0, "sendHoursEnd": 24, "timezone": "UTC",
                    "maxEmailsPerHour": 10_000
                },
                "workflow": {
                    "nodes": [
                        {"id": "start", "type": "start"},
                        {"id": "email_1", "type": "email",
                         "data": {"subject": "Hello {{firstName}}",
                                  "body": "<p>Hi {{firstName|there}}</p>"}},
                        {"id": "end", "type": "end"}
                    ],
                    "edges": [{"from": "start", "to": "email_1"}, {"from": "email_1", "to": "end"}]
                }
            }),
        )
        .await;
    let campaign_id = campaign["id"].as_str().unwrap().to_owned();
    let added = api
        .post(
            &format!("/v1/campaigns/{campaign_id}/contacts"),
            json!({"groupId": group_id}),
        )
        .await;
    assert_eq!(added["added"], CONTACTS, "{added}");
    api.post(&format!("/v1/campaigns/{campaign_id}/start"), json!({}))
        .await;
    campaign_id
}

fn count(stats: &Value, field: &str) -> i64 {
    stats[field]
        .as_i64()
        .unwrap_or_else(|| panic!("stats.{field} in {stats}"))
}

/// Whether every enrolled contact has a final outcome.
fn is_finished(stats: &Value, status: &str) -> bool {
    let settled = ["sent", "uncertain", "failed", "bounced"]
        .iter()
        .map(|field| count(stats, field))
        .sum::<i64>();
    count(stats, "pending") == 0 && (settled == CONTACTS as i64 || status == "completed")
}

/// The sink's log: one `(message id, recipient)` per accepted message and recipient.
fn read_sink_log(path: &PathBuf) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let (id, rcpt) = line.split_once('\t').expect("id<TAB>rcpt");
            (id.to_owned(), rcpt.to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_send_never_delivers_an_email_twice_and_the_campaign_still_finishes() {
    // Arrange: a sink that logs every accepted recipient, the binary on a fresh database.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fluenzr.db");
    let sink_log = dir.path().join("sink.log");
    let sink = SmtpSink::start(SinkConfig {
        log_file: Some(sink_log.clone()),
        ..SinkConfig::default()
    })
    .await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = start_server(&db, port).await;
    let key = server.first_start_key();
    let campaign_id = start_campaign(&Api::new(port, &key), sink.port()).await;

    // Act: kill -9 at varying points of the send, restart on the same file and port each time.
    let mut claimed_at_kills = Vec::new();
    for step in KILL_AFTER {
        let target = (sink.message_count() + step).min(CONTACTS - LEFT_FOR_THE_LAST_RUN);
        let reached = sink.wait_for_count(target, PROGRESS_TIMEOUT).await;
        if reached < target {
            panic!(
                "the sink got {reached} of {target} messages within {PROGRESS_TIMEOUT:?}; \
                 server log:\n{}",
                server.kill_and_tail()
            );
        }
        let claimed = kill_and_count_claimed(server, &db).await;
        eprintln!(
            "killed at {} messages in the sink; {claimed} sends claimed",
            sink.message_count()
        );
        claimed_at_kills.push(claimed);
        server = start_server(&db, port).await;
    }

    // The last run finishes the campaign by itself.
    let api = Api::new(port, &key);
    let deadline = Instant::now() + FINISH_TIMEOUT;
    let stats = loop {
        let stats = api
            .call(
                Method::GET,
                &format!("/v1/campaigns/{campaign_id}/stats"),
                None,
            )
            .await;
        let campaign = api
            .call(Method::GET, &format!("/v1/campaigns/{campaign_id}"), None)
            .await;
        if is_finished(&stats, campaign["status"].as_str().unwrap_or_default()) {
            break stats;
        }
        if Instant::now() > deadline {
            panic!(
                "not finished within {FINISH_TIMEOUT:?}: {stats}; server log:\n{}",
                server.kill_and_tail()
            );
        }
        // Wakes on the next message, or after a short while when nothing arrives.
        let next = sink.message_count() + 1;
        sink.wait_for_count(next, Duration::from_millis(200)).await;
    };
    drop(server);

    // Assert, from the sink's own log: nobody got the email twice.
    let log = read_sink_log(&sink_log);
    let mut by_recipient: HashMap<&str, &str> = HashMap::new();
    for (id, rcpt) in &log {
        assert!(
            by_recipient.insert(rcpt, id).is_none(),
            "{rcpt} received the email twice"
        );
    }
    let ids: HashSet<&str> = log.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids.len(), log.len(), "a Message-ID arrived twice");
    assert!(
        !ids.contains(""),
        "every message carries a Message-ID header"
    );

    let conn = Connection::open(&db).unwrap();
    let rows: Vec<(String, String, String)> = conn
        .prepare(
            "SELECT recipient, state, message_id FROM sends \
             WHERE campaign_seq = (SELECT seq FROM campaigns WHERE id = ?1)",
        )
        .unwrap()
        .query_map([&campaign_id], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), CONTACTS, "one send per contact");
    let mut states: HashMap<&str, i64> = HashMap::new();
    let mut state_of: HashMap<&str, &str> = HashMap::new();
    for (rcpt, state, message_id) in &rows {
        *states.entry(state.as_str()).or_default() += 1;
        state_of.insert(rcpt.as_str(), state.as_str());
        match state.as_str() {
            // A `sent` row is a message the sink logged, under the Message-ID the row records.
            "sent" => assert_eq!(
                by_recipient.get(rcpt.as_str()).copied(),
                Some(format!("<{message_id}>").as_str()),
                "{rcpt} is sent in the database but not in the sink's log"
            ),
            // Its fate is unknown: it may or may not have arrived (once, at most, as above).
            "uncertain" => {}
            other => panic!("{rcpt} ended {other}; the sink accepts everything"),
        }
    }
    for n in 1..=CONTACTS {
        let rcpt = recipient(n);
        assert!(
            by_recipient.contains_key(rcpt.as_str())
                || state_of.get(rcpt.as_str()) == Some(&"uncertain"),
            "{rcpt} neither arrived nor is uncertain ({:?})",
            state_of.get(rcpt.as_str())
        );
    }
    let uncertain = states.get("uncertain").copied().unwrap_or(0);
    let sent = states.get("sent").copied().unwrap_or(0);
    let claimed_total: i64 = claimed_at_kills.iter().sum();
    assert!(
        uncertain <= claimed_total,
        "{uncertain} uncertain, but only {claimed_total} sends were in flight at the kills \
         ({claimed_at_kills:?})"
    );
    assert!(log.len() as i64 >= sent && log.len() as i64 <= sent + uncertain);
    assert_eq!(count(&stats, "sent"), sent, "stats.sent: {stats}");
    assert_eq!(count(&stats, "uncertain"), uncertain, "{stats}");
    assert_eq!(count(&stats, "failed"), 0, "{stats}");
    assert_eq!(count(&stats, "bounced"), 0, "{stats}");
    assert_eq!(count(&stats, "pending"), 0, "{stats}");
    // Personalised as the campaign asked, whichever run sent it.
    for message in sink.messages() {
        let rcpt = &message.rcpt_to[0];
        let n: usize = rcpt[1..6].parse().unwrap();
        assert_eq!(message.header("Subject"), Some(format!("Hello R{n}")));
    }
    eprintln!(
        "sink log {} lines; database: {sent} sent, {uncertain} uncertain; \
         claimed at the kills: {claimed_at_kills:?}; {} SMTP connections",
        log.len(),
        sink.connections()
    );
}
