//! The ledger: the one way into the data for the CLI and HTTP faces. `Ledger::open` loads the
//! projection snapshot, catches up, and starts the single writer (`writer.rs`); `execute`
//! sends a command to it and resolves once the batch holding it is durable. Reads go to the
//! published state (never ahead of what is durable) or to the store's indexes. On a store
//! several instances share, the store's follower asks the writer to catch up (`Job::CatchUp`)
//! when another instance commits, and every second.

mod audit;
mod proofs;
mod slice;
mod stats;
mod tree_check;
mod writer;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot, watch};

use crate::domain::{Actor, Command, EventId, Goal, GoalId, Rejection, State, StreamId, TeamId};
use crate::projections::{self, history, timeline, ReplayError};
use crate::record::{Auth, Digest, Record};
use crate::store::{self, Store, StoreError, StoreRead};

pub use audit::{
    export_lines, verify_lines, verify_lines_against, verify_store, verify_store_against, Against,
    Archive, ExportError, ImportError,
};
pub use proofs::{key_path, load_signer, Kept, ProofError, Signing};
pub use slice::{check_inclusion, verify_slice};
pub(crate) use stats::histogram;
use stats::Stats;
pub use stats::StatsSnapshot;
pub use tree_check::Expected;
use writer::{Job, Writer};

/// How often an instance on a shared store reads the head even without a notice of another
/// instance's commit (notices are lost while the listening connection is down).
const FOLLOW_POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// Where time comes from; tests and sample generation use a scripted clock.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// How to open a ledger.
#[derive(Clone)]
pub struct Options {
    /// Create the ledger if the directory holds none.
    pub create: bool,
    pub clock: Clock,
    /// Write the projection snapshot after this many new records.
    pub snapshot_every: u64,
    /// Where `open` finds the signing key (or what it names a new one).
    pub signing: Signing,
    /// The key that signs checkpoints; `open` loads it from `signing` when it is `None`.
    pub signer: Option<Arc<crate::proofs::Signer>>,
    /// Test door: keep no Merkle tree (and sign nothing), for the benchmark that measures what
    /// keeping it costs.
    #[cfg(feature = "tamper")]
    pub without_tree: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            create: true,
            clock: Arc::new(Utc::now),
            snapshot_every: 10_000,
            signing: Signing::default(),
            signer: None,
            #[cfg(feature = "tamper")]
            without_tree: false,
        }
    }
}

/// A command with who sends it, how that was established, and its concurrency and idempotency
/// guards.
#[derive(Debug, Clone)]
pub struct Request {
    pub command: Command,
    pub actor: Actor,
    /// How `actor` was established (a token, a local write); recorded on every record appended.
    pub auth: Auth,
    /// A client-chosen id: retrying with the same id appends nothing and returns the first answer.
    pub id: Option<EventId>,
    /// The version the command's stream must be at, or the command is a `Conflict`.
    pub expected_version: Option<u64>,
}

impl Request {
    pub fn new(actor: Actor, auth: Auth, command: Command) -> Request {
        Request {
            command,
            actor,
            auth,
            id: None,
            expected_version: None,
        }
    }
}

/// What an accepted command appended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Appended {
    /// The sequence numbers of the appended records, in order.
    pub seqs: Vec<u64>,
    /// The stream the command addressed, and its version afterwards.
    pub stream: String,
    pub version: u64,
    /// True when this answers a retry: nothing new was appended.
    pub replayed: bool,
    /// The ledger's head after the commit.
    pub head: Digest,
}

/// Why a command appended nothing. Each variant says what the caller can do.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppendError {
    /// The command breaks a rule: show the message, fix the command.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// Someone else changed the stream first: re-read it and decide again.
    #[error("{stream} is at version {actual}, not {expected}: someone changed it first; re-read it and retry")]
    Conflict {
        stream: String,
        expected: u64,
        actual: u64,
    },
    /// The id was used for a different command: use a fresh id for a new command.
    #[error(
        "event id {id:?} was already used for a different command; use a new id for a new command"
    )]
    IdReused { id: String },
    /// The record would be too large: shorten the texts.
    #[error(
        "the record would be {bytes} bytes; the limit is {} bytes: shorten the texts",
        crate::record::MAX_RECORD_BYTES
    )]
    TooLarge { bytes: usize },
    /// Import data does not continue this ledger.
    #[error("import refused: {0}")]
    ImportRefused(String),
    /// The store could not make the batch durable: nothing was appended; retry later.
    #[error("the ledger could not store the write: {0}")]
    Unavailable(String),
    /// The ledger is shutting down: retry against the next instance.
    #[error("the ledger is shutting down")]
    Closed,
    /// A defect in this program; nothing was appended. Report it.
    #[error("internal error: {0}")]
    Internal(String),
}

