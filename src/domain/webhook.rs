//! Webhooks as the ledger records them: which notifications exist, and every registration
//! still in force. Delivering them is `notify`'s work; the domain only says who is sent what.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ids::{Actor, TeamId, WebhookId};

/// What a webhook can be sent.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Notification {
    /// A proposal opened: its electorate is asked to vote.
    VoteNeeded,
    /// A key result's check-in fell due under its goal's cadence (once per due period).
    CheckInDue,
    /// A proposal was decided.
    ProposalDecided,
    /// A goal was closed.
    GoalClosed,
    /// A cycle was closed, with its figures.
    CycleClosed,
    /// An open action item reached its due date (once).
    ActionItemDue,
}

impl Notification {
    pub const ALL: [Notification; 6] = [
        Notification::VoteNeeded,
        Notification::CheckInDue,
        Notification::ProposalDecided,
        Notification::GoalClosed,
        Notification::CycleClosed,
        Notification::ActionItemDue,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Notification::VoteNeeded => "vote-needed",
            Notification::CheckInDue => "check-in-due",
            Notification::ProposalDecided => "proposal-decided",
            Notification::GoalClosed => "goal-closed",
            Notification::CycleClosed => "cycle-closed",
            Notification::ActionItemDue => "action-item-due",
        }
    }
}

impl std::fmt::Display for Notification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Notification {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Notification::ALL
            .into_iter()
            .find(|n| n.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Notification::ALL.iter().map(|n| n.name()).collect();
                format!("unknown webhook event {s:?}: use {}", names.join(", "))
            })
    }
}

/// A webhook registration in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hook {
    pub id: WebhookId,
    pub url: String,
    pub events: Vec<Notification>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamId>,
    pub registered_by: Actor,
    pub registered_at: DateTime<Utc>,
    pub seq: u64,
}

/// Every webhook in force, by id, and the webhooks stream's version. A removed webhook leaves
/// this map (its records stay on the log).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Webhooks {
    pub hooks: BTreeMap<WebhookId, Hook>,
    /// Every id ever registered, so an id is never reused.
    #[serde(default)]
    pub ever: Vec<WebhookId>,
    pub version: u64,
}
