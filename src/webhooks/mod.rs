//! Webhooks: the event outbox (written with the change that caused each event), what each event
//! holds, the dispatcher that delivers it, signing and the URL guard (SSRF).

pub mod dispatcher;
pub mod events;
pub mod outbox;
pub mod signing;
pub mod url_guard;

pub use dispatcher::{DispatchOutcome, Dispatcher, DispatcherHandle};
