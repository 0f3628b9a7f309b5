//! The HTTP API (axum): `router` wires one handler per route of `api::routes` (one file per
//! resource), mounts the web view's routes it is given, and puts the middleware around both.
//! Binding, serving and shutting down are the composition root's (`server.rs`). It reaches data
//! only through `ledger`; errors leave through `error.rs` alone.

pub(crate) mod auth;
mod cycles;
mod error;
mod feed;
pub(crate) mod goals;
pub mod metrics;
pub(crate) mod negotiate;
pub mod openapi;
mod proofs;
mod teams;
mod tokens;
mod webhooks;
pub(crate) mod write;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::Request;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use tokio::sync::watch;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::api::routes;
use crate::api::{Health, VerifyAnswer};
use crate::ledger::Ledger;
use auth::Caller;
pub use error::ApiError;

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub ledger: Ledger,
    pub public_read: bool,
    /// `/metrics` without a token even when reads need one (`serve --metrics-public`).
    pub metrics_public: bool,
    pub metrics: Arc<metrics::Metrics>,
    /// Turns true when the server starts shutting down (ends live feeds).
    pub shutdown: watch::Receiver<bool>,
    /// Store reads running at once: one per core. More only share the same cores, and each
    /// holds its records and its answer in memory while it waits.
    pub store_reads: Arc<tokio::sync::Semaphore>,
    /// The webhook worker, when the server sends webhooks.
    pub notifier: Option<Arc<crate::notify::Notifier>>,
    /// Signed-in browsers.
    pub sessions: Arc<crate::web::session::Sessions>,
    /// Goal pages' reports, kept while their goals do not change.
    pub goal_reports: Arc<crate::web::GoalReports>,
    /// Session cookies are `Secure` (the server speaks TLS).
    pub secure_cookies: bool,
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

/// What the router enforces on every request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest request body, in bytes.
    pub body_limit: usize,
    pub request_timeout: Duration,
}

impl AppState {
    /// The state for a server of `ledger`; `shutdown` turns true when it starts stopping.
    pub fn new(ledger: Ledger, public_read: bool, shutdown: watch::Receiver<bool>) -> AppState {
        AppState {
            metrics: Arc::new(metrics::Metrics::new(&ledger)),
            ledger,
            public_read,
            metrics_public: false,
            shutdown,
            store_reads: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            notifier: None,
            sessions: Arc::default(),
            goal_reports: Arc::default(),
            secure_cookies: false,
        }
    }
}

