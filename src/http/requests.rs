//! Request bodies of the write endpoints: the HTTP contract. Unknown fields are refused; each
//! converts into a domain `Command`. Their JSON Schemas feed `/openapi.json`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::domain::{
    Actor, Changes, Choice, ClosingOutcome, Command, GoalDraft, GoalId, Health, KeyResultSpec,
    KrName, Rule, Section, TeamId,
};

/// `POST /teams`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    pub id: TeamId,
    pub name: String,
}

/// `POST /teams/{id}/members`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    pub member: Actor,
}

/// `POST /goals`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGoal {
    pub id: GoalId,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub teams: Vec<TeamId>,
    #[serde(default)]
    pub parent: Option<GoalId>,
    pub start: NaiveDate,
    pub due: NaiveDate,
    pub key_results: Vec<KeyResultSpec>,
    pub rule: Rule,
    pub reason: String,
    #[serde(default)]
    pub closes_at: Option<DateTime<Utc>>,
}

impl From<CreateGoal> for Command {
    fn from(r: CreateGoal) -> Command {
        Command::ProposeGoal {
            goal: r.id,
            draft: GoalDraft {
                title: r.title,
                description: r.description,
                teams: r.teams,
                parent: r.parent,
                start: r.start,
                due: r.due,
                key_results: r.key_results,
            },
            rule: r.rule,
            reason: r.reason,
            closes_at: r.closes_at,
        }
    }
}

/// `POST /goals/{id}/votes`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CastVote {
    pub choice: Choice,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /goals/{id}/adjustments`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeAdjustment {
    pub changes: Changes,
    pub reason: String,
    #[serde(default)]
    pub closes_at: Option<DateTime<Utc>>,
}

/// `POST /goals/{id}/check-ins`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    pub key_result: KrName,
    pub value: f64,
    pub health: Health,
    #[serde(default)]
    pub confidence: Option<u8>,
    #[serde(default)]
    pub note: Option<String>,
    /// The sequence number of an earlier check-in this one corrects.
    #[serde(default)]
    pub corrects: Option<u64>,
}

/// `POST /goals/{id}/close`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Close {
    pub outcome: ClosingOutcome,
    pub score: f64,
    pub summary: String,
    #[serde(default)]
    pub final_values: BTreeMap<KrName, f64>,
}

/// `POST /goals/{id}/reopen` and `POST /goals/{id}/withdraw`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WithReason {
    pub reason: String,
}

/// `POST /goals/{id}/notes`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub section: Section,
    pub text: String,
    #[serde(default)]
    pub owner: Option<Actor>,
    #[serde(default)]
    pub due: Option<NaiveDate>,
}
