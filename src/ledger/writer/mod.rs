//! The single writer: one thread owns this instance's appends. Callers send jobs over a channel;
//! the writer takes every job waiting, checks each command against its working state, assigns
//! sequence numbers, chains hashes, then commits the whole batch once (atomic, durable: group
//! commit) and only then publishes the new state and answers every caller in the batch.
//!
//! Several instances on one database (`Store::lock_head`): the writer locks the head before it
//! drains its queue, catches up with what other instances appended (applying their records
//! to its state, tree and live feed), stages the batch on that state and commits it under the
//! lock, so every answer (refusals, conflicts and replays of client ids included) is decided on
//! the newest state and read-your-writes holds across instances. The follower (`Job::CatchUp`,
//! sent on another instance's notice or a poll) catches up between writes. On a store that
//! only compares heads, a batch that finds the head moved is not failed: the writer rolls back
//! to the published state, catches up and decides the same jobs again, up to `MAX_ATTEMPTS`
//! times, then answers `Unavailable` (503, retry).

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use tokio::sync::{mpsc, oneshot};

use super::{AppendError, Appended, Clock, Core, Request};
use crate::domain::{decide, tick, Actor, CheckInRef, Context, Event, EventId, State, StreamId};
use crate::projections::{self, apply_record, decode_at};
use crate::proofs::leaf_hash;
use crate::record::{encode, Auth, Digest, Envelope, Record, RecordHash, MAX_RECORD_BYTES};
use crate::store::{CommitBatch, CommitOutcome, HeadLock, IdEntry, StoreError};

mod staging;

use staging::Staged;

/// The most jobs one group commit takes.
const MAX_BATCH: usize = 1024;
/// How many times a batch is decided and committed again after other instances moved the head
/// before its callers are told to retry (503).
const MAX_ATTEMPTS: u32 = 16;

/// Work for the writer.
pub(crate) enum Job {
    Execute {
        request: Box<Request>,
        reply: oneshot::Sender<Result<Appended, AppendError>>,
    },
    /// Decide the proposals whose closing time has passed.
    Tick {
        reply: oneshot::Sender<Result<Vec<u64>, AppendError>>,
    },
    /// Append already-verified records that continue the log (import).
    Import {
        records: Vec<Vec<u8>>,
        reply: oneshot::Sender<Result<u64, AppendError>>,
    },
    /// Write the projection snapshot now.
    SaveSnapshot {
        reply: oneshot::Sender<Result<(), AppendError>>,
    },
    /// Replay the whole log into fresh projections and replace the snapshot.
    Rebuild {
        progress: Box<dyn FnMut(u64) + Send>,
        reply: oneshot::Sender<Result<u64, AppendError>>,
    },
    /// Another instance appended (or may have): read its records from the store, apply them
    /// and publish them before the next batch.
    CatchUp,
}

/// What a staged command will answer once its batch is durable.
#[derive(Clone)]
enum Answer {
    Fresh(Appended),
    Replayed(Appended),
}

/// What staging made of one job: the answer it gets if its batch commits (or the refusal it
/// gets whatever happens). Nothing is answered until the batch's fate is known, because a
/// batch that finds the head moved is decided again, refusals included.
enum Planned {
    Execute(Result<Answer, AppendError>),
    Tick(Result<Vec<u64>, AppendError>),
    Import(Result<u64, AppendError>),
    /// Snapshot, rebuild: run once the batch is committed.
    AfterCommit,
    /// A catch-up, done before staging: nothing to answer.
    Nothing,
}

/// Why a batch was not committed.
enum Failed {
    /// Another instance moved the head first: catch up and decide the batch again.
    Moved,
    /// A failure to answer every caller in the batch with.
    Error(AppendError),
}

pub(crate) struct Writer {
    pub core: Arc<Core>,
    pub working: State,
    pub head: Digest,
    pub last_at: DateTime<Utc>,
    pub clock: Clock,
    pub dirty: BTreeSet<StreamId>,
    pub since_snapshot: u64,
    pub snapshot_every: u64,
    /// A commit failed: the store must be recovered and the head re-read before writing again.
    pub resync: bool,
    /// Set by the follower when it asked for a catch-up that has not run yet.
    pub asked: Arc<AtomicBool>,
}

