//! A goal: its SMART definition (title, owners, dates, key results), its lifecycle status, and
//! the state a ledger keeps of it (current values, open proposal, closing). Changing a goal
//! happens only through events (`apply`); deciding whether a change is allowed is `decide`'s job.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::consensus::Rule;
use super::cycle::Carried;
use super::event::Resolution;
use super::ids::{Actor, CycleName, GoalId, KrName, TeamId};
use super::proposal::Proposal;

/// Whether a key result should go up or down; follows from baseline vs target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    Increase,
    Decrease,
}

impl Direction {
    pub fn between(baseline: f64, target: f64) -> Direction {
        if target >= baseline {
            Direction::Increase
        } else {
            Direction::Decrease
        }
    }
}

/// A measurable key result of a goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyResult {
    pub name: KrName,
    /// Free text such as `visits/month` or `%`; may be empty.
    #[serde(default)]
    pub unit: String,
    pub baseline: f64,
    pub target: f64,
    pub direction: Direction,
    /// Relative weight when scoring; absent means 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
}

impl KeyResult {
    /// Progress from baseline (0.0) to target (1.0), unclamped.
    pub fn progress(&self, value: f64) -> f64 {
        let span = self.target - self.baseline;
        if span == 0.0 {
            return 1.0;
        }
        (value - self.baseline) / span
    }
}

/// A key result as a person asks for it: the direction is derived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyResultSpec {
    pub name: KrName,
    #[serde(default)]
    pub unit: String,
    pub baseline: f64,
    pub target: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
}

/// The SMART definition of a goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalDefinition {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Owning teams, sorted; more than one makes a joint goal.
    pub teams: Vec<TeamId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<GoalId>,
    pub start: NaiveDate,
    pub due: NaiveDate,
    pub key_results: Vec<KeyResult>,
    /// How often key results are checked in; absent means weekly (new in `GoalProposed`
    /// schema 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cadence: Option<Cadence>,
}

impl GoalDefinition {
    pub fn key_result(&self, name: &KrName) -> Option<&KeyResult> {
        self.key_results.iter().find(|kr| &kr.name == name)
    }

    /// The check-in cadence, weekly unless set.
    pub fn cadence(&self) -> Cadence {
        self.cadence.unwrap_or(Cadence::Weekly)
    }
}

/// How often a goal's key results are checked in. A key result is due when its last check-in
/// is older than the cadence, overdue past twice that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Cadence {
    Weekly,
    Biweekly,
    Monthly,
    /// No check-ins are expected on a schedule.
    #[serde(rename = "none")]
    Unscheduled,
}

impl Cadence {
    /// The days between expected check-ins; `None` for no schedule.
    pub fn days(self) -> Option<i64> {
        match self {
            Cadence::Weekly => Some(7),
            Cadence::Biweekly => Some(14),
            Cadence::Monthly => Some(30),
            Cadence::Unscheduled => None,
        }
    }
}

impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Cadence::Weekly => "weekly",
            Cadence::Biweekly => "biweekly",
            Cadence::Monthly => "monthly",
            Cadence::Unscheduled => "none",
        })
    }
}

impl std::str::FromStr for Cadence {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "weekly" => Ok(Cadence::Weekly),
            "biweekly" => Ok(Cadence::Biweekly),
            "monthly" => Ok(Cadence::Monthly),
            "none" => Ok(Cadence::Unscheduled),
            _ => Err(format!(
                "unknown cadence {s:?}: use weekly, biweekly, monthly or none"
            )),
        }
    }
}

/// Where a goal is in its life. Health is derived from check-ins, not a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum GoalStatus {
    Proposed,
    Active,
    Rejected,
    Withdrawn,
    Closed,
}

impl fmt::Display for GoalStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GoalStatus::Proposed => "proposed",
            GoalStatus::Active => "active",
            GoalStatus::Rejected => "rejected",
            GoalStatus::Withdrawn => "withdrawn",
            GoalStatus::Closed => "closed",
        })
    }
}

