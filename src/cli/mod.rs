//! The `goal-ledger` command line: clap definitions (`args.rs`), argument languages
//! (`parse.rs`), output (`output.rs`), and `run`, which turns a parsed command into ledger calls.
//! Reaches data only through `ledger`.

pub mod args;
mod backend;
pub mod output;
pub mod parse;
mod remote;
mod serve;

use std::io::{IsTerminal, Write};
use std::path::Path;

use serde_json::json;

use crate::domain::{
    Actor, Changes, Choice, ClosingOutcome, Command, EventId, GoalDraft, GoalId, GoalStatus,
    Health, KrName, Role, Rule, Section, TeamId, TokenHash,
};
use crate::ledger::{
    AppendError, Archive, AsOf, ImportError, Ledger, OpenError, Options, ReadError, Request,
};
use crate::projections::timeline::Filter;
use crate::projections::views::GoalFilter;
use crate::record::Digest;
use crate::store::StoreError;
use args::{Cli, Cmd, Format, TeamCmd, TokenCmd, WriteOpts};
use backend::Backend;
use remote::Remote;

/// A failed command: a sentence for stderr and the exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments or input (exit 2).
    #[error("{0}")]
    Usage(String),
    /// A rule of the domain refused the command, or the ledger could not do it (exit 1).
    #[error("{0}")]
    Refused(String),
    /// The ledger or file fails verification (exit 3).
    #[error("{0}")]
    Unverified(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Refused(_) => 1,
            CliError::Usage(_) => 2,
            CliError::Unverified(_) => 3,
        }
    }
}

impl From<AppendError> for CliError {
    fn from(e: AppendError) -> CliError {
        use crate::domain::RejectionKind;
        match &e {
            AppendError::Rejected(r) if r.kind() == RejectionKind::Invalid => {
                CliError::Usage(e.to_string())
            }
            AppendError::IdReused { .. } | AppendError::TooLarge { .. } => {
                CliError::Usage(e.to_string())
            }
            _ => CliError::Refused(e.to_string()),
        }
    }
}

impl From<OpenError> for CliError {
    fn from(e: OpenError) -> CliError {
        CliError::Refused(e.to_string())
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> CliError {
        CliError::Refused(e.to_string())
    }
}

impl From<ReadError> for CliError {
    fn from(e: ReadError) -> CliError {
        CliError::Refused(e.to_string())
    }
}

impl From<ImportError> for CliError {
    fn from(e: ImportError) -> CliError {
        match e {
            ImportError::Broken(_) => CliError::Unverified(e.to_string()),
            ImportError::Io(_) | ImportError::Refused(_) => CliError::Usage(e.to_string()),
            _ => CliError::Refused(e.to_string()),
        }
    }
}

fn usage(e: impl ToString) -> CliError {
    CliError::Usage(e.to_string())
}

/// An optional time argument (`--closes-at`, `--since`, ...).
fn opt_time(
    text: &Option<String>,
    end_of_day: bool,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, CliError> {
    text.as_deref()
        .map(|t| parse::time(t, end_of_day))
        .transpose()
        .map_err(usage)
}

/// An optional date argument (`--due`, `--start`, ...).
fn opt_date(text: &Option<String>) -> Result<Option<chrono::NaiveDate>, CliError> {
    text.as_deref().map(parse::date).transpose().map_err(usage)
}

fn goal_id(s: &str) -> Result<GoalId, CliError> {
    GoalId::parse(s).map_err(usage)
}

fn team_id(s: &str) -> Result<TeamId, CliError> {
    TeamId::parse(s).map_err(usage)
}

fn actor_name(s: &str) -> Result<Actor, CliError> {
    Actor::parse(s).map_err(usage)
}

/// The actor for local mode: `--actor`, else the login name.
fn actor(cli: &Cli) -> Result<Actor, CliError> {
    let name = match &cli.actor {
        Some(a) => a.clone(),
        None => std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .map_err(|_| {
                usage("cannot tell who you are: pass --actor NAME or set GOAL_LEDGER_ACTOR")
            })?,
    };
    Actor::parse(&name)
        .map_err(|e| usage(format!("{e}; pass --actor NAME or set GOAL_LEDGER_ACTOR")))
}

/// A progress bar on a terminal's stderr; nothing when stderr is not a terminal.
fn progress(label: &'static str, total: Option<u64>) -> impl FnMut(u64) + Send {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = match total {
            Some(n) => indicatif::ProgressBar::new(n),
            None => indicatif::ProgressBar::new_spinner(),
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:40}] {pos}/{len} records ({per_sec})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(label);
        bar
    });
    move |done| {
        if let Some(bar) = &bar {
            bar.set_position(done);
        }
    }
}