fn fingerprint(request: &Request) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(request.actor.as_str().as_bytes());
    h.update(&[0]);
    // How the actor was established is part of the request: the same id from another token or
    // another machine is a different command.
    h.update(&serde_json::to_vec(&request.auth).unwrap_or_default());
    h.update(&[0]);
    h.update(&serde_json::to_vec(&request.command).unwrap_or_default());
    h.update(&request.expected_version.map_or([0xff; 8], u64::to_be_bytes));
    *h.finalize().as_bytes()
}

impl Writer {
    pub fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        while let Some(first) = rx.blocking_recv() {
            // On a shared store, lock the head before draining the queue: commands that come
            // while another instance holds it join this batch.
            let lock = self.core.store.lock_head();
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            self.process(jobs, lock);
            if self.since_snapshot >= self.snapshot_every {
                if let Err(e) = self.save_snapshot() {
                    tracing::warn!(error = %e, "could not write the projection snapshot; will retry");
                }
            }
        }
        if let Err(e) = self.save_snapshot() {
            tracing::warn!(error = %e, "could not write the projection snapshot at shutdown");
        }
    }

    /// The time to stamp: never before the last record, and at the microseconds a record
    /// stores (`record::format_time`), so the state the writer builds is the one a replay of
    /// the stored records builds.
    fn now(&self) -> DateTime<Utc> {
        (self.clock)().trunc_subsecs(6).max(self.last_at)
    }

    fn process(&mut self, jobs: Vec<Job>, lock: Option<Result<Box<dyn HeadLock>, StoreError>>) {
        let asked = jobs.iter().any(|j| matches!(j, Job::CatchUp));
        if asked {
            self.asked.store(false, Ordering::Release);
        }
        let lock = match lock.transpose() {
            Ok(lock) => lock,
            Err(e) => return refuse_all(jobs, &unavailable(e)),
        };
        // Behind the locked head: other instances appended; apply their records first.
        let behind = lock.as_ref().is_some_and(|l| l.head() != self.head);
        if self.resync || asked || behind {
            if let Err(e) = self.recover() {
                if self.resync || behind {
                    return refuse_all(jobs, &AppendError::Unavailable(e));
                }
                // Only a catch-up was asked for; the batch's commit will say if the store is gone.
                tracing::warn!(error = %e, "could not catch up with the store");
            }
        }
        if let Some(held) = &lock {
            if held.head() != self.head {
                let error = AppendError::Internal(format!(
                    "the locked head is record {} but the store's head read after it is record {}",
                    held.head().seq,
                    self.head.seq
                ));
                return refuse_all(jobs, &error);
            }
        }
        let mut lock = lock;
        let mut attempt = 1;
        loop {
            let before = (self.head, self.last_at);
            let (mut staged, planned, poisoned) = self.stage(&jobs);
            let result = match poisoned {
                Some(e) => Err(Failed::Error(AppendError::Internal(e))),
                None => self.commit(&mut staged, before.0, lock.take()),
            };
            let result = match result {
                Ok(()) => {
                    self.publish(&staged.records);
                    Ok(())
                }
                Err(failed) => {
                    // Not acknowledged: back to the published state.
                    self.working = self
                        .core
                        .state
                        .read()
                        .unwrap_or_else(|p| p.into_inner())
                        .clone();
                    (self.head, self.last_at) = before;
                    match failed {
                        Failed::Moved if attempt < MAX_ATTEMPTS => {
                            attempt += 1;
                            // Catch up with what the other instances wrote, then decide again.
                            match self.recover() {
                                Ok(()) => continue,
                                Err(e) => Err(AppendError::Unavailable(e)),
                            }
                        }
                        Failed::Moved => Err(AppendError::Unavailable(format!(
                            "other instances kept moving the head through {MAX_ATTEMPTS} attempts; nothing was appended"
                        ))),
                        Failed::Error(e) => {
                            // Before the next write recover the store and re-read what it
                            // really holds; reopen now if it allows, so reads see it again.
                            self.resync = true;
                            if let Err(e) = self.recover() {
                                tracing::warn!(error = %e, "the store stays closed until a later write can reopen it");
                            }
                            Err(e)
                        }
                    }
                }
            };
            for (job, planned) in jobs.into_iter().zip(planned) {
                self.answer(job, planned, &result);
            }
            return;
        }
    }

    /// Stages every job against the working state (the deadline tick first): the batch, what
    /// each job will answer, and the defect that poisons the batch, if one was found.
    fn stage(&mut self, jobs: &[Job]) -> (Staged, Vec<Planned>, Option<String>) {
        let mut staged = Staged::default();
        let mut planned = Vec::with_capacity(jobs.len());
        let mut poisoned = None;
        let now = self.now();
        let first_tick = self.head.seq + 1;
        if let Err(e) = self.stage_tick(&mut staged, now) {
            poisoned = Some(e);
        }
        let ticked: Vec<u64> = (first_tick..=self.head.seq).collect();
        for job in jobs {
            planned.push(match job {
                Job::Execute { request, .. } => {
                    let answer = self.stage_request(request, &mut staged);
                    if let Err(AppendError::Internal(e)) = &answer {
                        poisoned = Some(e.clone());
                    }
                    Planned::Execute(answer)
                }
                Job::Tick { .. } => {
                    // Deadlines were decided when this batch began; a tick job reports those
                    // and anything due since.
                    let now = self.now();
                    let first = self.head.seq + 1;
                    match self.stage_tick(&mut staged, now) {
                        Ok(()) => {
                            let seqs = ticked.iter().copied().chain(first..=self.head.seq);
                            Planned::Tick(Ok(seqs.collect()))
                        }
                        Err(e) => {
                            poisoned = Some(e.clone());
                            Planned::Tick(Err(AppendError::Internal(e)))
                        }
                    }
                }
                Job::Import { records, .. } => {
                    Planned::Import(self.stage_import(records, &mut staged))
                }
                Job::SaveSnapshot { .. } | Job::Rebuild { .. } => Planned::AfterCommit,
                Job::CatchUp => Planned::Nothing,
            });
        }
        (staged, planned, poisoned)
    }

    /// Commits a staged batch: through the head's lock when the store gave one (the batch was
    /// staged on the locked head), otherwise if the store's head is still `expected`.
    fn commit(
        &mut self,
        staged: &mut Staged,
        expected: Digest,
        lock: Option<Box<dyn HeadLock>>,
    ) -> Result<(), Failed> {
        if staged.commit.records.is_empty() {
            // Dropping the lock releases it; nothing was written.
            return Ok(());
        }
        staged.commit.head = self.head;
        let (count, bytes) = (staged.commit.records.len(), staged.commit.record_bytes());
        let batch = std::mem::take(&mut staged.commit);
        let leaves: Vec<_> = match self.core.notary.keeps_tree() {
            true => batch.records.iter().map(|r| leaf_hash(&r.bytes)).collect(),
            false => Vec::new(),
        };
        let started = std::time::Instant::now();
        let outcome = match lock {
            Some(held) => held.commit(batch).map(|()| CommitOutcome::Committed),
            None => self.core.store.commit(expected, batch),
        };
        match outcome {
            Ok(CommitOutcome::Committed) => {
                self.core.notary.extend(&leaves);
                self.core
                    .stats
                    .record_commit(count, bytes, started.elapsed());
                Ok(())
            }
            // Nothing was written: another instance appended first.
            Ok(CommitOutcome::HeadMoved { actual }) => {
                tracing::debug!(
                    expected = expected.seq,
                    actual = actual.seq,
                    "the head moved; catching up and deciding the batch again"
                );
                self.core.stats.record_head_moved();
                Err(Failed::Moved)
            }
            Err(e) => Err(Failed::Error(unavailable(e))),
        }
    }

    /// Answers one job with what it was planned to get, or the batch's failure.
    fn answer(&mut self, job: Job, planned: Planned, result: &Result<(), AppendError>) {
        match (job, planned) {
            (Job::Execute { reply, .. }, Planned::Execute(answer)) => {
                let answer = match answer {
                    Err(refused) => Err(refused),
                    Ok(Answer::Fresh(a) | Answer::Replayed(a)) => result.clone().map(|()| a),
                };
                let _ = reply.send(answer);
            }
            (Job::Tick { reply }, Planned::Tick(seqs)) => {
                let _ = reply.send(seqs.and_then(|s| result.clone().map(|()| s)));
            }
            (Job::Import { reply, .. }, Planned::Import(n)) => {
                let _ = reply.send(n.and_then(|n| result.clone().map(|()| n)));
            }
            (Job::SaveSnapshot { reply }, _) => {
                let _ = reply.send(match result {
                    Ok(()) => self.save_snapshot(),
                    Err(e) => Err(e.clone()),
                });
            }
            (Job::Rebuild { progress, reply }, _) => {
                let _ = reply.send(match result {
                    Ok(()) => self.rebuild(progress),
                    Err(e) => Err(e.clone()),
                });
            }
            (Job::CatchUp, _) => {}
            (job, _) => refuse(
                job,
                &AppendError::Internal("a job was planned as another kind".into()),
            ),
        }
    }

    /// Reopens the store after a failed commit and catches up with whatever of the failed
    /// batch did reach the disk (a failure is unacknowledged, not necessarily absent). After a
    /// commit that found the head moved, this is the reload: it catches up with the store's head.
    fn recover(&mut self) -> Result<(), String> {
        let store = self.core.store.clone();
        store.recover().map_err(|e| e.to_string())?;
        let stored = store.head().map_err(|e| e.to_string())?;
        if stored.seq < self.head.seq {
            return Err(format!(
                "the store's head is record {} but record {} was published; run `goal-ledger verify`",
                stored.seq, self.head.seq
            ));
        }
        let mut records = Vec::new();
        let mut leaves = Vec::new();
        for item in store.records_in(self.head.seq + 1, stored.seq) {
            let (seq, bytes) = item.map_err(|e| e.to_string())?;
            leaves.push(leaf_hash(&bytes));
            records.push(decode_at(seq, &bytes).map_err(|e| e.to_string())?);
        }
        self.core.notary.extend(&leaves);
        self.core.stats.record_caught_up(records.len());
        for r in &records {
            apply_record(&mut self.working, r).map_err(|e| e.to_string())?;
            self.last_at = self.last_at.max(r.envelope.recorded_at);
        }
        self.head = stored;
        self.publish(&records);
        self.resync = false;
        Ok(())
    }

    /// Applies durable records to the shared state and announces the new head.
    fn publish(&mut self, records: &[Record]) {
        if records.is_empty() {
            return;
        }
        {
            let mut shared = self.core.state.write().unwrap_or_else(|p| p.into_inner());
            for r in records {
                if let Err(e) = apply_record(&mut shared, r) {
                    // The working state accepted the same records, so this cannot happen.
                    tracing::error!(error = %e, "published state diverged from the writer's");
                }
                self.dirty.insert(r.envelope.stream.clone());
            }
        }
        self.since_snapshot += records.len() as u64;
        self.core.head.send_replace(self.head);
    }

    /// Writes the projection entries that changed since the last snapshot, and its new mark.
    fn save_snapshot(&mut self) -> Result<(), AppendError> {
        self.core
            .notary
            .save(&*self.core.store)
            .map_err(unavailable)?;
        if self.dirty.is_empty() {
            return Ok(());
        }
        let entries = self
            .dirty
            .iter()
            .map(|s| projections::entry(&self.working, s))
            .collect();
        self.core
            .store
            .save_snapshot(entries, (self.working.seq, projections::FORMAT), false)
            .map_err(unavailable)?;
        self.dirty.clear();
        self.since_snapshot = 0;
        Ok(())
    }

    fn rebuild(&mut self, mut progress: Box<dyn FnMut(u64) + Send>) -> Result<u64, AppendError> {
        let mut state = State::default();
        let replayed = projections::catch_up(
            self.core.store.as_read(),
            &mut state,
            self.head.seq,
            &mut *progress,
        )
        .map_err(|e| AppendError::Internal(e.to_string()))?;
        self.core
            .store
            .save_snapshot(
                projections::all_entries(&state),
                (state.seq, projections::FORMAT),
                true,
            )
            .map_err(unavailable)?;
        *self.core.state.write().unwrap_or_else(|p| p.into_inner()) = state.clone();
        self.working = state;
        self.dirty.clear();
        self.since_snapshot = 0;
        Ok(replayed)
    }
}

/// Answers every job of a batch that cannot run with `error`.
fn refuse_all(jobs: Vec<Job>, error: &AppendError) {
    for job in jobs {
        refuse(job, error);
    }
}

/// Answers a job that cannot run with `error`.
fn refuse(job: Job, error: &AppendError) {
    match job {
        Job::Execute { reply, .. } => drop(reply.send(Err(error.clone()))),
        Job::Tick { reply } => drop(reply.send(Err(error.clone()))),
        Job::Import { reply, .. } => drop(reply.send(Err(error.clone()))),
        Job::SaveSnapshot { reply } => drop(reply.send(Err(error.clone()))),
        Job::Rebuild { reply, .. } => drop(reply.send(Err(error.clone()))),
        Job::CatchUp => {}
    }
}

fn unavailable(e: crate::store::StoreError) -> AppendError {
    AppendError::Unavailable(e.to_string())
}
