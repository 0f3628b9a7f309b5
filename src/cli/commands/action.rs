//! `action done|drop`: resolve a post-mortem action item, by its number on the goal. Dropping
//! needs a reason; either is recorded once, by whoever resolved it.

use super::{execute, Ctx};
use crate::cli::args::ActionCmd;
use crate::cli::convert::goal_id;
use crate::cli::error::CliError;
use crate::domain::{Command, Resolution};

pub async fn run(ctx: &Ctx<'_>, cmd: &ActionCmd) -> Result<(), CliError> {
    let (goal, item, status, note, write) = match cmd {
        ActionCmd::Done {
            goal,
            item,
            note,
            write,
        } => (goal, item, Resolution::Done, note.clone(), write),
        ActionCmd::Drop {
            goal,
            item,
            reason,
            write,
        } => (goal, item, Resolution::Dropped, Some(reason.clone()), write),
    };
    let command = Command::ResolveActionItem {
        goal: goal_id(goal)?,
        item: *item,
        status,
        note,
    };
    execute(ctx, command, write).await
}
