//! Retrospectives as data: a goal's report (`goal.rs`) and a team's report over a period
//! (`team.rs`), built from the ledger's reads and the projections; their JSON is the structs'.
//! Rendering them (Markdown, HTML, SVG) is `render`'s work. `report` depends on `ledger` and
//! `projections`, never the reverse.

mod cycle;
mod goal;
mod team;

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{GoalId, StreamId, TeamId};
use crate::ledger::{Ledger, ReadError};

pub use cycle::{team_cycle_retro_of, CycleReview, FollowUp};
pub use goal::{
    goal_retro, Figures, GoalRetro, ItemResolved, KeyResultReport, NoteReport, Point, TargetStep,
};
pub use team::{team_retro, ActionItem, GoalLine, Lesson, TeamRetro};

fn days(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds() as f64 / 86_400.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A goal's retrospective read from `ledger` (`None` if there is no such goal).
pub fn goal_retro_of(ledger: &Ledger, id: &GoalId) -> Result<Option<GoalRetro>, ReadError> {
    let records = ledger.stream_records(&StreamId::Goal(id.clone()), u64::MAX)?;
    Ok(goal_retro(&records))
}

/// A team's retrospective over the goals it owns or owned, due or closed in the period
/// (`None` if there is no such team).
pub fn team_retro_of(
    ledger: &Ledger,
    team: &TeamId,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
) -> Result<Option<TeamRetro>, ReadError> {
    let goals: Option<Vec<GoalId>> = ledger.read(|s| {
        s.teams.contains_key(team).then(|| {
            s.goals
                .values()
                .filter(|g| g.ever_teams.contains(team))
                .map(|g| g.id.clone())
                .collect()
        })
    });
    let Some(goals) = goals else { return Ok(None) };
    let mut retros = Vec::new();
    for id in goals {
        retros.extend(goal_retro_of(ledger, &id)?);
    }
    Ok(Some(team_retro(team, since, until, &retros)))
}

/// What a team's report covers: a period, or a cycle.
#[derive(Debug, Clone, PartialEq)]
pub enum Span {
    /// The goals whose period (start to due) overlaps `since..until`.
    Period(Option<NaiveDate>, Option<NaiveDate>),
    /// The goals of a cycle, whatever day they closed, with the loop to the cycle before.
    Cycle(crate::domain::CycleName),
}

/// A team's report over `span` (`None` if there is no such team, or no such cycle).
pub fn team_report_of(
    ledger: &Ledger,
    team: &TeamId,
    span: &Span,
) -> Result<Option<TeamRetro>, ReadError> {
    match span {
        Span::Period(since, until) => team_retro_of(ledger, team, *since, *until),
        Span::Cycle(cycle) => team_cycle_retro_of(ledger, team, cycle),
    }
}
