//! A real SMTP server for tests: TCP on 127.0.0.1, many connections, many messages per connection,
//! PIPELINING, AUTH PLAIN/LOGIN, STARTTLS with a fresh self-signed certificate, scripted replies.
//!
//! ```ignore
//! let sink = SmtpSink::start_default().await;          // 127.0.0.1:<sink.port()>, accepts all
//! // … the product sends …
//! let messages = sink.wait_for(3, Duration::from_secs(10)).await;  // panics on timeout
//! assert_eq!(messages[0].header("Subject").as_deref(), Some("Hello"));
//! ```
//! The server stops (listener and every open connection) when the `SmtpSink` is dropped.

// Shared test support: not every module uses every item.
#![allow(dead_code)]

mod protocol;
mod received;
#[cfg(test)]
mod tests;

pub use received::Received;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

/// The sink's answer to one RCPT TO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `250 2.1.5 Ok`
    Ok,
    /// A 4xx reply: code and text (`Temporary(451, "4.3.0 Try again later".into())`).
    Temporary(u16, String),
    /// A 5xx reply: code and text (`Permanent(550, "5.1.1 No such user".into())`).
    Permanent(u16, String),
}

/// What the sink does once it has read a whole message after DATA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterData {
    /// Store it in `messages()`, append it to the log file, answer `250`.
    Accept,
    /// Answer with this 4xx; the message is not stored.
    Temporary(u16, String),
    /// Answer with this 5xx; the message is not stored.
    Permanent(u16, String),
    /// Store it in `unacknowledged()`, then close the connection without a reply.
    DropConnection,
    /// Store it in `unacknowledged()`, then never reply (the connection stays open until the
    /// client gives up or the sink is dropped).
    Hang,
}

/// Decides the reply to one RCPT TO, given the address inside `<…>`.
pub type RcptHook = Arc<dyn Fn(&str) -> Reply + Send + Sync>;
/// Decides what happens to a message once its data is read.
pub type AfterDataHook = Arc<dyn Fn(&Received) -> AfterData + Send + Sync>;

/// How a sink behaves. `SinkConfig::default()` accepts everything, without AUTH or STARTTLS.
#[derive(Clone)]
pub struct SinkConfig {
    /// Required credentials (user, password); AUTH PLAIN and LOGIN are advertised and MAIL is
    /// refused with 530 until the client authenticates. `None`: AUTH is not offered.
    pub auth: Option<(String, String)>,
    /// Offer STARTTLS with a self-signed certificate for `localhost` generated at start.
    pub starttls: bool,
    /// Reply to each RCPT TO (default: 250).
    pub on_rcpt: RcptHook,
    /// Outcome of each message after DATA (default: accept).
    pub after_data: AfterDataHook,
    /// Wait this long after accepting a connection before the 220 greeting.
    pub greeting_delay: Option<Duration>,
    /// Append one line per accepted message and recipient, `<message-id>\t<rcpt>\n`, written
    /// before the 250 reply (so whatever a client saw accepted is in the file).
    pub log_file: Option<PathBuf>,
}

impl Default for SinkConfig {
    fn default() -> Self {
        SinkConfig {
            auth: None,
            starttls: false,
            on_rcpt: Arc::new(|_| Reply::Ok),
            after_data: Arc::new(|_| AfterData::Accept),
            greeting_delay: None,
            log_file: None,
        }
    }
}

/// State shared by the accept loop, every connection and the test.
struct Shared {
    config: SinkConfig,
    tls: Option<TlsAcceptor>,
    accepted: Mutex<Vec<Received>>,
    unacknowledged: Mutex<Vec<Received>>,
    connections: AtomicUsize,
    /// Woken whenever `accepted` or `unacknowledged` grows.
    changed: Notify,
    log: Option<Mutex<File>>,
}

impl Shared {
    /// Records an accepted message: log file first, then memory, then wake waiters.
    fn accept(&self, message: Received) {
        if let Some(log) = &self.log {
            let id = message.message_id.clone().unwrap_or_default();
            let lines: String = message
                .rcpt_to
                .iter()
                .map(|rcpt| format!("{id}\t{rcpt}\n"))
                .collect();
            let mut file = log.lock().expect("sink log lock");
            file.write_all(lines.as_bytes()).expect("sink log written");
            file.flush().expect("sink log flushed");
        }
        self.accepted.lock().expect("sink lock").push(message);
        self.changed.notify_waiters();
    }

