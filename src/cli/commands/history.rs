//! `history`: why a goal changed: every change with before → after, reason, proposer, votes.

use super::Ctx;
use crate::cli::args::GoalArg;
use crate::cli::convert::goal_id;
use crate::cli::error::CliError;
use crate::cli::output;

pub async fn run(ctx: &Ctx<'_>, a: &GoalArg) -> Result<(), CliError> {
    let id = goal_id(&a.goal)?;
    let history = ctx.backend.history(&id).await?;
    ctx.out.print(&history, || output::history(&history))
}
