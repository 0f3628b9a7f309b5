//! `cycle open|close|list|show`: the cycles goals belong to. Opening and closing are admin
//! writes on the record; closing records the cycle's figures.

use super::{execute, Ctx};
use crate::cli::args::CycleCmd;
use crate::cli::convert::cycle_name;
use crate::cli::cycle_output;
use crate::cli::error::{usage, CliError};
use crate::domain::Command;
use crate::input;

pub async fn run(ctx: &Ctx<'_>, cmd: &CycleCmd) -> Result<(), CliError> {
    match cmd {
        CycleCmd::Open {
            name,
            start,
            end,
            write,
        } => {
            let cmd = Command::OpenCycle {
                cycle: cycle_name(name)?,
                start: input::date(start).map_err(usage)?,
                end: input::date(end).map_err(usage)?,
            };
            execute(ctx, cmd, write).await
        }
        CycleCmd::Close { name, write } => {
            let cmd = Command::CloseCycle {
                cycle: cycle_name(name)?,
            };
            execute(ctx, cmd, write).await
        }
        CycleCmd::List => {
            let cycles = ctx.backend.cycles().await?;
            ctx.out.print(&serde_json::json!({ "cycles": cycles }), || {
                cycle_output::cycles(&cycles)
            })
        }
        CycleCmd::Show { name } => {
            let cycle = ctx.backend.cycle(&cycle_name(name)?).await?;
            ctx.out.print(&cycle, || cycle_output::cycle(&cycle))
        }
    }
}
