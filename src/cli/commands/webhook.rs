//! `webhook add|list|remove|deliveries|test`: who is sent what. Registrations and removals are
//! records; the signing secret is printed once, at registration.

use serde_json::json;

use super::Ctx;
use crate::api::webhooks::CreateWebhook;
use crate::cli::args::WebhookCmd;
use crate::cli::convert::team_id;
use crate::cli::cycle_output;
use crate::cli::error::{usage, CliError};
use crate::domain::{Command, Notification, WebhookId};

pub async fn run(ctx: &Ctx<'_>, cmd: &WebhookCmd) -> Result<(), CliError> {
    match cmd {
        WebhookCmd::Add { url, events, team } => {
            let request = CreateWebhook {
                url: url.clone(),
                events: events
                    .iter()
                    .map(|e| e.trim().parse::<Notification>())
                    .collect::<Result<_, _>>()
                    .map_err(usage)?,
                team: team.as_deref().map(team_id).transpose()?,
            };
            let created = ctx.backend.add_webhook(&ctx.cli.data_dir, request).await?;
            ctx.out
                .print(&created, || cycle_output::created_webhook(&created))
        }
        WebhookCmd::List => {
            let list = ctx.backend.webhooks().await?;
            ctx.out
                .print(&list, || cycle_output::webhooks(&list.webhooks))
        }
        WebhookCmd::Remove { id, reason, write } => {
            let cmd = Command::RemoveWebhook {
                webhook: webhook_id(id)?,
                reason: reason.clone(),
            };
            super::execute(ctx, cmd, write).await
        }
        WebhookCmd::Deliveries { id } => {
            let d = ctx.backend.webhook_deliveries(&webhook_id(id)?).await?;
            ctx.out.print(&d, || cycle_output::deliveries(&d))
        }
        WebhookCmd::Test { id } => {
            let attempt = ctx.backend.test_webhook(&webhook_id(id)?).await?;
            ctx.out.print(&json!({ "attempt": attempt }), || {
                cycle_output::attempts(std::slice::from_ref(&attempt))
            })
        }
    }
}

fn webhook_id(id: &str) -> Result<WebhookId, CliError> {
    WebhookId::parse(id).map_err(usage)
}
