//! Answers of the API that both ends know: what a write appended (with the goal or team as it
//! now is), and the `application/problem+json` body of every error.

use serde::{Deserialize, Serialize};

use crate::ledger::Appended;
use crate::projections::views::{GoalView, TeamView};

/// What a write answered (201): the records it appended and the goal or team it changed.
#[derive(Debug, Serialize, Deserialize)]
pub struct WriteAnswer {
    pub appended: Appended,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<GoalView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamView>,
}

/// The prefix of every problem `type`; the rest is the problem's short, stable name.
pub const PROBLEM_TYPE: &str = "urn:goal-ledger:problem:";

/// An error answer (RFC 9457 problem details).
#[derive(Debug, Serialize, Deserialize)]
pub struct Problem {
    /// `urn:goal-ledger:problem:` and a short, stable name (`invalid`, `conflict`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub status: u16,
    /// What went wrong, precisely enough to act on.
    pub detail: String,
}

impl Problem {
    /// The short name after the `type`'s prefix.
    pub fn name(&self) -> &str {
        self.kind.strip_prefix(PROBLEM_TYPE).unwrap_or(&self.kind)
    }
}
