//! Bearer tokens: granting one to an actor with a role (until an expiry, or for good) and
//! revoking it, decided (`decide_*`) and applied (`apply_*`) here. Only the token's hash is ever
//! recorded; the grants live on the access stream. Who granted a token is the record's actor.

use chrono::{DateTime, Utc};

use super::command::Context;
use super::event::{Event, Role, TokenGranted, TokenRevoked};
use super::ids::{Actor, TokenHash};
use super::rejection::Rejection;
use super::state::{Grant, Meta, State};
use super::validate::text;

pub(super) fn decide_grant_token(
    state: &State,
    ctx: &Context,
    token: &TokenHash,
    actor: &Actor,
    role: Role,
    expires_at: Option<DateTime<Utc>>,
) -> Result<Vec<Event>, Rejection> {
    if state.access.tokens.contains_key(token) {
        return Err(Rejection::invalid(
            "token",
            "this token was granted before; create a new one",
        ));
    }
    if actor.is_system() {
        return Err(Rejection::ReservedActor);
    }
    if let Some(at) = expires_at.filter(|at| *at <= ctx.now) {
        return Err(Rejection::invalid(
            "expires_at",
            format!(
                "{} is not in the future (now is {}); give a later time, or none",
                at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                ctx.now.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            ),
        ));
    }
    Ok(vec![TokenGranted {
        token: token.clone(),
        actor: actor.clone(),
        role,
        expires_at,
    }
    .into()])
}

pub(super) fn decide_revoke_token(
    state: &State,
    token: &TokenHash,
    reason: &str,
) -> Result<Vec<Event>, Rejection> {
    match state.access.tokens.get(token) {
        None => {
            return Err(Rejection::invalid(
                "token",
                format!("no token {} was granted", token.fingerprint()),
            ))
        }
        Some(g) if g.revoked_at.is_some() => {
            return Err(Rejection::invalid(
                "token",
                format!("token {} is already revoked", token.fingerprint()),
            ))
        }
        Some(_) => {}
    }
    text("reason", reason, 1, 2000, true)?;
    Ok(vec![TokenRevoked {
        token: token.clone(),
        reason: reason.trim().to_owned(),
    }
    .into()])
}

pub(super) fn apply_token_granted(
    state: &mut State,
    meta: Meta<'_>,
    e: &TokenGranted,
) -> Result<(), String> {
    let grant = Grant {
        actor: e.actor.clone(),
        role: e.role,
        granted_by: meta.actor.clone(),
        granted_at: meta.at,
        seq: meta.seq,
        expires_at: e.expires_at,
        revoked_at: None,
    };
    if state.access.tokens.insert(e.token.clone(), grant).is_some() {
        return Err("a token was granted twice".to_owned());
    }
    Ok(())
}

pub(super) fn apply_token_revoked(
    state: &mut State,
    meta: Meta<'_>,
    e: &TokenRevoked,
) -> Result<(), String> {
    match state.access.tokens.get_mut(&e.token) {
        Some(grant) if grant.revoked_at.is_none() => {
            grant.revoked_at = Some(meta.at);
            Ok(())
        }
        _ => Err("a token was revoked that was not granted or already revoked".to_owned()),
    }
}
