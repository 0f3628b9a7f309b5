//! A goal's definition as adoption and adjustment both see it: the checks every definition must
//! pass (title, owning teams, alignment without cycles, dates, key results), and how an
//! adjustment's `Changes` turn one definition into the next.

use std::collections::BTreeSet;

use super::goal::{Direction, GoalDefinition, GoalStatus, KeyResult, KeyResultSpec};
use super::ids::{GoalId, TeamId};
use super::preconditions::{find_goal, find_team};
use super::proposal::Changes;
use super::rejection::Rejection;
use super::state::State;
use super::validate::{check_dates, number, text};

const MAX_KEY_RESULTS: usize = 20;
const MAX_TEAMS: usize = 12;

/// The checks every definition must pass, whether proposed or adjusted.
pub(super) fn check_definition(
    state: &State,
    goal: &GoalId,
    def: &GoalDefinition,
) -> Result<(), Rejection> {
    text("title", &def.title, 1, 200, false)?;
    text("description", &def.description, 0, 4000, true)?;
    check_teams(state, &def.teams)?;
    if let Some(parent) = &def.parent {
        check_parent(state, goal, parent)?;
    }
    check_dates(def.start, def.due)?;
    check_key_results(&def.key_results)
}

/// At least one and at most `MAX_TEAMS` owning teams, each registered and with members.
fn check_teams(state: &State, teams: &[TeamId]) -> Result<(), Rejection> {
    if teams.is_empty() {
        return Err(Rejection::invalid(
            "teams",
            "a goal needs at least one owning team",
        ));
    }
    if teams.len() > MAX_TEAMS {
        return Err(Rejection::invalid(
            "teams",
            format!("at most {MAX_TEAMS} owning teams"),
        ));
    }
    for team in teams {
        if find_team(state, team)?.members.is_empty() {
            return Err(Rejection::TeamWithoutMembers(team.clone()));
        }
    }
    Ok(())
}

/// At least one and at most `MAX_KEY_RESULTS` key results, uniquely named, each one moving.
fn check_key_results(key_results: &[KeyResult]) -> Result<(), Rejection> {
    if key_results.is_empty() {
        return Err(Rejection::invalid(
            "key_results",
            "a goal needs at least one key result",
        ));
    }
    if key_results.len() > MAX_KEY_RESULTS {
        return Err(Rejection::invalid(
            "key_results",
            format!("at most {MAX_KEY_RESULTS} key results"),
        ));
    }
    let mut names = BTreeSet::new();
    for kr in key_results {
        if !names.insert(&kr.name) {
            return Err(Rejection::invalid(
                "key_results",
                format!("`{}` appears twice", kr.name),
            ));
        }
        text(&format!("unit of {}", kr.name), &kr.unit, 0, 32, false)?;
        number(&format!("baseline of {}", kr.name), kr.baseline)?;
        number(&format!("target of {}", kr.name), kr.target)?;
        if kr.baseline == kr.target {
            return Err(Rejection::invalid(
                format!("target of {}", kr.name),
                format!("{} equals the baseline; a key result must move", kr.target),
            ));
        }
        if let Some(w) = kr.weight {
            if !(w.is_finite() && w > 0.0 && w <= 1000.0) {
                return Err(Rejection::invalid(
                    format!("weight of {}", kr.name),
                    "use a number above 0 and at most 1000",
                ));
            }
        }
    }
    Ok(())
}

/// The parent must exist, be live, and not be `goal` or one of its sub-goals.
fn check_parent(state: &State, goal: &GoalId, parent: &GoalId) -> Result<(), Rejection> {
    let mut cursor = Some(parent);
    let mut steps = 0;
    while let Some(id) = cursor {
        if id == goal {
            return Err(Rejection::invalid(
                "parent",
                format!(
                    "`{parent}` is `{goal}` or one of its sub-goals; goals cannot align in a cycle"
                ),
            ));
        }
        let g = find_goal(state, id)?;
        if steps == 0 && matches!(g.status, GoalStatus::Rejected | GoalStatus::Withdrawn) {
            return Err(Rejection::invalid(
                "parent",
                format!("`{parent}` is {}; align with a live goal", g.status),
            ));
        }
        cursor = g.definition.parent.as_ref();
        steps += 1;
    }
    Ok(())
}

/// A proposed key result as the definition keeps it: unit trimmed, direction derived.
pub(super) fn key_result(spec: &KeyResultSpec) -> KeyResult {
    KeyResult {
        name: spec.name.clone(),
        unit: spec.unit.trim().to_owned(),
        baseline: spec.baseline,
        target: spec.target,
        direction: Direction::between(spec.baseline, spec.target),
        weight: spec.weight,
    }
}

/// Team ids sorted and without repeats, as a definition keeps them.
pub(super) fn sorted_teams(teams: &[TeamId]) -> Vec<TeamId> {
    teams
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Applies `changes` to a definition (and the goal's rule). Used by `decide` to check the result
/// and by `apply` to take it.
pub fn apply_changes(def: &GoalDefinition, changes: &Changes) -> GoalDefinition {
    let mut def = def.clone();
    if let Some(title) = &changes.title {
        def.title = title.clone();
    }
    if let Some(description) = &changes.description {
        def.description = description.clone();
    }
    if let Some(start) = changes.start {
        def.start = start;
    }
    if let Some(due) = changes.due {
        def.due = due;
    }
    def.key_results
        .retain(|kr| !changes.drop_key_results.contains(&kr.name));
    for kr in &mut def.key_results {
        if let Some(target) = changes.targets.get(&kr.name) {
            kr.target = *target;
            kr.direction = Direction::between(kr.baseline, kr.target);
        }
    }
    for spec in &changes.add_key_results {
        def.key_results.push(KeyResult {
            name: spec.name.clone(),
            unit: spec.unit.clone(),
            baseline: spec.baseline,
            target: spec.target,
            direction: Direction::between(spec.baseline, spec.target),
            weight: spec.weight,
        });
    }
    if let Some(teams) = &changes.teams {
        let mut teams = teams.clone();
        teams.sort();
        teams.dedup();
        def.teams = teams;
    }
    if let Some(parent) = &changes.parent {
        def.parent = Some(parent.clone());
    }
    if let Some(cadence) = changes.cadence {
        def.cadence = Some(cadence);
    }
    def
}
