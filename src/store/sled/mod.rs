//! The sled 0.34 store: one tree (key layout in `keys.rs`), records and stream copies in chunks
//! (`store/chunk.rs`), so sled's per-key cost is paid per handful of records.
//!
//! A commit is durable once its frame is in the write-ahead log (one `fdatasync`); the applier
//! thread (`store/applier.rs`) then puts it into sled without flushing. Reads wait until sled
//! holds every commit made before they started, so a reader never misses an acknowledged
//! record. A log checkpoint makes sled durable (`db.rs`: sled's flush, then an `fdatasync` of
//! its data file) and removes the log files it covers; the applier does it whenever a log
//! file fills up, so commits never wait for it.

mod db;
mod error;
mod keys;
#[cfg(feature = "tamper")]
mod tamper;
#[cfg(test)]
mod tests;

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use db::{add_to_batch, open_retrying, Shared};
use error::sled_error;
use keys::{
    id_key, projection_key, read_head, read_id, read_snapshot_mark, record_key,
    snapshot_mark_value, stream_key, HEAD_KEY, PROJECTION, SNAPSHOT_MARK_KEY, STREAM,
};

use super::applier::{self, Pipeline};
use super::chunk::{owned_entries, Entries};
use super::wal::Wal;
use super::{
    time_search, CommitBatch, CommitOutcome, CopyIter, EntryIter, Found, IdEntry, Options,
    ProjectionEntry, RecordIter, Store, StoreError, StoreRead,
};
use crate::record::Digest;

/// A ledger store in a directory, open by this process alone.
pub struct SledStore {
    shared: Arc<Shared>,
    /// Commits are durable here first; sled catches up without flushing on every commit.
    wal: Mutex<Option<Wal>>,
    wal_file_bytes: u64,
    applier: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore")
            .field("dir", &self.dir())
            .finish()
    }
}

impl SledStore {
    /// Whether `dir` holds a ledger in the sled layout (records in sled, before segments).
    pub fn exists(dir: &Path) -> bool {
        dir.join("db").is_file()
    }

    /// Opens the store in `dir`. With `options.create`, a missing directory becomes a new, empty
    /// ledger; without it, a missing ledger is `StoreError::Missing`.
    pub fn open(dir: &Path, options: &Options) -> Result<SledStore, StoreError> {
        let exists = dir.join("db").is_file();
        if !exists && !options.create {
            return Err(StoreError::Missing {
                at: dir.display().to_string(),
            });
        }
        // sled creates the directory it is given.
        let open = open_retrying(dir)?;
        if !exists {
            // Make the new files' directory entries durable too.
            File::open(dir)?.sync_all()?;
        }
        let shared = Arc::new(Shared {
            dir: dir.to_owned(),
            open: RwLock::new(Some(open)),
            unsynced: AtomicBool::new(false),
            pipeline: Arc::new(Pipeline::new(dir.to_owned())),
        });
        let mut store = SledStore {
            shared,
            wal: Mutex::new(None),
            wal_file_bytes: options.wal_file_bytes,
            applier: None,
        };
        store.replay_wal()?;
        let shared = store.shared.clone();
        store.applier = Some(applier::spawn(shared.pipeline.clone(), shared)?);
        Ok(store)
    }

    fn pipeline(&self) -> &Pipeline {
        &self.shared.pipeline
    }

    /// Applies the write-ahead log's frames that sled does not hold yet, then checkpoints the log.
    /// Runs with nothing queued (at open, and in `recover` after the applier gave up).
    fn replay_wal(&self) -> Result<(), StoreError> {
        let mut slot = self.wal.lock().unwrap_or_else(|p| p.into_inner());
        slot.take();
        let (wal, frames) = Wal::open(self.dir())?;
        *slot = Some(wal);
        drop(slot);
        let mut head = self.sled_head()?;
        let mut replayed = 0;
        for frame in frames {
            if frame.head.seq <= head.seq {
                continue;
            }
            let first = frame.records.first().map_or(frame.head.seq, |r| r.seq);
            if first != head.seq + 1 {
                return Err(StoreError::Corrupt(format!(
                    "the write-ahead log continues at record {first} but the store ends at {}",
                    head.seq
                )));
            }
            let mut b = sled::Batch::default();
            add_to_batch(&mut b, [&frame]);
            self.db()?.apply_batch(b).map_err(|e| self.err(e))?;
            head = frame.head;
            replayed += frame.records.len();
        }
        if replayed > 0 {
            tracing::info!(replayed, "replayed the write-ahead log");
        }
        // Everything the log held is in sled now, and the log checkpoint below removes it all.
        self.pipeline().reset(head.seq);
        self.checkpoint_log()
    }

