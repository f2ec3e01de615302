//! IMAP for the inbox poller (async-imap over TCP, STARTTLS or implicit TLS with tokio-rustls):
//! logging in, selecting the inbox, listing new UIDs and fetching messages without marking them
//! read. Every network step is limited by a timeout and fails with the step's name.

use crate::domain::email_account::{Encryption, ImapSettings};
use crate::sender::smtp::{open_tcp, tls_handshake, within, ConnectError, Step};
use chrono::NaiveDate;
use futures_util::TryStreamExt;
use std::fmt;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// A byte stream an IMAP session runs over: plain TCP or TLS.
pub trait ImapStream: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> ImapStream for T {}

/// A logged-in IMAP session.
pub type Session = async_imap::Session<Box<dyn ImapStream>>;

/// A failed step of a poll; shown as `IMAP <step>: <message>` (never a password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollError {
    /// `connect`, `tls`, `auth`, `select`, `search`, `fetch` or `timeout`.
    pub step: &'static str,
    /// What happened, with the server's answer when there was one.
    pub message: String,
}

impl PollError {
    /// An error of `step`.
    pub fn new(step: &'static str, message: impl Into<String>) -> Self {
        Self {
            step,
            message: message.into(),
        }
    }
}

impl fmt::Display for PollError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IMAP {}: {}", self.step, self.message)
    }
}

impl std::error::Error for PollError {}

impl From<ConnectError> for PollError {
    fn from(error: ConnectError) -> Self {
        Self::new(error.step.as_str(), error.message)
    }
}

/// Opens a session: TCP, implicit TLS for `ssl`, the greeting, STARTTLS for `tls` (refused by
/// the server = a TLS error), then LOGIN (a username is required: an inbox cannot be read
/// anonymously).
pub async fn login(settings: &ImapSettings, timeout: Duration) -> Result<Session, ConnectError> {
    let host = settings.host.as_str();
    let tcp = open_tcp(host, settings.port, timeout).await?;
    let stream: Box<dyn ImapStream> = match settings.encryption {
        Encryption::Ssl => Box::new(tls_handshake(tcp, host, timeout).await?),
        Encryption::None => Box::new(tcp),
        Encryption::Tls => {
            let mut client = async_imap::Client::new(tcp);
            greeting(&mut client, timeout).await?;
            within(timeout, Step::Tls, "STARTTLS", async {
                client
                    .run_command_and_check_ok("STARTTLS", None)
                    .await
                    .map_err(|error| ConnectError::new(Step::Tls, format!("STARTTLS: {error}")))
            })
            .await?;
            let tls = tls_handshake(client.into_inner(), host, timeout).await?;
            let client = async_imap::Client::new(Box::new(tls) as Box<dyn ImapStream>);
            return authenticate(client, settings, timeout).await;
        }
    };
    let mut client = async_imap::Client::new(stream);
    greeting(&mut client, timeout).await?;
    authenticate(client, settings, timeout).await
}

async fn greeting<T>(
    client: &mut async_imap::Client<T>,
    timeout: Duration,
) -> Result<(), ConnectError>
where
    T: AsyncRead + AsyncWrite + Unpin + fmt::Debug + Send,
{
    within(timeout, Step::Connect, "the IMAP greeting", async {
        match client.read_response().await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(ConnectError::new(
                Step::Connect,
                "the server closed the connection before its greeting",
            )),
            Err(error) => Err(ConnectError::new(
                Step::Connect,
                format!("reading the greeting: {error}"),
            )),
        }
    })
    .await
}

async fn authenticate(
    client: async_imap::Client<Box<dyn ImapStream>>,
    settings: &ImapSettings,
    timeout: Duration,
) -> Result<Session, ConnectError> {
    let Some(username) = &settings.username else {
        return Err(ConnectError::new(
            Step::Auth,
            "no IMAP username is set: an inbox cannot be read without logging in",
        ));
    };
    let password = settings
        .password
        .as_ref()
        .map(|password| password.expose())
        .unwrap_or_default();
    within(timeout, Step::Auth, "LOGIN", async {
        client
            .login(username, password)
            .await
            .map_err(|(error, _)| ConnectError::new(Step::Auth, format!("LOGIN: {error}")))
    })
    .await
}

/// Runs one protocol step with the timeout, naming the step on failure.
async fn step<T>(
    name: &'static str,
    timeout: Duration,
    work: impl std::future::Future<Output = async_imap::error::Result<T>>,
) -> Result<T, PollError> {
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(PollError::new(name, error.to_string())),
        Err(_) => Err(PollError::new(
            name,
            format!("no answer within {} s", timeout.as_secs()),
        )),
    }
}

/// Selects INBOX; returns its UIDVALIDITY.
pub async fn select_inbox(session: &mut Session, timeout: Duration) -> Result<u32, PollError> {
    let mailbox = step("select", timeout, session.select("INBOX")).await?;
    mailbox
        .uid_validity
        .ok_or_else(|| PollError::new("select", "the server sent no UIDVALIDITY for INBOX"))
}

/// The UIDs above `after` of messages that arrived on or after `since`, in ascending order.
pub async fn new_uids(
    session: &mut Session,
    after: u32,
    since: NaiveDate,
    timeout: Duration,
) -> Result<Vec<u32>, PollError> {
    let first = after.saturating_add(1);
    let query = format!("UID {first}:* SINCE {}", since.format("%-d-%b-%Y"));
    let found = step("search", timeout, session.uid_search(query)).await?;
    // `n:*` always includes the highest UID, even when it is below `n`.
    let mut uids: Vec<u32> = found.into_iter().filter(|uid| *uid > after).collect();
    uids.sort_unstable();
    Ok(uids)
}

/// Fetches whole messages by UID without setting `\Seen` (`BODY.PEEK[]`); returns them by UID
/// in ascending order. A UID expunged meanwhile is simply missing.
pub async fn fetch(
    session: &mut Session,
    uids: &[u32],
    timeout: Duration,
) -> Result<Vec<(u32, Vec<u8>)>, PollError> {
    if uids.is_empty() {
        return Ok(Vec::new());
    }
    let set = uids
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let work = async {
        let stream = session.uid_fetch(set, "(UID BODY.PEEK[])").await?;
        let fetches: Vec<_> = stream.try_collect().await?;
        Ok(fetches)
    };
    let fetches = step("fetch", timeout, work).await?;
    let mut messages: Vec<(u32, Vec<u8>)> = fetches
        .iter()
        .filter_map(|fetch| Some((fetch.uid?, fetch.body()?.to_vec())))
        .filter(|(uid, _)| uids.contains(uid))
        .collect();
    messages.sort_by_key(|(uid, _)| *uid);
    messages.dedup_by_key(|(uid, _)| *uid);
    Ok(messages)
}

/// Logs out, ignoring failures (the work is done).
pub async fn logout(mut session: Session, timeout: Duration) {
    let _ = tokio::time::timeout(timeout, session.logout()).await;
}
