//! Webhooks: the event outbox (written with the change that caused each event), and later the
//! dispatcher, signing and the URL guard.

pub mod outbox;
