//! `export`: every record, exactly as stored, one per line: to stdout or, with `--out`, to a
//! file written beside its target and renamed, so a crash never leaves half a file there.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Ctx;
use crate::api::routes;
use crate::cli::args::ExportArgs;
use crate::cli::backend::Backend;
use crate::cli::error::{usage, CliError};
use crate::cli::printer::progress;
use crate::ledger::Archive;
use crate::ledger::ExportError;
use crate::store::Location;

/// Through the backend (a server), page by page; a slice (`--from`, `--to`) locally too.
pub async fn run(ctx: &Ctx<'_>, a: &ExportArgs) -> Result<(), CliError> {
    if let (Some(from), Some(to), Some(out)) = (a.from, a.to, &a.out) {
        return slice(ctx, from, to, out).await;
    }
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

/// Records `from..=to` to `out`, and the proof of record `to`'s inclusion in a signed
/// checkpoint to `out.tlog-proof`: together they prove every record of the slice.
async fn slice(ctx: &Ctx<'_>, from: u64, to: u64, out: &Path) -> Result<(), CliError> {
    if from == 0 || from > to {
        return Err(usage(format!(
            "a slice runs from a record to a later one (--from {from} --to {to})"
        )));
    }
    let proof = match ctx.backend {
        Backend::Remote(remote) => {
            remote
                .text(routes::INCLUSION_PROOF, &[("seq", to.to_string())])
                .await?
        }
        Backend::Local { ledger, .. } => ledger.inclusion_proof(to, None)?.text(),
    };
    let mut records = Vec::new();
    let mut after = from - 1;
    while after < to {
        let page = ctx.backend.records_after(after, 1000).await?;
        if page.is_empty() {
            break;
        }
        for bytes in page.into_iter().take((to - after) as usize) {
            records.extend_from_slice(&bytes);
            records.push(b'\n');
            after += 1;
        }
    }
    let proof_path = PathBuf::from(format!("{}.tlog-proof", out.display()));
    write_file(out, &records)?;
    write_file(&proof_path, proof.as_bytes())?;
    eprintln!(
        "wrote records {from}–{to} to {} and the proof of record {to} to {}",
        out.display(),
        proof_path.display()
    );
    Ok(())
}

/// Writes `bytes` beside `path`, syncs them and renames them into place.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let tmp = PathBuf::from(format!("{}.partial", path.display()));
    let mut file = std::fs::File::create(&tmp)
        .map_err(|e| usage(format!("cannot write {}: {e}", tmp.display())))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(cannot_write)
}

/// A data directory or a database, read-only.
pub fn local(location: &Location, out: Option<&Path>) -> Result<(), CliError> {
    let archive = Archive::open_at(location)?;
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
