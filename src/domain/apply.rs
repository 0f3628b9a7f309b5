//! Folding events into state. `apply` is the only way state changes; replaying the same records
//! always gives the same `State`. It checks the record's sequence number and stream version, then
//! hands the event to the `apply_*` of its concern, so an imported or rebuilt log that does not
//! replay cleanly is caught, never half-applied silently.

use super::event::Event;
use super::goal::Goal;
use super::ids::{GoalId, StreamId, TeamId};
use super::team::Team;
use super::{
    adjustments, adoption, check_ins, closing, cycles, membership, post_mortem, tokens, voting,
    webhooks,
};

pub use super::definition::apply_changes;
pub use super::state::{Access, Grant, Inconsistency, Meta, Singles, State};

/// Folds one event into the state.
pub fn apply(state: &mut State, meta: Meta<'_>, event: &Event) -> Result<(), Inconsistency> {
    let fail = |problem: String| Inconsistency {
        seq: meta.seq,
        problem,
    };
    if meta.seq <= state.seq {
        return Err(fail(format!(
            "sequence numbers must grow: {} follows {}",
            meta.seq, state.seq
        )));
    }
    let stream = event.stream();
    let expected_version = state.version_of(&stream) + 1;
    if meta.version != expected_version {
        return Err(fail(format!(
            "{stream} is at version {}, so this record should have version {expected_version}, not {}",
            expected_version - 1,
            meta.version
        )));
    }
    apply_event(state, meta, event).map_err(fail)?;
    stamp(state, meta, &stream);
    state.seq = meta.seq;
    Ok(())
}

/// Hands the event to the `apply_*` of its concern; `Err` is the problem, without the record.
fn apply_event(state: &mut State, meta: Meta<'_>, event: &Event) -> Result<(), String> {
    match event {
        Event::TeamRegistered(e) => membership::apply_team_registered(state, meta, e),
        Event::MemberJoined(e) => membership::apply_member_joined(state, e),
        Event::MemberLeft(e) => membership::apply_member_left(state, e),
        Event::GoalProposed(e) => adoption::apply_goal_proposed(state, meta, e),
        Event::AdjustmentProposed(e) => adjustments::apply_adjustment_proposed(state, meta, e),
        Event::ClosingProposed(e) => closing::apply_closing_proposed(state, meta, e),
        Event::ReopeningProposed(e) => closing::apply_reopening_proposed(state, meta, e),
        Event::VoteCast(e) => voting::apply_vote_cast(state, meta, e),
        Event::ProposalDecided(e) => voting::apply_proposal_decided(state, meta, e),
        Event::ProposalWithdrawn(e) => voting::apply_proposal_withdrawn(state, e),
        Event::GoalAdjusted(e) => adjustments::apply_goal_adjusted(state, e),
        Event::CheckInRecorded(e) => check_ins::apply_check_in_recorded(state, meta, e),
        Event::GoalClosed(e) => closing::apply_goal_closed(state, meta, e),
        Event::GoalReopened(e) => closing::apply_goal_reopened(state, e),
        Event::PostMortemNoted(e) => post_mortem::apply_post_mortem_noted(state, meta, e),
        Event::ActionItemResolved(e) => post_mortem::apply_action_item_resolved(state, e),
        Event::TokenGranted(e) => tokens::apply_token_granted(state, meta, e),
        Event::TokenRevoked(e) => tokens::apply_token_revoked(state, meta, e),
        Event::CycleOpened(e) => cycles::apply_cycle_opened(state, meta, e),
        Event::CycleClosed(e) => cycles::apply_cycle_closed(state, meta, e),
        Event::CarryOverProposed(e) => cycles::apply_carry_over_proposed(state, meta, e),
        Event::GoalCarriedOver(e) => cycles::apply_goal_carried_over(state, meta, e),
        Event::WebhookRegistered(e) => webhooks::apply_webhook_registered(state, meta, e),
        Event::WebhookRemoved(e) => webhooks::apply_webhook_removed(state, e),
    }
}

/// Records on the event's stream that it now holds this record: version, last sequence number,
/// and for a goal its update time and place in the deadline index.
fn stamp(state: &mut State, meta: Meta<'_>, stream: &StreamId) {
    match stream {
        StreamId::Goal(id) => {
            state.deadlines.retain(|(_, g)| g != id);
            if let Some(goal) = state.goals.get_mut(id) {
                if let Some(at) = goal.open_proposal.as_ref().and_then(|p| p.closes_at) {
                    state.deadlines.insert((at, id.clone()));
                }
                goal.version = meta.version;
                goal.last_seq = meta.seq;
                goal.updated_at = meta.at;
            }
        }
        StreamId::Team(id) => {
            if let Some(team) = state.teams.get_mut(id) {
                team.version = meta.version;
                team.last_seq = meta.seq;
            }
        }
        StreamId::Access => state.access.version = meta.version,
        StreamId::Cycles => state.cycles.version = meta.version,
        StreamId::Webhooks => state.webhooks.version = meta.version,
    }
}

/// The team an event lands on, or the problem "unknown team …".
pub(super) fn team_mut<'s>(state: &'s mut State, id: &TeamId) -> Result<&'s mut Team, String> {
    state
        .teams
        .get_mut(id)
        .ok_or_else(|| format!("unknown team {id}"))
}

/// The goal an event lands on, or the problem "unknown goal …".
pub(super) fn goal_mut<'s>(state: &'s mut State, id: &GoalId) -> Result<&'s mut Goal, String> {
    state
        .goals
        .get_mut(id)
        .ok_or_else(|| format!("unknown goal {id}"))
}
