//! The inbox poller: reads each email account's IMAP inbox for replies, automatic replies and
//! bounces, and applies what they mean to the campaigns that sent the original messages.
//!
//! Messages are fetched without being marked read. Each one is classified, then recorded in
//! `inbox_messages` together with its effects and the account's new position in one writer
//! transaction, so a crash or a restart never applies a message twice. One account's failure
//! (unreachable, TLS, refused login) is written to that account's `last_error` and never stops
//! the others. Tests drive [`Inbox::run_once`] with a fake clock.

pub mod classify;
pub mod imap;

use crate::config::Config;
use crate::db::email_accounts::InboxAccount;
use crate::db::inbox::{Applied, Mailbox};
use crate::db::{self, Database};
use crate::domain::email_account::AccountStatus;
use crate::error::Error;
use crate::secret::SecretBox;
use chrono::{DateTime, Days, Utc};
use imap::PollError;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Messages fetched per IMAP command.
const FETCH_CHUNK: usize = 20;
/// Most messages read from one account in one poll; the rest wait for the next.
const MAX_MESSAGES_PER_POLL: usize = 500;
/// Longest time one account's poll may take.
const ACCOUNT_TIMEOUT: Duration = Duration::from_secs(300);

/// What one [`Inbox::run_once`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PollOutcome {
    /// Accounts with IMAP settings that were polled.
    pub accounts: usize,
    /// Of those, the ones whose poll failed (see their `last_error`).
    pub failed: usize,
    /// Human replies matched to a send (counted or a later reply to the same send).
    pub replies: usize,
    /// Automatic replies (recorded, never counted).
    pub auto_replies: usize,
    /// Delivery reports matched to a send.
    pub bounces: usize,
    /// Messages that concern none of the account's sends.
    pub unmatched: usize,
    /// Messages already recorded (same UID, or same Message-ID after UIDVALIDITY changed).
    pub duplicates: usize,
}

impl PollOutcome {
    fn count(&mut self, applied: Applied) {
        match applied {
            Applied::Duplicate => self.duplicates += 1,
            Applied::Reply { .. } => self.replies += 1,
            Applied::AutoReply => self.auto_replies += 1,
            Applied::Bounce { .. } => self.bounces += 1,
            Applied::Unmatched => self.unmatched += 1,
        }
    }

    fn merge(&mut self, other: PollOutcome) {
        self.accounts += other.accounts;
        self.failed += other.failed;
        self.replies += other.replies;
        self.auto_replies += other.auto_replies;
        self.bounces += other.bounces;
        self.unmatched += other.unmatched;
        self.duplicates += other.duplicates;
    }
}

/// Why one account's poll stopped: its mailbox, or our database.
enum Failure {
    Imap(PollError),
    Database(Error),
}

impl From<PollError> for Failure {
    fn from(error: PollError) -> Self {
        Self::Imap(error)
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self::Database(error)
    }
}

/// The inbox poller.
pub struct Inbox {
    db: Database,
    config: Arc<Config>,
    secrets: SecretBox,
}

impl Inbox {
    /// A poller over the database.
    pub fn new(db: Database, config: Arc<Config>) -> Self {
        Self {
            secrets: SecretBox::new(&config.secret_key),
            db,
            config,
        }
    }

