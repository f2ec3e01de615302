//! Webhooks: the event outbox (written with the change that caused each event), what each
//! event holds, and later the dispatcher, signing and the URL guard.

pub mod events;
pub mod outbox;
pub mod url_guard;
