//! `close`: close an active goal with its outcome, score, summary and final values.

use super::{execute, Ctx};
use crate::cli::args::CloseArgs;
use crate::cli::convert::goal_id;
use crate::cli::error::{usage, CliError};
use crate::domain::Command;
use crate::input;

pub async fn run(ctx: &Ctx<'_>, a: &CloseArgs) -> Result<(), CliError> {
    let cmd = Command::CloseGoal {
        goal: goal_id(&a.goal)?,
        outcome: a.outcome.into(),
        score: a.score,
        summary: a.summary.clone(),
        final_values: a
            .final_values
            .iter()
            .map(|t| input::kr_value(t))
            .collect::<Result<_, _>>()
            .map_err(usage)?,
    };
    execute(ctx, cmd, &a.write).await
}
