//! The webhook dispatcher: a worker in the server process that delivers every due pending
//! attempt of the outbox, records each result and schedules retries.
//!
//! Pending attempts live in SQLite (`webhook_deliveries`), so they survive `kill -9`: an attempt
//! in flight when the process died is still pending and is sent again (at-least-once, with the
//! same event id). No transaction is held across network I/O: attempts are read, sent, and their
//! results written through the writer, which commits them in groups. Deliveries run
//! concurrently (at most [`CONCURRENCY`] at once and [`PER_WEBHOOK`] per webhook), so a slow or
//! dead receiver never delays another. Tests drive [`Dispatcher::run_once`] with a fake clock.

pub mod deliver;
pub mod store;

use crate::config::Config;
use crate::db::Database;
use crate::error::Error;
use crate::secret::SecretBox;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::{Attempt, Settled, Tried};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinHandle;

/// Deliveries in flight at once, all webhooks together.
pub const CONCURRENCY: usize = 64;
/// Deliveries in flight at once to one webhook.
pub const PER_WEBHOOK: usize = 4;
/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts of one webhook taken up at once (sent [`PER_WEBHOOK`] at a time).
const LANE_DEPTH: usize = 512;
/// Attempts taken up at once, all webhooks together.
const MAX_QUEUED: usize = 4096;
/// A lane drained to this many queued attempts asks for the next ones.
const LOW_WATER: usize = LANE_DEPTH / 4;
/// Longest sleep between passes.
const MAX_IDLE: Duration = Duration::from_millis(200);
/// Shortest gap between two passes, so completions wake the loop without spinning it.
const MIN_GAP: Duration = Duration::from_millis(10);

/// What one [`Dispatcher::run_once`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DispatchOutcome {
    /// Attempts answered with a 2xx.
    pub delivered: usize,
    /// Attempts that failed and have a later attempt pending.
    pub retrying: usize,
    /// Attempts that failed for good.
    pub failed: usize,
}

/// One webhook's queue: how many of its attempts are taken up, and its send permits.
struct Lane {
    queued: usize,
    permits: Arc<Semaphore>,
}

/// Attempts taken up by this process (sent or waiting to be), so no attempt is sent twice at
/// once; the database row stays `pending` until its result is recorded.
#[derive(Default)]
struct Queues {
    taken: HashSet<i64>,
    lanes: HashMap<i64, Lane>,
}

struct Shared {
    db: Database,
    config: Arc<Config>,
    secrets: SecretBox,
    client: deliver::Client,
    notify: Notify,
    permits: Arc<Semaphore>,
    queues: Mutex<Queues>,
}

/// Wakes the dispatcher early (an event was emitted) and sends test events right away.
#[derive(Clone, Default)]
pub struct DispatcherHandle {
    shared: Option<Arc<Shared>>,
}

/// The webhook dispatcher.
#[derive(Clone)]
pub struct Dispatcher {
    shared: Arc<Shared>,
}

impl Dispatcher {
    /// A dispatcher over the database, with the webhook settings of `config`.
    pub fn new(db: Database, config: Arc<Config>) -> anyhow::Result<Self> {
        Ok(Self {
            shared: Arc::new(Shared {
                client: deliver::Client::new(config.webhook_allow_private, TIMEOUT)?,
                secrets: SecretBox::new(&config.secret_key),
                db,
                config,
                notify: Notify::new(),
                permits: Arc::new(Semaphore::new(CONCURRENCY)),
                queues: Mutex::new(Queues::default()),
            }),
        })
    }

    /// The handle the API wakes it with.
    pub fn handle(&self) -> DispatcherHandle {
        DispatcherHandle {
            shared: Some(self.shared.clone()),
        }
    }

