//! Identity: a bearer token names an actor and a role (`reader` < `member` < `admin`). The
//! recorded actor of every write is the token's; a client cannot choose it, and the record's
//! `auth` names the token by its fingerprint. Tokens never appear in logs or errors: only their
//! hashes are looked up.

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

/// The caller's identity, if any: `None` without an `Authorization` header.
pub struct Caller(pub Option<Identity>);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Caller(None));
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
        let hash = TokenHash::of(token);
        let identity = state.ledger.read(|s| {
            s.access
                .tokens
                .get(&hash)
                .filter(|g| g.revoked_at.is_none())
                .map(|g| Identity {
                    actor: g.actor.clone(),
                    role: g.role,
                    token: hash.clone(),
                })
        });
        match identity {
            Some(identity) => Ok(Caller(Some(identity))),
            None => Err(ApiError::unauthorized(
                "the token is unknown or revoked; ask an admin for one (`goal-ledger token create`)",
            )),
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
