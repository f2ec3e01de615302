//! Pure domain types: ids, validated values, resources and their rules. No I/O here.

pub mod api_key;
pub mod campaign;
pub mod campaign_stats;
pub mod contact;
pub mod email;
pub mod email_account;
pub mod group;
pub mod html;
pub mod ids;
pub mod listing;
pub mod mail_headers;
pub mod schedule;
pub mod template;
pub mod text;
pub mod time;
pub mod tracking;
pub mod webhook;
pub mod workflow;
pub mod workspace;
