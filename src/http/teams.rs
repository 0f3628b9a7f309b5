//! `/teams`: register teams and manage members (admin), list and show them.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::auth::Caller;
use super::error::{json_body, ApiError, Body};
use super::goals::team_id;
use super::write::write;
use super::AppState;
use crate::api;
use crate::domain::{Actor, Command, Role};
use crate::projections::views::TeamView;

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let identity = caller.require(Role::Admin)?;
    let r: api::CreateTeam = json_body(&headers, &body)?;
    write(
        &state,
        identity,
        &headers,
        Command::RegisterTeam {
            team: r.id,
            name: r.name,
        },
    )
    .await
}

pub async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let identity = caller.require(Role::Admin)?;
    let Path(team) = path?;
    let team = team_id(&team)?;
    let r: api::AddMember = json_body(&headers, &body)?;
    write(
        &state,
        identity,
        &headers,
        Command::JoinTeam {
            team,
            member: r.member,
        },
    )
    .await
}

pub async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let identity = caller.require(Role::Admin)?;
    let Path((team, member)) = path?;
    let team = team_id(&team)?;
    let member = Actor::parse(&member).map_err(|e| ApiError::bad_request(e.to_string()))?;
    write(
        &state,
        identity,
        &headers,
        Command::LeaveTeam { team, member },
    )
    .await
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let teams: Vec<TeamView> = state
        .ledger
        .read(|s| s.teams.values().map(|t| TeamView::new(t, s)).collect());
    Ok(Json(crate::api::TeamList { teams }).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Path(team) = path?;
    let id = team_id(&team)?;
    let view = state
        .ledger
        .read(|s| s.teams.get(&id).map(|t| TeamView::new(t, s)))
        .ok_or_else(|| ApiError::no_team(&id))?;
    if super::negotiate::negotiate(&headers, None)? == super::negotiate::Format::Html {
        return Ok(crate::web::team_page(&state, &view));
    }
    Ok(Json(view).into_response())
}
