//! The campaign sender: a worker in the server process that walks enrolled contacts through
//! their workflow and sends the emails they are due.
//!
//! Every step is claimed in one short writer transaction (the `sends` row is committed as
//! `claimed` before any SMTP traffic), performed outside it, and its result recorded in
//! another. A claim without a result after a crash becomes `uncertain` at the next start and is
//! never resent. Tests drive [`Sender::run_once`] with a fake clock.

pub mod deliver;
pub mod forecast;
pub mod lease;
pub mod message;
pub mod smtp;
pub mod walk;

use crate::config::Config;
use crate::db::sends::{Delivery, SendRef};
use crate::db::{self, Database};
use crate::error::Error;
use crate::secret::SecretBox;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Contacts looked at per campaign in one pass.
const BATCH: usize = 500;
/// Longest sleep between passes when nothing is due.
const MAX_IDLE: Duration = Duration::from_secs(30);
/// Shortest sleep after a pass that could do nothing although work is due (a campaign whose
/// account was deleted, a server refusing every connection): no busy loop.
const MIN_IDLE: Duration = Duration::from_secs(1);

/// Wakes the sender early (a campaign started, contacts were added).
#[derive(Debug, Clone, Default)]
pub struct SenderHandle {
    notify: Arc<Notify>,
}

impl SenderHandle {
    /// Asks the sender to look for due work now.
    pub fn wake(&self) {
        self.notify.notify_one();
    }
}

/// What one [`Sender::run_once`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Messages accepted by the server (or captured by the sandbox).
    pub sent: usize,
    /// Hard bounces.
    pub bounced: usize,
    /// Temporary failures scheduled for a retry.
    pub retried: usize,
    /// Given up after too many temporary failures.
    pub failed: usize,
    /// Possibly delivered (the connection died after the message was handed over).
    pub uncertain: usize,
    /// Contacts skipped for a missing template variable.
    pub skipped: usize,
    /// Campaigns that completed.
    pub completed: usize,
}

/// The sender.
pub struct Sender {
    db: Database,
    config: Arc<Config>,
    secrets: SecretBox,
    deliverer: deliver::Deliverer,
    handle: SenderHandle,
}

impl Sender {
    /// A sender over the database; `handle` is the one the API wakes it with.
    pub fn new(db: Database, config: Arc<Config>, handle: SenderHandle) -> Self {
        Self {
            secrets: SecretBox::new(&config.secret_key),
            deliverer: deliver::Deliverer::new(config.smtp_connections, config.smtp_timeout),
            db,
            config,
            handle,
        }
    }

    /// Settles the claims a previous process left without a result: they become `uncertain`.
    /// Call once at start, before the first [`Sender::run_once`].
    pub async fn recover(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        let interrupted = self
            .db
            .write(move |conn| {
                db::sends::settle_interrupted_claims(
                    conn,
                    now.timestamp(),
                    &crate::domain::time::format(now),
                )
            })
            .await?;
        if interrupted > 0 {
            tracing::warn!(
                interrupted,
                "messages in flight when the last process stopped are marked uncertain"
            );
        }
        Ok(interrupted)
    }

