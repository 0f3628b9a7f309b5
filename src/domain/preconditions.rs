//! The checks many commands make before their own: the goal, team or key result exists, the goal
//! is in the status the command needs, the actor belongs to an owning team, no proposal is open.
//! Each rejection is built here and nowhere else, so its wording lives in one place.

use super::goal::{Goal, GoalStatus, KeyResult};
use super::ids::{Actor, GoalId, KrName, TeamId};
use super::rejection::Rejection;
use super::state::State;
use super::team::Team;

/// The goal `goal`, or "there is no goal …".
pub(super) fn find_goal<'s>(state: &'s State, goal: &GoalId) -> Result<&'s Goal, Rejection> {
    state
        .goals
        .get(goal)
        .ok_or_else(|| Rejection::UnknownGoal(goal.clone()))
}

/// The team `team`, or "there is no team …: register it first".
pub(super) fn find_team<'s>(state: &'s State, team: &TeamId) -> Result<&'s Team, Rejection> {
    state
        .teams
        .get(team)
        .ok_or_else(|| Rejection::UnknownTeam(team.clone()))
}

/// The key result `kr` of `goal`, or a rejection listing the ones it has.
pub(super) fn find_key_result<'g>(goal: &'g Goal, kr: &KrName) -> Result<&'g KeyResult, Rejection> {
    goal.definition
        .key_result(kr)
        .ok_or_else(|| Rejection::UnknownKeyResult {
            goal: goal.id.clone(),
            key_result: kr.clone(),
            known: goal
                .definition
                .key_results
                .iter()
                .map(|k| k.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The goal must be `wanted` to `action`; otherwise the rejection hints at the way forward.
pub(super) fn require_status(
    goal: &Goal,
    wanted: GoalStatus,
    action: &'static str,
) -> Result<(), Rejection> {
    if goal.status == wanted {
        return Ok(());
    }
    let hint = match goal.status {
        GoalStatus::Proposed => " (its adoption is still being decided)",
        GoalStatus::Closed => " (reopen it first)",
        GoalStatus::Rejected | GoalStatus::Withdrawn => " (propose a new goal instead)",
        GoalStatus::Active => "",
    };
    Err(Rejection::WrongStatus {
        goal: goal.id.clone(),
        status: goal.status,
        action,
        hint,
    })
}

/// Only a member of an owning team may `action`.
pub(super) fn require_owner(
    state: &State,
    goal: &Goal,
    actor: &Actor,
    action: &'static str,
) -> Result<(), Rejection> {
    if goal.is_owned_by_member(actor, &state.teams) {
        return Ok(());
    }
    Err(Rejection::NotAnOwner {
        actor: actor.clone(),
        goal: goal.id.clone(),
        teams: join(&goal.definition.teams),
        action,
    })
}

/// One proposal per goal at a time.
pub(super) fn require_no_open_proposal(goal: &Goal) -> Result<(), Rejection> {
    match &goal.open_proposal {
        Some(p) => Err(Rejection::ProposalOpen {
            goal: goal.id.clone(),
            proposal: p.id,
            kind: p.kind.name(),
        }),
        None => Ok(()),
    }
}

/// Team ids as a comma-separated list, for messages.
pub(super) fn join(teams: &[TeamId]) -> String {
    teams
        .iter()
        .map(TeamId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}
