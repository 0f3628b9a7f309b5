//! `carry-over`: propose to carry an active goal into a later cycle, decided by its rule.

use super::{execute, Ctx};
use crate::cli::args::CarryOverArgs;
use crate::cli::convert::{cycle_name, goal_id, opt_date, opt_time};
use crate::cli::error::{usage, CliError};
use crate::domain::{CarryRequest, Command};
use crate::input;

pub async fn run(ctx: &Ctx<'_>, a: &CarryOverArgs) -> Result<(), CliError> {
    let pairs = |values: &[String]| {
        values
            .iter()
            .map(|t| input::kr_value(t))
            .collect::<Result<_, _>>()
            .map_err(usage)
    };
    let cmd = Command::CarryOver {
        goal: goal_id(&a.goal)?,
        request: CarryRequest {
            to: a.to.as_deref().map(cycle_name).transpose()?,
            start: opt_date(&a.start)?,
            due: opt_date(&a.due)?,
            baselines: pairs(&a.baselines)?,
            targets: pairs(&a.targets)?,
        },
        reason: a.reason.clone(),
        closes_at: opt_time(&a.closes_at, false)?,
    };
    execute(ctx, cmd, &a.write).await
}
