//! How a proposal runs its course: the electorate it fixes when it opens, votes cast on it, its
//! withdrawal, and its settling, by the votes or at its closing time (`tick`). Each is decided
//! (`decide_*`) and applied (`apply_*`) here; the counting itself is `consensus::evaluate`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::apply::goal_mut;
use super::closing::take_effect;
use super::command::Context;
use super::consensus::{evaluate, Choice, Electorate, Outcome, Rule, Verdict};
use super::event::{DecidedBy, Event, ProposalDecided, ProposalWithdrawn, VoteCast};
use super::goal::{Goal, GoalStatus};
use super::ids::{GoalId, TeamId};
use super::preconditions::{find_goal, require_owner};
use super::proposal::{Ballot, Proposal, ProposalKind};
use super::rejection::Rejection;
use super::state::{Meta, State};
use super::validate::text;

pub(super) fn decide_cast_vote(
    state: &State,
    ctx: &Context,
    goal: &GoalId,
    choice: Choice,
    reason: Option<&str>,
) -> Result<Vec<Event>, Rejection> {
    let g = find_goal(state, goal)?;
    let p = open_for_vote(g)?;
    if !p.electorate.contains(&ctx.actor) {
        return Err(Rejection::NotInElectorate {
            actor: ctx.actor.clone(),
            goal: goal.clone(),
            proposal: p.id,
            electorate: p
                .electorate
                .voters()
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if let Some(r) = reason {
        text("reason", r, 1, 2000, true)?;
    }
    if choice == Choice::Block && reason.is_none() {
        return Err(Rejection::BlockNeedsReason);
    }
    let mut events = vec![Event::from(VoteCast {
        goal: goal.clone(),
        proposal: p.id,
        choice,
        reason: reason.map(str::to_owned),
    })];
    let mut choices = p.choices();
    choices.insert(ctx.actor.clone(), choice);
    let closing = p.closes_at.is_some_and(|at| at <= ctx.now);
    if let Some(verdict) = evaluate(&p.rule, &p.electorate, &choices, closing) {
        let by = if closing {
            DecidedBy::ClosingTime
        } else {
            DecidedBy::Votes
        };
        events.extend(settle(g, p, verdict, by));
    }
    Ok(events)
}

/// The proposal a vote would go to; a goal that has ended says so rather than "no proposal".
fn open_for_vote(g: &Goal) -> Result<&Proposal, Rejection> {
    if let Some(p) = &g.open_proposal {
        return Ok(p);
    }
    if matches!(
        g.status,
        GoalStatus::Closed | GoalStatus::Rejected | GoalStatus::Withdrawn
    ) {
        return Err(Rejection::WrongStatus {
            goal: g.id.clone(),
            status: g.status,
            action: "vote on",
            hint: " and has no open proposal",
        });
    }
    Err(Rejection::NoOpenProposal {
        goal: g.id.clone(),
        action: "vote on",
    })
}

pub(super) fn decide_withdraw_proposal(
    state: &State,
    ctx: &Context,
    goal: &GoalId,
    reason: &str,
) -> Result<Vec<Event>, Rejection> {
    let g = find_goal(state, goal)?;
    let proposal = g.open_proposal.as_ref().ok_or(Rejection::NoOpenProposal {
        goal: goal.clone(),
        action: "withdraw",
    })?;
    if proposal.proposed_by != ctx.actor {
        require_owner(
            state,
            g,
            &ctx.actor,
            "withdraw a proposal they did not make",
        )?;
    }
    text("reason", reason, 1, 2000, true)?;
    Ok(vec![ProposalWithdrawn {
        goal: goal.clone(),
        proposal: proposal.id,
        reason: reason.trim().to_owned(),
    }
    .into()])
}

/// Decides every open proposal whose closing time is at or before `now`: one group of events
/// per proposal (the decision, and for an accepted adjustment, closing or reopening the change).
pub fn tick(state: &State, now: DateTime<Utc>) -> Vec<Vec<Event>> {
    let mut events = Vec::new();
    let due = state.deadlines.iter().take_while(|(at, _)| *at <= now);
    for goal in due.filter_map(|(_, id)| state.goals.get(id)) {
        let Some(p) = &goal.open_proposal else {
            continue;
        };
        if let Some(verdict) = evaluate(&p.rule, &p.electorate, &p.choices(), true) {
            events.push(settle(goal, p, verdict, DecidedBy::ClosingTime));
        }
    }
    events
}

/// The events that settle `proposal` with `verdict`: the decision, and for an accepted
/// adjustment, closing or reopening the change itself.
fn settle(goal: &Goal, proposal: &Proposal, verdict: Verdict, by: DecidedBy) -> Vec<Event> {
    let mut events = vec![Event::from(ProposalDecided {
        goal: goal.id.clone(),
        proposal: proposal.id,
        outcome: verdict.outcome,
        decided_by: by,
        tally: verdict.tally,
        explanation: verdict.explanation,
    })];
    if verdict.outcome == Outcome::Rejected {
        return events;
    }
    events.extend(take_effect(goal, proposal));
    events
}

/// The members of `teams` now: who may vote on a proposal that opens now.
pub(super) fn electorate(state: &State, teams: &[TeamId]) -> Electorate {
    Electorate(
        teams
            .iter()
            .filter_map(|t| state.teams.get(t))
            .map(|t| (t.id.clone(), t.members.clone()))
            .collect(),
    )
}

/// A proposal about to open, as its event states it.
pub(super) struct Opening<'a> {
    pub id: u32,
    pub kind: ProposalKind,
    pub rule: Rule,
    pub electorate: &'a Electorate,
    pub reason: &'a str,
    pub closes_at: Option<DateTime<Utc>>,
}

/// A proposal as it opens: proposed by the record's actor, with no votes yet.
pub(super) fn opened(o: Opening<'_>, meta: Meta<'_>) -> Proposal {
    Proposal {
        id: o.id,
        kind: o.kind,
        rule: o.rule,
        electorate: o.electorate.clone(),
        proposed_by: meta.actor.clone(),
        reason: o.reason.to_owned(),
        opened_seq: meta.seq,
        opened_at: meta.at,
        closes_at: o.closes_at,
        votes: BTreeMap::new(),
    }
}

/// Opens a proposal on an existing goal: it must have none open, and this must be its next.
pub(super) fn open_on(
    state: &mut State,
    meta: Meta<'_>,
    goal: &GoalId,
    o: Opening<'_>,
) -> Result<(), String> {
    let g = goal_mut(state, goal)?;
    if g.open_proposal.is_some() || o.id != g.proposals + 1 {
        return Err(format!("proposal {} cannot open on {goal}", o.id));
    }
    g.proposals = o.id;
    g.open_proposal = Some(opened(o, meta));
    Ok(())
}

pub(super) fn apply_vote_cast(
    state: &mut State,
    meta: Meta<'_>,
    e: &VoteCast,
) -> Result<(), String> {
    let goal = goal_mut(state, &e.goal)?;
    let proposal = open_proposal(goal, e.proposal)?;
    proposal.votes.insert(
        meta.actor.clone(),
        Ballot {
            choice: e.choice,
            reason: e.reason.clone(),
            seq: meta.seq,
            at: meta.at,
        },
    );
    Ok(())
}

pub(super) fn apply_proposal_decided(
    state: &mut State,
    meta: Meta<'_>,
    e: &ProposalDecided,
) -> Result<(), String> {
    let goal = goal_mut(state, &e.goal)?;
    open_proposal(goal, e.proposal)?;
    let proposal = goal.open_proposal.take();
    if matches!(proposal.map(|p| p.kind), Some(ProposalKind::Adoption)) {
        goal.status = match e.outcome {
            Outcome::Accepted => {
                goal.adopted_at = Some(meta.at);
                GoalStatus::Active
            }
            Outcome::Rejected => GoalStatus::Rejected,
        };
    }
    Ok(())
}

pub(super) fn apply_proposal_withdrawn(
    state: &mut State,
    e: &ProposalWithdrawn,
) -> Result<(), String> {
    let goal = goal_mut(state, &e.goal)?;
    open_proposal(goal, e.proposal)?;
    if matches!(
        goal.open_proposal.take().map(|p| p.kind),
        Some(ProposalKind::Adoption)
    ) {
        goal.status = GoalStatus::Withdrawn;
    }
    Ok(())
}

/// The goal's open proposal, which must be number `id`.
fn open_proposal(goal: &mut Goal, id: u32) -> Result<&mut Proposal, String> {
    match goal.open_proposal.as_mut() {
        Some(p) if p.id == id => Ok(p),
        _ => Err(format!("goal {} has no open proposal {id}", goal.id)),
    }
}
