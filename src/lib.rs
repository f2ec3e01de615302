//! fluenzr: a self-hosted, single-binary FluenzR-compatible outreach API server over SQLite.

pub mod api;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod inbox;
pub mod secret;
pub mod sender;
pub mod startup;
pub mod telemetry;
pub mod webhooks;
