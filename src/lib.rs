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
//! The core, pure and with no I/O:
//! - `domain`: ids (parse-validated newtypes), teams, goals, cycles, webhooks, proposals,
//!   commands and events; one file per concern holds its `decide_*` and `apply_*`
//!   (`membership`, `adoption`, `adjustments`, `voting`, `check_ins`, `closing`, `post_mortem`,
//!   `tokens`, `cycles` (opening, closing, carry-over), `webhooks`), and `decide.rs` /
//!   `apply.rs` are thin dispatchers; `consensus.rs` counts votes, one function a rule.
//! - `record`: the record format (exact bytes, BLAKE3, the chain), `Auth` (how each record's
//!   actor was established: a token, a local write, the ledger itself) and `ChainCheck`, which
//!   names the first bad record.
//! - `proofs`: the Merkle tree over the records (RFC 9162, SHA-256), inclusion and
//!   consistency proofs and their checks, signed notes and checkpoints (C2SP, Ed25519) and
//!   proof files (`tlog-proof@v1`).
//! - `input`: the text forms of dates, times, key-result specs and `KR=VALUE` pairs that both
//!   faces read.
//!
//! Keeping and reading the log:
//! - `store`: the `Store` trait (reads in `StoreRead`; `commit` takes the head it expects and
//!   answers `HeadMoved` as a value) and its backends, one folder each (`segments/`: the log
//!   as segment files and its index files; `sled/`: the earlier layout, read to migrate;
//!   `postgres/`: one ledger several instances share, `--store postgres://…`, with the head's
//!   lock a writer holds for a group commit and the follower that hears other instances'
//!   commits), `open`, the one place that picks a backend by `Location`, beside the pieces any
//!   backend can reuse: the chunk codec, the write-ahead log, the applier thread, the search by
//!   time.
//! - `ledger`: the single writer (group commit, idempotency, optimistic concurrency, catching
//!   up with other instances' records), the read handle, verification, export and import.
//! - `projections`: projection snapshots and catch-up, as-of, history, timeline, JSON views,
//!   and what is due for a person or a team (`due`).
//! - `report`: retrospectives of a goal, a team's period or a team's cycle, as data, built
//!   from ledger reads.
//! - `render`: Markdown, HTML documents and SVG charts (maud templates), number formatting,
//!   Markdown escaping.
//!
//! The faces and what runs them:
//! - `api`: the HTTP wire contract for both ends: routes, request bodies, answers, problems,
//!   and tokens (their bodies, how a fingerprint names one, how a secret is made).
//! - `http`: the JSON API (axum): one file per resource, bearer auth, problem+json errors, the
//!   live event feed, metrics, OpenAPI, content negotiation. At the URLs the API shares with the
//!   web view (`/goals/{id}`, `/teams/{id}`) it hands a browser to `web`.
//! - `web`: the server-rendered web view: pages, retrospectives and charts for browsers, on top
//!   of `http`'s auth, errors and negotiation.
//! - `jobs`: background work beside the server (the deadline ticker, the checkpoint signer).
//! - `notify`: webhooks: Standard Webhooks signatures, the address guard, backoff, the
//!   durable per-webhook cursor, the messages records and the clock make, and the delivery
//!   worker, which only reads the ledger.
//! - `server`: the composition root: binds (over TLS with `tls`), mounts `http` and `web`,
//!   starts `jobs` and the webhook worker, shuts down.
//! - `cli`: the `goal-ledger` command line: one file per command under `commands/`, local
//!   (through `ledger`) or remote (over `api`).
//! - `config`: the only reader of the environment.
//!
//! # Architecture invariants
//!
//! Checked mechanically by `tests/it/architecture.rs`:
//! - The domain does no I/O, reads no clock and names no other module: `decide(state, command,
//!   context)` gets the time and any looked-up facts in `context`, so the same inputs always
//!   give the same events.
//! - Only `store` names sled (or a database client); the ledger sees storage only through the
//!   `Store` trait, and hands the faces its read half (`StoreRead`) only.
//! - Lower layers name no layer above them: `store` not `ledger`, `ledger` and `projections`
//!   not `report`, `render` or `api`; `report` and `render` know no HTTP.
//! - Only `cli` names `cli`; only `http`, `web` and `server` name `http` or `web`; only `cli`
//!   (serve) starts a `server`.
//! - Only `config.rs` (and `main.rs`) read the environment.
//! - Test doors (tampering with stored bytes) exist only with the `tamper` cargo feature, which
//!   only the tests enable.
//! - No file over 600 lines, no function over 120 (the exceptions are listed, with reasons).
//!
//! Held by design and by the tests of each face:
//! - The record format is defined in `record.rs` alone; a record's hash is BLAKE3 of its exact
//!   stored bytes, and nothing re-serializes a stored record.
//! - Every write goes through the single writer in `ledger/writer.rs`: it assigns sequence
//!   numbers, chains hashes and answers callers only after the batch is durable, so commit order
//!   is sequence order and there are no gaps. Instances sharing one PostgreSQL database each
//!   have their writer; they take turns at the head's lock, each catching up with the others'
//!   records before it stages a batch, and follow each other between writes (notices and a
//!   poll), so a read on one instance soon shows, and its writes are decided on, what another
//!   appended.
//! - Readers see only durable state: the writer publishes a batch after it is committed, and a
//!   read of the store waits until the store's applier thread has indexed every committed
//!   batch.
//! - `cli`, `http` and `web` reach data only through `ledger`; none opens the store for writing.
//! - Only `http` and `web` know HTTP (`api` describes it as data); their errors become
//!   responses in exactly one place (`http/error.rs`).
//! - HTML and SVG are written only with maud's `html!` templates, which escape every value
//!   (no markup is built by formatting strings); Markdown escapes user-written text with
//!   `render/escape.rs`.
//! - A rejected command appends nothing: rejections are values returned before staging.

pub mod api;
pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod input;
pub mod jobs;
pub mod ledger;
pub mod notify;
pub mod projections;
pub mod proofs;
pub mod record;
pub mod render;
pub mod report;
pub mod server;
pub mod store;
pub mod tls;
pub mod web;
