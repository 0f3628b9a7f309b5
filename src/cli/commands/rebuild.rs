//! `rebuild`: recompute every projection from the records.

use serde_json::json;

use super::Ctx;
use crate::cli::error::CliError;
use crate::cli::printer::progress;

pub async fn run(ctx: &Ctx<'_>) -> Result<(), CliError> {
    let ledger = ctx.backend.local("rebuild")?;
    let bar = progress("rebuild", Some(ledger.digest().seq));
    let n = ledger.rebuild(Box::new(bar)).await?;
    let goals = ledger.read(|s| s.goals.len());
    ctx.out.print(&json!({"replayed": n, "goals": goals}), || {
        format!("rebuilt the projections from {n} records ({goals} goals)\n")
    })
}