/// A read that failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Replay(#[from] ReplayError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A point in a goal's past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    Seq(u64),
    Time(DateTime<Utc>),
}

/// Why a ledger could not open.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Replay(#[from] ReplayError),
    #[error("the ledger's head says record {head} but the records end at {last}; run `goal-ledger verify` to see what changed")]
    HeadMismatch { head: u64, last: u64 },
    #[error(transparent)]
    Key(#[from] ProofError),
}

/// What the writer and readers share.
pub(crate) struct Core {
    pub store: Arc<dyn Store>,
    pub state: RwLock<State>,
    pub head: watch::Sender<Digest>,
    pub stats: Stats,
    pub notary: proofs::Notary,
}

struct Handle {
    core: Arc<Core>,
    /// The writer's clock, for readers that compare times with the ledger's (token expiry).
    clock: Clock,
    tx: Option<mpsc::Sender<Job>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(w) = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = w.join();
        }
    }
}

/// An open ledger. Cheap to clone; the writer stops (after a final snapshot) when the last
/// clone is dropped or `close` is called.
#[derive(Clone)]
pub struct Ledger {
    handle: Arc<Handle>,
}

impl Ledger {
    /// Opens (or with `options.create`, creates) the ledger in `dir`.
    pub fn open(dir: &Path, options: Options) -> Result<Ledger, OpenError> {
        Ledger::open_at(&store::Location::Dir(dir.to_owned()), dir, options)
    }

    /// Opens (or with `options.create`, creates) the ledger whose store is at `location`;
    /// `dir` holds what is not in the store (the signing key, unless `options.signing` names
    /// one), and is the store itself when `location` is that directory.
    pub fn open_at(
        location: &store::Location,
        dir: &Path,
        mut options: Options,
    ) -> Result<Ledger, OpenError> {
        let store = store::open(location, &crate::config::store_options(options.create))?;
        if matches!(location, store::Location::Postgres(_)) && options.signer.is_none() {
            // The database holds the records; the directory still holds the signing key.
            std::fs::create_dir_all(dir).map_err(StoreError::Io)?;
        }
        if options.signer.is_none() {
            options.signer = Some(Arc::new(load_signer(dir, &options.signing)?));
        }
        Ledger::with_store(store, options)
    }