/// Every route of the API and the `pages` (the web view's routes), with the middleware.
pub fn router(state: AppState, limits: Limits, pages: Router<AppState>) -> Router {
    Router::new()
        .route(routes::TEAMS, post(teams::create).get(teams::list))
        .route(routes::TEAM, get(teams::show))
        .route(routes::TEAM_MEMBERS, post(teams::add_member))
        .route(routes::TEAM_MEMBER, delete(teams::remove_member))
        .route(routes::GOALS, post(goals::create).get(goals::list))
        .route(routes::GOAL, get(goals::show))
        .route(routes::GOAL_VOTES, post(goals::vote))
        .route(routes::GOAL_ADJUSTMENTS, post(goals::adjust))
        .route(routes::GOAL_CHECK_INS, post(goals::check_in))
        .route(routes::GOAL_CLOSE, post(goals::close))
        .route(routes::GOAL_REOPEN, post(goals::reopen))
        .route(routes::GOAL_WITHDRAW, post(goals::withdraw))
        .route(routes::GOAL_NOTES, post(goals::note))
        .route(routes::GOAL_CARRY_OVER, post(goals::carry_over))
        .route(routes::CYCLES, post(cycles::open).get(cycles::list))
        .route(routes::CYCLE, get(cycles::show))
        .route(routes::CYCLE_CLOSE, post(cycles::close))
        .route(routes::DUE, get(cycles::due))
        .route(routes::WEBHOOKS, post(webhooks::create).get(webhooks::list))
        .route(routes::WEBHOOK, get(webhooks::show))
        .route(routes::WEBHOOK_REMOVE, post(webhooks::remove))
        .route(routes::WEBHOOK_DELIVERIES, get(webhooks::deliveries))
        .route(routes::WEBHOOK_TEST, post(webhooks::test))
        .route(
            routes::GOAL_ACTION_ITEM_RESOLVE,
            post(goals::resolve_action_item),
        )
        .route(routes::GOAL_HISTORY, get(goals::history))
        .route(routes::GOAL_TIMELINE, get(goals::goal_timeline))
        .route(routes::TIMELINE, get(goals::timeline))
        .route(routes::EVENTS, get(feed::list))
        .route(routes::EVENT_STREAM, get(feed::stream))
        .route(routes::TOKENS, post(tokens::create).get(tokens::list))
        .route(routes::TOKEN_ME, get(tokens::me))
        .route(routes::TOKEN_REVOKE, post(tokens::revoke))
        .route(routes::DIGEST, get(digest))
        .route(routes::VERIFY, get(verify))
        .route(routes::EXPORT, get(export))
        .route(routes::CHECKPOINT, get(proofs::latest).post(proofs::sign))
        .route(routes::CHECKPOINTS, get(proofs::sizes))
        .route(routes::CHECKPOINT_OF, get(proofs::of_size))
        .route(routes::PUBLIC_KEY, get(proofs::public_key))
        .route(routes::INCLUSION_PROOF, get(proofs::inclusion))
        .route(routes::CONSISTENCY_PROOF, get(proofs::consistency))
        .route(routes::HEALTH, get(healthz))
        .route(routes::METRICS, get(metrics::scrape))
        .route(routes::OPENAPI, get(openapi_json))
        .merge(pages)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::middleware::from_fn(crate::web::for_browsers))
        .layer(DefaultBodyLimit::max(limits.body_limit))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
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
                    let route = req
                        .extensions()
                        .get::<axum::extract::MatchedPath>()
                        .map_or("-", |p| p.as_str());
                    let client = req
                        .extensions()
                        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                        .map(|c| c.0.to_string())
                        .unwrap_or_default();
                    tracing::info_span!(
                        "request",
                        method = %req.method(),
                        path = %req.uri().path(),
                        route = %route,
                        request_id = %id,
                        client = %client,
                        actor = tracing::field::Empty,
                    )
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
    Ok(Json(d).into_response())
}

async fn verify(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let ledger = state.ledger.clone();
    let report = tokio::task::spawn_blocking(move || ledger.verify(None, &mut |_| {}))
        .await
        .map_err(|e| ApiError::internal("verify", e))??;
    Ok(Json(match report.first_bad {
        None => VerifyAnswer::Intact {
            ok: true,
            seq: report.head.seq,
            hash: report.head.hash,
            records: report.records,
        },
        Some(bad) => VerifyAnswer::Broken {
            ok: false,
            first_bad_seq: bad.seq,
            reason: bad.reason,
        },
    })
    .into_response())
}

/// The raw log up to the head of the moment, streamed as it is read: a consistent copy while
/// writes go on (for `backup --server`).
async fn export(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let head = state.ledger.digest();
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(8);
    let ledger = state.ledger.clone();
    tokio::task::spawn_blocking(move || {
        let mut out = std::io::BufWriter::with_capacity(256 << 10, ChannelWriter(tx.clone()));
        let written = ledger
            .export_to(head.seq, &mut out)
            .map_err(|e| std::io::Error::other(e.to_string()))
            .and_then(|_| std::io::Write::flush(&mut out));
        if let Err(e) = written {
            // The client sees the body end early and the records fail to match the header.
            let _ = tx.blocking_send(Err(e));
        }
    });
    let body = axum::body::Body::from_stream(tokio_stream_of(rx));
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/jsonl".to_owned(),
            ),
            (
                axum::http::HeaderName::from_static("ledger-digest"),
                head.to_string(),
            ),
        ],
        body,
    )
        .into_response())
}

/// Bytes written to it go to the response body, a buffer at a time.
struct ChannelWriter(tokio::sync::mpsc::Sender<std::io::Result<Vec<u8>>>);

impl std::io::Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(buf.to_vec()))
            .map_err(|_| std::io::Error::other("the client went away"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn tokio_stream_of(
    mut rx: tokio::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
) -> impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

async fn healthz(State(state): State<AppState>) -> Response {
    Json(Health {
        status: "ok".to_owned(),
        head: state.ledger.digest().seq,
    })
    .into_response()
}

async fn openapi_json() -> Response {
    Json(openapi::document()).into_response()
}
