//! The real `fluenzr` executable: workspaces, keys, first-start key, and online backups taken while
//! a server is writing.

use fluenzr::domain::api_key::hash_secret;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_fluenzr");
/// How long a starting server may take to say it listens.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A command's result with its stdout as text.
struct Run {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Runs `fluenzr --db <db> <args…>` to completion.
fn fluenzr(db: &Path, args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(BINARY)
        .arg("--db")
        .arg(db)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("the fluenzr binary runs");
    Run {
        success: status.success(),
        stdout: String::from_utf8(stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Runs a command that must succeed.
fn fluenzr_ok(db: &Path, args: &[&str]) -> String {
    let run = fluenzr(db, args);
    assert!(
        run.success,
        "fluenzr {args:?} failed: {}{}",
        run.stdout, run.stderr
    );
    run.stdout
}

/// Whether a whole line is an API key: `^flz_sk_[A-Za-z0-9]{32}$`.
fn is_key(line: &str) -> bool {
    line.strip_prefix("flz_sk_")
        .is_some_and(|rest| rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The key lines of an output.
fn keys_in(output: &str) -> Vec<String> {
    output
        .lines()
        .filter(|line| is_key(line))
        .map(str::to_owned)
        .collect()
}

/// The first `<prefix>…` token of an output (ids such as `ws_…` or `key_…`).
fn id_in(output: &str, prefix: &str) -> String {
    output
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .find(|token| token.starts_with(prefix) && token.len() > prefix.len())
        .unwrap_or_else(|| panic!("no {prefix}… id in {output:?}"))
        .to_owned()
}

fn open(db: &Path) -> Connection {
    Connection::open(db).expect("database opens")
}

fn query_i64(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> i64 {
    conn.query_row(sql, params, |row| row.get(0))
        .expect("query runs")
}

/// Creates a workspace through the CLI; returns (workspace id, key).
fn create_workspace(db: &Path, name: &str, plan: &str) -> (String, String) {
    let output = fluenzr_ok(
        db,
        &["workspaces", "create", "--name", name, "--plan", plan],
    );
    let keys = keys_in(&output);
    assert_eq!(keys.len(), 1, "one key on its own line in {output:?}");
    (id_in(&output, "ws_"), keys[0].clone())
}

#[test]
fn creating_a_workspace_prints_its_id_and_a_working_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let (workspace, key) = create_workspace(&db, "Acme Sales", "pro");
    assert_eq!(workspace.len(), "ws_".len() + 20, "{workspace}");

    let conn = open(&db);
    let (name, plan): (String, String) = conn
        .query_row(
            "SELECT name, plan FROM workspaces WHERE id = ?1",
            [&workspace],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("the workspace is stored");
    assert_eq!((name.as_str(), plan.as_str()), ("Acme Sales", "pro"));
    // Only the hash of the key is stored, and it belongs to the new workspace.
    let owner: Option<String> = conn
        .query_row(
            "SELECT workspace_id FROM api_keys WHERE key_hash = ?1 AND revoked_at IS NULL",
            [hash_secret(&key)],
            |row| row.get(0),
        )
        .optional()
        .unwrap();
    assert_eq!(owner.as_deref(), Some(workspace.as_str()));
    drop(conn);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(
            !bytes
                .windows(key.len())
                .any(|window| window == key.as_bytes()),
            "the secret itself is never stored"
        );
    }

    let (free, _) = create_workspace(&db, "Hobby", "free");
    let listed = fluenzr_ok(&db, &["workspaces", "list"]);
    for expected in [
        workspace.as_str(),
        "Acme Sales",
        free.as_str(),
        "Hobby",
        "free",
    ] {
        assert!(listed.contains(expected), "{expected} in {listed}");
    }
    assert!(keys_in(&listed).is_empty());
    // `--db` may also follow the subcommand.
    let output = Command::new(BINARY)
        .args(["workspaces", "list", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8(output.stdout).unwrap(), listed);
}

#[test]
fn a_server_flag_before_another_subcommand_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let run = fluenzr(&db, &["--bind", "127.0.0.1:9", "workspaces", "list"]);
    assert!(!run.success);
    assert!(run.stderr.contains("--bind"), "{}", run.stderr);
}

#[test]
fn an_unknown_plan_is_refused_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let run = fluenzr(
        &db,
        &["workspaces", "create", "--name", "X", "--plan", "gold"],
    );
    assert!(!run.success);
    assert!(keys_in(&run.stdout).is_empty());
    if db.exists() {
        assert_eq!(
            query_i64(&open(&db), "SELECT count(*) FROM workspaces", []),
            0
        );
    }
}

#[test]
fn keys_are_created_listed_without_their_secret_and_revoked_by_key_or_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let (workspace, first_key) = create_workspace(&db, "Acme", "pro");
    let (other_workspace, other_key) = create_workspace(&db, "Other", "pro");

    let output = fluenzr_ok(
        &db,
        &[
            "keys",
            "create",
            "--workspace",
            &workspace,
            "--name",
            "CRM sync",
        ],
    );
    let created = keys_in(&output);
    assert_eq!(created.len(), 1, "{output}");
    let crm_key = created[0].clone();
    let crm_id = id_in(&output, "key_");

    let all = fluenzr_ok(&db, &["keys", "list"]);
    assert!(all.contains("CRM sync"), "{all}");
    assert!(all.contains(&crm_id), "{all}");
    for secret in [&first_key, &other_key, &crm_key] {
        assert!(
            all.contains(&secret[..11]),
            "the prefix of {secret} is listed"
        );
        assert!(!all.contains(secret.as_str()), "a secret is never listed");
        assert!(
            !all.contains(&secret[11..]),
            "no part past the prefix is listed"
        );
    }
    let only_one = fluenzr_ok(&db, &["keys", "list", "--workspace", &workspace]);
    assert!(only_one.contains(&crm_key[..11]));
    assert!(!only_one.contains(&other_key[..11]));
    assert!(!only_one.contains(&other_workspace));

    let conn = open(&db);
    let revoked = |hash_or_id: &str| -> bool {
        conn.query_row(
            "SELECT revoked_at IS NOT NULL FROM api_keys WHERE key_hash = ?1 OR id = ?2",
            rusqlite::params![hash_secret(hash_or_id), hash_or_id],
            |row| row.get(0),
        )
        .expect("the key exists")
    };
    assert!(!revoked(&crm_key));

    // Revoking by the key itself.
    let output = fluenzr_ok(&db, &["keys", "revoke", &crm_key]);
    assert!(output.contains(&crm_id), "{output}");
    assert!(revoked(&crm_key));
    assert!(!revoked(&first_key), "only that key is revoked");
    // Revoking by id.
    let first_id: String = conn
        .query_row(
            "SELECT id FROM api_keys WHERE key_hash = ?1",
            [hash_secret(&first_key)],
            |row| row.get(0),
        )
        .unwrap();
    fluenzr_ok(&db, &["keys", "revoke", &first_id]);
    assert!(revoked(&first_key));
    assert!(!revoked(&other_key));
    // Twice is harmless; unknown keys are an error.
    fluenzr_ok(&db, &["keys", "revoke", &first_id]);
    let unknown = fluenzr(&db, &["keys", "revoke", "key_doesnotexist"]);
    assert!(!unknown.success);
    let unknown_secret = fluenzr(
        &db,
        &["keys", "revoke", &format!("flz_sk_{}", "A".repeat(32))],
    );
    assert!(!unknown_secret.success);

    let listed = fluenzr_ok(&db, &["keys", "list", "--workspace", &workspace]);
    let crm_line = listed
        .lines()
        .find(|line| line.contains(&crm_id))
        .expect("the revoked key is still listed");
    assert!(crm_line.contains("CRM sync"));

    let nowhere = fluenzr(
        &db,
        &[
            "keys",
            "create",
            "--workspace",
            "ws_AAAAAAAAAAAAAAAAAAAA",
            "--name",
            "x",
        ],
    );
    assert!(!nowhere.success);
    assert!(keys_in(&nowhere.stdout).is_empty());
    assert_eq!(query_i64(&conn, "SELECT count(*) FROM api_keys", []), 3);
}

// ---------- A running server ----------

/// A `fluenzr serve` child process on a loopback port.
struct Server {
    child: Child,
    address: String,
    stdout: mpsc::Receiver<String>,
}

impl Server {
    /// Starts the server and waits until it logs that it listens.
    fn start(db: &Path) -> Server {
        Self::spawn(db, true)
    }

    /// Starts the server with its log pipe closed from the start; returns once it printed the
    /// first-start key (its listener is bound by then), with that key.
    fn start_without_logs(db: &Path) -> (Server, String) {
        let server = Self::spawn(db, false);
        let key = server.first_start_key();
        (server, key)
    }

    fn spawn(db: &Path, read_logs: bool) -> Server {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
            listener.local_addr().unwrap().port()
        };
        let mut child = Command::new(BINARY)
            .arg("--db")
            .arg(db)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("FLUENZR_RATE_LIMIT_PER_MINUTE", "1000000")
            .env("FLUENZR_WORKERS", "2")
            .env("FLUENZR_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("fluenzr serve starts");
        let stdout = lines_of(child.stdout.take().unwrap());
        let address = format!("http://127.0.0.1:{port}");
        if !read_logs {
            drop(child.stderr.take());
            return Server {
                child,
                address,
                stdout,
            };
        }
        let stderr = lines_of(child.stderr.take().unwrap());
        let deadline = Instant::now() + START_TIMEOUT;
        let mut stderr_lines = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match stderr.recv_timeout(left) {
                Ok(line) => {
                    let listening = line.contains("fluenzr is listening");
                    stderr_lines.push(line);
                    if listening {
                        break;
                    }
                }
                Err(error) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("the server did not start ({error}): {stderr_lines:#?}");
                }
            }
        }
        Server {
            child,
            address,
            stdout,
        }
    }

    /// The next stdout line that is a key (the first start prints one before it listens).
    fn first_start_key(&self) -> String {
        let deadline = Instant::now() + START_TIMEOUT;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) if is_key(&line) => return line,
                Ok(line) => seen.push(line),
                Err(error) => panic!("no key printed ({error}); stdout: {seen:#?}"),
            }
        }
    }

    /// Kills the server and returns everything it printed on stdout that was not read yet.
    fn stop(mut self) -> Vec<String> {
        self.child.kill().expect("the server is killed");
        self.child.wait().expect("the server exits");
        // The pipe is closed now, so the reader ends and this loop is bounded.
        self.stdout.iter().collect()
    }
}

