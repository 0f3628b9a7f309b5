//! Commands the benchmarks share: one team (`marketing`, with `alice`), goals with one key
//! result (`visits`, 0 → 100, consent), and check-ins on it.

#![allow(dead_code)]

use goal_ledger::domain::*;
use goal_ledger::record::{encode, Auth, Envelope, RecordHash};

/// The allocator the binary uses (src/main.rs), so the library is measured as it ships.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How the benchmarks' writes are recorded: local writes by a fixed user and host.
pub fn local() -> Auth {
    Auth::local("bench", "bench-host")
}

pub fn actor(name: &str) -> Actor {
    Actor::parse(name).unwrap()
}

pub fn marketing() -> TeamId {
    TeamId::parse("marketing").unwrap()
}

/// Registers `marketing` and makes `alice` a member.
pub fn team() -> Vec<Command> {
    vec![
        Command::RegisterTeam {
            team: marketing(),
            name: "Marketing".into(),
        },
        Command::JoinTeam {
            team: marketing(),
            member: actor("alice"),
        },
    ]
}

pub fn propose(goal: &str) -> Command {
    Command::ProposeGoal {
        goal: GoalId::parse(goal).unwrap(),
        draft: GoalDraft {
            title: format!("Goal {goal}"),
            description: String::new(),
            teams: vec![marketing()],
            parent: None,
            // A period around the real clock the live benchmarks write with: their check-ins
            // are inside it, as a team's are.
            start: chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
            due: chrono::NaiveDate::from_ymd_opt(2035, 12, 31).unwrap(),
            key_results: vec![KeyResultSpec {
                name: KrName::parse("visits").unwrap(),
                unit: String::new(),
                baseline: 0.0,
                target: 100.0,
                weight: None,
            }],
            cycle: None,
            cadence: None,
        },
        rule: Rule::parse("consent").unwrap(),
        reason: "benchmark".into(),
        closes_at: None,
    }
}

pub fn agree(goal: &str) -> Command {
    Command::CastVote {
        goal: GoalId::parse(goal).unwrap(),
        choice: Choice::Agree,
        reason: None,
    }
}

pub fn check_in(goal: &str, value: f64, note: Option<&str>) -> Command {
    Command::RecordCheckIn {
        goal: GoalId::parse(goal).unwrap(),
        key_result: KrName::parse("visits").unwrap(),
        value,
        health: Health::OnTrack,
        confidence: Some(7),
        note: note.map(str::to_owned),
        corrects: None,
        outside_period: false,
    }
}

/// An export of `n` events: three teams, 1,000 adopted goals, check-ins spread over them, and the
/// goal `probe` with exactly 100 events.
pub fn export(n: u64, path: &std::path::Path) {
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
                auth: local(),
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
