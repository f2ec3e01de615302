//! One SMTP session of the sink: commands, AUTH, STARTTLS, DATA with dot-unstuffing.
//!
//! Replies are gathered in a buffer and written when no further pipelined command is already
//! waiting in the read buffer (or before the sink must wait for the client), as PIPELINING needs.

use super::{AfterData, Received, Reply, Shared};
use std::io;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Any byte stream the session can run over: plain TCP, then TLS after STARTTLS.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Stream = BufReader<Box<dyn Io>>;

/// Largest message the sink announces in EHLO (it does not enforce it).
const MAX_SIZE: usize = 50 * 1024 * 1024;

/// What the read loop does after a command.
enum Next {
    Continue,
    StartTls,
    Close,
    /// Never reply again; read (and discard) until the client closes.
    Hang,
}

/// Serves one connection until QUIT, EOF, an I/O error or the sink is dropped.
pub(super) async fn serve(stream: TcpStream, shared: Arc<Shared>) {
    let mut session = Session {
        shared,
        out: Vec::with_capacity(512),
        greeted: false,
        tls: false,
        authenticated_as: None,
        mail_from: None,
        rcpt_to: Vec::new(),
    };
    let _ = session.run(BufReader::new(Box::new(stream))).await;
}

struct Session {
    shared: Arc<Shared>,
    /// Replies not yet written.
    out: Vec<u8>,
    greeted: bool,
    tls: bool,
    authenticated_as: Option<String>,
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
}

impl Session {
    async fn run(&mut self, mut stream: Stream) -> io::Result<()> {
        if let Some(delay) = self.shared.config.greeting_delay {
            tokio::time::sleep(delay).await;
        }
        self.reply("220 localhost ESMTP test sink");
        self.flush(&mut stream).await?;
        let mut line = Vec::with_capacity(256);
        loop {
            line.clear();
            if stream.read_until(b'\n', &mut line).await? == 0 {
                return Ok(());
            }
            match self.command(&line, &mut stream).await? {
                Next::Continue => {
                    // More pipelined commands already read: answer them all in one write.
                    if stream.buffer().is_empty() {
                        self.flush(&mut stream).await?;
                    }
                }
                Next::StartTls => {
                    self.flush(&mut stream).await?;
                    let acceptor = self.shared.tls.clone().expect("STARTTLS only when enabled");
                    let tls = acceptor.accept(stream.into_inner()).await?;
                    stream = BufReader::new(Box::new(tls));
                    self.tls = true;
                    // RFC 3207: the client starts over with EHLO; nothing carries over.
                    self.greeted = false;
                    self.authenticated_as = None;
                    self.reset();
                }
                Next::Close => {
                    self.flush(&mut stream).await?;
                    return Ok(());
                }
                Next::Hang => {
                    let mut sink = Vec::new();
                    while stream.read_until(b'\n', &mut sink).await? > 0 {
                        sink.clear();
                    }
                    return Ok(());
                }
            }
        }
    }

    fn reply(&mut self, text: &str) {
        self.out.extend_from_slice(text.as_bytes());
        self.out.extend_from_slice(b"\r\n");
    }

    async fn flush(&mut self, stream: &mut Stream) -> io::Result<()> {
        if !self.out.is_empty() {
            let inner = stream.get_mut();
            inner.write_all(&self.out).await?;
            inner.flush().await?;
            self.out.clear();
        }
        Ok(())
    }

    fn reset(&mut self) {
        self.mail_from = None;
        self.rcpt_to.clear();
    }

