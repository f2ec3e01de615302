//! Opening authenticated SMTP connections (lettre over a TCP stream we open ourselves, with
//! `TCP_NODELAY`) and checking IMAP logins. A connection is meant to be reused for many
//! messages: connecting, TLS and AUTH cost several round trips each.

use crate::domain::email_account::{Encryption, ImapSettings, SmtpSettings};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// The stage of a connection that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// TCP connect, or the server's greeting and EHLO.
    Connect,
    /// Implicit TLS handshake, or STARTTLS (missing or failed).
    Tls,
    /// Authentication (refused credentials, or no usable mechanism).
    Auth,
}

impl Step {
    /// The wire name (`connect`, `tls`, `auth`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Tls => "tls",
            Self::Auth => "auth",
        }
    }
}

/// Why a connection could not be opened: the step and a message carrying the server's reply
/// when there was one. Never contains a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectError {
    /// Where it failed.
    pub step: Step,
    /// What happened.
    pub message: String,
}

impl ConnectError {
    pub(crate) fn new(step: Step, message: impl Into<String>) -> Self {
        Self {
            step,
            message: message.into(),
        }
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.step.as_str(), self.message)
    }
}

impl std::error::Error for ConnectError {}

/// A lettre error as text: `535 5.7.8 Authentication failed` for server replies.
fn describe(error: &lettre::transport::smtp::Error) -> String {
    let detail = std::error::Error::source(error).map(ToString::to_string);
    match (error.status(), detail) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        (Some(code), None) => code.to_string(),
        (None, _) => error.to_string(),
    }
}

/// Runs `work` with a time limit; running out is an error of `step`.
pub(crate) async fn within<T>(
    timeout: Duration,
    step: Step,
    what: &str,
    work: impl Future<Output = Result<T, ConnectError>>,
) -> Result<T, ConnectError> {
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or_else(|_| {
            Err(ConnectError::new(
                step,
                format!("{what} timed out after {} s", timeout.as_secs()),
            ))
        })
}

/// Rustls client settings with the Mozilla roots (webpki-roots), built once.
fn tls_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
            let config = ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map(|builder| {
                    builder
                        .with_root_certificates(roots.clone())
                        .with_no_client_auth()
                })
                // The ring provider supports the default versions; this fallback is unreachable.
                .unwrap_or_else(|_| {
                    ClientConfig::builder()
                        .with_root_certificates(roots)
                        .with_no_client_auth()
                });
            Arc::new(config)
        })
        .clone()
}

