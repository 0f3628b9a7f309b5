//! The arguments of `serve`.

use clap::{Args, ValueEnum};

/// How the server writes its logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Readable lines.
    Text,
    /// One JSON object a line, for log shippers.
    Json,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
    /// Let anyone read without a token.
    #[arg(long)]
    pub public_read: bool,
    /// Serve HTTPS with this certificate chain (PEM; with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1; with --tls-cert).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Let anyone read /metrics without a token (for a scraper), even when reads need one.
    #[arg(long)]
    pub metrics_public: bool,
    /// Serve a fresh copy of the sample quarter (events/samples) from a temporary directory, with
    /// public reads, and print a member and an admin token.
    #[arg(long)]
    pub demo: bool,
    /// The largest request body, in bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    pub body_limit: usize,
    /// Seconds a request may take.
    #[arg(long, default_value_t = 30)]
    pub request_timeout: u64,
    /// Sign a checkpoint of the head every this many seconds when it moved (and on demand:
    /// POST /ledger/checkpoint).
    #[arg(long, default_value_t = 5, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_every: u64,
    /// Log format: one line per request (request id, method, route, status, latency, actor,
    /// client address) and each refusal with its problem type. Levels: GOAL_LEDGER_LOG, else
    /// RUST_LOG (e.g. `warn`, `goal_ledger=debug`; default `info`).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Let webhooks reach loopback and private addresses (10/8, 192.168/16, 127/8, ...): for a
    /// closed network or tests. Without it such URLs are refused.
    #[arg(long)]
    pub allow_private_webhooks: bool,
    /// The first retry of a failed webhook delivery after this many milliseconds (doubling up
    /// to an hour, for a day); for tests.
    #[arg(long, default_value_t = 5000, value_name = "MS", hide = true)]
    pub webhook_retry_ms: u64,
}
