//! goal-ledger: cross-team goals on an immutable, hash-chained event log.
//!
//! Teams propose goals and agree on them by consensus votes, check in on key results, adjust
//! goals by proposal and vote, close them and write post-mortems. Every step is an event on one
//! append-only log; each record carries the BLAKE3 hash of the one before, so anyone can verify
//! the record was not rewritten. Projections rebuild the current state, the history of every
//! change ("why did this change?") and timelines for retrospectives.
//!
//! # Code map
//!
//! - `domain`: pure goal domain: ids, teams, goals, proposals, consensus rules (`consensus.rs`
//!   counts votes), commands, events, `decide` and `apply`.
//! - `record`: the record format (exact bytes, BLAKE3, the chain) and `ChainCheck`, which names
//!   the first bad record.
//! - `store`: the `StoreRead` and `Store` traits, `store::open` (the one place that picks a
//!   backend), the chunk codec, the write-ahead log and the applier thread behind it, and one
//!   folder per backend (`store/sled/`).
//! - `ledger`: the single writer (group commit, idempotency, optimistic concurrency), the read
//!   handle, verification, export and import.
//! - `projections`: state checkpoints and catch-up, as-of, history, timeline, JSON views.
//! - `report`: retrospectives of a goal or a team's period, as Markdown, HTML and JSON, and the
//!   SVG charts; built from projections only.
//! - `http`: the axum server: routes (one file per resource), bearer auth, problem+json errors,
//!   the live event feed, metrics, OpenAPI, and the server-rendered web view.
//! - `config`: the only reader of the environment and settings (the store's options today).
//! - `cli`: the `goal-ledger` command line, local (through `ledger`) or remote (over `http`).
//!
//! # Architecture invariants
//!
//! - The domain does no I/O and reads no clock: `decide(state, command, context)` gets the time
//!   and any looked-up facts in `context`, so the same inputs always give the same events.
//! - The record format is defined in `record.rs` alone; a record's hash is BLAKE3 of its exact
//!   stored bytes, and nothing re-serializes a stored record.
//! - Only `store` imports sled. The ledger sees storage through the `Store` trait and opens it
//!   with `store::open`; what it hands to readers is the read-only `StoreRead`.
//! - Every write goes through the single writer in `ledger/writer.rs`: it assigns sequence
//!   numbers, chains hashes and answers callers only after the batch is durable, so commit order
//!   is sequence order and there are no gaps.
//! - Readers see only durable state: the writer publishes a batch after it is committed, and a
//!   read of the store waits until the store's applier thread has put every committed batch
//!   into sled.
//! - `cli` and `http` reach data only through `ledger`; neither opens the store for writing.
//! - Only `http` knows HTTP; errors become responses in exactly one place (`http/error.rs`).
//! - Everything user-written that reaches HTML, SVG or Markdown goes through an escaping function.
//! - A rejected command appends nothing: rejections are values returned before staging.

pub mod api;
pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod input;
pub mod jobs;
pub mod ledger;
pub mod projections;
pub mod record;
pub mod render;
pub mod report;
pub mod server;
pub mod store;
pub mod web;
