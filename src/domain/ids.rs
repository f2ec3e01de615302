//! Opaque, prefixed, random public ids (`con_…`, `grp_…`): never guessable sequences.

use rand::distr::{Alphanumeric, SampleString};
use std::fmt;

/// Number of random alphanumeric characters after the prefix.
const RANDOM_LEN: usize = 20;

/// Characters of the time prefix (base 62 milliseconds: good for about 6,900 years).
const TIME_LEN: usize = 8;
/// Base-62 digits in ASCII order, so the text of an id sorts like its time prefix.
const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A time prefix followed by random characters: ids created together land next to each other
/// in the id index (inserts append instead of touching a random page each), while the 12
/// random characters (71 bits) keep them unguessable.
fn random_suffix(len: usize) -> String {
    let mut millis = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
    let mut prefix = [b'0'; TIME_LEN];
    for slot in prefix.iter_mut().rev() {
        *slot = DIGITS[(millis % 62) as usize];
        millis /= 62;
    }
    let mut id = String::with_capacity(len);
    id.extend(prefix.iter().map(|b| char::from(*b)));
    id.push_str(&Alphanumeric.sample_string(&mut rand::rng(), len - TIME_LEN));
    id
}

fn is_valid(value: &str, prefix: &str) -> bool {
    value.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == RANDOM_LEN && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

macro_rules! public_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The prefix every id of this kind starts with.
            pub const PREFIX: &'static str = $prefix;

            /// A fresh random id.
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, random_suffix(RANDOM_LEN)))
            }

            /// Accepts only well-formed ids of this kind.
            pub fn parse(value: &str) -> Option<Self> {
                is_valid(value, $prefix).then(|| Self(value.to_owned()))
            }

            /// Wraps a value read back from the database, which only ever stores valid ids.
            pub fn from_db(value: String) -> Self {
                Self(value)
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
    };
}

public_id!(
    /// A workspace (tenant): every resource belongs to exactly one.
    WorkspaceId,
    "ws_"
);
public_id!(
    /// A contact.
    ContactId,
    "con_"
);
public_id!(
    /// A group of contacts.
    GroupId,
    "grp_"
);
public_id!(
    /// An API key's public id (not the secret).
    ApiKeyId,
    "key_"
);
public_id!(
    /// A pipeline stage.
    PipelineStageId,
    "stg_"
);
public_id!(
    /// A sending email account (SMTP and optional IMAP settings).
    EmailAccountId,
    "acc_"
);
public_id!(
    /// A campaign.
    CampaignId,
    "cmp_"
);
public_id!(
    /// An event (campaign activity, webhook payloads).
    EventId,
    "evt_"
);
public_id!(
    /// A webhook subscription.
    WebhookId,
    "whk_"
);
public_id!(
    /// One webhook delivery attempt (a log entry).
    DeliveryLogId,
    "log_"
);
public_id!(
    /// A message captured by a sandbox email account.
    SandboxMessageId,
    "msg_"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back_and_differ() {
        let a = ContactId::generate();
        let b = ContactId::generate();
        assert_ne!(a, b);
        assert_eq!(ContactId::parse(a.as_str()), Some(a));
    }

    #[test]
    fn later_ids_sort_after_earlier_ones() {
        let first = ContactId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = ContactId::generate();
        assert!(first.as_str()[..12] < second.as_str()[..12]);
    }

    #[test]
    fn ids_of_another_kind_or_shape_are_refused() {
        let group = GroupId::generate();
        assert!(ContactId::parse(group.as_str()).is_none());
        assert!(ContactId::parse("con_short").is_none());
        assert!(ContactId::parse("con_aaaaaaaaaaaaaaaaaaa!").is_none());
    }
}
