//! The read-only web view and the retrospective formats, chosen by content negotiation at the
//! API's own URLs: a client that prefers `text/html` (a browser) gets a page, one that asks for
//! `text/markdown` gets Markdown, everyone else JSON. Same auth rules as the API.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::auth::Caller;
use super::error::ApiError;
use super::goals::{goal_id, team_id};
use super::AppState;
use crate::domain::{GoalStatus, KrName};
use crate::projections::timeline::Filter;
use crate::projections::views::{list_goals, GoalFilter, GoalView, TeamView};
use crate::report::{self, chart, html, markdown};

/// What the client prefers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Markdown,
    Json,
}

/// Picks the format from `?format=` or the `Accept` header (highest q wins; JSON by default).
pub fn negotiate(headers: &HeaderMap, format: Option<&str>) -> Result<Format, ApiError> {
    match format {
        Some("html") => return Ok(Format::Html),
        Some("md" | "markdown") => return Ok(Format::Markdown),
        Some("json") => return Ok(Format::Json),
        Some("") | None => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "format {other:?}: use html, md or json"
            )))
        }
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut best = (0.0f32, Format::Json);
    for (i, part) in accept.split(',').enumerate() {
        let mut fields = part.split(';').map(str::trim);
        let kind = match fields.next().unwrap_or("") {
            "text/html" | "application/xhtml+xml" => Format::Html,
            "text/markdown" => Format::Markdown,
            "application/json" => Format::Json,
            _ => continue,
        };
        let q = fields
            .find_map(|f| f.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
            .unwrap_or(1.0)
            // Earlier entries win ties.
            - i as f32 * 1e-4;
        if q > best.0 {
            best = (q, kind);
        }
    }
    Ok(best.1)
}

fn with_type(body: String, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

pub fn html_response(body: String) -> Response {
    with_type(body, "text/html; charset=utf-8")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexQuery {
    status: Option<String>,
    team: Option<String>,
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
    let filter = GoalFilter {
        status: status
            .map(str::parse::<GoalStatus>)
            .transpose()
            .map_err(ApiError::bad_request)?,
        team: team.map(team_id).transpose()?,
    };
    let goals = state.ledger.read(|s| list_goals(s, &filter));
    Ok(match negotiate(&headers, None)? {
        Format::Html => html_response(html::goals_page(&goals, team, status)),
        _ => Json(json!({ "goals": goals, "openapi": "/openapi.json" })).into_response(),
    })
}

/// The HTML page of a goal (`GET /goals/{id}` from a browser).
pub async fn goal_page(state: &AppState, view: GoalView) -> Result<Response, ApiError> {
    let id = view.id.clone();
    let (retro, timeline) = state
        .read_store(move |l| -> Result<_, crate::ledger::ReadError> {
            let timeline = l.timeline(&Filter {
                goal: Some(id.clone()),
                ..Filter::default()
            })?;
            Ok((report::goal_retro_of(l, &id)?, timeline))
        })
        .await?;
    let retro =
        retro.ok_or_else(|| ApiError::not_found(format!("there is no goal `{}`", view.id)))?;
    Ok(html_response(html::goal_page(&view, &retro, &timeline)))
}

/// The HTML page of a team (`GET /teams/{id}` from a browser).
pub fn team_page(state: &AppState, view: &TeamView) -> Response {
    let goals = state.ledger.read(|s| {
        list_goals(
            s,
            &GoalFilter {
                team: Some(view.id.clone()),
                status: None,
            },
        )
    });
    html_response(html::team_page(view, &goals))
}

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
        .ok_or_else(|| ApiError::not_found(format!("there is no goal `{id}`")))?;
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
    since: Option<String>,
    until: Option<String>,
    format: Option<String>,
}

/// `GET /retro?team=&since=&until=`: a team's period report.
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
                crate::cli::parse::date(s)
                    .map_err(|e| ApiError::bad_request(format!("{name}: {e}")))
            })
            .transpose()
    };
    let (since, until) = (date("since", &q.since)?, date("until", &q.until)?);
    let found = team.clone();
    let retro = state
        .read_store(move |l| report::team_retro_of(l, &found, since, until))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no team `{team}`")))?;
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
        .ok_or_else(|| ApiError::not_found(format!("there is no goal `{id}`")))?;
    let kr = retro
        .key_results
        .iter()
        .find(|k| k.name == name)
        .ok_or_else(|| ApiError::not_found(format!("goal `{id}` has no key result `{name}`")))?;
    Ok(with_type(chart::key_result(&retro, kr), "image/svg+xml"))
}
