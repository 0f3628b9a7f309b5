//! The segment store: the log itself is the store. Records are appended, exactly as stored and
//! exported, to segment files (`files.rs`), one `fdatasync` per group commit. The index
//! (`index.rs`) holds only what is derived and small: each stream's and each id's records and
//! each record's offset, in files per segment (`rows.rs`), and in sled the mark that vouches
//! for them and the projection snapshot. The index may lag the log (an applier thread indexes
//! each commit after it is durable; reads of streams and ids wait for it) and is caught up
//! from the log on open (`catch_up.rs`); a deleted index is rebuilt.
//!
//! A data directory: `log/` (the segments), `index/` (the rows' files and sled's).

mod catch_up;
mod files;
mod index;
#[cfg(test)]
mod index_tests;
mod read;
mod rows;
mod snapshot;
#[cfg(feature = "tamper")]
mod tamper;
#[cfg(test)]
mod tests;
mod trust;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use files::{log_dir, Active};
use index::Index;

use super::applier::{self, Pipeline};
use super::{CommitBatch, CommitOutcome, Options, ProjectionEntry, Store, StoreError};
use crate::record::Digest;

/// The index is flushed every this many bytes of log, bounding what a crash leaves to catch up.
const FLUSH_BYTES: u64 = 16 << 20;

/// The committed end of the log, as readers see it.
#[derive(Debug, Clone)]
struct Tip {
    head: Digest,
    /// The active segment and the bytes of records in it.
    active: u64,
    end: u64,
    /// Why writes are refused: the log and its index disagree.
    damaged: Option<String>,
}

/// What the store, its readers and its applier share.
struct Shared {
    dir: PathBuf,
    log: PathBuf,
    index: Arc<Index>,
    pipeline: Arc<Pipeline>,
    tip: RwLock<Tip>,
    /// Read handles on the segments, by first sequence number, opened as needed.
    files: RwLock<BTreeMap<u64, Arc<File>>>,
    /// The projection snapshot as last read or written.
    snapshot: Mutex<Option<Arc<snapshot::Snapshot>>>,
    /// This process's lock on the data directory, held while the store is open.
    _lock: File,
}

/// A ledger store in a directory, open by this process alone (a lock on its `log/`).
pub struct SegmentStore {
    shared: Arc<Shared>,
    writer: Mutex<Writer>,
    segment_bytes: u64,
    applier: Option<JoinHandle<()>>,
}

/// The committing side: the active segment and the log written since the index was flushed.
struct Writer {
    active: Option<Active>,
    since_flush: u64,
}

impl std::fmt::Debug for SegmentStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentStore")
            .field("dir", &self.shared.dir)
            .finish()
    }
}

impl SegmentStore {
    /// Whether `dir` holds a ledger in this layout.
    pub fn exists(dir: &Path) -> bool {
        log_dir(dir).is_dir()
    }

    /// A record's stream and version, as the index files it.
    pub fn stream_of(bytes: &[u8]) -> Option<(String, u64)> {
        index::Fields::read(bytes).map(|f| (f.stream.into_owned(), f.version))
    }

    /// Adds client ids to the index as they are (a migration keeps their fingerprints), after
    /// every commit so far is indexed.
    pub fn put_ids(&self, ids: Vec<(String, super::IdEntry)>) -> Result<(), StoreError> {
        self.shared.pipeline.settle()?;
        self.shared.index.put_ids(&ids)?;
        self.shared.index.flush()
    }

