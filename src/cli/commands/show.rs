//! `show`: one goal now, or as it was at a time (`--as-of`) or sequence number (`--at-seq`).

use super::Ctx;
use crate::cli::args::ShowArgs;
use crate::cli::convert::goal_id;
use crate::cli::error::{usage, CliError};
use crate::cli::output;
use crate::input;
use crate::ledger::AsOf;

pub async fn run(ctx: &Ctx<'_>, a: &ShowArgs) -> Result<(), CliError> {
    let id = goal_id(&a.goal)?;
    let as_of = match (&a.as_of, a.at_seq) {
        (Some(t), _) => Some(AsOf::Time(input::time(t, true).map_err(usage)?)),
        (None, Some(seq)) => Some(AsOf::Seq(seq)),
        (None, None) => None,
    };
    let view = ctx.backend.goal(&id, as_of).await?;
    ctx.out.print(&view, || output::goal(&view))
}
