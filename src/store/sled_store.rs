//! The sled 0.34 store. One tree, keys prefixed by kind, so each group commit is a single atomic
//! `apply_batch`:
//! `r`+seq → record bytes; `s`+stream+0+version → seq; `i`+id → first,last,fingerprint;
//! `t`+time+seq → (); `m`+name → head / checkpoint; `p`+key → projection entry.
//! Durability: sled's `flush()` ends in `sync_file_range`, which does not flush the disk's
//! cache, so every commit also calls `fdatasync` on a second handle of sled's data file.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, RwLock};

use super::wal::Wal;
use super::{CommitBatch, EntryIter, IdEntry, ProjectionEntry, RecordIter, Store, StoreError};
use crate::record::{Digest, RecordHash};

const RECORD: u8 = b'r';
const STREAM: u8 = b's';
const ID: u8 = b'i';
const TIME: u8 = b't';
const PROJECTION: u8 = b'p';
const HEAD_KEY: &[u8] = b"mhead";
const CHECKPOINT_KEY: &[u8] = b"mcheckpoint";

/// A ledger store in a directory, open by this process alone.
pub struct SledStore {
    dir: PathBuf,
    /// `None` between a failure and a successful reopen.
    open: RwLock<Option<Open>>,
    /// A write failed: sled refuses every later write, so the store must be reopened.
    failed: AtomicBool,
    /// Commits are durable here first; sled catches up without flushing on every commit.
    wal: Mutex<Option<Wal>>,
}

/// Flush sled and empty the write-ahead log once it holds this many bytes.
const CHECKPOINT_BYTES: u64 = 64 << 20;

struct Open {
    db: sled::Db,
    data_file: File,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore").field("dir", &self.dir).finish()
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

/// Orders signed microseconds as unsigned big-endian bytes.
fn time_prefix(micros: i64) -> [u8; 9] {
    let mut k = [TIME; 9];
    k[1..].copy_from_slice(&((micros as u64) ^ (1 << 63)).to_be_bytes());
    k
}

fn time_key(micros: i64, seq: u64) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[..9].copy_from_slice(&time_prefix(micros));
    k[9..].copy_from_slice(&seq.to_be_bytes());
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

/// The sled writes of one commit: records, their indexes and the head, applied atomically.
fn sled_batch(batch: &CommitBatch) -> sled::Batch {
    let mut b = sled::Batch::default();
    for r in &batch.records {
        b.insert(&record_key(r.seq), r.bytes.as_slice());
        b.insert(stream_key(&r.stream, r.version), &r.seq.to_be_bytes());
        b.insert(&time_key(r.at_micros, r.seq), &[]);
        let mut entry = [0u8; 48];
        entry[..8].copy_from_slice(&r.seq.to_be_bytes());
        entry[8..16].copy_from_slice(&r.seq.to_be_bytes());
        b.insert(id_key(&r.id), &entry[..]);
    }
    for (id, e) in &batch.ids {
        let mut entry = [0u8; 48];
        entry[..8].copy_from_slice(&e.first.to_be_bytes());
        entry[8..16].copy_from_slice(&e.last.to_be_bytes());
        entry[16..].copy_from_slice(&e.fingerprint);
        b.insert(id_key(id), &entry[..]);
    }
    let mut head = [0u8; 40];
    head[..8].copy_from_slice(&batch.head.seq.to_be_bytes());
    head[8..].copy_from_slice(&batch.head.hash.0);
    b.insert(HEAD_KEY, &head[..]);
    b
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
        let store = SledStore {
            dir: dir.to_owned(),
            open: RwLock::new(Some(open)),
            failed: AtomicBool::new(false),
            wal: Mutex::new(None),
        };
        store.replay_wal()?;
        store.check_head()?;
        Ok(store)
    }

