//! The composition root of a running server: binds the address, mounts the HTTP API and the
//! web pages on one router, starts the background jobs beside it, and shuts all of it down
//! gracefully (stop accepting, finish requests in flight, end live feeds, stop the jobs).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::watch;

use crate::http::{self, AppState, Limits};
use crate::jobs;
use crate::ledger::Ledger;
use crate::notify::{Notifier, NotifyConfig};
use crate::web;
use axum::serve::ListenerExt as _;
use std::sync::Arc;

/// How to serve.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    /// Let anyone read without a token.
    pub public_read: bool,
    /// `/metrics` open to all even when reads need a token.
    pub metrics_public: bool,
    /// Serve HTTPS with these settings (`--tls-cert`, `--tls-key`).
    pub tls: Option<std::sync::Arc<tokio_rustls::rustls::ServerConfig>>,
    /// The largest request body, in bytes.
    pub body_limit: usize,
    pub request_timeout: Duration,
    /// How often proposals past their closing time are decided.
    pub tick_every: Duration,
    /// How often a checkpoint of a moved head is signed.
    pub checkpoint_every: Duration,
    /// Send webhooks, keeping their cursor in this configuration's data directory.
    pub notify: Option<NotifyConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_read: false,
            metrics_public: false,
            tls: None,
            body_limit: 64 * 1024,
            request_timeout: Duration::from_secs(30),
            tick_every: Duration::from_secs(1),
            checkpoint_every: Duration::from_secs(5),
            notify: None,
        }
    }
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    jobs: Vec<tokio::task::JoinHandle<()>>,
}

impl Server {
    /// Stops accepting, lets requests in flight finish, ends live feeds, and waits.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(true);
        self.wait().await
    }

    /// Waits until the server stops (after `shutdown` or a fatal error), including its jobs,
    /// so that no clone of the ledger outlives it.
    pub async fn wait(self) -> std::io::Result<()> {
        let served = self.task.await.map_err(std::io::Error::other)?;
        let _ = self.shutdown.send(true);
        for job in self.jobs {
            let _ = job.await;
        }
        served
    }

    /// A handle that triggers the shutdown from elsewhere (a signal handler).
    pub fn trigger(&self) -> watch::Sender<bool> {
        self.shutdown.clone()
    }
}

/// Binds `config.addr` (port 0 picks a free port) and serves `ledger` until shut down.
pub async fn start(ledger: Ledger, config: Config) -> std::io::Result<Server> {
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = watch::channel(false);
    let notifier = match config.notify {
        Some(notify) => Some(Arc::new(Notifier::new(ledger.clone(), notify)?)),
        None => None,
    };
    let state = AppState {
        metrics_public: config.metrics_public,
        notifier: notifier.clone(),
        secure_cookies: config.tls.is_some(),
        ..AppState::new(ledger.clone(), config.public_read, rx.clone())
    };
    let limits = Limits {
        body_limit: config.body_limit,
        request_timeout: config.request_timeout,
    };
    let app = http::router(state, limits, web::routes());
    let mut jobs = vec![
        jobs::spawn_deadline_ticker(ledger.clone(), config.tick_every, rx.clone()),
        jobs::spawn_checkpoint_signer(ledger, config.checkpoint_every, rx.clone()),
    ];
    jobs.extend(notifier.map(|n| crate::notify::spawn(n, rx.clone())));
    let mut stop = rx;
    let stopped = async move {
        let _ = stop.changed().await;
    };
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let task = match config.tls {
        None => tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stopped)
                .await
        }),
        Some(tls) => {
            // `tap_io` makes the client's address the connection's info, as for plain TCP.
            let listener = crate::tls::TlsListener::new(listener, tls)?.tap_io(|_| {});
            tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(stopped)
                    .await
            })
        }
    };
    tracing::info!(%addr, "serving");
    Ok(Server {
        addr,
        shutdown: tx,
        task,
        jobs,
    })
}