    /// Delivers every attempt due at `now` (retries come due later) and waits for the results
    /// to be recorded.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<DispatchOutcome, Error> {
        let mut outcome = DispatchOutcome::default();
        let mut first_error = None;
        loop {
            let started = self.shared.start_due(now).await?;
            if started.is_empty() {
                return first_error.map_or(Ok(outcome), Err);
            }
            for task in started {
                match task.await {
                    Ok(Ok(Settled::Delivered)) => outcome.delivered += 1,
                    Ok(Ok(Settled::Retrying)) => outcome.retrying += 1,
                    Ok(Ok(Settled::Failed)) => outcome.failed += 1,
                    Ok(Ok(Settled::Gone)) => {}
                    Ok(Err(error)) => {
                        first_error.get_or_insert(error);
                    }
                    Err(join) => {
                        first_error.get_or_insert(Error::Internal(anyhow::anyhow!(
                            "a delivery task failed: {join}"
                        )));
                    }
                }
            }
        }
    }

    /// Runs until `shutdown` resolves: takes up due attempts whenever some come due, the API
    /// wakes it, or a queue drains; at least every 200 ms.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) {
        let shared = self.shared;
        let work = async {
            let mut last_pass: Option<Instant> = None;
            loop {
                if let Some(gap) = last_pass.map(|at| MIN_GAP.saturating_sub(at.elapsed())) {
                    tokio::time::sleep(gap).await;
                }
                last_pass = Some(Instant::now());
                let now = Utc::now();
                match shared.start_due(now).await {
                    // Detached: each task records its own result.
                    Ok(started) if !started.is_empty() => {
                        tracing::debug!(started = started.len(), "webhook deliveries started")
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::error!(%error, "taking up due webhook deliveries failed")
                    }
                }
                let wait = match shared.db.read(store::next_due).await {
                    Ok(Some(due)) if due > now.timestamp_millis() => {
                        MAX_IDLE.min(Duration::from_millis(
                            u64::try_from(due - now.timestamp_millis()).unwrap_or(0),
                        ))
                    }
                    Ok(_) => MAX_IDLE,
                    Err(error) => {
                        tracing::error!(%error, "reading the next webhook due time failed");
                        MAX_IDLE
                    }
                };
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shared.notify.notified() => {}
                }
            }
        };
        tokio::select! {
            _ = work => {}
            _ = shutdown => {}
        }
    }
}

impl DispatcherHandle {
    /// Asks the dispatcher to look for due attempts now.
    pub fn wake(&self) {
        if let Some(shared) = &self.shared {
            shared.notify.notify_one();
        }
    }

    /// Takes up attempt `seq` of webhook `webhook_seq` for [`DispatcherHandle::deliver_taken`],
    /// so the background loop leaves it alone. Call it in the transaction that creates the
    /// attempt, before it commits.
    pub fn take(&self, seq: i64, webhook_seq: i64) {
        if let Some(shared) = &self.shared {
            shared.take(seq, webhook_seq);
        }
    }

    /// Sends an attempt taken with [`DispatcherHandle::take`] now, records the result and
    /// returns its log entry.
    pub async fn deliver_taken(
        &self,
        seq: i64,
        webhook_seq: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<store::LogEntry>, Error> {
        let Some(shared) = &self.shared else {
            return Err(Error::Internal(anyhow::anyhow!(
                "the webhook dispatcher is not set up"
            )));
        };
        match shared.db.read(move |conn| store::load(conn, seq)).await {
            Ok(Some(attempt)) => {
                shared.clone().deliver_and_record(attempt, now).await?;
            }
            Ok(None) => shared.release(seq, webhook_seq),
            Err(error) => {
                shared.release(seq, webhook_seq);
                return Err(error);
            }
        }
        shared
            .db
            .read(move |conn| store::log_entry(conn, seq))
            .await
    }
}

impl Shared {
    /// Takes up an attempt; false when it already is.
    fn take(&self, seq: i64, webhook_seq: i64) -> bool {
        let mut queues = self
            .queues
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if !queues.taken.insert(seq) {
            return false;
        }
        queues
            .lanes
            .entry(webhook_seq)
            .or_insert_with(|| Lane {
                queued: 0,
                permits: Arc::new(Semaphore::new(PER_WEBHOOK)),
            })
            .queued += 1;
        true
    }

    /// Gives an attempt back (its result is recorded); wakes the loop when a lane runs low.
    fn release(&self, seq: i64, webhook_seq: i64) {
        let mut queues = self
            .queues
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if !queues.taken.remove(&seq) {
            return;
        }
        let mut wake = queues.taken.len() == MAX_QUEUED / 2;
        if let Some(lane) = queues.lanes.get_mut(&webhook_seq) {
            lane.queued = lane.queued.saturating_sub(1);
            wake |= lane.queued == LOW_WATER;
            if lane.queued == 0 {
                queues.lanes.remove(&webhook_seq);
                wake = true;
            }
        }
        drop(queues);
        if wake {
            self.notify.notify_one();
        }
    }

    /// Takes up the due attempts this process is not already sending, within the queue limits.
    fn take_due(&self, due: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
        let mut queues = self
            .queues
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let mut taken = Vec::new();
        for (seq, webhook_seq) in due {
            if queues.taken.len() >= MAX_QUEUED {
                break;
            }
            if queues.taken.contains(&seq)
                || queues
                    .lanes
                    .get(&webhook_seq)
                    .is_some_and(|lane| lane.queued >= LANE_DEPTH)
            {
                continue;
            }
            queues.taken.insert(seq);
            queues
                .lanes
                .entry(webhook_seq)
                .or_insert_with(|| Lane {
                    queued: 0,
                    permits: Arc::new(Semaphore::new(PER_WEBHOOK)),
                })
                .queued += 1;
            taken.push((seq, webhook_seq));
        }
        taken
    }

