//! What each event holds, built inside the transaction of the change that caused it.
