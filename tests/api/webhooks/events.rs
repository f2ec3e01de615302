//! Every event is written to the outbox, with its exact payload, by the change that causes it.
