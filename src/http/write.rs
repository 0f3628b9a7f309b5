//! The write path shared by every POST/DELETE: the caller's identity becomes the actor,
//! `Idempotency-Key` the event id, `If-Match` the expected version (`append`); the answer is 201
//! with the appended sequences and the new state of the goal or team (`write`).

use std::time::Instant;

use crate::api::WriteAnswer;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::auth::Identity;
use super::error::ApiError;
use super::AppState;
use crate::domain::{Command, EventId, StreamId};
use crate::ledger::{AppendError, Appended, Request};
use crate::projections::views::{GoalView, TeamView};
use crate::record::Auth;

/// Parses `If-Match: "7"` (or `W/"7"`, or `7`) into a version.
fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("");
    text.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map(Some)
        .map_err(|_| {
            ApiError::bad_request(format!(
                "If-Match {text:?}: use the goal's ETag, a version such as \"7\""
            ))
        })
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<EventId>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::bad_request("Idempotency-Key must be visible ASCII"))?;
    EventId::parse(text)
        .map(Some)
        .map_err(|e| ApiError::bad_request(format!("Idempotency-Key: {e}")))
}

/// Executes `command` as `identity` and answers with what it appended.
pub async fn write(
    state: &AppState,
    identity: &Identity,
    headers: &HeaderMap,
    command: Command,
) -> Result<Response, ApiError> {
    let stream = command.stream();
    let appended = append(state, identity, headers, command).await?;
    answer(state, &stream, appended)
}

/// Executes `command` as `identity`, with the request's guards, and returns what it appended.
pub async fn append(
    state: &AppState,
    identity: &Identity,
    headers: &HeaderMap,
    command: Command,
) -> Result<Appended, ApiError> {
    let expected_version = if_match(headers)?;
    let request = Request {
        id: idempotency_key(headers)?,
        expected_version,
        ..Request::new(
            identity.actor.clone(),
            Auth::token(&identity.token),
            command,
        )
    };
    let started = Instant::now();
    let result = state.ledger.execute(request).await;
    state.metrics.observe_append(started.elapsed());
    result.map_err(|e| match (e, expected_version) {
        (e @ AppendError::Conflict { .. }, Some(_)) => ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition-failed",
            e.to_string(),
        ),
        (e, _) => ApiError::from(e),
    })
}

/// The 201 answer to a write on `stream`: what it appended and the goal or team as it now is.
fn answer(state: &AppState, stream: &StreamId, appended: Appended) -> Result<Response, ApiError> {
    let mut answer = WriteAnswer {
        appended,
        goal: None,
        team: None,
    };
    match stream {
        StreamId::Goal(id) => {
            answer.goal = state
                .ledger
                .read(|s| s.goals.get(id).map(|g| GoalView::of(g, s)))
        }
        StreamId::Team(id) => {
            answer.team = state
                .ledger
                .read(|s| s.teams.get(id).map(|t| TeamView::new(t, s)))
        }
        _ => {}
    }
    let etag = answer.goal.as_ref().map(|v| v.version);
    let replayed = answer.appended.replayed;
    let mut response = (StatusCode::CREATED, Json(answer)).into_response();
    if let Some(version) = etag {
        if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
            response.headers_mut().insert(header::ETAG, v);
        }
    }
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}