/// Runs a parsed command line, printing its result to stdout.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let out = Printer(cli.output);
    if let Some(server) = &cli.server {
        if matches!(cli.command, Cmd::Serve(_)) {
            return Err(usage(
                "`serve` starts a server; drop --server (and GOAL_LEDGER_SERVER) to run one",
            ));
        }
        let backend = Backend::Remote(Remote::new(server, cli.token.clone())?);
        return dispatch(&cli, &backend, out).await;
    }
    match &cli.command {
        Cmd::Verify(a) => return verify(&cli, a, out),
        Cmd::Digest => {
            let d = Archive::open(&cli.data_dir)?.digest()?;
            return print_digest(out, d);
        }
        Cmd::Export(a) => return export(&cli.data_dir, a.out.as_deref()),
        Cmd::Serve(a) => return serve::run(&cli, a).await,
        _ => {}
    }
    let writes = !matches!(
        cli.command,
        Cmd::List(_)
            | Cmd::Show(_)
            | Cmd::History(_)
            | Cmd::Timeline(_)
            | Cmd::Log(_)
            | Cmd::Retro(_)
            | Cmd::Team(TeamCmd::List | TeamCmd::Show { .. })
            | Cmd::Token(TokenCmd::List)
    );
    let options = Options {
        create: writes,
        ..Options::default()
    };
    let ledger = Ledger::open(&cli.data_dir, options)?;
    // Local mode has no server timer: decide proposals whose closing time has passed first.
    ledger.tick().await?;
    let backend = Backend::Local {
        ledger: ledger.clone(),
        actor: actor(&cli).ok(),
    };
    let result = dispatch(&cli, &backend, out).await;
    drop(backend);
    ledger.close();
    result
}

fn print_digest(out: Printer, d: Digest) -> Result<(), CliError> {
    out.print(&json!({"seq": d.seq, "hash": d.hash}), || format!("{d}\n"))
}

#[derive(Clone, Copy)]
struct Printer(Format);

impl Printer {
    fn print<T: serde::Serialize>(
        &self,
        value: &T,
        table: impl FnOnce() -> String,
    ) -> Result<(), CliError> {
        let text = match self.0 {
            Format::Json => output::json(value),
            Format::Table => table(),
        };
        let mut stdout = std::io::stdout().lock();
        // A closed pipe (`| head`) is not an error worth reporting.
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
        Ok(())
    }
}

