//! `goal-ledger serve`: open the ledger (or, with `--demo`, a fresh copy of the sample quarter),
//! serve the HTTP API, and on SIGTERM or Ctrl-C stop accepting, finish requests in flight, and
//! close the ledger after its final snapshot: nothing acknowledged is lost.

use crate::notify::backoff::Schedule;
use crate::notify::NotifyConfig;
use std::io::Write;
use std::time::Duration;

use crate::api::tokens::new_token;
use crate::cli::args::{Cli, ServeArgs};
use crate::cli::error::CliError;
use crate::domain::{Actor, Command, Role, TokenHash};
use crate::ledger::{Ledger, Options, Request};
use crate::record::Auth;
use crate::server::{self, Config};

/// The sample quarter, built into the binary for `--demo`.
const SAMPLE: &[u8] = include_bytes!("../../../events/samples/quarterly-goals.jsonl");

pub async fn run(cli: &Cli, args: &ServeArgs) -> Result<(), CliError> {
    let (ledger, dir, demo_tokens) = if args.demo {
        demo().await?
    } else {
        (
            Ledger::open_at(
                &cli.location(),
                &cli.data_dir,
                crate::cli::ledger_options(cli, true),
            )?,
            cli.data_dir.clone(),
            vec![],
        )
    };
    let config = Config {
        addr: args.addr,
        public_read: args.public_read || args.demo,
        metrics_public: args.metrics_public,
        tls: match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => {
                Some(crate::tls::server_config(cert, key).map_err(CliError::Usage)?)
            }
            _ => None,
        },
        body_limit: args.body_limit,
        request_timeout: Duration::from_secs(args.request_timeout),
        checkpoint_every: Duration::from_secs(args.checkpoint_every),
        notify: Some(NotifyConfig {
            allow_private: args.allow_private_webhooks,
            schedule: Schedule {
                first: Duration::from_millis(args.webhook_retry_ms.max(1)),
                ..Schedule::STANDARD
            },
            ..NotifyConfig::new(dir.clone())
        }),
        ..Config::default()
    };
    // Install the signal handlers before announcing the address, so that a SIGTERM sent as soon
    // as the address is known stops the server cleanly instead of killing it.
    let signals =
        Signals::install().map_err(|e| CliError::Refused(format!("cannot handle signals: {e}")))?;
    let server = server::start(ledger.clone(), config)
        .await
        .map_err(|e| CliError::Refused(format!("cannot listen on {}: {e}", args.addr)))?;
    let scheme = match args.tls_cert {
        Some(_) => "https",
        None => "http",
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "goal-ledger serving {} on {scheme}://{}",
            match args.demo {
                true => dir.display().to_string(),
                false => cli.location().describe(),
            },
            server.addr
        );
        for (actor, role, token) in &demo_tokens {
            let _ = writeln!(out, "{role} token for {actor}: {token}");
        }
        if let Some((_, _, token)) = demo_tokens.first() {
            let _ = writeln!(
                out,
                "try: curl http://{}/goals/web-traffic-q3\n     curl -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \\\n       -d '{{\"reason\": \"Q4 planning starts\"}}' http://{}/goals/qualified-leads-q3/reopen",
                server.addr, server.addr
            );
        }
        let _ = out.flush();
    }
    let trigger = server.trigger();
    tokio::spawn(async move {
        signals.wait().await;
        let _ = trigger.send(true);
    });
    let result = server.wait().await;
    ledger.close();
    match args.demo {
        // The demo's copy was made for this run alone: leave no directory behind.
        true => {
            let root = dir.parent().unwrap_or(&dir);
            if let Err(e) = std::fs::remove_dir_all(root) {
                tracing::warn!(dir = %root.display(), error = %e, "could not remove the demo ledger");
            }
            tracing::info!("goal-ledger stopped; the demo ledger was removed");
        }
        // Through the log, so that a JSON log stays JSON to its last line.
        false => tracing::info!("goal-ledger stopped; every acknowledged write is on disk"),
    }
    result.map_err(|e| CliError::Refused(format!("the server failed: {e}")))
}

/// SIGTERM and SIGINT, registered up front.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    async fn wait(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A fresh temporary ledger holding the sample quarter, and tokens to try it with.
async fn demo() -> Result<(Ledger, std::path::PathBuf, Vec<(String, Role, String)>), CliError> {
    let dir = crate::config::temp_dir().join(format!(
        "goal-ledger-demo-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::Refused(format!("cannot create {}: {e}", dir.display())))?;
    let sample = dir.join("sample.jsonl");
    std::fs::write(&sample, SAMPLE).map_err(|e| CliError::Refused(e.to_string()))?;
    let data = dir.join("data");
    let ledger = Ledger::open(&data, Options::default())?;
    ledger.import(&sample, &mut |_| {}).await?;
    let mut tokens = Vec::new();
    for (who, role) in [("alice", Role::Member), ("olivia", Role::Admin)] {
        let token = new_token();
        let actor = Actor::parse(who).map_err(|e| CliError::Refused(e.to_string()))?;
        let command = Command::GrantToken {
            token: TokenHash::of(&token),
            actor: actor.clone(),
            role,
            expires_at: None,
        };
        ledger
            .execute(Request::new(
                Actor::parse("olivia").map_err(|e| CliError::Refused(e.to_string()))?,
                // The program grants these itself, for this run: the ledger's own record.
                Auth::System,
                command,
            ))
            .await?;
        tokens.push((who.to_owned(), role, token));
    }
    Ok((ledger, data, tokens))
}
