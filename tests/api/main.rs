//! The integration suite: one binary, real HTTP against the real application on a fresh database.

mod helpers;
mod smtp_sink;

mod auth;
// Shared with the sending tests, which use every fixture.
#[allow(dead_code)]
mod campaign_fixtures;
mod campaigns;
mod cli;
mod contacts;
mod conventions;
mod csv;
mod docs;
mod groups;
mod idempotency;
mod rate_limit;
mod sandbox;
mod sending_fixtures;
mod stats;
mod tenancy;
mod tracking;
