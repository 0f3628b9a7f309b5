//! The quarter's loop through the data directory or a server: cycles, what is due, and
//! webhooks (registered locally with the data directory's webhook key, or by the server).

use super::backend::Backend;
use super::error::CliError;
use crate::api::cycles::CycleList;
use crate::api::webhooks::{
    AttemptView, CreateWebhook, CreatedWebhook, Deliveries, WebhookList, WebhookView,
};
use crate::api::{path, routes};
use crate::domain::{Command, CycleName, WebhookId};
use crate::notify::address::check_url;
use crate::notify::key::{new_webhook_id, webhook_key};
use crate::notify::sign::Secret;
use crate::projections::due::{due, DueList, Whose};
use crate::projections::views::CycleView;

impl Backend {
    pub async fn cycles(&self) -> Result<Vec<CycleView>, CliError> {
        match self {
            Backend::Remote(remote) => {
                let list: CycleList = remote.get(routes::CYCLES, &[]).await?;
                Ok(list.cycles)
            }
            Backend::Local { ledger, .. } => Ok(ledger.read(|s| {
                s.cycles
                    .in_order()
                    .into_iter()
                    .map(|c| CycleView::new(c, s))
                    .collect()
            })),
        }
    }

    pub async fn cycle(&self, name: &CycleName) -> Result<CycleView, CliError> {
        match self {
            Backend::Remote(remote) => {
                remote
                    .get(&path(routes::CYCLE, &[name.as_str()]), &[])
                    .await
            }
            Backend::Local { ledger, .. } => ledger
                .read(|s| s.cycle(name).map(|c| CycleView::new(c, s)))
                .map_err(|r| CliError::Refused(r.to_string())),
        }
    }

    /// What is waiting for `whose`; remotely, `None` asks for the token holder's.
    pub async fn due(&self, whose: Option<Whose>) -> Result<DueList, CliError> {
        match self {
            Backend::Remote(remote) => {
                let query: Vec<(&str, String)> = match whose {
                    Some(Whose::Person(a)) => vec![("actor", a.to_string())],
                    Some(Whose::Team(t)) => vec![("team", t.to_string())],
                    None => vec![],
                };
                remote.get(routes::DUE, &query).await
            }
            Backend::Local { ledger, actor } => {
                let whose = match (whose, actor) {
                    (Some(w), _) => w,
                    (None, Some(a)) => Whose::Person(a.clone()),
                    (None, None) => {
                        return Err(CliError::Usage(
                            "whose work? pass --actor NAME or --team ID".into(),
                        ))
                    }
                };
                if let Whose::Team(t) = &whose {
                    if ledger.read(|s| !s.teams.contains_key(t)) {
                        return Err(CliError::no_team(t));
                    }
                }
                let now = ledger.now();
                Ok(ledger.read(|s| due(s, &whose, now)))
            }
        }
    }
}

impl Backend {
    /// Registers a webhook and answers its secret, once. Locally the address is checked as a
    /// server without --allow-private-webhooks would, and the secret comes from the data
    /// directory's webhook key; a server does both itself.
    pub async fn add_webhook(
        &self,
        data_dir: &std::path::Path,
        request: CreateWebhook,
    ) -> Result<CreatedWebhook, CliError> {
        match self {
            Backend::Remote(remote) => remote.post(routes::WEBHOOKS, &request).await,
            Backend::Local { ledger, .. } => {
                check_url(&request.url, false)
                    .await
                    .map_err(|e| CliError::Usage(e.to_string()))?;
                let id = new_webhook_id();
                let command = Command::RegisterWebhook {
                    webhook: id.clone(),
                    url: request.url,
                    events: request.events,
                    team: request.team,
                };
                let answer = self.execute(command, None, None).await?;
                let key = webhook_key(data_dir).map_err(|e| CliError::Refused(e.to_string()))?;
                let webhook = ledger
                    .read(|s| s.webhooks.hooks.get(&id).map(WebhookView::from))
                    .ok_or_else(|| CliError::Refused(format!("webhook {id} was not kept")))?;
                Ok(CreatedWebhook {
                    webhook,
                    secret: Secret::derive(&key, id.as_str()).to_string(),
                    appended: answer.appended,
                })
            }
        }
    }

    pub async fn webhooks(&self) -> Result<WebhookList, CliError> {
        match self {
            Backend::Remote(remote) => remote.get(routes::WEBHOOKS, &[]).await,
            Backend::Local { ledger, .. } => Ok(ledger.read(|s| WebhookList {
                webhooks: s.webhooks.hooks.values().map(WebhookView::from).collect(),
            })),
        }
    }

    /// A webhook's deliveries, or a test ping: only a running server sends.
    pub async fn webhook_deliveries(&self, id: &WebhookId) -> Result<Deliveries, CliError> {
        let remote = self.remote("webhook deliveries")?;
        remote
            .get(&path(routes::WEBHOOK_DELIVERIES, &[id.as_str()]), &[])
            .await
    }

    pub async fn test_webhook(&self, id: &WebhookId) -> Result<AttemptView, CliError> {
        let remote = self.remote("webhook test")?;
        remote
            .post(
                &path(routes::WEBHOOK_TEST, &[id.as_str()]),
                &serde_json::json!({}),
            )
            .await
    }

    fn remote(&self, what: &str) -> Result<&super::remote::Remote, CliError> {
        match self {
            Backend::Remote(remote) => Ok(remote),
            Backend::Local { .. } => Err(CliError::Usage(format!(
                "`{what}` asks the server that sends webhooks: pass --server URL (and an admin --token)"
            ))),
        }
    }
}