    /// Opens a ledger on any store.
    pub fn with_store(store: Arc<dyn Store>, options: Options) -> Result<Ledger, OpenError> {
        let mut head = store.head()?;
        let last = match store.records_in(head.seq.max(1), u64::MAX).last() {
            Some(item) => item?.0,
            None => 0,
        };
        if last < head.seq {
            return Err(OpenError::HeadMismatch {
                head: head.seq,
                last,
            });
        }
        if last > head.seq {
            // Another instance on a shared store may have committed since the head was read;
            // its records and head are one transaction, so a head read now covers them.
            head = store.head()?;
        }
        if last > head.seq {
            return Err(OpenError::HeadMismatch {
                head: head.seq,
                last,
            });
        }
        let mut state = projections::load_snapshot(store.as_read(), head.seq)?;
        let from_snapshot = state.seq;
        let caught_up = projections::catch_up(store.as_read(), &mut state, head.seq, &mut |_| {})?;
        let last_at = match store.record(head.seq)? {
            Some(bytes) => {
                projections::decode_at(head.seq, &bytes)?
                    .envelope
                    .recorded_at
            }
            None => DateTime::<Utc>::MIN_UTC,
        };
        tracing::debug!(from_snapshot, caught_up, head = head.seq, "ledger opened");
        let dirty: BTreeSet<StreamId> = if caught_up > 0 {
            state
                .goals
                .keys()
                .map(|g| StreamId::Goal(g.clone()))
                .chain(state.teams.keys().map(|t| StreamId::Team(t.clone())))
                .collect()
        } else {
            BTreeSet::new()
        };
        #[cfg(feature = "tamper")]
        let keep_tree = !options.without_tree;
        #[cfg(not(feature = "tamper"))]
        let keep_tree = true;
        let signer = options.signer.clone().filter(|_| keep_tree);
        let notary = proofs::Notary::open(store.as_read(), head.seq, signer, keep_tree)?;
        let (head_tx, _) = watch::channel(head);
        let core = Arc::new(Core {
            notary,
            store,
            state: RwLock::new(state.clone()),
            head: head_tx,
            stats: Stats::default(),
        });
        let (tx, rx) = mpsc::channel(4096);
        let asked = Arc::new(AtomicBool::new(false));
        let writer = Writer {
            core: core.clone(),
            working: state,
            head,
            last_at,
            clock: options.clock.clone(),
            dirty,
            since_snapshot: caught_up,
            snapshot_every: options.snapshot_every.max(1),
            resync: false,
            asked: asked.clone(),
        };
        // Other instances' appends (a shared store): ask the writer to catch up, once until it
        // has. The follower holds the channel weakly, so it never keeps the writer running.
        let weak = tx.downgrade();
        core.store.follow(
            Arc::new(move || {
                if asked.swap(true, Ordering::AcqRel) {
                    return;
                }
                let sent = weak.upgrade().map(|tx| tx.try_send(Job::CatchUp).is_ok());
                if sent != Some(true) {
                    // A full queue: the writer is busy and the next poll asks again.
                    asked.store(false, Ordering::Release);
                }
            }),
            FOLLOW_POLL,
        );
        let thread = std::thread::Builder::new()
            .name("ledger-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(StoreError::Io)?;
        Ok(Ledger {
            handle: Arc::new(Handle {
                clock: options.clock,
                core,
                tx: Some(tx),
                writer: Mutex::new(Some(thread)),
            }),
        })
    }

    fn core(&self) -> &Core {
        &self.handle.core
    }

    async fn send<T>(
        &self,
        job: impl FnOnce(oneshot::Sender<Result<T, AppendError>>) -> Job,
    ) -> Result<T, AppendError> {
        let (reply, rx) = oneshot::channel();
        let tx = self.handle.tx.as_ref().ok_or(AppendError::Closed)?;
        tx.send(job(reply)).await.map_err(|_| AppendError::Closed)?;
        rx.await.map_err(|_| AppendError::Closed)?
    }

    /// Checks the command, appends its events and returns once they are durable.
    pub async fn execute(&self, request: Request) -> Result<Appended, AppendError> {
        self.send(|reply| Job::Execute {
            request: Box::new(request),
            reply,
        })
        .await
    }

    /// Decides the proposals whose closing time has passed; returns the appended sequences.
    pub async fn tick(&self) -> Result<Vec<u64>, AppendError> {
        self.send(|reply| Job::Tick { reply }).await
    }

    /// Writes the projection snapshot now.
    pub async fn save_snapshot(&self) -> Result<(), AppendError> {
        self.send(|reply| Job::SaveSnapshot { reply }).await
    }

    /// Replays the whole log into fresh projections; returns how many records were replayed.
    pub async fn rebuild(&self, progress: Box<dyn FnMut(u64) + Send>) -> Result<u64, AppendError> {
        self.send(|reply| Job::Rebuild { progress, reply }).await
    }

    pub(crate) async fn import_chunk(&self, records: Vec<Vec<u8>>) -> Result<u64, AppendError> {
        self.send(|reply| Job::Import { records, reply }).await
    }

    /// Stops the writer after it finishes what it has and writes a final snapshot.
    pub fn close(self) {
        drop(self);
    }

    /// Reads the current (durable) state.
    pub fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        let state = self.core().state.read().unwrap_or_else(|p| p.into_inner());
        f(&state)
    }

    pub fn goal(&self, id: &GoalId) -> Option<Goal> {
        self.read(|s| s.goals.get(id).cloned())
    }

    /// The time by the ledger's clock, the one its records are stamped with.
    pub fn now(&self) -> DateTime<Utc> {
        (self.handle.clock)()
    }

    /// The head: last sequence and its hash.
    pub fn digest(&self) -> Digest {
        *self.core().head.borrow()
    }

    /// Follows the head as it moves (for live feeds).
    pub fn subscribe(&self) -> watch::Receiver<Digest> {
        self.core().head.subscribe()
    }

    /// The store, read-only: every write goes through the writer.
    /// Writes records `1..=to` as an export (each record's exact bytes and a `\n`).
    pub fn export_to(&self, to: u64, out: &mut dyn std::io::Write) -> Result<u64, ExportError> {
        audit::export_lines(self.store(), to, out, &mut |_| {})
    }

    pub fn store(&self) -> &dyn StoreRead {
        self.core().store.as_read()
    }

    /// Raw records after `after`, at most `limit`, exactly as stored.
    pub fn records_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, ReadError> {
        let head = self.digest().seq;
        Ok(self
            .store()
            .records_in(after.saturating_add(1), head)
            .take(limit)
            .collect::<Result<_, _>>()?)
    }

