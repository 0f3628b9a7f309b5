//! `goal-ledger`: parse the command line, set up logging, run, and map the outcome to an exit
//! code (0 ok, 1 refused, 2 usage or input error, 3 verification failed).

use std::process::ExitCode;

use clap::Parser;
use goal_ledger::cli::{self, args::Cli};

/// The writer, sled's threads and the server's workers all allocate on every request: glibc's
/// allocator serialised them on its arena locks (a quarter of the append profile).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A server logs one line per request; a command only its warnings. GOAL_LEDGER_LOG, else
    // RUST_LOG, overrides the level (`serve --help` says so).
    let (default, json) = match &cli.command {
        cli::args::Cmd::Serve(a) => ("info", a.log_format == cli::args::LogFormat::Json),
        _ => ("warn", false),
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("GOAL_LEDGER_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_env("RUST_LOG"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        // One JSON object a line, the request's fields (id, route, actor, client) in `span`.
        logs.json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
