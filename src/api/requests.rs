//! Request bodies of the write endpoints. The server refuses unknown fields; each body, with
//! the goal or team its path names, is one domain `Command` (`into_command`), and each command
//! the command line sends over HTTP becomes one body (`Write::of`). Their JSON Schemas feed
//! `/openapi.json`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::routes::{self, path};
use crate::domain::{
    self, Actor, Cadence, Choice, ClosingOutcome, ClosingTerms, Command, CycleName, GoalDraft,
    GoalId, Health, KeyResultSpec, KrName, Resolution, Rule, Section, TeamId,
};

/// `POST /teams`
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    pub id: TeamId,
    pub name: String,
}

/// `POST /teams/{id}/members`
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    pub member: Actor,
}

/// `POST /goals`
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGoal {
    pub id: GoalId,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub teams: Vec<TeamId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<GoalId>,
    pub start: NaiveDate,
    pub due: NaiveDate,
    pub key_results: Vec<KeyResultSpec>,
    pub rule: Rule,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<DateTime<Utc>>,
    /// The cycle the goal belongs to; by default the cycle containing its start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycle: Option<CycleName>,
    /// How often its key results are checked in: weekly (the default), biweekly, monthly or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cadence: Option<Cadence>,
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
                cycle: r.cycle,
                cadence: r.cadence,
            },
            rule: r.rule,
            reason: r.reason,
            closes_at: r.closes_at,
        }
    }
}

/// A request body that, with the goal its path names, is one command.
pub trait GoalRequest: serde::de::DeserializeOwned {
    fn into_command(self, goal: GoalId) -> Command;
}

/// `POST /goals/{id}/votes`
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CastVote {
    pub choice: Choice,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl GoalRequest for CastVote {
    fn into_command(self, goal: GoalId) -> Command {
        Command::CastVote {
            goal,
            choice: self.choice,
            reason: self.reason,
        }
    }
}

/// What an adjustment changes; absent fields stay as they are. The wire's own type: the
/// stored `AdjustmentProposed` payload is `domain::Changes`.
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
    /// A new check-in cadence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cadence: Option<Cadence>,
}

impl From<Changes> for domain::Changes {
    fn from(c: Changes) -> domain::Changes {
        domain::Changes {
            title: c.title,
            description: c.description,
            targets: c.targets,
            start: c.start,
            due: c.due,
            add_key_results: c.add_key_results,
            drop_key_results: c.drop_key_results,
            rule: c.rule,
            teams: c.teams,
            parent: c.parent,
            cadence: c.cadence,
        }
    }
}

impl From<domain::Changes> for Changes {
    fn from(c: domain::Changes) -> Changes {
        Changes {
            title: c.title,
            description: c.description,
            targets: c.targets,
            start: c.start,
            due: c.due,
            add_key_results: c.add_key_results,
            drop_key_results: c.drop_key_results,
            rule: c.rule,
            teams: c.teams,
            parent: c.parent,
            cadence: c.cadence,
        }
    }
}

/// `POST /goals/{id}/adjustments`
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeAdjustment {
    pub changes: Changes,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<DateTime<Utc>>,
}

impl GoalRequest for ProposeAdjustment {
    fn into_command(self, goal: GoalId) -> Command {
        Command::ProposeAdjustment {
            goal,
            changes: self.changes.into(),
            reason: self.reason,
            closes_at: self.closes_at,
        }
    }
}

/// `POST /goals/{id}/check-ins`
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    pub key_result: KrName,
    pub value: f64,
    pub health: Health,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The sequence number of an earlier check-in this one corrects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<u64>,
    /// Marks it as outside the goal's period (start to due): needed before the start, where a
    /// check-in without it is refused; refused on one within the period.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub outside_period: bool,
}

impl GoalRequest for CheckIn {
    fn into_command(self, goal: GoalId) -> Command {
        Command::RecordCheckIn {
            goal,
            key_result: self.key_result,
            value: self.value,
            health: self.health,
            confidence: self.confidence,
            note: self.note,
            corrects: self.corrects,
            outside_period: self.outside_period,
        }
    }
}