    /// Applies the write-ahead log's frames that sled does not hold yet, then checkpoints.
    fn replay_wal(&self) -> Result<(), StoreError> {
        let mut slot = self.wal.lock().unwrap_or_else(|p| p.into_inner());
        slot.take();
        let (wal, frames) = Wal::open(&self.dir)?;
        *slot = Some(wal);
        drop(slot);
        let mut head = self.head()?;
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
            self.db()?
                .apply_batch(sled_batch(&frame))
                .map_err(|e| self.err(e))?;
            head = frame.head;
            replayed += frame.records.len();
        }
        if replayed > 0 {
            tracing::info!(replayed, "replayed the write-ahead log");
        }
        self.checkpoint()
    }

    /// Makes sled durable and empties the write-ahead log.
    fn flush_log(&self) -> Result<(), StoreError> {
        self.sync()?;
        if let Some(wal) = self.wal.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            wal.clear()?;
        }
        Ok(())
    }

    /// `flush_log` when the log holds anything: everything else sled holds is already durable,
    /// so opening and closing a ledger nobody wrote to costs no sync.
    fn checkpoint(&self) -> Result<(), StoreError> {
        let pending = self
            .wal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|w| w.len() > 0);
        if pending {
            self.flush_log()?;
        }
        Ok(())
    }

    /// A handle on the open database, or the reason there is none.
    fn db(&self) -> Result<sled::Db, StoreError> {
        self.open
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|o| o.db.clone())
            .ok_or_else(|| {
                StoreError::Io(std::io::Error::other(
                    "the store is closed after a failed write and could not be reopened yet",
                ))
            })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn err(&self, e: sled::Error) -> StoreError {
        sled_error(&self.dir, e)
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

    /// Makes everything written so far durable: sled's flush, then a real fdatasync.
    fn sync(&self) -> Result<(), StoreError> {
        let guard = self.open.read().unwrap_or_else(|p| p.into_inner());
        let open = guard
            .as_ref()
            .ok_or_else(|| StoreError::Io(std::io::Error::other("the store is closed")))?;
        open.db.flush().map_err(|e| self.err(e))?;
        open.data_file.sync_data()?;
        Ok(())
    }

    /// The last record's sequence number as the records themselves say (for `verify`).
    pub fn last_record_seq(&self) -> Result<u64, StoreError> {
        Ok(self
            .db()?
            .scan_prefix([RECORD])
            .next_back()
            .transpose()
            .map_err(|e| self.err(e))?
            .map(|(k, _)| u64_at(&k, 1))
            .transpose()?
            .unwrap_or(0))
    }

    /// Overwrites raw bytes under a record key, behind the ledger's back. For tamper tests only.
    #[doc(hidden)]
    pub fn tamper_put(&self, seq: u64, bytes: Option<&[u8]>) -> Result<(), StoreError> {
        match bytes {
            Some(b) => self.db()?.insert(record_key(seq), b).map(|_| ()),
            None => self.db()?.remove(record_key(seq)).map(|_| ()),
        }
        .map_err(|e| self.err(e))?;
        self.sync()
    }

    /// Overwrites the stored head, behind the ledger's back. For tamper tests only.
    #[doc(hidden)]
    pub fn tamper_head(&self, head: Digest) -> Result<(), StoreError> {
        let mut v = [0u8; 40];
        v[..8].copy_from_slice(&head.seq.to_be_bytes());
        v[8..].copy_from_slice(&head.hash.0);
        self.db()?
            .insert(HEAD_KEY, &v[..])
            .map_err(|e| self.err(e))?;
        self.sync()
    }
}

