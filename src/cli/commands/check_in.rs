//! `check-in`: record a key result's current value, health and confidence (or correct an
//! earlier check-in with `--corrects SEQ`).

use super::{execute, Ctx};
use crate::cli::args::CheckInArgs;
use crate::cli::convert::goal_id;
use crate::cli::error::{usage, CliError};
use crate::domain::{Command, KrName};

pub async fn run(ctx: &Ctx<'_>, a: &CheckInArgs) -> Result<(), CliError> {
    let cmd = Command::RecordCheckIn {
        goal: goal_id(&a.goal)?,
        key_result: KrName::parse(&a.key_result).map_err(usage)?,
        value: a.value,
        health: a.health.into(),
        confidence: a.confidence,
        note: a.note.clone(),
        corrects: a.corrects,
        outside_period: a.outside_period,
    };
    execute(ctx, cmd, &a.write).await
}
