//! Check-ins: an owner records a key result's current value, health and confidence, possibly
//! correcting an earlier check-in. `decide_record_check_in` checks it, `apply_check_in_recorded`
//! makes it the key result's current reading.

use chrono::NaiveDate;

use super::apply::goal_mut;
use super::command::Context;
use super::event::{CheckInRecorded, Event};
use super::goal::{Current, Goal, GoalStatus, Health};
use super::ids::{GoalId, KrName};
use super::preconditions::{find_goal, find_key_result, require_owner, require_status};
use super::rejection::Rejection;
use super::state::{Meta, State};
use super::validate::{number, text};

/// What a check-in reports about its key result.
pub(super) struct Reading<'c> {
    pub value: f64,
    pub health: Health,
    pub confidence: Option<u8>,
    pub note: Option<&'c str>,
    /// The writer knows today is outside the goal's period and records it so.
    pub outside_period: bool,
}

pub(super) fn decide_record_check_in(
    state: &State,
    ctx: &Context,
    goal: &GoalId,
    key_result: &KrName,
    reading: Reading<'_>,
    corrects: Option<u64>,
) -> Result<Vec<Event>, Rejection> {
    let g = find_goal(state, goal)?;
    require_status(g, GoalStatus::Active, "check in on")?;
    require_owner(state, g, &ctx.actor, "check in")?;
    find_key_result(g, key_result)?;
    number("value", reading.value)?;
    within_period(g, ctx.now.date_naive(), reading.outside_period)?;
    if let Some(c) = reading.confidence {
        if c > 10 {
            return Err(Rejection::invalid(
                "confidence",
                format!("{c} is out of range: use 0 to 10"),
            ));
        }
    }
    if let Some(note) = reading.note {
        text("note", note, 0, 2000, true)?;
    }
    if let Some(seq) = corrects {
        let matches = ctx
            .corrected
            .as_ref()
            .is_some_and(|c| c.seq == seq && &c.goal == goal && &c.key_result == key_result);
        if !matches {
            return Err(Rejection::invalid(
                "corrects",
                format!("sequence {seq} is not a check-in of key result `{key_result}` on goal `{goal}`"),
            ));
        }
    }
    Ok(vec![CheckInRecorded {
        goal: goal.clone(),
        key_result: key_result.clone(),
        value: reading.value,
        health: reading.health,
        confidence: reading.confidence,
        note: reading
            .note
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty()),
        corrects,
        outside_period: reading.outside_period,
    }
    .into()])
}

/// A check-in is dated the day it is recorded. One before the goal's start is refused unless the
/// writer marks it as outside the period (it would be drawn at the start and read as a first
/// result). One after the due date is a late reading, which teams take when a quarter's numbers
/// arrive after it ended: taken while the goal is active, marked if the writer says so. A mark
/// on a check-in within the period would be false.
fn within_period(g: &Goal, today: NaiveDate, marked: bool) -> Result<(), Rejection> {
    let (start, due) = (g.definition.start, g.definition.due);
    if today < start && !marked {
        return Err(Rejection::invalid(
            "outside_period",
            format!(
                "today ({today}) is before goal `{}`'s period, {start} to {due}; to record this check-in anyway, marked as outside the period, pass --outside-period (HTTP: \"outside_period\": true), or adjust the goal's start",
                g.id
            ),
        ));
    }
    if marked && (start..=due).contains(&today) {
        return Err(Rejection::invalid(
            "outside_period",
            format!(
                "today ({today}) is within goal `{}`'s period, {start} to {due}; leave out the outside-period mark",
                g.id
            ),
        ));
    }
    Ok(())
}

pub(super) fn apply_check_in_recorded(
    state: &mut State,
    meta: Meta<'_>,
    e: &CheckInRecorded,
) -> Result<(), String> {
    let goal = goal_mut(state, &e.goal)?;
    goal.current.insert(
        e.key_result.clone(),
        Current {
            value: e.value,
            health: e.health,
            confidence: e.confidence,
            seq: meta.seq,
            at: meta.at,
            by: meta.actor.clone(),
        },
    );
    goal.check_ins += 1;
    Ok(())
}
