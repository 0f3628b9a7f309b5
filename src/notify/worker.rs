//! The delivery worker: one task per webhook in force, each following the log from its durable
//! cursor and the clock for reminders, sending one message at a time, in order, and retrying a
//! failed one with exponential backoff and jitter until it is delivered or a day has passed.
//! The cursor moves (and is synced to disk) only when a message is acknowledged, so a restart
//! resends what was not, with the same `webhook-id`, and skips nothing. The worker only reads
//! the ledger: a slow or dead receiver holds up its own queue, never an append.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::address::check_url;
use super::backoff::Schedule;
use super::cursor::{Cursor, Cursors};
use super::deliver::{send, Attempt, Message};
use super::key::webhook_key;
use super::messages::{from_record, reminders, Outgoing, Source};
use super::sign::Secret;
use crate::api::webhooks::{AttemptView, Deliveries};
use crate::domain::{Hook, WebhookId};
use crate::ledger::Ledger;
use crate::record;

/// The most attempts kept per webhook for `GET /webhooks/{id}/deliveries`.
const KEPT_ATTEMPTS: usize = 100;
/// Records read from the log at a time.
const BATCH: usize = 256;
/// How many records without a message for a webhook move its durable cursor.
const SKIP_SAVE: u64 = 1024;

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// The data directory: its webhook key and the cursor file `webhooks.json`.
    pub dir: PathBuf,
    /// Let webhooks reach loopback and private addresses (tests, closed networks).
    pub allow_private: bool,
    pub schedule: Schedule,
    /// How often an idle webhook looks for new records and reminders.
    pub poll: Duration,
    /// How long a receiver has to answer.
    pub timeout: Duration,
}

impl NotifyConfig {
    pub fn new(dir: PathBuf) -> NotifyConfig {
        NotifyConfig {
            dir,
            allow_private: false,
            schedule: Schedule::STANDARD,
            poll: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
        }
    }
}

/// A webhook's cursor before its first message: just after the record that registered it.
fn fresh(hook: &Hook) -> Cursor {
    Cursor {
        acked: hook.seq,
        reminders: BTreeSet::new(),
    }
}

/// What the worker shows of one webhook.
#[derive(Debug, Default)]
struct Status {
    attempts: VecDeque<AttemptView>,
    next_retry: Option<DateTime<Utc>>,
}

/// The running worker, shared with the HTTP handlers.
pub struct Notifier {
    ledger: Ledger,
    config: NotifyConfig,
    key: [u8; 32],
    client: reqwest::Client,
    cursors: Mutex<Cursors>,
    status: Mutex<BTreeMap<WebhookId, Status>>,
}

impl Notifier {
    /// Loads the key and the cursors (refusing a damaged cursor file rather than resending
    /// everything).
    pub fn new(ledger: Ledger, config: NotifyConfig) -> std::io::Result<Notifier> {
        let key = webhook_key(&config.dir)?;
        let cursors = Cursors::load(&config.dir.join("webhooks.json"))?;
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(std::io::Error::other)?;
        Ok(Notifier {
            ledger,
            config,
            key,
            client,
            cursors: Mutex::new(cursors),
            status: Mutex::new(BTreeMap::new()),
        })
    }

    /// The signing secret of webhook `id`.
    pub fn secret(&self, id: &WebhookId) -> Secret {
        Secret::derive(&self.key, id.as_str())
    }

    pub fn allow_private(&self) -> bool {
        self.config.allow_private
    }

    fn cursor(&self, hook: &Hook) -> Cursor {
        let cursors = self.cursors.lock().unwrap_or_else(|p| p.into_inner());
        cursors
            .webhooks
            .get(hook.id.as_str())
            .cloned()
            .unwrap_or_else(|| fresh(hook))
    }

    /// Moves `hook`'s cursor past `source` and syncs the file: from here on a restart does not
    /// send it again.
    /// A reminder's key is kept only while that reminder is due (so it is not sent twice in
    /// its period); keys of periods that have passed are dropped, so the file stays small.
    fn acknowledge(&self, hook: &Hook, source: &Source, scanned: u64) -> std::io::Result<()> {
        let still_due: Option<BTreeSet<String>> =
            matches!(source, Source::Reminder(_)).then(|| {
                let now = self.ledger.now();
                let due = self.ledger.read(|s| reminders(hook, s, now));
                due.into_iter()
                    .filter_map(|o| match o.source {
                        Source::Reminder(key) => Some(key),
                        Source::Record(_) => None,
                    })
                    .collect()
            });
        let mut cursors = self.cursors.lock().unwrap_or_else(|p| p.into_inner());
        let cursor = cursors
            .webhooks
            .entry(hook.id.to_string())
            .or_insert_with(|| fresh(hook));
        match source {
            Source::Record(seq) => cursor.acked = cursor.acked.max(*seq),
            Source::Reminder(key) => {
                cursor.acked = cursor.acked.max(scanned);
                if let Some(due) = &still_due {
                    cursor.reminders.retain(|k| due.contains(k));
                }
                cursor.reminders.insert(key.clone());
            }
        }
        cursors.save(&self.config.dir.join("webhooks.json"))
    }

