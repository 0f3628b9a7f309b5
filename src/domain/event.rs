//! Events: past-tense facts, one struct per type, each with a schema version. A stored event's
//! shape never changes: a new field gets a default, a new shape gets a new version and an
//! upcaster in `Event::decode`. The catalog in `events/schemas/` is generated from these types.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::consensus::{Choice, Electorate, Outcome, Rule, Tally};
use super::cycle::CycleFigures;
use super::goal::{ClosingOutcome, GoalDefinition, Health, Section};
use super::ids::{Actor, CycleName, GoalId, KrName, StreamId, TeamId, TokenHash, WebhookId};
use super::proposal::{Changes, Rebase};
use super::webhook::Notification;

/// A team (department) was registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamRegistered {
    pub team: TeamId,
    pub name: String,
}

/// Someone became a member of a team, and so a voter on its goals' future proposals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberJoined {
    pub team: TeamId,
    pub member: Actor,
}

/// Someone left a team. Proposals already open keep them in their electorate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberLeft {
    pub team: TeamId,
    pub member: Actor,
}

/// A goal was proposed; this opens its adoption proposal (number 1). The record's actor proposed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalProposed {
    pub goal: GoalId,
    pub proposal: u32,
    pub definition: GoalDefinition,
    pub rule: Rule,
    pub reason: String,
    /// The members of each owning team at this moment: who may vote.
    pub electorate: Electorate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<DateTime<Utc>>,
    /// The cycle the goal belongs to, when one was open for it (new in schema 2; a goal without
    /// it belongs to the cycle containing its start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycle: Option<CycleName>,
}

/// An adjustment of an active goal was proposed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentProposed {
    pub goal: GoalId,
    pub proposal: u32,
    pub changes: Changes,
    /// The rule this proposal is decided by (the goal's rule when it opened).
    pub rule: Rule,
    pub reason: String,
    pub electorate: Electorate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<DateTime<Utc>>,
}

/// Closing an active goal was proposed, with the outcome, score, summary and final values the
/// owning teams are asked to agree on. The goal closes only when this proposal is accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosingProposed {
    pub goal: GoalId,
    pub proposal: u32,
    pub outcome: ClosingOutcome,
    /// 0.0 to 1.0.
    pub score: f64,
    pub summary: String,
    /// Each key result's final value.
    pub final_values: BTreeMap<KrName, f64>,
    /// The rule this proposal is decided by (the goal's rule when it opened).
    pub rule: Rule,
    pub electorate: Electorate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<DateTime<Utc>>,
}

/// Reopening a closed goal was proposed. The goal reopens only when this proposal is accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopeningProposed {
    pub goal: GoalId,
    pub proposal: u32,
    pub reason: String,
    /// The rule this proposal is decided by (the goal's rule when it opened).
    pub rule: Rule,
    pub electorate: Electorate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<DateTime<Utc>>,
}

/// A member of the electorate voted; the record's actor is the voter. A later vote by the same
/// voter on the same proposal supersedes this one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteCast {
    pub goal: GoalId,
    pub proposal: u32,
    pub choice: Choice,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What settled a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DecidedBy {
    /// A vote made the outcome certain.
    Votes,
    /// The closing time passed.
    ClosingTime,
}

/// A proposal was decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalDecided {
    pub goal: GoalId,
    pub proposal: u32,
    pub outcome: Outcome,
    pub decided_by: DecidedBy,
    pub tally: Tally,
    /// One sentence: why this outcome.
    pub explanation: String,
}

/// An open proposal was withdrawn; a withdrawn adoption withdraws the goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalWithdrawn {
    pub goal: GoalId,
    pub proposal: u32,
    pub reason: String,
}

/// An accepted adjustment took effect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalAdjusted {
    pub goal: GoalId,
    pub proposal: u32,
    pub changes: Changes,
}

/// A key result's current value was reported. Never edited: a correction is a new check-in that
/// names the sequence number it corrects. Recorded as schema 1 unless marked `outside_period`
/// (schema 2; `schemas/CheckInRecorded.v1.json` stays for schema 1 records).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInRecorded {
    pub goal: GoalId,
    pub key_result: KrName,
    pub value: f64,
    pub health: Health,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<u64>,
    /// Dated outside the goal's period (before its start or after its due date) and marked so
    /// by its writer. New in schema 2; a check-in without it is recorded as schema 1.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub outside_period: bool,
}

/// A goal was closed: its closing proposal was accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalClosed {
    pub goal: GoalId,
    /// The accepted closing proposal (absent on goals closed before closing needed agreement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal: Option<u32>,
    pub outcome: ClosingOutcome,
    /// 0.0 to 1.0.
    pub score: f64,
    pub summary: String,
    /// Each key result's final value.
    pub final_values: BTreeMap<KrName, f64>,
}

