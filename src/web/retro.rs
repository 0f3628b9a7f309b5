//! Retrospectives and charts over HTTP: a goal's or a team's retrospective as HTML, Markdown or
//! JSON (by `?format=` or the `Accept` header), and a key result's SVG chart.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::{html_response, with_type};
use crate::api::routes;
use crate::domain::KrName;
use crate::http::auth::Caller;
use crate::http::goals::{cycle_name, goal_id, team_id};
use crate::http::negotiate::{negotiate, Format};
use crate::http::{ApiError, AppState};
use crate::render::{chart, html, markdown};
use crate::report;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatQuery {
    format: Option<String>,
}

/// `GET /goals/{id}/retro`: the retrospective as HTML, Markdown or JSON.
pub async fn goal_retro(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<FormatQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Path(id) = path?;
    let id = goal_id(&id)?;
    let Query(q) = query?;
    let found = id.clone();
    let retro = state
        .read_store(move |l| report::goal_retro_of(l, &found))
        .await?
        .ok_or_else(|| ApiError::no_goal(&id))?;
    Ok(match negotiate(&headers, q.format.as_deref())? {
        Format::Html => html_response(html::goal_retro(&retro)),
        Format::Markdown => with_type(markdown::goal(&retro), "text/markdown; charset=utf-8"),
        Format::Json => Json(retro).into_response(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamRetroQuery {
    team: Option<String>,
    cycle: Option<String>,
    since: Option<String>,
    until: Option<String>,
    format: Option<String>,
}

/// `GET /retro?team=&since=&until=` or `?team=&cycle=`: a team's period or cycle report.
pub async fn team_retro(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    query: Result<Query<TeamRetroQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Query(q) = query?;
    let team = team_id(q.team.as_deref().unwrap_or(""))?;
    let date = |name: &str, v: &Option<String>| {
        v.as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                crate::input::date(s).map_err(|e| ApiError::bad_request(format!("{name}: {e}")))
            })
            .transpose()
    };
    let (since, until) = (date("since", &q.since)?, date("until", &q.until)?);
    let span = match q.cycle.as_deref().filter(|c| !c.is_empty()) {
        Some(_) if since.is_some() || until.is_some() => {
            return Err(ApiError::bad_request(
                "give cycle or since/until, not both: a cycle's report covers its own dates",
            ))
        }
        Some(cycle) => {
            let cycle = cycle_name(cycle)?;
            state
                .ledger
                .read(|s| s.cycle(&cycle).map(|_| ()))
                .map_err(|r| ApiError::not_found(r.to_string()))?;
            report::Span::Cycle(cycle)
        }
        None => report::Span::Period(since, until),
    };
    let found = team.clone();
    let retro = state
        .read_store(move |l| report::team_report_of(l, &found, &span))
        .await?
        .ok_or_else(|| ApiError::no_team(&team))?;
    Ok(match negotiate(&headers, q.format.as_deref())? {
        Format::Html => html_response(html::team_retro(&retro)),
        Format::Markdown => with_type(markdown::team(&retro), "text/markdown; charset=utf-8"),
        Format::Json => Json(retro).into_response(),
    })
}

/// `GET /goals/{id}/key-results/{name}/chart.svg`
pub async fn chart_svg(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Path((id, name)) = path?;
    let id = goal_id(&id)?;
    let name = KrName::parse(&name).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let found = id.clone();
    let retro = state
        .read_store(move |l| report::goal_retro_of(l, &found))
        .await?
        .ok_or_else(|| ApiError::no_goal(&id))?;
    let kr = retro
        .key_results
        .iter()
        .find(|k| k.name == name)
        .ok_or_else(|| ApiError::not_found(format!("goal `{id}` has no key result `{name}`")))?;
    Ok(with_type(
        chart::key_result(&retro, kr).into_string(),
        "image/svg+xml",
    ))
}

/// The schema of a retrospective route's JSON answer (`GoalRetro`, `TeamRetro`), for
/// `/openapi.json`; `None` for any other route.
pub fn retro_answer(
    path: &str,
    generator: &mut schemars::gen::SchemaGenerator,
) -> Option<schemars::schema::Schema> {
    match path {
        routes::GOAL_RETRO => Some(generator.subschema_for::<report::GoalRetro>()),
        routes::TEAM_RETRO => Some(generator.subschema_for::<report::TeamRetro>()),
        _ => None,
    }
}