    /// `flush_log` when the log or sled holds anything unsynced, so opening and closing a ledger
    /// nobody wrote to costs no sync.
    fn checkpoint_log(&self) -> Result<(), StoreError> {
        let mut slot = self.wal.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_some_and(|w| w.len() > 0) || self.shared.unsynced.load(Ordering::SeqCst)
        {
            self.flush_log(&mut slot)?;
        }
        Ok(())
    }

    /// Makes sled durable and empties the write-ahead log. The caller holds the log, so no
    /// commit can slip in between the applier catching up and the log being emptied.
    fn flush_log(&self, wal: &mut Option<Wal>) -> Result<(), StoreError> {
        self.pipeline().settle()?;
        self.sync()?;
        self.shared.unsynced.store(false, Ordering::SeqCst);
        if let Some(wal) = wal.as_mut() {
            wal.clear()?;
        }
        Ok(())
    }

    fn db(&self) -> Result<sled::Db, StoreError> {
        self.shared.db()
    }

    /// The database once it holds every acknowledged commit.
    fn settled(&self) -> Result<sled::Db, StoreError> {
        self.pipeline().settle()?;
        self.db()
    }

    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    fn err(&self, e: sled::Error) -> StoreError {
        sled_error(self.dir(), e)
    }

    /// The head stored in sled, behind any queued commits.
    fn sled_head(&self) -> Result<Digest, StoreError> {
        match self.db()?.get(HEAD_KEY).map_err(|e| self.err(e))? {
            None => Ok(Digest::EMPTY),
            Some(v) => read_head(&v),
        }
    }

    fn sync(&self) -> Result<(), StoreError> {
        self.shared.sync()
    }

    /// Every client id and what it appended (for a migration).
    pub fn ids(&self) -> Result<Vec<(String, IdEntry)>, StoreError> {
        let mut out = Vec::new();
        for item in self.settled()?.scan_prefix([keys::ID]) {
            let (k, v) = item.map_err(|e| self.err(e))?;
            let id = String::from_utf8_lossy(&k[1..]).into_owned();
            let entry = read_id(&id, &v)?;
            out.push((id, entry));
        }
        Ok(out)
    }

    /// The chunk that holds `seq` if any does: the last one starting at or before it.
    fn chunk_of(
        &self,
        db: &sled::Db,
        seq: u64,
    ) -> Result<Option<(sled::IVec, sled::IVec)>, StoreError> {
        db.range(record_key(0)..=record_key(seq))
            .next_back()
            .transpose()
            .map_err(|e| self.err(e))
    }

    /// The bytes of record `seq`, found in its chunk.
    fn record_in(&self, db: &sled::Db, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let Some((_, chunk)) = self.chunk_of(db, seq)? else {
            return Ok(None);
        };
        for entry in Entries(&chunk) {
            let (s, bytes) = entry?;
            if s == seq {
                return Ok(Some(bytes.to_vec()));
            }
        }
        Ok(None)
    }

    /// `e`, or `DiskFull` naming this store's directory when the disk had no room for it.
    fn full_disk_named(&self, e: StoreError) -> StoreError {
        match e {
            StoreError::Io(io) if io.kind() == std::io::ErrorKind::StorageFull => {
                StoreError::DiskFull {
                    dir: self.dir().to_owned(),
                }
            }
            other => other,
        }
    }

    /// The entries of one chunk a scan returned, owned, or the scan's error.
    fn scanned_entries(
        &self,
        item: sled::Result<(sled::IVec, sled::IVec)>,
    ) -> Vec<Result<(u64, Vec<u8>), StoreError>> {
        match item {
            Ok((_, chunk)) => owned_entries(&chunk),
            Err(e) => vec![Err(self.err(e))],
        }
    }
}

