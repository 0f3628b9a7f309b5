//! Post-mortem notes: once a goal is adopted, rejected or withdrawn, any team member may note a
//! lesson, kudos or an action item. An action item needs an owner (a member of one of the goal's
//! teams) and a due date, gets the next item number on its goal, and is later resolved, done or
//! dropped, once. Decided (`decide_*`) and applied (`apply_*`) here.

use chrono::NaiveDate;

use super::apply::goal_mut;
use super::command::Context;
use super::event::{ActionItemResolved, Event, PostMortemNoted, Resolution};
use super::goal::{ActionItem, Goal, GoalStatus, Section};
use super::ids::{Actor, GoalId};
use super::preconditions::{find_goal, require_owner};
use super::rejection::Rejection;
use super::state::{Meta, State};
use super::validate::text;

pub(super) fn decide_note_post_mortem(
    state: &State,
    ctx: &Context,
    goal: &GoalId,
    section: Section,
    body: &str,
    owner: Option<&Actor>,
    due: Option<NaiveDate>,
) -> Result<Vec<Event>, Rejection> {
    let g = find_goal(state, goal)?;
    if g.status == GoalStatus::Proposed {
        return Err(Rejection::WrongStatus {
            goal: goal.clone(),
            status: g.status,
            action: "write post-mortem notes on",
            hint: " (notes start once it is adopted, rejected or withdrawn)",
        });
    }
    if !state.teams.values().any(|t| t.members.contains(&ctx.actor)) {
        return Err(Rejection::NotOnATeam {
            actor: ctx.actor.clone(),
            action: "write post-mortem notes",
        });
    }
    text("text", body, 1, 4000, true)?;
    let item = match (section, owner, due) {
        (Section::ActionItem, Some(owner), Some(_)) => {
            if !g.is_owned_by_member(owner, &state.teams) {
                return Err(Rejection::OwnerNotOnTeam {
                    owner: owner.clone(),
                    goal: goal.clone(),
                    teams: teams_of(g),
                });
            }
            Some(g.action_items.len() as u32 + 1)
        }
        (Section::ActionItem, _, _) => {
            return Err(Rejection::invalid(
                "owner",
                "an action item needs an owner and a due date",
            ))
        }
        (_, None, None) => None,
        _ => {
            return Err(Rejection::invalid(
                "owner",
                "owner and due date belong to action items only",
            ))
        }
    };
    Ok(vec![PostMortemNoted {
        goal: goal.clone(),
        section,
        text: body.trim().to_owned(),
        owner: owner.cloned(),
        due,
        item,
    }
    .into()])
}

fn teams_of(g: &Goal) -> String {
    g.definition
        .teams
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// An open action item marked done or dropped, by its owner or a member of an owning team.
pub(super) fn decide_resolve_action_item(
    state: &State,
    ctx: &Context,
    goal: &GoalId,
    item: u32,
    status: Resolution,
    note: Option<&str>,
) -> Result<Vec<Event>, Rejection> {
    let g = find_goal(state, goal)?;
    let Some(found) = g.action_items.get(&item) else {
        let known = g
            .action_items
            .keys()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Rejection::UnknownActionItem {
            goal: goal.clone(),
            item,
            known: if known.is_empty() {
                " (it has none)".to_owned()
            } else {
                format!(" (it has: {known})")
            },
        });
    };
    if let Some(done) = found.resolved {
        return Err(Rejection::ActionItemResolved {
            goal: goal.clone(),
            item,
            status: match done {
                Resolution::Done => "done",
                Resolution::Dropped => "dropped",
            },
        });
    }
    if found.owner != ctx.actor {
        require_owner(state, g, &ctx.actor, "resolve another member's action item")?;
    }
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    match (status, note) {
        (Resolution::Dropped, None) => {
            return Err(Rejection::invalid(
                "reason",
                "dropping an action item needs a reason: say why it will not be done",
            ))
        }
        (_, Some(n)) => text("note", n, 1, 2000, true)?,
        (Resolution::Done, None) => {}
    }
    Ok(vec![ActionItemResolved {
        goal: goal.clone(),
        item,
        status,
        note: note.map(str::to_owned),
    }
    .into()])
}

pub(super) fn apply_post_mortem_noted(
    state: &mut State,
    meta: Meta<'_>,
    e: &PostMortemNoted,
) -> Result<(), String> {
    let goal = goal_mut(state, &e.goal)?;
    goal.notes += 1;
    if let (Some(item), Some(owner), Some(due)) = (e.item, &e.owner, e.due) {
        let item_at = ActionItem {
            text: e.text.clone(),
            owner: owner.clone(),
            due,
            seq: meta.seq,
            resolved: None,
        };
        if goal.action_items.insert(item, item_at).is_some() {
            return Err(format!("action item {item} of {} noted twice", e.goal));
        }
    }
    Ok(())
}

pub(super) fn apply_action_item_resolved(
    state: &mut State,
    e: &ActionItemResolved,
) -> Result<(), String> {
    let goal = goal_mut(state, &e.goal)?;
    match goal.action_items.get_mut(&e.item) {
        Some(item) if item.resolved.is_none() => {
            item.resolved = Some(e.status);
            Ok(())
        }
        _ => Err(format!(
            "action item {} of {} is not open to resolve",
            e.item, e.goal
        )),
    }
}
