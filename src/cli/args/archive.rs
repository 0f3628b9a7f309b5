//! The arguments of the commands that audit and move whole ledgers: verify, export, import,
//! backup and restore.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A digest SEQ:HASH kept earlier: the ledger must still hold exactly that prefix.
    #[arg(long)]
    pub digest: Option<String>,
    /// Verify an export file (or a slice, with --proof) instead of the data directory.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// A signed checkpoint kept earlier: its signature must hold and the ledger (or the
    /// export) must have its root at its size.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// A proof file (`prove`, or the `.tlog-proof` beside a slice): with --file, the slice's
    /// last record is in the proof's checkpoint and its chain is intact; alone, the proof's
    /// record is in its checkpoint.
    #[arg(long, value_name = "FILE")]
    pub proof: Option<PathBuf>,
    #[command(flatten)]
    pub key: KeyArg,
}

/// The public key checkpoints must be signed by.
#[derive(Debug, Args)]
pub struct KeyArg {
    /// The ledger's public key (a vkey, or a file holding one: `goal-ledger checkpoint
    /// --public-key`, GET /ledger/public-key). Default: the data directory's own key.
    #[arg(long, value_name = "VKEY")]
    pub key: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// A slice: the first record to write (with --to and --out).
    #[arg(long, requires_all = ["to", "out"], value_name = "SEQ")]
    pub from: Option<u64>,
    /// A slice: the last record to write; the proof of its inclusion in a signed checkpoint is
    /// written to OUT.tlog-proof.
    #[arg(long, requires_all = ["from", "out"], value_name = "SEQ")]
    pub to: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    pub file: PathBuf,
    /// A signed checkpoint: refuse the file unless it has the checkpoint's root at its size.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    #[command(flatten)]
    pub key: KeyArg,
}

#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// Print the checkpoint signed for this many records instead of the latest.
    #[arg(long, value_name = "N", conflicts_with = "public_key")]
    pub size: Option<u64>,
    /// Print the public key (vkey) that verifies the checkpoints instead.
    #[arg(long)]
    pub public_key: bool,
}

#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The record to prove (its seq).
    #[arg(required_unless_present = "consistency")]
    pub seq: Option<u64>,
    /// The checkpoint to prove it in (a size signed before; default: the latest, signed now
    /// if it does not hold SEQ).
    #[arg(long, value_name = "N")]
    pub size: Option<u64>,
    /// Prove that the tree of FROM records is a prefix of the tree of TO records instead.
    #[arg(long, num_args = 2, value_names = ["FROM", "TO"], conflicts_with_all = ["seq", "size"])]
    pub consistency: Option<Vec<u64>>,
    /// Write the proof here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
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
