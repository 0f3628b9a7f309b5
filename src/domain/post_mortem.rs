//! Post-mortem notes: once a goal is adopted, rejected or withdrawn, any team member may note a
//! lesson, kudos or an action item (which needs an owner and a due date). Decided by
//! `decide_note_post_mortem`, counted on the goal by `apply_post_mortem_noted`.

use chrono::NaiveDate;

use super::apply::goal_mut;
use super::command::Context;
use super::event::{Event, PostMortemNoted};
use super::goal::{GoalStatus, Section};
use super::ids::{Actor, GoalId};
use super::preconditions::find_goal;
use super::rejection::Rejection;
use super::state::State;
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
        return Err(Rejection::invalid(
            "actor",
            format!(
                "{} is not a member of any team; only team members write notes",
                ctx.actor
            ),
        ));
    }
    text("text", body, 1, 4000, true)?;
    match (section, owner, due) {
        (Section::ActionItem, Some(_), Some(_)) => {}
        (Section::ActionItem, _, _) => {
            return Err(Rejection::invalid(
                "owner",
                "an action item needs an owner and a due date",
            ))
        }
        (_, None, None) => {}
        _ => {
            return Err(Rejection::invalid(
                "owner",
                "owner and due date belong to action items only",
            ))
        }
    }
    Ok(vec![PostMortemNoted {
        goal: goal.clone(),
        section,
        text: body.trim().to_owned(),
        owner: owner.cloned(),
        due,
    }
    .into()])
}

pub(super) fn apply_post_mortem_noted(
    state: &mut State,
    e: &PostMortemNoted,
) -> Result<(), String> {
    let goal = goal_mut(state, &e.goal)?;
    goal.notes += 1;
    Ok(())
}
