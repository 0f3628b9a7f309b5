//! Commands the benchmarks share: one team (`marketing`, with `alice`), goals with one key
//! result (`visits`, 0 → 100, consent), and check-ins on it.

#![allow(dead_code)]

use goal_ledger::domain::*;

/// The allocator the binary uses (src/main.rs), so the library is measured as it ships.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
            start: chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
            due: chrono::NaiveDate::from_ymd_opt(2026, 9, 30).unwrap(),
            key_results: vec![KeyResultSpec {
                name: KrName::parse("visits").unwrap(),
                unit: String::new(),
                baseline: 0.0,
                target: 100.0,
                weight: None,
            }],
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
    }
}
