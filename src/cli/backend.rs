//! Where a command's data comes from: the data directory (`Local`, through `ledger`) or a
//! running server (`Remote`). Both answer with the same views, so printing is shared.

use serde_json::Value;

use super::args::ReportFormat;
use super::error::CliError;
use super::remote::Remote;
use crate::api::tokens::{find, new_token, FingerprintError};
use crate::api::{path, routes, CreateToken, CreatedToken, RevokeToken, TokenList, WriteAnswer};
use crate::domain::{Actor, Command, EventId, GoalId, StreamId, TeamId, TokenHash};
use crate::ledger::{AsOf, Ledger, Request};
use crate::projections::history::History;
use crate::projections::timeline::{Entry, Filter};
use crate::projections::views::{list_goals, GoalFilter, GoalView, TeamView};
use crate::record::{format_time, Digest};
use crate::{render, report};

pub enum Backend {
    Local {
        ledger: Ledger,
        actor: Option<Actor>,
    },
    Remote(Remote),
}

fn seq_or_time(as_of: AsOf) -> (&'static str, String) {
    match as_of {
        AsOf::Seq(seq) => ("at_seq", seq.to_string()),
        AsOf::Time(at) => ("as_of", format_time(at)),
    }
}

fn format_name(f: ReportFormat) -> &'static str {
    match f {
        ReportFormat::Md => "md",
        ReportFormat::Html => "html",
        ReportFormat::Json => "json",
    }
}

/// Every entry of a paged answer (a goal's history or timeline), oldest first: follows the
/// `next` links back to the oldest page.
async fn all_pages(remote: &Remote, first: String) -> Result<Vec<Value>, CliError> {
    let mut pages = Vec::new();
    let mut next = Some(first);
    while let Some(link) = next {
        let page: Value = remote.get(&link, &[]).await?;
        next = page["next"].as_str().map(str::to_owned);
        pages.push(page["entries"].as_array().cloned().unwrap_or_default());
    }
    pages.reverse();
    Ok(pages.concat())
}

impl Backend {
    /// The local ledger, or a clear refusal for operations that need the data directory.
    pub fn local(&self, what: &str) -> Result<&Ledger, CliError> {
        match self {
            Backend::Local { ledger, .. } => Ok(ledger),
            Backend::Remote(_) => Err(CliError::Usage(format!(
                "`{what}` works on a data directory, not through --server: run it where the data lives (with the server stopped)"
            ))),
        }
    }

    pub async fn execute(
        &self,
        command: Command,
        id: Option<EventId>,
        expected: Option<u64>,
    ) -> Result<WriteAnswer, CliError> {
        match self {
            Backend::Remote(remote) => remote.execute(command, id, expected).await,
            Backend::Local { ledger, actor } => {
                let actor = actor.clone().ok_or_else(|| {
                    CliError::Usage(
                        "cannot tell who you are: pass --actor NAME or set GOAL_LEDGER_ACTOR"
                            .into(),
                    )
                })?;
                let stream = command.stream();
                let request = Request {
                    id,
                    expected_version: expected,
                    ..Request::new(actor, super::convert::local_auth(), command)
                };
                let appended = ledger.execute(request).await?;
                let (goal, team) = match &stream {
                    StreamId::Goal(id) => (
                        ledger.read(|s| s.goals.get(id).map(|g| GoalView::of(g, s))),
                        None,
                    ),
                    StreamId::Team(id) => (
                        None,
                        ledger.read(|s| s.teams.get(id).map(|t| TeamView::new(t, s))),
                    ),
                    _ => (None, None),
                };
                Ok(WriteAnswer {
                    appended,
                    goal,
                    team,
                })
            }
        }
    }

    /// Grants a new token as `request` asks and answers its secret, once. Locally the secret is
    /// made here and you (`--actor`) are the granter; a server makes it and records its caller.
    pub async fn create_token(&self, request: CreateToken) -> Result<CreatedToken, CliError> {
        match self {
            Backend::Remote(remote) => remote.create_token(&request).await,
            Backend::Local { .. } => {
                let secret = new_token();
                let command = Command::GrantToken {
                    token: TokenHash::of(&secret),
                    actor: request.actor.clone(),
                    role: request.role,
                    expires_at: request.expires_at,
                };
                self.execute(command, None, None).await?;
                Ok(CreatedToken::new(secret, request))
            }
        }
    }

