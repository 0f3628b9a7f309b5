//! Rejections: every rule a command can break, as a value with a sentence a person can act on.
//! A rejected command appends nothing.

use crate::domain::goal::GoalStatus;
use crate::domain::ids::{Actor, CycleName, GoalId, KrName, TeamId, WebhookId};

/// How a rejection maps onto HTTP and exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectionKind {
    /// The goal or team does not exist.
    NotFound,
    /// It exists already.
    AlreadyExists,
    /// A domain rule forbids it now.
    Rule,
    /// A field's value is out of range or malformed.
    Invalid,
}

/// Why a command was refused. Each variant says what the caller can do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejection {
    /// Register the team first (`team add`).
    #[error("there is no team `{0}`: register it first with `team add {0}`")]
    UnknownTeam(TeamId),
    /// Pick another id, or use the existing team.
    #[error("team `{0}` is already registered")]
    TeamExists(TeamId),
    /// Check the goal id (`list` shows them).
    #[error("there is no goal `{0}`")]
    UnknownGoal(GoalId),
    /// Pick another id; the goal's record cannot be reused.
    #[error("goal `{0}` already exists; pick another id")]
    GoalExists(GoalId),
    #[error("{member} is already a member of team `{team}`")]
    AlreadyMember { team: TeamId, member: Actor },
    #[error("{member} is not a member of team `{team}`")]
    NotAMember { team: TeamId, member: Actor },
    /// Only members of an owning team may do this.
    #[error("{actor} is not a member of any team that owns goal `{goal}` ({teams}); only owners may {action}")]
    NotAnOwner {
        actor: Actor,
        goal: GoalId,
        teams: String,
        action: &'static str,
    },
    /// Only the electorate fixed when the proposal opened may vote.
    #[error("{actor} may not vote on proposal {proposal} of goal `{goal}`: the electorate fixed when it opened is {electorate}")]
    NotInElectorate {
        actor: Actor,
        goal: GoalId,
        proposal: u32,
        electorate: String,
    },
    #[error("goal `{goal}` has no open proposal to {action}")]
    NoOpenProposal { goal: GoalId, action: &'static str },
    /// One proposal per goal at a time: wait for it, or withdraw it.
    #[error("goal `{goal}` already has open proposal {proposal} ({kind}); wait for its decision or withdraw it first")]
    ProposalOpen {
        goal: GoalId,
        proposal: u32,
        kind: &'static str,
    },
    #[error("cannot {action} goal `{goal}`: it is {status}{hint}")]
    WrongStatus {
        goal: GoalId,
        status: GoalStatus,
        action: &'static str,
        hint: &'static str,
    },
    #[error("goal `{goal}` has no key result `{key_result}` (it has: {known})")]
    UnknownKeyResult {
        goal: GoalId,
        key_result: KrName,
        known: String,
    },
    /// Only team members write post-mortem notes: join a team first.
    #[error("{actor} is not a member of any team; only team members {action}")]
    NotOnATeam { actor: Actor, action: &'static str },
    /// An action item's owner must be a member of one of the goal's teams.
    #[error("{owner} cannot own an action item of goal `{goal}`: owners are members of its teams ({teams})")]
    OwnerNotOnTeam {
        owner: Actor,
        goal: GoalId,
        teams: String,
    },
    /// Check the item number (`show` and `retro` list them).
    #[error("goal `{goal}` has no action item {item}{known}")]
    UnknownActionItem {
        goal: GoalId,
        item: u32,
        known: String,
    },
    /// An action item is resolved once.
    #[error("action item {item} of goal `{goal}` is already {status}")]
    ActionItemResolved {
        goal: GoalId,
        item: u32,
        status: &'static str,
    },
    /// Check the cycle's name (`cycle list` shows them).
    #[error("there is no cycle `{cycle}`: {known}")]
    UnknownCycle { cycle: CycleName, known: String },
    /// A cycle closes once its goals' proposals are decided or withdrawn.
    #[error("cycle `{cycle}` cannot close while its goals have open proposals: {proposals}; decide or withdraw them first")]
    CycleHasOpenProposals { cycle: CycleName, proposals: String },
    /// Check the webhook's id (`webhook list` shows them).
    #[error("there is no webhook `{0}` (`webhook list` shows the registered ones)")]
    UnknownWebhook(WebhookId),
    #[error("a block needs a reason: say what would have to change for you to agree")]
    BlockNeedsReason,
    #[error("team `{0}` has no members, so nobody could vote for it; add members with `team join {0} NAME`")]
    TeamWithoutMembers(TeamId),
    #[error("the `system` actor is reserved for decisions the ledger makes itself")]
    ReservedActor,
    /// A field is malformed or out of range: fix that field.
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: String },
}

impl Rejection {
    pub fn kind(&self) -> RejectionKind {
        match self {
            Rejection::UnknownTeam(_)
            | Rejection::UnknownGoal(_)
            | Rejection::UnknownActionItem { .. }
            | Rejection::UnknownCycle { .. }
            | Rejection::UnknownWebhook(_) => RejectionKind::NotFound,
            Rejection::TeamExists(_) | Rejection::GoalExists(_) => RejectionKind::AlreadyExists,
            Rejection::Invalid { .. } | Rejection::BlockNeedsReason => RejectionKind::Invalid,
            _ => RejectionKind::Rule,
        }
    }

    pub fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Rejection {
        Rejection::Invalid {
            field: field.into(),
            problem: problem.into(),
        }
    }
}
