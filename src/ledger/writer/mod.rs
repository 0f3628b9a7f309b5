//! The single writer: one thread owns appends. Callers send jobs over a channel; the writer
//! takes every job waiting, checks each command against its working state, assigns sequence
//! numbers, chains hashes, then commits the whole batch once (atomic, fdatasync'd: group commit)
//! and only then publishes the new state and answers every caller in the batch.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use tokio::sync::{mpsc, oneshot};

use super::{AppendError, Appended, Clock, Core, Request};
use crate::domain::{decide, tick, Actor, CheckInRef, Context, Event, EventId, State, StreamId};
use crate::projections::{self, apply_record, decode_at};
use crate::proofs::leaf_hash;
use crate::record::{encode, Auth, Digest, Envelope, Record, RecordHash, MAX_RECORD_BYTES};
use crate::store::{CommitBatch, CommitOutcome, IdEntry};

mod staging;

use staging::Staged;

/// The most jobs one group commit takes.
const MAX_BATCH: usize = 1024;

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
}

/// What a staged command will answer once its batch is durable.
#[derive(Clone)]
enum Answer {
    Fresh(Appended),
    Replayed(Appended),
}

enum Reply {
    Execute(oneshot::Sender<Result<Appended, AppendError>>, Answer),
    Tick(oneshot::Sender<Result<Vec<u64>, AppendError>>, Vec<u64>),
    Import(oneshot::Sender<Result<u64, AppendError>>, u64),
    SaveSnapshot(oneshot::Sender<Result<(), AppendError>>),
    Rebuild(
        Box<dyn FnMut(u64) + Send>,
        oneshot::Sender<Result<u64, AppendError>>,
    ),
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
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            self.process(jobs);
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

    fn process(&mut self, jobs: Vec<Job>) {
        if self.resync {
            if let Err(e) = self.recover() {
                let error = AppendError::Unavailable(e);
                for job in jobs {
                    refuse(job, &error);
                }
                return;
            }
        }
        let mut staged = Staged::default();
        let before = (self.head, self.last_at);
        let mut poisoned = None;
        let now = self.now();
        let first_tick = self.head.seq + 1;
        if let Err(e) = self.stage_tick(&mut staged, now) {
            poisoned = Some(e);
        }
        let ticked: Vec<u64> = (first_tick..=self.head.seq).collect();
        for job in jobs {
            match job {
                Job::Execute { request, reply } => {
                    match self.stage_request(&request, &mut staged) {
                        Ok(answer) => staged.replies.push(Reply::Execute(reply, answer)),
                        Err(AppendError::Internal(e)) => {
                            poisoned = Some(e.clone());
                            let _ = reply.send(Err(AppendError::Internal(e)));
                        }
                        Err(e) => {
                            let _ = reply.send(Err(e));
                        }
                    }
                }
                Job::Tick { reply } => {
                    // Deadlines were decided when this batch began; a tick job reports those
                    // and anything due since.
                    let now = self.now();
                    let first = self.head.seq + 1;
                    match self.stage_tick(&mut staged, now) {
                        Ok(()) => {
                            let seqs = ticked
                                .iter()
                                .copied()
                                .chain(first..=self.head.seq)
                                .collect();
                            staged.replies.push(Reply::Tick(reply, seqs))
                        }
                        Err(e) => {
                            poisoned = Some(e.clone());
                            let _ = reply.send(Err(AppendError::Internal(e)));
                        }
                    }
                }
                Job::Import { records, reply } => match self.stage_import(records, &mut staged) {
                    Ok(n) => staged.replies.push(Reply::Import(reply, n)),
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                },
                Job::SaveSnapshot { reply } => staged.replies.push(Reply::SaveSnapshot(reply)),
                Job::Rebuild { progress, reply } => {
                    staged.replies.push(Reply::Rebuild(progress, reply))
                }
            }
        }
        let result = match poisoned {
            Some(e) => Err(AppendError::Internal(e)),
            None if staged.commit.records.is_empty() => Ok(()),
            None => {
                staged.commit.head = self.head;
                let (count, bytes) = (staged.commit.records.len(), staged.commit.record_bytes());
                let batch = std::mem::take(&mut staged.commit);
                let leaves: Vec<_> = match self.core.notary.keeps_tree() {
                    true => batch.records.iter().map(|r| leaf_hash(&r.bytes)).collect(),
                    false => Vec::new(),
                };
                let started = std::time::Instant::now();
                match self.core.store.commit(before.0, batch) {
                    Ok(CommitOutcome::Committed) => {
                        self.core.notary.extend(&leaves);
                        let took = started.elapsed();
                        self.core.stats.record_commit(count, bytes, took);
                        Ok(())
                    }
                    // Nothing was written. The callers are failed rather than the batch
                    // restaged: the writer is the store's only writer, so this is a defect;
                    // the failure path below reloads the head and state before the next batch.
                    Ok(CommitOutcome::HeadMoved { actual }) => Err(AppendError::Internal(format!(
                        "the store's head is record {} but the writer expected record {}; nothing was appended",
                        actual.seq, before.0.seq
                    ))),
                    Err(e) => Err(AppendError::Unavailable(e.to_string())),
                }
            }
        };
        match result {
            Ok(()) => self.publish(&staged.records),
            Err(_) => {
                // The batch was not acknowledged: go back to the published state, and before the
                // next write recover the store and re-read what it really holds.
                self.working = self
                    .core
                    .state
                    .read()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                (self.head, self.last_at) = before;
                self.resync = true;
                // Reopen now if the disk allows, so reads see the durable store again.
                if let Err(e) = self.recover() {
                    tracing::warn!(error = %e, "the store stays closed until a later write can reopen it");
                }
            }
        }
        for reply in staged.replies {
            self.answer(reply, &result);
        }
    }

