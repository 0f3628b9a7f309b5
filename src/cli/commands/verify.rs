//! `verify`: check the chain of a data directory, an export file (`--file`) or a server, and
//! optionally that it still holds a digest kept earlier (`--digest SEQ:HASH`). Exit 3 when not.

use serde_json::json;

use super::Ctx;
use crate::api::routes;
use crate::cli::args::VerifyArgs;
use crate::cli::backend::Backend;
use crate::cli::error::{usage, CliError};
use crate::cli::printer::{count_lines, progress, Printer};
use crate::ledger::Archive;
use crate::record::Digest;

/// Through the backend: a server verifies its own chain.
pub async fn run(ctx: &Ctx<'_>, a: &VerifyArgs) -> Result<(), CliError> {
    let Backend::Remote(remote) = ctx.backend else {
        return Ok(());
    };
    if a.file.is_some() || a.digest.is_some() {
        return Err(usage("with --server, `verify` checks the server's chain; verify a file or a digest locally, on an export"));
    }
    let report: serde_json::Value = remote.get(routes::VERIFY, &[]).await?;
    if report["ok"] == true {
        ctx.out.print(&report, || {
            format!(
                "ok: {} records verify; head {}:{}\n",
                report["records"],
                report["seq"],
                report["hash"].as_str().unwrap_or("")
            )
        })
    } else {
        ctx.out.print(&report, String::new)?;
        Err(CliError::Unverified(format!(
            "verification failed at record {}: {}",
            report["first_bad_seq"],
            report["reason"].as_str().unwrap_or("")
        )))
    }
}

/// A data directory (read-only) or an export file.
pub fn local(data_dir: &std::path::Path, a: &VerifyArgs, out: Printer) -> Result<(), CliError> {
    let against = a
        .digest
        .as_deref()
        .map(Digest::parse)
        .transpose()
        .map_err(usage)?;
    let report = match &a.file {
        Some(path) => {
            let cannot = |e: std::io::Error| usage(format!("cannot read {}: {e}", path.display()));
            let files = export_files(path).map_err(cannot)?;
            let mut input: Box<dyn std::io::Read> = Box::new(std::io::empty());
            for file in &files {
                let next = std::fs::File::open(file).map_err(cannot)?;
                input = Box::new(std::io::Read::chain(input, next));
            }
            let lines = files.iter().map(|f| count_lines(f).unwrap_or(0)).sum();
            let mut bar = progress("verify", Some(lines));
            crate::ledger::verify_lines(std::io::BufReader::new(input), against, &mut bar)
                .map_err(cannot)?
        }
        None => {
            let archive = Archive::open(data_dir)?;
            let mut bar = progress("verify", Some(archive.digest()?.seq));
            archive.verify(against, &mut bar)?
        }
    };
    match &report.first_bad {
        None => out.print(
            &json!({"ok": true, "seq": report.head.seq, "hash": report.head.hash, "records": report.records}),
            || format!("ok: {} records verify; head {}\n", report.records, report.head),
        ),
        Some(bad) => {
            out.print(&json!({"ok": false, "first_bad_seq": bad.seq, "reason": bad.reason}), String::new)?;
            Err(CliError::Unverified(format!(
                "verification failed at record {}: {}",
                bad.seq, bad.reason
            )))
        }
    }
}

/// The files `--file` names: the file itself, or a folder's `*.jsonl` files in name order (a data
/// directory's `log/`, whose segments are named by their first sequence number).
fn export_files(path: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path)? {
        let file = entry?.path();
        if file.extension().is_some_and(|e| e == "jsonl") {
            files.push(file);
        }
    }
    files.sort();
    Ok(files)
}