    /// Takes up what is due at `now` and starts a task for each; each task resolves once its
    /// result is recorded.
    async fn start_due(
        self: &Arc<Self>,
        now: DateTime<Utc>,
    ) -> Result<Vec<JoinHandle<Result<Settled, Error>>>, Error> {
        let shared = self.clone();
        let (attempts, vanished) = self
            .db
            .read(move |conn| {
                let due = store::due(conn, now.timestamp_millis(), 2 * LANE_DEPTH as i64)?;
                let taken = shared.take_due(due);
                let mut attempts = Vec::with_capacity(taken.len());
                let mut vanished = Vec::new();
                for (index, &(seq, webhook_seq)) in taken.iter().enumerate() {
                    match store::load(conn, seq) {
                        Ok(Some(attempt)) => attempts.push(attempt),
                        Ok(None) => vanished.push((seq, webhook_seq)),
                        Err(error) => {
                            for &(seq, webhook_seq) in &taken[index..] {
                                shared.release(seq, webhook_seq);
                            }
                            for attempt in &attempts {
                                shared.release(attempt.seq, attempt.webhook_seq);
                            }
                            return Err(error);
                        }
                    }
                }
                Ok((attempts, vanished))
            })
            .await?;
        for (seq, webhook_seq) in vanished {
            self.release(seq, webhook_seq);
        }
        Ok(attempts
            .into_iter()
            .map(|attempt| tokio::spawn(self.clone().deliver_and_record(attempt, now)))
            .collect())
    }

    /// Sends one taken attempt (within the concurrency limits), records the result, gives the
    /// attempt back.
    async fn deliver_and_record(
        self: Arc<Self>,
        attempt: Attempt,
        now: DateTime<Utc>,
    ) -> Result<Settled, Error> {
        let lane = {
            let queues = self
                .queues
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            queues
                .lanes
                .get(&attempt.webhook_seq)
                .map(|lane| lane.permits.clone())
        };
        let tried = {
            let _lane = match lane {
                Some(lane) => lane.acquire_owned().await.ok(),
                None => None,
            };
            let _permit = self.permits.acquire().await.ok();
            self.try_once(&attempt, now).await
        };
        let (seq, webhook_seq) = (attempt.seq, attempt.webhook_seq);
        let schedule = self.config.webhook_retry_schedule.clone();
        let webhook_id = attempt.webhook_id.clone();
        let recorded = self
            .db
            .write(move |conn| {
                let settled = store::record(conn, &attempt, &tried, &schedule, now)?;
                Ok((settled, tried))
            })
            .await;
        self.release(seq, webhook_seq);
        let (settled, tried) = recorded.inspect_err(|error| {
            tracing::error!(%error, webhook_id, "recording a webhook delivery failed");
        })?;
        match (&tried, settled) {
            (Tried::Delivered { .. }, _) | (_, Settled::Gone) => {}
            (Tried::Retry { error, .. } | Tried::Failed { error, .. }, settled) => {
                tracing::warn!(
                    webhook_id,
                    ?settled,
                    error,
                    "webhook delivery did not succeed"
                );
            }
        }
        Ok(settled)
    }

    /// One try: checks the webhook is active and its secret opens, then sends.
    async fn try_once(&self, attempt: &Attempt, now: DateTime<Utc>) -> Tried {
        if attempt.webhook_status != "active" {
            return Tried::Failed {
                status_code: None,
                response_time_ms: None,
                error: format!("webhook {}", attempt.webhook_status),
            };
        }
        let context = format!("{}:webhook", attempt.webhook_id);
        let secret = match self.secrets.open(&attempt.sealed_secret, &context) {
            Ok(secret) => secret,
            Err(_) => {
                tracing::error!(
                    webhook_id = attempt.webhook_id,
                    "a webhook secret does not open with the server's secret key"
                );
                return Tried::Failed {
                    status_code: None,
                    response_time_ms: None,
                    error:
                        "the webhook secret cannot be read (was the server's secret key changed?)"
                            .to_owned(),
                };
            }
        };
        // The signing time is the sending time (a queued attempt may have waited), never
        // earlier than the pass's clock.
        let timestamp = now.timestamp().max(Utc::now().timestamp());
        self.client.send(attempt, &secret, timestamp).await
    }
}
