//! `list`: the goals, optionally by status and team.

use serde_json::json;

use super::Ctx;
use crate::cli::args::ListArgs;
use crate::cli::convert::cycle_name;
use crate::cli::convert::team_id;
use crate::cli::error::{usage, CliError};
use crate::cli::output;
use crate::domain::GoalStatus;
use crate::projections::views::GoalFilter;

pub async fn run(ctx: &Ctx<'_>, a: &ListArgs) -> Result<(), CliError> {
    let filter = GoalFilter {
        status: a
            .status
            .as_deref()
            .map(str::parse::<GoalStatus>)
            .transpose()
            .map_err(usage)?,
        team: a.team.as_deref().map(team_id).transpose()?,
        cycle: a.cycle.as_deref().map(cycle_name).transpose()?,
    };
    let goals = ctx.backend.goals(&filter).await?;
    ctx.out
        .print(&json!({ "goals": goals }), || output::goals(&goals))
}
