//! `retro`: a goal's or a team's retrospective, as Markdown, HTML or JSON.

use super::Ctx;
use crate::cli::args::{Format, ReportFormat, RetroArgs};
use crate::cli::convert::{cycle_name, goal_id, opt_date, team_id};
use crate::cli::error::CliError;
use crate::cli::printer;
use crate::report::Span;

pub async fn run(ctx: &Ctx<'_>, a: &RetroArgs) -> Result<(), CliError> {
    let format = match (a.format, ctx.out.0) {
        (Some(f), _) => f,
        (None, Format::Json) => ReportFormat::Json,
        (None, Format::Table) => ReportFormat::Md,
    };
    let text = match &a.goal {
        Some(goal) => ctx.backend.goal_retro(&goal_id(goal)?, format).await?,
        None => {
            let team = team_id(a.team.as_deref().unwrap_or(""))?;
            let span = match &a.cycle {
                Some(cycle) => Span::Cycle(cycle_name(cycle)?),
                None => Span::Period(opt_date(&a.since)?, opt_date(&a.until)?),
            };
            ctx.backend.team_retro(&team, &span, format).await?
        }
    };
    printer::raw(text.as_bytes());
    Ok(())
}
