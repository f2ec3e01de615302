//! `/v1/campaigns/{id}/stats`, `/stats/emails`, `/stats/timeline` and `/activity`.

use crate::api::envelope::{self, Envelope, ListEnvelope};
use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::Tenant;
use crate::api::AppState;
use crate::db;
use crate::db::campaign_events::{Activity, ActivityFilter};
use crate::db::campaign_stats::{BucketCounts, CampaignCounts, EmailCounts};
use crate::domain::campaign_stats::{self as rules, EventType, Interval, RangeError};
use crate::domain::ids::{CampaignId, ContactId};
use crate::domain::listing::PageRequest;
use crate::error::Error;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// The counters a campaign embeds as `stats`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"totalContacts": 120, "sent": 100, "delivered": 97, "opened": 41, "clicked": 12, "replied": 6, "bounced": 3, "unsubscribed": 2}))]
pub struct CampaignStatsSummary {
    /// Enrolled contacts.
    pub total_contacts: u64,
    /// Messages handed to the SMTP server, hard bounces included.
    pub sent: u64,
    /// `sent - bounced`.
    pub delivered: u64,
    /// Contacts who opened at least one message.
    pub opened: u64,
    /// Contacts who clicked at least one link.
    pub clicked: u64,
    /// Contacts who replied.
    pub replied: u64,
    /// Messages that bounced.
    pub bounced: u64,
    /// Contacts unsubscribed from this campaign.
    pub unsubscribed: u64,
}

impl From<CampaignCounts> for CampaignStatsSummary {
    fn from(counts: CampaignCounts) -> Self {
        Self {
            total_contacts: counts.total_contacts,
            sent: counts.sent,
            delivered: counts.delivered,
            opened: counts.opened,
            clicked: counts.clicked,
            replied: counts.replied,
            bounced: counts.bounced,
            unsubscribed: counts.unsubscribed,
        }
    }
}

/// A campaign's statistics. Rates are percentages with one decimal: open, click, reply and
/// unsubscribe over `delivered`, bounce over `sent`; 0 when the denominator is 0.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"totalContacts": 120, "sent": 100, "delivered": 97, "opened": 41, "openRate": 42.3, "clicked": 12, "clickRate": 12.4, "replied": 6, "replyRate": 6.2, "bounced": 3, "bounceRate": 3.0, "unsubscribed": 2, "unsubscribeRate": 2.1, "uncertain": 1, "failed": 0, "pending": 14}))]
pub struct CampaignStatsResponse {
    /// Enrolled contacts.
    pub total_contacts: u64,
    /// Messages handed to the SMTP server, hard bounces included.
    pub sent: u64,
    /// `sent - bounced`.
    pub delivered: u64,
    /// Contacts who opened at least one message (a click counts as an open).
    pub opened: u64,
    /// `opened / delivered`, percent.
    pub open_rate: f64,
    /// Contacts who clicked at least one link.
    pub clicked: u64,
    /// `clicked / delivered`, percent.
    pub click_rate: f64,
    /// Contacts who replied.
    pub replied: u64,
    /// `replied / delivered`, percent.
    pub reply_rate: f64,
    /// Messages that bounced.
    pub bounced: u64,
    /// `bounced / sent`, percent.
    pub bounce_rate: f64,
    /// Contacts unsubscribed from this campaign.
    pub unsubscribed: u64,
    /// `unsubscribed / delivered`, percent.
    pub unsubscribe_rate: f64,
    /// (ext) Messages whose outcome is unknown (the connection died after DATA); never resent.
    pub uncertain: u64,
    /// (ext) Messages that failed for good.
    pub failed: u64,
    /// (ext) Contacts still pending or in progress.
    pub pending: u64,
}

impl From<CampaignCounts> for CampaignStatsResponse {
    fn from(c: CampaignCounts) -> Self {
        Self {
            total_contacts: c.total_contacts,
            sent: c.sent,
            delivered: c.delivered,
            opened: c.opened,
            open_rate: rules::rate(c.opened, c.delivered),
            clicked: c.clicked,
            click_rate: rules::rate(c.clicked, c.delivered),
            replied: c.replied,
            reply_rate: rules::rate(c.replied, c.delivered),
            bounced: c.bounced,
            bounce_rate: rules::rate(c.bounced, c.sent),
            unsubscribed: c.unsubscribed,
            unsubscribe_rate: rules::rate(c.unsubscribed, c.delivered),
            uncertain: c.uncertain,
            failed: c.failed,
            pending: c.pending,
        }
    }
}