    fn keep_unacknowledged(&self, message: Received) {
        self.unacknowledged.lock().expect("sink lock").push(message);
        self.changed.notify_waiters();
    }
}

/// A running SMTP server on 127.0.0.1; stops when dropped.
pub struct SmtpSink {
    port: u16,
    shared: Arc<Shared>,
    accept_loop: JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection task.
        self.accept_loop.abort();
    }
}

impl SmtpSink {
    /// Starts a sink with the default configuration (accept everything, no AUTH, no TLS).
    pub async fn start_default() -> SmtpSink {
        SmtpSink::start(SinkConfig::default()).await
    }

    /// Starts a sink on 127.0.0.1 on a free port.
    pub async fn start(config: SinkConfig) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("sink binds 127.0.0.1:0");
        let port = listener.local_addr().expect("sink address").port();
        let tls = config.starttls.then(tls_acceptor);
        let log = config.log_file.as_ref().map(|path| {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap_or_else(|e| panic!("sink log {}: {e}", path.display()));
            Mutex::new(file)
        });
        let shared = Arc::new(Shared {
            config,
            tls,
            accepted: Mutex::new(Vec::new()),
            unacknowledged: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
            changed: Notify::new(),
            log,
        });
        let accept_loop = tokio::spawn(accept_loop(listener, shared.clone()));
        SmtpSink {
            port,
            shared,
            accept_loop,
        }
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Messages answered with 250, in the order they were accepted.
    pub fn messages(&self) -> Vec<Received> {
        self.shared.accepted.lock().expect("sink lock").clone()
    }

    /// How many messages were answered with 250 (cheaper than `messages().len()`).
    pub fn message_count(&self) -> usize {
        self.shared.accepted.lock().expect("sink lock").len()
    }

    /// Messages read in full but never acknowledged (`DropConnection`, `Hang`).
    pub fn unacknowledged(&self) -> Vec<Received> {
        self.shared
            .unacknowledged
            .lock()
            .expect("sink lock")
            .clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Waits until at least `count` messages were accepted and returns them all; panics after
    /// `timeout` saying how many arrived.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let reached = self.wait_for_count(count, timeout).await;
        assert!(
            reached >= count,
            "the SMTP sink expected {count} messages within {timeout:?}, got {reached}"
        );
        self.messages()
    }

    /// Waits until at least `count` messages were accepted or `timeout` passed; returns the
    /// number accepted then (below `count` on timeout). Never panics.
    pub async fn wait_for_count(&self, count: usize, timeout: Duration) -> usize {
        self.wait_until(timeout, || self.message_count() >= count)
            .await;
        self.message_count()
    }

    /// Waits until at least `count` messages were left unacknowledged; panics on timeout.
    pub async fn wait_for_unacknowledged(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let done = self
            .wait_until(timeout, || self.unacknowledged_count() >= count)
            .await;
        assert!(
            done,
            "the SMTP sink expected {count} unacknowledged messages within {timeout:?}, got {}",
            self.unacknowledged_count()
        );
        self.unacknowledged()
    }

    fn unacknowledged_count(&self) -> usize {
        self.shared.unacknowledged.lock().expect("sink lock").len()
    }

    /// Waits on the change notification (no polling) until `done()` or the deadline.
    async fn wait_until(&self, timeout: Duration, done: impl Fn() -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            // Registered before the check, so a message arriving in between still wakes us.
            changed.as_mut().enable();
            if done() {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return done();
            }
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut sessions = tokio::task::JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        // Without it a reply waits for the client's delayed ACK (~40 ms per message).
        let _ = stream.set_nodelay(true);
        shared.connections.fetch_add(1, Ordering::SeqCst);
        sessions.spawn(protocol::serve(stream, shared.clone()));
        while sessions.try_join_next().is_some() {}
    }
}

/// A TLS acceptor with a certificate for `localhost` made now.
fn tls_acceptor() -> TlsAcceptor {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .expect("self-signed certificate");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .expect("TLS server configuration");
    TlsAcceptor::from(Arc::new(config))
}
