//! The writer's figures: records per group commit, the time the store took to make each commit
//! durable, and the bytes appended. Prometheus metrics of this ledger alone (not a process-wide
//! registry), which a server registers with its own (`http::metrics`).

use prometheus::core::Collector;
use prometheus::{Histogram, HistogramOpts, IntCounter};
use serde::Serialize;

/// Upper bounds of the batch-size buckets.
const BATCH_BOUNDS: [f64; 11] = [
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
];

/// Upper bounds, in seconds, of the durable-commit buckets (a write and an fdatasync).
const COMMIT_BOUNDS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0,
];

/// Group-commit figures, updated by the writer.
pub(crate) struct Stats {
    batch_size: Histogram,
    commit_seconds: Histogram,
    appended_bytes: IntCounter,
    head_moved: IntCounter,
    caught_up: IntCounter,
}

/// A histogram with constant options (which cannot be invalid).
pub(crate) fn histogram(name: &str, help: &str, buckets: &[f64]) -> Histogram {
    Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets.to_vec()))
        .expect("constant, valid histogram options")
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            batch_size: histogram(
                "goal_ledger_commit_batch_size",
                "Records per group commit.",
                &BATCH_BOUNDS,
            ),
            commit_seconds: histogram(
                "goal_ledger_store_commit_seconds",
                "Time the store took to make a group commit durable (its write and fdatasync).",
                &COMMIT_BOUNDS,
            ),
            appended_bytes: IntCounter::new(
                "goal_ledger_appended_bytes_total",
                "Bytes of records appended since the ledger opened (the log's growth).",
            )
            .expect("constant, valid counter options"),
            head_moved: IntCounter::new(
                "goal_ledger_head_moved_total",
                "Group commits that found another instance had moved the head (decided again).",
            )
            .expect("constant, valid counter options"),
            caught_up: IntCounter::new(
                "goal_ledger_caught_up_records_total",
                "Records other instances appended that this one read from the store and applied.",
            )
            .expect("constant, valid counter options"),
        }
    }
}

impl Stats {
    /// A durable commit of `records` records of `bytes` bytes in all, which took `took`.
    pub fn record_commit(&self, records: usize, bytes: u64, took: std::time::Duration) {
        self.batch_size.observe(records as f64);
        self.commit_seconds.observe(took.as_secs_f64());
        self.appended_bytes.inc_by(bytes);
    }

    /// A commit that found the head moved by another instance.
    pub fn record_head_moved(&self) {
        self.head_moved.inc();
    }

    /// Records another instance appended, now applied here.
    pub fn record_caught_up(&self, records: usize) {
        self.caught_up.inc_by(records as u64);
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            commits: self.batch_size.get_sample_count(),
            records: self.batch_size.get_sample_sum() as u64,
            bytes: self.appended_bytes.get(),
        }
    }

    /// The metrics, to be registered with a server's registry.
    pub fn collectors(&self) -> Vec<Box<dyn Collector>> {
        vec![
            Box::new(self.batch_size.clone()),
            Box::new(self.commit_seconds.clone()),
            Box::new(self.appended_bytes.clone()),
            Box::new(self.head_moved.clone()),
            Box::new(self.caught_up.clone()),
        ]
    }
}

/// The group-commit counters at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct StatsSnapshot {
    pub commits: u64,
    pub records: u64,
    /// Bytes of records appended.
    pub bytes: u64,
}