impl std::str::FromStr for GoalStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "proposed" => Ok(GoalStatus::Proposed),
            "active" => Ok(GoalStatus::Active),
            "rejected" => Ok(GoalStatus::Rejected),
            "withdrawn" => Ok(GoalStatus::Withdrawn),
            "closed" => Ok(GoalStatus::Closed),
            _ => Err(format!(
                "unknown status {s:?}: use proposed, active, rejected, withdrawn or closed"
            )),
        }
    }
}

/// How a key result is doing, as its owners judge it at a check-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Health {
    OnTrack,
    AtRisk,
    OffTrack,
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Health::OnTrack => "on-track",
            Health::AtRisk => "at-risk",
            Health::OffTrack => "off-track",
        })
    }
}

/// How a goal ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ClosingOutcome {
    Achieved,
    Partial,
    Missed,
    Dropped,
}

impl fmt::Display for ClosingOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClosingOutcome::Achieved => "achieved",
            ClosingOutcome::Partial => "partial",
            ClosingOutcome::Missed => "missed",
            ClosingOutcome::Dropped => "dropped",
        })
    }
}

/// A post-mortem section.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    WentWell,
    WentWrong,
    Lesson,
    ActionItem,
    Kudos,
}

impl Section {
    /// Every section, in the order a post-mortem shows them.
    pub const ALL: [Section; 5] = [
        Section::WentWell,
        Section::WentWrong,
        Section::Lesson,
        Section::ActionItem,
        Section::Kudos,
    ];
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Section::WentWell => "went-well",
            Section::WentWrong => "went-wrong",
            Section::Lesson => "lesson",
            Section::ActionItem => "action-item",
            Section::Kudos => "kudos",
        })
    }
}

/// The latest check-in of one key result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Current {
    pub value: f64,
    pub health: Health,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<u8>,
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub by: Actor,
}

/// An action item of a goal's post-mortem: who owns it, by when, and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionItem {
    /// What is to be done.
    #[serde(default)]
    pub text: String,
    pub owner: Actor,
    pub due: NaiveDate,
    /// The record that noted it.
    pub seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<Resolution>,
}

/// The closing of a goal, while it stays closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Closing {
    pub outcome: ClosingOutcome,
    pub score: f64,
    pub summary: String,
    pub final_values: BTreeMap<KrName, f64>,
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub by: Actor,
}

/// Everything the ledger knows about a goal now: small, independent of how many events it has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    pub id: GoalId,
    pub definition: GoalDefinition,
    /// The rule future proposals on this goal are decided by.
    pub rule: Rule,
    pub status: GoalStatus,
    /// Version of the goal's stream: how many events it has.
    pub version: u64,
    pub proposed_by: Actor,
    pub proposed_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_proposal: Option<Proposal>,
    /// How many proposals this goal has seen, the adoption included; the next one gets this + 1.
    pub proposals: u32,
    pub adjustments: u32,
    pub current: BTreeMap<KrName, Current>,
    pub check_ins: u64,
    pub notes: u64,
    /// The action items noted on the goal, by number.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub action_items: BTreeMap<u32, ActionItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closing: Option<Closing>,
    /// Every team that ever owned the goal, for team timelines.
    pub ever_teams: BTreeSet<TeamId>,
    /// The cycle it was proposed or carried into (else: the cycle containing its start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycle: Option<CycleName>,
    /// Its moves from cycle to cycle, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub carried: Vec<Carried>,
    pub updated_at: DateTime<Utc>,
    pub last_seq: u64,
}

impl Goal {
    /// The worst health among the latest check-ins, if there are any.
    pub fn health(&self) -> Option<Health> {
        self.current
            .values()
            .map(|c| c.health)
            .max_by_key(|h| match h {
                Health::OnTrack => 0,
                Health::AtRisk => 1,
                Health::OffTrack => 2,
            })
    }

    pub fn is_owned_by_member(&self, actor: &Actor, teams: &BTreeMap<TeamId, super::Team>) -> bool {
        self.definition
            .teams
            .iter()
            .filter_map(|t| teams.get(t))
            .any(|t| t.members.contains(actor))
    }
}
