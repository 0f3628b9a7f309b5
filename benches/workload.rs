//! The peer workload on goal-ledger, printed as JSON for `benches/peers/run.sh` (and BENCHMARKS.md):
//! N goals proposed and adopted, one durable event per command from 1 writer, then one goal
//! with 10,000 check-ins replayed from its stream, then the whole log read back.
//!
//! `cargo bench --bench workload -- [GOALS] [EVENTS_IN_ONE_GOAL]`

use std::time::Instant;

use goal_ledger::domain::*;
use goal_ledger::ledger::{Ledger, Options, Request};
use goal_ledger::projections;

mod common;
use common::{actor, agree, check_in, propose, team};

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let goals = args.first().copied().unwrap_or(200);
    let events = args.get(1).copied().unwrap_or(10_000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), Options::default()).unwrap();
    let run = |who: &str, command: Command| {
        rt.block_on(ledger.execute(Request::new(actor(who), common::local(), command)))
            .unwrap()
    };
    for command in team() {
        run("admin", command);
    }

    // 1. Commands, one durable event each, one writer.
    let started = Instant::now();
    let mut commands = 0u64;
    for g in 0..goals {
        run("alice", propose(&format!("goal-{g}")));
        commands += 1;
    }
    let command_secs = started.elapsed().as_secs_f64();

    // 2. One goal with `events` check-ins (appended concurrently to build it quickly), replayed.
    run("alice", agree("goal-0"));
    rt.block_on(async {
        let tasks: Vec<_> = (0..64)
            .map(|w| {
                let ledger = ledger.clone();
                tokio::spawn(async move {
                    for i in 0..events / 64 {
                        let command = check_in("goal-0", (w * 1000 + i) as f64, None);
                        ledger
                            .execute(Request::new(actor("alice"), common::local(), command))
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let stream = StreamId::Goal(GoalId::parse("goal-0").unwrap());
    let started = Instant::now();
    let records = ledger.stream_records(&stream, u64::MAX).unwrap();
    let goal = projections::goal_as_of(&records).unwrap().unwrap();
    let replay_secs = started.elapsed().as_secs_f64();
    assert!(goal.check_ins >= events / 64 * 64);

    // 3. The whole log, decoded.
    let head = ledger.digest().seq;
    let started = Instant::now();
    let mut state = State::default();
    projections::catch_up(ledger.store(), &mut state, head, &mut |_| {}).unwrap();
    let read_secs = started.elapsed().as_secs_f64();

    println!(
        "{}",
        serde_json::json!({
            "system": "goal-ledger",
            "commands": commands,
            "commands_per_sec": commands as f64 / command_secs,
            "replayed_events": records.len(),
            "replay_events_per_sec": records.len() as f64 / replay_secs,
            "log_events": head,
            "read_log_events_per_sec": head as f64 / read_secs,
        })
    );
}
