//! `backup` and `restore`. A backup is a folder: the records from 1 to the head of the moment
//! in one file named by its first record (`00000000000000000001.jsonl`, as a data directory's
//! segments are named, so `events/verify.py FOLDER` checks it as it is) and that head in `HEAD`.
//! Locally it is read from the data directory (no server may hold it); with `--server` it is
//! streamed from `GET /ledger/export`, which sends the head in its `Ledger-Digest` header. The
//! file is written beside its name and renamed once complete and synced, so a backup folder
//! never holds half a file under the final name. `restore` imports a backup into a new data
//! directory and checks that it holds the head the backup recorded.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::Ctx;
use crate::api::routes;
use crate::cli::args::{BackupArgs, RestoreArgs};
use crate::cli::backend::Backend;
use crate::cli::error::{usage, CliError};
use crate::cli::printer::{progress, Printer};
use crate::ledger::{verify_lines, Archive, Ledger, Options};
use crate::record::Digest;
use crate::store::Location;

/// The name of the records file in a backup: its first record's sequence number.
const RECORDS: &str = "00000000000000000001.jsonl";

fn cannot(path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |e| CliError::Refused(format!("cannot write {}: {e}", path.display()))
}

/// Creates the backup folder, which must be new or empty.
fn new_folder(dest: &Path) -> Result<(), CliError> {
    if dest.exists() && std::fs::read_dir(dest).map_or(true, |mut d| d.next().is_some()) {
        return Err(usage(format!(
            "{} is not empty; back up into a new folder",
            dest.display()
        )));
    }
    std::fs::create_dir_all(dest).map_err(cannot(dest))
}

/// Moves the complete records file into place and writes `HEAD`, durably.
fn finish(dest: &Path, partial: &Path, head: Digest, out: Printer) -> Result<(), CliError> {
    File::open(partial)
        .and_then(|f| f.sync_all())
        .map_err(cannot(partial))?;
    std::fs::rename(partial, dest.join(RECORDS)).map_err(cannot(dest))?;
    let head_file = dest.join("HEAD");
    std::fs::write(&head_file, format!("{head}\n"))
        .and_then(|()| File::open(&head_file)?.sync_all())
        .and_then(|()| File::open(dest)?.sync_all())
        .map_err(cannot(dest))?;
    out.print(
        &serde_json::json!({"seq": head.seq, "hash": head.hash, "folder": dest}),
        || {
            format!(
                "backed up {} records to {}; head {head}\n",
                head.seq,
                dest.display()
            )
        },
    )
}

/// With `--server`: streams the server's export.
pub async fn run(ctx: &Ctx<'_>, a: &BackupArgs) -> Result<(), CliError> {
    let Backend::Remote(remote) = ctx.backend else {
        return Ok(());
    };
    new_folder(&a.dest)?;
    let partial = a.dest.join(format!("{RECORDS}.partial"));
    let head = kept_only_if_whole(&partial, fetch(remote, &partial).await)?;
    finish(&a.dest, &partial, head, ctx.out)
}

/// Downloads the server's export into `partial` and checks that it is the chain up to the head
/// the server announced.
async fn fetch(remote: &crate::cli::remote::Remote, partial: &Path) -> Result<Digest, CliError> {
    let mut file = std::io::BufWriter::new(File::create(partial).map_err(cannot(partial))?);
    let head = remote.download(routes::EXPORT, &mut file).await?;
    file.flush().map_err(cannot(partial))?;
    drop(file);
    let report = verify_lines(
        std::io::BufReader::new(File::open(partial).map_err(cannot(partial))?),
        Some(head),
        &mut |_| {},
    )
    .map_err(cannot(partial))?;
    if let Some(bad) = report.first_bad {
        return Err(CliError::Unverified(format!(
            "the server's export does not verify at record {}: {}; nothing was kept",
            bad.seq, bad.reason
        )));
    }
    if report.head != head {
        return Err(CliError::Unverified(format!(
            "the server's export ends at {} but it announced {head}; nothing was kept",
            report.head
        )));
    }
    Ok(head)
}

