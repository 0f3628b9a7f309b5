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
            let file = std::fs::File::open(path)
                .map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
            let mut bar = progress("verify", count_lines(path));
            crate::ledger::verify_lines(std::io::BufReader::new(file), against, &mut bar)
                .map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?
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
