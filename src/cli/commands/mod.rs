//! One file per command, and `dispatch`, which hands each parsed command to its file. A command
//! gets a `Ctx` (the parsed line, where its data comes from, how to print) and does its work
//! through the `Backend`, so the same file serves local and `--server` mode.

mod action;
mod adjust;
mod backup;
mod carry_over;
mod check_in;
mod close;
mod cycle;
mod digest;
mod due;
mod export;
mod history;
mod import;
mod list;
mod log;
mod note;
mod proofs;
mod propose;
mod rebuild;
mod reopen;
mod retro;
pub(crate) mod serve;
mod show;
mod team;
mod timeline;
mod token;
mod verify;
mod vote;
mod webhook;
mod withdraw;

pub(crate) use self::backup::{local as backup_local, restore};
pub(crate) use self::digest::local as digest_local;
pub(crate) use self::export::local as export_local;
pub(crate) use self::verify::local as verify_local;

use serde_json::json;

use super::args::{Cli, Cmd, WriteOpts};
use super::backend::Backend;
use super::error::{usage, CliError};
use super::output;
use super::printer::Printer;
use crate::domain::{Command, EventId};

/// What every command gets.
pub struct Ctx<'a> {
    pub cli: &'a Cli,
    pub backend: &'a Backend,
    pub out: Printer,
}

/// Runs one parsed command.
pub async fn dispatch(ctx: &Ctx<'_>) -> Result<(), CliError> {
    match &ctx.cli.command {
        Cmd::Team(c) => team::run(ctx, c).await,
        Cmd::Propose(a) => propose::run(ctx, a).await,
        Cmd::Vote(a) => vote::run(ctx, a).await,
        Cmd::Adjust(a) => adjust::run(ctx, a).await,
        Cmd::CheckIn(a) => check_in::run(ctx, a).await,
        Cmd::Close(a) => close::run(ctx, a).await,
        Cmd::Reopen(a) => reopen::run(ctx, a).await,
        Cmd::Withdraw(a) => withdraw::run(ctx, a).await,
        Cmd::Note(a) => note::run(ctx, a).await,
        Cmd::Action(c) => action::run(ctx, c).await,
        Cmd::List(a) => list::run(ctx, a).await,
        Cmd::Show(a) => show::run(ctx, a).await,
        Cmd::History(a) => history::run(ctx, a).await,
        Cmd::Timeline(a) => timeline::run(ctx, a).await,
        Cmd::Retro(a) => retro::run(ctx, a).await,
        Cmd::Log(a) => log::run(ctx, a).await,
        Cmd::Import(a) => import::run(ctx, a).await,
        Cmd::Rebuild => rebuild::run(ctx).await,
        Cmd::Token(c) => token::run(ctx, c).await,
        Cmd::Cycle(c) => cycle::run(ctx, c).await,
        Cmd::CarryOver(a) => carry_over::run(ctx, a).await,
        Cmd::Due(a) => due::run(ctx, a).await,
        Cmd::Webhook(c) => webhook::run(ctx, c).await,
        Cmd::Digest => digest::run(ctx).await,
        Cmd::Verify(a) => verify::run(ctx, a).await,
        Cmd::Checkpoint(a) => proofs::checkpoint(ctx, a).await,
        Cmd::Prove(a) => proofs::prove(ctx, a).await,
        Cmd::Export(a) => export::run(ctx, a).await,
        Cmd::Backup(a) => backup::run(ctx, a).await,
        Cmd::Restore(_) => Err(usage(
            "`restore` makes a new local data directory (--data-dir); drop --server",
        )),
        Cmd::Serve(_) => Ok(()),
    }
}

/// Sends a command and prints what it appended and the resulting goal or team.
pub async fn execute(ctx: &Ctx<'_>, command: Command, write: &WriteOpts) -> Result<(), CliError> {
    let id = write
        .event_id
        .as_deref()
        .map(EventId::parse)
        .transpose()
        .map_err(usage)?;
    let answer = ctx
        .backend
        .execute(command, id, write.expect_version)
        .await?;
    let value = json!({ "appended": answer.appended, "goal": answer.goal, "team": answer.team });
    ctx.out.print(&value, || {
        output::appended(&answer.appended)
            + &answer.goal.as_ref().map(output::goal).unwrap_or_default()
            + &answer.team.as_ref().map(output::team).unwrap_or_default()
    })
}
