//! Library benchmarks: durable append with 1, 8 and 64 concurrent writers (group commit; at 64
//! also with and without the Merkle tree in alternating rounds: what keeping it costs), the
//! disk's own limits measured in the same run (`write` + `fdatasync` per record, and per 64
//! records) as the baseline, replay into projections, and chain verification; and the
//! 64-writer append beside a webhook whose receiver never answers, against none; and the
//! durable append on PostgreSQL when `GOAL_LEDGER_BENCH_STORE` names a database.
//!
//! `cargo bench --bench ledger`; figures and ratios are in BENCHMARKS.md / the README.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use goal_ledger::domain::*;
use goal_ledger::ledger::{verify_store, Ledger, Options, Request};
use goal_ledger::projections;
use goal_ledger::store::Location;
use tokio::runtime::Runtime;

mod common;
use common::{actor, agree, check_in, propose, team};

fn command(goal: &str, value: f64) -> Command {
    check_in(
        goal,
        value,
        Some("weekly check-in from the analytics export"),
    )
}

/// A ledger with one team and one adopted goal that `alice` may check in on.
async fn ready_ledger(dir: &std::path::Path) -> Ledger {
    ready_ledger_with(dir, Options::default()).await
}

async fn ready_ledger_with(dir: &std::path::Path, options: Options) -> Ledger {
    let location = Location::Dir(dir.to_owned());
    ready_ledger_at(&location, dir, options).await
}

/// `ready_ledger` on any store; a store that holds a ledger already is used as it is.
async fn ready_ledger_at(location: &Location, dir: &std::path::Path, options: Options) -> Ledger {
    let ledger = Ledger::open_at(location, dir, options).unwrap();
    if ledger.digest().seq > 0 {
        return ledger;
    }
    let mut steps: Vec<(&str, Command)> = team().into_iter().map(|c| ("admin", c)).collect();
    steps.push(("alice", propose("web-traffic-q3")));
    steps.push(("alice", agree("web-traffic-q3")));
    for (who, cmd) in steps {
        ledger
            .execute(Request::new(actor(who), common::local(), cmd))
            .await
            .unwrap();
    }
    ledger
}

/// Appends `n` check-ins from `writers` concurrent tasks; returns the elapsed time.
async fn append(ledger: &Ledger, writers: usize, n: usize) -> Duration {
    let start = Instant::now();
    let per = n / writers;
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                for i in 0..per {
                    let r = Request::new(
                        actor("alice"),
                        common::local(),
                        command("web-traffic-q3", (w * per + i) as f64),
                    );
                    ledger.execute(r).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed()
}

/// The disk's limit: `write` of a 300-byte record and one `fdatasync` per `batch` records.
fn raw_fdatasync(path: &std::path::Path, records: usize, batch: usize) -> Duration {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    let record = [b'x'; 300];
    let start = Instant::now();
    for i in 0..records {
        f.write_all(&record).unwrap();
        if (i + 1) % batch == 0 {
            f.sync_data().unwrap();
        }
    }
    start.elapsed()
}

fn durable_append(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let mut group = c.benchmark_group("durable_append");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    for &writers in &[1usize, 8, 64] {
        let n = if writers == 1 { 200 } else { 64 * 20 };
        group.throughput(Throughput::Elements(n as u64));
        let dir = tempfile::tempdir().unwrap();
        let ledger = rt.block_on(ready_ledger(dir.path()));
        group.bench_with_input(BenchmarkId::new("ledger", writers), &writers, |b, &w| {
            b.iter_custom(|iters| (0..iters).map(|_| rt.block_on(append(&ledger, w, n))).sum())
        });
        let batch = if writers == 1 { 1 } else { writers };
        let raw = dir.path().join("raw.log");
        group.bench_with_input(
            BenchmarkId::new("raw_write_fdatasync_batch", batch),
            &batch,
            |b, &batch| {
                b.iter_custom(|iters| (0..iters).map(|_| raw_fdatasync(&raw, n, batch)).sum())
            },
        );
    }
    group.finish();
}

/// The same durable append on PostgreSQL, with 1 and 64 writers on one instance and 64 on two,
/// when `GOAL_LEDGER_BENCH_STORE` names a database the bench may fill (`postgres://…`); without
/// it, nothing. Its commits are as durable as the server's `synchronous_commit` makes them (on by
/// default), so run it against a server on the same disk as `durable_append`'s directory.
fn durable_append_postgres(c: &mut Criterion) {
    let Ok(url) = std::env::var("GOAL_LEDGER_BENCH_STORE") else {
        return;
    };
    let location = Location::parse_url(&url).unwrap();
    let rt = Runtime::new().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let ledger = rt.block_on(ready_ledger_at(&location, keys.path(), Options::default()));
    let mut group = c.benchmark_group("durable_append_postgres");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    for &writers in &[1usize, 64] {
        let n = if writers == 1 { 200 } else { 64 * 20 };
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("ledger", writers), &writers, |b, &w| {
            b.iter_custom(|iters| (0..iters).map(|_| rt.block_on(append(&ledger, w, n))).sum())
        });
    }
    // Two instances on the one database (two ledgers, each with its own writer, connections and
    // projections, as two servers have), 32 writers each: appends serialize on the chain's head
    // row, and each instance follows the other's records.
    let other_keys = tempfile::tempdir().unwrap();
    let other = rt.block_on(ready_ledger_at(
        &location,
        other_keys.path(),
        Options::default(),
    ));
    let n = 64 * 20;
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function(BenchmarkId::new("two_instances", 64), |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let both = async {
                        tokio::join!(append(&ledger, 32, n / 2), append(&other, 32, n / 2))
                    };
                    let (a, b) = rt.block_on(both);
                    a.max(b)
                })
                .sum()
        })
    });
    group.finish();
}

