//! A team's retrospective over a period: its data (`TeamRetro`, a stable JSON shape) and how it
//! is built from the retrospectives of the goals the team owns or owned: hit rate, average score,
//! adjustments per goal, the open action items and the lessons.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{round2, GoalRetro};
use crate::domain::{Actor, ClosingOutcome, GoalId, GoalStatus, Section, TeamId};

/// One goal in a period report.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GoalLine {
    pub goal: GoalId,
    pub title: String,
    pub status: GoalStatus,
    pub outcome: Option<ClosingOutcome>,
    pub score: Option<f64>,
    pub adjustments: u32,
    pub due: NaiveDate,
}

/// An open action item across goals.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ActionItem {
    pub goal: GoalId,
    pub text: String,
    pub owner: Option<Actor>,
    pub due: Option<NaiveDate>,
}

/// A lesson, with the goal it came from.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Lesson {
    pub goal: GoalId,
    pub text: String,
    pub by: Actor,
}

/// A team's retrospective over a period: the adopted goals it owned whose period (start to due,
/// as they ended) overlaps it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TeamRetro {
    pub team: TeamId,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub goals: Vec<GoalLine>,
    /// Closed goals achieved, out of closed goals.
    pub hit_rate: Option<f64>,
    pub average_score: Option<f64>,
    pub adjustments_per_goal: Option<f64>,
    pub action_items: Vec<ActionItem>,
    pub lessons: Vec<Lesson>,
    /// A cycle's report only: the loop with the cycle before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycle: Option<super::cycle::CycleReview>,
}

/// Builds a team's period report from the retrospectives of the goals it owns or owned.
pub fn team_retro(
    team: &TeamId,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
    goals: &[GoalRetro],
) -> TeamRetro {
    let in_period = |g: &&GoalRetro| {
        if g.adopted_at.is_none() {
            // Never adopted (rejected or withdrawn): nothing to reflect on here.
            return false;
        }
        // The goal's period as it ended overlaps the range, whenever it was closed (a Q3 goal
        // closed in October belongs to Q3's report).
        let (start, due) = (g.as_ended.start, g.as_ended.due);
        since.is_none_or(|s| due >= s) && until.is_none_or(|u| start <= u)
    };
    let chosen: Vec<&GoalRetro> = goals.iter().filter(in_period).collect();
    summarise(team, since, until, &chosen)
}

/// The report over `chosen`, the goals already picked for it.
pub fn summarise(
    team: &TeamId,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
    chosen: &[&GoalRetro],
) -> TeamRetro {
    let closed: Vec<&&GoalRetro> = chosen.iter().filter(|g| g.outcome.is_some()).collect();
    let scores: Vec<f64> = closed.iter().filter_map(|g| g.score).collect();
    let mean =
        |xs: &[f64]| (!xs.is_empty()).then(|| round2(xs.iter().sum::<f64>() / xs.len() as f64));
    TeamRetro {
        team: team.clone(),
        since,
        until,
        goals: chosen
            .iter()
            .map(|g| GoalLine {
                goal: g.goal.clone(),
                title: g.title.clone(),
                status: g.status,
                outcome: g.outcome,
                score: g.score,
                adjustments: g.figures.adjustments,
                due: g.as_ended.due,
            })
            .collect(),
        hit_rate: (!closed.is_empty()).then(|| {
            let hits = closed
                .iter()
                .filter(|g| g.outcome == Some(ClosingOutcome::Achieved))
                .count();
            round2(hits as f64 / closed.len() as f64)
        }),
        average_score: mean(&scores),
        adjustments_per_goal: mean(
            &chosen
                .iter()
                .map(|g| f64::from(g.figures.adjustments))
                .collect::<Vec<_>>(),
        ),
        action_items: chosen
            .iter()
            .flat_map(|g| {
                g.notes
                    .iter()
                    .filter(|n| n.section == Section::ActionItem && n.resolved.is_none())
                    .map(|n| ActionItem {
                        goal: g.goal.clone(),
                        text: n.text.clone(),
                        owner: n.owner.clone(),
                        due: n.due,
                    })
            })
            .collect(),
        lessons: chosen
            .iter()
            .flat_map(|g| {
                g.notes
                    .iter()
                    .filter(|n| n.section == Section::Lesson)
                    .map(|n| Lesson {
                        goal: g.goal.clone(),
                        text: n.text.clone(),
                        by: n.by.clone(),
                    })
            })
            .collect(),
        cycle: None,
    }
}
