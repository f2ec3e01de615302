//! Campaign statistics rules: rates, timeline buckets, campaign event types and the order of a
//! workflow's email nodes. Pure: no I/O, no clock.

use serde_json::Value;
use std::collections::{HashMap, HashSet, VecDeque};

/// A percentage with one decimal (`33.3`); 0 when the denominator is 0.
pub fn rate(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        return 0.0;
    }
    // Integer arithmetic first, so 1/3 is exactly 33.3 and not 33.300000000000004.
    let tenths = (numerator as u128 * 1000 + denominator as u128 / 2) / denominator as u128;
    tenths as f64 / 10.0
}

/// What can happen in a campaign (the `campaign_events.type` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// A message was handed to the SMTP server.
    Sent,
    /// A message was opened (pixel, or a click before any pixel).
    Opened,
    /// A tracked link was followed.
    Clicked,
    /// The contact replied.
    Replied,
    /// The message bounced.
    Bounced,
    /// The contact unsubscribed.
    Unsubscribed,
    /// Sending failed for good.
    Failed,
    /// The outcome of a send is unknown (never resent).
    Uncertain,
    /// A step was skipped (e.g. a missing template variable).
    Skipped,
}

impl EventType {
    /// Every type, in documentation order.
    pub const ALL: [EventType; 9] = [
        Self::Sent,
        Self::Opened,
        Self::Clicked,
        Self::Replied,
        Self::Bounced,
        Self::Unsubscribed,
        Self::Failed,
        Self::Uncertain,
        Self::Skipped,
    ];

    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Opened => "opened",
            Self::Clicked => "clicked",
            Self::Replied => "replied",
            Self::Bounced => "bounced",
            Self::Unsubscribed => "unsubscribed",
            Self::Failed => "failed",
            Self::Uncertain => "uncertain",
            Self::Skipped => "skipped",
        }
    }

    /// Parses the stored text.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

/// Width of a timeline bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interval {
    /// One hour.
    Hour,
    /// One UTC day (the default).
    #[default]
    Day,
    /// One week, Monday 00:00 UTC to Monday.
    Week,
}

/// Most buckets one timeline may hold.
pub const MAX_BUCKETS: i64 = 1000;

/// Unix time of Monday 1970-01-05 00:00 UTC: weeks are counted from there.
const FIRST_MONDAY: i64 = 4 * 86_400;

impl Interval {
    /// Seconds in one bucket (UTC has no daylight saving, so every bucket is this long).
    pub fn seconds(self) -> i64 {
        match self {
            Self::Hour => 3_600,
            Self::Day => 86_400,
            Self::Week => 7 * 86_400,
        }
    }

    /// The origin buckets are aligned on.
    pub fn origin(self) -> i64 {
        match self {
            Self::Week => FIRST_MONDAY,
            Self::Hour | Self::Day => 0,
        }
    }

    /// Start of the bucket holding the Unix time `at`.
    pub fn bucket_start(self, at: i64) -> i64 {
        at - (at - self.origin()).rem_euclid(self.seconds())
    }
}

/// Why a timeline range is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeError {
    /// `from` is not before `to`.
    Empty,
    /// More than [`MAX_BUCKETS`] buckets.
    TooManyBuckets(i64),
}

/// The starts of every bucket overlapping `[from, to)`.
pub fn bucket_starts(from: i64, to: i64, interval: Interval) -> Result<Vec<i64>, RangeError> {
    if from >= to {
        return Err(RangeError::Empty);
    }
    let first = interval.bucket_start(from);
    let last = interval.bucket_start(to - 1);
    let count = (last - first) / interval.seconds() + 1;
    if count > MAX_BUCKETS {
        return Err(RangeError::TooManyBuckets(count));
    }
    Ok((0..count).map(|n| first + n * interval.seconds()).collect())
}

