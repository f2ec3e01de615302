//! Classifies an incoming message as a human reply, an automatic reply or a delivery-status
//! notification (RFC 3464 bounce). Pure: raw RFC 5322 bytes in, a verdict out.

use mail_parser::{HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType};

/// Characters of new text kept as a reply's preview.
pub const PREVIEW_CHARS: usize = 200;
/// Characters kept of a bounce's reason.
const MAX_REASON_CHARS: usize = 500;

/// What an incoming message is, with what matching needs from its headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    /// Its own Message-ID, without angle brackets.
    pub message_id: Option<String>,
    /// The first Message-ID of `In-Reply-To`, without angle brackets.
    pub in_reply_to: Option<String>,
    /// The Message-IDs of `References`, oldest first, without angle brackets.
    pub references: Vec<String>,
    /// The sender's address, lowercased.
    pub from: Option<String>,
    /// The decoded subject.
    pub subject: Option<String>,
    /// The verdict.
    pub kind: Kind,
}

impl Classified {
    /// The Message-IDs this message answers, nearest first: `In-Reply-To`, then `References`
    /// from the newest to the oldest.
    pub fn referenced_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.in_reply_to.iter().cloned().collect();
        for id in self.references.iter().rev() {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids
    }
}

/// The verdict on one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Written by a person.
    Reply {
        /// The start of the new text, quotes and signature removed, whitespace collapsed.
        preview: String,
    },
    /// Out of office, vacation notices and other machine-written answers: never a reply.
    AutoReply,
    /// A delivery-status notification saying a message failed or is delayed.
    Bounce {
        /// Permanent failure (`Action: failed` with a 5.x.x status).
        hard: bool,
        /// The recipient that failed (`Final-Recipient`, else `Original-Recipient`), lowercased.
        recipient: Option<String>,
        /// The server's diagnostic, or the status.
        reason: String,
        /// The Message-ID of the returned message, without angle brackets.
        original_message_id: Option<String>,
    },
}

impl Kind {
    /// The `inbox_messages.kind` of the verdict.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Reply { .. } => "reply",
            Self::AutoReply => "auto_reply",
            Self::Bounce { .. } => "bounce",
        }
    }
}

/// Classifies a raw message; `None` when it has no headers at all.
pub fn classify(raw: &[u8]) -> Option<Classified> {
    let message = MessageParser::default().parse(raw)?;
    let kind = if let Some(bounce) = delivery_report(&message) {
        bounce
    } else if is_automatic(&message) {
        Kind::AutoReply
    } else {
        Kind::Reply {
            preview: preview(&message),
        }
    };
    Some(Classified {
        message_id: message.message_id().and_then(clean_id),
        in_reply_to: ids(message.in_reply_to()).into_iter().next(),
        references: ids(message.references()),
        from: message
            .from()
            .and_then(|from| from.first())
            .and_then(|address| address.address())
            .map(|address| address.trim().to_lowercase()),
        subject: message.subject().map(|subject| subject.trim().to_owned()),
        kind,
    })
}

/// A Message-ID without angle brackets or surrounding space; `None` when empty.
fn clean_id(raw: &str) -> Option<String> {
    let id = raw
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    (!id.is_empty()).then(|| id.to_owned())
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => id.split_whitespace().filter_map(clean_id).collect(),
        HeaderValue::TextList(list) => list
            .iter()
            .flat_map(|id| id.split_whitespace())
            .filter_map(clean_id)
            .collect(),
        _ => Vec::new(),
    }
}