    pub async fn tokens(&self) -> Result<TokenList, CliError> {
        match self {
            Backend::Remote(remote) => remote.get(routes::TOKENS, &[]).await,
            Backend::Local { ledger, .. } => Ok(ledger.read(|s| TokenList::of(&s.access))),
        }
    }

    /// Revokes the token `fingerprint` (a prefix of its hash) names.
    pub async fn revoke_token(
        &self,
        fingerprint: &str,
        body: RevokeToken,
    ) -> Result<WriteAnswer, CliError> {
        match self {
            Backend::Remote(remote) => remote.revoke_token(fingerprint, &body).await,
            Backend::Local { ledger, .. } => {
                let token = ledger
                    .read(|s| find(&s.access, fingerprint))
                    .map_err(|e| match e {
                        FingerprintError::Unknown(_) => CliError::Refused(e.to_string()),
                        FingerprintError::Malformed(_) | FingerprintError::Ambiguous(_) => {
                            CliError::Usage(e.to_string())
                        }
                    })?;
                let command = Command::RevokeToken {
                    token,
                    reason: body.reason,
                };
                self.execute(command, None, None).await
            }
        }
    }

    pub async fn goal(&self, id: &GoalId, as_of: Option<AsOf>) -> Result<GoalView, CliError> {
        match self {
            Backend::Remote(remote) => {
                let query: Vec<(&str, String)> = as_of.map(seq_or_time).into_iter().collect();
                remote
                    .get(&path(routes::GOAL, &[id.as_str()]), &query)
                    .await
            }
            Backend::Local { ledger, .. } => {
                let goal = match as_of {
                    Some(at) => ledger.goal_as_of(id, at)?,
                    None => ledger.goal(id),
                };
                let view = goal.map(|g| ledger.read(|s| GoalView::of(&g, s)));
                view.ok_or_else(|| match as_of {
                    Some(_) => {
                        CliError::Refused(format!("goal `{id}` did not exist yet at that point"))
                    }
                    None => CliError::Refused(format!(
                        "there is no goal `{id}`; `goal-ledger list` shows the goals"
                    )),
                })
            }
        }
    }

    pub async fn goals(&self, filter: &GoalFilter) -> Result<Vec<GoalView>, CliError> {
        match self {
            Backend::Remote(remote) => {
                let mut query = Vec::new();
                if let Some(s) = filter.status {
                    query.push(("status", s.to_string()));
                }
                if let Some(t) = &filter.team {
                    query.push(("team", t.to_string()));
                }
                let page: Value = remote.get(routes::GOALS, &query).await?;
                serde_json::from_value(page["goals"].clone())
                    .map_err(|e| CliError::Refused(e.to_string()))
            }
            Backend::Local { ledger, .. } => Ok(ledger.read(|s| list_goals(s, filter))),
        }
    }

    pub async fn teams(&self) -> Result<Vec<TeamView>, CliError> {
        match self {
            Backend::Remote(remote) => {
                let page: Value = remote.get(routes::TEAMS, &[]).await?;
                serde_json::from_value(page["teams"].clone())
                    .map_err(|e| CliError::Refused(e.to_string()))
            }
            Backend::Local { ledger, .. } => {
                Ok(ledger.read(|s| s.teams.values().map(|t| TeamView::new(t, s)).collect()))
            }
        }
    }

    pub async fn team(&self, id: &TeamId) -> Result<TeamView, CliError> {
        match self {
            Backend::Remote(remote) => remote.get(&path(routes::TEAM, &[id.as_str()]), &[]).await,
            Backend::Local { ledger, .. } => ledger
                .read(|s| s.teams.get(id).map(|t| TeamView::new(t, s)))
                .ok_or_else(|| CliError::no_team(id)),
        }
    }

    pub async fn history(&self, id: &GoalId) -> Result<History, CliError> {
        match self {
            Backend::Remote(remote) => {
                let entries = all_pages(remote, path(routes::GOAL_HISTORY, &[id.as_str()])).await?;
                let entries = serde_json::from_value(Value::Array(entries))
                    .map_err(|e| CliError::Refused(e.to_string()))?;
                Ok(History {
                    goal: id.clone(),
                    entries,
                })
            }
            Backend::Local { ledger, .. } => {
                ledger.history(id)?.ok_or_else(|| CliError::no_goal(id))
            }
        }
    }

