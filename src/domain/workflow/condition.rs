//! What condition nodes test: message events and contact fields.

use serde_json::{json, Map, Value};

/// Something that happened to a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailEvent {
    /// Handed to the SMTP server.
    Sent,
    /// Opened.
    Opened,
    /// A link was clicked.
    Clicked,
    /// Replied to.
    Replied,
}

impl EmailEvent {
    /// Every event.
    pub const ALL: [EmailEvent; 4] = [Self::Sent, Self::Opened, Self::Clicked, Self::Replied];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Opened => "opened",
            Self::Clicked => "clicked",
            Self::Replied => "replied",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|event| event.as_str() == raw)
    }
}

/// How a `contactField` condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOperator {
    /// Equal, ignoring case.
    Equals,
    /// Not equal, ignoring case (a missing field is not equal).
    NotEquals,
    /// Contains, ignoring case.
    Contains,
    /// Does not contain, ignoring case (a missing field contains nothing).
    NotContains,
    /// Missing or blank.
    IsEmpty,
    /// Present and not blank.
    IsNotEmpty,
}

impl FieldOperator {
    /// Every operator.
    pub const ALL: [FieldOperator; 6] = [
        Self::Equals,
        Self::NotEquals,
        Self::Contains,
        Self::NotContains,
        Self::IsEmpty,
        Self::IsNotEmpty,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Equals => "equals",
            Self::NotEquals => "notEquals",
            Self::Contains => "contains",
            Self::NotContains => "notContains",
            Self::IsEmpty => "isEmpty",
            Self::IsNotEmpty => "isNotEmpty",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|operator| operator.as_str() == raw)
    }

    /// Whether the operator compares against a `value`.
    pub fn needs_value(self) -> bool {
        !matches!(self, Self::IsEmpty | Self::IsNotEmpty)
    }

    /// Applies the operator to a contact's field (`None` when absent); comparisons ignore case
    /// and surrounding whitespace.
    pub fn evaluate(self, field: Option<&str>, value: &str) -> bool {
        let field = field.map(|text| text.trim().to_lowercase());
        let value = value.trim().to_lowercase();
        let blank = field.as_deref().is_none_or(str::is_empty);
        match self {
            Self::Equals => field.as_deref() == Some(value.as_str()),
            Self::NotEquals => field.as_deref() != Some(value.as_str()),
            Self::Contains => field.is_some_and(|text| text.contains(&value)),
            Self::NotContains => !field.is_some_and(|text| text.contains(&value)),
            Self::IsEmpty => blank,
            Self::IsNotEmpty => !blank,
        }
    }
}

/// What a condition node tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The contact opened this email node's message (default: the last message it received).
    Opened {
        /// The email node, if named.
        email_node_id: Option<String>,
    },
    /// The contact clicked a link in this email node's message (default: the last one).
    Clicked {
        /// The email node, if named.
        email_node_id: Option<String>,
    },
    /// The last message the contact received had this event.
    PreviousEmail {
        /// The event looked for (default `opened`).
        event: EmailEvent,
    },
    /// A contact field compared with a value.
    ContactField {
        /// A standard field name or a custom field key.
        field: String,
        /// The comparison.
        operator: FieldOperator,
        /// The value compared with (`None` for `isEmpty` / `isNotEmpty`).
        value: Option<String>,
    },
}

impl Condition {
    /// The wire name of the criterion.
    pub fn criterion(&self) -> &'static str {
        match self {
            Self::Opened { .. } => "opened",
            Self::Clicked { .. } => "clicked",
            Self::PreviousEmail { .. } => "previousEmail",
            Self::ContactField { .. } => "contactField",
        }
    }

    /// Whether the condition looks at a message the contact received before it.
    pub fn needs_earlier_email(&self) -> bool {
        !matches!(self, Self::ContactField { .. })
    }

    /// The `data` object of a condition node.
    pub(super) fn to_json(&self) -> Value {
        let condition = self;
        let mut data = Map::new();
        data.insert("criterion".into(), json!(condition.criterion()));
        match condition {
            Condition::Opened { email_node_id } | Condition::Clicked { email_node_id } => {
                if let Some(id) = email_node_id {
                    data.insert("emailNodeId".into(), json!(id));
                }
            }
            Condition::PreviousEmail { event } => {
                data.insert("event".into(), json!(event.as_str()));
            }
            Condition::ContactField {
                field,
                operator,
                value,
            } => {
                data.insert("field".into(), json!(field));
                data.insert("operator".into(), json!(operator.as_str()));
                if let Some(value) = value {
                    data.insert("value".into(), json!(value));
                }
            }
        }
        Value::Object(data)
    }
}
