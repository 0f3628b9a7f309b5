//! `adjust`: propose an adjustment of an active goal (targets, dates, key results, rule,
//! owners, parent), decided by the goal's consensus rule.

use super::{execute, Ctx};
use crate::cli::args::AdjustArgs;
use crate::cli::convert::{cadence, goal_id, key_results, opt_date, opt_time, team_id};
use crate::cli::error::{usage, CliError};
use crate::domain::{Changes, Command, KrName, Rule};
use crate::input;

pub async fn run(ctx: &Ctx<'_>, a: &AdjustArgs) -> Result<(), CliError> {
    let cmd = Command::ProposeAdjustment {
        goal: goal_id(&a.goal)?,
        changes: changes(a)?,
        reason: a.reason.clone(),
        closes_at: opt_time(&a.closes_at, false)?,
    };
    execute(ctx, cmd, &a.write).await
}

/// The changes the arguments ask for.
fn changes(a: &AdjustArgs) -> Result<Changes, CliError> {
    Ok(Changes {
        title: a.title.clone(),
        description: a.description.clone(),
        targets: a
            .targets
            .iter()
            .map(|t| input::kr_value(t))
            .collect::<Result<_, _>>()
            .map_err(usage)?,
        start: opt_date(&a.start)?,
        due: opt_date(&a.due)?,
        add_key_results: key_results(&a.add_key_results, &a.weights, "--add-kr")?,
        drop_key_results: a
            .drop_key_results
            .iter()
            .map(|k| KrName::parse(k))
            .collect::<Result<_, _>>()
            .map_err(usage)?,
        rule: a
            .rule
            .as_deref()
            .map(Rule::parse)
            .transpose()
            .map_err(usage)?,
        teams: if a.teams.is_empty() {
            None
        } else {
            Some(
                a.teams
                    .iter()
                    .map(|t| team_id(t))
                    .collect::<Result<_, _>>()?,
            )
        },
        parent: a.parent.as_deref().map(goal_id).transpose()?,
        cadence: cadence(&a.cadence)?,
    })
}
