//! Given/when/then tests of the pure domain, by concern: `rules` (every consensus rule),
//! `lifecycle` (adjusting, withdrawing, checking in, closing, reopening), `rejections` (every
//! broken rule and its message) and `tokens` (grants: holder, granter, expiry). This file holds
//! the histories and event builders they share; where an event's payload matters the tests
//! compare whole events, not only their names.

mod cycles;
mod lifecycle;
mod rejections;
mod rules;
mod tokens;

use goal_ledger::domain::event::{DecidedBy, ProposalDecided, VoteCast};
use goal_ledger::domain::*;

use crate::support::*;

/// The three departments, then `extra`.
fn with(extra: Vec<(&'static str, Command)>) -> Vec<(&'static str, Command)> {
    let mut h = departments();
    h.extend(extra);
    h
}

/// The departments and `goal`, proposed by alice and adopted by all four voters.
fn adopted(goal: &str) -> Vec<(&'static str, Command)> {
    let goal: &'static str = Box::leak(goal.to_owned().into_boxed_str());
    with(vec![
        ("alice", propose(goal, "per-team")),
        ("alice", vote(goal, Choice::Agree)),
        ("amir", vote(goal, Choice::Agree)),
        ("sam", vote(goal, Choice::Agree)),
        ("sofia", vote(goal, Choice::Agree)),
    ])
}

/// `adopted(goal)`, then closed as achieved: proposed by alice, accepted by all four voters.
fn closed(goal: &'static str) -> Vec<(&'static str, Command)> {
    let mut h = adopted(goal);
    h.push((
        "alice",
        Command::CloseGoal {
            goal: goal_id(goal),
            terms: ClosingTerms {
                outcome: ClosingOutcome::Achieved,
                score: 1.0,
                summary: "Done".into(),
                final_values: Default::default(),
            },
            closes_at: None,
        },
    ));
    for who in ["alice", "amir", "sam", "sofia"] {
        h.push((who, vote(goal, Choice::Agree)));
    }
    h
}

/// When `who` gives `command`: decides and applies it, returning the whole events.
fn events_when(g: &mut Given, who: &str, command: Command) -> Result<Vec<Event>, Rejection> {
    let events = g.decide(who, &command)?;
    g.apply(who, events.clone());
    Ok(events)
}

/// The vote `support::vote` casts on proposal `proposal` of `goal`.
fn vote_cast(goal: &str, proposal: u32, choice: Choice) -> Event {
    VoteCast {
        goal: goal_id(goal),
        proposal,
        choice,
        reason: (choice == Choice::Block).then(|| "not without budget".to_owned()),
    }
    .into()
}

/// How the votes stood: agree, abstain, disagree, block, silent.
fn tally(agree: u32, abstain: u32, disagree: u32, block: u32, silent: u32) -> Tally {
    Tally {
        agree,
        abstain,
        disagree,
        block,
        silent,
    }
}

/// The decision of proposal `proposal` of `goal`.
fn decision(
    goal: &str,
    proposal: u32,
    outcome: Outcome,
    decided_by: DecidedBy,
    tally: Tally,
    explanation: &str,
) -> Event {
    ProposalDecided {
        goal: goal_id(goal),
        proposal,
        outcome,
        decided_by,
        tally,
        explanation: explanation.to_owned(),
    }
    .into()
}
