//! The pages of the web view: the goals list at `/` (JSON for API clients), and the HTML of a
//! goal and of a team, which the API's `/goals/{id}` and `/teams/{id}` hand over to for a
//! browser.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::form_markup::Forms;
use super::forms::Viewer;
use super::goal_reports::GoalReport;
use super::{html_response, markup};
use crate::domain::{GoalId, GoalStatus};
use crate::http::auth::Caller;
use crate::http::goals::{cycle_name, team_id};
use crate::http::goals::{page, PageQuery};
use crate::http::negotiate::{negotiate, Format};
use crate::http::{ApiError, AppState};
use crate::projections::views::{list_goals, GoalFilter, GoalView, TeamView};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexQuery {
    status: Option<String>,
    team: Option<String>,
    cycle: Option<String>,
}

/// `GET /`: the goals list (HTML for browsers, JSON otherwise).
pub async fn index(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    query: Result<Query<IndexQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Query(q) = query?;
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    let team = q.team.as_deref().filter(|s| !s.is_empty());
    let cycle = q.cycle.as_deref().filter(|s| !s.is_empty());
    let filter = GoalFilter {
        status: status
            .map(str::parse::<GoalStatus>)
            .transpose()
            .map_err(ApiError::bad_request)?,
        team: team.map(team_id).transpose()?,
        cycle: cycle.map(cycle_name).transpose()?,
    };
    let (goals, choices) = state.ledger.read(|s| {
        let teams = s.teams.values().map(|t| (t.id.clone(), t.name.clone()));
        let cycles = s.cycles.in_order().iter().map(|c| c.name.clone()).collect();
        let choices = markup::Choices {
            teams: teams.collect(),
            cycles,
        };
        (list_goals(s, &filter), choices)
    });
    let chosen = markup::Chosen {
        team,
        status,
        cycle,
    };
    Ok(match negotiate(&headers, None)? {
        Format::Html => html_response(markup::goals_page(&goals, &choices, &chosen)),
        _ => Json(crate::api::Index {
            goals,
            openapi: crate::api::routes::OPENAPI.to_owned(),
        })
        .into_response(),
    })
}

/// The HTML page of a goal (`GET /goals/{id}` from a browser).
/// Its timeline comes a page at a time, newest first, with a link to the older entries.
pub async fn goal_page(
    state: &AppState,
    view: GoalView,
    timeline_page: &PageQuery,
    viewer: Viewer,
) -> Result<Response, ApiError> {
    let report = match state.goal_reports.get(&view.id, view.version) {
        Some(kept) => kept,
        None => read_report(state, view.id.clone()).await?,
    };
    let retro = (report.retro.as_ref()).ok_or_else(|| ApiError::no_goal(&view.id))?;
    let link = crate::api::path(crate::api::routes::GOAL, &[view.id.as_str()]);
    let (mut timeline, older) = page(&report.timeline, |e| e.seq, timeline_page, &link)?;
    timeline.reverse();
    // One look at the state for the goal's place in the tree and the viewer's forms.
    let (family, forms) = state.ledger.read(|s| {
        let titled = |g: &crate::domain::Goal| (g.id.clone(), g.definition.title.clone());
        let family = markup::Family {
            parent: (view.parent.as_ref())
                .and_then(|p| s.goals.get(p))
                .map(titled),
            children: (s.goals.values())
                .filter(|g| g.definition.parent.as_ref() == Some(&view.id))
                .map(titled)
                .collect(),
        };
        let goal = s.goals.get(&view.id);
        let who = viewer
            .who
            .as_ref()
            .filter(|w| w.role >= crate::domain::Role::Member);
        let forms = Forms {
            vote: who.is_some_and(|w| {
                (view.open_proposal.as_ref()).is_some_and(|p| p.electorate.contains(&w.actor))
            }),
            check_in: who.is_some_and(|w| {
                goal.is_some_and(|g| {
                    g.status == crate::domain::GoalStatus::Active
                        && g.is_owned_by_member(&w.actor, &s.teams)
                })
            }),
            notes: who.is_some_and(|w| {
                goal.is_some_and(|g| {
                    matches!(
                        g.status,
                        crate::domain::GoalStatus::Active | crate::domain::GoalStatus::Closed
                    ) && g.is_owned_by_member(&w.actor, &s.teams)
                })
            }),
            csrf: viewer.csrf,
            flash: viewer.flash,
            echo: viewer.echo,
        };
        (family, forms)
    });
    Ok(html_response(markup::goal_page(
        &view,
        (&family, &forms),
        (retro, &report.charts),
        &timeline,
        older.as_deref(),
    )))
}

/// Reads and decodes a goal's records once, for its report and its timeline, and keeps them.
async fn read_report(state: &AppState, goal: GoalId) -> Result<Arc<GoalReport>, ApiError> {
    let id = goal.clone();
    let report = state
        .read_store(move |l| -> Result<_, crate::ledger::ReadError> {
            let records = l.stream_records(&crate::domain::StreamId::Goal(id), u64::MAX)?;
            Ok(GoalReport::of(&records))
        })
        .await?;
    let report = Arc::new(report);
    state.goal_reports.keep(goal, report.clone());
    Ok(report)
}

/// The HTML page of a team (`GET /teams/{id}` from a browser).
pub fn team_page(state: &AppState, view: &TeamView) -> Response {
    let goals = state.ledger.read(|s| {
        list_goals(
            s,
            &GoalFilter {
                team: Some(view.id.clone()),
                status: None,
                cycle: None,
            },
        )
    });
    html_response(markup::team_page(view, &goals))
}
