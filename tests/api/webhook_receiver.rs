//! A real HTTP/1.1 webhook receiver on loopback: records every request's raw bytes, headers and
//! arrival time, and answers scripted statuses after scripted delays (keep-alive supported).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub delay: Duration,
    /// A `Location` header (for redirects).
    pub location: Option<String>,
}

impl Reply {
    /// An immediate answer with `status`.
    pub fn status(status: u16) -> Self {
        Reply {
            status,
            delay: Duration::ZERO,
            location: None,
        }
    }
}

/// A request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    /// The request head, byte for byte.
    pub head: Vec<u8>,
    /// The body, byte for byte.
    pub body: Vec<u8>,
    /// Header names lowercased.
    pub headers: HashMap<String, String>,
    pub request_line: String,
    pub arrived: Instant,
}

impl Received {
    /// A header's value.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }
}

/// A receiver; answers from `script` in order, then repeats the last reply.
#[derive(Clone)]
pub struct Receiver {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    connections: Arc<AtomicUsize>,
}

impl Receiver {
    /// Starts a receiver on 127.0.0.1:0.
    pub async fn start(script: Vec<Reply>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, script)
    }

    /// Serves on an already bound listener.
    pub fn serve(listener: TcpListener, script: Vec<Reply>) -> Receiver {
        let port = listener.local_addr().unwrap().port();
        let receiver = Receiver {
            port,
            received: Arc::new(Mutex::new(Vec::new())),
            connections: Arc::new(AtomicUsize::new(0)),
        };
        let script = Arc::new(script);
        let served = Arc::new(AtomicUsize::new(0));
        let this = receiver.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                this.connections.fetch_add(1, Ordering::SeqCst);
                let (this, script, served) = (this.clone(), script.clone(), served.clone());
                tokio::spawn(async move {
                    let _ = this.connection(stream, &script, &served).await;
                });
            }
        });
        receiver
    }

    async fn connection(
        &self,
        mut stream: TcpStream,
        script: &[Reply],
        served: &AtomicUsize,
    ) -> std::io::Result<()> {
        let mut buffer = Vec::new();
        loop {
            let head_end = loop {
                if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                    break end + 4;
                }
                let mut chunk = [0u8; 8192];
                let read = stream.read(&mut chunk).await?;
                if read == 0 {
                    return Ok(());
                }
                buffer.extend_from_slice(&chunk[..read]);
            };
            let head = buffer[..head_end].to_vec();
            let text = String::from_utf8_lossy(&head).into_owned();
            let mut lines = text.split("\r\n");
            let request_line = lines.next().unwrap_or_default().to_owned();
            let headers: HashMap<String, String> = lines
                .filter_map(|line| line.split_once(':'))
                .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
                .collect();
            let length: usize = headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            while buffer.len() < head_end + length {
                let mut chunk = [0u8; 8192];
                let read = stream.read(&mut chunk).await?;
                if read == 0 {
                    return Ok(());
                }
                buffer.extend_from_slice(&chunk[..read]);
            }
            let body = buffer[head_end..head_end + length].to_vec();
            buffer.drain(..head_end + length);
            self.received.lock().unwrap().push(Received {
                head,
                body,
                headers,
                request_line,
                arrived: Instant::now(),
            });
            let index = served.fetch_add(1, Ordering::SeqCst);
            let reply = script
                .get(index)
                .or(script.last())
                .cloned()
                .unwrap_or(Reply::status(200));
            tokio::time::sleep(reply.delay).await;
            let location = reply
                .location
                .map(|l| format!("Location: {l}\r\n"))
                .unwrap_or_default();
            let answer = format!(
                "HTTP/1.1 {} Scripted\r\n{location}Content-Length: 2\r\nContent-Type: text/plain\r\n\r\nok",
                reply.status
            );
            stream.write_all(answer.as_bytes()).await?;
        }
    }

    /// `http://127.0.0.1:<port>/hook`
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}
