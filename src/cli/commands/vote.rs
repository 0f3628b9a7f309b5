//! `vote`: vote on a goal's open proposal (a later vote replaces the voter's earlier one).

use super::{execute, Ctx};
use crate::cli::args::VoteArgs;
use crate::cli::convert::goal_id;
use crate::cli::error::CliError;
use crate::domain::Command;

pub async fn run(ctx: &Ctx<'_>, a: &VoteArgs) -> Result<(), CliError> {
    let cmd = Command::CastVote {
        goal: goal_id(&a.goal)?,
        choice: a.choice.into(),
        reason: a.reason.clone(),
    };
    execute(ctx, cmd, &a.write).await
}
