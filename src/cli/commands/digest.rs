//! `digest`: the head digest `SEQ:HASH`, to keep and later check with `verify --digest`.

use serde_json::json;

use super::Ctx;
use crate::cli::error::CliError;
use crate::cli::printer::Printer;
use crate::ledger::Archive;
use crate::record::Digest;
use crate::store::Location;

/// Through the backend (a server).
pub async fn run(ctx: &Ctx<'_>) -> Result<(), CliError> {
    print(ctx.out, ctx.backend.digest().await?)
}

/// Of a data directory or a database, read-only.
pub fn local(location: &Location, out: Printer) -> Result<(), CliError> {
    print(out, Archive::open_at(location)?.digest()?)
}

fn print(out: Printer, d: Digest) -> Result<(), CliError> {
    out.print(&json!({"seq": d.seq, "hash": d.hash}), || format!("{d}\n"))
}