impl Store for SledStore {
    fn head(&self) -> Result<Digest, StoreError> {
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

    fn commit(&self, batch: &CommitBatch) -> Result<(), StoreError> {
        let mut slot = self.wal.lock().unwrap_or_else(|p| p.into_inner());
        let wal = slot.as_mut().ok_or_else(|| {
            StoreError::Io(std::io::Error::other("the write-ahead log is closed"))
        })?;
        // Durable once the frame is synced; sled is brought up to date after.
        wal.append(batch).map_err(|e| match e {
            StoreError::Io(io) if io.kind() == std::io::ErrorKind::StorageFull => {
                StoreError::DiskFull {
                    dir: self.dir.clone(),
                }
            }
            other => other,
        })?;
        let full = wal.len() >= CHECKPOINT_BYTES;
        drop(slot);
        if let Err(e) = self
            .db()
            .and_then(|db| db.apply_batch(sled_batch(batch)).map_err(|e| self.err(e)))
        {
            self.failed.store(true, Ordering::SeqCst);
            return Err(e);
        }
        if full {
            if let Err(e) = self.checkpoint() {
                // The batch is durable in the log; sled is reopened and caught up later.
                tracing::warn!(error = %e, "could not checkpoint the store");
                self.failed.store(true, Ordering::SeqCst);
            }
        }
        Ok(())
    }

    fn recover(&self) -> Result<bool, StoreError> {
        if !self.failed.load(Ordering::SeqCst) {
            return Ok(false);
        }
        let mut open = self.open.write().unwrap_or_else(|p| p.into_inner());
        // Close our handle first: sled holds the directory's lock until the last one drops.
        drop(open.take());
        *open = Some(open_retrying(&self.dir)?);
        drop(open);
        self.replay_wal()?;
        self.failed.store(false, Ordering::SeqCst);
        tracing::info!(dir = %self.dir.display(), "store reopened after a failed write");
        Ok(true)
    }

    fn record(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .db()?
            .get(record_key(seq))
            .map_err(|e| self.err(e))?
            .map(|v| v.to_vec()))
    }

    fn records(&self, from: u64, to: u64) -> RecordIter<'_> {
        if from > to {
            return Box::new(std::iter::empty());
        }
        let db = match self.db() {
            Ok(db) => db,
            Err(e) => return Box::new(std::iter::once(Err(e))),
        };
        Box::new(
            db.range(record_key(from)..=record_key(to))
                .map(move |item| {
                    let (k, v) = item.map_err(|e| self.err(e))?;
                    Ok((u64_at(&k, 1)?, v.to_vec()))
                }),
        )
    }

    fn stream(&self, stream: &str, after_version: u64) -> Result<Vec<u64>, StoreError> {
        let start = stream_key(stream, after_version.saturating_add(1));
        let end = stream_key(stream, u64::MAX);
        self.db()?
            .range(start..=end)
            .map(|item| {
                let (_, v) = item.map_err(|e| self.err(e))?;
                u64_at(&v, 0)
            })
            .collect()
    }

    fn find_id(&self, id: &str) -> Result<Option<IdEntry>, StoreError> {
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
        let end = time_key(micros, u64::MAX);
        self.db()?
            .range(time_prefix(i64::MIN).to_vec()..=end.to_vec())
            .next_back()
            .transpose()
            .map_err(|e| self.err(e))?
            .map(|(k, _)| u64_at(&k, 9))
            .transpose()
    }

    fn first_seq_from(&self, micros: i64) -> Result<Option<u64>, StoreError> {
        let start = time_key(micros, 0);
        self.db()?
            .range(start.to_vec()..=time_key(i64::MAX, u64::MAX).to_vec())
            .next()
            .transpose()
            .map_err(|e| self.err(e))?
            .map(|(k, _)| u64_at(&k, 9))
            .transpose()
    }

    fn checkpoint(&self) -> Result<Option<(u64, u32)>, StoreError> {
        match self.db()?.get(CHECKPOINT_KEY).map_err(|e| self.err(e))? {
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
        let db = match self.db() {
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
            for item in self.db()?.scan_prefix([PROJECTION]).keys() {
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
        self.db()?.apply_batch(b).map_err(|e| self.err(e))?;
        self.flush_log()
    }

    fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.db()?.size_on_disk().map_err(|e| self.err(e))
    }
}

impl Drop for SledStore {
    /// A clean close leaves everything in sled and an empty log.
    fn drop(&mut self) {
        if !self.failed.load(Ordering::SeqCst) {
            if let Err(e) = self.checkpoint() {
                tracing::warn!(error = %e, "could not checkpoint the store at close; the log will be replayed");
            }
        }
    }
}
