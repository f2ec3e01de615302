//! Handing messages to SMTP servers over reused connections, and telling apart what surely
//! failed (retry or bounce) from what may have been delivered (uncertain).

use super::smtp;
use crate::db::email_accounts::SendingAccount;
use crate::db::sends::{Delivery, SendRef};
use lettre::address::Envelope;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{Extension, MailBodyParameter, MailParameter};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Idle connections older than this are closed rather than reused.
const IDLE_LIMIT: Duration = Duration::from_secs(30);
/// Messages per connection below which opening another one is not worth it.
const MESSAGES_PER_CONNECTION: usize = 25;

/// One message to deliver.
pub struct Job {
    /// The send it is.
    pub send: SendRef,
    /// SMTP envelope.
    pub envelope: Envelope,
    /// The formatted message.
    pub raw: Vec<u8>,
}

/// Idle SMTP connections per account, reused across batches.
pub struct Deliverer {
    idle: Mutex<HashMap<i64, Vec<(AsyncSmtpConnection, Instant)>>>,
    max_connections: usize,
    timeout: Duration,
}

impl Deliverer {
    /// A deliverer opening at most `max_connections` connections per account and giving up a
    /// server that takes longer than `timeout` for one step.
    pub fn new(max_connections: usize, timeout: Duration) -> Self {
        Self {
            idle: Mutex::new(HashMap::new()),
            max_connections: max_connections.max(1),
            timeout,
        }
    }

    fn take_idle(&self, account: i64) -> Option<AsyncSmtpConnection> {
        let mut idle = self.idle.lock().ok()?;
        let pool = idle.get_mut(&account)?;
        while let Some((connection, since)) = pool.pop() {
            if since.elapsed() < IDLE_LIMIT && !connection.has_broken() {
                return Some(connection);
            }
        }
        None
    }

    fn put_idle(&self, account: i64, connection: AsyncSmtpConnection) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.entry(account)
                .or_default()
                .push((connection, Instant::now()));
        }
    }

    /// Delivers every job through the account's server, in parallel over up to
    /// `max_connections` connections; returns each job's outcome.
    pub async fn deliver(
        &self,
        account: &SendingAccount,
        jobs: Vec<Job>,
    ) -> Vec<(SendRef, Delivery)> {
        let workers = jobs
            .len()
            .div_ceil(MESSAGES_PER_CONNECTION)
            .clamp(1, self.max_connections);
        let queue = Arc::new(Mutex::new(jobs.into_iter().collect::<VecDeque<_>>()));
        let hello = account
            .email
            .rsplit_once('@')
            .map_or("localhost", |(_, domain)| domain)
            .to_owned();
        let tasks = (0..workers).map(|_| {
            let queue = queue.clone();
            let hello = hello.clone();
            async move { self.worker(account, &hello, queue).await }
        });
        futures_util::future::join_all(tasks)
            .await
            .into_iter()
            .flatten()
            .collect()
    }

    async fn worker(
        &self,
        account: &SendingAccount,
        hello: &str,
        queue: Arc<Mutex<VecDeque<Job>>>,
    ) -> Vec<(SendRef, Delivery)> {
        let mut results = Vec::new();
        let mut connection = self.take_idle(account.seq);
        let next = || queue.lock().ok().and_then(|mut q| q.pop_front());
        while let Some(job) = next() {
            if connection.is_none() {
                match smtp::connect(&account.smtp, hello, self.timeout).await {
                    Ok(opened) => connection = Some(opened),
                    Err(error) => {
                        let reason = format!("SMTP {}: {}", error.step.as_str(), error.message);
                        tracing::warn!(account = %account.id, %reason, "cannot reach the SMTP server");
                        results.push((job.send, Delivery::Retry(reason.clone())));
                        // Nothing else can go out through this server now: the rest retries later.
                        while let Some(job) = next() {
                            results.push((job.send, Delivery::Retry(reason.clone())));
                        }
                        break;
                    }
                }
            }
            let Some(open) = connection.as_mut() else {
                break;
            };
            let (delivery, usable) = send_one(open, &job, self.timeout).await;
            results.push((job.send, delivery));
            if !usable {
                if let Some(mut broken) = connection.take() {
                    // `abort` says QUIT and waits for the answer: a silent server must not
                    // hold the worker, so the wait is bounded and the socket dropped after.
                    let _ = tokio::time::timeout(self.timeout, broken.abort()).await;
                }
            }
        }
        if let Some(open) = connection {
            self.put_idle(account.seq, open);
        }
        results
    }
}

/// Runs one SMTP step with the step timeout.
async fn step<T>(
    timeout: Duration,
    future: impl Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<T, StepError> {
    match tokio::time::timeout(timeout, future).await {
        Err(_) => Err(StepError::Network(
            "the SMTP server did not answer in time".to_owned(),
        )),
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) if error.is_permanent() => Err(StepError::Permanent(error.to_string())),
        Ok(Err(error)) if error.is_transient() => Err(StepError::Transient(error.to_string())),
        Ok(Err(error)) => Err(StepError::Network(error.to_string())),
    }
}

enum StepError {
    /// A 5xx reply.
    Permanent(String),
    /// A 4xx reply.
    Transient(String),
    /// No usable reply: the connection broke or timed out.
    Network(String),
}

/// Sends one message; returns its outcome and whether the connection can be reused.
async fn send_one(
    connection: &mut AsyncSmtpConnection,
    job: &Job,
    timeout: Duration,
) -> (Delivery, bool) {
    let mut parameters = Vec::new();
    if !job.raw.is_ascii()
        && connection
            .server_info()
            .supports_feature(Extension::EightBitMime)
    {
        parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    let before_data = async {
        step(
            timeout,
            connection.command(Mail::new(job.envelope.from().cloned(), parameters)),
        )
        .await?;
        for recipient in job.envelope.to() {
            step(
                timeout,
                connection.command(Rcpt::new(recipient.clone(), vec![])),
            )
            .await?;
        }
        step(timeout, connection.command(Data)).await
    };
    match before_data.await {
        Ok(_) => {}
        Err(StepError::Permanent(reason)) => {
            let usable = step(timeout, connection.command(Rset)).await.is_ok();
            return (Delivery::Bounced(reason), usable);
        }
        Err(StepError::Transient(reason)) => {
            let usable = step(timeout, connection.command(Rset)).await.is_ok();
            return (Delivery::Retry(reason), usable);
        }
        // Nothing was handed over yet: safe to retry.
        Err(StepError::Network(reason)) => return (Delivery::Retry(reason), false),
    }
    match step(timeout, connection.message(&job.raw)).await {
        Ok(_) => (Delivery::Sent, true),
        Err(StepError::Permanent(reason)) => (Delivery::Bounced(reason), true),
        Err(StepError::Transient(reason)) => (Delivery::Retry(reason), true),
        // The message (or part of it) went out and no verdict came back: it may have been
        // delivered, so it must never be sent again automatically.
        Err(StepError::Network(reason)) => (Delivery::Uncertain(reason), false),
    }
}
