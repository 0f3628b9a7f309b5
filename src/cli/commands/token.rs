//! `token create|list|revoke`: bearer tokens for the server, granted and revoked on the record.
//! They work on a data directory (the token's secret is made and shown here, once).

use serde_json::json;

use super::{execute, Ctx};
use crate::cli::args::{TokenCmd, WriteOpts};
use crate::cli::convert::{actor, local_auth};
use crate::cli::error::{usage, CliError};
use crate::cli::output;
use crate::domain::{Actor, Command, Role, TokenHash};
use crate::ledger::Request;

pub async fn run(ctx: &Ctx<'_>, cmd: &TokenCmd) -> Result<(), CliError> {
    match cmd {
        TokenCmd::Create { role } => create(ctx, (*role).into()).await,
        TokenCmd::List => list(ctx),
        TokenCmd::Revoke {
            fingerprint,
            reason,
        } => revoke(ctx, fingerprint, reason).await,
    }
}

async fn create(ctx: &Ctx<'_>, role: Role) -> Result<(), CliError> {
    let ledger = ctx.backend.local("token create")?;
    let holder = actor(ctx.cli)?;
    let token = new_token();
    let hash = TokenHash::of(&token);
    let command = Command::GrantToken {
        token: hash.clone(),
        actor: holder.clone(),
        role,
    };
    let appended = ledger
        .execute(Request::new(operator(&holder), local_auth(), command))
        .await?;
    ctx.out.print(
        &json!({"actor": holder, "role": role, "token": token, "fingerprint": hash.fingerprint(), "appended": appended}),
        || format!("{token}\n(a {role} token for {holder}, fingerprint {}; shown once, keep it secret)\n", hash.fingerprint()),
    )
}

fn list(ctx: &Ctx<'_>) -> Result<(), CliError> {
    let ledger = ctx.backend.local("token list")?;
    let tokens: Vec<serde_json::Value> = ledger.read(|s| {
        s.access
            .tokens
            .iter()
            .map(|(h, g)| json!({"fingerprint": h.fingerprint(), "actor": g.actor, "role": g.role, "granted_by": g.granted_by, "granted_at": g.granted_at, "revoked_at": g.revoked_at}))
            .collect()
    });
    ctx.out
        .print(&json!({ "tokens": tokens }), || output::tokens(&tokens))
}

async fn revoke(ctx: &Ctx<'_>, fingerprint: &str, reason: &str) -> Result<(), CliError> {
    let ledger = ctx.backend.local("token revoke")?;
    let matches: Vec<TokenHash> = ledger.read(|s| {
        s.access
            .tokens
            .keys()
            .filter(|h| h.as_str().starts_with(fingerprint))
            .cloned()
            .collect()
    });
    let token = match (fingerprint.len() >= 8, matches.as_slice()) {
        (true, [one]) => one.clone(),
        (false, _) => {
            return Err(usage(
                "give at least 8 hex digits of the fingerprint (see `token list`)",
            ))
        }
        (true, []) => {
            return Err(usage(format!(
                "no token has the fingerprint {fingerprint} (see `token list`)"
            )))
        }
        (true, _) => {
            return Err(usage(format!(
                "{fingerprint} matches several tokens; give more digits"
            )))
        }
    };
    let command = Command::RevokeToken {
        token,
        reason: reason.to_owned(),
    };
    let write = WriteOpts {
        event_id: None,
        expect_version: None,
    };
    execute(ctx, command, &write).await
}

/// A new bearer token: `glt_` and 244 random bits.
pub(crate) fn new_token() -> String {
    format!(
        "glt_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Who records a token grant: the login user when it is a valid name, else the token's holder.
fn operator(holder: &Actor) -> Actor {
    crate::config::user()
        .and_then(|u| Actor::parse(&u).ok())
        .unwrap_or_else(|| holder.clone())
}
