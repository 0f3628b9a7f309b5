//! The goal domain, pure: ids, teams, goals, proposals, consensus rules, commands and events.
//! `decide` (command → events or rejection) and `apply` (event → state) are thin dispatchers
//! over one file per concern (`membership`, `adoption`, `adjustments`, `voting`, `check_ins`,
//! `closing`, `tokens`, `post_mortem`), each holding its `decide_*` and `apply_*`. Nothing here
//! reads a clock, touches a disk or a network, or knows how records are stored.

pub mod apply;
pub mod command;
pub mod consensus;
pub mod cycle;
pub mod decide;
pub mod event;
pub mod goal;
pub mod ids;
pub mod proposal;
pub mod rejection;
pub mod state;
pub mod team;
pub mod webhook;

mod adjustments;
mod adoption;
mod check_ins;
mod closing;
mod cycles;
mod definition;
mod membership;
mod post_mortem;
mod preconditions;
mod tokens;
mod validate;
mod voting;
mod webhooks;

pub use apply::{apply, apply_changes, Access, Grant, Inconsistency, Meta, Singles, State};
pub use command::{CheckInRef, Command, Context, GoalDraft};
pub use consensus::{evaluate, Choice, Electorate, Outcome, Rule, Tally, Verdict};
pub use cycle::{Cycle, CycleFigures, Cycles};
pub use cycles::CarryRequest;
pub use decide::{decide, tick};
pub use event::{Event, Resolution, Role};
pub use goal::{
    ActionItem, Cadence, ClosingOutcome, Direction, Goal, GoalDefinition, GoalStatus, Health,
    KeyResult, KeyResultSpec, Section,
};
pub use ids::{
    Actor, CycleName, EventId, GoalId, IdError, KrName, StreamId, TeamId, TokenHash, WebhookId,
};
pub use proposal::{Ballot, CarryTerms, Changes, ClosingTerms, Proposal, ProposalKind, Rebase};
pub use rejection::{Rejection, RejectionKind};
pub use team::Team;
pub use webhook::{Hook, Notification, Webhooks};