    /// Opens the store in `dir`. With `options.create`, a missing directory becomes a new, empty
    /// ledger; without it, a missing ledger is `StoreError::Missing`.
    pub fn open(dir: &Path, options: &Options) -> Result<SegmentStore, StoreError> {
        let log = log_dir(dir);
        let exists = log.is_dir();
        if !exists && !options.create {
            return Err(StoreError::Missing {
                at: dir.display().to_string(),
            });
        }
        if !exists {
            std::fs::create_dir_all(&log)?;
            File::open(dir)?.sync_all()?;
        }
        let lock = snapshot::lock(&log, dir)?;
        std::fs::create_dir_all(index::index_dir(dir))?;
        let mut segments = files::list(&log)?;
        if segments.is_empty() {
            Active::create(&log, 1)?;
            segments.push(1);
        }
        let index = Arc::new(Index {
            dir: dir.to_owned(),
            state: RwLock::new(index::State::default()),
            segments: Arc::new(RwLock::new(segments)),
        });
        let pipeline = Arc::new(Pipeline::new(dir.to_owned()));
        let shared = Arc::new(Shared {
            dir: dir.to_owned(),
            log,
            index: index.clone(),
            pipeline: pipeline.clone(),
            tip: RwLock::new(Tip {
                head: Digest::EMPTY,
                active: 1,
                end: 0,
                damaged: None,
            }),
            files: RwLock::new(BTreeMap::new()),
            snapshot: Mutex::new(None),
            _lock: lock,
        });
        let mut store = SegmentStore {
            shared,
            writer: Mutex::new(Writer {
                active: None,
                since_flush: 0,
            }),
            segment_bytes: options.segment_bytes,
            applier: None,
        };
        store.reload()?;
        store.applier = Some(applier::spawn(pipeline, index)?);
        Ok(store)
    }

    /// Catches the index up with the log and takes the log's end as the tip; the active segment
    /// is cut to its records. Runs with nothing queued (at open, and in `recover`).
    fn reload(&self) -> Result<(), StoreError> {
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        writer.active = None;
        let found = catch_up::catch_up(&self.shared.index, &self.shared.log)?;
        if let Some(why) = &found.damaged {
            tracing::warn!(dir = %self.shared.dir.display(), "{why}; run `goal-ledger verify`");
        }
        if found.damaged.is_none() {
            let mut active = Active::resume(&self.shared.log, found.active, found.end)?;
            if active.torn_tail()? {
                tracing::warn!(
                    segment = found.active,
                    kept = found.end,
                    "cut a commit that was never acknowledged off the log"
                );
                active.cut()?;
            }
            writer.active = Some(active);
        }
        self.shared.index.flush()?;
        self.shared.pipeline.reset(found.head.seq);
        *self.shared.tip.write().unwrap_or_else(|p| p.into_inner()) = Tip {
            head: found.head,
            active: found.active,
            end: found.end,
            damaged: found.damaged,
        };
        Ok(())
    }

    fn tip(&self) -> Tip {
        self.shared.tip()
    }

    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// `e`, or `DiskFull` naming this store's directory when the disk had no room for it.
    fn full_disk_named(&self, e: std::io::Error) -> StoreError {
        match e.kind() {
            std::io::ErrorKind::StorageFull => StoreError::DiskFull {
                dir: self.dir().to_owned(),
            },
            _ => StoreError::Io(e),
        }
    }

    /// Seals the active segment (cut to its records, for good) and starts the next.
    fn seal(&self, writer: &mut Writer, next: u64) -> std::io::Result<()> {
        let Some(active) = writer.active.as_mut() else {
            return Ok(());
        };
        active.cut()?;
        let fresh = Active::create(&self.shared.log, next)?;
        self.shared
            .index
            .segments
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(next);
        let mut tip = self.shared.tip.write().unwrap_or_else(|p| p.into_inner());
        tip.active = next;
        tip.end = 0;
        writer.active = Some(fresh);
        Ok(())
    }
}

impl Shared {
    fn tip(&self) -> Tip {
        self.tip.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn tree_path(&self) -> PathBuf {
        self.index.files().join("tree")
    }

    fn checkpoints_path(&self) -> PathBuf {
        self.dir.join("checkpoints")
    }

    fn snapshot_path(&self) -> PathBuf {
        self.index.files().join("snapshot")
    }

    /// The projection snapshot, read once and then kept.
    fn snapshot(&self) -> Result<Option<Arc<snapshot::Snapshot>>, StoreError> {
        let mut kept = self.snapshot.lock().unwrap_or_else(|p| p.into_inner());
        if kept.is_none() {
            *kept = snapshot::read(&self.snapshot_path())?.map(Arc::new);
        }
        Ok(kept.clone())
    }
}

impl Store for SegmentStore {
    fn as_read(&self) -> &dyn super::StoreRead {
        self
    }