impl StoreRead for SledStore {
    fn head(&self) -> Result<Digest, StoreError> {
        if let Some(head) = self.pipeline().queued_head() {
            return Ok(head);
        }
        self.sled_head()
    }

    fn record(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let db = self.settled()?;
        self.record_in(&db, seq)
    }

    fn records_in(&self, first: u64, last: u64) -> RecordIter<'_> {
        if first > last {
            return Box::new(std::iter::empty());
        }
        // From the chunk that holds `first`, which may start before it.
        let start = self.settled().and_then(|db| {
            let key = match self.chunk_of(&db, first)? {
                Some((key, _)) => key.to_vec(),
                None => record_key(first).to_vec(),
            };
            Ok((db, key))
        });
        let (db, start) = match start {
            Ok(found) => found,
            Err(e) => return Box::new(std::iter::once(Err(e))),
        };
        let chunks = db.range(start..=record_key(last).to_vec());
        Box::new(
            chunks
                .flat_map(move |item| self.scanned_entries(item))
                .filter(move |e| {
                    e.as_ref()
                        .map_or(true, |(seq, _)| (first..=last).contains(seq))
                }),
        )
    }

    fn stream_records(&self, stream: &str, upto: u64) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let db = self.settled()?;
        let mut out = Vec::new();
        for item in db.range(stream_key(stream, 0)..=stream_key(stream, u64::MAX)) {
            let (_, chunk) = item.map_err(|e| self.err(e))?;
            for entry in Entries(&chunk) {
                let (seq, bytes) = entry?;
                if seq > upto {
                    return Ok(out);
                }
                out.push((seq, bytes.to_vec()));
            }
        }
        Ok(out)
    }

    fn stream_copies(&self) -> Option<CopyIter<'_>> {
        let db = match self.settled() {
            Ok(db) => db,
            Err(e) => return Some(Box::new(std::iter::once(Err(e)))),
        };
        Some(Box::new(
            db.scan_prefix([STREAM])
                .flat_map(move |item| self.scanned_entries(item))
                .map(|copy| copy.map(|(seq, bytes)| (seq, Found::Bytes(bytes)))),
        ))
    }

    fn find_id(&self, id: &str) -> Result<Option<IdEntry>, StoreError> {
        // A queued commit is not in sled yet; the newest use of an id wins, as in sled.
        if let Some(entry) = self.pipeline().queued_id(id) {
            return Ok(Some(entry));
        }
        // Whatever left the queue since is in sled.
        match self.db()?.get(id_key(id)).map_err(|e| self.err(e))? {
            None => Ok(None),
            Some(v) => read_id(id, &v).map(Some),
        }
    }

    fn last_seq_at(&self, micros: i64) -> Result<Option<u64>, StoreError> {
        let head = self.head()?.seq;
        let db = self.settled()?;
        time_search::last_seq_at(head, micros, &mut |seq| self.record_in(&db, seq))
    }

    fn first_seq_from(&self, micros: i64) -> Result<Option<u64>, StoreError> {
        let head = self.head()?.seq;
        let db = self.settled()?;
        time_search::first_seq_from(head, micros, &mut |seq| self.record_in(&db, seq))
    }

    fn snapshot_mark(&self) -> Result<Option<(u64, u32)>, StoreError> {
        match self
            .settled()?
            .get(SNAPSHOT_MARK_KEY)
            .map_err(|e| self.err(e))?
        {
            None => Ok(None),
            Some(v) => read_snapshot_mark(&v).map(Some),
        }
    }

    fn snapshot_entries(&self) -> EntryIter<'_> {
        let db = match self.settled() {
            Ok(db) => db,
            Err(e) => return Box::new(std::iter::once(Err(e))),
        };
        Box::new(db.scan_prefix([PROJECTION]).map(move |item| {
            let (k, v) = item.map_err(|e| self.err(e))?;
            Ok((k[1..].to_vec(), v.to_vec()))
        }))
    }

    fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.settled()?.size_on_disk().map_err(|e| self.err(e))
    }

    fn index_lag(&self) -> u64 {
        self.pipeline().lag()
    }

    #[cfg(feature = "tamper")]
    fn tamper(&self) -> Option<&dyn crate::store::Tamper> {
        Some(self)
    }
}