/// Statistics of one email node; rates over that node's delivered messages.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"nodeId": "node_1", "emailNumber": 1, "subject": "Quick question, {{firstName}}", "sent": 100, "opened": 41, "openRate": 42.3, "clicked": 12, "clickRate": 12.4, "replied": 6, "replyRate": 6.2}))]
pub struct EmailStatsResponse {
    /// The workflow node id.
    pub node_id: String,
    /// Position of the email, breadth-first from the start node (1 first).
    pub email_number: u32,
    /// The subject as written (empty for a threaded follow-up: "Re: " + the previous subject).
    pub subject: String,
    /// Messages of this node handed to SMTP.
    pub sent: u64,
    /// Contacts who opened it.
    pub opened: u64,
    /// Percent of delivered.
    pub open_rate: f64,
    /// Contacts who clicked in it.
    pub clicked: u64,
    /// Percent of delivered.
    pub click_rate: f64,
    /// Contacts who replied to it.
    pub replied: u64,
    /// Percent of delivered.
    pub reply_rate: f64,
}

impl From<EmailCounts> for EmailStatsResponse {
    fn from(c: EmailCounts) -> Self {
        Self {
            node_id: c.node.node_id,
            email_number: c.node.email_number,
            subject: c.node.subject,
            sent: c.sent,
            opened: c.opened,
            open_rate: rules::rate(c.opened, c.delivered),
            clicked: c.clicked,
            click_rate: rules::rate(c.clicked, c.delivered),
            replied: c.replied,
            reply_rate: rules::rate(c.replied, c.delivered),
        }
    }
}

/// Events of one timeline bucket.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"date": "2025-01-15T00:00:00Z", "sent": 40, "opened": 17, "clicked": 5, "replied": 2, "bounced": 1}))]
pub struct TimelineBucketResponse {
    /// Bucket start (UTC; weeks start on Monday).
    #[schema(format = DateTime)]
    pub date: String,
    /// Messages sent.
    pub sent: u64,
    /// First opens of a message.
    pub opened: u64,
    /// First clicks of a link.
    pub clicked: u64,
    /// Replies.
    pub replied: u64,
    /// Bounces.
    pub bounced: u64,
}

fn format_unix(seconds: i64) -> String {
    DateTime::<Utc>::from_timestamp(seconds, 0)
        .map(crate::domain::time::format)
        .unwrap_or_default()
}

impl From<BucketCounts> for TimelineBucketResponse {
    fn from(b: BucketCounts) -> Self {
        Self {
            date: format_unix(b.start),
            sent: b.sent,
            opened: b.opened,
            clicked: b.clicked,
            replied: b.replied,
            bounced: b.bounced,
        }
    }
}

/// A campaign event type.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EventTypeDto {
    /// A message was handed to the SMTP server.
    Sent,
    /// A message was opened.
    Opened,
    /// A tracked link was followed (`metadata.url`).
    Clicked,
    /// The contact replied.
    Replied,
    /// The message bounced.
    Bounced,
    /// The contact unsubscribed (`metadata.source`: `page` or `one-click`).
    Unsubscribed,
    /// Sending failed for good.
    Failed,
    /// The outcome is unknown; never resent.
    Uncertain,
    /// A step was skipped (`metadata.reason`).
    Skipped,
}

impl From<EventTypeDto> for EventType {
    fn from(value: EventTypeDto) -> Self {
        match value {
            EventTypeDto::Sent => Self::Sent,
            EventTypeDto::Opened => Self::Opened,
            EventTypeDto::Clicked => Self::Clicked,
            EventTypeDto::Replied => Self::Replied,
            EventTypeDto::Bounced => Self::Bounced,
            EventTypeDto::Unsubscribed => Self::Unsubscribed,
            EventTypeDto::Failed => Self::Failed,
            EventTypeDto::Uncertain => Self::Uncertain,
            EventTypeDto::Skipped => Self::Skipped,
        }
    }
}

impl From<EventType> for EventTypeDto {
    fn from(value: EventType) -> Self {
        match value {
            EventType::Sent => Self::Sent,
            EventType::Opened => Self::Opened,
            EventType::Clicked => Self::Clicked,
            EventType::Replied => Self::Replied,
            EventType::Bounced => Self::Bounced,
            EventType::Unsubscribed => Self::Unsubscribed,
            EventType::Failed => Self::Failed,
            EventType::Uncertain => Self::Uncertain,
            EventType::Skipped => Self::Skipped,
        }
    }
}

/// One campaign event.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"id": "evt_0Qx7Lm2Nb8Vc4Zs6Ad1F", "type": "clicked", "contactId": "con_8fK2mQ9xLp3vR7tY1wZa", "contactEmail": "ada@example.com", "emailNodeId": "node_1", "timestamp": "2025-01-15T10:30:00Z", "metadata": {"url": "https://example.com/pricing"}}))]
pub struct ActivityResponse {
    /// Event id (`evt_…`).
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventTypeDto,
    /// The contact (`null` if it was deleted).
    pub contact_id: Option<String>,
    /// The contact's email.
    pub contact_email: Option<String>,
    /// The email node concerned.
    pub email_node_id: Option<String>,
    /// When.
    #[schema(format = DateTime)]
    pub timestamp: String,
    /// Details: `url` for clicks; `ip` and `userAgent` with full tracking; `repeat` on later opens.
    #[schema(value_type = Object)]
    pub metadata: Value,
}

