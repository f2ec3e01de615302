//! The campaign sender: SMTP connections to email accounts' servers.

pub mod smtp;
