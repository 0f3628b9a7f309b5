//! `note`: write a post-mortem note (went well, went wrong, lesson, action item, kudos). An
//! action item's answer names its number, which `action done|drop` takes.

use serde_json::json;

use super::Ctx;
use crate::cli::args::NoteArgs;
use crate::cli::convert::{actor_name, goal_id, opt_date};
use crate::cli::error::{usage, CliError};
use crate::cli::output;
use crate::domain::{Command, EventId};

pub async fn run(ctx: &Ctx<'_>, a: &NoteArgs) -> Result<(), CliError> {
    let goal = goal_id(&a.goal)?;
    let cmd = Command::NotePostMortem {
        goal: goal.clone(),
        section: a.section.into(),
        text: a.text.clone(),
        owner: a.owner.as_deref().map(actor_name).transpose()?,
        due: opt_date(&a.due)?,
    };
    let id = a
        .write
        .event_id
        .as_deref()
        .map(EventId::parse)
        .transpose()
        .map_err(usage)?;
    let answer = ctx.backend.execute(cmd, id, a.write.expect_version).await?;
    let item = answer.goal.as_ref().and_then(|g| {
        g.action_items
            .iter()
            .find(|i| answer.appended.seqs.contains(&i.seq))
            .map(|i| i.item)
    });
    let value = json!({ "appended": answer.appended, "goal": answer.goal, "item": item });
    ctx.out.print(&value, || {
        let resolve = item
            .map(|n| {
                format!("action item {n} of {goal}: resolve it with `goal-ledger action done {goal} {n}` (or `action drop … --reason`)\n")
            })
            .unwrap_or_default();
        output::appended(&answer.appended) + &resolve
    })
}
