//! `/metrics` in Prometheus text format: requests by route and status, the append latency
//! histogram, group-commit batch sizes and the ledger head.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

const LATENCY_BUCKETS: [f64; 10] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0];

/// Counters the server keeps.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
}

impl Metrics {
    pub fn observe_append(&self, took: Duration) {
        let secs = took.as_secs_f64();
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    fn count_request(&self, method: &str, route: &str, status: u16) {
        let mut map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
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
        .count_request(&method, &route, response.status().as_u16());
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
    Ok(render(&state))
}

fn render(state: &AppState) -> Response {
    let m = &state.metrics;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# HELP goal_ledger_http_requests_total HTTP requests by method, route and status."
    );
    let _ = writeln!(o, "# TYPE goal_ledger_http_requests_total counter");
    for ((method, route, status), n) in m.requests.lock().unwrap_or_else(|p| p.into_inner()).iter()
    {
        let _ = writeln!(
            o,
            "goal_ledger_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
        );
    }
    let _ = writeln!(
        o,
        "# HELP goal_ledger_append_seconds Time from receiving a write to its durable commit."
    );
    let _ = writeln!(o, "# TYPE goal_ledger_append_seconds histogram");
    for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
        let n = m.latency_buckets[i].load(Ordering::Relaxed);
        let _ = writeln!(o, "goal_ledger_append_seconds_bucket{{le=\"{bound}\"}} {n}");
    }
    let count = m.latency_count.load(Ordering::Relaxed);
    let _ = writeln!(
        o,
        "goal_ledger_append_seconds_bucket{{le=\"+Inf\"}} {count}"
    );
    let sum = m.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
    let _ = writeln!(o, "goal_ledger_append_seconds_sum {sum}");
    let _ = writeln!(o, "goal_ledger_append_seconds_count {count}");
    let stats = state.ledger.stats();
    let _ = writeln!(
        o,
        "# HELP goal_ledger_commit_batch_size Records per group commit."
    );
    let _ = writeln!(o, "# TYPE goal_ledger_commit_batch_size histogram");
    let mut cumulative = 0;
    for (bound, n) in stats.batch_buckets {
        cumulative += n;
        let _ = writeln!(
            o,
            "goal_ledger_commit_batch_size_bucket{{le=\"{bound}\"}} {cumulative}"
        );
    }
    let _ = writeln!(
        o,
        "goal_ledger_commit_batch_size_bucket{{le=\"+Inf\"}} {}",
        stats.commits
    );
    let _ = writeln!(o, "goal_ledger_commit_batch_size_sum {}", stats.records);
    let _ = writeln!(o, "goal_ledger_commit_batch_size_count {}", stats.commits);
    let _ = writeln!(
        o,
        "# HELP goal_ledger_head_seq The sequence number of the last record."
    );
    let _ = writeln!(o, "# TYPE goal_ledger_head_seq gauge");
    let _ = writeln!(o, "goal_ledger_head_seq {}", state.ledger.digest().seq);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        o,
    )
        .into_response()
}