impl Store for SledStore {
    fn as_read(&self) -> &dyn StoreRead {
        self
    }

    fn commit(&self, expected: Digest, batch: CommitBatch) -> Result<CommitOutcome, StoreError> {
        if self.pipeline().failed() {
            // Sled refused an earlier commit: `recover` must reopen it before the next one.
            return Err(self.pipeline().closed());
        }
        let mut slot = self.wal.lock().unwrap_or_else(|p| p.into_inner());
        let wal = slot.as_mut().ok_or_else(|| {
            StoreError::Io(std::io::Error::other("the write-ahead log is closed"))
        })?;
        // Only the holder of the log queues commits, so the head cannot move until we are done.
        let actual = self.head()?;
        if actual != expected {
            return Ok(CommitOutcome::HeadMoved { actual });
        }
        // Durable once the frame is synced; sled is brought up to date after.
        wal.append(&batch).map_err(|e| self.full_disk_named(e))?;
        // A full generation is handed to the applier to retire (a log checkpoint); commits go on in the next.
        let full = match wal.len() >= self.wal_file_bytes {
            true => wal
                .rotate()
                .map_err(
                    |e| tracing::warn!(error = %e, "could not start the next write-ahead log file"),
                )
                .ok(),
            false => None,
        };
        // Queued while the log is held, so a log checkpoint never empties the log of a commit the
        // applier has not seen.
        self.pipeline().enqueue(batch, full);
        Ok(CommitOutcome::Committed)
    }

    fn recover(&self) -> Result<bool, StoreError> {
        if !self.pipeline().failed() {
            return Ok(false);
        }
        // The applier drops what is queued once it has failed; wait for it to be idle.
        self.pipeline().wait_idle();
        let mut open = self.shared.open.write().unwrap_or_else(|p| p.into_inner());
        // Close our handle first: sled holds the directory's lock until the last one drops.
        drop(open.take());
        *open = Some(open_retrying(self.dir())?);
        drop(open);
        self.replay_wal()?;
        self.pipeline().reopened();
        tracing::info!(dir = %self.dir().display(), "store reopened after a failed write");
        Ok(true)
    }

    fn save_snapshot(
        &self,
        entries: Vec<ProjectionEntry>,
        mark: (u64, u32),
        replace: bool,
    ) -> Result<(), StoreError> {
        // The records the snapshot covers go into sled first. The entries need no sync of their
        // own: losing them costs a longer catch-up, and sled keeps them in order after the
        // records, so they never cover records it lost. The next log checkpoint syncs them.
        let db = self.settled()?;
        let mut b = sled::Batch::default();
        let mut written = std::collections::HashSet::new();
        for (key, value) in entries {
            let k = projection_key(&key);
            match value {
                Some(v) => b.insert(k.clone(), v),
                None => b.remove(k.clone()),
            }
            written.insert(k);
        }
        if replace {
            for item in db.scan_prefix([PROJECTION]).keys() {
                let k = item.map_err(|e| self.err(e))?;
                if !written.contains(k.as_ref()) {
                    b.remove(k);
                }
            }
        }
        b.insert(SNAPSHOT_MARK_KEY, &snapshot_mark_value(mark.0, mark.1)[..]);
        db.apply_batch(b).map_err(|e| self.err(e))?;
        self.shared.unsynced.store(true, Ordering::SeqCst);
        Ok(())
    }
}

impl Drop for SledStore {
    /// A clean close leaves everything in sled and an empty log.
    fn drop(&mut self) {
        self.pipeline().close();
        if let Some(applier) = self.applier.take() {
            let _ = applier.join();
        }
        if !self.pipeline().failed() {
            if let Err(e) = self.checkpoint_log() {
                tracing::warn!(error = %e, "could not checkpoint the store at close; the log will be replayed");
            }
        }
    }
}
