//! Pure domain types: ids, validated values, resources and their rules. No I/O here.

pub mod api_key;
pub mod campaign;
pub mod contact;
pub mod email;
pub mod group;
pub mod html;
pub mod ids;
pub mod listing;
pub mod schedule;
pub mod template;
pub mod text;
pub mod time;
pub mod workflow;
pub mod workspace;
