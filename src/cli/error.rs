//! How a command fails: one sentence for stderr and an exit code (1 refused, 2 usage or input,
//! 3 verification failed). Errors of the layers below map here, in one place.

use crate::domain::{GoalId, Rejection, RejectionKind, TeamId};
use crate::ledger::{AppendError, ExportError, ImportError, OpenError, ProofError, ReadError};
use crate::projections::ReplayError;
use crate::store::{StoreError, StoreFailure};

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

impl CliError {
    /// The goal an argument names does not exist.
    pub fn no_goal(id: &GoalId) -> CliError {
        CliError::Refused(Rejection::UnknownGoal(id.clone()).to_string())
    }

    /// The team an argument names does not exist.
    pub fn no_team(id: &TeamId) -> CliError {
        CliError::Refused(format!("there is no team `{id}`"))
    }
}

/// A usage error from anything that explains itself.
pub(crate) fn usage(e: impl ToString) -> CliError {
    CliError::Usage(e.to_string())
}

impl From<AppendError> for CliError {
    fn from(e: AppendError) -> CliError {
        match &e {
            AppendError::Rejected(r) if r.kind() == RejectionKind::Invalid => {
                CliError::Usage(e.to_string())
            }
            AppendError::IdReused { .. } | AppendError::TooLarge { .. } => {
                CliError::Usage(e.to_string())
            }
            AppendError::Unavailable(why) => {
                // The writer keeps the failure's words, not its kind: the database's say so.
                let kind = match why.contains("the database") {
                    true => StoreFailure::Database,
                    false => StoreFailure::Disk,
                };
                CliError::Refused(format!("{e}{}", store_advice(kind)))
            }
            _ => CliError::Refused(e.to_string()),
        }
    }
}

/// What the person at the command line can do about a storage failure.
fn store_advice(kind: StoreFailure) -> &'static str {
    match kind {
        StoreFailure::Locked => ": stop it, or send commands to it with --server URL",
        StoreFailure::Missing => {
            ": check --data-dir (or GOAL_LEDGER_DATA), or --store (GOAL_LEDGER_STORE); a ledger is created by the first write"
        }
        StoreFailure::Corrupt => "; run `goal-ledger verify` and restore from an export if needed",
        StoreFailure::Disk => {
            ": free space or fix the disk, then retry (a write with the same --id)"
        }
        StoreFailure::Database => {
            ": check that the database of --store is up and reachable, then retry (a write with the same --id)"
        }
    }
}

impl From<OpenError> for CliError {
    fn from(e: OpenError) -> CliError {
        match e {
            OpenError::Store(e) | OpenError::Replay(ReplayError::Store(e)) => e.into(),
            OpenError::Key(e) => e.into(),
            other => CliError::Refused(other.to_string()),
        }
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> CliError {
        CliError::Refused(format!("{e}{}", store_advice(e.kind())))
    }
}

impl From<ReadError> for CliError {
    fn from(e: ReadError) -> CliError {
        match e {
            ReadError::Store(e) | ReadError::Replay(ReplayError::Store(e)) => e.into(),
            other => CliError::Refused(other.to_string()),
        }
    }
}

impl From<ExportError> for CliError {
    fn from(e: ExportError) -> CliError {
        match e {
            ExportError::Read(e) => e.into(),
            ExportError::Write(_) => CliError::Refused(e.to_string()),
        }
    }
}

impl From<ImportError> for CliError {
    fn from(e: ImportError) -> CliError {
        match e {
            ImportError::Broken(_) => CliError::Unverified(e.to_string()),
            ImportError::Io(_) | ImportError::Refused(_) => CliError::Usage(e.to_string()),
            ImportError::Read(e) => e.into(),
            ImportError::Append(e) => e.into(),
        }
    }
}

impl From<ProofError> for CliError {
    fn from(e: ProofError) -> CliError {
        match e {
            ProofError::Store(e) => e.into(),
            ProofError::Invalid(_) | ProofError::Key(_) => CliError::Usage(e.to_string()),
            ProofError::Inconsistent(_) => CliError::Unverified(e.to_string()),
            ProofError::NotFound(_) | ProofError::NoKey => CliError::Refused(e.to_string()),
        }
    }
}
