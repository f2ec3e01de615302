//! The inbox poller: reads each email account's IMAP inbox for replies, automatic replies and
//! bounces, and applies what they mean to the campaigns that sent the original messages.

pub mod classify;