    /// The next message for `hook`: the first record after its cursor (or after `from`, how
    /// far an earlier look found nothing for it) that it subscribed to, else the first
    /// reminder not sent yet. Also answers how far the log was scanned.
    fn next_message(&self, hook: &Hook, from: u64) -> Result<(Option<Outgoing>, u64), String> {
        let cursor = self.cursor(hook);
        let mut scanned = cursor.acked.max(from);
        loop {
            let batch = self
                .ledger
                .records_after(scanned, BATCH)
                .map_err(|e| e.to_string())?;
            let records = batch
                .iter()
                .map(|(_, bytes)| record::decode(bytes))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            // One look at the state for the whole batch: the writer needs it too.
            let found = self.ledger.read(|s| {
                (records.iter().zip(&batch))
                    .find_map(|(r, (seq, _))| Some((*seq, from_record(r, hook, s)?)))
            });
            if let Some((seq, out)) = found {
                // The log has no gaps: everything before the message held nothing for it.
                return Ok((Some(out), seq - 1));
            }
            scanned = batch.last().map_or(scanned, |(seq, _)| *seq);
            if batch.len() < BATCH {
                break;
            }
        }
        let now = self.ledger.now();
        let due = self.ledger.read(|s| reminders(hook, s, now));
        let next = due.into_iter().find(|o| match &o.source {
            Source::Reminder(key) => !cursor.reminders.contains(key),
            Source::Record(_) => false,
        });
        Ok((next, scanned))
    }

    /// Moves `hook`'s durable cursor past records that held nothing for it, so that a
    /// restart need not read them again.
    fn skip_to(&self, hook: &Hook, scanned: u64) -> std::io::Result<()> {
        let mut cursors = self.cursors.lock().unwrap_or_else(|p| p.into_inner());
        let cursor = cursors
            .webhooks
            .entry(hook.id.to_string())
            .or_insert_with(|| fresh(hook));
        if scanned <= cursor.acked {
            return Ok(());
        }
        cursor.acked = scanned;
        cursors.save(&self.config.dir.join("webhooks.json"))
    }

    /// Keeps `view` for the deliveries page; `queued` says whether it is of the webhook's
    /// queue (a test ping is not, and leaves the queue's retry time alone).
    fn record_attempt(&self, id: &WebhookId, view: AttemptView, queued: bool) {
        let mut status = self.status.lock().unwrap_or_else(|p| p.into_inner());
        let s = status.entry(id.clone()).or_default();
        if queued {
            s.next_retry = view.next_retry;
        }
        s.attempts.push_front(view);
        s.attempts.truncate(KEPT_ATTEMPTS);
    }

    /// `GET /webhooks/{id}/deliveries`
    pub fn deliveries(&self, hook: &Hook) -> Deliveries {
        let acked = self.cursor(hook).acked;
        let status = self.status.lock().unwrap_or_else(|p| p.into_inner());
        let s = status.get(&hook.id);
        Deliveries {
            webhook: hook.id.clone(),
            acknowledged: acked,
            queued: self.ledger.digest().seq.saturating_sub(acked),
            next_retry: s.and_then(|s| s.next_retry),
            attempts: s.map_or_else(Vec::new, |s| s.attempts.iter().cloned().collect()),
        }
    }

    /// Sends `message` to `hook` once, checking its address first.
    async fn attempt(&self, hook: &Hook, message: &Message) -> Attempt {
        let now = Utc::now();
        match check_url(&hook.url, self.config.allow_private).await {
            Ok(url) => send(&self.client, &url, &self.secret(&hook.id), message, now).await,
            Err(refused) => Attempt {
                at: now,
                status: None,
                error: Some(refused.to_string()),
                took_ms: 0,
            },
        }
    }

    /// `POST /webhooks/{id}/test`: a signed `ping`, sent now, outside the queue.
    pub async fn ping(&self, hook: &Hook) -> AttemptView {
        let mut nonce = [0u8; 8];
        let _ = getrandom::fill(&mut nonce);
        let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
        let message = Message {
            id: format!("msg_ping_{nonce}"),
            event_type: "ping".to_owned(),
            timestamp: Utc::now(),
            data: serde_json::json!({ "webhook": hook.id, "url": hook.url }),
        };
        let attempt = self.attempt(hook, &message).await;
        let view = view(&message, 1, &attempt, None);
        self.record_attempt(&hook.id, view.clone(), false);
        view
    }
}

fn view(message: &Message, n: u32, a: &Attempt, next: Option<DateTime<Utc>>) -> AttemptView {
    AttemptView {
        message: message.id.clone(),
        event: message.event_type.clone(),
        attempt: n,
        at: a.at,
        status: a.status,
        error: a.error.clone(),
        took_ms: a.took_ms,
        delivered: a.succeeded(),
        next_retry: next,
    }
}