/// `POST /goals/{id}/close`: proposes to close the goal on these terms.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Close {
    pub outcome: ClosingOutcome,
    pub score: f64,
    pub summary: String,
    #[serde(default)]
    pub final_values: BTreeMap<KrName, f64>,
    /// When the closing proposal is decided with the votes it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<DateTime<Utc>>,
}

impl GoalRequest for Close {
    fn into_command(self, goal: GoalId) -> Command {
        Command::CloseGoal {
            goal,
            terms: ClosingTerms {
                outcome: self.outcome,
                score: self.score,
                summary: self.summary,
                final_values: self.final_values,
            },
            closes_at: self.closes_at,
        }
    }
}

/// `POST /goals/{id}/withdraw`
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WithReason {
    pub reason: String,
}

/// `POST /goals/{id}/reopen`: proposes to reopen the closed goal.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reopen {
    pub reason: String,
    /// When the reopening proposal is decided with the votes it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<DateTime<Utc>>,
}

/// `POST /goals/{id}/withdraw`: the body is a reason.
#[derive(Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Withdraw(pub WithReason);

impl GoalRequest for Reopen {
    fn into_command(self, goal: GoalId) -> Command {
        Command::ReopenGoal {
            goal,
            reason: self.reason,
            closes_at: self.closes_at,
        }
    }
}

impl GoalRequest for Withdraw {
    fn into_command(self, goal: GoalId) -> Command {
        Command::WithdrawProposal {
            goal,
            reason: self.0.reason,
        }
    }
}

/// `POST /goals/{id}/notes`
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub section: Section,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Actor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<NaiveDate>,
}

/// `POST /goals/{id}/action-items/{item}/resolve`
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveActionItem {
    pub status: Resolution,
    /// What was done, or why it was dropped (required for `dropped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ResolveActionItem {
    pub fn into_command(self, goal: GoalId, item: u32) -> Command {
        Command::ResolveActionItem {
            goal,
            item,
            status: self.status,
            note: self.note,
        }
    }
}

impl GoalRequest for Note {
    fn into_command(self, goal: GoalId) -> Command {
        Command::NotePostMortem {
            goal,
            section: self.section,
            text: self.text,
            owner: self.owner,
            due: self.due,
        }
    }
}

/// The HTTP method of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Post,
    Delete,
}

/// One command as the request that carries it.
#[derive(Debug)]
pub struct Write {
    pub method: Method,
    pub path: String,
    /// The JSON body; `None` for a bodiless request.
    pub body: Option<serde_json::Value>,
}

/// A command that is no request of its own: a grant or a webhook registration needs a secret
/// the server makes, and a revocation names its token by fingerprint (`api::tokens`:
/// `POST /tokens` and `POST /tokens/{fingerprint}/revoke`; `api::webhooks`: `POST /webhooks`).
#[derive(Debug, thiserror::Error)]
#[error("tokens are granted by POST /tokens and revoked by POST /tokens/{{fingerprint}}/revoke (`goal-ledger token create|revoke`); webhooks are registered by POST /webhooks (`goal-ledger webhook add`)")]
pub struct NotOverHttp;

fn post(path: String, body: impl Serialize) -> Result<Write, NotOverHttp> {
    Ok(Write {
        method: Method::Post,
        path,
        body: Some(serde_json::to_value(body).unwrap_or(serde_json::Value::Null)),
    })
}

