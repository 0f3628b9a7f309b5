//! `close`: propose to close an active goal with its outcome, score, summary and final values;
//! the goal closes when the owning teams accept the proposal.

use super::{execute, Ctx};
use crate::cli::args::CloseArgs;
use crate::cli::convert::{goal_id, opt_time};
use crate::cli::error::{usage, CliError};
use crate::domain::{ClosingTerms, Command};
use crate::input;

pub async fn run(ctx: &Ctx<'_>, a: &CloseArgs) -> Result<(), CliError> {
    let terms = ClosingTerms {
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
    let cmd = Command::CloseGoal {
        goal: goal_id(&a.goal)?,
        terms,
        closes_at: opt_time(&a.closes_at, false)?,
    };
    execute(ctx, cmd, &a.write).await
}
