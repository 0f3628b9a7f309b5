//! `/metrics` in the Prometheus text format, through the `prometheus` crate: requests by route
//! and status, the append latency histogram, the ledger's group-commit sizes, durable-commit
//! times and bytes appended, the store's size on disk by part, the index lag, the head, live
//! feed subscribers and build info. Each server has its own registry (so two servers in one
//! process, as in the tests, count apart); the figures read from the ledger and the store are
//! set when scraped.

use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{
    Encoder, Histogram, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

use super::AppState;
use crate::ledger::Ledger;

const LATENCY_BUCKETS: [f64; 10] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0];

/// The server's metrics and the registry that gathers them.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    append_seconds: Histogram,
    head_seq: IntGauge,
    store_bytes: IntGaugeVec,
    index_lag: IntGauge,
    subscribers: IntGauge,
    webhook_backlog: IntGaugeVec,
    webhook_retrying: IntGaugeVec,
}

impl Metrics {
    /// The metrics of a server of `ledger`, with the ledger's own registered.
    pub fn new(ledger: &Ledger) -> Metrics {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "goal_ledger_http_requests_total",
                "HTTP requests by method, route and status.",
            ),
            &["method", "route", "status"],
        )
        .expect("constant, valid metric options");
        let append_seconds = crate::ledger::histogram(
            "goal_ledger_append_seconds",
            "Time from receiving a write to its durable commit (refused writes included).",
            &LATENCY_BUCKETS,
        );
        let gauge = |name: &str, help: &str| {
            IntGauge::new(name, help).expect("constant, valid metric options")
        };
        let head_seq = gauge(
            "goal_ledger_head_seq",
            "The sequence number of the last record.",
        );
        let index_lag = gauge(
            "goal_ledger_index_lag_records",
            "Records durable in the store's log that its indexes do not hold yet.",
        );
        let subscribers = gauge(
            "goal_ledger_stream_subscribers",
            "Clients following /events/stream now.",
        );
        let store_bytes = IntGaugeVec::new(
            Opts::new(
                "goal_ledger_store_bytes",
                "Bytes the store occupies on disk, by part.",
            ),
            &["part"],
        )
        .expect("constant, valid metric options");
        let by_webhook = |name: &str, help: &str| {
            IntGaugeVec::new(Opts::new(name, help), &["webhook"])
                .expect("constant, valid metric options")
        };
        let webhook_backlog = by_webhook(
            "goal_ledger_webhook_backlog_records",
            "Records after a webhook's durable cursor: what its worker has yet to go through.",
        );
        let webhook_retrying = by_webhook(
            "goal_ledger_webhook_retrying",
            "1 while a webhook's current message failed and waits for its next retry.",
        );
        let build = IntGaugeVec::new(
            Opts::new(
                "goal_ledger_build_info",
                "The running build: always 1, with its version as a label.",
            ),
            &["version"],
        )
        .expect("constant, valid metric options");
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        let own: Vec<Box<dyn prometheus::core::Collector>> = vec![
            Box::new(requests.clone()),
            Box::new(append_seconds.clone()),
            Box::new(head_seq.clone()),
            Box::new(index_lag.clone()),
            Box::new(subscribers.clone()),
            Box::new(store_bytes.clone()),
            Box::new(webhook_backlog.clone()),
            Box::new(webhook_retrying.clone()),
            Box::new(build),
        ];
        for collector in own.into_iter().chain(ledger.metric_collectors()) {
            registry
                .register(collector)
                .expect("each metric name is registered once");
        }
        Metrics {
            registry,
            requests,
            append_seconds,
            head_seq,
            store_bytes,
            index_lag,
            subscribers,
            webhook_backlog,
            webhook_retrying,
        }
    }

    pub fn observe_append(&self, took: Duration) {
        self.append_seconds.observe(took.as_secs_f64());
    }

    /// A client started following the live feed; it is counted until the guard is dropped.
    pub fn subscribed(&self) -> Subscribed {
        self.subscribers.inc();
        Subscribed(self.subscribers.clone())
    }
}

/// A live-feed subscriber, counted while it lives.
pub struct Subscribed(IntGauge);

impl Drop for Subscribed {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Middleware: counts every request by method, matched route and status.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    state
        .metrics
        .requests
        .with_label_values(&[method.as_str(), &route, response.status().as_str()])
        .inc();
    response
}

/// `GET /metrics`: under the read policy, unless the server was started with `--metrics-public`.
pub async fn scrape(
    State(state): State<AppState>,
    caller: super::auth::Caller,
) -> Result<Response, super::ApiError> {
    if !state.metrics_public {
        caller.may_read(&state)?;
    }
    let parts = state
        .read_store(|ledger| ledger.store().parts_on_disk())
        .await?;
    let m = &state.metrics;
    for (part, bytes) in parts {
        m.store_bytes
            .with_label_values(&[part])
            .set(gauge_value(bytes));
    }
    m.head_seq.set(gauge_value(state.ledger.digest().seq));
    m.index_lag.set(gauge_value(state.ledger.index_lag()));
    m.webhook_backlog.reset();
    m.webhook_retrying.reset();
    if let Some(notifier) = &state.notifier {
        let hooks: Vec<crate::domain::Hook> = state
            .ledger
            .read(|s| s.webhooks.hooks.values().cloned().collect());
        for hook in hooks {
            let d = notifier.deliveries(&hook);
            let id = [hook.id.as_str()];
            m.webhook_backlog
                .with_label_values(&id)
                .set(gauge_value(d.queued));
            m.webhook_retrying
                .with_label_values(&id)
                .set(i64::from(d.next_retry.is_some()));
        }
    }
    let mut text = Vec::new();
    TextEncoder::new()
        .encode(&m.registry.gather(), &mut text)
        .map_err(|e| super::ApiError::internal("the metrics", e))?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, prometheus::TEXT_FORMAT)],
        text,
    )
        .into_response())
}

fn gauge_value(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
