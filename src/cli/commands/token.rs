//! `token create|list|revoke`: bearer tokens for the server, granted and revoked on the record,
//! on a data directory or through a running server (`--server`, with an admin's token). The
//! secret is made where the grant is decided and shown once; the record keeps its hash, with
//! the granter as the record's actor and the holder (`--for`) in the payload.

use serde_json::json;

use super::Ctx;
use crate::api::{CreateToken, RevokeToken};
use crate::cli::args::{RoleArg, TokenCmd};
use crate::cli::convert::{actor_name, opt_time};
use crate::cli::error::CliError;
use crate::cli::output;

pub async fn run(ctx: &Ctx<'_>, cmd: &TokenCmd) -> Result<(), CliError> {
    match cmd {
        TokenCmd::Create {
            holder,
            role,
            expires_at,
        } => create(ctx, holder, *role, expires_at).await,
        TokenCmd::List => list(ctx).await,
        TokenCmd::Revoke {
            fingerprint,
            reason,
        } => revoke(ctx, fingerprint, reason).await,
    }
}

async fn create(
    ctx: &Ctx<'_>,
    holder: &str,
    role: RoleArg,
    expires_at: &Option<String>,
) -> Result<(), CliError> {
    let request = CreateToken {
        actor: actor_name(holder)?,
        role: role.into(),
        expires_at: opt_time(expires_at, true)?,
    };
    let created = ctx.backend.create_token(request).await?;
    ctx.out.print(&created, || output::created_token(&created))
}

async fn list(ctx: &Ctx<'_>) -> Result<(), CliError> {
    let list = ctx.backend.tokens().await?;
    ctx.out.print(&list, || output::tokens(&list.tokens))
}

async fn revoke(ctx: &Ctx<'_>, fingerprint: &str, reason: &str) -> Result<(), CliError> {
    let body = RevokeToken {
        reason: reason.to_owned(),
    };
    let answer = ctx.backend.revoke_token(fingerprint, body).await?;
    ctx.out.print(&json!({ "appended": answer.appended }), || {
        output::appended(&answer.appended)
    })
}