    async fn command(&mut self, line: &[u8], stream: &mut Stream) -> io::Result<Next> {
        let line = String::from_utf8_lossy(line);
        let line = line.trim_end_matches(['\r', '\n']);
        let (verb, argument) = line.split_once(' ').unwrap_or((line, ""));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => self.ehlo(),
            "HELO" => {
                self.greeted = true;
                self.reset();
                self.reply("250 localhost");
            }
            "STARTTLS" => {
                if self.shared.tls.is_none() || self.tls {
                    self.reply("502 5.5.1 STARTTLS not available");
                } else {
                    self.reply("220 2.0.0 Ready to start TLS");
                    return Ok(Next::StartTls);
                }
            }
            "AUTH" => self.auth(argument, stream).await?,
            "MAIL" => self.mail(argument),
            "RCPT" => self.rcpt(argument),
            "DATA" => return self.data(stream).await,
            "RSET" => {
                self.reset();
                self.reply("250 2.0.0 Ok");
            }
            "NOOP" => self.reply("250 2.0.0 Ok"),
            "VRFY" => self.reply("252 2.0.0 Cannot verify"),
            "QUIT" => {
                self.reply("221 2.0.0 Bye");
                return Ok(Next::Close);
            }
            _ => self.reply("500 5.5.2 Command not recognized"),
        }
        Ok(Next::Continue)
    }

    fn ehlo(&mut self) {
        self.greeted = true;
        self.reset();
        let mut lines = vec![
            "localhost".to_owned(),
            "PIPELINING".to_owned(),
            "8BITMIME".to_owned(),
            format!("SIZE {MAX_SIZE}"),
        ];
        if self.shared.config.auth.is_some() {
            lines.push("AUTH PLAIN LOGIN".to_owned());
        }
        if self.shared.tls.is_some() && !self.tls {
            lines.push("STARTTLS".to_owned());
        }
        lines.push("ENHANCEDSTATUSCODES".to_owned());
        let last = lines.len() - 1;
        for (index, text) in lines.iter().enumerate() {
            let separator = if index == last { ' ' } else { '-' };
            self.reply(&format!("250{separator}{text}"));
        }
    }

    async fn auth(&mut self, argument: &str, stream: &mut Stream) -> io::Result<()> {
        let Some((user, password)) = self.shared.config.auth.clone() else {
            self.reply("502 5.5.1 AUTH not available");
            return Ok(());
        };
        if self.authenticated_as.is_some() {
            self.reply("503 5.5.1 Already authenticated");
            return Ok(());
        }
        let (mechanism, initial) = argument.split_once(' ').unwrap_or((argument, ""));
        let given = match mechanism.to_ascii_uppercase().as_str() {
            "PLAIN" => {
                let response = match initial {
                    "" => self.challenge("", stream).await?,
                    initial => Some(initial.to_owned()),
                };
                // authzid NUL authcid NUL password
                response.and_then(|r| decode_base64(&r)).and_then(|raw| {
                    let mut parts = raw.split(|b| *b == 0).skip(1);
                    let user = String::from_utf8(parts.next()?.to_vec()).ok()?;
                    let password = String::from_utf8(parts.next()?.to_vec()).ok()?;
                    Some((user, password))
                })
            }
            "LOGIN" => {
                let user = match initial {
                    "" => self.challenge("VXNlcm5hbWU6", stream).await?,
                    initial => Some(initial.to_owned()),
                };
                let password = match user {
                    Some(_) => self.challenge("UGFzc3dvcmQ6", stream).await?,
                    None => None,
                };
                let text = |b64: Option<String>| String::from_utf8(decode_base64(&b64?)?).ok();
                text(user).zip(text(password))
            }
            _ => {
                self.reply("504 5.5.4 Unrecognized authentication type");
                return Ok(());
            }
        };
        match given {
            Some((u, p)) if u == user && p == password => {
                self.authenticated_as = Some(u);
                self.reply("235 2.7.0 Authentication successful");
            }
            _ => self.reply("535 5.7.8 Authentication credentials invalid"),
        }
        Ok(())
    }

    /// Sends `334 <text>` and reads the client's answer; `None` when it cancels with `*`.
    async fn challenge(&mut self, text: &str, stream: &mut Stream) -> io::Result<Option<String>> {
        self.reply(&format!("334 {text}"));
        self.flush(stream).await?;
        let mut line = Vec::new();
        if stream.read_until(b'\n', &mut line).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let answer = String::from_utf8_lossy(&line).trim().to_owned();
        Ok((answer != "*").then_some(answer))
    }

    fn mail(&mut self, argument: &str) {
        if !self.greeted {
            self.reply("503 5.5.1 Error: send HELO/EHLO first");
        } else if self.shared.config.auth.is_some() && self.authenticated_as.is_none() {
            self.reply("530 5.7.0 Authentication required");
        } else if self.mail_from.is_some() {
            self.reply("503 5.5.1 Error: nested MAIL command");
        } else if let Some(address) = path_of(argument, "FROM:") {
            self.mail_from = Some(address);
            self.reply("250 2.1.0 Ok");
        } else {
            self.reply("501 5.5.4 Syntax: MAIL FROM:<address>");
        }
    }

    fn rcpt(&mut self, argument: &str) {
        if self.mail_from.is_none() {
            self.reply("503 5.5.1 Error: need MAIL command");
            return;
        }
        let Some(address) = path_of(argument, "TO:") else {
            self.reply("501 5.5.4 Syntax: RCPT TO:<address>");
            return;
        };
        match (self.shared.config.on_rcpt)(&address) {
            Reply::Ok => {
                self.rcpt_to.push(address);
                self.reply("250 2.1.5 Ok");
            }
            Reply::Temporary(code, text) | Reply::Permanent(code, text) => {
                self.reply(&format!("{code} {text}"));
            }
        }
    }

    async fn data(&mut self, stream: &mut Stream) -> io::Result<Next> {
        if self.mail_from.is_none() {
            self.reply("503 5.5.1 Error: need MAIL command");
            return Ok(Next::Continue);
        }
        if self.rcpt_to.is_empty() {
            self.reply("554 5.5.1 Error: no valid recipients");
            return Ok(Next::Continue);
        }
        self.reply("354 End data with <CR><LF>.<CR><LF>");
        self.flush(stream).await?;
        let mut data = Vec::with_capacity(4096);
        let mut line = Vec::with_capacity(256);
        loop {
            line.clear();
            if stream.read_until(b'\n', &mut line).await? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            if line == b".\r\n" || line == b".\n" {
                break;
            }
            // Dot-unstuffing: a client doubles a leading dot.
            let content = line.strip_prefix(b".").unwrap_or(&line);
            data.extend_from_slice(content);
        }
        let message = Received::new(
            self.mail_from.take().unwrap_or_default(),
            std::mem::take(&mut self.rcpt_to),
            data,
            self.tls,
            self.authenticated_as.clone(),
        );
        match (self.shared.config.after_data)(&message) {
            AfterData::Accept => {
                self.shared.accept(message);
                self.reply("250 2.0.0 Ok: queued");
            }
            AfterData::Temporary(code, text) | AfterData::Permanent(code, text) => {
                self.reply(&format!("{code} {text}"));
            }
            AfterData::DropConnection => {
                self.shared.keep_unacknowledged(message);
                self.out.clear();
                return Ok(Next::Close);
            }
            AfterData::Hang => {
                self.shared.keep_unacknowledged(message);
                self.out.clear();
                return Ok(Next::Hang);
            }
        }
        Ok(Next::Continue)
    }
}

