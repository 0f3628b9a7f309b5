//! The sled 0.34 store. One tree, keys prefixed by kind:
//! `r`+first seq → a chunk of consecutive records; `s`+stream+0+first version → a chunk of that
//! stream's consecutive records (copies, so one goal's records are read with one short range
//! scan); `i`+id → first,last,fingerprint (client ids and imported ids); `m`+name → head /
//! checkpoint; `p`+key → projection entry. A chunk is entries of seq (u64 BE), length (u32 BE)
//! and the record's exact bytes, at most `CHUNK_BYTES` unless one record is larger: sled's cost
//! is per key, so a group commit of 64 events costs a handful of inserts instead of 64 per index.
//!
//! A commit is durable once its frame is in the write-ahead log (one `fdatasync`); a second
//! thread, the applier, then puts it into sled without flushing, every commit waiting in one
//! `apply_batch`. Reads wait until sled holds every commit made before they started, so a
//! reader never misses an acknowledged record. A checkpoint makes sled durable (its `flush`
//! ends in `sync_file_range`, which does not flush the disk's cache, so it is followed by an
//! `fdatasync` of sled's data file) and removes the log files it covers; the applier does it
//! whenever a log file fills up, so commits never wait for it.
//!
//! Times need no index: `recorded_at` never decreases along the log (the writer stamps
//! `max(clock, last)`, import refuses records that go back), so a time is found by binary
//! search over sequence numbers.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;

use super::wal::Wal;
use super::{
    CommitBatch, CommitOutcome, EntryIter, IdEntry, ProjectionEntry, RecordIter, Store, StoreError,
};
use crate::record::{read_recorded_at, Digest, RecordHash};

const RECORD: u8 = b'r';
const STREAM: u8 = b's';
const ID: u8 = b'i';
const PROJECTION: u8 = b'p';
const HEAD_KEY: &[u8] = b"mhead";
const CHECKPOINT_KEY: &[u8] = b"mcheckpoint";

/// Start the next generation of the write-ahead log once the current one holds this many bytes.
/// `GOAL_LEDGER_WAL_FILE_BYTES` overrides it: larger means fewer flushes of sled and a longer
/// replay after a crash (the crash tests use a small size to land kills around checkpoints).
const WAL_FILE_BYTES: u64 = 64 << 20;

fn wal_file_bytes() -> u64 {
    std::env::var("GOAL_LEDGER_WAL_FILE_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(WAL_FILE_BYTES)
}

/// A chunk's size, past which the next record starts a new one. Sled writes a page of over a
/// quarter segment (1 MiB) to a separate blob file that it never fsyncs; a leaf holds at most
/// 17 entries, so chunks of 32 KiB (records are at most 32 KiB too) keep every page under that.
const CHUNK_BYTES: usize = 32 << 10;

/// Commits that may wait for the applier before a new commit waits for it.
const MAX_PENDING: usize = 64;

/// A ledger store in a directory, open by this process alone.
pub struct SledStore {
    shared: Arc<Shared>,
    /// Commits are durable here first; sled catches up without flushing on every commit.
    wal: Mutex<Option<Wal>>,
    wal_file_bytes: u64,
    applier: Option<JoinHandle<()>>,
}

/// What the store and its applier thread share.
struct Shared {
    dir: PathBuf,
    /// `None` between a failure and a successful reopen.
    open: RwLock<Option<Open>>,
    /// A write failed: sled refuses every later write, so the store must be reopened.
    failed: AtomicBool,
    /// Sled holds writes outside the log (projection entries) that are not flushed yet.
    unsynced: AtomicBool,
    /// Why, for the commits and reads refused until then.
    failure: Mutex<Option<Failure>>,
    queue: Mutex<Queue>,
    /// Signalled when a commit is queued, applied, or the applier gives up.
    changed: Condvar,
}

/// Commits that are durable in the log but not yet in sled, oldest first.
#[derive(Default)]
struct Queue {
    pending: VecDeque<Arc<CommitBatch>>,
    /// The last sequence number sled holds.
    applied: u64,
    /// The store is closing: the applier finishes what is queued and stops.
    closing: bool,
    /// A full generation of the log and its last sequence number: once sled holds that record,
    /// the applier makes sled durable and removes the generation.
    full_log: Option<(u64, u64)>,
}

/// Why the store is closed, kept to tell later callers.
#[derive(Clone)]
enum Failure {
    DiskFull,
    Other(String),
}

struct Open {
    db: sled::Db,
    data_file: File,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore")
            .field("dir", &self.dir())
            .finish()
    }
}