/// A closed goal was reopened: its reopening proposal was accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalReopened {
    pub goal: GoalId,
    /// The accepted reopening proposal (absent on goals reopened before it needed agreement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal: Option<u32>,
    pub reason: String,
}

/// A post-mortem note was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostMortemNoted {
    pub goal: GoalId,
    pub section: Section,
    pub text: String,
    /// Action items only: who will do it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Actor>,
    /// Action items only: by when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<NaiveDate>,
    /// Action items only: the item's number on its goal (1, 2, ...), which resolving it names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<u32>,
}

/// How an action item ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Resolution {
    Done,
    Dropped,
}

impl std::fmt::Display for Resolution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Resolution::Done => "done",
            Resolution::Dropped => "dropped",
        })
    }
}

/// An open action item was resolved, done or dropped; the record's actor resolved it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionItemResolved {
    pub goal: GoalId,
    pub item: u32,
    pub status: Resolution,
    /// What was done, or why it was dropped (required for dropped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An admin opened a cycle: a named period goals belong to. Cycles never overlap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CycleOpened {
    pub cycle: CycleName,
    pub start: NaiveDate,
    /// The cycle's last day.
    pub end: NaiveDate,
}

/// An admin closed a cycle; its figures are as they stood then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CycleClosed {
    pub cycle: CycleName,
    pub figures: CycleFigures,
}

/// Carrying an active goal into a later cycle was proposed, with its new dates and, per key
/// result, a new baseline and target. The goal moves only when this proposal is accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CarryOverProposed {
    pub goal: GoalId,
    pub proposal: u32,
    pub from: CycleName,
    pub to: CycleName,
    pub start: NaiveDate,
    pub due: NaiveDate,
    /// Every key result's new baseline and target.
    pub key_results: BTreeMap<KrName, Rebase>,
    pub reason: String,
    /// The rule this proposal is decided by (the goal's rule when it opened).
    pub rule: Rule,
    pub electorate: Electorate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<DateTime<Utc>>,
}

/// A goal was carried into a later cycle: its carry-over proposal was accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalCarriedOver {
    pub goal: GoalId,
    pub proposal: u32,
    pub from: CycleName,
    pub to: CycleName,
    pub start: NaiveDate,
    pub due: NaiveDate,
    pub key_results: BTreeMap<KrName, Rebase>,
    /// The previous cycle's result: each key result's latest value and its progress (0 at
    /// the old baseline, 1 at the old target) when the goal moved.
    pub previous: BTreeMap<KrName, PreviousResult>,
}

/// A key result's standing when its goal left a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviousResult {
    /// The latest check-in, or the baseline without one.
    pub value: f64,
    pub progress: f64,
}

/// An admin registered a webhook: `url` is sent these events (of `team`'s goals only, when
/// given). The signing secret is not on the record: the server derives it from its key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRegistered {
    pub webhook: WebhookId,
    pub url: String,
    pub events: Vec<Notification>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamId>,
}

/// An admin removed a webhook; nothing more is sent to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRemoved {
    pub webhook: WebhookId,
    pub reason: String,
}

/// What a bearer token may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Read goals, teams, history and the log.
    Reader,
    /// Also propose, vote, check in, adjust, close and write notes.
    Member,
    /// Also manage teams and tokens.
    Admin,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Reader => "reader",
            Role::Member => "member",
            Role::Admin => "admin",
        })
    }
}

/// A bearer token was granted to an actor with a role, until an expiry or for good. Only the
/// token's BLAKE3 hash is recorded. The record's actor is who granted it; `actor` is who holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenGranted {
    pub token: TokenHash,
    pub actor: Actor,
    pub role: Role,
    /// From this time on the token is refused; absent for a token that does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A bearer token was revoked; from this record on it is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRevoked {
    pub token: TokenHash,
    pub reason: String,
}

/// An event payload did not decode; says which type and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventDecodeError {
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    #[error("{kind} has no schema version {schema} (this program knows version {known})")]
    UnknownSchema {
        kind: String,
        schema: u32,
        known: u32,
    },
    #[error("{kind} payload does not match its schema: {message}")]
    Payload { kind: String, message: String },
}