/// Opens a TCP connection with `TCP_NODELAY` set: without it each message's final `.` waits for
/// the peer's delayed ACK, which caps a connection at about 22 messages per second.
pub(crate) async fn open_tcp(
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<TcpStream, ConnectError> {
    let stream = within(timeout, Step::Connect, "connecting", async {
        TcpStream::connect((host, port))
            .await
            .map_err(|error| ConnectError::new(Step::Connect, format!("{host}:{port}: {error}")))
    })
    .await?;
    stream.set_nodelay(true).map_err(|error| {
        ConnectError::new(Step::Connect, format!("setting TCP_NODELAY: {error}"))
    })?;
    Ok(stream)
}

/// The TLS handshake of implicit TLS (`ssl`), checking the certificate against `host`.
pub(crate) async fn tls_handshake(
    stream: TcpStream,
    host: &str,
    timeout: Duration,
) -> Result<TlsStream, ConnectError> {
    let name = ServerName::try_from(host.to_owned()).map_err(|error| {
        ConnectError::new(
            Step::Tls,
            format!("{host} is not a valid TLS server name: {error}"),
        )
    })?;
    let peer = stream.peer_addr().ok();
    let tls = within(timeout, Step::Tls, "the TLS handshake", async {
        TlsConnector::from(tls_config())
            .connect(name, stream)
            .await
            .map_err(|error| ConnectError::new(Step::Tls, format!("TLS handshake: {error}")))
    })
    .await?;
    Ok(TlsStream { inner: tls, peer })
}

/// A client TLS stream lettre can drive (it needs the peer address).
#[derive(Debug)]
pub(crate) struct TlsStream {
    inner: tokio_rustls::client::TlsStream<TcpStream>,
    peer: Option<SocketAddr>,
}

impl AsyncRead for TlsStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for TlsStream {
    fn peer_addr(&self) -> std::io::Result<SocketAddr> {
        self.peer
            .ok_or_else(|| std::io::Error::other("the peer address is unknown"))
    }
}

/// Opens an SMTP connection ready to send: TCP (`TCP_NODELAY`), implicit TLS for `ssl`,
/// greeting and EHLO as `hello_name`, STARTTLS for `tls` (refused when the server does not offer
/// it), then AUTH PLAIN or LOGIN when a username is set. Each network step is limited by
/// `timeout`. Send many messages over the connection it returns; `quit` it when done.
pub async fn connect(
    settings: &SmtpSettings,
    hello_name: &str,
    timeout: Duration,
) -> Result<AsyncSmtpConnection, ConnectError> {
    let host = settings.host.as_str();
    let client_id = ClientId::Domain(hello_name.to_owned());
    let tcp = open_tcp(host, settings.port, timeout).await?;
    let stream: Box<dyn AsyncTokioStream> = match settings.encryption {
        Encryption::Ssl => Box::new(tls_handshake(tcp, host, timeout).await?),
        Encryption::Tls | Encryption::None => Box::new(tcp),
    };
    let mut connection = within(timeout, Step::Connect, "the SMTP greeting", async {
        AsyncSmtpConnection::connect_with_transport(stream, &client_id)
            .await
            .map_err(|error| ConnectError::new(Step::Connect, describe(&error)))
    })
    .await?;
    if settings.encryption == Encryption::Tls {
        if !connection.can_starttls() {
            connection.abort().await;
            return Err(ConnectError::new(
                Step::Tls,
                "the server does not offer STARTTLS",
            ));
        }
        let parameters = TlsParameters::new(host.to_owned())
            .map_err(|error| ConnectError::new(Step::Tls, describe(&error)))?;
        within(timeout, Step::Tls, "STARTTLS", async {
            connection
                .starttls(parameters, &client_id)
                .await
                .map_err(|error| ConnectError::new(Step::Tls, describe(&error)))
        })
        .await?;
    }
    if let Some(username) = &settings.username {
        let credentials = Credentials::new(
            username.clone(),
            settings
                .password
                .as_ref()
                .map(|password| password.expose().to_owned())
                .unwrap_or_default(),
        );
        let result = within(timeout, Step::Auth, "authentication", async {
            connection
                .auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
                .await
                .map_err(|error| ConnectError::new(Step::Auth, describe(&error)))
        })
        .await;
        if let Err(error) = result {
            connection.abort().await;
            return Err(error);
        }
    }
    Ok(connection)
}

/// Checks IMAP settings: TCP, TLS (implicit for `ssl`, STARTTLS for `tls`), the greeting, then
/// LOGIN (a username is required: an inbox cannot be read anonymously); logs out after.
pub async fn test_imap(settings: &ImapSettings, timeout: Duration) -> Result<(), ConnectError> {
    let mut session = crate::inbox::imap::login(settings, timeout).await?;
    // The verdict is in; a failed LOGOUT changes nothing.
    let _ = tokio::time::timeout(timeout, session.logout()).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connections_are_opened_with_nodelay() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let stream = open_tcp("127.0.0.1", port, Duration::from_secs(5))
            .await
            .unwrap();
        assert!(stream.nodelay().unwrap());
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_connect_error_naming_the_address() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let error = open_tcp("127.0.0.1", port, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert_eq!(error.step, Step::Connect);
        assert!(
            error.message.contains(&format!("127.0.0.1:{port}")),
            "{error}"
        );
    }
}