/// The address of `FROM:<a@b> PARAM=…` / `TO:<a@b>` (`<>` gives an empty address).
fn path_of(argument: &str, keyword: &str) -> Option<String> {
    let head = argument.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = argument[keyword.len()..].trim_start();
    if let Some(inner) = rest.strip_prefix('<') {
        let end = inner.find('>')?;
        return Some(inner[..end].to_owned());
    }
    let address = rest.split_whitespace().next()?;
    Some(address.to_owned())
}

/// Standard base64 (with or without padding); `None` when malformed.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let digits = text.trim().trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut bits = 0u32;
        for (index, c) in chunk.iter().enumerate() {
            bits |= value(*c)? << (18 - 6 * index);
        }
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod unit {
    use super::{decode_base64, path_of};

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(decode_base64("AHVzZXIAcGFzcw==").unwrap(), b"\0user\0pass");
        assert_eq!(decode_base64("VXNlcm5hbWU6").unwrap(), b"Username:");
        assert_eq!(decode_base64("YQ").unwrap(), b"a");
        assert_eq!(decode_base64("!!"), None);
    }

    #[test]
    fn envelope_paths_are_read_with_or_without_brackets_and_parameters() {
        let cases = [
            ("FROM:<a@b.test> BODY=8BITMIME", "FROM:", Some("a@b.test")),
            ("from: <a@b.test>", "FROM:", Some("a@b.test")),
            ("FROM:<>", "FROM:", Some("")),
            ("TO:c@d.test", "TO:", Some("c@d.test")),
            ("TO c@d.test", "TO:", None),
        ];
        for (argument, keyword, expected) in cases {
            assert_eq!(
                path_of(argument, keyword).as_deref(),
                expected,
                "{argument}"
            );
        }
    }
}