    /// The decoded records of one stream up to `upto` (inclusive).
    pub fn stream_records(&self, stream: &StreamId, upto: u64) -> Result<Vec<Record>, ReadError> {
        // Never past the published head: nothing unacknowledged is ever read.
        let upto = upto.min(self.digest().seq);
        Ok(projections::stream_records(self.store(), stream, upto)?)
    }

    /// The sequence a point in time corresponds to: the last record at or before it.
    pub fn seq_at(&self, at: DateTime<Utc>) -> Result<u64, ReadError> {
        Ok(self
            .store()
            .last_seq_at(at.timestamp_micros())?
            .unwrap_or(0))
    }

    /// A goal as it stood at a point in its past (`None` if it did not exist yet).
    pub fn goal_as_of(&self, id: &GoalId, as_of: AsOf) -> Result<Option<Goal>, ReadError> {
        let upto = match as_of {
            AsOf::Seq(seq) => seq,
            AsOf::Time(at) => self.seq_at(at)?,
        };
        let records = self.stream_records(&StreamId::Goal(id.clone()), upto)?;
        Ok(projections::goal_as_of(&records)?)
    }

    /// Why a goal is what it is: every change with before → after, reason, proposer, votes.
    pub fn history(&self, id: &GoalId) -> Result<Option<history::History>, ReadError> {
        let records = self.stream_records(&StreamId::Goal(id.clone()), u64::MAX)?;
        Ok(history::build(&records))
    }

    /// Timeline entries matching `filter`, oldest first.
    pub fn timeline(&self, filter: &timeline::Filter) -> Result<Vec<timeline::Entry>, ReadError> {
        let head = self.digest().seq;
        let records: Vec<(u64, Vec<u8>)> = match (&filter.goal, &filter.team) {
            (Some(goal), _) => self
                .store()
                .stream_records(&StreamId::Goal(goal.clone()).to_string(), head)?,
            (None, Some(team)) => self.team_records(team, head)?,
            (None, None) => {
                let from = match filter.since {
                    Some(at) => self
                        .store()
                        .first_seq_from(at.timestamp_micros())?
                        .unwrap_or(head + 1),
                    None => 1,
                };
                let to = match filter.until {
                    Some(at) => self.seq_at(at)?,
                    None => head,
                };
                self.store()
                    .records_in(from, to.min(head))
                    .collect::<Result<_, _>>()?
            }
        };
        let mut entries = Vec::new();
        for (seq, bytes) in records {
            let record = projections::decode_at(seq, &bytes)?;
            let at = record.envelope.recorded_at;
            if filter.since.is_some_and(|s| at < s) || filter.until.is_some_and(|u| at > u) {
                continue;
            }
            entries.push(timeline::entry(&record));
        }
        Ok(entries)
    }

    /// Every record of a team's stream and of the goals it owns or owned, in order.
    fn team_records(&self, team: &TeamId, upto: u64) -> Result<Vec<(u64, Vec<u8>)>, ReadError> {
        let goals: Vec<GoalId> = self.read(|s| {
            s.goals
                .values()
                .filter(|g| g.ever_teams.contains(team))
                .map(|g| g.id.clone())
                .collect()
        });
        let mut records = self
            .store()
            .stream_records(&StreamId::Team(team.clone()).to_string(), upto)?;
        for goal in goals {
            records.extend(
                self.store()
                    .stream_records(&StreamId::Goal(goal).to_string(), upto)?,
            );
        }
        records.sort_unstable_by_key(|(seq, _)| *seq);
        Ok(records)
    }

    /// Walks the whole log and names the first bad record, if any.
    pub fn verify(
        &self,
        against: Option<Digest>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<crate::record::VerifyReport, StoreError> {
        verify_store(self.store(), Some(self.digest()), against, progress)
    }

    /// Group-commit counters since the ledger opened.
    pub fn stats(&self) -> StatsSnapshot {
        self.core().stats.snapshot()
    }

    /// The ledger's Prometheus metrics (group commits, durable-commit time, bytes appended),
    /// for a server to register with its registry.
    pub fn metric_collectors(&self) -> Vec<Box<dyn prometheus::core::Collector>> {
        self.core().stats.collectors()
    }

    /// Records durable in the store's log but not yet in its indexes.
    pub fn index_lag(&self) -> u64 {
        self.store().index_lag()
    }

    /// Bytes the ledger occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.store().size_on_disk()
    }
}
