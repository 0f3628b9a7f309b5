//! `/cycles`: open and close cycles (admin), list and show them; carrying a goal into the next
//! cycle (`POST /goals/{id}/carry-over`, by proposal); and what is waiting for a person or a
//! team (`GET /due`).

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::auth::Caller;
use super::error::{json_body, ApiError, Body};
use super::goals::{cycle_name, team_id};
use super::write::write;
use super::AppState;
use crate::api::cycles::{CreateCycle, CycleList};
use crate::domain::{Actor, Command, Role};
use crate::projections::due::{due as due_list, Whose};
use crate::projections::views::CycleView;

/// `POST /cycles`
pub async fn open(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let identity = caller.require(Role::Admin)?;
    let r: CreateCycle = json_body(&headers, &body)?;
    write(&state, identity, &headers, r.into()).await
}

/// `POST /cycles/{name}/close`
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let identity = caller.require(Role::Admin)?;
    let Path(name) = path?;
    let cycle = cycle_name(&name)?;
    write(&state, identity, &headers, Command::CloseCycle { cycle }).await
}

/// `GET /cycles`
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let cycles = state.ledger.read(|s| {
        s.cycles
            .in_order()
            .into_iter()
            .map(|c| CycleView::new(c, s))
            .collect()
    });
    Ok(Json(CycleList { cycles }).into_response())
}

/// `GET /cycles/{name}`
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Path(name) = path?;
    let cycle = cycle_name(&name)?;
    let view = state
        .ledger
        .read(|s| s.cycle(&cycle).map(|c| CycleView::new(c, s)));
    Ok(Json(view.map_err(|r| ApiError::not_found(r.to_string()))?).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DueQuery {
    actor: Option<String>,
    team: Option<String>,
}

/// `GET /due?actor=&team=`: a person's work (by default the caller's) or a team's.
pub async fn due(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<DueQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Query(q) = query?;
    let present = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
    let whose = match (present(&q.actor), present(&q.team)) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "give actor or team, not both: a person's work or a team's",
            ))
        }
        (None, Some(team)) => {
            let team = team_id(&team)?;
            if state.ledger.read(|s| !s.teams.contains_key(&team)) {
                return Err(ApiError::no_team(&team));
            }
            Whose::Team(team)
        }
        (Some(actor), None) => {
            Whose::Person(Actor::parse(&actor).map_err(|e| ApiError::bad_request(e.to_string()))?)
        }
        (None, None) => match &caller.0 {
            Some(identity) => Whose::Person(identity.actor.clone()),
            None => {
                return Err(ApiError::bad_request(
                    "whose work? give actor=NAME or team=ID (or present a token: its holder's)",
                ))
            }
        },
    };
    let now = state.ledger.now();
    let list = state.ledger.read(|s| due_list(s, &whose, now));
    Ok(Json(list).into_response())
}
