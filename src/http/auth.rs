//! Identity: a bearer token names an actor and a role (`reader` < `member` < `admin`). The
//! recorded actor of every write is the token's; a client cannot choose it, and the record's
//! `auth` names the token by its fingerprint. Each request looks its token up in the ledger's
//! current state, so a grant, a revocation or an expiry counts from the very next request.
//! Tokens never appear in logs or errors: only their hashes are looked up. A browser signed in
//! (`web::session`) is the token its session maps to, looked up the same way on every request;
//! a refused token ends its sessions, and the browser is asked to sign in again.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::error::ApiError;
use super::AppState;
use crate::domain::{Actor, Role, TokenHash};

/// Who is asking, when they sent a valid token.
#[derive(Debug, Clone)]
pub struct Identity {
    pub actor: Actor,
    pub role: Role,
    /// The hash of the token presented: every write records its fingerprint.
    pub token: TokenHash,
}

/// Why a presented token names nobody.
enum Refused {
    UnknownOrRevoked,
    Expired(chrono::DateTime<chrono::Utc>),
}

/// The caller's identity, if any: `None` without an `Authorization` header or a live session.
pub struct Caller(pub Option<Identity>);

/// The identity token `hash` gives now.
fn identity_of(state: &AppState, hash: &TokenHash) -> Result<Identity, Refused> {
    let now = state.ledger.now();
    state.ledger.read(|s| match s.access.tokens.get(hash) {
        Some(g) if g.revoked_at.is_some() => Err(Refused::UnknownOrRevoked),
        Some(g) => match g.expires_at {
            Some(at) if at <= now => Err(Refused::Expired(at)),
            _ => Ok(Identity {
                actor: g.actor.clone(),
                role: g.role,
                token: hash.clone(),
            }),
        },
        None => Err(Refused::UnknownOrRevoked),
    })
}

/// The identity of a signed-in browser, if its session is live and its token still valid.
fn session_identity(parts: &Parts, state: &AppState) -> Option<Identity> {
    let id = crate::web::session::cookie_id(&parts.headers)?;
    let session = state.sessions.get(&id)?;
    match identity_of(state, &session.token) {
        Ok(identity) => Some(identity),
        Err(_) => {
            state.sessions.end_all_of(&session.token);
            None
        }
    }
}

/// Whether `token` names someone now: for signing in.
pub fn token_is_valid(state: &AppState, token: &str) -> Option<Identity> {
    identity_of(state, &TokenHash::of(token)).ok()
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Caller(session_identity(parts, state)));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("use an `Authorization: Bearer <token>` header")
            })?;
        match identity_of(state, &TokenHash::of(token)) {
            Ok(identity) => {
                // The request's log line names who asked (never the token).
                tracing::Span::current()
                    .record("actor", tracing::field::display(identity.actor.as_str()));
                Ok(Caller(Some(identity)))
            }
            Err(Refused::UnknownOrRevoked) => Err(ApiError::unauthorized(
                "the token is unknown or revoked; ask an admin for one (`goal-ledger token create`)",
            )),
            Err(Refused::Expired(at)) => Err(ApiError::unauthorized(format!(
                "the token expired at {}; ask an admin for a new one",
                at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            ))),
        }
    }
}

impl Caller {
    /// Allows a read: any valid token, or none when the server has public reads.
    pub fn may_read(&self, state: &AppState) -> Result<(), ApiError> {
        match (&self.0, state.public_read) {
            (Some(_), _) | (None, true) => Ok(()),
            (None, false) => Err(ApiError::unauthorized(
                "reading needs a token: send `Authorization: Bearer <token>`",
            )),
        }
    }

    /// Requires at least `role`; returns the identity.
    pub fn require(&self, role: Role) -> Result<&Identity, ApiError> {
        let identity = self.0.as_ref().ok_or_else(|| {
            ApiError::unauthorized("writing needs a token: send `Authorization: Bearer <token>`")
        })?;
        if identity.role < role {
            return Err(ApiError::forbidden(format!(
                "{} has the {} role; this needs {role}",
                identity.actor, identity.role
            )));
        }
        Ok(identity)
    }
}
