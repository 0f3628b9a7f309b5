//! Outgoing webhooks, after the Standard Webhooks spec: signed JSON POSTs telling a team's
//! tools that a vote is needed, a proposal was decided, a goal or cycle closed, or a check-in
//! or action item fell due. Delivery is at least once, in order per webhook, with retries;
//! it only reads the ledger, so a slow receiver never holds up an append.
//!
//! The self-contained core (no ledger, no domain):
//! - `sign`: secrets (`whsec_…`, derived from the data directory's key) and `v1` signatures.
//! - `address`: which URLs a webhook may call (the guard against server-side request forgery).
//! - `backoff`: when a failed message is tried again, and when it is given up.
//! - `cursor`: the durable per-webhook delivery state (`webhooks.json`), replaced atomically.
//! - `deliver`: a message, its body, and one signed attempt to deliver it.
//!
//! On top of it:
//! - `key`: the data directory's webhook key and new webhook ids.
//! - `messages`: the messages that records and the clock make for a webhook.
//! - `worker`: the delivery worker, one task per webhook, and its view for the HTTP API.

pub mod address;
pub mod backoff;
pub mod cursor;
pub mod deliver;
pub mod key;
pub mod messages;
pub mod sign;
pub mod worker;

pub use address::{check_url, is_private, UrlRefused};
pub use backoff::Schedule;
pub use cursor::{Cursor, Cursors};
pub use deliver::{send, Attempt, Message};
pub use sign::{Secret, SecretError};
pub use worker::{spawn, Notifier, NotifyConfig};
