//! Rendering one email node for one contact (personalisation, tracking, unsubscribe, threading)
//! and building the MIME message lettre sends.

use crate::db::campaigns::CampaignRecord;
use crate::domain::campaign::CampaignSettings;
use crate::domain::html;
use crate::domain::template::{Escape, RenderError, Template, Variables};
use crate::domain::tracking::{click_url, open_url, unsubscribe_url};
use crate::domain::workflow::{EmailEvent, EmailStep, NodeKind, Workflow};
use crate::error::Error;
use chrono::{DateTime, Utc};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The compiled subject, HTML body and text body of every email node of a workflow.
pub struct Templates {
    nodes: HashMap<String, NodeTemplates>,
}

struct NodeTemplates {
    subject: Template,
    html: Template,
    text: Template,
}

impl Templates {
    /// Compiles every email node (the text body is derived from the HTML once, here).
    pub fn compile(workflow: &Workflow) -> Result<Self, Error> {
        let mut nodes = HashMap::new();
        for node in workflow.email_nodes() {
            let NodeKind::Email(step) = &node.kind else {
                continue;
            };
            let bad = |e: crate::domain::template::TemplateError| {
                Error::Internal(anyhow::anyhow!("node {}: template: {e}", node.id))
            };
            nodes.insert(
                node.id.clone(),
                NodeTemplates {
                    subject: Template::parse(&step.subject).map_err(bad)?,
                    html: Template::parse(&step.body).map_err(bad)?,
                    text: Template::parse(&html::to_plain_text(&step.body)).map_err(bad)?,
                },
            );
        }
        Ok(Self { nodes })
    }

    /// Renders a node for a contact; `Err` carries the reason it cannot be sent (a variable the
    /// contact lacks), which is recorded instead of sending a broken email.
    pub fn render(&self, sender: &Sender<'_>, input: &RenderInput<'_>) -> Result<Rendered, String> {
        let templates = self
            .nodes
            .get(input.node_id)
            .ok_or_else(|| format!("Email node {} has no template", input.node_id))?;
        let unsubscribe = unsubscribe_url(sender.public_url, input.token);
        let mut vars = Variables::new();
        vars.insert("email", input.email);
        for (name, value) in input.fields {
            if let Some(value) = value {
                vars.insert(*name, value.as_str());
            }
        }
        if let Ok(serde_json::Value::Object(custom)) =
            serde_json::from_str::<serde_json::Value>(input.custom_fields)
        {
            for (key, value) in custom {
                match value {
                    serde_json::Value::String(text) => vars.insert(key, text),
                    serde_json::Value::Null => {}
                    other => vars.insert(key, other.to_string()),
                }
            }
        }
        vars.insert_system(&unsubscribe, input.now, input.settings.timezone);
        let missing = |error: RenderError| match error {
            RenderError::Missing(names) => format!(
                "Email {} needs {} but the contact has no value (and no fallback is given)",
                input.node_id,
                names
                    .iter()
                    .map(|n| format!("{{{{{n}}}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            other => format!("Email {} could not be rendered: {other}", input.node_id),
        };
        let own_subject = templates
            .subject
            .render(&vars, Escape::None)
            .map_err(missing)?;
        let mut body = templates
            .html
            .render(&vars, Escape::Html)
            .map_err(missing)?;
        let mut text = templates
            .text
            .render(&vars, Escape::None)
            .map_err(missing)?;
        let subject = if own_subject.trim().is_empty() {
            let previous = input.previous_subject.ok_or_else(|| {
                format!(
                    "Email {} is a follow-up but no earlier email was sent",
                    input.node_id
                )
            })?;
            if previous.to_ascii_lowercase().starts_with("re:") {
                previous.to_owned()
            } else {
                format!("Re: {previous}")
            }
        } else {
            html::header_safe(&own_subject)
        };
        let track_clicks = input
            .step
            .track_clicks
            .unwrap_or(input.settings.track_clicks);
        let track_opens =
            input.step.track_opens.unwrap_or(input.settings.track_opens) && !input.tracking_opt_out;
        let mut links = Vec::new();
        if track_clicks {
            let (rewritten, originals) = html::rewrite_links(&body, |index, original| {
                if original.starts_with(&unsubscribe) {
                    original.to_owned()
                } else {
                    click_url(sender.public_url, input.token, index)
                }
            });
            body = rewritten;
            links = originals;
        }
        if input.settings.unsubscribe_link && !input.step.body.contains("unsubscribe_link") {
            body.push_str(&format!(
                "<p style=\"font-size:12px;color:#888\"><a href=\"{unsubscribe}\">Unsubscribe</a></p>"
            ));
            text.push_str(&format!("\n\nUnsubscribe: {unsubscribe}\n"));
        }
        if track_opens {
            body = html::insert_pixel(&body, &open_url(sender.public_url, input.token));
        }
        let domain = sender
            .email
            .rsplit_once('@')
            .map_or("localhost", |(_, d)| d);
        Ok(Rendered {
            message_id: message_id(sender.secret, input, domain),
            from_email: sender.email.to_owned(),
            from_name: sender.display_name.map(html::header_safe),
            to: input.email.to_owned(),
            subject,
            html: body,
            text,
            links,
            in_reply_to: input.thread.last().cloned(),
            references: input.thread.to_vec(),
            unsubscribe_url: unsubscribe,
        })
    }
}

/// A deterministic Message-ID: the same (campaign, contact, node) always gets the same one, and
/// the secret keeps it unguessable.
fn message_id(secret: &str, input: &RenderInput<'_>, domain: &str) -> String {
    let mut hash = Sha256::new();
    for part in [
        secret,
        input.campaign.id.as_str(),
        input.contact_id,
        input.node_id,
    ] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let digest = hex::encode(&hash.finalize()[..16]);
    format!("{digest}@{}", html::header_safe(domain))
}

/// The sending identity of a campaign.
pub struct Sender<'a> {
    /// From address.
    pub email: &'a str,
    /// From name.
    pub display_name: Option<&'a str>,
    /// Base of tracking links.
    pub public_url: &'a str,
    /// Key of the Message-ID hash.
    pub secret: &'a str,
}

/// Everything a node needs to render for a contact.
pub struct RenderInput<'a> {
    /// Campaign.
    pub campaign: &'a CampaignRecord,
    /// Its settings.
    pub settings: &'a CampaignSettings,
    /// Email node.
    pub node_id: &'a str,
    /// Its content.
    pub step: &'a EmailStep,
    /// Contact id.
    pub contact_id: &'a str,
    /// Contact email.
    pub email: &'a str,
    /// Standard fields by template name.
    pub fields: &'a [(&'static str, Option<String>)],
    /// Custom fields JSON.
    pub custom_fields: &'a str,
    /// The contact objected to open tracking.
    pub tracking_opt_out: bool,
    /// Tracking token of this send.
    pub token: &'a str,
    /// Subject of the previous email (threaded follow-ups).
    pub previous_subject: Option<&'a str>,
    /// Message-IDs of the earlier messages of the thread, oldest first.
    pub thread: &'a [String],
    /// Now.
    pub now: DateTime<Utc>,
}