/// A header's value as written (unfolded, trimmed), for headers the parser keeps raw.
fn raw_header<'a>(message: &'a Message<'_>, name: &'a str) -> Option<String> {
    message
        .header_raw(name)
        .map(|value| value.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Subjects that announce an automatic answer, lowercased: as a prefix…
const AUTOMATIC_SUBJECT_PREFIXES: &[&str] = &[
    "auto:",
    "autoreply",
    "auto-reply",
    "auto reply",
    "automatic reply",
    "out of office",
    "out of the office",
    "abwesenheit",
    "automatische antwort",
    "absence",
    "réponse automatique",
    "reponse automatique",
    "respuesta automática",
    "respuesta automatica",
    "fuera de la oficina",
    "risposta automatica",
    "fuori ufficio",
    "automatisch antwoord",
    "afwezig",
    "resposta automática",
    "resposta automatica",
    "autosvar",
    "automaattinen vastaus",
    "odpowiedź automatyczna",
];
/// …or anywhere.
const AUTOMATIC_SUBJECT_PHRASES: &[&str] = &[
    "out of office",
    "out of the office",
    "automatic reply",
    "autoreply",
    "abwesenheitsnotiz",
    "réponse automatique",
    "respuesta automática",
    "risposta automatica",
];

/// Whether a machine wrote the message (RFC 3834 `Auto-Submitted`, the common vendor headers,
/// `Precedence`, out-of-office subjects, or a mailer daemon's own notice).
fn is_automatic(message: &Message<'_>) -> bool {
    if let Some(value) = raw_header(message, "Auto-Submitted") {
        let keyword = value.split(';').next().unwrap_or("").trim().to_lowercase();
        if !keyword.is_empty() && keyword != "no" {
            return true;
        }
    }
    for name in ["X-Autoreply", "X-Autorespond", "X-Autogenerated"] {
        if raw_header(message, name).is_some_and(|value| !value.eq_ignore_ascii_case("no")) {
            return true;
        }
    }
    if let Some(precedence) = raw_header(message, "Precedence") {
        let precedence = precedence.to_lowercase();
        if ["auto_reply", "bulk", "junk"].contains(&precedence.as_str()) {
            return true;
        }
    }
    let from = message
        .from()
        .and_then(|from| from.first())
        .and_then(|address| address.address())
        .unwrap_or("")
        .to_lowercase();
    if from.starts_with("mailer-daemon@") || from.starts_with("postmaster@") {
        return true;
    }
    let subject = message.subject().unwrap_or("").trim().to_lowercase();
    AUTOMATIC_SUBJECT_PREFIXES
        .iter()
        .any(|prefix| subject.starts_with(prefix))
        || AUTOMATIC_SUBJECT_PHRASES
            .iter()
            .any(|phrase| subject.contains(phrase))
}

fn is_type(part: &MessagePart<'_>, ctype: &str, subtypes: &[&str]) -> bool {
    part.content_type().is_some_and(|content_type| {
        content_type.ctype().eq_ignore_ascii_case(ctype)
            && content_type
                .subtype()
                .is_some_and(|subtype| subtypes.iter().any(|s| subtype.eq_ignore_ascii_case(s)))
    })
}

/// The verdict of an RFC 3464 report: a bounce when a recipient failed or is delayed, an
/// automatic reply for a report of success (delivered, relayed); `None` when it is no report.
fn delivery_report(message: &Message<'_>) -> Option<Kind> {
    let root = message.parts.first()?;
    if !is_type(root, "multipart", &["report"]) {
        return None;
    }
    let status = message.parts.iter().find(|part| {
        is_type(
            part,
            "message",
            &["delivery-status", "global-delivery-status"],
        )
    })?;
    let text = String::from_utf8_lossy(status.contents()).into_owned();
    let Some((hard, recipient, reason)) = failed_recipient(&text) else {
        return Some(Kind::AutoReply);
    };
    Some(Kind::Bounce {
        hard,
        recipient,
        reason,
        original_message_id: original_message_id(message),
    })
}

/// The field groups of a `message/delivery-status` body (per-message fields first, then one
/// group per recipient); names lowercased, folded lines joined.
fn field_groups(text: &str) -> Vec<Vec<(String, String)>> {
    let mut groups = Vec::new();
    let mut current: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                groups.push(std::mem::take(&mut current));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = current.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            current.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

/// A typed address or diagnostic (`rfc822; user@example.com`, `smtp; 550 …`) without its type.
fn untyped(value: &str) -> &str {
    value.split_once(';').map_or(value, |(_, rest)| rest).trim()
}

/// The first failed recipient of the report, else the first delayed one: (hard, recipient,
/// reason).
fn failed_recipient(text: &str) -> Option<(bool, Option<String>, String)> {
    let groups = field_groups(text);
    let field = |group: &Vec<(String, String)>, name: &str| {
        group
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.clone())
    };
    let mut verdicts = groups.iter().filter_map(|group| {
        let action = field(group, "action").map(|action| action.to_lowercase());
        let status = field(group, "status")
            .and_then(|status| status.split_whitespace().next().map(str::to_owned));
        let permanent_status = status.as_deref().is_some_and(|s| s.starts_with('5'));
        let temporary_status = status.as_deref().is_some_and(|s| s.starts_with('4'));
        let failed = match action.as_deref() {
            Some("failed") => true,
            Some("delayed") => false,
            Some(_) => return None,
            None if permanent_status || temporary_status => permanent_status,
            None => return None,
        };
        let hard = failed && !temporary_status;
        let recipient = field(group, "final-recipient")
            .or_else(|| field(group, "original-recipient"))
            .map(|value| {
                untyped(&value)
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_lowercase()
            })
            .filter(|address| !address.is_empty());
        let reason = field(group, "diagnostic-code")
            .map(|code| untyped(&code).to_owned())
            .filter(|code| !code.is_empty())
            .unwrap_or_else(|| {
                format!(
                    "{} (status {})",
                    action.as_deref().unwrap_or("failed"),
                    status.as_deref().unwrap_or("unknown")
                )
            });
        let reason: String = reason.chars().take(MAX_REASON_CHARS).collect();
        Some((failed, (hard, recipient, reason)))
    });
    let mut delayed = None;
    for (failed, verdict) in verdicts.by_ref() {
        if failed {
            return Some(verdict);
        }
        delayed.get_or_insert(verdict);
    }
    delayed
}

/// The Message-ID of the message a report returns (`message/rfc822`, or just its headers in
/// `text/rfc822-headers`).
fn original_message_id(message: &Message<'_>) -> Option<String> {
    for part in &message.parts {
        let returned = match &part.body {
            PartType::Message(returned) => returned.message_id().and_then(clean_id),
            _ if is_type(part, "text", &["rfc822-headers"])
                || is_type(
                    part,
                    "message",
                    &["rfc822", "rfc822-headers", "global", "global-headers"],
                ) =>
            {
                MessageParser::default()
                    .parse_headers(part.contents())
                    .and_then(|headers| headers.message_id().and_then(clean_id))
            }
            _ => None,
        };
        if returned.is_some() {
            return returned;
        }
    }
    None
}

/// Whether a line introduces the quoted original ("On … wrote:", "-----Original Message-----",
/// an Outlook header block) or a signature.
fn starts_quote_or_signature(line: &str, next: &[&str]) -> bool {
    let trimmed = line.trim();
    let lower = trimmed.to_lowercase();
    if line == "-- " || trimmed == "--" || trimmed == "—" {
        return true;
    }
    if lower.starts_with("-----original message-----")
        || lower.starts_with("----- original message -----")
        || lower.starts_with("-----ursprüngliche nachricht-----")
        || lower.starts_with("-------- message d'origine --------")
        || lower.starts_with("________________")
        || lower.starts_with("sent from my ")
        || lower.starts_with("envoyé de mon ")
        || lower.starts_with("von meinem ")
    {
        return true;
    }
    const ATTRIBUTION_ENDS: &[&str] = &[
        "wrote:",
        "schrieb:",
        "a écrit :",
        "a écrit:",
        "escribió:",
        "ha scritto:",
        "schreef:",
        "escreveu:",
    ];
    if ATTRIBUTION_ENDS.iter().any(|end| lower.ends_with(end)) {
        return true;
    }
    // An attribution wrapped over two lines: "On Mon, … <a@b.c>" then "wrote:".
    if let Some(following) = next.first() {
        let following = following.trim().to_lowercase();
        if ATTRIBUTION_ENDS.contains(&following.as_str())
            && ["on ", "am ", "le ", "el ", "il ", "op ", "em "]
                .iter()
                .any(|start| lower.starts_with(start))
        {
            return true;
        }
    }
    // An Outlook header block: "From: …" followed closely by "Sent:" / "Date:" / "To:".
    const HEADER_STARTS: &[&str] = &["from:", "von:", "de :", "de:", "da:"];
    const HEADER_FOLLOWERS: &[&str] = &[
        "sent:",
        "date:",
        "to:",
        "gesendet:",
        "an:",
        "envoyé :",
        "envoyé:",
        "à :",
        "enviado:",
        "inviato:",
    ];
    if HEADER_STARTS.iter().any(|start| lower.starts_with(start)) {
        return next.iter().take(3).any(|following| {
            let following = following.trim().to_lowercase();
            HEADER_FOLLOWERS
                .iter()
                .any(|start| following.starts_with(start))
        });
    }
    false
}

/// The new text of a reply: the lines before the quoted original or the signature, quoted
/// lines left out, whitespace collapsed, at most [`PREVIEW_CHARS`] characters.
pub fn new_text(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let mut kept = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        if starts_quote_or_signature(line, &lines[index + 1..]) {
            break;
        }
        if line.trim_start().starts_with('>') {
            continue;
        }
        kept.push(*line);
    }
    let collapsed = kept
        .iter()
        .flat_map(|line| line.split_whitespace())
        .collect::<Vec<_>>()
        .join(" ");
    collapsed.chars().take(PREVIEW_CHARS).collect()
}

fn preview(message: &Message<'_>) -> String {
    message
        .body_text(0)
        .map(|body| new_text(&body))
        .unwrap_or_default()
}

/// A subject without its reply and forward prefixes (`Re:`, `Fwd:`, `AW:`, `Re[2]:` …) and
/// with its whitespace collapsed, lowercased: what a reply's subject is compared on.
pub fn base_subject(subject: &str) -> String {
    const PREFIXES: &[&str] = &[
        "re", "fw", "fwd", "aw", "wg", "tr", "sv", "vs", "antw", "ref", "rif", "réf", "r", "res",
        "enc",
    ];
    let mut rest = subject.trim();
    while let Some((head, tail)) = rest.split_once(':') {
        let head = head.trim().to_lowercase();
        // `Re[2]` and `Re(2)` count as `Re`.
        let word = head
            .split(['[', '('])
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        if PREFIXES.contains(&word.as_str()) {
            rest = tail.trim_start();
        } else {
            break;
        }
    }
    rest.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests;
