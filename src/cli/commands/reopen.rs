//! `reopen`: propose to reopen a closed goal, with a reason; it reopens when the owning teams
//! accept the proposal.

use super::{execute, Ctx};
use crate::cli::args::ReopenArgs;
use crate::cli::convert::{goal_id, opt_time};
use crate::cli::error::CliError;
use crate::domain::Command;

pub async fn run(ctx: &Ctx<'_>, a: &ReopenArgs) -> Result<(), CliError> {
    let cmd = Command::ReopenGoal {
        goal: goal_id(&a.goal)?,
        reason: a.reason.clone(),
        closes_at: opt_time(&a.closes_at, false)?,
    };
    execute(ctx, cmd, &a.write).await
}