/// Starts the worker: a supervisor that runs one task per webhook in force, until `stop`.
pub fn spawn(notifier: Arc<Notifier>, stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut running: BTreeMap<WebhookId, tokio::task::AbortHandle> = BTreeMap::new();
        let mut tasks = JoinSet::new();
        let mut stop_wait = stop.clone();
        loop {
            let hooks: Vec<Hook> = notifier
                .ledger
                .read(|s| s.webhooks.hooks.values().cloned().collect());
            running.retain(|_, task| !task.is_finished());
            for hook in hooks {
                if let std::collections::btree_map::Entry::Vacant(slot) = running.entry(hook.id) {
                    let id = slot.key().clone();
                    slot.insert(tasks.spawn(run_hook(notifier.clone(), id, stop.clone())));
                }
            }
            while tasks.try_join_next().is_some() {}
            if *stop_wait.borrow() {
                break;
            }
            tokio::select! {
                _ = stop_wait.changed() => {}
                _ = tokio::time::sleep(notifier.config.poll) => {}
            }
        }
        while tasks.join_next().await.is_some() {}
    })
}

/// A message being tried.
struct Pending {
    out: Outgoing,
    scanned: u64,
    first: DateTime<Utc>,
    attempts: u32,
    next: DateTime<Utc>,
}

/// Delivers `id`'s messages in order until it is removed or the worker stops.
async fn run_hook(n: Arc<Notifier>, id: WebhookId, mut stop: watch::Receiver<bool>) {
    let mut pending: Option<Pending> = None;
    // An idle webhook wakes when the head moves (a new record may be for it) or after `poll`
    // (a reminder may have fallen due), and reads on from where it last found nothing.
    let mut head = n.ledger.subscribe();
    let mut scanned = 0;
    while !*stop.borrow() {
        let Some(hook) = n.ledger.read(|s| s.webhooks.hooks.get(&id).cloned()) else {
            return;
        };
        let wait = match pending.as_mut() {
            None => match n.next_message(&hook, scanned) {
                Ok((Some(out), at)) => {
                    let now = Utc::now();
                    scanned = at;
                    pending = Some(Pending {
                        out,
                        scanned: at,
                        first: now,
                        attempts: 0,
                        next: now,
                    });
                    Duration::ZERO
                }
                Ok((None, at)) => {
                    // Persisted now and then, not on every idle look.
                    if at >= scanned + SKIP_SAVE {
                        if let Err(e) = n.skip_to(&hook, at) {
                            tracing::warn!(webhook = %id, error = %e, "cannot save the webhook cursor");
                        }
                    }
                    scanned = scanned.max(at);
                    n.config.poll
                }
                Err(e) => {
                    tracing::warn!(webhook = %id, error = %e, "webhook worker cannot read the log");
                    n.config.poll
                }
            },
            Some(p) if p.next > Utc::now() => (p.next - Utc::now())
                .to_std()
                .unwrap_or_default()
                .min(n.config.poll),
            Some(p) => {
                let done = try_once(&n, &hook, p).await;
                if done {
                    pending = None;
                }
                Duration::ZERO
            }
        };
        if !wait.is_zero() {
            let idle = pending.is_none();
            tokio::select! {
                _ = stop.changed() => {}
                _ = head.changed(), if idle => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// One attempt of the pending message; true when it is settled (delivered or given up) and
/// acknowledged.
async fn try_once(n: &Notifier, hook: &Hook, p: &mut Pending) -> bool {
    let attempt = n.attempt(hook, &p.out.message).await;
    p.attempts += 1;
    let age = (Utc::now() - p.first).to_std().unwrap_or_default();
    let settled = attempt.succeeded() || n.config.schedule.gives_up(age);
    let next = (!settled).then(|| {
        let mut jitter = [0u8; 4];
        let _ = getrandom::fill(&mut jitter);
        let jitter = f64::from(u32::from_le_bytes(jitter)) / f64::from(u32::MAX);
        let delay = n.config.schedule.delay(p.attempts, jitter);
        Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default()
    });
    n.record_attempt(
        &hook.id,
        view(&p.out.message, p.attempts, &attempt, next),
        true,
    );
    match next {
        Some(at) => {
            p.next = at;
            false
        }
        None => {
            if !attempt.succeeded() {
                tracing::warn!(webhook = %hook.id, message = %p.out.message.id, "webhook message given up after a day of retries");
            }
            match n.acknowledge(hook, &p.out.source, p.scanned) {
                Ok(()) => true,
                Err(e) => {
                    // Not acknowledged durably: keep it, so it is sent again rather than lost.
                    tracing::error!(webhook = %hook.id, error = %e, "cannot save the webhook cursor");
                    p.next = Utc::now() + chrono::Duration::seconds(1);
                    false
                }
            }
        }
    }
}
