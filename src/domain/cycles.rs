//! The quarter as a loop: opening and closing cycles, and carrying an unfinished goal into the
//! next one by agreement. A cycle closes with its figures, and not while any of its goals has a
//! proposal open; a carry-over is a proposal like any change, decided by the goal's rule, and
//! moves the goal with new dates and, per key result, a new baseline and target.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::apply::goal_mut;
use super::command::Context;
use super::cycle::{Carried, Cycle, CycleClosing};
use super::event::{
    CarryOverProposed, CycleClosed, CycleOpened, Event, GoalCarriedOver, PreviousResult,
};
use super::goal::{Direction, GoalStatus};
use super::ids::{CycleName, GoalId, KrName};
use super::preconditions::{
    find_goal, find_key_result, require_no_open_proposal, require_owner, require_status,
};
use super::proposal::{CarryTerms, ProposalKind, Rebase};
use super::rejection::Rejection;
use super::state::{Meta, State};
use super::validate::{check_closing, check_dates, number, text};
use super::voting::{electorate, open_on, Opening};

/// The longest cycle: a year and a little.
const MAX_CYCLE_DAYS: i64 = 400;

pub(super) fn decide_open_cycle(
    state: &State,
    cycle: &CycleName,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<Event>, Rejection> {
    if state.cycles.by_name.contains_key(cycle) {
        return Err(Rejection::invalid(
            "cycle",
            format!("cycle {cycle} already exists; pick another name"),
        ));
    }
    if end < start {
        return Err(Rejection::invalid(
            "end",
            format!("the cycle ends ({end}) before it starts ({start})"),
        ));
    }
    if (end - start).num_days() > MAX_CYCLE_DAYS {
        return Err(Rejection::invalid(
            "end",
            format!("a cycle lasts at most {MAX_CYCLE_DAYS} days; {start} to {end} is longer"),
        ));
    }
    if let Some(other) = state
        .cycles
        .by_name
        .values()
        .find(|c| c.start <= end && start <= c.end)
    {
        return Err(Rejection::invalid(
            "start",
            format!(
                "{start} to {end} overlaps cycle {} ({} to {}); cycles may not overlap",
                other.name, other.start, other.end
            ),
        ));
    }
    Ok(vec![CycleOpened {
        cycle: cycle.clone(),
        start,
        end,
    }
    .into()])
}

pub(super) fn decide_close_cycle(
    state: &State,
    cycle: &CycleName,
) -> Result<Vec<Event>, Rejection> {
    let c = state.cycle(cycle)?;
    if c.closed.is_some() {
        return Err(Rejection::invalid(
            "cycle",
            format!("cycle {cycle} is already closed"),
        ));
    }
    let open: Vec<String> = state
        .goals
        .values()
        .filter(|g| state.cycle_of(g) == Some(cycle))
        .filter_map(|g| {
            let p = g.open_proposal.as_ref()?;
            Some(format!("{} (proposal {}, {})", g.id, p.id, p.kind.name()))
        })
        .collect();
    if !open.is_empty() {
        return Err(Rejection::CycleHasOpenProposals {
            cycle: cycle.clone(),
            proposals: open.join(", "),
        });
    }
    Ok(vec![CycleClosed {
        cycle: cycle.clone(),
        figures: state.cycle_figures(cycle),
    }
    .into()])
}

pub(super) fn apply_cycle_opened(
    state: &mut State,
    meta: Meta<'_>,
    e: &CycleOpened,
) -> Result<(), String> {
    if state.cycles.by_name.contains_key(&e.cycle) {
        return Err(format!("cycle {} opened twice", e.cycle));
    }
    state.cycles.by_name.insert(
        e.cycle.clone(),
        Cycle {
            name: e.cycle.clone(),
            start: e.start,
            end: e.end,
            opened_by: meta.actor.clone(),
            opened_at: meta.at,
            seq: meta.seq,
            closed: None,
        },
    );
    Ok(())
}

pub(super) fn apply_cycle_closed(
    state: &mut State,
    meta: Meta<'_>,
    e: &CycleClosed,
) -> Result<(), String> {
    let cycle = state
        .cycles
        .by_name
        .get_mut(&e.cycle)
        .ok_or_else(|| format!("unknown cycle {}", e.cycle))?;
    if cycle.closed.is_some() {
        return Err(format!("cycle {} closed twice", e.cycle));
    }
    cycle.closed = Some(CycleClosing {
        figures: e.figures.clone(),
        seq: meta.seq,
        at: meta.at,
        by: meta.actor.clone(),
    });
    Ok(())
}

/// What a carry-over asks for; absent parts take their defaults (the next cycle, its dates,
/// the latest check-in as baseline, the current target).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CarryRequest {
    pub to: Option<CycleName>,
    pub start: Option<NaiveDate>,
    pub due: Option<NaiveDate>,
    pub baselines: BTreeMap<KrName, f64>,
    pub targets: BTreeMap<KrName, f64>,
}

