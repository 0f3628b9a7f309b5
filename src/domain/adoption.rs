//! Proposing a goal for adoption: `decide_propose_goal` checks the draft and opens proposal 1,
//! `apply_goal_proposed` creates the goal as `proposed`. The adoption itself is settled by the
//! votes in `voting`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::command::{Context, GoalDraft};
use super::consensus::Rule;
use super::definition::{check_definition, key_result, sorted_teams};
use super::event::{Event, GoalProposed};
use super::goal::{Goal, GoalDefinition, GoalStatus};
use super::ids::{CycleName, GoalId};
use super::preconditions::join;
use super::proposal::ProposalKind;
use super::rejection::Rejection;
use super::state::{Meta, State};
use super::validate::{check_closing, text};
use super::voting::{electorate, opened, Opening};

pub(super) fn decide_propose_goal(
    state: &State,
    ctx: &Context,
    goal: &GoalId,
    draft: &GoalDraft,
    rule: Rule,
    reason: &str,
    closes_at: Option<DateTime<Utc>>,
) -> Result<Vec<Event>, Rejection> {
    if state.goals.contains_key(goal) {
        return Err(Rejection::GoalExists(goal.clone()));
    }
    let definition = GoalDefinition {
        title: draft.title.trim().to_owned(),
        description: draft.description.trim().to_owned(),
        teams: sorted_teams(&draft.teams),
        parent: draft.parent.clone(),
        start: draft.start,
        due: draft.due,
        key_results: draft.key_results.iter().map(key_result).collect(),
        cadence: draft.cadence,
    };
    check_definition(state, goal, &definition)?;
    let cycle = cycle_for(state, draft)?;
    if !definition
        .teams
        .iter()
        .any(|t| state.teams[t].members.contains(&ctx.actor))
    {
        return Err(Rejection::invalid(
            "teams",
            format!(
                "{} is not a member of {}; a goal is proposed by a member of an owning team",
                ctx.actor,
                join(&definition.teams)
            ),
        ));
    }
    text("reason", reason, 1, 2000, true)?;
    check_closing(closes_at, ctx.now)?;
    Ok(vec![GoalProposed {
        goal: goal.clone(),
        proposal: 1,
        electorate: electorate(state, &definition.teams),
        definition,
        rule,
        reason: reason.trim().to_owned(),
        closes_at,
        cycle,
    }
    .into()])
}

/// The cycle a new goal joins: the one named (which must be open), else the one containing its
/// start, if any (a goal is not proposed into a closed cycle).
fn cycle_for(state: &State, draft: &GoalDraft) -> Result<Option<CycleName>, Rejection> {
    let cycle = match &draft.cycle {
        Some(name) => state.cycle(name)?,
        None => match state.cycles.containing(draft.start) {
            Some(c) => c,
            None => return Ok(None),
        },
    };
    if cycle.closed.is_some() {
        return Err(Rejection::invalid(
            "cycle",
            format!(
                "cycle {} is closed; propose the goal into an open cycle (--cycle NAME) or give it a start in one",
                cycle.name
            ),
        ));
    }
    Ok(Some(cycle.name.clone()))
}

pub(super) fn apply_goal_proposed(
    state: &mut State,
    meta: Meta<'_>,
    e: &GoalProposed,
) -> Result<(), String> {
    if state.goals.contains_key(&e.goal) {
        return Err(format!("goal {} proposed twice", e.goal));
    }
    state.goals.insert(
        e.goal.clone(),
        Goal {
            id: e.goal.clone(),
            definition: e.definition.clone(),
            rule: e.rule,
            status: GoalStatus::Proposed,
            version: 0,
            proposed_by: meta.actor.clone(),
            proposed_at: meta.at,
            adopted_at: None,
            open_proposal: Some(opened(
                Opening {
                    id: e.proposal,
                    kind: ProposalKind::Adoption,
                    rule: e.rule,
                    electorate: &e.electorate,
                    reason: &e.reason,
                    closes_at: e.closes_at,
                },
                meta,
            )),
            proposals: e.proposal,
            adjustments: 0,
            current: BTreeMap::new(),
            check_ins: 0,
            notes: 0,
            action_items: BTreeMap::new(),
            closing: None,
            ever_teams: e.definition.teams.iter().cloned().collect(),
            cycle: e.cycle.clone(),
            carried: Vec::new(),
            updated_at: meta.at,
            last_seq: 0,
        },
    );
    Ok(())
}
