//! Adjusting an active goal: `decide_propose_adjustment` checks the changes and opens a proposal
//! whose electorate spans the owning teams before and after; `apply_adjustment_proposed` opens
//! it, and `apply_goal_adjusted` takes the changes once the votes accepted them.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::apply::goal_mut;
use super::command::Context;
use super::definition::{apply_changes, check_definition, sorted_teams};
use super::event::{AdjustmentProposed, Event, GoalAdjusted};
use super::goal::{Goal, GoalStatus};
use super::ids::{GoalId, TeamId};
use super::preconditions::{
    find_goal, find_key_result, require_no_open_proposal, require_owner, require_status,
};
use super::proposal::{Changes, ProposalKind};
use super::rejection::Rejection;
use super::state::{Meta, State};
use super::validate::{check_closing, number, text};
use super::voting::{electorate, open_on, Opening};

pub(super) fn decide_propose_adjustment(
    state: &State,
    ctx: &Context,
    goal: &GoalId,
    changes: &Changes,
    reason: &str,
    closes_at: Option<DateTime<Utc>>,
) -> Result<Vec<Event>, Rejection> {
    let g = find_goal(state, goal)?;
    require_status(g, GoalStatus::Active, "adjust")?;
    require_no_open_proposal(g)?;
    require_owner(state, g, &ctx.actor, "propose adjustments")?;
    check_key_result_changes(g, changes)?;
    let changes = tidied(changes);
    let after = apply_changes(&g.definition, &changes);
    check_definition(state, goal, &after)?;
    if after == g.definition && changes.rule.is_none_or(|r| r == g.rule) {
        return Err(Rejection::invalid(
            "changes",
            "these changes would leave the goal exactly as it is",
        ));
    }
    text("reason", reason, 1, 2000, true)?;
    check_closing(closes_at, ctx.now)?;
    let voters: Vec<TeamId> = g
        .definition
        .teams
        .iter()
        .chain(after.teams.iter())
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Ok(vec![AdjustmentProposed {
        goal: goal.clone(),
        proposal: g.proposals + 1,
        changes,
        rule: g.rule,
        reason: reason.trim().to_owned(),
        electorate: electorate(state, &voters),
        closes_at,
    }
    .into()])
}

/// Something must change, and every retargeted or dropped key result must exist (and not be
/// both).
fn check_key_result_changes(g: &Goal, changes: &Changes) -> Result<(), Rejection> {
    if changes.is_empty() {
        return Err(Rejection::invalid(
            "changes",
            "nothing to change: give at least one of targets, due, start, title, description, add/drop key results, rule, teams, parent",
        ));
    }
    for (kr, target) in &changes.targets {
        if changes.drop_key_results.contains(kr) {
            return Err(Rejection::invalid(
                "targets",
                format!("`{kr}` is both retargeted and dropped"),
            ));
        }
        find_key_result(g, kr)?;
        number(&format!("target of {kr}"), *target)?;
    }
    for kr in &changes.drop_key_results {
        find_key_result(g, kr)?;
    }
    Ok(())
}

/// The changes as recorded: title and description trimmed, teams sorted without repeats.
fn tidied(changes: &Changes) -> Changes {
    let mut changes = changes.clone();
    if let Some(t) = &changes.title {
        changes.title = Some(t.trim().to_owned());
    }
    if let Some(d) = &changes.description {
        changes.description = Some(d.trim().to_owned());
    }
    if let Some(teams) = &changes.teams {
        changes.teams = Some(sorted_teams(teams));
    }
    changes
}

pub(super) fn apply_adjustment_proposed(
    state: &mut State,
    meta: Meta<'_>,
    e: &AdjustmentProposed,
) -> Result<(), String> {
    let opening = Opening {
        id: e.proposal,
        kind: ProposalKind::Adjustment {
            changes: Box::new(e.changes.clone()),
        },
        rule: e.rule,
        electorate: &e.electorate,
        reason: &e.reason,
        closes_at: e.closes_at,
    };
    open_on(state, meta, &e.goal, opening)
}

pub(super) fn apply_goal_adjusted(state: &mut State, e: &GoalAdjusted) -> Result<(), String> {
    let goal = goal_mut(state, &e.goal)?;
    goal.definition = apply_changes(&goal.definition, &e.changes);
    if let Some(rule) = e.changes.rule {
        goal.rule = rule;
    }
    for kr in &e.changes.drop_key_results {
        goal.current.remove(kr);
    }
    goal.ever_teams
        .extend(goal.definition.teams.iter().cloned());
    goal.adjustments += 1;
    Ok(())
}
