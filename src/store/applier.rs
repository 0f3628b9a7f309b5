//! The applier: commits are durable once they are in the write-ahead log; a second thread then
//! puts them into the backend's indexes without flushing, every commit waiting in one step.
//! `Pipeline` is the queue between the committing thread and the applier, with the failure
//! state both sides see; `Target` is what a backend gives the applier to do. Backend-neutral.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use super::{CommitBatch, IdEntry, StoreError};
use crate::record::Digest;

/// Commits that may wait for the applier before a new commit waits for it.
const MAX_PENDING: usize = 64;

/// What the applier does with a backend.
pub trait Target: Send + Sync + 'static {
    /// Puts commits into the backend, all in one step, without making them durable.
    fn apply(&self, batches: &[Arc<CommitBatch>]) -> Result<(), StoreError>;
    /// Makes everything applied durable and removes the log generations through `generation`
    /// (a flush of the backend: a log checkpoint).
    fn retire_log(&self, generation: u64) -> Result<(), StoreError>;
}

/// The queue between the committing thread and the applier, and the store's failure state.
pub struct Pipeline {
    dir: PathBuf,
    /// A write failed: the backend refuses every later write, so the store must be reopened.
    failed: AtomicBool,
    /// Why, for the commits and reads refused until then.
    failure: Mutex<Option<Failure>>,
    queue: Mutex<Queue>,
    /// Signalled when a commit is queued, applied, or the applier gives up.
    changed: Condvar,
}

/// Commits that are durable in the log but not yet in the backend, oldest first.
#[derive(Default)]
struct Queue {
    pending: VecDeque<Arc<CommitBatch>>,
    /// The last sequence number the backend holds.
    applied: u64,
    /// The store is closing: the applier finishes what is queued and stops.
    closing: bool,
    /// A full generation of the log and its last sequence number: once the backend holds that
    /// record, the applier makes it durable and removes the generation.
    full_log: Option<(u64, u64)>,
}

/// Why the store is closed, kept to tell later callers.
#[derive(Clone)]
enum Failure {
    DiskFull,
    Other(String),
}

impl Pipeline {
    /// An empty pipeline for the store in `dir` (named in its errors).
    pub fn new(dir: PathBuf) -> Pipeline {
        Pipeline {
            dir,
            failed: AtomicBool::new(false),
            failure: Mutex::new(None),
            queue: Mutex::new(Queue::default()),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wait<'a>(&self, q: MutexGuard<'a, Queue>) -> MutexGuard<'a, Queue> {
        self.changed.wait(q).unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a write failed and the store has not been reopened since.
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }

    /// Waits until the backend holds every commit queued before the call.
    pub fn settle(&self) -> Result<(), StoreError> {
        let mut q = self.lock();
        let Some(target) = q.pending.back().map(|b| b.head.seq) else {
            return Ok(());
        };
        while q.applied < target {
            if self.failed() {
                return Err(self.closed());
            }
            q = self.wait(q);
        }
        Ok(())
    }

    /// Queues a durable commit for the applier, waiting while too many are queued. With
    /// `full_generation`, the log generation that filled up with this commit is handed over to
    /// be retired once the backend holds the commit.
    pub fn enqueue(&self, batch: CommitBatch, full_generation: Option<u64>) {
        let mut q = self.lock();
        while q.pending.len() >= MAX_PENDING && !self.failed() {
            q = self.wait(q);
        }
        if let Some(generation) = full_generation {
            q.full_log = Some((generation, batch.head.seq));
        }
        q.pending.push_back(Arc::new(batch));
        self.changed.notify_all();
    }

    /// The head of the newest queued commit, if any is queued.
    pub fn queued_head(&self) -> Option<Digest> {
        self.lock().pending.back().map(|b| b.head)
    }

    /// Records queued that the backend does not hold yet.
    pub fn lag(&self) -> u64 {
        let q = self.lock();
        q.pending
            .back()
            .map_or(0, |b| b.head.seq.saturating_sub(q.applied))
    }

    /// The newest queued use of a client id, if any.
    pub fn queued_id(&self, id: &str) -> Option<IdEntry> {
        let q = self.lock();
        q.pending
            .iter()
            .rev()
            .find_map(|b| b.ids.iter().rev().find(|(i, _)| i == id))
            .map(|(_, entry)| *entry)
    }

    /// Waits until the queue is empty (the applier drops what is queued once it has failed).
    pub fn wait_idle(&self) {
        let mut q = self.lock();
        while !q.pending.is_empty() {
            q = self.wait(q);
        }
    }

    /// With nothing queued: the backend holds everything through `applied`, and no full log
    /// generation is waiting (a log checkpoint follows that removes them all).
    pub fn reset(&self, applied: u64) {
        let mut q = self.lock();
        q.applied = applied;
        q.full_log = None;
    }

    /// Marks the store closed after `e`; it stays closed until `reopened`.
    pub fn fail(&self, e: &StoreError) {
        let failure = match e {
            StoreError::DiskFull { .. } => Failure::DiskFull,
            other => Failure::Other(other.to_string()),
        };
        *self.failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(failure);
        self.failed.store(true, Ordering::SeqCst);
    }

    /// The store was reopened after a failure: commits and reads go on.
    pub fn reopened(&self) {
        *self.failure.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.failed.store(false, Ordering::SeqCst);
    }

    /// The error for callers while the store is closed.
    pub fn closed(&self) -> StoreError {
        match self
            .failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            Some(Failure::DiskFull) => StoreError::DiskFull {
                dir: self.dir.clone(),
            },
            Some(Failure::Other(why)) => StoreError::Io(std::io::Error::other(format!(
                "the store is closed after a failed write ({why}) and could not be reopened yet"
            ))),
            None => StoreError::Io(std::io::Error::other(
                "the store is closed after a failed write and could not be reopened yet",
            )),
        }
    }

    /// Tells the applier to finish what is queued and stop.
    pub fn close(&self) {
        self.lock().closing = true;
        self.changed.notify_all();
    }
}

/// Starts the applier thread for `target`.
pub fn spawn(pipeline: Arc<Pipeline>, target: Arc<dyn Target>) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("ledger-applier".into())
        .spawn(move || apply_loop(&pipeline, target.as_ref()))
}

/// The applier: puts queued commits into the backend, all that are waiting in one step.
/// After a failure it drops what is queued (the log holds it) until the store is reopened.
fn apply_loop(pipeline: &Pipeline, target: &dyn Target) {
    loop {
        let batches: Vec<Arc<CommitBatch>> = {
            let mut q = pipeline.lock();
            while q.pending.is_empty() && !q.closing {
                q = pipeline.wait(q);
            }
            if q.pending.is_empty() {
                return;
            }
            q.pending.iter().cloned().collect()
        };
        let applied = target.apply(&batches);
        let mut q = pipeline.lock();
        match applied {
            Ok(()) => {
                q.pending.drain(..batches.len());
                q.applied = batches.last().map_or(q.applied, |b| b.head.seq);
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not apply commits to sled; they are safe in the write-ahead log");
                pipeline.fail(&e);
                q.pending.clear();
            }
        }
        let full_log = match q.full_log {
            Some((generation, last)) if q.applied >= last => q.full_log.take().map(|_| generation),
            _ => None,
        };
        pipeline.changed.notify_all();
        drop(q);
        if let Some(generation) = full_log {
            if let Err(e) = target.retire_log(generation) {
                tracing::warn!(error = %e, "could not checkpoint a full generation of the write-ahead log");
                pipeline.fail(&e);
            }
        }
    }
}