    fn answer(&mut self, reply: Reply, result: &Result<(), AppendError>) {
        match (reply, result) {
            (Reply::Execute(tx, Answer::Fresh(a) | Answer::Replayed(a)), Ok(())) => {
                let _ = tx.send(Ok(a));
            }
            (Reply::Tick(tx, seqs), Ok(())) => {
                let _ = tx.send(Ok(seqs));
            }
            (Reply::Import(tx, n), Ok(())) => {
                let _ = tx.send(Ok(n));
            }
            (Reply::SaveSnapshot(tx), Ok(())) => {
                let _ = tx.send(self.save_snapshot());
            }
            (Reply::Rebuild(progress, tx), Ok(())) => {
                let _ = tx.send(self.rebuild(progress));
            }
            (Reply::Execute(tx, _), Err(e)) => {
                let _ = tx.send(Err(e.clone()));
            }
            (Reply::Tick(tx, _), Err(e)) => {
                let _ = tx.send(Err(e.clone()));
            }
            (Reply::Import(tx, _), Err(e)) => {
                let _ = tx.send(Err(e.clone()));
            }
            (Reply::SaveSnapshot(tx), Err(e)) => {
                let _ = tx.send(Err(e.clone()));
            }
            (Reply::Rebuild(_, tx), Err(e)) => {
                let _ = tx.send(Err(e.clone()));
            }
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

/// Answers a job that cannot run with `error`.
fn refuse(job: Job, error: &AppendError) {
    match job {
        Job::Execute { reply, .. } => drop(reply.send(Err(error.clone()))),
        Job::Tick { reply } => drop(reply.send(Err(error.clone()))),
        Job::Import { reply, .. } => drop(reply.send(Err(error.clone()))),
        Job::SaveSnapshot { reply } => drop(reply.send(Err(error.clone()))),
        Job::Rebuild { reply, .. } => drop(reply.send(Err(error.clone()))),
    }
}

fn unavailable(e: crate::store::StoreError) -> AppendError {
    AppendError::Unavailable(e.to_string())
}
