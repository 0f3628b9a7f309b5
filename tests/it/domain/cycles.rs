//! Given/when/then tests of cycles in the pure domain: which cycle a goal joins, what closing
//! one records, and a carry-over's terms and effect, compared as whole events.

use std::collections::BTreeMap;

use goal_ledger::domain::event::{
    CarryOverProposed, CycleClosed, CycleOpened, GoalCarriedOver, PreviousResult,
};
use goal_ledger::domain::*;

use super::{adopted, events_when, with};
use crate::support::*;

fn q(name: &str) -> CycleName {
    CycleName::parse(name).unwrap()
}

fn open(name: &str, start: &str, end: &str) -> (&'static str, Command) {
    (
        "olivia",
        Command::OpenCycle {
            cycle: q(name),
            start: date(start),
            end: date(end),
        },
    )
}

/// Q3 and Q4 2026, before anything else.
fn quarters(mut rest: Vec<(&'static str, Command)>) -> Vec<(&'static str, Command)> {
    let mut h = vec![
        open("2026-Q3", "2026-07-01", "2026-09-30"),
        open("2026-Q4", "2026-10-01", "2026-12-31"),
    ];
    h.append(&mut rest);
    with(h)
}

#[test]
fn a_goal_joins_the_cycle_containing_its_start_and_cycles_may_not_overlap() {
    let mut g = given(quarters(vec![]));
    let events = events_when(&mut g, "alice", propose("g", "per-team")).unwrap();
    let Event::GoalProposed(p) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(p.cycle, Some(q("2026-Q3")));
    assert_eq!(
        events[0].schema(),
        2,
        "a goal with a cycle is GoalProposed schema 2"
    );
    let overlap = g.decide(
        "olivia",
        &Command::OpenCycle {
            cycle: q("late-2026"),
            start: date("2026-12-01"),
            end: date("2027-01-31"),
        },
    );
    assert_eq!(
        overlap,
        Err(Rejection::invalid(
            "start",
            "2026-12-01 to 2027-01-31 overlaps cycle 2026-Q4 (2026-10-01 to 2026-12-31); cycles may not overlap"
        ))
    );
    assert_eq!(
        events_when(
            &mut g,
            "olivia",
            open("2027-Q1", "2027-01-01", "2027-03-31").1
        )
        .unwrap(),
        [CycleOpened {
            cycle: q("2027-Q1"),
            start: date("2027-01-01"),
            end: date("2027-03-31"),
        }
        .into()]
    );
}

#[test]
fn a_carry_over_takes_the_next_cycle_the_latest_check_in_and_moves_the_goal_once_accepted() {
    // Given an adopted Q3 goal checked in at 45,000 visits
    let mut h = quarters(vec![]);
    h.extend(adopted("g").into_iter().skip(departments().len()));
    h.push(("alice", check_in("g", "visits", 45000.0)));
    let mut g = given(h);
    // When alice proposes to carry it over with only a reason
    let proposed = events_when(&mut g, "alice", carry("g")).unwrap();
    // Then the proposal names the next cycle, its dates, and each key result's new terms
    let rebased: BTreeMap<KrName, Rebase> = [(
        kr("visits"),
        Rebase {
            baseline: 45000.0,
            target: 48000.0,
        },
    )]
    .into();
    assert_eq!(
        proposed,
        [CarryOverProposed {
            goal: goal_id("g"),
            proposal: 2,
            from: q("2026-Q3"),
            to: q("2026-Q4"),
            start: date("2026-10-01"),
            due: date("2026-12-31"),
            key_results: rebased.clone(),
            reason: "Slipped".into(),
            rule: Rule::PerTeam,
            electorate: g.state.goals[&goal_id("g")]
                .open_proposal
                .as_ref()
                .unwrap()
                .electorate
                .clone(),
            closes_at: None,
        }
        .into()]
    );
    // and closing Q3 is refused while it is open
    assert_eq!(
        g.decide(
            "olivia",
            &Command::CloseCycle {
                cycle: q("2026-Q3")
            }
        ),
        Err(Rejection::CycleHasOpenProposals {
            cycle: q("2026-Q3"),
            proposals: "g (proposal 2, carry-over)".into(),
        })
    );
    // When all four agree, the last vote carries it, with where Q3 left it
    for who in ["alice", "amir", "sam"] {
        events_when(&mut g, who, vote("g", Choice::Agree)).unwrap();
    }
    let last = events_when(&mut g, "sofia", vote("g", Choice::Agree)).unwrap();
    assert_eq!(
        last[2],
        GoalCarriedOver {
            goal: goal_id("g"),
            proposal: 2,
            from: q("2026-Q3"),
            to: q("2026-Q4"),
            start: date("2026-10-01"),
            due: date("2026-12-31"),
            key_results: rebased,
            previous: [(
                kr("visits"),
                PreviousResult {
                    value: 45000.0,
                    progress: 0.625,
                },
            )]
            .into(),
        }
        .into()
    );
    let goal = &g.state.goals[&goal_id("g")];
    assert_eq!(g.state.cycle_of(goal), Some(&q("2026-Q4")));
    assert_eq!(goal.definition.key_results[0].baseline, 45000.0);
    // Then Q3 closes with it counted as carried over, and no hit rate (nothing closed in it)
    assert_eq!(
        events_when(
            &mut g,
            "olivia",
            Command::CloseCycle {
                cycle: q("2026-Q3")
            }
        )
        .unwrap(),
        [CycleClosed {
            cycle: q("2026-Q3"),
            figures: CycleFigures {
                goals: 1,
                carried_over: 1,
                ..CycleFigures::default()
            },
        }
        .into()]
    );
}

fn carry(goal: &str) -> Command {
    Command::CarryOver {
        goal: goal_id(goal),
        request: CarryRequest::default(),
        reason: "Slipped".into(),
        closes_at: None,
    }
}