async fn dispatch(cli: &Cli, backend: &Backend, out: Printer) -> Result<(), CliError> {
    match &cli.command {
        Cmd::Team(TeamCmd::Add { team, name, write }) => {
            let cmd = Command::RegisterTeam {
                team: team_id(team)?,
                name: name.clone(),
            };
            execute(backend, out, cmd, write).await
        }
        Cmd::Team(TeamCmd::Join {
            team,
            member,
            write,
        }) => {
            let cmd = Command::JoinTeam {
                team: team_id(team)?,
                member: actor_name(member)?,
            };
            execute(backend, out, cmd, write).await
        }
        Cmd::Team(TeamCmd::Leave {
            team,
            member,
            write,
        }) => {
            let cmd = Command::LeaveTeam {
                team: team_id(team)?,
                member: actor_name(member)?,
            };
            execute(backend, out, cmd, write).await
        }
        Cmd::Team(TeamCmd::List) => {
            let teams = backend.teams().await?;
            out.print(&json!({ "teams": teams }), || output::teams(&teams))
        }
        Cmd::Team(TeamCmd::Show { team }) => {
            let view = backend.team(&team_id(team)?).await?;
            out.print(&view, || output::team(&view))
        }
        Cmd::Propose(a) => {
            let draft = GoalDraft {
                title: a.title.clone(),
                description: a.description.clone(),
                teams: a
                    .teams
                    .iter()
                    .map(|t| team_id(t))
                    .collect::<Result<_, _>>()?,
                parent: a.parent.as_deref().map(goal_id).transpose()?,
                start: parse::date(&a.start).map_err(usage)?,
                due: parse::date(&a.due).map_err(usage)?,
                key_results: a
                    .key_results
                    .iter()
                    .map(|k| parse::key_result(k))
                    .collect::<Result<_, _>>()
                    .map_err(usage)?,
            };
            let cmd = Command::ProposeGoal {
                goal: goal_id(&a.goal)?,
                draft,
                rule: Rule::parse(&a.rule).map_err(usage)?,
                reason: a.reason.clone(),
                closes_at: opt_time(&a.closes_at, false)?,
            };
            execute(backend, out, cmd, &a.write).await
        }
        Cmd::Vote(a) => {
            let choice = match a.choice {
                args::ChoiceArg::Agree => Choice::Agree,
                args::ChoiceArg::Abstain => Choice::Abstain,
                args::ChoiceArg::Disagree => Choice::Disagree,
                args::ChoiceArg::Block => Choice::Block,
            };
            let cmd = Command::CastVote {
                goal: goal_id(&a.goal)?,
                choice,
                reason: a.reason.clone(),
            };
            execute(backend, out, cmd, &a.write).await
        }
        Cmd::Adjust(a) => {
            let changes = Changes {
                title: a.title.clone(),
                description: a.description.clone(),
                targets: a
                    .targets
                    .iter()
                    .map(|t| parse::kr_value(t))
                    .collect::<Result<_, _>>()
                    .map_err(usage)?,
                start: opt_date(&a.start)?,
                due: opt_date(&a.due)?,
                add_key_results: a
                    .add_key_results
                    .iter()
                    .map(|k| parse::key_result(k))
                    .collect::<Result<_, _>>()
                    .map_err(usage)?,
                drop_key_results: a
                    .drop_key_results
                    .iter()
                    .map(|k| KrName::parse(k))
                    .collect::<Result<_, _>>()
                    .map_err(usage)?,
                rule: a
                    .rule
                    .as_deref()
                    .map(Rule::parse)
                    .transpose()
                    .map_err(usage)?,
                teams: if a.teams.is_empty() {
                    None
                } else {
                    Some(
                        a.teams
                            .iter()
                            .map(|t| team_id(t))
                            .collect::<Result<_, _>>()?,
                    )
                },
                parent: a.parent.as_deref().map(goal_id).transpose()?,
            };
            let cmd = Command::ProposeAdjustment {
                goal: goal_id(&a.goal)?,
                changes,
                reason: a.reason.clone(),
                closes_at: opt_time(&a.closes_at, false)?,
            };
            execute(backend, out, cmd, &a.write).await
        }
        Cmd::CheckIn(a) => {
            let health = match a.health {
                args::HealthArg::OnTrack => Health::OnTrack,
                args::HealthArg::AtRisk => Health::AtRisk,
                args::HealthArg::OffTrack => Health::OffTrack,
            };
            let cmd = Command::RecordCheckIn {
                goal: goal_id(&a.goal)?,
                key_result: KrName::parse(&a.key_result).map_err(usage)?,
                value: a.value,
                health,
                confidence: a.confidence,
                note: a.note.clone(),
                corrects: a.corrects,
            };
            execute(backend, out, cmd, &a.write).await
        }
        Cmd::Close(a) => {
            let outcome = match a.outcome {
                args::OutcomeArg::Achieved => ClosingOutcome::Achieved,
                args::OutcomeArg::Partial => ClosingOutcome::Partial,
                args::OutcomeArg::Missed => ClosingOutcome::Missed,
                args::OutcomeArg::Dropped => ClosingOutcome::Dropped,
            };
            let cmd = Command::CloseGoal {
                goal: goal_id(&a.goal)?,
                outcome,
                score: a.score,
                summary: a.summary.clone(),
                final_values: a
                    .final_values
                    .iter()
                    .map(|t| parse::kr_value(t))
                    .collect::<Result<_, _>>()
                    .map_err(usage)?,
            };
            execute(backend, out, cmd, &a.write).await
        }
        Cmd::Reopen(a) => {
            let cmd = Command::ReopenGoal {
                goal: goal_id(&a.goal)?,
                reason: a.reason.clone(),
            };
            execute(backend, out, cmd, &a.write).await
        }
        Cmd::Withdraw(a) => {
            let cmd = Command::WithdrawProposal {
                goal: goal_id(&a.goal)?,
                reason: a.reason.clone(),
            };
            execute(backend, out, cmd, &a.write).await
        }
        Cmd::Note(a) => {
            let section = match a.section {
                args::SectionArg::WentWell => Section::WentWell,
                args::SectionArg::WentWrong => Section::WentWrong,
                args::SectionArg::Lesson => Section::Lesson,
                args::SectionArg::ActionItem => Section::ActionItem,
                args::SectionArg::Kudos => Section::Kudos,
            };
            let cmd = Command::NotePostMortem {
                goal: goal_id(&a.goal)?,
                section,
                text: a.text.clone(),
                owner: a.owner.as_deref().map(actor_name).transpose()?,
                due: opt_date(&a.due)?,
            };
            execute(backend, out, cmd, &a.write).await
        }
        Cmd::List(a) => {
            let filter = GoalFilter {
                status: a
                    .status
                    .as_deref()
                    .map(str::parse::<GoalStatus>)
                    .transpose()
                    .map_err(usage)?,
                team: a.team.as_deref().map(team_id).transpose()?,
            };
            let goals = backend.goals(&filter).await?;
            out.print(&json!({ "goals": goals }), || output::goals(&goals))
        }
        Cmd::Show(a) => {
            let id = goal_id(&a.goal)?;
            let as_of = match (&a.as_of, a.at_seq) {
                (Some(t), _) => Some(AsOf::Time(parse::time(t, true).map_err(usage)?)),
                (None, Some(seq)) => Some(AsOf::Seq(seq)),
                (None, None) => None,
            };
            let view = backend.goal(&id, as_of).await?;
            out.print(&view, || output::goal(&view))
        }
        Cmd::History(a) => {
            let id = goal_id(&a.goal)?;
            let history = backend.history(&id).await?;
            out.print(&history, || output::history(&history))
        }
        Cmd::Timeline(a) => {
            let filter = Filter {
                goal: a.goal.as_deref().map(goal_id).transpose()?,
                team: a.team.as_deref().map(team_id).transpose()?,
                since: opt_time(&a.since, false)?,
                until: opt_time(&a.until, true)?,
            };
            let entries = backend.timeline(&filter).await?;
            out.print(&json!({ "entries": entries }), || {
                output::timeline(&entries)
            })
        }
        Cmd::Retro(a) => {
            let format = match (a.format, out.0) {
                (Some(f), _) => f,
                (None, Format::Json) => args::ReportFormat::Json,
                (None, Format::Table) => args::ReportFormat::Md,
            };
            let text = match &a.goal {
                Some(goal) => backend.goal_retro(&goal_id(goal)?, format).await?,
                None => {
                    let team = team_id(a.team.as_deref().unwrap_or(""))?;
                    let since = a
                        .since
                        .as_deref()
                        .map(parse::date)
                        .transpose()
                        .map_err(usage)?;
                    let until = a
                        .until
                        .as_deref()
                        .map(parse::date)
                        .transpose()
                        .map_err(usage)?;
                    backend.team_retro(&team, since, until, format).await?
                }
            };
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(text.as_bytes());
            Ok(())
        }
        Cmd::Log(a) => {
            if a.follow {
                let Backend::Remote(remote) = backend else {
                    return Err(usage(
                        "--follow needs --server: in local mode this process holds the ledger, so nothing else can append to it",
                    ));
                };
                return remote
                    .follow(a.after, |record| {
                        let mut stdout = std::io::stdout().lock();
                        let _ = writeln!(stdout, "{record}");
                        let _ = stdout.flush();
                    })
                    .await;
            }
            let records = backend.records(a.after, a.limit).await?;
            match out.0 {
                Format::Json => {
                    let parsed: Vec<serde_json::Value> = records
                        .iter()
                        .filter_map(|b| serde_json::from_slice(b).ok())
                        .collect();
                    out.print(&json!({ "records": parsed }), String::new)
                }
                Format::Table => {
                    let mut stdout = std::io::stdout().lock();
                    for bytes in records {
                        let _ = stdout.write_all(&bytes);
                        let _ = stdout.write_all(b"\n");
                    }
                    Ok(())
                }
            }
        }
        Cmd::Import(a) => {
            let total = count_lines(&a.file);
            let mut bar = progress("import", total);
            let summary = backend.local("import")?.import(&a.file, &mut bar).await?;
            out.print(&summary, || {
                format!(
                    "imported {} records ({} were already present); head is now {}\n",
                    summary.appended, summary.already_present, summary.head
                )
            })
        }
        Cmd::Rebuild => {
            let ledger = backend.local("rebuild")?;
            let bar = progress("rebuild", Some(ledger.digest().seq));
            let n = ledger.rebuild(Box::new(bar)).await?;
            let goals = ledger.read(|s| s.goals.len());
            out.print(&json!({"replayed": n, "goals": goals}), || {
                format!("rebuilt the projections from {n} records ({goals} goals)\n")
            })
        }
        Cmd::Token(TokenCmd::Create { role }) => {
            let role = match role {
                args::RoleArg::Reader => Role::Reader,
                args::RoleArg::Member => Role::Member,
                args::RoleArg::Admin => Role::Admin,
            };
            let ledger = backend.local("token create")?;
            let holder = actor(cli)?;
            let token = new_token();
            let hash = TokenHash::of(&token);
            let command = Command::GrantToken {
                token: hash.clone(),
                actor: holder.clone(),
                role,
            };
            let appended = ledger
                .execute(Request::new(operator(&holder), command))
                .await?;
            out.print(
                &json!({"actor": holder, "role": role, "token": token, "fingerprint": hash.fingerprint(), "appended": appended}),
                || format!("{token}\n(a {role} token for {holder}, fingerprint {}; shown once, keep it secret)\n", hash.fingerprint()),
            )
        }
        Cmd::Token(TokenCmd::List) => {
            let ledger = backend.local("token list")?;
            let tokens: Vec<serde_json::Value> = ledger.read(|s| {
                s.access
                    .tokens
                    .iter()
                    .map(|(h, g)| json!({"fingerprint": h.fingerprint(), "actor": g.actor, "role": g.role, "granted_by": g.granted_by, "granted_at": g.granted_at, "revoked_at": g.revoked_at}))
                    .collect()
            });
            out.print(&json!({ "tokens": tokens }), || output::tokens(&tokens))
        }
        Cmd::Token(TokenCmd::Revoke {
            fingerprint,
            reason,
        }) => {
            let ledger = backend.local("token revoke")?;
            let matches: Vec<TokenHash> = ledger.read(|s| {
                s.access
                    .tokens
                    .keys()
                    .filter(|h| h.as_str().starts_with(fingerprint.as_str()))
                    .cloned()
                    .collect()
            });
            let token = match (fingerprint.len() >= 8, matches.as_slice()) {
                (true, [one]) => one.clone(),
                (false, _) => {
                    return Err(usage(
                        "give at least 8 hex digits of the fingerprint (see `token list`)",
                    ))
                }
                (true, []) => {
                    return Err(usage(format!(
                        "no token has the fingerprint {fingerprint} (see `token list`)"
                    )))
                }
                (true, _) => {
                    return Err(usage(format!(
                        "{fingerprint} matches several tokens; give more digits"
                    )))
                }
            };
            let command = Command::RevokeToken {
                token,
                reason: reason.clone(),
            };
            execute(
                backend,
                out,
                command,
                &WriteOpts {
                    event_id: None,
                    expect_version: None,
                },
            )
            .await
        }
        Cmd::Digest => print_digest(out, backend.digest().await?),
        Cmd::Verify(a) => {
            let Backend::Remote(remote) = backend else {
                return Ok(());
            };
            if a.file.is_some() || a.digest.is_some() {
                return Err(usage("with --server, `verify` checks the server's chain; verify a file or a digest locally, on an export"));
            }
            let report: serde_json::Value = remote.get("/ledger/verify", &[]).await?;
            if report["ok"] == true {
                out.print(&report, || {
                    format!(
                        "ok: {} records verify; head {}:{}\n",
                        report["records"],
                        report["seq"],
                        report["hash"].as_str().unwrap_or("")
                    )
                })
            } else {
                out.print(&report, String::new)?;
                Err(CliError::Unverified(format!(
                    "verification failed at record {}: {}",
                    report["first_bad_seq"],
                    report["reason"].as_str().unwrap_or("")
                )))
            }
        }
        Cmd::Export(a) => {
            let mut sink: Box<dyn Write> = match &a.out {
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
                Some(path) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(path)
                        .map_err(|e| usage(format!("cannot write {}: {e}", path.display())))?,
                )),
            };
            let mut after = 0;
            loop {
                let page = backend.records(after, 1000).await?;
                if page.is_empty() {
                    break;
                }
                for bytes in &page {
                    sink.write_all(bytes)
                        .and_then(|_| sink.write_all(b"\n"))
                        .map_err(StoreError::Io)?;
                }
                after += page.len() as u64;
            }
            sink.flush().map_err(StoreError::Io)?;
            Ok(())
        }
        Cmd::Serve(_) => Ok(()),
    }
}

