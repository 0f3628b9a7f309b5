//! `export`: every record, exactly as stored, one per line: to stdout or, with `--out`, to a
//! file written beside its target and renamed, so a crash never leaves half a file there.

use std::io::Write;
use std::path::Path;

use super::Ctx;
use crate::cli::args::ExportArgs;
use crate::cli::error::{usage, CliError};
use crate::cli::printer::progress;
use crate::ledger::Archive;
use crate::ledger::ExportError;

/// Through the backend (a server), page by page.
pub async fn run(ctx: &Ctx<'_>, a: &ExportArgs) -> Result<(), CliError> {
    let mut sink: Box<dyn Write> = match &a.out {
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| usage(format!("cannot write {}: {e}", path.display())))?,
        )),
    };
    let mut after = 0;
    loop {
        let page = ctx.backend.records_after(after, 1000).await?;
        if page.is_empty() {
            break;
        }
        for bytes in &page {
            sink.write_all(bytes)
                .and_then(|_| sink.write_all(b"\n"))
                .map_err(cannot_write)?;
        }
        after += page.len() as u64;
    }
    sink.flush().map_err(cannot_write)?;
    Ok(())
}

/// A data directory, read-only.
pub fn local(dir: &Path, out: Option<&Path>) -> Result<(), CliError> {
    let archive = Archive::open(dir)?;
    let total = archive.digest()?.seq;
    let mut bar = progress("export", Some(total));
    match out {
        None => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            archive.export(&mut stdout, &mut bar)?;
        }
        Some(path) => {
            let tmp = path.with_extension("jsonl.partial");
            let file = std::fs::File::create(&tmp)
                .map_err(|e| usage(format!("cannot write {}: {e}", tmp.display())))?;
            let mut w = std::io::BufWriter::new(file);
            archive.export(&mut w, &mut bar)?;
            let file = w.into_inner().map_err(|e| cannot_write(e.into_error()))?;
            file.sync_all().map_err(cannot_write)?;
            std::fs::rename(&tmp, path).map_err(cannot_write)?;
            eprintln!("exported {total} records to {}", path.display());
        }
    }
    Ok(())
}

/// The destination refused the export's bytes.
fn cannot_write(e: std::io::Error) -> CliError {
    ExportError::Write(e).into()
}