macro_rules! events {
    ($($name:ident = $schema:literal),* $(,)?) => {
        /// Every fact the ledger records.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Event {
            $($name($name),)*
        }

        impl Event {
            /// Every event type name with its current schema version, in catalog order.
            pub const TYPES: &'static [(&'static str, u32)] = &[$((stringify!($name), $schema),)*];

            /// The record's `type` field.
            pub fn type_name(&self) -> &'static str {
                match self {
                    $(Event::$name(_) => stringify!($name),)*
                }
            }

            /// The type's current schema version.
            fn current_schema(&self) -> u32 {
                match self {
                    $(Event::$name(_) => $schema,)*
                }
            }

            /// Decodes a stored payload of the given type and schema version.
            pub fn decode(kind: &str, schema: u32, payload: &str) -> Result<Event, EventDecodeError> {
                match kind {
                    $(stringify!($name) => {
                        if schema == 0 || schema > $schema {
                            return Err(EventDecodeError::UnknownSchema {
                                kind: kind.to_owned(),
                                schema,
                                known: $schema,
                            });
                        }
                        let event = serde_json::from_str::<$name>(payload)
                            .map(Event::$name)
                            .map_err(|e| EventDecodeError::Payload {
                                kind: kind.to_owned(),
                                message: e.to_string(),
                            })?;
                        // A later version only adds optional members, so the current type
                        // reads every version; the stored number must be the one this payload
                        // is written in (a schema 1 record with a schema 2 member is refused).
                        match event.schema() {
                            written if written == schema => Ok(event),
                            written => Err(EventDecodeError::Payload {
                                kind: kind.to_owned(),
                                message: format!("the payload is schema {written}, but the record says {schema}"),
                            }),
                        }
                    })*
                    _ => Err(EventDecodeError::UnknownType(kind.chars().take(64).collect())),
                }
            }

            /// The JSON Schema of every event payload, by type name.
            pub fn schemas() -> Vec<(&'static str, u32, schemars::schema::RootSchema)> {
                vec![$((stringify!($name), $schema, schemars::schema_for!($name)),)*]
            }
        }

        impl Serialize for Event {
            /// Serializes the payload alone; the record envelope carries type and schema.
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    $(Event::$name(p) => p.serialize(s),)*
                }
            }
        }

        $(impl From<$name> for Event {
            fn from(p: $name) -> Event {
                Event::$name(p)
            }
        })*
    };
}

events! {
    TeamRegistered = 1,
    MemberJoined = 1,
    MemberLeft = 1,
    GoalProposed = 2,
    AdjustmentProposed = 2,
    ClosingProposed = 1,
    ReopeningProposed = 1,
    VoteCast = 1,
    ProposalDecided = 1,
    ProposalWithdrawn = 1,
    GoalAdjusted = 2,
    CheckInRecorded = 2,
    GoalClosed = 1,
    GoalReopened = 1,
    PostMortemNoted = 1,
    ActionItemResolved = 1,
    TokenGranted = 1,
    TokenRevoked = 1,
    CycleOpened = 1,
    CycleClosed = 1,
    CarryOverProposed = 1,
    GoalCarriedOver = 1,
    WebhookRegistered = 1,
    WebhookRemoved = 1,
}

impl Event {
    /// The record's `schema` field: the oldest schema version of its type that describes this
    /// payload (a record that uses no later member keeps the version older readers know).
    pub fn schema(&self) -> u32 {
        match self {
            Event::CheckInRecorded(c) if !c.outside_period => 1,
            Event::GoalProposed(e) if e.cycle.is_none() && e.definition.cadence.is_none() => 1,
            Event::AdjustmentProposed(e) if e.changes.cadence.is_none() => 1,
            Event::GoalAdjusted(e) if e.changes.cadence.is_none() => 1,
            other => other.current_schema(),
        }
    }

    /// The stream this event belongs to.
    pub fn stream(&self) -> StreamId {
        match self {
            Event::TeamRegistered(e) => StreamId::Team(e.team.clone()),
            Event::MemberJoined(e) => StreamId::Team(e.team.clone()),
            Event::MemberLeft(e) => StreamId::Team(e.team.clone()),
            Event::GoalProposed(e) => StreamId::Goal(e.goal.clone()),
            Event::AdjustmentProposed(e) => StreamId::Goal(e.goal.clone()),
            Event::ClosingProposed(e) => StreamId::Goal(e.goal.clone()),
            Event::ReopeningProposed(e) => StreamId::Goal(e.goal.clone()),
            Event::VoteCast(e) => StreamId::Goal(e.goal.clone()),
            Event::ProposalDecided(e) => StreamId::Goal(e.goal.clone()),
            Event::ProposalWithdrawn(e) => StreamId::Goal(e.goal.clone()),
            Event::GoalAdjusted(e) => StreamId::Goal(e.goal.clone()),
            Event::CheckInRecorded(e) => StreamId::Goal(e.goal.clone()),
            Event::GoalClosed(e) => StreamId::Goal(e.goal.clone()),
            Event::GoalReopened(e) => StreamId::Goal(e.goal.clone()),
            Event::PostMortemNoted(e) => StreamId::Goal(e.goal.clone()),
            Event::ActionItemResolved(e) => StreamId::Goal(e.goal.clone()),
            Event::CarryOverProposed(e) => StreamId::Goal(e.goal.clone()),
            Event::GoalCarriedOver(e) => StreamId::Goal(e.goal.clone()),
            Event::TokenGranted(_) | Event::TokenRevoked(_) => StreamId::Access,
            Event::CycleOpened(_) | Event::CycleClosed(_) => StreamId::Cycles,
            Event::WebhookRegistered(_) | Event::WebhookRemoved(_) => StreamId::Webhooks,
        }
    }
}