pub(super) fn decide_carry_over(
    state: &State,
    ctx: &Context,
    goal: &GoalId,
    request: &CarryRequest,
    reason: &str,
    closes_at: Option<DateTime<Utc>>,
) -> Result<Vec<Event>, Rejection> {
    let g = find_goal(state, goal)?;
    require_status(g, GoalStatus::Active, "carry over")?;
    require_no_open_proposal(g)?;
    require_owner(state, g, &ctx.actor, "propose to carry it over")?;
    let from = state.cycle_of(g).cloned().ok_or_else(|| {
        Rejection::invalid(
            "goal",
            format!(
                "goal {goal} belongs to no cycle (none contains its start, {}); open one with `cycle open`",
                g.definition.start
            ),
        )
    })?;
    let to = match &request.to {
        Some(to) => state.cycle(to)?,
        None => state.cycles.next_after(&from).ok_or_else(|| {
            Rejection::invalid(
                "to",
                format!("no cycle follows {from}: open the next one first with `cycle open NAME --start DATE --end DATE`"),
            )
        })?,
    };
    let from_end = state.cycles.by_name[&from].end;
    if to.start <= from_end {
        return Err(Rejection::invalid(
            "to",
            format!("cycle {} does not start after {from} ends ({from_end}); a goal is carried into a later cycle", to.name),
        ));
    }
    if to.closed.is_some() {
        return Err(Rejection::invalid(
            "to",
            format!(
                "cycle {} is closed; carry the goal into an open one",
                to.name
            ),
        ));
    }
    let start = request.start.unwrap_or(to.start);
    let due = request.due.unwrap_or(to.end);
    check_dates(start, due)?;
    let key_results = rebased(g, request)?;
    text("reason", reason, 1, 2000, true)?;
    check_closing(closes_at, ctx.now)?;
    Ok(vec![CarryOverProposed {
        goal: goal.clone(),
        proposal: g.proposals + 1,
        from,
        to: to.name.clone(),
        start,
        due,
        key_results,
        reason: reason.trim().to_owned(),
        rule: g.rule,
        electorate: electorate(state, &g.definition.teams),
        closes_at,
    }
    .into()])
}

/// Every key result's baseline and target in the next cycle: as asked, else the latest
/// check-in (or the old baseline) and the current target.
fn rebased(
    g: &super::goal::Goal,
    request: &CarryRequest,
) -> Result<BTreeMap<KrName, Rebase>, Rejection> {
    for (field, values) in [
        ("baseline", &request.baselines),
        ("target", &request.targets),
    ] {
        for (kr, value) in values {
            find_key_result(g, kr)?;
            number(&format!("{field} of {kr}"), *value)?;
        }
    }
    let mut out = BTreeMap::new();
    for kr in &g.definition.key_results {
        let latest = g.current.get(&kr.name).map_or(kr.baseline, |c| c.value);
        let rebase = Rebase {
            baseline: request.baselines.get(&kr.name).copied().unwrap_or(latest),
            target: request.targets.get(&kr.name).copied().unwrap_or(kr.target),
        };
        if rebase.baseline == rebase.target {
            return Err(Rejection::invalid(
                format!("key_results.{}", kr.name),
                format!(
                    "the new baseline and target of {} are both {}: give it a target to move toward (--target {}=VALUE)",
                    kr.name, rebase.target, kr.name
                ),
            ));
        }
        out.insert(kr.name.clone(), rebase);
    }
    Ok(out)
}

pub(super) fn apply_carry_over_proposed(
    state: &mut State,
    meta: Meta<'_>,
    e: &CarryOverProposed,
) -> Result<(), String> {
    let opening = Opening {
        id: e.proposal,
        kind: ProposalKind::CarryOver {
            carry: Box::new(CarryTerms {
                from: e.from.clone(),
                to: e.to.clone(),
                start: e.start,
                due: e.due,
                key_results: e.key_results.clone(),
            }),
        },
        rule: e.rule,
        electorate: &e.electorate,
        reason: &e.reason,
        closes_at: e.closes_at,
    };
    open_on(state, meta, &e.goal, opening)
}

/// The event an accepted carry-over takes effect with, with the goal's standing in the cycle
/// it leaves.
pub(super) fn carried_over(
    goal: &super::goal::Goal,
    proposal: u32,
    carry: &CarryTerms,
) -> GoalCarriedOver {
    let previous = goal
        .definition
        .key_results
        .iter()
        .map(|kr| {
            let value = goal.current.get(&kr.name).map_or(kr.baseline, |c| c.value);
            let result = PreviousResult {
                value,
                progress: kr.progress(value),
            };
            (kr.name.clone(), result)
        })
        .collect();
    GoalCarriedOver {
        goal: goal.id.clone(),
        proposal,
        from: carry.from.clone(),
        to: carry.to.clone(),
        start: carry.start,
        due: carry.due,
        key_results: carry.key_results.clone(),
        previous,
    }
}

pub(super) fn apply_goal_carried_over(
    state: &mut State,
    meta: Meta<'_>,
    e: &GoalCarriedOver,
) -> Result<(), String> {
    let goal = goal_mut(state, &e.goal)?;
    goal.definition.start = e.start;
    goal.definition.due = e.due;
    for kr in &mut goal.definition.key_results {
        if let Some(r) = e.key_results.get(&kr.name) {
            kr.baseline = r.baseline;
            kr.target = r.target;
            kr.direction = Direction::between(r.baseline, r.target);
        }
    }
    goal.cycle = Some(e.to.clone());
    goal.carried.push(Carried {
        from: e.from.clone(),
        to: e.to.clone(),
        seq: meta.seq,
        at: meta.at,
    });
    Ok(())
}
