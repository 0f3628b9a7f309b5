//! `note`: write a post-mortem note (went well, went wrong, lesson, action item, kudos).

use super::{execute, Ctx};
use crate::cli::args::NoteArgs;
use crate::cli::convert::{actor_name, goal_id, opt_date};
use crate::cli::error::CliError;
use crate::domain::Command;

pub async fn run(ctx: &Ctx<'_>, a: &NoteArgs) -> Result<(), CliError> {
    let cmd = Command::NotePostMortem {
        goal: goal_id(&a.goal)?,
        section: a.section.into(),
        text: a.text.clone(),
        owner: a.owner.as_deref().map(actor_name).transpose()?,
        due: opt_date(&a.due)?,
    };
    execute(ctx, cmd, &a.write).await
}
