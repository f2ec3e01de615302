//! One HTTP delivery: the signed POST of the stored bytes, through a client that never follows
//! redirects and only connects to addresses the URL guard vetted (no DNS rebinding).

use super::store::{Attempt, Tried};
use crate::webhooks::{signing, url_guard};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most bytes of a receiver's answer read (then dropped) so the connection can be reused.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// A resolution refused by the guard: the delivery fails for good with this reason.
#[derive(Debug)]
struct Refused(String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Refused {}

/// Resolves host names and hands the connector only vetted addresses: the address checked is
/// the address connected to. (IP-literal hosts never reach a resolver; the URL check covers them.)
struct VettedResolver {
    allow_private: bool,
}

impl Resolve for VettedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // A resolver that cannot answer must not hold a delivery for long.
            let found: Vec<_> = tokio::time::timeout(
                Duration::from_secs(3),
                tokio::net::lookup_host((host.as_str(), 0)),
            )
            .await
            .map_err(|_| {
                Box::new(Refused(format!(
                    "could not resolve {host}: no answer within 3 s"
                ))) as Box<dyn StdError + Send + Sync>
            })??
            .collect();
            let vetted = url_guard::vet(&host, found, allow_private)
                .map_err(|reason| Box::new(Refused(reason)) as Box<dyn StdError + Send + Sync>)?;
            Ok(Box::new(vetted.into_iter()) as Addrs)
        })
    }
}

/// The webhook HTTP client.
pub struct Client {
    http: reqwest::Client,
    allow_private: bool,
    timeout: Duration,
}

impl Client {
    /// A client with the guard (unless `allow_private`) and a whole-request `timeout`.
    pub fn new(allow_private: bool, timeout: Duration) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .no_proxy()
            .dns_resolver(Arc::new(VettedResolver { allow_private }))
            .user_agent("fluenzr-webhooks")
            .pool_idle_timeout(Duration::from_secs(60))
            .build()?;
        Ok(Self {
            http,
            allow_private,
            timeout,
        })
    }

    /// POSTs the attempt's payload, signed with `secret` at `timestamp` (Unix seconds).
    pub async fn send(&self, attempt: &Attempt, secret: &str, timestamp: i64) -> Tried {
        let url = match url_guard::check_url(&attempt.url, self.allow_private) {
            Ok(url) => url,
            Err(reason) => {
                return Tried::Failed {
                    status_code: None,
                    response_time_ms: None,
                    error: reason,
                }
            }
        };
        let body = attempt.payload.as_bytes();
        let request = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-FluenzR-Timestamp", timestamp.to_string())
            .header(
                "X-FluenzR-Signature",
                signing::sign(secret, timestamp, body),
            )
            .header("webhook-id", attempt.event_id.as_str())
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                signing::sign_standard(secret, &attempt.event_id, timestamp, body),
            )
            .body(attempt.payload.clone());
        let started = Instant::now();
        let elapsed = |started: Instant| i64::try_from(started.elapsed().as_millis()).unwrap_or(0);
        match request.send().await {
            Ok(mut response) => {
                let status = response.status();
                let response_time_ms = elapsed(started);
                // Read a bounded amount of the answer so the connection goes back to the pool.
                let mut read = 0;
                while read < MAX_ANSWER_BYTES {
                    match response.chunk().await {
                        Ok(Some(chunk)) => read += chunk.len(),
                        _ => break,
                    }
                }
                let code = status.as_u16();
                if status.is_success() {
                    Tried::Delivered {
                        status_code: code,
                        response_time_ms,
                    }
                } else if status.is_client_error() {
                    Tried::Failed {
                        status_code: Some(code),
                        response_time_ms: Some(response_time_ms),
                        error: format!("HTTP {code}: the receiver refused the event"),
                    }
                } else if status.is_redirection() {
                    Tried::Retry {
                        status_code: Some(code),
                        response_time_ms: Some(response_time_ms),
                        error: format!("HTTP {code}: redirects are not followed"),
                    }
                } else {
                    Tried::Retry {
                        status_code: Some(code),
                        response_time_ms: Some(response_time_ms),
                        error: format!("HTTP {code}"),
                    }
                }
            }
            Err(error) => {
                let response_time_ms = Some(elapsed(started));
                if let Some(refused) = find_refusal(&error) {
                    return Tried::Failed {
                        status_code: None,
                        response_time_ms,
                        error: refused,
                    };
                }
                let error = if error.is_timeout() {
                    format!("timed out after {} s", self.timeout.as_secs())
                } else {
                    describe(error)
                };
                Tried::Retry {
                    status_code: None,
                    response_time_ms,
                    error,
                }
            }
        }
    }
}

/// The guard's reason, when the error comes from a refused resolution.
fn find_refusal(error: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn StdError + 'static)> = error.source();
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<Refused>() {
            return Some(refused.0.clone());
        }
        source = cause.source();
    }
    None
}

/// The error and its causes, without the URL (which may carry credentials).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