impl From<Activity> for ActivityResponse {
    fn from(a: Activity) -> Self {
        Self {
            id: a.id.to_string(),
            kind: a.kind.into(),
            contact_id: a.contact_id.map(|id| id.to_string()),
            contact_email: a.contact_email,
            email_node_id: a.node_id,
            timestamp: format_unix(a.occurred_at),
            metadata: a.metadata,
        }
    }
}

/// No query parameters are accepted (unknown ones are a 400).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

/// Bucket width.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum IntervalDto {
    /// One hour.
    Hour,
    /// One UTC day (default).
    Day,
    /// One week from Monday 00:00 UTC.
    Week,
}

/// Query of `GET /v1/campaigns/{id}/stats/timeline`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    /// Start, RFC 3339 or `YYYY-MM-DD` (UTC midnight); default `to` minus 30 days.
    #[param(
        pattern = r"^((19|20)[0-9]{2}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)|(19(0[48]|[2468][048]|[13579][26])|20([02468][048]|[13579][26]))-02-29)(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9]))?$",
        example = "2025-01-01T00:00:00Z"
    )]
    pub from: Option<String>,
    /// End (exclusive), RFC 3339 or `YYYY-MM-DD`; default the end of the current second, so what just happened is counted.
    #[param(
        pattern = r"^((19|20)[0-9]{2}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)|(19(0[48]|[2468][048]|[13579][26])|20([02468][048]|[13579][26]))-02-29)(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9]))?$",
        example = "2025-01-31T00:00:00Z"
    )]
    pub to: Option<String>,
    /// Bucket width (default `day`); at most 1000 buckets.
    pub interval: Option<IntervalDto>,
}

/// Query of `GET /v1/campaigns/{id}/activity`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// Page number (default 1).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    /// Items per page (default 20, at most 100).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
    /// Only events of this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<EventTypeDto>,
    /// Only events of this contact (`con_…`).
    #[param(pattern = "^con_[A-Za-z0-9]{20}$")]
    pub contact_id: Option<String>,
    /// From this time (inclusive), RFC 3339 or `YYYY-MM-DD`.
    #[param(
        pattern = r"^((19|20)[0-9]{2}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)|(19(0[48]|[2468][048]|[13579][26])|20([02468][048]|[13579][26]))-02-29)(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9]))?$"
    )]
    pub from: Option<String>,
    /// Until this time (exclusive), RFC 3339 or `YYYY-MM-DD`.
    #[param(
        pattern = r"^((19|20)[0-9]{2}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)|(19(0[48]|[2468][048]|[13579][26])|20([02468][048]|[13579][26]))-02-29)(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9]))?$"
    )]
    pub to: Option<String>,
}

fn campaign_id(raw: &str) -> ApiResult<CampaignId> {
    CampaignId::parse(raw).ok_or(ApiError::Domain(Error::NotFound("Campaign")))
}

/// Parses an RFC 3339 time or a `YYYY-MM-DD` date (UTC midnight) into Unix seconds.
fn instant(field: &str, raw: Option<&str>) -> ApiResult<Option<i64>> {
    let Some(raw) = raw else { return Ok(None) };
    if let Some(time) = crate::domain::time::parse(raw) {
        return Ok(Some(time.timestamp()));
    }
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|time| Some(time.and_utc().timestamp()))
        .ok_or_else(|| {
            ApiError::invalid(
                field,
                format!("{field} must be an RFC 3339 time (2025-01-15T10:30:00Z) or a date (2025-01-15)"),
            )
        })
}

/// Campaign statistics.
#[utoipa::path(get, path = "/v1/campaigns/{id}/stats", tag = "Campaign statistics", operation_id = "getCampaignStats",
    params(("id" = String, Path, pattern = "^cmp_[A-Za-z0-9]{20}$", description = "Campaign id (`cmp_…`)")),
    responses((status = 200, description = "The campaign's counters and rates.", body = Envelope<CampaignStatsResponse>)))]
pub async fn stats(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    _query: web::Query<NoQuery>,
) -> ApiResult<HttpResponse> {
    let id = campaign_id(&path)?;
    let counts = state
        .read(tenant.check(), move |conn| {
            let (seq, _) = db::campaign_stats::require_campaign(conn, &tenant.0, &id)?;
            db::campaign_stats::campaign_counts(conn, seq)
        })
        .await?;
    Ok(envelope::ok(CampaignStatsResponse::from(counts)))
}

