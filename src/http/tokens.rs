//! `/tokens`: an admin creates, lists and revokes bearer tokens while the server runs; any
//! token asks whom it names (`/tokens/me`). The server makes each secret and answers it once;
//! the record keeps its hash, with the admin as the record's actor and the holder in the payload.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::auth::Caller;
use super::error::{json_body, ApiError, Body};
use super::write::{append, write};
use super::AppState;
use crate::api::tokens::{find, new_token, FingerprintError};
use crate::api::{CreateToken, CreatedToken, Me, RevokeToken, TokenList};
use crate::domain::{Command, Role, TokenHash};

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let identity = caller.require(Role::Admin)?;
    let r: CreateToken = json_body(&headers, &body)?;
    // A replay could not answer the first secret again: it is kept nowhere.
    if headers.contains_key("idempotency-key") {
        return Err(ApiError::bad_request(
            "POST /tokens takes no Idempotency-Key: its secret is answered once and never stored; if an answer was lost, revoke that token and create another",
        ));
    }
    let secret = new_token();
    let command = Command::GrantToken {
        token: TokenHash::of(&secret),
        actor: r.actor.clone(),
        role: r.role,
        expires_at: r.expires_at,
    };
    append(&state, identity, &headers, command).await?;
    let created = CreatedToken::new(secret, r);
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let list = state.ledger.read(|s| TokenList::of(&s.access));
    Ok(Json(list).into_response())
}

pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let identity = caller.require(Role::Admin)?;
    let Path(fingerprint) = path?;
    let token = state
        .ledger
        .read(|s| find(&s.access, &fingerprint))
        .map_err(|e| match e {
            FingerprintError::Malformed(_) => ApiError::bad_request(e.to_string()),
            FingerprintError::Unknown(_) => ApiError::not_found(e.to_string()),
            FingerprintError::Ambiguous(_) => ApiError::invalid(e.to_string()),
        })?;
    let r: RevokeToken = json_body(&headers, &body)?;
    let command = Command::RevokeToken {
        token,
        reason: r.reason,
    };
    write(&state, identity, &headers, command).await
}

pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let identity = caller.0.as_ref().ok_or_else(|| {
        ApiError::unauthorized("send the token to ask about: `Authorization: Bearer <token>`")
    })?;
    let expires_at = state.ledger.read(|s| {
        s.access
            .tokens
            .get(&identity.token)
            .and_then(|g| g.expires_at)
    });
    Ok(Json(Me {
        actor: identity.actor.clone(),
        role: identity.role,
        fingerprint: identity.token.fingerprint().to_owned(),
        expires_at,
    })
    .into_response())
}
