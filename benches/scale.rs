//! How the ledger scales with its size: opening a ledger (snapshot + catch-up, no full replay)
//! and reading one goal's records (the store's part), history, timeline and past state, and
//! making an inclusion and a consistency proof, in ledgers of 10,000 and 1,000,000
//! events (`GL_BENCH_BIG` changes the second size). The goal read always has 100 events, so its
//! query times should not grow with the ledger. Also prints import speed, disk bytes per event
//! and the disk's size against the export's.
//!
//! `cargo bench --bench scale`

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use goal_ledger::domain::*;
use goal_ledger::ledger::{AsOf, Ledger, Options};
use goal_ledger::projections::timeline::Filter;

mod common;
use common::export;

fn scale(c: &mut Criterion) {
    let big: u64 = std::env::var("GL_BENCH_BIG")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut group = c.benchmark_group("scale");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    for n in [10_000u64, big] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("export.jsonl");
        export(n, &file);
        let data = dir.path().join("data");
        let ledger = Ledger::open(&data, Options::default()).unwrap();
        let started = Instant::now();
        rt.block_on(ledger.import(&file, &mut |_| {})).unwrap();
        let import = started.elapsed();
        rt.block_on(ledger.save_snapshot()).unwrap();
        let bytes = ledger.size_on_disk().unwrap();
        let exported = std::fs::metadata(&file).unwrap().len();
        eprintln!(
            "scale/{n}: imported {n} events in {:.1} s ({:.0} events/s); {} bytes on disk, {:.0} bytes per event, {:.3} x the export's {} bytes",
            import.as_secs_f64(),
            n as f64 / import.as_secs_f64(),
            bytes,
            bytes as f64 / n as f64,
            bytes as f64 / exported as f64,
            exported
        );
        let probe = GoalId::parse("probe").unwrap();
        group.bench_with_input(BenchmarkId::new("history_of_one_goal", n), &n, |b, _| {
            b.iter(|| ledger.history(&probe).unwrap().unwrap())
        });
        // The store's part of the history: the goal's records read, not yet decoded.
        group.bench_with_input(BenchmarkId::new("records_of_one_goal", n), &n, |b, _| {
            b.iter(|| {
                ledger
                    .store()
                    .stream_records("goal:probe", u64::MAX)
                    .unwrap()
            })
        });
        group.bench_with_input(BenchmarkId::new("timeline_of_one_goal", n), &n, |b, _| {
            b.iter(|| {
                ledger
                    .timeline(&Filter {
                        goal: Some(probe.clone()),
                        ..Filter::default()
                    })
                    .unwrap()
            })
        });
        group.bench_with_input(BenchmarkId::new("goal_as_of_seq", n), &n, |b, _| {
            b.iter(|| ledger.goal_as_of(&probe, AsOf::Seq(50)).unwrap().unwrap())
        });
        // Proofs against a checkpoint of the head, for records and sizes spread over the log.
        let head = ledger.sign_checkpoint().unwrap().size;
        let spread = |i: u64| (i.wrapping_mul(7919) % head) + 1;
        group.bench_with_input(BenchmarkId::new("inclusion_proof", n), &n, |b, _| {
            let mut i = 0;
            b.iter(|| {
                i += 1;
                ledger.inclusion_proof(spread(i), None).unwrap()
            })
        });
        group.bench_with_input(BenchmarkId::new("consistency_proof", n), &n, |b, _| {
            let mut i = 0;
            b.iter(|| {
                i += 1;
                ledger.consistency_proof(spread(i), head).unwrap()
            })
        });
        drop(ledger);
        group.bench_with_input(BenchmarkId::new("open", n), &n, |b, _| {
            b.iter(|| Ledger::open(&data, Options::default()).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, scale);
criterion_main!(benches);
