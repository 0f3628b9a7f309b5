//! `import`: append an export's records to a data directory, verifying the chain as it goes
//! (records already present are skipped); with `--checkpoint`, refused unless the file has the
//! checkpoint's root at its size.

use super::proofs::{read_checkpoint, trusted_key};
use super::Ctx;
use crate::cli::args::ImportArgs;
use crate::cli::error::CliError;
use crate::cli::printer::{count_lines, progress};

pub async fn run(ctx: &Ctx<'_>, a: &ImportArgs) -> Result<(), CliError> {
    let ledger = ctx.backend.local("import")?;
    let checkpoint = match &a.checkpoint {
        Some(file) => Some(read_checkpoint(
            file,
            &trusted_key(&a.key, &ctx.cli.data_dir)?,
        )?),
        None => None,
    };
    let mut bar = progress("import", count_lines(&a.file));
    let summary = ledger.import_against(&a.file, checkpoint, &mut bar).await?;
    ctx.out.print(&summary, || {
        format!(
            "imported {} records ({} were already present); head is now {}\n",
            summary.appended, summary.already_present, summary.head
        )
    })
}