impl Write {
    /// The request that carries `command`.
    pub fn of(command: Command) -> Result<Write, NotOverHttp> {
        match command {
            Command::RegisterTeam { team, name } => {
                post(routes::TEAMS.into(), CreateTeam { id: team, name })
            }
            Command::JoinTeam { team, member } => post(
                path(routes::TEAM_MEMBERS, &[team.as_str()]),
                AddMember { member },
            ),
            Command::LeaveTeam { team, member } => Ok(Write {
                method: Method::Delete,
                path: path(routes::TEAM_MEMBER, &[team.as_str(), member.as_str()]),
                body: None,
            }),
            Command::ProposeGoal {
                goal,
                draft,
                rule,
                reason,
                closes_at,
            } => post(
                routes::GOALS.into(),
                CreateGoal {
                    id: goal,
                    title: draft.title,
                    description: draft.description,
                    teams: draft.teams,
                    parent: draft.parent,
                    start: draft.start,
                    due: draft.due,
                    key_results: draft.key_results,
                    rule,
                    reason,
                    closes_at,
                    cycle: draft.cycle,
                    cadence: draft.cadence,
                },
            ),
            Command::GrantToken { .. }
            | Command::RevokeToken { .. }
            | Command::RegisterWebhook { .. } => Err(NotOverHttp),
            Command::OpenCycle { cycle, start, end } => post(
                routes::CYCLES.into(),
                super::cycles::CreateCycle {
                    name: cycle,
                    start,
                    end,
                },
            ),
            Command::CloseCycle { cycle } => Ok(Write {
                method: Method::Post,
                path: path(routes::CYCLE_CLOSE, &[cycle.as_str()]),
                body: None,
            }),
            Command::RemoveWebhook { webhook, reason } => post(
                path(routes::WEBHOOK_REMOVE, &[webhook.as_str()]),
                WithReason { reason },
            ),
            goal_command => goal_write(goal_command),
        }
    }
}

/// The request for a command on one goal.
fn goal_write(command: Command) -> Result<Write, NotOverHttp> {
    let at = |template: &str, goal: &GoalId| path(template, &[goal.as_str()]);
    match command {
        Command::ProposeAdjustment {
            goal,
            changes,
            reason,
            closes_at,
        } => post(
            at(routes::GOAL_ADJUSTMENTS, &goal),
            ProposeAdjustment {
                changes: changes.into(),
                reason,
                closes_at,
            },
        ),
        Command::CastVote {
            goal,
            choice,
            reason,
        } => post(at(routes::GOAL_VOTES, &goal), CastVote { choice, reason }),
        Command::CarryOver {
            goal,
            request,
            reason,
            closes_at,
        } => post(
            at(routes::GOAL_CARRY_OVER, &goal),
            super::cycles::CarryOver::from_parts(request, reason, closes_at),
        ),
        Command::WithdrawProposal { goal, reason } => {
            post(at(routes::GOAL_WITHDRAW, &goal), WithReason { reason })
        }
        Command::RecordCheckIn {
            goal,
            key_result,
            value,
            health,
            confidence,
            note,
            corrects,
            outside_period,
        } => post(
            at(routes::GOAL_CHECK_INS, &goal),
            CheckIn {
                key_result,
                value,
                health,
                confidence,
                note,
                corrects,
                outside_period,
            },
        ),
        Command::CloseGoal {
            goal,
            terms,
            closes_at,
        } => post(
            at(routes::GOAL_CLOSE, &goal),
            Close {
                outcome: terms.outcome,
                score: terms.score,
                summary: terms.summary,
                final_values: terms.final_values,
                closes_at,
            },
        ),
        Command::ReopenGoal {
            goal,
            reason,
            closes_at,
        } => post(at(routes::GOAL_REOPEN, &goal), Reopen { reason, closes_at }),
        Command::ResolveActionItem {
            goal,
            item,
            status,
            note,
        } => post(
            path(
                routes::GOAL_ACTION_ITEM_RESOLVE,
                &[goal.as_str(), &item.to_string()],
            ),
            ResolveActionItem { status, note },
        ),
        Command::NotePostMortem {
            goal,
            section,
            text,
            owner,
            due,
        } => post(
            at(routes::GOAL_NOTES, &goal),
            Note {
                section,
                text,
                owner,
                due,
            },
        ),
        _ => Err(NotOverHttp),
    }
}