/// Statistics per email of the workflow.
#[utoipa::path(get, path = "/v1/campaigns/{id}/stats/emails", tag = "Campaign statistics", operation_id = "getCampaignEmailStats",
    params(("id" = String, Path, pattern = "^cmp_[A-Za-z0-9]{20}$", description = "Campaign id")),
    responses((status = 200, description = "One row per email node, in workflow order (breadth-first from the start node).", body = Envelope<Vec<EmailStatsResponse>>)))]
pub async fn emails(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    _query: web::Query<NoQuery>,
) -> ApiResult<HttpResponse> {
    let id = campaign_id(&path)?;
    let rows = state
        .read(tenant.check(), move |conn| {
            let (seq, workflow) = db::campaign_stats::require_campaign(conn, &tenant.0, &id)?;
            let workflow: Value = workflow
                .and_then(|text| serde_json::from_str(&text).ok())
                .unwrap_or(Value::Null);
            db::campaign_stats::email_counts(conn, seq, rules::email_nodes(&workflow))
        })
        .await?;
    Ok(envelope::ok(
        rows.into_iter()
            .map(EmailStatsResponse::from)
            .collect::<Vec<_>>(),
    ))
}

/// Events over time.
#[utoipa::path(get, path = "/v1/campaigns/{id}/stats/timeline", tag = "Campaign statistics", operation_id = "getCampaignTimeline",
    params(("id" = String, Path, pattern = "^cmp_[A-Za-z0-9]{20}$", description = "Campaign id"), TimelineQuery),
    responses((status = 200, description = "Every bucket of the range, oldest first, zeros included.", body = Envelope<Vec<TimelineBucketResponse>>)))]
pub async fn timeline(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> ApiResult<HttpResponse> {
    let id = campaign_id(&path)?;
    let query = query.into_inner();
    let interval = match query.interval {
        Some(IntervalDto::Hour) => Interval::Hour,
        Some(IntervalDto::Week) => Interval::Week,
        None | Some(IntervalDto::Day) => Interval::Day,
    };
    let to = instant("to", query.to.as_deref())?.unwrap_or_else(|| Utc::now().timestamp() + 1);
    let from = instant("from", query.from.as_deref())?.unwrap_or(to - 30 * 86_400);
    let starts = rules::bucket_starts(from, to, interval).map_err(|error| match error {
        RangeError::Empty => ApiError::invalid("from", "from must be before to"),
        RangeError::TooManyBuckets(count) => ApiError::invalid(
            "interval",
            format!(
                "the range holds {count} buckets of this interval; at most {} are allowed",
                rules::MAX_BUCKETS
            ),
        ),
    })?;
    let buckets = state
        .read(tenant.check(), move |conn| {
            let (seq, _) = db::campaign_stats::require_campaign(conn, &tenant.0, &id)?;
            db::campaign_stats::timeline(conn, seq, &starts, interval, from, to)
        })
        .await?;
    Ok(envelope::ok(
        buckets
            .into_iter()
            .map(TimelineBucketResponse::from)
            .collect::<Vec<_>>(),
    ))
}

/// The campaign's events, newest first.
#[utoipa::path(get, path = "/v1/campaigns/{id}/activity", tag = "Campaign statistics", operation_id = "listCampaignActivity",
    params(("id" = String, Path, pattern = "^cmp_[A-Za-z0-9]{20}$", description = "Campaign id"), ActivityQuery),
    responses((status = 200, description = "A page of events.", body = ListEnvelope<ActivityResponse>)))]
pub async fn activity(
    state: web::Data<AppState>,
    tenant: Tenant,
    path: web::Path<String>,
    query: web::Query<ActivityQuery>,
) -> ApiResult<HttpResponse> {
    let id = campaign_id(&path)?;
    let query = query.into_inner();
    let page = PageRequest::parse(query.page, query.per_page)?;
    let contact = query
        .contact_id
        .as_deref()
        .map(|raw| {
            ContactId::parse(raw).ok_or_else(|| {
                ApiError::invalid("contactId", "contactId must be a contact id (con_…)")
            })
        })
        .transpose()?;
    let mut filter = ActivityFilter {
        kind: query.kind.map(Into::into),
        from: instant("from", query.from.as_deref())?,
        to: instant("to", query.to.as_deref())?,
        ..ActivityFilter::default()
    };
    let result = state
        .read(tenant.check(), move |conn| {
            let (seq, _) = db::campaign_stats::require_campaign(conn, &tenant.0, &id)?;
            if let Some(contact) = &contact {
                filter.contact_seq = Some(db::campaign_events::contact_seq(
                    conn,
                    &tenant.0,
                    contact,
                    "contactId",
                )?);
            }
            db::campaign_events::list(conn, seq, &filter, page)
        })
        .await?;
    Ok(envelope::page(result, page, ActivityResponse::from))
}
