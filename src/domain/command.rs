//! Commands: what a person asks the ledger to do, in the imperative. `decide` turns a command
//! into events or a `Rejection`; a command never changes anything by itself.

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::consensus::{Choice, Rule};
use super::cycles::CarryRequest;
use super::event::{Resolution, Role};
use super::goal::{Cadence, Health, KeyResultSpec, Section};
use super::ids::{Actor, CycleName, GoalId, KrName, StreamId, TeamId, TokenHash, WebhookId};
use super::proposal::{Changes, ClosingTerms};
use super::webhook::Notification;

/// A goal as someone proposes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalDraft {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub teams: Vec<TeamId>,
    #[serde(default)]
    pub parent: Option<GoalId>,
    pub start: NaiveDate,
    pub due: NaiveDate,
    pub key_results: Vec<KeyResultSpec>,
    /// The cycle it belongs to; by default the cycle containing its start.
    #[serde(default)]
    pub cycle: Option<CycleName>,
    /// How often its key results are checked in; weekly by default.
    #[serde(default)]
    pub cadence: Option<Cadence>,
}

/// Every command the ledger accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum Command {
    RegisterTeam {
        team: TeamId,
        name: String,
    },
    JoinTeam {
        team: TeamId,
        member: Actor,
    },
    LeaveTeam {
        team: TeamId,
        member: Actor,
    },
    ProposeGoal {
        goal: GoalId,
        draft: GoalDraft,
        rule: Rule,
        reason: String,
        closes_at: Option<DateTime<Utc>>,
    },
    ProposeAdjustment {
        goal: GoalId,
        changes: Changes,
        reason: String,
        closes_at: Option<DateTime<Utc>>,
    },
    CastVote {
        goal: GoalId,
        choice: Choice,
        reason: Option<String>,
    },
    WithdrawProposal {
        goal: GoalId,
        reason: String,
    },
    RecordCheckIn {
        goal: GoalId,
        key_result: KrName,
        value: f64,
        health: Health,
        confidence: Option<u8>,
        note: Option<String>,
        corrects: Option<u64>,
        /// Marked as outside the goal's period (needed before its start).
        outside_period: bool,
    },
    /// Proposes to close the goal with these terms (final values by key result; missing ones
    /// take the latest check-in).
    CloseGoal {
        goal: GoalId,
        terms: ClosingTerms,
        closes_at: Option<DateTime<Utc>>,
    },
    /// Proposes to reopen the closed goal.
    ReopenGoal {
        goal: GoalId,
        reason: String,
        closes_at: Option<DateTime<Utc>>,
    },
    NotePostMortem {
        goal: GoalId,
        section: Section,
        text: String,
        owner: Option<Actor>,
        due: Option<NaiveDate>,
    },
    /// Marks an open action item done or dropped (dropping needs a note saying why).
    ResolveActionItem {
        goal: GoalId,
        item: u32,
        status: Resolution,
        note: Option<String>,
    },
    /// Grants `token` to `actor` (the holder; the granter is the request's actor).
    GrantToken {
        token: TokenHash,
        actor: Actor,
        role: Role,
        expires_at: Option<DateTime<Utc>>,
    },
    RevokeToken {
        token: TokenHash,
        reason: String,
    },
    /// Opens a cycle (admins).
    OpenCycle {
        cycle: CycleName,
        start: NaiveDate,
        end: NaiveDate,
    },
    /// Closes a cycle with its figures (admins).
    CloseCycle {
        cycle: CycleName,
    },
    /// Proposes to carry the active goal into a later cycle.
    CarryOver {
        goal: GoalId,
        request: CarryRequest,
        reason: String,
        closes_at: Option<DateTime<Utc>>,
    },
    /// Registers a webhook (admins); the face has checked the address may be reached.
    RegisterWebhook {
        webhook: WebhookId,
        url: String,
        events: Vec<Notification>,
        team: Option<TeamId>,
    },
    RemoveWebhook {
        webhook: WebhookId,
        reason: String,
    },
}

impl Command {
    /// The stream the command is addressed to (for optimistic concurrency).
    pub fn stream(&self) -> StreamId {
        match self {
            Command::RegisterTeam { team, .. }
            | Command::JoinTeam { team, .. }
            | Command::LeaveTeam { team, .. } => StreamId::Team(team.clone()),
            Command::ProposeGoal { goal, .. }
            | Command::ProposeAdjustment { goal, .. }
            | Command::CastVote { goal, .. }
            | Command::WithdrawProposal { goal, .. }
            | Command::RecordCheckIn { goal, .. }
            | Command::CloseGoal { goal, .. }
            | Command::ReopenGoal { goal, .. }
            | Command::NotePostMortem { goal, .. }
            | Command::ResolveActionItem { goal, .. }
            | Command::CarryOver { goal, .. } => StreamId::Goal(goal.clone()),
            Command::GrantToken { .. } | Command::RevokeToken { .. } => StreamId::Access,
            Command::OpenCycle { .. } | Command::CloseCycle { .. } => StreamId::Cycles,
            Command::RegisterWebhook { .. } | Command::RemoveWebhook { .. } => StreamId::Webhooks,
        }
    }

    /// The check-in this command corrects, which the ledger looks up before deciding.
    pub fn corrects(&self) -> Option<u64> {
        match self {
            Command::RecordCheckIn { corrects, .. } => *corrects,
            _ => None,
        }
    }
}

/// A check-in on the log that a correction refers to, looked up by the ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckInRef {
    pub seq: u64,
    pub goal: GoalId,
    pub key_result: KrName,
}

/// What `decide` needs besides state and command: who asks, when, and facts looked up for it.
#[derive(Debug, Clone)]
pub struct Context {
    pub actor: Actor,
    pub now: DateTime<Utc>,
    /// For a correction: the check-in it names, if that sequence holds one.
    pub corrected: Option<CheckInRef>,
}
