//! The arguments of the commands that audit and move whole ledgers: verify, export, import,
//! backup and restore.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A digest SEQ:HASH kept earlier: the ledger must still hold exactly that prefix.
    #[arg(long)]
    pub digest: Option<String>,
    /// Verify an export file instead of the data directory.
    #[arg(long)]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The folder to write; it must not exist or be empty.
    pub dest: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A folder written by `backup` (or a copy of a data directory's log/).
    pub from: PathBuf,
}