    /// Does everything due at `now`: walks due contacts, sends what they are due (within the
    /// windows and limits), records the results, and repeats until nothing is due at `now`.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<Outcome, Error> {
        let mut outcome = Outcome::default();
        loop {
            let context = (
                self.config.public_url.clone(),
                self.config.secret_key.expose().to_owned(),
            );
            let pass = self
                .db
                .write(move |conn| {
                    walk::pass(
                        conn,
                        &walk::PassContext {
                            public_url: &context.0,
                            secret: &context.1,
                            batch: BATCH,
                        },
                        now,
                    )
                })
                .await?;
            outcome.skipped += pass.skipped;
            outcome.completed += pass.completed;
            if pass.claimed.is_empty() {
                if pass.touched == 0 {
                    return Ok(outcome);
                }
                continue;
            }
            let claimed = self.drop_paused(pass.claimed, now).await?;
            if claimed.is_empty() {
                continue;
            }
            let results = self.deliver(claimed).await?;
            for (_, delivery, _) in &results {
                match delivery {
                    Delivery::Sent => outcome.sent += 1,
                    Delivery::Bounced(_) => outcome.bounced += 1,
                    Delivery::Retry(_) => outcome.retried += 1,
                    Delivery::Uncertain(_) => outcome.uncertain += 1,
                }
            }
            let failed = self
                .db
                .write(move |conn| {
                    let now_text = crate::domain::time::format(now);
                    let mut failed = 0;
                    for (send, delivery, capture) in &results {
                        if let Some(capture) = capture {
                            db::sandbox::capture(
                                conn, &capture.0, capture.1, &capture.2, &now_text,
                            )?;
                        }
                        if matches!(delivery, Delivery::Retry(_))
                            && db::sends::is_last_attempt(conn, send.seq)?
                        {
                            failed += 1;
                        }
                        db::sends::record(conn, send, delivery, now.timestamp(), &now_text)?;
                    }
                    Ok(failed)
                })
                .await?;
            outcome.failed += failed;
            outcome.retried -= failed;
        }
    }

    /// Releases the claims of campaigns paused since they were made, so a pause takes effect
    /// before the next message even when it lands between a claim and its delivery.
    async fn drop_paused(
        &self,
        claimed: Vec<walk::Claimed>,
        now: DateTime<Utc>,
    ) -> Result<Vec<walk::Claimed>, Error> {
        let active = self.db.read(db::campaigns::active_seqs).await?;
        let (keep, release): (Vec<_>, Vec<_>) = claimed
            .into_iter()
            .partition(|claim| active.contains(&claim.send.campaign_seq));
        if !release.is_empty() {
            let sends: Vec<SendRef> = release.into_iter().map(|claim| claim.send).collect();
            self.db
                .write(move |conn| {
                    for send in &sends {
                        db::sends::release_claim(conn, send, now.timestamp())?;
                    }
                    Ok(())
                })
                .await?;
        }
        Ok(keep)
    }

    /// Builds and delivers claimed messages, grouped by account. Sandbox accounts capture them.
    async fn deliver(
        &self,
        claimed: Vec<walk::Claimed>,
    ) -> Result<Vec<(SendRef, Delivery, Option<Capture>)>, Error> {
        let mut by_account: HashMap<i64, Vec<walk::Claimed>> = HashMap::new();
        for claim in claimed {
            by_account.entry(claim.account_seq).or_default().push(claim);
        }
        let mut results = Vec::new();
        for (account_seq, claims) in by_account {
            let secrets = self.secrets.clone();
            let account = self
                .db
                .read(move |conn| db::email_accounts::load_for_sending(conn, account_seq, &secrets))
                .await?;
            let mut jobs = Vec::new();
            for claim in claims {
                let built = message::build(&claim.message);
                let (account, message) = match (&account, built) {
                    (Some(account), Ok(message)) => (account, message),
                    (None, _) => {
                        results.push((
                            claim.send,
                            Delivery::Retry("the email account no longer exists".to_owned()),
                            None,
                        ));
                        continue;
                    }
                    (_, Err(reason)) => {
                        results.push((claim.send, Delivery::Bounced(reason), None));
                        continue;
                    }
                };
                let raw = message.formatted();
                if account.smtp.is_sandbox() {
                    let capture = db::sandbox::CapturedMessage {
                        message_id: claim.message.message_id.clone(),
                        mail_from: claim.message.from_email.clone(),
                        rcpt_to: claim.message.to.clone(),
                        subject: claim.message.subject.clone(),
                        raw,
                        html: claim.message.html.clone(),
                        text: claim.message.text.clone(),
                    };
                    results.push((
                        claim.send,
                        Delivery::Sent,
                        Some((account.workspace_id.clone(), account.seq, capture)),
                    ));
                    continue;
                }
                jobs.push(deliver::Job {
                    send: claim.send,
                    envelope: message.envelope().clone(),
                    raw,
                });
            }
            if let (Some(account), false) = (&account, jobs.is_empty()) {
                for (send, delivery) in self.deliverer.deliver(account, jobs).await {
                    results.push((send, delivery, None));
                }
            }
        }
        Ok(results)
    }

    /// When the next contact of an active campaign is due, if any.
    async fn next_due(&self) -> Result<Option<i64>, Error> {
        self.db
            .read(|conn| {
                let mut earliest: Option<i64> = None;
                for seq in db::campaigns::active_seqs(conn)? {
                    let due: Option<i64> = conn
                        .prepare_cached(
                            "SELECT min(due_at) FROM campaign_contacts
                             WHERE campaign_seq = ?1 AND due_at IS NOT NULL",
                        )?
                        .query_row([seq], |row| row.get(0))?;
                    earliest = match (earliest, due) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
                Ok(earliest)
            })
            .await
    }

    /// Runs until `shutdown` resolves: settles interrupted claims, then passes whenever work is
    /// due or the API wakes it.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) {
        if let Err(error) = self.recover(Utc::now()).await {
            tracing::error!(%error, "settling interrupted sends failed");
        }
        let work = async {
            loop {
                let progressed = match self.run_once(Utc::now()).await {
                    Ok(outcome) if outcome != Outcome::default() => {
                        tracing::info!(?outcome, "sender pass");
                        outcome.sent + outcome.bounced + outcome.uncertain + outcome.failed > 0
                    }
                    Ok(_) => false,
                    Err(error) => {
                        tracing::error!(%error, "sender pass failed");
                        false
                    }
                };
                let floor = if progressed { Duration::ZERO } else { MIN_IDLE };
                let sleep = match self.next_due().await {
                    Ok(Some(due)) => {
                        let wait = due - Utc::now().timestamp();
                        Duration::from_secs(u64::try_from(wait.max(0)).unwrap_or(0))
                            .clamp(floor, MAX_IDLE)
                    }
                    Ok(None) => MAX_IDLE,
                    Err(error) => {
                        tracing::error!(%error, "reading the next due time failed");
                        MAX_IDLE
                    }
                };
                if sleep.is_zero() {
                    tokio::task::yield_now().await;
                    continue;
                }
                tokio::select! {
                    _ = tokio::time::sleep(sleep) => {}
                    _ = self.handle.notify.notified() => {}
                }
            }
        };
        tokio::select! {
            _ = work => {}
            _ = shutdown => {}
        }
    }
}

use std::future::Future;

/// A sandbox capture: the workspace, the account row and the message.
type Capture = (
    crate::domain::ids::WorkspaceId,
    i64,
    db::sandbox::CapturedMessage,
);
