//! Webhooks: the event outbox (written with the change that caused each event), the dispatcher
//! that delivers it, signing and the URL guard (SSRF).

pub mod dispatcher;
pub mod outbox;
pub mod signing;
pub mod url_guard;

pub use dispatcher::{DispatchOutcome, Dispatcher, DispatcherHandle};
