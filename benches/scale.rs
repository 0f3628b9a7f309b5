//! How the ledger scales with its size: opening a ledger (checkpoint + catch-up, no full replay)
//! and reading one goal's history, timeline and past state, in ledgers of 10,000 and 1,000,000
//! events (`GL_BENCH_BIG` changes the second size). The goal read always has 100 events, so its
//! query times should not grow with the ledger. Also prints import speed and disk bytes per event.
//!
//! `cargo bench --bench scale`

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use goal_ledger::domain::*;
use goal_ledger::ledger::{AsOf, Ledger, Options};
use goal_ledger::projections::timeline::Filter;
use goal_ledger::record::{encode, Envelope, RecordHash};

mod common;
use common::{actor, agree, check_in, propose, team};

/// An export of `n` events: three teams, 1,000 adopted goals, check-ins spread over them, and the
/// goal `probe` with exactly 100 events.
fn export(n: u64, path: &std::path::Path) {
    let mut state = State::default();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut prev = RecordHash::ZERO;
    let start = chrono::DateTime::parse_from_rfc3339("2026-07-01T09:00:00Z")
        .unwrap()
        .to_utc();
    let alice = actor("alice");
    let mut emit = |state: &mut State, command: Command, who: &Actor| {
        let now = start + chrono::Duration::seconds(state.seq as i64);
        let ctx = Context {
            actor: who.clone(),
            now,
            corrected: None,
        };
        for event in decide(state, &command, &ctx).unwrap() {
            let stream = event.stream();
            let envelope = Envelope {
                seq: state.seq + 1,
                version: state.version_of(&stream) + 1,
                stream,
                id: format!("e{}", state.seq + 1),
                actor: who.clone(),
                recorded_at: now,
                prev,
            };
            let bytes = encode(&envelope, &event);
            prev = RecordHash::of(&bytes);
            use std::io::Write;
            out.write_all(&bytes).unwrap();
            out.write_all(b"\n").unwrap();
            apply(
                state,
                Meta {
                    seq: envelope.seq,
                    version: envelope.version,
                    at: now,
                    actor: who,
                },
                &event,
            )
            .unwrap();
        }
    };
    for command in team() {
        emit(&mut state, command, &alice);
    }
    let goals = 1000u64.min(n / 10).max(1);
    for g in std::iter::once("probe".to_owned()).chain((0..goals).map(|g| format!("g{g}"))) {
        emit(&mut state, propose(&g), &alice);
        emit(&mut state, agree(&g), &alice);
    }
    for i in 0..97 {
        emit(&mut state, check_in("probe", i as f64, None), &alice);
    }
    let mut i = 0u64;
    while state.seq < n {
        emit(
            &mut state,
            check_in(&format!("g{}", i % goals), i as f64, None),
            &alice,
        );
        i += 1;
    }
}

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
        rt.block_on(ledger.checkpoint()).unwrap();
        let bytes = ledger.size_on_disk().unwrap();
        eprintln!(
            "scale/{n}: imported {n} events in {:.1} s ({:.0} events/s); {} bytes on disk, {:.0} bytes per event",
            import.as_secs_f64(),
            n as f64 / import.as_secs_f64(),
            bytes,
            bytes as f64 / n as f64
        );
        let probe = GoalId::parse("probe").unwrap();
        group.bench_with_input(BenchmarkId::new("history_of_one_goal", n), &n, |b, _| {
            b.iter(|| ledger.history(&probe).unwrap().unwrap())
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
        drop(ledger);
        group.bench_with_input(BenchmarkId::new("open", n), &n, |b, _| {
            b.iter(|| Ledger::open(&data, Options::default()).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, scale);
criterion_main!(benches);
