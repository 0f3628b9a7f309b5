//! The bodies and answers of the webhook routes: `POST /webhooks` (register; the answer holds
//! the signing secret, once), `GET /webhooks`, `GET /webhooks/{id}`, `POST
//! /webhooks/{id}/remove`, `GET /webhooks/{id}/deliveries` and `POST /webhooks/{id}/test`.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::{Actor, Hook, Notification, TeamId, WebhookId};
use crate::ledger::Appended;

/// `POST /webhooks`
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// An http or https URL; loopback and private addresses are refused unless the server runs
    /// with --allow-private-webhooks.
    pub url: String,
    /// vote-needed, check-in-due, proposal-decided, goal-closed, cycle-closed, action-item-due.
    pub events: Vec<Notification>,
    /// Only events of this team's goals (reminders: of its members).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamId>,
}

/// A webhook in force.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WebhookView {
    pub id: WebhookId,
    pub url: String,
    pub events: Vec<Notification>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamId>,
    pub registered_by: Actor,
    pub registered_at: DateTime<Utc>,
    /// The record that registered it.
    pub seq: u64,
}

impl From<&Hook> for WebhookView {
    fn from(h: &Hook) -> WebhookView {
        WebhookView {
            id: h.id.clone(),
            url: h.url.clone(),
            events: h.events.clone(),
            team: h.team.clone(),
            registered_by: h.registered_by.clone(),
            registered_at: h.registered_at,
            seq: h.seq,
        }
    }
}

/// The answer to `POST /webhooks`: the only time the secret is shown.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct CreatedWebhook {
    pub webhook: WebhookView,
    /// `whsec_` and the base64 key that signs its deliveries (Standard Webhooks).
    pub secret: String,
    pub appended: Appended,
}

/// `GET /webhooks`
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct WebhookList {
    pub webhooks: Vec<WebhookView>,
}

/// One delivery attempt.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AttemptView {
    /// The `webhook-id` header: the same on every attempt of a message.
    pub message: String,
    /// The event type sent (or `ping` for a test).
    pub event: String,
    /// 1 for the first attempt of this message.
    pub attempt: u32,
    pub at: DateTime<Utc>,
    /// The receiver's status code; absent when it could not be reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub took_ms: u64,
    pub delivered: bool,
    /// When this message is tried again, if it failed and has not been given up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_retry: Option<DateTime<Utc>>,
}

/// `GET /webhooks/{id}/deliveries`: the newest attempts first, and where the queue stands.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Deliveries {
    pub webhook: WebhookId,
    /// Messages delivered or given up, in order (the durable cursor).
    pub acknowledged: u64,
    /// Messages waiting behind the one being tried.
    pub queued: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_retry: Option<DateTime<Utc>>,
    pub attempts: Vec<AttemptView>,
}
