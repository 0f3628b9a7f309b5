//! Registering and removing webhooks: each is a record, so an auditor sees who was sent what,
//! from when. The address's reachability rules (no loopback or private networks) are the
//! server's to check before it asks; here: the URL's form, the events, the team.

use super::event::{Event, WebhookRegistered, WebhookRemoved};
use super::ids::{TeamId, WebhookId};
use super::preconditions::find_team;
use super::rejection::Rejection;
use super::state::{Meta, State};
use super::validate::text;
use super::webhook::{Hook, Notification};

/// The longest webhook URL accepted.
pub const MAX_URL: usize = 2048;

pub(super) fn decide_register_webhook(
    state: &State,
    webhook: &WebhookId,
    url: &str,
    events: &[Notification],
    team: Option<&TeamId>,
) -> Result<Vec<Event>, Rejection> {
    if state.webhooks.ever.contains(webhook) {
        return Err(Rejection::invalid(
            "webhook",
            format!("webhook id {webhook} was used before; ids are never reused"),
        ));
    }
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(Rejection::invalid(
            "url",
            "a webhook URL starts with http:// or https://",
        ));
    }
    if url.len() > MAX_URL || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Rejection::invalid(
            "url",
            format!("a webhook URL has at most {MAX_URL} characters and no spaces"),
        ));
    }
    if events.is_empty() {
        let names: Vec<&str> = Notification::ALL.iter().map(|n| n.name()).collect();
        return Err(Rejection::invalid(
            "events",
            format!("name at least one event: {}", names.join(", ")),
        ));
    }
    if let Some(team) = team {
        find_team(state, team)?;
    }
    let mut events = events.to_vec();
    events.sort();
    events.dedup();
    Ok(vec![WebhookRegistered {
        webhook: webhook.clone(),
        url: url.to_owned(),
        events,
        team: team.cloned(),
    }
    .into()])
}

pub(super) fn decide_remove_webhook(
    state: &State,
    webhook: &WebhookId,
    reason: &str,
) -> Result<Vec<Event>, Rejection> {
    if !state.webhooks.hooks.contains_key(webhook) {
        return Err(Rejection::UnknownWebhook(webhook.clone()));
    }
    text("reason", reason, 1, 2000, true)?;
    Ok(vec![WebhookRemoved {
        webhook: webhook.clone(),
        reason: reason.trim().to_owned(),
    }
    .into()])
}

pub(super) fn apply_webhook_registered(
    state: &mut State,
    meta: Meta<'_>,
    e: &WebhookRegistered,
) -> Result<(), String> {
    if state.webhooks.ever.contains(&e.webhook) {
        return Err(format!("webhook {} registered twice", e.webhook));
    }
    state.webhooks.ever.push(e.webhook.clone());
    state.webhooks.hooks.insert(
        e.webhook.clone(),
        Hook {
            id: e.webhook.clone(),
            url: e.url.clone(),
            events: e.events.clone(),
            team: e.team.clone(),
            registered_by: meta.actor.clone(),
            registered_at: meta.at,
            seq: meta.seq,
        },
    );
    Ok(())
}

pub(super) fn apply_webhook_removed(state: &mut State, e: &WebhookRemoved) -> Result<(), String> {
    state
        .webhooks
        .hooks
        .remove(&e.webhook)
        .map(|_| ())
        .ok_or_else(|| format!("unknown webhook {}", e.webhook))
}
