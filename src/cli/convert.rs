//! Arguments into domain values: ids, dates and times (through `crate::input`), the clap value
//! enums, and who the local actor is. A value that does not parse is a usage error (exit 2)
//! whose message names the argument.

use chrono::{DateTime, NaiveDate, Utc};

use super::args::{ChoiceArg, Cli, HealthArg, OutcomeArg, RoleArg, SectionArg};
use super::error::{usage, CliError};
use crate::domain::{
    Actor, Choice, ClosingOutcome, GoalId, Health, KeyResultSpec, Role, Section, TeamId,
};
use crate::input;
use crate::record::Auth;

/// An optional time argument (`--closes-at`, `--since`, ...).
pub fn opt_time(
    text: &Option<String>,
    end_of_day: bool,
) -> Result<Option<DateTime<Utc>>, CliError> {
    text.as_deref()
        .map(|t| input::time(t, end_of_day))
        .transpose()
        .map_err(usage)
}

/// An optional date argument (`--due`, `--start`, ...).
pub fn opt_date(text: &Option<String>) -> Result<Option<NaiveDate>, CliError> {
    text.as_deref().map(input::date).transpose().map_err(usage)
}

/// Key-result specs (`--kr`, `--add-kr`) with the weights `--weight KR=W` gives them; a weight
/// for a key result not among them is a usage error.
pub fn key_results(
    specs: &[String],
    weights: &[String],
    flag: &str,
) -> Result<Vec<KeyResultSpec>, CliError> {
    let mut out = specs
        .iter()
        .map(|k| input::key_result(k))
        .collect::<Result<Vec<_>, _>>()
        .map_err(usage)?;
    for pair in weights {
        let (name, weight) = input::kr_value(pair).map_err(usage)?;
        let spec = out.iter_mut().find(|s| s.name == name).ok_or_else(|| {
            usage(format!(
                "--weight {pair}: `{name}` is not a key result given with {flag} (a weight is set with the key result it weighs)"
            ))
        })?;
        if spec.weight.replace(weight).is_some() {
            return Err(usage(format!("--weight gives `{name}` two weights")));
        }
    }
    Ok(out)
}

pub fn goal_id(s: &str) -> Result<GoalId, CliError> {
    GoalId::parse(s).map_err(usage)
}

/// A `--cadence` value, if one was given.
pub fn cadence(text: &Option<String>) -> Result<Option<crate::domain::Cadence>, CliError> {
    text.as_deref().map(str::parse).transpose().map_err(usage)
}

pub fn cycle_name(s: &str) -> Result<crate::domain::CycleName, CliError> {
    crate::domain::CycleName::parse(s).map_err(usage)
}

pub fn team_id(s: &str) -> Result<TeamId, CliError> {
    TeamId::parse(s).map_err(usage)
}

pub fn actor_name(s: &str) -> Result<Actor, CliError> {
    Actor::parse(s).map_err(usage)
}

/// How a write on a data directory is recorded: the OS login and the host, whatever `--actor`
/// claims.
pub fn local_auth() -> Auth {
    Auth::local(
        &crate::config::login_user().unwrap_or_default(),
        &crate::config::hostname().unwrap_or_default(),
    )
}

/// The actor for local mode: `--actor`, else the login name.
pub fn actor(cli: &Cli) -> Result<Actor, CliError> {
    let name = match &cli.actor {
        Some(a) => a.clone(),
        None => crate::config::login_user().ok_or_else(|| {
            usage("cannot tell who you are: pass --actor NAME or set GOAL_LEDGER_ACTOR")
        })?,
    };
    Actor::parse(&name)
        .map_err(|e| usage(format!("{e}; pass --actor NAME or set GOAL_LEDGER_ACTOR")))
}

impl From<ChoiceArg> for Choice {
    fn from(c: ChoiceArg) -> Choice {
        match c {
            ChoiceArg::Agree => Choice::Agree,
            ChoiceArg::Abstain => Choice::Abstain,
            ChoiceArg::Disagree => Choice::Disagree,
            ChoiceArg::Block => Choice::Block,
        }
    }
}

impl From<HealthArg> for Health {
    fn from(h: HealthArg) -> Health {
        match h {
            HealthArg::OnTrack => Health::OnTrack,
            HealthArg::AtRisk => Health::AtRisk,
            HealthArg::OffTrack => Health::OffTrack,
        }
    }
}

impl From<OutcomeArg> for ClosingOutcome {
    fn from(o: OutcomeArg) -> ClosingOutcome {
        match o {
            OutcomeArg::Achieved => ClosingOutcome::Achieved,
            OutcomeArg::Partial => ClosingOutcome::Partial,
            OutcomeArg::Missed => ClosingOutcome::Missed,
            OutcomeArg::Dropped => ClosingOutcome::Dropped,
        }
    }
}

impl From<SectionArg> for Section {
    fn from(s: SectionArg) -> Section {
        match s {
            SectionArg::WentWell => Section::WentWell,
            SectionArg::WentWrong => Section::WentWrong,
            SectionArg::Lesson => Section::Lesson,
            SectionArg::ActionItem => Section::ActionItem,
            SectionArg::Kudos => Section::Kudos,
        }
    }
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Reader => Role::Reader,
            RoleArg::Member => Role::Member,
            RoleArg::Admin => Role::Admin,
        }
    }
}
