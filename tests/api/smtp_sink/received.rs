//! One message as the SMTP sink read it: envelope, raw data, and header lookup.

/// A message read after DATA.
#[derive(Debug, Clone)]
pub struct Received {
    /// The address inside `MAIL FROM:<…>` (empty for the null sender).
    pub mail_from: String,
    /// The addresses of every RCPT TO answered 250, in order.
    pub rcpt_to: Vec<String>,
    /// The raw message after dot-unstuffing, CRLF line ends, without the final `.` line.
    pub data: Vec<u8>,
    /// The `Message-ID` header, unfolded and trimmed (angle brackets kept).
    pub message_id: Option<String>,
    /// Whether the message came over a connection upgraded with STARTTLS.
    pub tls: bool,
    /// The user the connection authenticated as, if it did.
    pub authenticated_as: Option<String>,
}

impl Received {
    /// Builds a message and reads its Message-ID.
    pub fn new(
        mail_from: String,
        rcpt_to: Vec<String>,
        data: Vec<u8>,
        tls: bool,
        authenticated_as: Option<String>,
    ) -> Received {
        let mut received = Received {
            mail_from,
            rcpt_to,
            data,
            message_id: None,
            tls,
            authenticated_as,
        };
        received.message_id = received.header("Message-ID");
        received
    }

    /// The first header of that name (case-insensitive), unfolded (continuation line breaks
    /// removed) and trimmed; `None` when absent.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers()
            .into_iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }

    /// Every value of the headers of that name, in order.
    pub fn header_all(&self, name: &str) -> Vec<String> {
        self.headers()
            .into_iter()
            .filter(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
            .collect()
    }

    /// The header section as (name, unfolded value) pairs.
    pub fn headers(&self) -> Vec<(String, String)> {
        let text = String::from_utf8_lossy(&self.data);
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in text.split("\r\n") {
            if line.is_empty() {
                break;
            }
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = headers.last_mut() {
                    value.push_str(line);
                }
                continue;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_owned(), value.to_owned()));
            }
        }
        headers
            .into_iter()
            .map(|(name, value)| (name, value.trim().to_owned()))
            .collect()
    }

    /// The body: everything after the first empty line, as (lossy) text.
    pub fn body(&self) -> String {
        let text = String::from_utf8_lossy(&self.data);
        text.split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default()
    }

    /// The whole message as (lossy) text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}
