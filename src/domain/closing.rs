//! Closing and reopening a goal, each by agreement: an owner proposes to close an active goal
//! with an outcome, a score, a summary and final values (taken from the latest check-ins where
//! not given), or to reopen a closed one with a reason; the goal's rule and electorate decide,
//! as for adjustments. Each is decided (`decide_*`) and applied (`apply_*`) here; the accepted
//! proposal's `GoalClosed` / `GoalReopened` comes from `voting::settle`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::apply::goal_mut;
use super::command::Context;
use super::event::{
    ClosingProposed, Event, GoalAdjusted, GoalClosed, GoalReopened, ReopeningProposed,
};
use super::goal::{Closing, Goal, GoalStatus};
use super::ids::{GoalId, KrName};
use super::preconditions::{
    find_goal, find_key_result, require_no_open_proposal, require_owner, require_status,
};
use super::proposal::{ClosingTerms, Proposal, ProposalKind};
use super::rejection::Rejection;
use super::state::{Meta, State};
use super::validate::{check_closing, number, text};
use super::voting::{electorate, open_on, Opening};

pub(super) fn decide_close_goal(
    state: &State,
    ctx: &Context,
    goal: &GoalId,
    terms: &ClosingTerms,
    closes_at: Option<DateTime<Utc>>,
) -> Result<Vec<Event>, Rejection> {
    let g = find_goal(state, goal)?;
    require_status(g, GoalStatus::Active, "close")?;
    require_no_open_proposal(g)?;
    require_owner(state, g, &ctx.actor, "propose to close it")?;
    if !(0.0..=1.0).contains(&terms.score) {
        return Err(Rejection::invalid(
            "score",
            format!("{} is out of range: use 0.0 to 1.0", terms.score),
        ));
    }
    text("summary", &terms.summary, 1, 4000, true)?;
    let final_values = closing_values(g, &terms.final_values)?;
    check_closing(closes_at, ctx.now)?;
    Ok(vec![ClosingProposed {
        goal: goal.clone(),
        proposal: g.proposals + 1,
        outcome: terms.outcome,
        score: terms.score,
        summary: terms.summary.trim().to_owned(),
        final_values,
        rule: g.rule,
        electorate: electorate(state, &g.definition.teams),
        closes_at,
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
    closes_at: Option<DateTime<Utc>>,
) -> Result<Vec<Event>, Rejection> {
    let g = find_goal(state, goal)?;
    require_status(g, GoalStatus::Closed, "reopen")?;
    require_no_open_proposal(g)?;
    require_owner(state, g, &ctx.actor, "propose to reopen it")?;
    text("reason", reason, 1, 2000, true)?;
    check_closing(closes_at, ctx.now)?;
    Ok(vec![ReopeningProposed {
        goal: goal.clone(),
        proposal: g.proposals + 1,
        reason: reason.trim().to_owned(),
        rule: g.rule,
        electorate: electorate(state, &g.definition.teams),
        closes_at,
    }
    .into()])
}

/// The change an accepted proposal takes effect with: the adjustment, the closing or the
/// reopening (an adoption's is its decision alone).
pub(super) fn take_effect(goal_ref: &Goal, p: &Proposal) -> Option<Event> {
    let goal = goal_ref.id.clone();
    let proposal = p.id;
    match &p.kind {
        ProposalKind::Adjustment { changes } => Some(
            GoalAdjusted {
                goal,
                proposal,
                changes: (**changes).clone(),
            }
            .into(),
        ),
        ProposalKind::Closing { closing } => Some(
            GoalClosed {
                goal,
                proposal: Some(proposal),
                outcome: closing.outcome,
                score: closing.score,
                summary: closing.summary.clone(),
                final_values: closing.final_values.clone(),
            }
            .into(),
        ),
        ProposalKind::Reopening => Some(
            GoalReopened {
                goal,
                proposal: Some(proposal),
                reason: p.reason.clone(),
            }
            .into(),
        ),
        ProposalKind::CarryOver { carry } => {
            Some(super::cycles::carried_over(goal_ref, proposal, carry).into())
        }
        ProposalKind::Adoption => None,
    }
}

pub(super) fn apply_closing_proposed(
    state: &mut State,
    meta: Meta<'_>,
    e: &ClosingProposed,
) -> Result<(), String> {
    let opening = Opening {
        id: e.proposal,
        kind: ProposalKind::Closing {
            closing: Box::new(ClosingTerms {
                outcome: e.outcome,
                score: e.score,
                summary: e.summary.clone(),
                final_values: e.final_values.clone(),
            }),
        },
        rule: e.rule,
        electorate: &e.electorate,
        reason: &e.summary,
        closes_at: e.closes_at,
    };
    open_on(state, meta, &e.goal, opening)
}

pub(super) fn apply_reopening_proposed(
    state: &mut State,
    meta: Meta<'_>,
    e: &ReopeningProposed,
) -> Result<(), String> {
    let opening = Opening {
        id: e.proposal,
        kind: ProposalKind::Reopening,
        rule: e.rule,
        electorate: &e.electorate,
        reason: &e.reason,
        closes_at: e.closes_at,
    };
    open_on(state, meta, &e.goal, opening)
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