/// Forwards a child's output line by line from a reader thread.
fn lines_of(stream: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        // Read to the end even when nobody listens any more, so the child never writes into
        // a closed pipe.
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            let _ = sender.send(line);
        }
    });
    receiver
}

async fn list_contacts(address: &str, key: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{address}/v1/contacts"))
        .bearer_auth(key)
        .send()
        .await
        .expect("request sent")
}

#[tokio::test]
async fn the_first_start_prints_a_key_once_and_a_restart_prints_none() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let server = Server::start(&db);
    let key = server.first_start_key();
    assert_eq!(list_contacts(&server.address, &key).await.status(), 200);
    let rest = server.stop();
    assert!(
        keys_in(&rest.join("\n")).is_empty(),
        "one key only: {rest:?}"
    );

    let conn = open(&db);
    assert_eq!(
        query_i64(
            &conn,
            "SELECT count(*) FROM workspaces WHERE plan = 'pro'",
            []
        ),
        1
    );
    drop(conn);

    let again = Server::start(&db);
    let address = again.address.clone();
    assert_eq!(
        list_contacts(&address, &key).await.status(),
        200,
        "the first key keeps working"
    );
    let printed = again.stop();
    assert!(
        keys_in(&printed.join("\n")).is_empty(),
        "a restart prints no key: {printed:?}"
    );
    assert_eq!(
        query_i64(&open(&db), "SELECT count(*) FROM workspaces", []),
        1
    );
    assert_eq!(
        query_i64(&open(&db), "SELECT count(*) FROM api_keys", []),
        1
    );
}