/// An email node of a workflow, numbered in sending order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailNode {
    /// The node id chosen by the client.
    pub node_id: String,
    /// 1-based position.
    pub email_number: u32,
    /// The subject as written (empty for a threaded follow-up).
    pub subject: String,
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// The email nodes of a workflow (`{nodes, edges}`), breadth-first from the `start` node along
/// `edges`; email nodes the walk does not reach (an invalid graph) follow in their listed order.
pub fn email_nodes(workflow: &Value) -> Vec<EmailNode> {
    let nodes: Vec<&Value> = workflow
        .get("nodes")
        .and_then(Value::as_array)
        .map(|nodes| nodes.iter().collect())
        .unwrap_or_default();
    let mut next: HashMap<&str, Vec<&str>> = HashMap::new();
    for edge in workflow
        .get("edges")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(from), Some(to)) = (text(edge, "from"), text(edge, "to")) {
            next.entry(from).or_default().push(to);
        }
    }
    let mut order: Vec<&str> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut queue: VecDeque<&str> = nodes
        .iter()
        .filter(|node| text(node, "type") == Some("start"))
        .filter_map(|node| text(node, "id"))
        .take(1)
        .collect();
    while let Some(id) = queue.pop_front() {
        if !seen.insert(id) {
            continue;
        }
        order.push(id);
        queue.extend(next.get(id).into_iter().flatten().copied());
    }
    for node in &nodes {
        if let Some(id) = text(node, "id") {
            if seen.insert(id) {
                order.push(id);
            }
        }
    }
    let by_id: HashMap<&str, &Value> = nodes
        .iter()
        .filter_map(|node| text(node, "id").map(|id| (id, *node)))
        .collect();
    order
        .into_iter()
        .filter_map(|id| by_id.get(id).map(|node| (id, *node)))
        .filter(|(_, node)| text(node, "type") == Some("email"))
        .zip(1u32..)
        .map(|((id, node), email_number)| EmailNode {
            node_id: id.to_owned(),
            email_number,
            subject: node
                .get("data")
                .and_then(|data| text(data, "subject"))
                .unwrap_or("")
                .to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rates_have_one_decimal_and_zero_denominators_are_zero() {
        assert_eq!(rate(1, 3), 33.3);
        assert_eq!(rate(2, 3), 66.7);
        assert_eq!(rate(3, 3), 100.0);
        assert_eq!(rate(1, 8), 12.5);
        assert_eq!(rate(5, 0), 0.0);
        assert_eq!(rate(0, 7), 0.0);
    }

    #[test]
    fn weeks_start_on_monday_and_days_at_midnight() {
        // 2025-01-15 (a Wednesday) 10:30:00 UTC.
        let at = 1_736_937_000;
        assert_eq!(Interval::Day.bucket_start(at), 1_736_899_200);
        assert_eq!(Interval::Hour.bucket_start(at), 1_736_935_200);
        // Monday 2025-01-13 00:00 UTC.
        assert_eq!(Interval::Week.bucket_start(at), 1_736_726_400);
        assert_eq!(Interval::Week.bucket_start(1_736_726_400), 1_736_726_400);
    }

    #[test]
    fn ranges_cover_partial_buckets_and_refuse_empty_or_huge_ones() {
        let day = 86_400;
        assert_eq!(bucket_starts(0, day, Interval::Day), Ok(vec![0]));
        assert_eq!(bucket_starts(10, day + 1, Interval::Day), Ok(vec![0, day]));
        assert_eq!(bucket_starts(5, 5, Interval::Day), Err(RangeError::Empty));
        assert_eq!(
            bucket_starts(0, 1001 * 3600, Interval::Hour),
            Err(RangeError::TooManyBuckets(1001))
        );
        assert_eq!(
            bucket_starts(0, 1000 * 3600, Interval::Hour).map(|b| b.len()),
            Ok(1000)
        );
    }

    #[test]
    fn email_nodes_are_numbered_breadth_first_from_start() {
        let workflow = json!({
            "nodes": [
                {"id": "late", "type": "email", "data": {"subject": "Last"}},
                {"id": "end", "type": "end"},
                {"id": "cond", "type": "condition", "data": {"criterion": "opened"}},
                {"id": "first", "type": "email", "data": {"subject": "Hello"}},
                {"id": "s", "type": "start"},
                {"id": "yes", "type": "email", "data": {"subject": ""}},
                {"id": "wait", "type": "delay", "data": {"days": 2}}
            ],
            "edges": [
                {"from": "s", "to": "first"},
                {"from": "first", "to": "wait"},
                {"from": "wait", "to": "cond"},
                {"from": "cond", "to": "yes", "label": "true"},
                {"from": "cond", "to": "late", "label": "false"},
                {"from": "yes", "to": "end"},
                {"from": "late", "to": "end"}
            ]
        });
        let nodes = email_nodes(&workflow);
        let ids: Vec<_> = nodes
            .iter()
            .map(|n| (n.node_id.as_str(), n.email_number))
            .collect();
        assert_eq!(ids, [("first", 1), ("yes", 2), ("late", 3)]);
        assert_eq!(nodes[0].subject, "Hello");
        assert_eq!(nodes[1].subject, "");
        assert!(email_nodes(&json!(null)).is_empty());
    }

    #[test]
    fn event_types_round_trip() {
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventType::parse("delivered"), None);
    }
}
