//! `log`: the raw records after a sequence number, as stored (or as JSON); `--follow` streams
//! new ones from a server.

use serde_json::json;

use super::Ctx;
use crate::cli::args::{Format, LogArgs};
use crate::cli::backend::Backend;
use crate::cli::error::{usage, CliError};
use crate::cli::printer;

pub async fn run(ctx: &Ctx<'_>, a: &LogArgs) -> Result<(), CliError> {
    if a.follow {
        let Backend::Remote(remote) = ctx.backend else {
            return Err(usage(
                "--follow needs --server: in local mode this process holds the ledger, so nothing else can append to it",
            ));
        };
        return remote
            .follow(a.after, |record| {
                printer::raw(format!("{record}\n").as_bytes())
            })
            .await;
    }
    let records = ctx.backend.records_after(a.after, a.limit).await?;
    match ctx.out.0 {
        Format::Json => {
            let parsed: Vec<serde_json::Value> = records
                .iter()
                .filter_map(|b| serde_json::from_slice(b).ok())
                .collect();
            ctx.out.print(&json!({ "records": parsed }), String::new)
        }
        Format::Table => {
            let mut text = Vec::new();
            for bytes in records {
                text.extend_from_slice(&bytes);
                text.push(b'\n');
            }
            printer::raw(&text);
            Ok(())
        }
    }
}