#[tokio::test]
async fn a_server_whose_log_pipe_is_closed_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let (server, key) = Server::start_without_logs(&db);
    assert_eq!(list_contacts(&server.address, &key).await.status(), 200);
    let created = reqwest::Client::new()
        .post(format!("{}/v1/contacts", server.address))
        .bearer_auth(&key)
        .json(&json!({"email": "ada@example.com"}))
        .send()
        .await
        .expect("request sent");
    assert_eq!(created.status(), 201);
    server.stop();
    assert_eq!(
        query_i64(&open(&db), "SELECT count(*) FROM contacts", []),
        1
    );
}

/// Consistency facts of one backup file.
fn check_backup(file: &Path) -> i64 {
    let conn = open(file);
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity check runs");
    assert_eq!(integrity, "ok", "{}", file.display());
    assert_eq!(
        query_i64(
            &conn,
            "SELECT count(*) FROM workspaces w
             WHERE w.contact_count != (SELECT count(*) FROM contacts c WHERE c.workspace_id = w.id)",
            []
        ),
        0,
        "workspace contact counters match the contacts in {}",
        file.display()
    );
    assert_eq!(
        query_i64(
            &conn,
            "SELECT count(*) FROM groups g
             WHERE g.contact_count != (SELECT count(*) FROM group_members m WHERE m.group_seq = g.seq)",
            []
        ),
        0,
        "group counters match the memberships in {}",
        file.display()
    );
    let contacts = query_i64(&conn, "SELECT count(*) FROM contacts", []);
    assert_eq!(
        contacts,
        query_i64(&conn, "SELECT count(*) FROM group_members", []),
        "every contact joined the group in the same write"
    );
    assert_eq!(
        query_i64(&conn, "SELECT count(*) FROM contact_tags", []),
        contacts,
        "every contact got its tag in the same write"
    );
    contacts
}