fn record_key(seq: u64) -> [u8; 9] {
    let mut k = [RECORD; 9];
    k[1..].copy_from_slice(&seq.to_be_bytes());
    k
}

fn stream_key(stream: &str, version: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(stream.len() + 10);
    k.push(STREAM);
    k.extend_from_slice(stream.as_bytes());
    k.push(0);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

fn id_key(id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(id.len() + 1);
    k.push(ID);
    k.extend_from_slice(id.as_bytes());
    k
}

fn u64_at(bytes: &[u8], at: usize) -> Result<u64, StoreError> {
    bytes
        .get(at..at + 8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| StoreError::Corrupt(format!("an index entry is {} bytes long", bytes.len())))
}

/// Opens, waiting up to half a second for a lock that is being released: sled lets go of the
/// directory a moment after its last handle drops (a reopen in the same process, or a process
/// that is exiting).
fn open_retrying(dir: &Path) -> Result<Open, StoreError> {
    let mut attempt = 0;
    loop {
        match open_db(dir) {
            Err(StoreError::Locked { .. }) if attempt < 10 => {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

fn open_db(dir: &Path) -> Result<Open, StoreError> {
    let db = sled::Config::new()
        .path(dir)
        // 4 MiB segments: sled writes a page over a quarter segment to a separate blob file
        // that it never fsyncs; with records of at most 32 KiB no page comes near 1 MiB.
        .segment_size(4 << 20)
        .cache_capacity(64 << 20)
        .flush_every_ms(None)
        .open()
        .map_err(|e| sled_error(dir, e))?;
    let data_file = File::open(dir.join("db"))?;
    Ok(Open { db, data_file })
}

/// Adds the sled writes of commits to `b`: record chunks, stream chunks, ids and the head.
fn add_to_batch<'a>(b: &mut sled::Batch, batches: impl IntoIterator<Item = &'a CommitBatch>) {
    let mut records = Chunk::default();
    let mut streams: BTreeMap<&str, Chunk> = BTreeMap::new();
    let mut head = None;
    for batch in batches {
        for r in &batch.records {
            records.push(b, || record_key(r.seq).to_vec(), r.seq, &r.bytes);
            streams.entry(&r.stream).or_default().push(
                b,
                || stream_key(&r.stream, r.version),
                r.seq,
                &r.bytes,
            );
        }
        for (id, e) in &batch.ids {
            let mut entry = [0u8; 48];
            entry[..8].copy_from_slice(&e.first.to_be_bytes());
            entry[8..16].copy_from_slice(&e.last.to_be_bytes());
            entry[16..].copy_from_slice(&e.fingerprint);
            b.insert(id_key(id), &entry[..]);
        }
        head = Some(batch.head);
    }
    records.finish(b);
    for chunk in streams.values_mut() {
        chunk.finish(b);
    }
    if let Some(head) = head {
        let mut v = [0u8; 40];
        v[..8].copy_from_slice(&head.seq.to_be_bytes());
        v[8..].copy_from_slice(&head.hash.0);
        b.insert(HEAD_KEY, &v[..]);
    }
}

/// A chunk being filled: its key (named by its first entry) and its entries.
#[derive(Default)]
struct Chunk {
    key: Vec<u8>,
    value: Vec<u8>,
}

impl Chunk {
    /// Adds an entry, writing the chunk out first if the entry would take it past `CHUNK_BYTES`.
    fn push(&mut self, b: &mut sled::Batch, key: impl FnOnce() -> Vec<u8>, seq: u64, bytes: &[u8]) {
        if !self.value.is_empty() && self.value.len() + 12 + bytes.len() > CHUNK_BYTES {
            self.finish(b);
        }
        if self.value.is_empty() {
            self.key = key();
        }
        put_entry(&mut self.value, seq, bytes);
    }

    fn finish(&mut self, b: &mut sled::Batch) {
        if !self.value.is_empty() {
            b.insert(
                std::mem::take(&mut self.key),
                std::mem::take(&mut self.value),
            );
        }
    }
}

fn put_entry(chunk: &mut Vec<u8>, seq: u64, bytes: &[u8]) {
    chunk.extend_from_slice(&seq.to_be_bytes());
    chunk.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    chunk.extend_from_slice(bytes);
}

/// The entries of a stored chunk, each its sequence number and record bytes.
struct Entries<'a>(&'a [u8]);

/// The entries of one chunk a scan returned, owned, or the scan's error.
fn owned_entries(
    dir: &Path,
    item: sled::Result<(sled::IVec, sled::IVec)>,
) -> Vec<Result<(u64, Vec<u8>), StoreError>> {
    match item {
        Ok((_, chunk)) => Entries(&chunk)
            .map(|e| e.map(|(seq, bytes)| (seq, bytes.to_vec())))
            .collect(),
        Err(e) => vec![Err(sled_error(dir, e))],
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<(u64, &'a [u8]), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        let entry = (|| {
            let seq = u64::from_be_bytes(self.0.get(..8)?.try_into().ok()?);
            let len = u32::from_be_bytes(self.0.get(8..12)?.try_into().ok()?) as usize;
            let bytes = self.0.get(12..12 + len)?;
            Some((seq, bytes, 12 + len))
        })();
        match entry {
            Some((seq, bytes, used)) => {
                self.0 = &self.0[used..];
                Some(Ok((seq, bytes)))
            }
            None => {
                self.0 = &[];
                Some(Err(StoreError::Corrupt(
                    "a stored chunk of records is cut short".to_owned(),
                )))
            }
        }
    }
}

fn sled_error(dir: &Path, e: sled::Error) -> StoreError {
    match e {
        sled::Error::Io(io) if io.to_string().contains("could not acquire lock") => {
            StoreError::Locked {
                dir: dir.to_owned(),
            }
        }
        sled::Error::Io(io)
            if io.kind() == std::io::ErrorKind::StorageFull
                || io.to_string().contains("No space left on device") =>
        {
            StoreError::DiskFull {
                dir: dir.to_owned(),
            }
        }
        sled::Error::Io(io) => StoreError::Io(io),
        other => StoreError::Corrupt(other.to_string()),
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A handle on the open database, or the reason there is none.
    fn db(&self) -> Result<sled::Db, StoreError> {
        self.open
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|o| o.db.clone())
            .ok_or_else(|| self.closed())
    }

    /// Waits until sled holds every commit queued before the call.
    fn settle(&self) -> Result<(), StoreError> {
        let mut q = self.lock();
        let Some(target) = q.pending.back().map(|b| b.head.seq) else {
            return Ok(());
        };
        while q.applied < target {
            if self.failed.load(Ordering::SeqCst) {
                return Err(self.closed());
            }
            q = self.changed.wait(q).unwrap_or_else(|p| p.into_inner());
        }
        Ok(())
    }

    /// Makes everything sled holds durable: sled's flush, then a real fdatasync.
    fn sync(&self) -> Result<(), StoreError> {
        let guard = self.open.read().unwrap_or_else(|p| p.into_inner());
        let open = guard
            .as_ref()
            .ok_or_else(|| StoreError::Io(std::io::Error::other("the store is closed")))?;
        open.db.flush().map_err(|e| sled_error(&self.dir, e))?;
        open.data_file.sync_data()?;
        Ok(())
    }

    /// Marks the store closed after `e`; it stays closed until `recover` reopens it.
    fn fail(&self, e: &StoreError) {
        let failure = match e {
            StoreError::DiskFull { .. } => Failure::DiskFull,
            other => Failure::Other(other.to_string()),
        };
        *self.failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(failure);
        self.failed.store(true, Ordering::SeqCst);
    }

    /// The error for callers while the store is closed.
    fn closed(&self) -> StoreError {
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
}

/// The applier: puts queued commits into sled, all that are waiting in one `apply_batch`.
/// After a failure it drops what is queued (the log holds it) until the store is reopened.
fn apply_loop(shared: Arc<Shared>) {
    loop {
        let batches: Vec<Arc<CommitBatch>> = {
            let mut q = shared.lock();
            while q.pending.is_empty() && !q.closing {
                q = shared.changed.wait(q).unwrap_or_else(|p| p.into_inner());
            }
            if q.pending.is_empty() {
                return;
            }
            q.pending.iter().cloned().collect()
        };
        let mut b = sled::Batch::default();
        add_to_batch(&mut b, batches.iter().map(|b| b.as_ref()));
        let applied = shared
            .db()
            .and_then(|db| db.apply_batch(b).map_err(|e| sled_error(&shared.dir, e)));
        let mut q = shared.lock();
        match applied {
            Ok(()) => {
                q.pending.drain(..batches.len());
                q.applied = batches.last().map_or(q.applied, |b| b.head.seq);
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not apply commits to sled; they are safe in the write-ahead log");
                shared.fail(&e);
                q.pending.clear();
            }
        }
        let full_log = match q.full_log {
            Some((generation, last)) if q.applied >= last => q.full_log.take().map(|_| generation),
            _ => None,
        };
        shared.changed.notify_all();
        drop(q);
        if let Some(generation) = full_log {
            let synced = shared.sync().and_then(|()| {
                Wal::remove_through(&shared.dir, generation).map_err(StoreError::from)
            });
            if let Err(e) = synced {
                tracing::warn!(error = %e, "could not checkpoint a full generation of the write-ahead log");
                shared.fail(&e);
            }
        }
    }
}

impl SledStore {
    /// Opens the store in `dir`. With `create`, a missing directory becomes a new, empty ledger;
    /// without it, a missing ledger is `StoreError::Missing`.
    pub fn open(dir: &Path, create: bool) -> Result<SledStore, StoreError> {
        let exists = dir.join("db").is_file();
        if !exists && !create {
            return Err(StoreError::Missing {
                dir: dir.to_owned(),
            });
        }
        if !exists {
            std::fs::create_dir_all(dir)?;
        }
        let open = open_retrying(dir)?;
        if !exists {
            // Make the new files' directory entries durable too.
            File::open(dir)?.sync_all()?;
        }
        let shared = Arc::new(Shared {
            dir: dir.to_owned(),
            open: RwLock::new(Some(open)),
            failed: AtomicBool::new(false),
            unsynced: AtomicBool::new(false),
            failure: Mutex::new(None),
            queue: Mutex::new(Queue::default()),
            changed: Condvar::new(),
        });
        let mut store = SledStore {
            shared,
            wal: Mutex::new(None),
            wal_file_bytes: wal_file_bytes(),
            applier: None,
        };
        store.replay_wal()?;
        store.check_head()?;
        let shared = store.shared.clone();
        store.applier = Some(
            std::thread::Builder::new()
                .name("ledger-applier".into())
                .spawn(move || apply_loop(shared))?,
        );
        Ok(store)
    }

    /// Applies the write-ahead log's frames that sled does not hold yet, then checkpoints.
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
        {
            // Everything the log held is in sled now, and the checkpoint below removes it all.
            let mut q = self.shared.lock();
            q.applied = head.seq;
            q.full_log = None;
        }
        self.checkpoint()
    }

    /// `flush_log` when the log or sled holds anything unsynced, so opening and closing a ledger
    /// nobody wrote to costs no sync.
    fn checkpoint(&self) -> Result<(), StoreError> {
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
        self.shared.settle()?;
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
        self.shared.settle()?;
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
            Some(v) if v.len() == 40 => {
                let mut hash = [0u8; 32];
                hash.copy_from_slice(&v[8..]);
                Ok(Digest {
                    seq: u64_at(&v, 0)?,
                    hash: RecordHash(hash),
                })
            }
            Some(v) => Err(StoreError::Corrupt(format!(
                "the head entry is {} bytes long",
                v.len()
            ))),
        }
    }

    /// The head must name the last stored record: a batch is atomic, so anything else means the
    /// files were changed behind the program's back.
    fn check_head(&self) -> Result<(), StoreError> {
        let head = self.head()?;
        let last = self.last_record_seq()?;
        if last != head.seq {
            // Not fatal here: `verify` names exactly what is wrong. Opening for writes refuses.
            tracing::warn!(
                head = head.seq,
                last,
                "the stored head does not name the last record"
            );
        }
        Ok(())
    }

    fn sync(&self) -> Result<(), StoreError> {
        self.shared.sync()
    }

    /// The last record's sequence number as the records themselves say (for `verify`).
    pub fn last_record_seq(&self) -> Result<u64, StoreError> {
        let Some((_, chunk)) = self
            .settled()?
            .scan_prefix([RECORD])
            .next_back()
            .transpose()
            .map_err(|e| self.err(e))?
        else {
            return Ok(0);
        };
        let mut last = 0;
        for entry in Entries(&chunk) {
            last = entry?.0;
        }
        Ok(last)
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

    /// How many of the first `n` records were recorded at a time satisfying `before`, which
    /// holds for a prefix of the log since its times never decrease.
    fn count_recorded(&self, n: u64, before: impl Fn(i64) -> bool) -> Result<u64, StoreError> {
        let db = self.settled()?;
        let (mut lo, mut hi) = (0u64, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let seq = mid + 1;
            let bytes = self.record_in(&db, seq)?.ok_or_else(|| {
                StoreError::Corrupt(format!("record {seq} is missing; run `goal-ledger verify`"))
            })?;
            let at = read_recorded_at(&bytes)
                .map_err(|e| StoreError::Corrupt(format!("record {seq}: {e}")))?;
            if before(at.timestamp_micros()) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }

    /// Overwrites raw bytes under a record key, behind the ledger's back. For tamper tests only.
    #[cfg(feature = "tamper")]
    pub fn tamper_put(&self, seq: u64, bytes: Option<&[u8]>) -> Result<(), StoreError> {
        let db = self.settled()?;
        let (key, mut entries) = match self.chunk_of(&db, seq)? {
            Some((key, chunk)) => (
                key.to_vec(),
                owned_entries(&self.shared.dir, Ok((key, chunk)))
                    .into_iter()
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => (record_key(seq).to_vec(), Vec::new()),
        };
        entries.retain(|(s, _)| *s != seq);
        if let Some(bytes) = bytes {
            entries.push((seq, bytes.to_vec()));
            entries.sort_by_key(|(s, _)| *s);
        }
        let mut chunk = Vec::new();
        for (seq, bytes) in &entries {
            put_entry(&mut chunk, *seq, bytes);
        }
        match chunk.is_empty() {
            true => db.remove(key).map(|_| ()),
            false => db.insert(key, chunk).map(|_| ()),
        }
        .map_err(|e| self.err(e))?;
        self.sync()
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

    /// Overwrites (or with `None` removes) the stream copy of record `seq`, behind the ledger's
    /// back. For tamper tests only.
    #[cfg(feature = "tamper")]
    pub fn tamper_stream_copy(&self, seq: u64, bytes: Option<&[u8]>) -> Result<(), StoreError> {
        let db = self.settled()?;
        for item in db.scan_prefix([STREAM]) {
            let (key, chunk) = item.map_err(|e| self.err(e))?;
            let entries = Entries(&chunk).collect::<Result<Vec<_>, _>>()?;
            if !entries.iter().any(|(s, _)| *s == seq) {
                continue;
            }
            let mut rewritten = Vec::new();
            for (s, b) in entries {
                match (s == seq, bytes) {
                    (false, _) => put_entry(&mut rewritten, s, b),
                    (true, Some(bytes)) => put_entry(&mut rewritten, s, bytes),
                    (true, None) => {}
                }
            }
            match rewritten.is_empty() {
                true => db.remove(key).map(|_| ()),
                false => db.insert(key, rewritten).map(|_| ()),
            }
            .map_err(|e| self.err(e))?;
            return self.sync();
        }
        Err(StoreError::Corrupt(format!(
            "no stream copy of record {seq}"
        )))
    }

    /// Overwrites the stored head, behind the ledger's back. For tamper tests only.
    #[cfg(feature = "tamper")]
    pub fn tamper_head(&self, head: Digest) -> Result<(), StoreError> {
        let mut v = [0u8; 40];
        v[..8].copy_from_slice(&head.seq.to_be_bytes());
        v[8..].copy_from_slice(&head.hash.0);
        self.settled()?
            .insert(HEAD_KEY, &v[..])
            .map_err(|e| self.err(e))?;
        self.sync()
    }
}

impl Store for SledStore {
    fn head(&self) -> Result<Digest, StoreError> {
        if let Some(last) = self.shared.lock().pending.back() {
            return Ok(last.head);
        }
        self.sled_head()
    }

    fn commit(&self, expected: Digest, batch: CommitBatch) -> Result<CommitOutcome, StoreError> {
        if self.shared.failed.load(Ordering::SeqCst) {
            // Sled refused an earlier commit: `recover` must reopen it before the next one.
            return Err(self.shared.closed());
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
        wal.append(&batch).map_err(|e| match e {
            StoreError::Io(io) if io.kind() == std::io::ErrorKind::StorageFull => {
                StoreError::DiskFull {
                    dir: self.dir().to_owned(),
                }
            }
            other => other,
        })?;
        // A full generation is handed to the applier to checkpoint; commits go on in the next.
        let full = match wal.len() >= self.wal_file_bytes {
            true => wal
                .rotate()
                .map_err(
                    |e| tracing::warn!(error = %e, "could not start the next write-ahead log file"),
                )
                .ok(),
            false => None,
        };
        // Queued while the log is held, so a checkpoint never empties the log of a commit the
        // applier has not seen.
        let mut q = self.shared.lock();
        while q.pending.len() >= MAX_PENDING && !self.shared.failed.load(Ordering::SeqCst) {
            q = self
                .shared
                .changed
                .wait(q)
                .unwrap_or_else(|p| p.into_inner());
        }
        if let Some(generation) = full {
            q.full_log = Some((generation, batch.head.seq));
        }
        q.pending.push_back(Arc::new(batch));
        self.shared.changed.notify_all();
        Ok(CommitOutcome::Committed)
    }

    fn recover(&self) -> Result<bool, StoreError> {
        if !self.shared.failed.load(Ordering::SeqCst) {
            return Ok(false);
        }
        {
            // The applier drops what is queued once it has failed; wait for it to be idle.
            let mut q = self.shared.lock();
            while !q.pending.is_empty() {
                q = self
                    .shared
                    .changed
                    .wait(q)
                    .unwrap_or_else(|p| p.into_inner());
            }
        }
        let mut open = self.shared.open.write().unwrap_or_else(|p| p.into_inner());
        // Close our handle first: sled holds the directory's lock until the last one drops.
        drop(open.take());
        *open = Some(open_retrying(self.dir())?);
        drop(open);
        self.replay_wal()?;
        *self
            .shared
            .failure
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = None;
        self.shared.failed.store(false, Ordering::SeqCst);
        tracing::info!(dir = %self.dir().display(), "store reopened after a failed write");
        Ok(true)
    }

    fn record(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let db = self.settled()?;
        self.record_in(&db, seq)
    }

    fn records(&self, from: u64, to: u64) -> RecordIter<'_> {
        if from > to {
            return Box::new(std::iter::empty());
        }
        // From the chunk that holds `from`, which may start before it.
        let start = self.settled().and_then(|db| {
            let key = match self.chunk_of(&db, from)? {
                Some((key, _)) => key.to_vec(),
                None => record_key(from).to_vec(),
            };
            Ok((db, key))
        });
        let (db, start) = match start {
            Ok(found) => found,
            Err(e) => return Box::new(std::iter::once(Err(e))),
        };
        let chunks = db.range(start..=record_key(to).to_vec());
        Box::new(
            chunks
                .flat_map(move |item| owned_entries(self.dir(), item))
                .filter(move |e| {
                    e.as_ref()
                        .map_or(true, |(seq, _)| (from..=to).contains(seq))
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

    fn stream_copies(&self) -> Option<RecordIter<'_>> {
        let db = match self.settled() {
            Ok(db) => db,
            Err(e) => return Some(Box::new(std::iter::once(Err(e)))),
        };
        Some(Box::new(
            db.scan_prefix([STREAM])
                .flat_map(move |item| owned_entries(self.dir(), item)),
        ))
    }

    fn find_id(&self, id: &str) -> Result<Option<IdEntry>, StoreError> {
        {
            // A queued commit is not in sled yet; the newest use of an id wins, as in sled.
            let q = self.shared.lock();
            let queued = q
                .pending
                .iter()
                .rev()
                .find_map(|b| b.ids.iter().rev().find(|(i, _)| i == id));
            if let Some((_, entry)) = queued {
                return Ok(Some(*entry));
            }
        }
        // Whatever left the queue since is in sled.
        let Some(v) = self.db()?.get(id_key(id)).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        if v.len() != 48 {
            return Err(StoreError::Corrupt(format!(
                "the id entry of {id:?} is {} bytes long",
                v.len()
            )));
        }
        let mut fingerprint = [0u8; 32];
        fingerprint.copy_from_slice(&v[16..]);
        Ok(Some(IdEntry {
            first: u64_at(&v, 0)?,
            last: u64_at(&v, 8)?,
            fingerprint,
        }))
    }

    fn last_seq_at(&self, micros: i64) -> Result<Option<u64>, StoreError> {
        let n = self.head()?.seq;
        let k = self.count_recorded(n, |at| at <= micros)?;
        Ok((k > 0).then_some(k))
    }

    fn first_seq_from(&self, micros: i64) -> Result<Option<u64>, StoreError> {
        let n = self.head()?.seq;
        let k = self.count_recorded(n, |at| at < micros)?;
        Ok((k < n).then_some(k + 1))
    }

    fn checkpoint(&self) -> Result<Option<(u64, u32)>, StoreError> {
        match self
            .settled()?
            .get(CHECKPOINT_KEY)
            .map_err(|e| self.err(e))?
        {
            None => Ok(None),
            Some(v) if v.len() == 12 => {
                let format = u32::from_be_bytes([v[8], v[9], v[10], v[11]]);
                Ok(Some((u64_at(&v, 0)?, format)))
            }
            Some(v) => Err(StoreError::Corrupt(format!(
                "the checkpoint entry is {} bytes long",
                v.len()
            ))),
        }
    }

    fn projection(&self) -> EntryIter<'_> {
        let db = match self.settled() {
            Ok(db) => db,
            Err(e) => return Box::new(std::iter::once(Err(e))),
        };
        Box::new(db.scan_prefix([PROJECTION]).map(move |item| {
            let (k, v) = item.map_err(|e| self.err(e))?;
            Ok((k[1..].to_vec(), v.to_vec()))
        }))
    }

    fn save_projection(
        &self,
        entries: Vec<ProjectionEntry>,
        checkpoint: (u64, u32),
        replace: bool,
    ) -> Result<(), StoreError> {
        // The records the checkpoint covers go into sled first. The entries need no sync of their
        // own: losing them costs a longer catch-up, and sled keeps them in order after the
        // records, so they never cover records it lost. The next checkpoint of the log syncs them.
        let db = self.settled()?;
        let mut b = sled::Batch::default();
        let mut written = std::collections::HashSet::new();
        for (key, value) in entries {
            let mut k = Vec::with_capacity(key.len() + 1);
            k.push(PROJECTION);
            k.extend_from_slice(&key);
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
        let mut cp = [0u8; 12];
        cp[..8].copy_from_slice(&checkpoint.0.to_be_bytes());
        cp[8..].copy_from_slice(&checkpoint.1.to_be_bytes());
        b.insert(CHECKPOINT_KEY, &cp[..]);
        db.apply_batch(b).map_err(|e| self.err(e))?;
        self.shared.unsynced.store(true, Ordering::SeqCst);
        Ok(())
    }

    fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.settled()?.size_on_disk().map_err(|e| self.err(e))
    }
}

impl Drop for SledStore {
    /// A clean close leaves everything in sled and an empty log.
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.changed.notify_all();
        if let Some(applier) = self.applier.take() {
            let _ = applier.join();
        }
        if !self.shared.failed.load(Ordering::SeqCst) {
            if let Err(e) = self.checkpoint() {
                tracing::warn!(error = %e, "could not checkpoint the store at close; the log will be replayed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewRecord;

    fn batch(seq: u64, fill: u8) -> CommitBatch {
        CommitBatch {
            records: vec![NewRecord {
                seq,
                bytes: vec![fill; 16],
                stream: "team:sales".into(),
                version: seq,
            }],
            ids: Vec::new(),
            head: Digest {
                seq,
                hash: RecordHash([fill; 32]),
            },
        }
    }

    #[test]
    fn a_commit_with_a_stale_expected_head_answers_head_moved_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), true).unwrap();
        let first = batch(1, 1);
        let head = first.head;
        assert_eq!(
            store.commit(Digest::EMPTY, first).unwrap(),
            CommitOutcome::Committed
        );
        assert_eq!(
            store.commit(Digest::EMPTY, batch(1, 2)).unwrap(),
            CommitOutcome::HeadMoved { actual: head }
        );
        assert_eq!(store.head().unwrap(), head);
        assert_eq!(store.record(1).unwrap(), Some(vec![1; 16]));
        drop(store);
        let reopened = SledStore::open(dir.path(), false).unwrap();
        assert_eq!(reopened.head().unwrap(), head);
        assert_eq!(reopened.record(1).unwrap(), Some(vec![1; 16]));
        assert_eq!(
            reopened
                .stream_records("team:sales", u64::MAX)
                .unwrap()
                .len(),
            1
        );
    }
}
