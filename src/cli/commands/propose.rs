//! `propose`: propose a goal; its owning teams' members then vote on adopting it.

use super::{execute, Ctx};
use crate::cli::args::ProposeArgs;
use crate::cli::convert::{cadence, cycle_name, goal_id, key_results, opt_time, team_id};
use crate::cli::error::{usage, CliError};
use crate::domain::{Command, GoalDraft, Rule};
use crate::input;

pub async fn run(ctx: &Ctx<'_>, a: &ProposeArgs) -> Result<(), CliError> {
    let draft = GoalDraft {
        title: a.title.clone(),
        description: a.description.clone(),
        teams: a
            .teams
            .iter()
            .map(|t| team_id(t))
            .collect::<Result<_, _>>()?,
        parent: a.parent.as_deref().map(goal_id).transpose()?,
        start: input::date(&a.start).map_err(usage)?,
        due: input::date(&a.due).map_err(usage)?,
        key_results: key_results(&a.key_results, &a.weights, "--kr")?,
        cycle: a.cycle.as_deref().map(cycle_name).transpose()?,
        cadence: cadence(&a.cadence)?,
    };
    let cmd = Command::ProposeGoal {
        goal: goal_id(&a.goal)?,
        draft,
        rule: Rule::parse(&a.rule).map_err(usage)?,
        reason: a.reason.clone(),
        closes_at: opt_time(&a.closes_at, false)?,
    };
    execute(ctx, cmd, &a.write).await
}
