//! `due`: what is waiting for a person (`--actor`, or the token's holder with --server) or a
//! team (`--team`): check-ins due or overdue, votes, action items, proposals closing soon.

use super::Ctx;
use crate::cli::args::DueArgs;
use crate::cli::convert::{actor_name, team_id};
use crate::cli::cycle_output;
use crate::cli::error::CliError;
use crate::projections::due::Whose;

pub async fn run(ctx: &Ctx<'_>, a: &DueArgs) -> Result<(), CliError> {
    let whose = match (&a.team, &ctx.cli.actor) {
        (Some(team), _) => Some(Whose::Team(team_id(team)?)),
        (None, Some(actor)) => Some(Whose::Person(actor_name(actor)?)),
        (None, None) => None,
    };
    let list = ctx.backend.due(whose).await?;
    ctx.out.print(&list, || cycle_output::due(&list))
}