/// A rendered message, ready to be built and sent.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Message-ID without angle brackets.
    pub message_id: String,
    /// From address.
    pub from_email: String,
    /// From name.
    pub from_name: Option<String>,
    /// Recipient.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// HTML body.
    pub html: String,
    /// Text body.
    pub text: String,
    /// Original link targets, in order.
    pub links: Vec<String>,
    /// In-Reply-To.
    pub in_reply_to: Option<String>,
    /// References.
    pub references: Vec<String>,
    /// Unsubscribe page.
    pub unsubscribe_url: String,
}

/// `List-Unsubscribe` / `List-Unsubscribe-Post` (RFC 8058) as raw header values.
fn raw_header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// Builds the MIME message: multipart/alternative (text, HTML), threading and unsubscribe
/// headers. Every header value made from user data has had CR/LF removed.
pub fn build(rendered: &Rendered) -> Result<lettre::Message, String> {
    let from_address = rendered
        .from_email
        .parse()
        .map_err(|e| format!("invalid From address: {e}"))?;
    let to_address = rendered
        .to
        .parse()
        .map_err(|e| format!("invalid recipient address: {e}"))?;
    let mut builder = lettre::Message::builder()
        .from(Mailbox::new(rendered.from_name.clone(), from_address))
        .to(Mailbox::new(None, to_address))
        .subject(html::header_safe(&rendered.subject))
        .message_id(Some(format!("<{}>", rendered.message_id)))
        .date_now()
        .raw_header(raw_header(
            "List-Unsubscribe",
            format!(
                "<{}>, <mailto:{}?subject=unsubscribe>",
                html::header_safe(&rendered.unsubscribe_url),
                html::header_safe(&rendered.from_email)
            ),
        ))
        .raw_header(raw_header(
            "List-Unsubscribe-Post",
            "List-Unsubscribe=One-Click".to_owned(),
        ));
    if let Some(parent) = &rendered.in_reply_to {
        builder = builder.in_reply_to(format!("<{}>", html::header_safe(parent)));
    }
    if !rendered.references.is_empty() {
        let references = rendered
            .references
            .iter()
            .map(|id| format!("<{}>", html::header_safe(id)))
            .collect::<Vec<_>>()
            .join(" ");
        builder = builder.references(references);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            rendered.text.clone(),
            rendered.html.clone(),
        ))
        .map_err(|e| format!("building the message: {e}"))
}

/// Whether the previous email had this event.
pub fn email_event_happened(
    event: &EmailEvent,
    send: Option<&crate::db::sends::SendState>,
) -> bool {
    let Some(send) = send else {
        return false;
    };
    match event {
        EmailEvent::Sent => matches!(send.state.as_str(), "sent" | "uncertain"),
        EmailEvent::Opened => send.opened_at.is_some() || send.clicked_at.is_some(),
        EmailEvent::Clicked => send.clicked_at.is_some(),
        EmailEvent::Replied => send.replied_at.is_some(),
    }
}

/// A contact field by its template name (standard fields, then custom fields).
pub fn field_value(
    fields: &[(&'static str, Option<String>)],
    email: &str,
    custom_fields: &str,
    name: &str,
) -> Option<String> {
    if name == "email" {
        return Some(email.to_owned());
    }
    if let Some((_, value)) = fields.iter().find(|(field, _)| *field == name) {
        return value.clone();
    }
    let custom: serde_json::Value = serde_json::from_str(custom_fields).ok()?;
    match custom.get(name)? {
        serde_json::Value::Null => None,
        serde_json::Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

/// The header section of a formatted message as (name, unfolded value) pairs.
pub fn header_lines(raw: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    headers
}
