//! `/goals`: propose, vote, adjust, check in, close, reopen, withdraw, note; read a goal now or
//! as of a point in its past (ETag = version), its history and its timeline.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::auth::Caller;
use super::error::{json_body, ApiError, Body};
use super::requests;
use super::write::write;
use super::AppState;
use crate::domain::{Command, GoalId, GoalStatus, Role, TeamId};
use crate::ledger::AsOf;
use crate::projections::timeline::Filter;
use crate::projections::views::{list_goals, GoalFilter, GoalView};

/// A query value, with `?name=` (empty) meaning absent.
fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

pub fn goal_id(text: &str) -> Result<GoalId, ApiError> {
    GoalId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

pub fn team_id(text: &str) -> Result<TeamId, ApiError> {
    TeamId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

pub fn time(name: &str, text: &str) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    crate::cli::parse::time(text, name == "until" || name == "as_of")
        .map_err(|e| ApiError::bad_request(format!("{name}: {e}")))
}

/// Which goal a write addresses and with what body.
type GoalWrite = (
    Result<Path<String>, PathRejection>,
    HeaderMap,
    axum::body::Bytes,
);

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let identity = caller.require(Role::Member)?;
    let request: requests::CreateGoal = json_body(&headers, &body)?;
    write(&state, identity, &headers, request.into()).await
}

async fn goal_write<T: serde::de::DeserializeOwned>(
    state: &AppState,
    caller: &Caller,
    (path, headers, body): GoalWrite,
    command: impl FnOnce(GoalId, T) -> Command,
) -> Result<Response, ApiError> {
    let identity = caller.require(Role::Member)?;
    let Path(id) = path?;
    let goal = goal_id(&id)?;
    let request: T = json_body(&headers, &body)?;
    write(state, identity, &headers, command(goal, request)).await
}

/// Defines a goal write handler: the path names the goal, the body is `$request`, and the
/// closure turns both into a command.
macro_rules! goal_write_handler {
    ($(#[$doc:meta])* $name:ident, $request:ty, |$goal:ident, $r:ident| $command:expr) => {
        $(#[$doc])*
        pub async fn $name(
            State(state): State<AppState>,
            caller: Caller,
            path: Result<Path<String>, PathRejection>,
            headers: HeaderMap,
            Body(body): Body,
        ) -> Result<Response, ApiError> {
            goal_write(&state, &caller, (path, headers, body), |$goal, $r: $request| $command).await
        }
    };
}

goal_write_handler!(
    /// `POST /goals/{id}/votes`
    vote, requests::CastVote, |goal, r| Command::CastVote { goal, choice: r.choice, reason: r.reason }
);
goal_write_handler!(
    /// `POST /goals/{id}/adjustments`
    adjust, requests::ProposeAdjustment, |goal, r| Command::ProposeAdjustment {
        goal,
        changes: r.changes,
        reason: r.reason,
        closes_at: r.closes_at,
    }
);
goal_write_handler!(
    /// `POST /goals/{id}/check-ins`
    check_in, requests::CheckIn, |goal, r| Command::RecordCheckIn {
        goal,
        key_result: r.key_result,
        value: r.value,
        health: r.health,
        confidence: r.confidence,
        note: r.note,
        corrects: r.corrects,
    }
);
goal_write_handler!(
    /// `POST /goals/{id}/close`
    close, requests::Close, |goal, r| Command::CloseGoal {
        goal,
        outcome: r.outcome,
        score: r.score,
        summary: r.summary,
        final_values: r.final_values,
    }
);
goal_write_handler!(
    /// `POST /goals/{id}/reopen`
    reopen, requests::WithReason, |goal, r| Command::ReopenGoal { goal, reason: r.reason }
);
goal_write_handler!(
    /// `POST /goals/{id}/withdraw`
    withdraw, requests::WithReason, |goal, r| Command::WithdrawProposal { goal, reason: r.reason }
);
goal_write_handler!(
    /// `POST /goals/{id}/notes`
    note, requests::Note, |goal, r| Command::NotePostMortem {
        goal,
        section: r.section,
        text: r.text,
        owner: r.owner,
        due: r.due,
    }
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    team: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Query(q) = query?;
    let filter = GoalFilter {
        status: present(&q.status)
            .map(str::parse::<GoalStatus>)
            .transpose()
            .map_err(ApiError::bad_request)?,
        team: present(&q.team).map(team_id).transpose()?,
    };
    let goals = state.ledger.read(|s| list_goals(s, &filter));
    Ok(Json(json!({ "goals": goals })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShowQuery {
    as_of: Option<String>,
    at_seq: Option<u64>,
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    request_headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ShowQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Path(id) = path?;
    let id = goal_id(&id)?;
    let Query(q) = query?;
    let as_of = match (present(&q.as_of), q.at_seq) {
        (Some(_), Some(_)) => return Err(ApiError::bad_request("give as_of or at_seq, not both")),
        (Some(t), None) => Some(AsOf::Time(time("as_of", t)?)),
        (None, Some(seq)) => Some(AsOf::Seq(seq)),
        (None, None) => None,
    };
    let goal = match as_of {
        Some(at) => {
            let id = id.clone();
            state.read_store(move |l| l.goal_as_of(&id, at)).await?
        }
        None => state.ledger.goal(&id),
    };
    let goal = goal.ok_or_else(|| match as_of {
        Some(_) => ApiError::not_found(format!("goal `{id}` did not exist yet at that point")),
        None => ApiError::not_found(format!("there is no goal `{id}`")),
    })?;
    let view = GoalView::from(&goal);
    if as_of.is_none()
        && super::negotiate::negotiate(&request_headers, None)? == super::negotiate::Format::Html
    {
        return crate::web::goal_page(&state, view).await;
    }
    let mut response = Json(&view).into_response();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", view.version)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}

pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Path(id) = path?;
    let id = goal_id(&id)?;
    let found = id.clone();
    let history = state
        .read_store(move |l| l.history(&found))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no goal `{id}`")))?;
    Ok(Json(history).into_response())
}

pub async fn goal_timeline(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Path(id) = path?;
    let id = goal_id(&id)?;
    if state.ledger.goal(&id).is_none() {
        return Err(ApiError::not_found(format!("there is no goal `{id}`")));
    }
    let filter = Filter {
        goal: Some(id),
        ..Filter::default()
    };
    let entries = state.read_store(move |l| l.timeline(&filter)).await?;
    Ok(Json(json!({ "entries": entries })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineQuery {
    team: Option<String>,
    since: Option<String>,
    until: Option<String>,
}

pub async fn timeline(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<TimelineQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Query(q) = query?;
    let filter = Filter {
        goal: None,
        team: present(&q.team).map(team_id).transpose()?,
        since: present(&q.since).map(|t| time("since", t)).transpose()?,
        until: present(&q.until).map(|t| time("until", t)).transpose()?,
    };
    let entries = state.read_store(move |l| l.timeline(&filter)).await?;
    Ok(Json(json!({ "entries": entries })).into_response())
}
