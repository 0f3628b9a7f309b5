//! Cycles: named periods (quarters) that goals belong to. A goal's cycle is the one it was
//! proposed into or carried into, else the cycle whose dates contain its start. Closing a cycle
//! records its figures (`CycleFigures`), counted here from the state alone.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::event::Resolution;
use super::goal::{ClosingOutcome, Goal, GoalStatus};
use super::ids::{Actor, CycleName};
use super::rejection::Rejection;
use super::state::State;

/// A cycle as the ledger knows it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cycle {
    pub name: CycleName,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub opened_by: Actor,
    pub opened_at: DateTime<Utc>,
    pub seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<CycleClosing>,
}

impl Cycle {
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start <= day && day <= self.end
    }
}

/// How and when a cycle was closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CycleClosing {
    pub figures: CycleFigures,
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub by: Actor,
}

/// A cycle's figures when it closed: its adopted goals and how they ended, what was carried
/// into the next cycle, and how its action items stand.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CycleFigures {
    /// Adopted goals of the cycle, those carried out of it included.
    pub goals: u32,
    pub achieved: u32,
    pub partial: u32,
    pub missed: u32,
    pub dropped: u32,
    /// Still active in this cycle: neither closed nor carried over.
    pub unfinished: u32,
    /// Carried into a later cycle.
    pub carried_over: u32,
    /// Achieved goals out of the closed ones (as a team retrospective counts it); absent
    /// while none has closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hit_rate: Option<f64>,
    /// The mean score of the closed goals; absent when none closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_score: Option<f64>,
    pub action_items_done: u32,
    pub action_items_dropped: u32,
    pub action_items_open: u32,
}

/// Every cycle by name, and the cycles stream's version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cycles {
    pub by_name: BTreeMap<CycleName, Cycle>,
    pub version: u64,
}

impl Cycles {
    /// The cycle whose dates contain `day` (cycles never overlap, so there is at most one).
    pub fn containing(&self, day: NaiveDate) -> Option<&Cycle> {
        self.by_name.values().find(|c| c.contains(day))
    }

    /// The first cycle that starts after `name` ends.
    pub fn next_after(&self, name: &CycleName) -> Option<&Cycle> {
        let end = self.by_name.get(name)?.end;
        self.by_name
            .values()
            .filter(|c| c.start > end)
            .min_by_key(|c| c.start)
    }

    /// The last cycle that ends before `name` starts.
    pub fn previous(&self, name: &CycleName) -> Option<&Cycle> {
        let start = self.by_name.get(name)?.start;
        self.by_name
            .values()
            .filter(|c| c.end < start)
            .max_by_key(|c| c.end)
    }

    /// Every cycle, earliest first.
    pub fn in_order(&self) -> Vec<&Cycle> {
        let mut cycles: Vec<&Cycle> = self.by_name.values().collect();
        cycles.sort_by_key(|c| c.start);
        cycles
    }
}

/// A move of a goal from one cycle into the next, by an accepted carry-over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Carried {
    pub from: CycleName,
    pub to: CycleName,
    pub seq: u64,
    pub at: DateTime<Utc>,
}

impl State {
    /// The cycle `name`, or "there is no cycle …" with the ones there are.
    pub fn cycle(&self, name: &CycleName) -> Result<&Cycle, Rejection> {
        self.cycles.by_name.get(name).ok_or_else(|| {
            let known: Vec<&str> = self
                .cycles
                .in_order()
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            Rejection::UnknownCycle {
                cycle: name.clone(),
                known: match known.is_empty() {
                    true => "none is open yet".to_owned(),
                    false => format!("there are: {}", known.join(", ")),
                },
            }
        })
    }

    /// The cycle `goal` belongs to now: the one it was proposed or carried into, else the one
    /// containing its start.
    pub fn cycle_of<'s>(&'s self, goal: &'s Goal) -> Option<&'s CycleName> {
        goal.cycle.as_ref().or_else(|| {
            self.cycles
                .containing(goal.definition.start)
                .map(|c| &c.name)
        })
    }

    /// The adopted goals that belong to `cycle` or were carried out of it, by id.
    pub fn goals_of_cycle(&self, cycle: &CycleName) -> Vec<&Goal> {
        self.goals
            .values()
            .filter(|g| matches!(g.status, GoalStatus::Active | GoalStatus::Closed))
            .filter(|g| {
                self.cycle_of(g) == Some(cycle) || g.carried.iter().any(|c| &c.from == cycle)
            })
            .collect()
    }

    /// The figures of `cycle` as the state has them now.
    pub fn cycle_figures(&self, cycle: &CycleName) -> CycleFigures {
        let mut f = CycleFigures::default();
        let mut scores = Vec::new();
        for g in self.goals_of_cycle(cycle) {
            f.goals += 1;
            if self.cycle_of(g) != Some(cycle) {
                f.carried_over += 1;
            } else if let Some(closing) = &g.closing {
                scores.push(closing.score);
                match closing.outcome {
                    ClosingOutcome::Achieved => f.achieved += 1,
                    ClosingOutcome::Partial => f.partial += 1,
                    ClosingOutcome::Missed => f.missed += 1,
                    ClosingOutcome::Dropped => f.dropped += 1,
                }
            } else {
                f.unfinished += 1;
            }
            for item in g.action_items.values() {
                match item.resolved {
                    Some(Resolution::Done) => f.action_items_done += 1,
                    Some(Resolution::Dropped) => f.action_items_dropped += 1,
                    None => f.action_items_open += 1,
                }
            }
        }
        let closed = f.achieved + f.partial + f.missed + f.dropped;
        if closed > 0 {
            f.hit_rate = Some(f64::from(f.achieved) / f64::from(closed));
        }
        if !scores.is_empty() {
            f.average_score = Some(scores.iter().sum::<f64>() / scores.len() as f64);
        }
        f
    }
}
