//! `timeline`: every event as a readable line, for a goal, a team or the whole ledger, within
//! `--since`/`--until`.

use serde_json::json;

use super::Ctx;
use crate::cli::args::TimelineArgs;
use crate::cli::convert::{goal_id, opt_time, team_id};
use crate::cli::error::CliError;
use crate::cli::output;
use crate::projections::timeline::Filter;

pub async fn run(ctx: &Ctx<'_>, a: &TimelineArgs) -> Result<(), CliError> {
    let filter = Filter {
        goal: a.goal.as_deref().map(goal_id).transpose()?,
        team: a.team.as_deref().map(team_id).transpose()?,
        since: opt_time(&a.since, false)?,
        until: opt_time(&a.until, true)?,
    };
    let entries = ctx.backend.timeline(&filter).await?;
    ctx.out.print(&json!({ "entries": entries }), || {
        output::timeline(&entries)
    })
}
