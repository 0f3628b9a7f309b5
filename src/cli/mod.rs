//! The `goal-ledger` command line: clap definitions (`args.rs`), one file per command
//! (`commands/`), arguments into domain values (`convert.rs`), where data comes from
//! (`backend.rs`: the data directory through `ledger`, or a server through `remote.rs`), and
//! printing (`printer.rs`, `output.rs`). `run` opens what a command needs and dispatches it.

pub mod args;
mod backend;
mod backend_loop;
mod commands;
mod convert;
mod cycle_output;
mod error;
pub mod output;
mod printer;
mod remote;

use crate::ledger::{Ledger, Options};
use args::{Cli, Cmd, TeamCmd, TokenCmd};
use backend::Backend;
use commands::Ctx;
use error::usage;
pub use error::CliError;
use printer::Printer;
use remote::Remote;

/// Runs a parsed command line, printing its result to stdout.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let out = Printer(cli.output);
    if let Some(server) = &cli.server {
        if matches!(cli.command, Cmd::Serve(_)) {
            return Err(usage(
                "`serve` starts a server; drop --server (and GOAL_LEDGER_SERVER) to run one",
            ));
        }
        let backend = Backend::Remote(Remote::new(server, cli.token.clone(), cli.actor.clone())?);
        return commands::dispatch(&Ctx {
            cli: &cli,
            backend: &backend,
            out,
        })
        .await;
    }
    // These read the directory without opening the ledger, or open it their own way.
    let location = cli.location();
    match &cli.command {
        Cmd::Verify(a) => return commands::verify_local(&location, &cli.data_dir, a, out),
        Cmd::Digest => return commands::digest_local(&location, out),
        Cmd::Export(a) if a.from.is_none() => {
            return commands::export_local(&location, a.out.as_deref())
        }
        Cmd::Backup(a) => return commands::backup_local(&location, a, out),
        Cmd::Restore(_) if cli.store.is_some() => {
            return Err(usage(
                "`restore` makes a new data directory (--data-dir); to load a backup into PostgreSQL, `import` its records file into an empty database with --store",
            ))
        }
        Cmd::Restore(a) => {
            let options = ledger_options(&cli, true);
            return commands::restore(&cli.data_dir, options, a, out).await;
        }
        Cmd::Serve(a) => return commands::serve::run(&cli, a).await,
        _ => {}
    }
    let options = ledger_options(&cli, writes(&cli.command));
    let ledger = Ledger::open_at(&location, &cli.data_dir, options)?;
    // Local mode has no server timer: decide proposals whose closing time has passed first.
    ledger.tick().await?;
    let backend = Backend::Local {
        ledger: ledger.clone(),
        actor: convert::actor(&cli).ok(),
    };
    let result = commands::dispatch(&Ctx {
        cli: &cli,
        backend: &backend,
        out,
    })
    .await;
    drop(backend);
    ledger.close();
    result
}

/// How the command line opens a ledger: its signing key from `--signing-key` / `--origin`.
pub(crate) fn ledger_options(cli: &Cli, create: bool) -> Options {
    Options {
        create,
        signing: crate::ledger::Signing {
            key_file: cli.signing_key.clone(),
            origin: cli.origin.clone(),
        },
        ..Options::default()
    }
}

/// Whether a command may write (and so create a ledger in an empty directory).
fn writes(command: &Cmd) -> bool {
    !matches!(
        command,
        Cmd::List(_)
            | Cmd::Show(_)
            | Cmd::History(_)
            | Cmd::Timeline(_)
            | Cmd::Log(_)
            | Cmd::Retro(_)
            | Cmd::Team(TeamCmd::List | TeamCmd::Show { .. })
            | Cmd::Token(TokenCmd::List)
            | Cmd::Checkpoint(_)
            | Cmd::Export(_)
            | Cmd::Prove(_)
    )
}
