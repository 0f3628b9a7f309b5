//! `verify`: check the chain of a data directory, an export file (`--file`) or a server, and
//! optionally that it still holds a digest kept earlier (`--digest SEQ:HASH`). Exit 3 when not.

use serde_json::json;

use super::proofs::{read_checkpoint, signed_root, trusted_key};
use super::Ctx;
use crate::api::routes;
use crate::cli::args::VerifyArgs;
use crate::cli::backend::Backend;
use crate::cli::error::{usage, CliError};
use crate::cli::printer::{count_lines, progress, Printer};
use crate::ledger::{Against, Archive, Expected};
use crate::proofs::note::encode_hash;
use crate::proofs::{ProofFile, Verifier};
use crate::record::{BadRecord, Digest, VerifyReport};
use crate::store::Location;
use std::path::Path;

/// Through the backend: a server verifies its own chain.
pub async fn run(ctx: &Ctx<'_>, a: &VerifyArgs) -> Result<(), CliError> {
    let Backend::Remote(remote) = ctx.backend else {
        return Ok(());
    };
    if a.file.is_some() || a.digest.is_some() || a.checkpoint.is_some() || a.proof.is_some() {
        return Err(usage("with --server, `verify` checks the server's chain; check a file, a digest, a checkpoint or a proof locally (`prove`, `checkpoint` and `export` fetch them)"));
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

/// A data directory or a database (read-only), an export file, a slice with its proof, or a
/// proof alone. The data directory holds the ledger's own key, for checkpoints and proofs.
pub fn local(
    location: &Location,
    data_dir: &std::path::Path,
    a: &VerifyArgs,
    out: Printer,
) -> Result<(), CliError> {
    let digest = a
        .digest
        .as_deref()
        .map(Digest::parse)
        .transpose()
        .map_err(usage)?;
    if a.proof.is_some() && (digest.is_some() || a.checkpoint.is_some()) {
        return Err(usage("--proof checks one record, or a slice with --file, against the proof's own checkpoint; --digest and --checkpoint check a whole ledger or export: run them apart"));
    }
    let key = match a.checkpoint.is_some() || a.proof.is_some() {
        true => Some(trusted_key(&a.key, data_dir)?),
        false => None,
    };
    // A proof's checkpoint with the name of the key that signed it, for the report.
    let proof = match (&a.proof, &key) {
        (Some(file), Some(key)) => Some((read_proof(file, key)?, key.name.as_str())),
        _ => None,
    };
    let checkpoint = match (&a.checkpoint, &key) {
        (Some(file), Some(key)) => Some(read_checkpoint(file, key)?),
        _ => None,
    };
    let against = Against { digest, checkpoint };
    let report = match (&a.file, proof) {
        (None, Some(((proof, signed), name))) => return proof_alone(&proof, &signed, name, out),
        (Some(path), Some(((proof, signed), name))) => {
            let input = open_files(path)?;
            let report = crate::ledger::verify_slice(input, &proof, &signed)
                .map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
            return print_slice(&report, &signed, name, out);
        }
        (Some(path), None) => {
            let lines = export_files(path)
                .map(|files| files.iter().map(|f| count_lines(f).unwrap_or(0)).sum())
                .ok();
            let mut bar = progress("verify", lines);
            crate::ledger::verify_lines_against(open_files(path)?, &against, &mut bar)
                .map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?
        }
        (None, None) => {
            let archive = Archive::open_at(location)?;
            let mut bar = progress("verify", Some(archive.digest()?.seq));
            archive.verify_against(&against, &mut bar)?
        }
    };
    let checked = against.checkpoint.map_or(String::new(), |c| {
        format!("; it extends {} ({} records)", c.what, c.size)
    });
    print_report(&report, &checked, out)
}

fn print_report(report: &VerifyReport, checked: &str, out: Printer) -> Result<(), CliError> {
    let root = report.root.as_ref().map(encode_hash);
    match &report.first_bad {
        None => out.print(
            &json!({"ok": true, "seq": report.head.seq, "hash": report.head.hash, "records": report.records, "root": root}),
            || {
                let root = root.as_deref().map_or(String::new(), |r| format!("; root {r}"));
                format!("ok: {} records verify; head {}{root}{checked}\n", report.records, report.head)
            },
        ),
        Some(bad) => unverified(bad, out),
    }
}

fn unverified(bad: &BadRecord, out: Printer) -> Result<(), CliError> {
    out.print(
        &json!({"ok": false, "first_bad_seq": bad.seq, "reason": bad.reason}),
        String::new,
    )?;
    Err(CliError::Unverified(format!(
        "verification failed at record {}: {}",
        bad.seq, bad.reason
    )))
}

/// A proof file, with its checkpoint's size and root once its signature holds.
fn read_proof(file: &Path, key: &Verifier) -> Result<(ProofFile, Expected), CliError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| usage(format!("cannot read {}: {e}", file.display())))?;
    let proof = ProofFile::parse(&text).map_err(|e| CliError::Unverified(e.0))?;
    let what = format!("the checkpoint in {}", file.display());
    let signed = signed_root(&proof.checkpoint, key, &what)?;
    Ok((proof, signed))
}

/// A proof file on its own: its record (the `extra` line) is in its checkpoint.
fn proof_alone(
    proof: &ProofFile,
    signed: &Expected,
    name: &str,
    out: Printer,
) -> Result<(), CliError> {
    let Some(record) = &proof.extra else {
        return Err(usage(
            "this proof carries no record (no extra line): check it with --file and the record",
        ));
    };
    if let Some(bad) = crate::ledger::check_inclusion(record, proof, signed) {
        return unverified(&bad, out);
    }
    let seq = proof.index + 1;
    let text = String::from_utf8_lossy(record).into_owned();
    out.print(
        &json!({"ok": true, "seq": seq, "size": signed.size, "signed_by": name, "record": text}),
        || {
            format!(
                "ok: record {seq} is in the checkpoint of {} records signed by {name}\n{text}\n",
                signed.size
            )
        },
    )
}

fn print_slice(
    report: &VerifyReport,
    signed: &Expected,
    name: &str,
    out: Printer,
) -> Result<(), CliError> {
    if let Some(bad) = &report.first_bad {
        return unverified(bad, out);
    }
    let (last, count) = (report.head.seq, report.records);
    let first = last + 1 - count;
    out.print(
        &json!({"ok": true, "first": first, "last": last, "records": count, "size": signed.size, "signed_by": name}),
        || format!("ok: records {first}–{last} ({count} records) are in the checkpoint of {} records signed by {name}\n", signed.size),
    )
}

/// `--file`'s files read as one (a folder: its segments in order).
fn open_files(path: &Path) -> Result<impl std::io::BufRead, CliError> {
    let cannot = |e: std::io::Error| usage(format!("cannot read {}: {e}", path.display()));
    let files = export_files(path).map_err(cannot)?;
    let mut input: Box<dyn std::io::Read> = Box::new(std::io::empty());
    for file in &files {
        let next = std::fs::File::open(file).map_err(cannot)?;
        input = Box::new(std::io::Read::chain(input, next));
    }
    Ok(std::io::BufReader::new(input))
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
