//! A team's retrospective of one cycle: the cycle's goals whatever day they closed, and the
//! loop with the cycle before it: the hit rate then and now, the goals carried over, and
//! follow-through on the action items the previous reviews left (done, dropped, still open).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::team::summarise;
use super::{goal_retro_of, round2, GoalRetro, TeamRetro};
use crate::domain::{Actor, ClosingOutcome, CycleName, GoalId, Resolution, Section, TeamId};
use crate::ledger::{Ledger, ReadError};

/// The loop between a cycle and the one before it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CycleReview {
    pub cycle: CycleName,
    pub start: NaiveDate,
    pub end: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<CycleName>,
    /// The team's hit rate in the previous cycle (achieved out of closed goals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_hit_rate: Option<f64>,
    /// Goals carried into this cycle from an earlier one.
    pub carried_in: Vec<GoalId>,
    /// Goals carried out of this cycle into a later one.
    pub carried_out: Vec<GoalId>,
    /// "Did we do what we said we'd do?": the action items of earlier cycles' goals, done,
    /// dropped or still open.
    pub follow_up: Vec<FollowUp>,
}

/// An action item of an earlier cycle and how it stands.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FollowUp {
    pub goal: GoalId,
    pub cycle: CycleName,
    pub item: Option<u32>,
    pub text: String,
    pub owner: Option<Actor>,
    pub due: Option<NaiveDate>,
    /// `done`, `dropped` or `open`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The goals the team owns or owned that belong to each cycle, by cycle (`None` if there is no
/// such team or cycle).
struct Selection {
    cycle: (CycleName, NaiveDate, NaiveDate),
    previous: Option<CycleName>,
    now: Vec<GoalId>,
    before: Vec<(CycleName, GoalId)>,
    carried_in: Vec<GoalId>,
    carried_out: Vec<GoalId>,
}

fn select(ledger: &Ledger, team: &TeamId, cycle: &CycleName) -> Option<Selection> {
    ledger.read(|s| {
        s.teams.get(team)?;
        let c = s.cycles.by_name.get(cycle)?;
        let now: Vec<&crate::domain::Goal> = s
            .goals_of_cycle(cycle)
            .into_iter()
            .filter(|g| g.ever_teams.contains(team))
            .collect();
        let earlier: Vec<&crate::domain::Cycle> = s
            .cycles
            .in_order()
            .into_iter()
            .filter(|e| e.end < c.start)
            .collect();
        let mut before = Vec::new();
        for e in &earlier {
            let theirs = s.goals_of_cycle(&e.name);
            for g in theirs.iter().filter(|g| g.ever_teams.contains(team)) {
                before.push((e.name.clone(), g.id.clone()));
            }
        }
        Some(Selection {
            cycle: (c.name.clone(), c.start, c.end),
            previous: s.cycles.previous(cycle).map(|p| p.name.clone()),
            carried_in: now
                .iter()
                .filter(|g| g.carried.iter().any(|m| &m.to == cycle))
                .map(|g| g.id.clone())
                .collect(),
            carried_out: now
                .iter()
                .filter(|g| g.carried.iter().any(|m| &m.from == cycle))
                .map(|g| g.id.clone())
                .collect(),
            now: now.iter().map(|g| g.id.clone()).collect(),
            before,
        })
    })
}

/// A team's retrospective of `cycle` (`None` if there is no such team or cycle).
pub fn team_cycle_retro_of(
    ledger: &Ledger,
    team: &TeamId,
    cycle: &CycleName,
) -> Result<Option<TeamRetro>, ReadError> {
    let Some(sel) = select(ledger, team, cycle) else {
        return Ok(None);
    };
    let mut now = Vec::new();
    for id in &sel.now {
        now.extend(goal_retro_of(ledger, id)?);
    }
    let mut before: Vec<(CycleName, GoalRetro)> = Vec::new();
    for (c, id) in &sel.before {
        before.extend(goal_retro_of(ledger, id)?.map(|r| (c.clone(), r)));
    }
    let (name, start, end) = sel.cycle;
    let chosen: Vec<&GoalRetro> = now.iter().collect();
    let mut retro = summarise(team, Some(start), Some(end), &chosen);
    let previous: Vec<&GoalRetro> = before
        .iter()
        .filter(|(c, _)| Some(c) == sel.previous.as_ref())
        .map(|(_, r)| r)
        .collect();
    retro.cycle = Some(CycleReview {
        cycle: name,
        start,
        end,
        previous_hit_rate: hit_rate(&previous),
        previous: sel.previous.clone(),
        carried_in: sel.carried_in,
        carried_out: sel.carried_out,
        follow_up: follow_up(&before, sel.previous.as_ref()),
    });
    Ok(Some(retro))
}

fn hit_rate(goals: &[&GoalRetro]) -> Option<f64> {
    let closed: Vec<_> = goals.iter().filter(|g| g.outcome.is_some()).collect();
    (!closed.is_empty()).then(|| {
        let hits = closed
            .iter()
            .filter(|g| g.outcome == Some(ClosingOutcome::Achieved))
            .count();
        round2(hits as f64 / closed.len() as f64)
    })
}

/// Every action item of the previous cycle's goals, and the still-open ones of cycles before
/// it (an open item follows into every later review until it is resolved).
fn follow_up(before: &[(CycleName, GoalRetro)], previous: Option<&CycleName>) -> Vec<FollowUp> {
    let mut out = Vec::new();
    for (cycle, g) in before {
        for n in g.notes.iter().filter(|n| n.section == Section::ActionItem) {
            let open = n.resolved.is_none();
            if !open && Some(cycle) != previous {
                continue;
            }
            out.push(FollowUp {
                goal: g.goal.clone(),
                cycle: cycle.clone(),
                item: n.item,
                text: n.text.clone(),
                owner: n.owner.clone(),
                due: n.due,
                status: match n.resolved.as_ref().map(|r| r.status) {
                    Some(Resolution::Done) => "done",
                    Some(Resolution::Dropped) => "dropped",
                    None => "open",
                }
                .to_owned(),
                note: n.resolved.as_ref().and_then(|r| r.note.clone()),
            });
        }
    }
    out
}