#[tokio::test]
async fn backups_taken_while_the_server_writes_are_consistent_copies() {
    const ROWS: usize = 100;
    const MAX_REQUESTS: usize = 5000;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let server = Server::start(&db);
    let key = server.first_start_key();
    let address = server.address.clone();
    let client = reqwest::Client::new();
    let group: Value = client
        .post(format!("{address}/v1/groups"))
        .bearer_auth(&key)
        .json(&json!({"name": "Backups"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let group_id = group["data"]["id"].as_str().expect("group id").to_owned();

    // Writes in a loop until told to stop; `progress` counts completed bulk requests.
    let stop = Arc::new(AtomicBool::new(false));
    let (progress, mut watch) = tokio::sync::watch::channel(0usize);
    let writer = {
        let (stop, client, address, key) =
            (stop.clone(), client.clone(), address.clone(), key.clone());
        tokio::spawn(async move {
            for request in 0..MAX_REQUESTS {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let contacts: Vec<Value> = (0..ROWS)
                    .map(|row| json!({"email": format!("r{request}-{row}@example.com"), "tags": ["b"]}))
                    .collect();
                let response = client
                    .post(format!("{address}/v1/contacts/bulk"))
                    .bearer_auth(&key)
                    .json(&json!({"contacts": contacts, "groupIds": [group_id]}))
                    .send()
                    .await
                    .expect("bulk request sent");
                assert_eq!(response.status(), 200);
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["data"]["created"], ROWS, "{body}");
                progress.send_replace(request + 1);
            }
        })
    };

    let mut counts = Vec::new();
    for round in 0..3 {
        // Wait for fresh writes before each copy.
        let seen = *watch.borrow_and_update();
        while *watch.borrow_and_update() <= seen {
            watch.changed().await.expect("the writer is running");
        }
        let before = *watch.borrow();
        let file: PathBuf = dir.path().join(format!("backup-{round}.db"));
        let (db_path, target) = (db.clone(), file.clone());
        let output = tokio::task::spawn_blocking(move || {
            fluenzr(&db_path, &["backup", target.to_str().unwrap()])
        })
        .await
        .unwrap();
        assert!(
            output.success,
            "backup failed: {}{}",
            output.stdout, output.stderr
        );
        let after = *watch.borrow();
        let contacts = tokio::task::spawn_blocking(move || check_backup(&file))
            .await
            .unwrap();
        assert_eq!(
            contacts as usize % ROWS,
            0,
            "a copy never holds part of a bulk write"
        );
        assert!(
            (before * ROWS..=(after + 1) * ROWS).contains(&(contacts as usize)),
            "backup {round} holds {contacts} contacts, written before: {before}, after: {after}"
        );
        counts.push(contacts);
    }
    stop.store(true, Ordering::Relaxed);
    writer.await.expect("the writer finished without failures");
    assert!(
        counts.windows(2).all(|pair| pair[0] < pair[1]),
        "{counts:?}"
    );

    // A backup never overwrites an existing file.
    let existing = dir.path().join("backup-0.db");
    let refused = fluenzr(&db, &["backup", existing.to_str().unwrap()]);
    assert!(!refused.success);
    check_backup(&existing);

    let printed = server.stop();
    assert!(keys_in(&printed.join("\n")).is_empty());
}

#[test]
fn a_second_server_on_the_same_database_is_refused_while_the_first_runs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fluenzr.db");
    let first = Server::start(&db);

    let second = fluenzr(&db, &["serve", "--bind", "127.0.0.1:0"]);
    let after_stop = {
        let _ = first.stop();
        Server::start(&db)
    };

    assert!(!second.success, "a second sender must not start");
    assert!(
        second
            .stderr
            .contains("another fluenzr process is already sending"),
        "{}",
        second.stderr
    );
    let _ = after_stop.stop();
}