/// `result`, after removing the partial records file when it is an error: a failed backup
/// leaves an empty folder, never a file that looks like records.
fn kept_only_if_whole<T>(partial: &Path, result: Result<T, CliError>) -> Result<T, CliError> {
    if result.is_err() {
        let _ = std::fs::remove_file(partial);
    }
    result
}

/// From a data directory no server holds, or from a database (which a server may share).
pub fn local(location: &Location, a: &BackupArgs, out: Printer) -> Result<(), CliError> {
    let archive = Archive::open_at(location)?;
    let head = archive.digest()?;
    new_folder(&a.dest)?;
    let partial = a.dest.join(format!("{RECORDS}.partial"));
    let copied = (|| {
        let mut file = std::io::BufWriter::new(File::create(&partial).map_err(cannot(&partial))?);
        let mut bar = progress("backup", Some(head.seq));
        crate::ledger::export_lines(archive.store(), head.seq, &mut file, &mut bar)?;
        file.flush().map_err(cannot(&partial))
    })();
    kept_only_if_whole(&partial, copied)?;
    finish(&a.dest, &partial, head, out)
}

/// The records files of a backup folder, in name order, and the head it recorded.
fn backup_files(from: &Path) -> Result<(Vec<PathBuf>, Option<Digest>), CliError> {
    let unreadable = |e: std::io::Error| usage(format!("cannot read {}: {e}", from.display()));
    let mut files = Vec::new();
    for entry in std::fs::read_dir(from).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(usage(format!(
            "{} holds no records (*.jsonl); is it a backup folder?",
            from.display()
        )));
    }
    let head = match std::fs::read_to_string(from.join("HEAD")) {
        Ok(text) => Some(
            Digest::parse(text.trim())
                .map_err(|e| usage(format!("{}: {e}", from.join("HEAD").display())))?,
        ),
        Err(_) => None,
    };
    Ok((files, head))
}

/// Imports a backup into a new data directory.
pub async fn restore(
    data_dir: &Path,
    options: Options,
    a: &RestoreArgs,
    out: Printer,
) -> Result<(), CliError> {
    let (files, recorded) = backup_files(&a.from)?;
    if data_dir.exists() && std::fs::read_dir(data_dir).map_or(true, |mut d| d.next().is_some()) {
        return Err(usage(format!(
            "{} is not empty; restore into a new data directory (--data-dir)",
            data_dir.display()
        )));
    }
    // Several files (a copy of a data directory's segments) are imported as one export.
    let joined = data_dir.with_extension("restoring.jsonl");
    let file = match files.as_slice() {
        [one] => one.clone(),
        _ => {
            let mut w = std::io::BufWriter::new(File::create(&joined).map_err(cannot(&joined))?);
            for f in &files {
                let bytes = std::fs::read(f).map_err(cannot(f))?;
                let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
                w.write_all(&bytes[..end]).map_err(cannot(&joined))?;
            }
            w.flush().map_err(cannot(&joined))?;
            joined.clone()
        }
    };
    let ledger = Ledger::open(data_dir, options)?;
    let mut bar = progress("restore", crate::cli::printer::count_lines(&file));
    let summary = ledger.import(&file, &mut bar).await;
    let head = ledger.digest();
    ledger.close();
    let _ = std::fs::remove_file(&joined);
    summary?;
    if let Some(recorded) = recorded.filter(|r| *r != head) {
        return Err(CliError::Unverified(format!(
            "the restored ledger's head is {head} but the backup recorded {recorded}"
        )));
    }
    out.print(
        &serde_json::json!({"seq": head.seq, "hash": head.hash}),
        || {
            format!(
                "restored {} records into {}; head {head}\n",
                head.seq,
                data_dir.display()
            )
        },
    )
}
