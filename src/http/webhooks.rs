//! `/webhooks` (admin): register a webhook (the answer holds its signing secret, once), list,
//! show and remove them, see a webhook's deliveries and send it a test ping. Registrations and
//! removals are records; deliveries are the notifier's (`notify`).

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::auth::Caller;
use super::error::{json_body, ApiError, Body};
use super::write::{append, write};
use super::AppState;
use crate::api::webhooks::{CreateWebhook, CreatedWebhook, WebhookList, WebhookView};
use crate::api::WithReason;
use crate::domain::{Command, Hook, Role, WebhookId};
use crate::notify::address::check_url;
use crate::notify::key::new_webhook_id;
use crate::notify::Notifier;

/// The server's notifier, or 503 when it runs without one.
fn notifier(state: &AppState) -> Result<&Arc<Notifier>, ApiError> {
    state.notifier.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no-webhooks",
            "this server sends no webhooks: it was started without a data directory to keep their cursor",
        )
    })
}

fn hook_id(text: &str) -> Result<WebhookId, ApiError> {
    WebhookId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// The webhook `id` in force, or 404.
fn find(state: &AppState, id: &WebhookId) -> Result<Hook, ApiError> {
    state
        .ledger
        .read(|s| s.webhooks.hooks.get(id).cloned())
        .ok_or_else(|| {
            ApiError::not_found(crate::domain::Rejection::UnknownWebhook(id.clone()).to_string())
        })
}

/// `POST /webhooks`
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let identity = caller.require(Role::Admin)?;
    let notifier = notifier(&state)?;
    let r: CreateWebhook = json_body(&headers, &body)?;
    if headers.contains_key("idempotency-key") {
        return Err(ApiError::bad_request(
            "POST /webhooks takes no Idempotency-Key: each registration is a new webhook with its own secret",
        ));
    }
    check_url(&r.url, notifier.allow_private())
        .await
        .map_err(|e| ApiError::invalid(format!("url: {e}")))?;
    let id = new_webhook_id();
    let command = Command::RegisterWebhook {
        webhook: id.clone(),
        url: r.url,
        events: r.events,
        team: r.team,
    };
    let appended = append(&state, identity, &headers, command).await?;
    let webhook = WebhookView::from(&find(&state, &id)?);
    let created = CreatedWebhook {
        webhook,
        secret: notifier.secret(&id).to_string(),
        appended,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `GET /webhooks`
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let webhooks = state
        .ledger
        .read(|s| s.webhooks.hooks.values().map(WebhookView::from).collect());
    Ok(Json(WebhookList { webhooks }).into_response())
}

/// `GET /webhooks/{id}`
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let Path(id) = path?;
    let hook = find(&state, &hook_id(&id)?)?;
    Ok(Json(WebhookView::from(&hook)).into_response())
}

/// `POST /webhooks/{id}/remove`
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let identity = caller.require(Role::Admin)?;
    let Path(id) = path?;
    let webhook = hook_id(&id)?;
    let r: WithReason = json_body(&headers, &body)?;
    let command = Command::RemoveWebhook {
        webhook,
        reason: r.reason,
    };
    write(&state, identity, &headers, command).await
}

/// The server's notifier and the webhook the path names, for an admin.
fn admin_hook(
    state: &AppState,
    caller: &Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<(Arc<Notifier>, Hook), ApiError> {
    caller.require(Role::Admin)?;
    let notifier = notifier(state)?.clone();
    let Path(id) = path?;
    Ok((notifier, find(state, &hook_id(&id)?)?))
}

/// `GET /webhooks/{id}/deliveries`
pub async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let (notifier, hook) = admin_hook(&state, &caller, path)?;
    Ok(Json(notifier.deliveries(&hook)).into_response())
}

/// `POST /webhooks/{id}/test`
pub async fn test(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let (notifier, hook) = admin_hook(&state, &caller, path)?;
    Ok(Json(notifier.ping(&hook).await).into_response())
}
