//! `import`: append an export's records to a data directory, verifying the chain as it goes
//! (records already present are skipped).

use super::Ctx;
use crate::cli::args::ImportArgs;
use crate::cli::error::CliError;
use crate::cli::printer::{count_lines, progress};

pub async fn run(ctx: &Ctx<'_>, a: &ImportArgs) -> Result<(), CliError> {
    let mut bar = progress("import", count_lines(&a.file));
    let summary = ctx
        .backend
        .local("import")?
        .import(&a.file, &mut bar)
        .await?;
    ctx.out.print(&summary, || {
        format!(
            "imported {} records ({} were already present); head is now {}\n",
            summary.appended, summary.already_present, summary.head
        )
    })
}
