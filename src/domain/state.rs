//! The state a ledger folds its events into: every team, goal and token grant as of a sequence
//! number, plus the record facts (`Meta`) `apply` needs and the `Inconsistency` it reports when
//! an event does not fit. Only `apply` and the per-concern `apply_*` functions change it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::cycle::Cycles;
use super::event::Role;
use super::goal::Goal;
use super::ids::{Actor, GoalId, StreamId, TeamId, TokenHash};
use super::team::Team;
use super::webhook::Webhooks;

/// Every goal and team as of `seq`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub teams: BTreeMap<TeamId, Team>,
    pub goals: BTreeMap<GoalId, Goal>,
    /// The last sequence number applied.
    pub seq: u64,
    /// Open proposals with a closing time, soonest first: what `tick` looks at.
    #[serde(skip)]
    pub deadlines: BTreeSet<(DateTime<Utc>, GoalId)>,
    pub access: Access,
    pub cycles: Cycles,
    pub webhooks: Webhooks,
}

/// Every token ever granted, by hash, and the access stream's version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Access {
    pub tokens: BTreeMap<TokenHash, Grant>,
    pub version: u64,
}

/// One token grant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    pub actor: Actor,
    pub role: Role,
    pub granted_by: Actor,
    pub granted_at: DateTime<Utc>,
    pub seq: u64,
    /// From this time on the token is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl State {
    /// Assembles a state from stored goals and teams, deriving the deadline index.
    pub fn from_parts(
        teams: BTreeMap<TeamId, Team>,
        goals: BTreeMap<GoalId, Goal>,
        streams: Singles,
        seq: u64,
    ) -> State {
        let Singles {
            access,
            cycles,
            webhooks,
        } = streams;
        let deadlines = goals
            .values()
            .filter_map(|g| Some((g.open_proposal.as_ref()?.closes_at?, g.id.clone())))
            .collect();
        State {
            teams,
            goals,
            seq,
            deadlines,
            access,
            cycles,
            webhooks,
        }
    }

    /// The version of a stream: how many events it holds (0 if none).
    pub fn version_of(&self, stream: &StreamId) -> u64 {
        match stream {
            StreamId::Goal(id) => self.goals.get(id).map_or(0, |g| g.version),
            StreamId::Team(id) => self.teams.get(id).map_or(0, |t| t.version),
            StreamId::Access => self.access.version,
            StreamId::Cycles => self.cycles.version,
            StreamId::Webhooks => self.webhooks.version,
        }
    }
}

/// The state of the streams there is one of: access, cycles, webhooks.
#[derive(Debug, Clone, Default)]
pub struct Singles {
    pub access: Access,
    pub cycles: Cycles,
    pub webhooks: Webhooks,
}

/// The record facts `apply` needs besides the event.
#[derive(Debug, Clone, Copy)]
pub struct Meta<'a> {
    pub seq: u64,
    pub version: u64,
    pub at: DateTime<Utc>,
    pub actor: &'a Actor,
}

/// An event that does not fit the state it is applied to: the log is not one this program wrote
/// or could have written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {seq}: {problem}")]
pub struct Inconsistency {
    pub seq: u64,
    pub problem: String,
}
