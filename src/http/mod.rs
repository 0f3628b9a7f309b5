//! The HTTP API (axum): `router` wires one handler per route (one file per resource), `start`
//! binds, serves, decides closing times on a timer and shuts down gracefully. Only this module
//! knows HTTP; it reaches data only through `ledger`. Errors leave through `error.rs` alone.

pub(crate) mod auth;
mod error;
mod feed;
pub(crate) mod goals;
pub mod metrics;
pub(crate) mod negotiate;
pub mod openapi;
mod requests;
mod teams;
mod write;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::Request;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::watch;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::ledger::Ledger;
use auth::Caller;
pub use error::ApiError;

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub ledger: Ledger,
    pub public_read: bool,
    pub metrics: Arc<metrics::Metrics>,
    /// Turns true when the server starts shutting down (ends live feeds).
    pub shutdown: watch::Receiver<bool>,
    /// Store reads running at once: one per core. More only share the same cores, and each
    /// holds its records and its answer in memory while it waits.
    pub store_reads: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// Runs a read that goes to the store (history, timelines, reports, past states, the log) on
    /// the blocking pool: a long one must not hold up the runtime's few workers, which serve the
    /// writes, the closing-time timer and every cheap read. Reads beyond one per core queue.
    pub(crate) async fn read_store<T, E>(
        &self,
        read: impl FnOnce(&Ledger) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        let permit = self
            .store_reads
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| ApiError::internal("a read of the store", e))?;
        let ledger = self.ledger.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            read(&ledger).map_err(Into::into)
        })
        .await
        .map_err(|e| ApiError::internal("a read of the store", e))?
    }
}

/// How to serve.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    /// Let anyone read without a token.
    pub public_read: bool,
    /// The largest request body, in bytes.
    pub body_limit: usize,
    pub request_timeout: Duration,
    /// How often proposals past their closing time are decided.
    pub tick_every: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_read: false,
            body_limit: 64 * 1024,
            request_timeout: Duration::from_secs(30),
            tick_every: Duration::from_secs(1),
        }
    }
}

/// Every route, with its middleware.
pub fn router(state: AppState, config: &Config) -> Router {
    Router::new()
        .route("/teams", post(teams::create).get(teams::list))
        .route("/teams/{id}", get(teams::show))
        .route("/teams/{id}/members", post(teams::add_member))
        .route("/teams/{id}/members/{member}", delete(teams::remove_member))
        .route("/goals", post(goals::create).get(goals::list))
        .route("/goals/{id}", get(goals::show))
        .route("/goals/{id}/votes", post(goals::vote))
        .route("/goals/{id}/adjustments", post(goals::adjust))
        .route("/goals/{id}/check-ins", post(goals::check_in))
        .route("/goals/{id}/close", post(goals::close))
        .route("/goals/{id}/reopen", post(goals::reopen))
        .route("/goals/{id}/withdraw", post(goals::withdraw))
        .route("/goals/{id}/notes", post(goals::note))
        .route("/goals/{id}/history", get(goals::history))
        .route("/goals/{id}/timeline", get(goals::goal_timeline))
        .route("/timeline", get(goals::timeline))
        .route("/events", get(feed::list))
        .route("/events/stream", get(feed::stream))
        .route("/ledger/digest", get(digest))
        .route("/ledger/verify", get(verify))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::render))
        .route("/openapi.json", get(openapi_json))
        .merge(crate::web::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route; GET /openapi.json lists them")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "this route does not take that method; GET /openapi.json lists them",
    )
}

async fn digest(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let d = state.ledger.digest();
    Ok(Json(json!({"seq": d.seq, "hash": d.hash})).into_response())
}

async fn verify(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let ledger = state.ledger.clone();
    let report = tokio::task::spawn_blocking(move || ledger.verify(None, &mut |_| {}))
        .await
        .map_err(|e| ApiError::internal("verify", e))??;
    Ok(Json(match &report.first_bad {
        None => json!({"ok": true, "seq": report.head.seq, "hash": report.head.hash, "records": report.records}),
        Some(bad) => json!({"ok": false, "first_bad_seq": bad.seq, "reason": bad.reason}),
    })
    .into_response())
}

async fn healthz(State(state): State<AppState>) -> Response {
    Json(json!({"status": "ok", "head": state.ledger.digest().seq})).into_response()
}

async fn openapi_json() -> Response {
    Json(openapi::document()).into_response()
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    ticker: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Stops accepting, lets requests in flight finish, ends live feeds, and waits.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(true);
        self.wait().await
    }

    /// Waits until the server stops (after `shutdown` or a fatal error), including its timer,
    /// so that no clone of the ledger outlives it.
    pub async fn wait(self) -> std::io::Result<()> {
        let served = self.task.await.map_err(std::io::Error::other)?;
        let _ = self.shutdown.send(true);
        let _ = self.ticker.await;
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
    let state = AppState {
        ledger: ledger.clone(),
        public_read: config.public_read,
        metrics: Arc::new(metrics::Metrics::default()),
        shutdown: rx.clone(),
        store_reads: Arc::new(tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        )),
    };
    let app = router(state, &config);
    let mut ticker_stop = rx.clone();
    let every = config.tick_every;
    let ticker = tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = interval.tick() => {
                    if let Err(e) = ledger.tick().await {
                        tracing::warn!(error = %e, "could not decide proposals past their closing time");
                    }
                }
                _ = ticker_stop.changed() => break,
            }
        }
    });
    let mut stop = rx;
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop.changed().await;
            })
            .await
    });
    tracing::info!(%addr, "serving");
    Ok(Server {
        addr,
        shutdown: tx,
        task,
        ticker,
    })
}
