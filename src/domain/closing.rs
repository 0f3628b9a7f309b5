//! Closing and reopening a goal: an owner closes an active goal with an outcome, a score, a
//! summary and final values (taken from the latest check-ins where not given), and may reopen it.
//! Each is decided (`decide_*`) and applied (`apply_*`) here.

use std::collections::BTreeMap;

use super::apply::goal_mut;
use super::command::Context;
use super::event::{Event, GoalClosed, GoalReopened};
use super::goal::{Closing, ClosingOutcome, Goal, GoalStatus};
use super::ids::{GoalId, KrName};
use super::preconditions::{
    find_goal, find_key_result, require_no_open_proposal, require_owner, require_status,
};
use super::rejection::Rejection;
use super::state::{Meta, State};
use super::validate::{number, text};

pub(super) fn decide_close_goal(
    state: &State,
    ctx: &Context,
    goal: &GoalId,
    outcome: ClosingOutcome,
    score: f64,
    summary: &str,
    final_values: &BTreeMap<KrName, f64>,
) -> Result<Vec<Event>, Rejection> {
    let g = find_goal(state, goal)?;
    require_status(g, GoalStatus::Active, "close")?;
    require_no_open_proposal(g)?;
    require_owner(state, g, &ctx.actor, "close it")?;
    if !(0.0..=1.0).contains(&score) {
        return Err(Rejection::invalid(
            "score",
            format!("{score} is out of range: use 0.0 to 1.0"),
        ));
    }
    text("summary", summary, 1, 4000, true)?;
    Ok(vec![GoalClosed {
        goal: goal.clone(),
        outcome,
        score,
        summary: summary.trim().to_owned(),
        final_values: closing_values(g, final_values)?,
    }
    .into()])
}

/// The final values given, checked, completed with the latest check-in of every other key result.
fn closing_values(
    g: &Goal,
    given: &BTreeMap<KrName, f64>,
) -> Result<BTreeMap<KrName, f64>, Rejection> {
    let mut values = BTreeMap::new();
    for (kr, value) in given {
        find_key_result(g, kr)?;
        number(&format!("final value of {kr}"), *value)?;
        values.insert(kr.clone(), *value);
    }
    for kr in &g.definition.key_results {
        if let (false, Some(current)) = (values.contains_key(&kr.name), g.current.get(&kr.name)) {
            values.insert(kr.name.clone(), current.value);
        }
    }
    Ok(values)
}

pub(super) fn decide_reopen_goal(
    state: &State,
    ctx: &Context,
    goal: &GoalId,
    reason: &str,
) -> Result<Vec<Event>, Rejection> {
    let g = find_goal(state, goal)?;
    require_status(g, GoalStatus::Closed, "reopen")?;
    require_owner(state, g, &ctx.actor, "reopen it")?;
    text("reason", reason, 1, 2000, true)?;
    Ok(vec![GoalReopened {
        goal: goal.clone(),
        reason: reason.trim().to_owned(),
    }
    .into()])
}

pub(super) fn apply_goal_closed(
    state: &mut State,
    meta: Meta<'_>,
    e: &GoalClosed,
) -> Result<(), String> {
    let goal = goal_mut(state, &e.goal)?;
    goal.status = GoalStatus::Closed;
    goal.closing = Some(Closing {
        outcome: e.outcome,
        score: e.score,
        summary: e.summary.clone(),
        final_values: e.final_values.clone(),
        seq: meta.seq,
        at: meta.at,
        by: meta.actor.clone(),
    });
    Ok(())
}

pub(super) fn apply_goal_reopened(state: &mut State, e: &GoalReopened) -> Result<(), String> {
    let goal = goal_mut(state, &e.goal)?;
    goal.status = GoalStatus::Active;
    goal.closing = None;
    Ok(())
}
