//! Webhook delivery benchmark driver (run by `bench/webhooks.sh`): seeds a database with one
//! webhook pointing at a fast loopback receiver, starts the real `fluenzr` binary on it, writes
//! events into the outbox (all before the start, or paced while it runs) and measures
//! deliveries/s and the lag from each event's `created_at` to its arrival.
//!
//! `webhook_bench <fluenzr binary> <events> <rate per second, 0 = all before the start>`

use fluenzr::config::Secret;
use fluenzr::domain::ids::{WebhookId, WorkspaceId};
use fluenzr::domain::workspace::Plan;
use fluenzr::secret::SecretBox;
use fluenzr::webhooks::outbox;
use rusqlite::{params, Connection};
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SECRET_KEY: &str = "bench-secret";
/// Events written per transaction when pacing.
const BATCH: usize = 20;

type Arrivals = Arc<Mutex<HashMap<String, i64>>>;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Answers every request with 200 and records the arrival time of each `webhook-id`.
async fn receive(listener: TcpListener, arrivals: Arrivals) {
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, arrivals.clone()));
    }
}

async fn connection(mut stream: TcpStream, arrivals: Arrivals) -> std::io::Result<()> {
    let mut buffer = Vec::with_capacity(16 * 1024);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let Some(head_end) = buffer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|end| end + 4)
        else {
            let read = stream.read(&mut chunk).await?;
            if read == 0 {
                return Ok(());
            }
            buffer.extend_from_slice(&chunk[..read]);
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
        let mut length = 0;
        let mut id = String::new();
        for line in head.split("\r\n") {
            if let Some((name, value)) = line.split_once(':') {
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "webhook-id" => id = value.trim().to_owned(),
                    _ => {}
                }
            }
        }
        while buffer.len() < head_end + length {
            let read = stream.read(&mut chunk).await?;
            if read == 0 {
                return Ok(());
            }
            buffer.extend_from_slice(&chunk[..read]);
        }
        buffer.drain(..head_end + length);
        arrivals
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .entry(id)
            .or_insert_with(now_ms);
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .await?;
    }
}

/// Creates the schema, a workspace and a webhook to `url`; returns the workspace id.
fn seed(db: &Path, url: &str) -> anyhow::Result<WorkspaceId> {
    let mut conn = fluenzr::db::open_connection(db)?;
    fluenzr::db::migrate::migrate(&mut conn)?;
    let workspace =
        fluenzr::db::workspaces::create(&conn, "Bench", Plan::Pro, "2025-01-15T10:30:00Z")?;
    let id = WebhookId::generate();
    let sealed = SecretBox::new(&Secret::new(SECRET_KEY.to_owned())).seal(
        "whsec_YmVuY2ggd2ViaG9vayBzZWNyZXQ=",
        &format!("{id}:webhook"),
    );
    conn.execute(
        "INSERT INTO webhooks (id, workspace_id, url, events, status, secret, created_at, updated_at)
         VALUES (?1, ?2, ?3, '[\"*\"]', 'active', ?4, ?5, ?5)",
        params![id.as_str(), workspace.id.as_str(), url, sealed, "2025-01-15T10:30:00Z"],
    )?;
    Ok(workspace.id)
}

/// Writes `count` events, `batch` per transaction, at about `rate` per second (0: at once).
fn write_events(
    conn: &mut Connection,
    workspace: &WorkspaceId,
    count: usize,
    rate: usize,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut written = 0;
    while written < count {
        let batch = if rate == 0 { 1_000 } else { BATCH }.min(count - written);
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for index in written..written + batch {
            let data = json!({"contact": {"id": format!("con_{index:020}"), "email": format!("c{index}@example.com")}});
            outbox::emit(&tx, workspace, "contact.created", &data, chrono::Utc::now())?;
        }
        tx.commit()?;
        written += batch;
        if rate > 0 {
            let due = Duration::from_secs_f64(written as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
    Ok(())
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (binary, events, rate) = match args.as_slice() {
        [_, binary, events, rate] => (binary.clone(), events.parse::<usize>()?, rate.parse::<usize>()?),
        _ => anyhow::bail!("usage: webhook_bench <fluenzr binary> <events> <rate per second, 0 = all before the start>"),
    };
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db");
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://127.0.0.1:{}/hook", listener.local_addr()?.port());
    let arrivals: Arrivals = Arc::default();
    tokio::spawn(receive(listener, arrivals.clone()));
    let workspace = seed(&db, &url)?;
    let mut conn = fluenzr::db::open_connection(&db)?;
    if rate == 0 {
        write_events(&mut conn, &workspace, events, 0)?;
    }
    let mut server = Command::new(&binary)
        .args(["serve", "--bind", "127.0.0.1:0", "--db"])
        .arg(&db)
        .env("FLUENZR_SECRET_KEY", SECRET_KEY)
        .env("FLUENZR_WEBHOOK_ALLOW_PRIVATE", "true")
        .env("FLUENZR_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let writer = (rate > 0).then(|| {
        let workspace = workspace.clone();
        std::thread::spawn(move || write_events(&mut conn, &workspace, events, rate))
    });
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let received = arrivals
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .len();
        if received >= events || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = server.kill();
    let _ = server.wait();
    if let Some(writer) = writer {
        writer
            .join()
            .map_err(|_| anyhow::anyhow!("the event writer panicked"))??;
    }
    let arrivals = arrivals
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    let conn = fluenzr::db::open_connection(&db)?;
    let created: HashMap<String, i64> = conn
        .prepare("SELECT id, created_at FROM webhook_events")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut lags: Vec<i64> = arrivals
        .iter()
        .filter_map(|(id, at)| created.get(id).map(|c| at - c))
        .collect();
    lags.sort_unstable();
    let first_created = created.values().min().copied().unwrap_or(0);
    let first_arrival = arrivals.values().min().copied().unwrap_or(0);
    let last_arrival = arrivals.values().max().copied().unwrap_or(0);
    let span = (last_arrival - first_arrival).max(1) as f64 / 1000.0;
    println!(
        "mode={} events={} delivered={} deliveries_per_s={:.0} first_to_last_arrival_s={:.2} first_event_to_last_arrival_s={:.2} lag_ms_p50={} lag_ms_p99={} lag_ms_max={}",
        if rate == 0 { "backlog".to_owned() } else { format!("paced@{rate}/s") },
        events,
        arrivals.len(),
        arrivals.len() as f64 / span,
        span,
        (last_arrival - first_created) as f64 / 1000.0,
        percentile(&lags, 50.0),
        percentile(&lags, 99.0),
        lags.last().copied().unwrap_or(0),
    );
    if arrivals.len() < events {
        anyhow::bail!("only {} of {events} events arrived", arrivals.len());
    }
    Ok(())
}
