//! The integration suite: one binary, real HTTP against the real application on a fresh database.

mod dovecot;
mod helpers;
mod smtp_sink;

mod auth;
mod campaign_fixtures;
mod campaigns;
mod cli;
mod contacts;
mod conventions;
mod crash;
mod csv;
mod docs;
mod email_accounts;
mod groups;
mod idempotency;
mod inbox;
mod rate_limit;
mod sandbox;
mod sending;
mod sending_fixtures;
mod stats;
mod tenancy;
mod tracking;
mod webhook_crash;
mod webhook_dispatch;
mod webhook_fixtures;
mod webhook_receiver;
mod webhooks;