    /// Polls every account with IMAP settings once, concurrently, each within a time limit.
    /// Account failures are recorded on the accounts; only a database failure is an `Err`.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<PollOutcome, Error> {
        let secrets = self.secrets.clone();
        let accounts = self
            .db
            .read(move |conn| db::email_accounts::load_for_inbox(conn, &secrets))
            .await?;
        let polls = accounts
            .iter()
            .map(|account| self.poll_account(account, now));
        let mut outcome = PollOutcome::default();
        let mut database_error = None;
        for result in futures_util::future::join_all(polls).await {
            match result {
                Ok(polled) => outcome.merge(polled),
                Err(error) => {
                    outcome.accounts += 1;
                    outcome.failed += 1;
                    database_error.get_or_insert(error);
                }
            }
        }
        match database_error {
            Some(error) => Err(error),
            None => Ok(outcome),
        }
    }

    /// Polls one account and records the verdict on it: its error, or `active` again after an
    /// inbox error.
    async fn poll_account(
        &self,
        account: &InboxAccount,
        now: DateTime<Utc>,
    ) -> Result<PollOutcome, Error> {
        let mut outcome = PollOutcome::default();
        let result = tokio::time::timeout(ACCOUNT_TIMEOUT, self.poll(account, now, &mut outcome))
            .await
            .unwrap_or_else(|_| {
                Err(Failure::Imap(PollError::new(
                    "timeout",
                    format!(
                        "the poll did not finish within {} s",
                        ACCOUNT_TIMEOUT.as_secs()
                    ),
                )))
            });
        outcome.accounts = 1;
        let seq = account.seq;
        let now_text = crate::domain::time::format(now);
        match result {
            Ok(()) => {
                let inbox_error = account.status == AccountStatus::Error
                    && account
                        .last_error
                        .as_deref()
                        .is_some_and(|error| error.starts_with("IMAP "));
                if inbox_error {
                    self.db
                        .write(move |conn| {
                            db::email_accounts::set_status(
                                conn,
                                seq,
                                AccountStatus::Active,
                                None,
                                &now_text,
                            )
                        })
                        .await?;
                }
                Ok(outcome)
            }
            Err(Failure::Imap(error)) => {
                tracing::warn!(email_account_id = %account.id, %error, "polling the inbox failed");
                outcome.failed = 1;
                let message = error.to_string();
                self.db
                    .write(move |conn| {
                        db::email_accounts::set_status(
                            conn,
                            seq,
                            AccountStatus::Error,
                            Some(&message),
                            &now_text,
                        )
                    })
                    .await?;
                Ok(outcome)
            }
            Err(Failure::Database(error)) => {
                tracing::error!(email_account_id = %account.id, %error, "recording the inbox failed");
                Err(error)
            }
        }
    }

    /// Logs in, reads what is new, logs out.
    async fn poll(
        &self,
        account: &InboxAccount,
        now: DateTime<Utc>,
        outcome: &mut PollOutcome,
    ) -> Result<(), Failure> {
        let settings = account
            .imap
            .as_ref()
            .map_err(|message| PollError::new("auth", message.clone()))?;
        let timeout = self.config.smtp_timeout;
        let mut session = imap::login(settings, timeout)
            .await
            .map_err(PollError::from)?;
        let result = self.read_new(&mut session, account, now, outcome).await;
        imap::logout(session, timeout).await;
        result
    }

    /// Selects the inbox, settles a UIDVALIDITY change, then fetches, classifies and records
    /// every message above the last UID handled.
    async fn read_new(
        &self,
        session: &mut imap::Session,
        account: &InboxAccount,
        now: DateTime<Utc>,
        outcome: &mut PollOutcome,
    ) -> Result<(), Failure> {
        let timeout = self.config.smtp_timeout;
        let seq = account.seq;
        let uid_validity = imap::select_inbox(session, timeout).await?;
        let state = self
            .db
            .read(move |conn| db::inbox::state(conn, seq))
            .await?;
        let last_uid = match state.uid_validity {
            Some(known) if known == uid_validity => state.last_uid,
            known => {
                if known.is_some() {
                    tracing::warn!(
                        email_account_id = %account.id,
                        "the inbox's UIDVALIDITY changed: reading it again from the start"
                    );
                }
                self.db
                    .write(move |conn| db::inbox::reset_state(conn, seq, uid_validity))
                    .await?;
                0
            }
        };
        // No reply can be older than the account; a day of margin covers time zones.
        let since = crate::domain::time::parse(&account.created_at)
            .unwrap_or(now)
            .date_naive()
            .checked_sub_days(Days::new(1))
            .unwrap_or_default();
        let mut uids = imap::new_uids(session, last_uid, since, timeout).await?;
        uids.truncate(MAX_MESSAGES_PER_POLL);
        let mailbox = Mailbox {
            account_seq: seq,
            workspace_id: account.workspace_id.clone(),
            uid_validity,
        };
        for chunk in uids.chunks(FETCH_CHUNK) {
            for (uid, raw) in imap::fetch(session, chunk, timeout).await? {
                let classified = classify::classify(&raw);
                drop(raw);
                let mailbox = mailbox.clone();
                let applied = self
                    .db
                    .write(move |conn| {
                        db::inbox::apply(conn, &mailbox, uid, classified.as_ref(), now)
                    })
                    .await?;
                outcome.count(applied);
            }
            // UIDs expunged between the search and the fetch are passed over too.
            let highest = chunk.last().copied().unwrap_or(last_uid);
            self.db
                .write(move |conn| db::inbox::advance(conn, seq, uid_validity, highest, None))
                .await?;
        }
        let now_text = crate::domain::time::format(now);
        self.db
            .write(move |conn| {
                db::inbox::advance(conn, seq, uid_validity, last_uid, Some(&now_text))
            })
            .await?;
        Ok(())
    }

    /// Runs until `shutdown` resolves: polls every account, then waits
    /// `inbox_poll_seconds`.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) {
        let interval = Duration::from_secs(self.config.inbox_poll_seconds.max(1));
        let work = async {
            loop {
                match self.run_once(Utc::now()).await {
                    Ok(outcome) if outcome.accounts > 0 => {
                        tracing::debug!(?outcome, "inbox poll");
                    }
                    Ok(_) => {}
                    Err(error) => tracing::error!(%error, "inbox poll failed"),
                }
                tokio::time::sleep(interval).await;
            }
        };
        tokio::select! {
            _ = work => {}
            _ = shutdown => {}
        }
    }
}