    pub async fn timeline(&self, filter: &Filter) -> Result<Vec<Entry>, CliError> {
        match self {
            Backend::Remote(remote) => {
                let mut query = Vec::new();
                for (key, at) in [("since", filter.since), ("until", filter.until)] {
                    if let Some(at) = at {
                        query.push((key, format_time(at)));
                    }
                }
                let page: Value = match (&filter.goal, &filter.team) {
                    (Some(goal), _) => {
                        let link = path(routes::GOAL_TIMELINE, &[goal.as_str()]);
                        serde_json::json!({ "entries": all_pages(remote, link).await? })
                    }
                    (None, team) => {
                        if let Some(team) = team {
                            query.push(("team", team.to_string()));
                        }
                        remote.get(routes::TIMELINE, &query).await?
                    }
                };
                let mut entries: Vec<Entry> = serde_json::from_value(page["entries"].clone())
                    .map_err(|e| CliError::Refused(e.to_string()))?;
                entries.retain(|e| {
                    filter.since.is_none_or(|s| e.at >= s) && filter.until.is_none_or(|u| e.at <= u)
                });
                Ok(entries)
            }
            Backend::Local { ledger, .. } => {
                if let Some(goal) = &filter.goal {
                    if ledger.goal(goal).is_none() {
                        return Err(CliError::no_goal(goal));
                    }
                }
                Ok(ledger.timeline(filter)?)
            }
        }
    }

    /// A goal's retrospective, rendered.
    pub async fn goal_retro(&self, id: &GoalId, format: ReportFormat) -> Result<String, CliError> {
        match self {
            Backend::Remote(remote) => {
                remote
                    .text(
                        &path(routes::GOAL_RETRO, &[id.as_str()]),
                        &[("format", format_name(format).into())],
                    )
                    .await
            }
            Backend::Local { ledger, .. } => {
                let retro =
                    report::goal_retro_of(ledger, id)?.ok_or_else(|| CliError::no_goal(id))?;
                Ok(match format {
                    ReportFormat::Md => render::markdown::goal(&retro),
                    ReportFormat::Html => render::html::goal_retro(&retro).into_string(),
                    ReportFormat::Json => crate::cli::output::json(&retro),
                })
            }
        }
    }

    /// A team's period report, rendered.
    pub async fn team_retro(
        &self,
        team: &TeamId,
        span: &report::Span,
        format: ReportFormat,
    ) -> Result<String, CliError> {
        match self {
            Backend::Remote(remote) => {
                let mut query = vec![
                    ("team", team.to_string()),
                    ("format", format_name(format).to_owned()),
                ];
                match span {
                    report::Span::Period(since, until) => {
                        query.extend(since.map(|d| ("since", d.to_string())));
                        query.extend(until.map(|d| ("until", d.to_string())));
                    }
                    report::Span::Cycle(cycle) => query.push(("cycle", cycle.to_string())),
                }
                remote.text(routes::TEAM_RETRO, &query).await
            }
            Backend::Local { ledger, .. } => {
                if let report::Span::Cycle(cycle) = span {
                    ledger
                        .read(|s| s.cycle(cycle).map(|_| ()))
                        .map_err(|r| CliError::Refused(r.to_string()))?;
                }
                let retro = report::team_report_of(ledger, team, span)?
                    .ok_or_else(|| CliError::no_team(team))?;
                Ok(match format {
                    ReportFormat::Md => render::markdown::team(&retro),
                    ReportFormat::Html => render::html::team_retro(&retro).into_string(),
                    ReportFormat::Json => crate::cli::output::json(&retro),
                })
            }
        }
    }

    pub async fn records_after(&self, after: u64, limit: usize) -> Result<Vec<Vec<u8>>, CliError> {
        match self {
            Backend::Remote(remote) => remote.records_after(after, limit).await,
            Backend::Local { ledger, .. } => Ok(ledger
                .records_after(after, limit)?
                .into_iter()
                .map(|(_, b)| b)
                .collect()),
        }
    }

    pub async fn digest(&self) -> Result<Digest, CliError> {
        match self {
            Backend::Remote(remote) => remote.digest().await,
            Backend::Local { ledger, .. } => Ok(ledger.digest()),
        }
    }
}