/// Whether the run asked for the comparison `name` (which criterion's filter does not reach, as it
/// measures outside criterion): no filter on the command line, or one that names it.
fn asked_for(name: &str) -> bool {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    filter.is_none_or(|f| f.contains(name))
}

/// What keeping the Merkle tree costs the 64-writer durable append: the same workload on a ledger
/// with the tree and one without (a test-only option), in alternating rounds so that the
/// machine's noise falls on both alike. Prints the medians for `report.py`.
fn tree_cost(_: &mut Criterion) {
    if !asked_for("tree_cost") {
        return;
    }
    let rt = Runtime::new().unwrap();
    let (with_dir, bare_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let with = rt.block_on(ready_ledger(with_dir.path()));
    let options = Options {
        without_tree: true,
        ..Options::default()
    };
    let bare = rt.block_on(ready_ledger_with(bare_dir.path(), options));
    let n = 64 * 20;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..25 {
        a.push(n as f64 / rt.block_on(append(&with, 64, n)).as_secs_f64());
        b.push(n as f64 / rt.block_on(append(&bare, 64, n)).as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (with, without) = (median(&mut a), median(&mut b));
    eprintln!("tree_cost: 64 writers, {with:.0} events/s with the tree, {without:.0} without");
}

/// A receiver that accepts connections and never answers: every delivery waits out its timeout.
async fn black_hole() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    url
}

/// What webhooks cost the 64-writer durable append: a ledger with one webhook whose receiver
/// never answers (its worker stuck on a pending message, retried) and one with nothing to send
/// (its worker reading every record appended), against the same ledger without webhooks, in
/// alternating rounds. Prints the medians for `report.py`.
fn dead_receiver(_: &mut Criterion) {
    use goal_ledger::notify::{spawn, Notifier, NotifyConfig};
    if !asked_for("dead_receiver") {
        return;
    }
    let rt = Runtime::new().unwrap();
    let (hooked_dir, bare_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (hooked, bare) = rt.block_on(async {
        let hooked = ready_ledger(hooked_dir.path()).await;
        let register = Command::RegisterWebhook {
            webhook: WebhookId::parse("wh-deadbeef").unwrap(),
            url: black_hole().await,
            events: Notification::ALL.to_vec(),
            team: None,
        };
        let request = Request::new(actor("admin"), common::local(), register);
        hooked.execute(request).await.unwrap();
        // and one with nothing to send: its worker reads every record the writers append.
        let idle = Command::RegisterWebhook {
            webhook: WebhookId::parse("wh-0000idle").unwrap(),
            url: black_hole().await,
            events: vec![Notification::GoalClosed],
            team: None,
        };
        let request = Request::new(actor("admin"), common::local(), idle);
        hooked.execute(request).await.unwrap();
        let pending = Request::new(actor("alice"), common::local(), propose("pending-q3"));
        hooked.execute(pending).await.unwrap();
        (hooked, ready_ledger(bare_dir.path()).await)
    });
    let config = NotifyConfig {
        allow_private: true,
        timeout: Duration::from_secs(2),
        schedule: goal_ledger::notify::Schedule {
            first: Duration::from_millis(50),
            ..goal_ledger::notify::Schedule::STANDARD
        },
        ..NotifyConfig::new(hooked_dir.path().to_path_buf())
    };
    let notifier = Arc::new(Notifier::new(hooked.clone(), config).unwrap());
    let (_stop_tx, stop) = tokio::sync::watch::channel(false);
    let _worker = {
        let _entered = rt.enter();
        spawn(notifier, stop)
    };
    let n = 64 * 20;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let rate = |ledger: &Ledger| n as f64 / rt.block_on(append(ledger, 64, n)).as_secs_f64();
    for round in 0..30 {
        // Each goes first in every other round, so that neither always follows the other.
        if round % 2 == 0 {
            a.push(rate(&hooked));
            b.push(rate(&bare));
        } else {
            b.push(rate(&bare));
            a.push(rate(&hooked));
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (hooked, without) = (median(&mut a), median(&mut b));
    eprintln!(
        "dead_receiver: 64 writers, {hooked:.0} events/s with a webhook whose receiver never answers, {without:.0} without webhooks"
    );
}

fn replay_and_verify(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ledger = rt.block_on(ready_ledger(dir.path()));
    rt.block_on(append(&ledger, 64, 64 * 800));
    let store: Arc<Ledger> = Arc::new(ledger);
    let head = store.digest().seq;
    let mut group = c.benchmark_group("log");
    group.sample_size(10).throughput(Throughput::Elements(head));
    group.bench_function("replay_into_projections", |b| {
        b.iter(|| {
            let mut state = State::default();
            projections::catch_up(store.store(), &mut state, head, &mut |_| {}).unwrap();
            state
        })
    });
    group.bench_function("verify_chain", |b| {
        b.iter(|| {
            let report = verify_store(store.store(), None, None, &mut |_| {}).unwrap();
            assert!(report.ok());
            report
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    durable_append,
    durable_append_postgres,
    tree_cost,
    dead_receiver,
    replay_and_verify
);
criterion_main!(benches);
