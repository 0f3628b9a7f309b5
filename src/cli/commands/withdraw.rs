//! `withdraw`: withdraw a goal's open proposal, with a reason.

use super::{execute, Ctx};
use crate::cli::args::ReasonArgs;
use crate::cli::convert::goal_id;
use crate::cli::error::CliError;
use crate::domain::Command;

pub async fn run(ctx: &Ctx<'_>, a: &ReasonArgs) -> Result<(), CliError> {
    let cmd = Command::WithdrawProposal {
        goal: goal_id(&a.goal)?,
        reason: a.reason.clone(),
    };
    execute(ctx, cmd, &a.write).await
}