/// A new bearer token: `glt_` and 244 random bits.
pub(crate) fn new_token() -> String {
    format!(
        "glt_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Who records a token grant: the login user when it is a valid name, else the token's holder.
fn operator(holder: &Actor) -> Actor {
    std::env::var("USER")
        .ok()
        .and_then(|u| Actor::parse(&u).ok())
        .unwrap_or_else(|| holder.clone())
}

fn count_lines(path: &Path) -> Option<u64> {
    let bytes = std::fs::read(path).ok()?;
    Some(bytes.iter().filter(|b| **b == b'\n').count() as u64)
}

/// Sends a command and prints what it appended and the resulting goal or team.
async fn execute(
    backend: &Backend,
    out: Printer,
    command: Command,
    write: &WriteOpts,
) -> Result<(), CliError> {
    let id = write
        .event_id
        .as_deref()
        .map(EventId::parse)
        .transpose()
        .map_err(usage)?;
    let answer = backend.execute(command, id, write.expect_version).await?;
    let value = json!({ "appended": answer.appended, "goal": answer.goal, "team": answer.team });
    out.print(&value, || {
        output::appended(&answer.appended)
            + &answer.goal.as_ref().map(output::goal).unwrap_or_default()
            + &answer.team.as_ref().map(output::team).unwrap_or_default()
    })
}

fn verify(cli: &Cli, a: &args::VerifyArgs, out: Printer) -> Result<(), CliError> {
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
            let archive = Archive::open(&cli.data_dir)?;
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

fn export(dir: &Path, out: Option<&Path>) -> Result<(), CliError> {
    let archive = Archive::open(dir)?;
    let total = archive.digest()?.seq;
    let mut bar = progress("export", Some(total));
    match out {
        None => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            archive.export(&mut stdout, &mut bar)?;
        }
        Some(path) => {
            // Write beside the target and rename, so a crash never leaves half a file there.
            let tmp = path.with_extension("jsonl.partial");
            let file = std::fs::File::create(&tmp)
                .map_err(|e| usage(format!("cannot write {}: {e}", tmp.display())))?;
            let mut w = std::io::BufWriter::new(file);
            archive.export(&mut w, &mut bar)?;
            let file = w
                .into_inner()
                .map_err(|e| CliError::Refused(e.to_string()))?;
            file.sync_all().map_err(StoreError::Io)?;
            std::fs::rename(&tmp, path).map_err(StoreError::Io)?;
            eprintln!("exported {total} records to {}", path.display());
        }
    }
    Ok(())
}
