//! Proposals: every decision that needs agreement. An adoption proposal turns a proposed goal
//! into an active one; an adjustment proposal carries `Changes` to an active goal; a closing
//! proposal carries the outcome to close it with; a reopening proposal reopens a closed one. The
//! electorate is fixed when the proposal opens; each voter's latest ballot counts.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::consensus::{Choice, Electorate, Rule};
use super::goal::{Cadence, ClosingOutcome, KeyResultSpec};
use super::ids::{Actor, CycleName, GoalId, KrName, TeamId};

/// What an adjustment changes; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Changes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New targets by key result name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub targets: BTreeMap<KrName, f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_key_results: Vec<KeyResultSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drop_key_results: Vec<KrName>,
    /// The rule later proposals on this goal are decided by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Rule>,
    /// The new set of owning teams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams: Option<Vec<TeamId>>,
    /// A new parent goal (alignment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<GoalId>,
    /// A new check-in cadence (new in schema 2 of the events that carry changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cadence: Option<Cadence>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self == &Changes::default()
    }
}

/// The outcome a closing proposal asks the owning teams to agree on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClosingTerms {
    pub outcome: ClosingOutcome,
    pub score: f64,
    pub summary: String,
    pub final_values: BTreeMap<KrName, f64>,
}

/// A key result's new baseline and target in the cycle a goal is carried into.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rebase {
    pub baseline: f64,
    pub target: f64,
}

/// Where and how a carry-over proposal would move its goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CarryTerms {
    pub from: CycleName,
    pub to: CycleName,
    pub start: NaiveDate,
    pub due: NaiveDate,
    pub key_results: BTreeMap<KrName, Rebase>,
}

/// What a proposal would do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ProposalKind {
    Adoption,
    Adjustment { changes: Box<Changes> },
    Closing { closing: Box<ClosingTerms> },
    Reopening,
    CarryOver { carry: Box<CarryTerms> },
}

impl ProposalKind {
    pub fn name(&self) -> &'static str {
        match self {
            ProposalKind::Adoption => "adoption",
            ProposalKind::Adjustment { .. } => "adjustment",
            ProposalKind::Closing { .. } => "closing",
            ProposalKind::Reopening => "reopening",
            ProposalKind::CarryOver { .. } => "carry-over",
        }
    }
}

/// A voter's latest vote on a proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ballot {
    pub choice: Choice,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub seq: u64,
    pub at: DateTime<Utc>,
}

/// An open proposal on a goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// Numbered per goal from 1 (the adoption).
    pub id: u32,
    #[serde(flatten)]
    pub kind: ProposalKind,
    pub rule: Rule,
    pub electorate: Electorate,
    pub proposed_by: Actor,
    pub reason: String,
    pub opened_seq: u64,
    pub opened_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<DateTime<Utc>>,
    pub votes: BTreeMap<Actor, Ballot>,
}

impl Proposal {
    /// Each voter's latest choice, as the consensus rules read it.
    pub fn choices(&self) -> BTreeMap<Actor, Choice> {
        self.votes
            .iter()
            .map(|(a, b)| (a.clone(), b.choice))
            .collect()
    }
}