    fn commit(&self, expected: Digest, batch: CommitBatch) -> Result<CommitOutcome, StoreError> {
        if self.shared.pipeline.failed() {
            // The index refused an earlier commit: `recover` must catch it up first.
            return Err(self.shared.pipeline.closed());
        }
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let tip = self.tip();
        if let Some(why) = tip.damaged {
            return Err(StoreError::Corrupt(why));
        }
        // Only the holder of the writer moves the tip, so it cannot move until we are done.
        if tip.head != expected {
            return Ok(CommitOutcome::HeadMoved { actual: tip.head });
        }
        let active = writer
            .active
            .as_mut()
            .ok_or_else(|| StoreError::Io(std::io::Error::other("the active segment is closed")))?;
        let size: usize = batch.records.iter().map(|r| r.bytes.len() + 1).sum();
        let mut lines = Vec::with_capacity(size);
        for r in &batch.records {
            lines.extend_from_slice(&r.bytes);
            lines.push(b'\n');
        }
        active.append(&lines).map_err(|e| self.full_disk_named(e))?;
        let (segment, end) = (active.first, active.len);
        writer.since_flush += lines.len() as u64;
        let flush = (writer.since_flush >= FLUSH_BYTES).then(|| {
            writer.since_flush = 0;
            batch.head.seq
        });
        let head = batch.head;
        // Queued before the tip moves: a reader that sees the new head finds the commit queued.
        self.shared.pipeline.enqueue(batch, flush);
        *self.shared.tip.write().unwrap_or_else(|p| p.into_inner()) = Tip {
            head,
            active: segment,
            end,
            damaged: None,
        };
        if end >= self.segment_bytes {
            if let Err(e) = self.seal(&mut writer, head.seq + 1) {
                // The segment goes on growing; the next commit tries again.
                tracing::warn!(error = %e, "could not seal the full segment");
            }
        }
        Ok(CommitOutcome::Committed)
    }

    fn save_tree_chunks(
        &self,
        first: usize,
        chunks: &[crate::proofs::Hash],
    ) -> Result<(), StoreError> {
        trust::write_chunks(&self.shared.tree_path(), first, chunks)
    }

    fn keep_checkpoint(&self, note: &str) -> Result<(), StoreError> {
        trust::append_checkpoint(&self.shared.checkpoints_path(), note)
    }

    fn recover(&self) -> Result<bool, StoreError> {
        if !self.shared.pipeline.failed() {
            return Ok(false);
        }
        // The applier drops what is queued once it has failed; the log holds it.
        self.shared.pipeline.wait_idle();
        self.reload()?;
        self.shared.pipeline.reopened();
        tracing::info!(dir = %self.dir().display(), "index caught up after a failed write");
        Ok(true)
    }

    fn save_snapshot(
        &self,
        entries: Vec<ProjectionEntry>,
        mark: (u64, u32),
        replace: bool,
    ) -> Result<(), StoreError> {
        // The snapshot covers records the log holds durably; losing it in a crash costs a
        // longer catch-up, never a wrong state.
        let mut kept = self
            .shared
            .snapshot
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let saved = snapshot::save(&self.shared.snapshot_path(), entries, mark, replace)?;
        *kept = Some(Arc::new(saved));
        Ok(())
    }
}

impl Drop for SegmentStore {
    /// A clean close leaves the index holding the whole log, flushed.
    fn drop(&mut self) {
        self.shared.pipeline.close();
        if let Some(applier) = self.applier.take() {
            let _ = applier.join();
        }
        if !self.shared.pipeline.failed() {
            if let Err(e) = self.shared.index.flush() {
                tracing::warn!(error = %e, "could not flush the index at close; it is caught up at the next open");
            }
        }
    }
}
