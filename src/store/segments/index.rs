//! The index: what is derived from the log, kept in files beside it (`rows.rs`): each stream's
//! records and each id's, per segment, and where each record starts. The active segment's rows
//! are also in memory; a sealed segment's are searched in their sorted files. The mark (the
//! last record the index vouches for, made durable every so often after the rows before it)
//! and the projection snapshot are files too (`snapshot.rs`).
//!
//! The index may lag the log: opening catches it up (`catch_up.rs`), and a missing index is
//! rebuilt from the segments.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::Deserialize;

use super::rows::{
    index_path, key_of, read_rows, write_file, IdRow, StreamRow, Table, ID_BYTES, OFF_BYTES,
    POS_BYTES, STR_BYTES,
};
use crate::record::{Digest, RecordHash};
use crate::store::applier::Target;
use crate::store::{CommitBatch, IdEntry, NewRecord, StoreError};

/// The folder of the index in a data directory.
pub fn index_dir(dir: &Path) -> PathBuf {
    dir.join("index")
}

/// The fields of a record the index needs, read from its bytes.
#[derive(Deserialize)]
pub struct Fields<'a> {
    #[serde(borrow)]
    pub stream: std::borrow::Cow<'a, str>,
    pub version: u64,
    #[serde(borrow, default)]
    pub id: Option<std::borrow::Cow<'a, str>>,
}

impl<'a> Fields<'a> {
    pub fn read(bytes: &'a [u8]) -> Option<Fields<'a>> {
        serde_json::from_slice(bytes).ok()
    }
}

/// The active segment's rows: in memory, and appended to its `.pos` and `.idl` files when the
/// index is flushed (rows past the mark are made again from the log after a crash, so writing
/// them sooner would buy nothing; indexing a commit makes no system call).
pub struct ActiveRows {
    pub first: u64,
    pub rows: Vec<StreamRow>,
    streams: HashMap<u64, Vec<u32>>,
    pub ids: Vec<IdRow>,
    id_keys: HashMap<u64, Vec<u32>>,
    pos: File,
    idl: File,
    /// Rows not written to the files yet.
    pending: (Vec<u8>, Vec<u8>),
    /// Where the next record starts in the segment.
    pub end: u64,
}

fn append_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)
}

impl ActiveRows {
    /// Rows for segment `first`, starting empty (its files are cut to nothing).
    pub fn create(index: &Path, first: u64) -> std::io::Result<ActiveRows> {
        ActiveRows::load(index, first, 0, 0)
    }

    /// The first `keep` rows of segment `first` from its files (fewer if the files have fewer),
    /// and the ids of records up to `first + keep` (the files are cut to them).
    pub fn load(index: &Path, first: u64, keep: u64, upto: u64) -> std::io::Result<ActiveRows> {
        let pos_path = index_path(index, first, "pos");
        let idl_path = index_path(index, first, "idl");
        let mut rows = read_rows(&pos_path, POS_BYTES)?;
        rows.truncate(keep as usize);
        let ids: Vec<IdRow> = read_rows(&idl_path, ID_BYTES)?
            .iter()
            .map(|b| IdRow::from_bytes(b))
            .filter(|r| r.first > 0 && r.first + u64::from(r.count) <= upto)
            .collect();
        let mut active = ActiveRows {
            first,
            rows: Vec::with_capacity(rows.len()),
            streams: HashMap::new(),
            ids: Vec::with_capacity(ids.len()),
            id_keys: HashMap::new(),
            pos: append_file(&pos_path)?,
            idl: append_file(&idl_path)?,
            pending: (Vec::new(), Vec::new()),
            end: 0,
        };
        active.pos.set_len((rows.len() * POS_BYTES) as u64)?;
        active.idl.set_len(0)?;
        for (i, b) in rows.iter().enumerate() {
            active.index_row(StreamRow::from_pos(b, first + i as u64));
        }
        for row in ids {
            active.push_id(row);
        }
        active.write_pending()?;
        Ok(active)
    }

    fn index_row(&mut self, row: StreamRow) {
        self.end = u64::from(row.offset) + u64::from(row.len) + 1;
        self.streams
            .entry(row.stream)
            .or_default()
            .push(self.rows.len() as u32);
        self.rows.push(row);
    }

    /// Adds the row of the next record.
    pub fn push(&mut self, row: StreamRow) {
        self.pending.0.extend_from_slice(&row.pos_bytes());
        self.index_row(row);
    }

    pub fn push_id(&mut self, row: IdRow) {
        self.pending.1.extend_from_slice(&row.bytes());
        self.id_keys
            .entry(row.id)
            .or_default()
            .push(self.ids.len() as u32);
        self.ids.push(row);
    }

    /// Appends the rows added since the last call to the files (not synced).
    pub fn write_pending(&mut self) -> std::io::Result<()> {
        self.pos.write_all(&self.pending.0)?;
        self.idl.write_all(&self.pending.1)?;
        self.pending.0.clear();
        self.pending.1.clear();
        Ok(())
    }

    pub fn sync(&mut self) -> std::io::Result<()> {
        self.write_pending()?;
        self.pos.sync_data()?;
        self.idl.sync_data()
    }

    pub fn stream(&self, key: u64) -> Vec<StreamRow> {
        self.streams
            .get(&key)
            .map(|at| at.iter().map(|i| self.rows[*i as usize]).collect())
            .unwrap_or_default()
    }

    fn ids_of(&self, key: u64) -> impl Iterator<Item = IdRow> + '_ {
        self.id_keys
            .get(&key)
            .into_iter()
            .flat_map(|at| at.iter().rev().map(|i| self.ids[*i as usize]))
    }

    /// Writes the sealed files of this segment, durably, and removes the active ones.
    pub fn seal(mut self, index: &Path) -> std::io::Result<Sealed> {
        self.write_pending()?;
        let first = self.first;
        let mut sorted = self.rows.clone();
        sorted.sort_by_key(|r| (r.stream, r.version, r.seq));
        write_file(
            &index_path(index, first, "str"),
            sorted.iter().map(|r| r.str_bytes(first)),
        )?;
        write_file(
            &index_path(index, first, "off"),
            self.rows.iter().map(|r| r.offset.to_le_bytes()),
        )?;
        let mut ids = self.ids.clone();
        ids.sort_by_key(|r| r.id);
        write_file(
            &index_path(index, first, "ids"),
            ids.iter().map(IdRow::bytes),
        )?;
        File::open(index)?.sync_all()?;
        std::fs::remove_file(index_path(index, first, "pos"))?;
        std::fs::remove_file(index_path(index, first, "idl"))?;
        Sealed::open(index, first, self.rows.len() as u64)?
            .ok_or_else(|| std::io::Error::other("a sealed index file is missing after sealing"))
    }
}

/// A sealed segment's index files.
pub struct Sealed {
    pub first: u64,
    pub count: u64,
    pub streams: Table,
    ids: Table,
    offsets: File,
}

impl Sealed {
    /// Segment `first`'s sealed files, if they are all there and sized for its `count` records.
    pub fn open(index: &Path, first: u64, count: u64) -> std::io::Result<Option<Sealed>> {
        let open = |ext: &str, width: usize| -> std::io::Result<Option<Table>> {
            match Table::open(&index_path(index, first, ext), width) {
                Ok(t) => Ok(Some(t)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        };
        let (Some(streams), Some(ids), Some(offsets)) = (
            open("str", STR_BYTES)?,
            open("ids", ID_BYTES)?,
            open("off", OFF_BYTES)?,
        ) else {
            return Ok(None);
        };
        if streams.rows != count || offsets.rows != count {
            return Ok(None);
        }
        Ok(Some(Sealed {
            first,
            count,
            streams,
            ids,
            offsets: File::open(index_path(index, first, "off"))?,
        }))
    }

    pub fn offset(&self, seq: u64) -> std::io::Result<u64> {
        let mut b = [0u8; OFF_BYTES];
        self.offsets
            .read_exact_at(&mut b, (seq - self.first) * OFF_BYTES as u64)?;
        Ok(u64::from(u32::from_le_bytes(b)))
    }

    pub fn stream(&self, key: u64) -> std::io::Result<Vec<StreamRow>> {
        Ok(self
            .streams
            .find(key)?
            .iter()
            .map(|b| StreamRow::from_str(b, self.first))
            .collect())
    }

    fn ids_of(&self, key: u64) -> std::io::Result<Vec<IdRow>> {
        let mut rows: Vec<IdRow> = self
            .ids
            .find(key)?
            .iter()
            .map(|b| IdRow::from_bytes(b))
            .collect();
        rows.reverse();
        Ok(rows)
    }
}

/// What the index holds: the sealed segments' files, the active segment's rows, and the last
/// record indexed.
#[derive(Default)]
pub struct State {
    pub sealed: BTreeMap<u64, Sealed>,
    pub active: Option<ActiveRows>,
    pub head: Digest,
}

/// The index: the rows, the mark, and the log's segments' first seqs.
pub struct Index {
    pub dir: PathBuf,
    pub state: RwLock<State>,
    pub segments: Arc<RwLock<Vec<u64>>>,
}

impl Index {
    pub fn files(&self) -> PathBuf {
        index_dir(&self.dir)
    }

    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The mark: the last record the index holds durably (empty for a new or missing index).
    pub fn mark(&self) -> Result<Digest, StoreError> {
        super::snapshot::read_mark(&self.files().join("mark"))
    }

    /// Adds `records` (in log order, after what the index holds) and the ids of their commands;
    /// `head` is the last record's digest. A record that starts a segment seals the active one
    /// first, with the ids of its records.
    pub fn add<'a>(
        &self,
        state: &mut State,
        records: impl IntoIterator<Item = &'a NewRecord>,
        ids: impl IntoIterator<Item = &'a (String, IdEntry)>,
        head: Digest,
    ) -> Result<(), StoreError> {
        let segments = self.segments.read().unwrap_or_else(|p| p.into_inner());
        let mut ids = ids.into_iter().peekable();
        let mut last: Option<&NewRecord> = None;
        for r in records {
            let starts = segments.binary_search(&r.seq).is_ok();
            let active = match state.active.take() {
                Some(mut a) if starts && a.first != r.seq => {
                    while let Some((id, e)) = ids.next_if(|(_, e)| e.first < r.seq) {
                        a.push_id(IdRow::new(id, e));
                    }
                    let sealed = a.seal(&self.files())?;
                    state.sealed.insert(sealed.first, sealed);
                    if let Some(l) = last {
                        state.head = Digest {
                            seq: l.seq,
                            hash: RecordHash::of(&l.bytes),
                        };
                    }
                    // Everything before the new segment is in sealed files: vouch for it.
                    self.put_mark(&state.head)?;
                    ActiveRows::create(&self.files(), r.seq)?
                }
                Some(a) => a,
                None => ActiveRows::create(&self.files(), r.seq)?,
            };
            let active = state.active.insert(active);
            let offset = u32::try_from(active.end).map_err(|_| too_big(active.first))?;
            active.push(StreamRow {
                stream: key_of(r.stream.as_bytes()),
                version: r.version as u32,
                seq: r.seq,
                offset,
                len: r.bytes.len() as u32,
            });
            last = Some(r);
        }
        if let Some(active) = state.active.as_mut() {
            for (id, e) in ids {
                active.push_id(IdRow::new(id, e));
            }
        }
        state.head = head;
        Ok(())
    }

    /// Adds ids after the records indexed so far (a migration's, with their fingerprints).
    pub fn put_ids(&self, ids: &[(String, IdEntry)]) -> Result<(), StoreError> {
        let mut state = self.write();
        let active = state
            .active
            .as_mut()
            .ok_or_else(|| StoreError::Corrupt("ids put in an empty index".to_owned()))?;
        for (id, e) in ids {
            active.push_id(IdRow::new(id, e));
        }
        Ok(())
    }

    /// Indexes commits.
    pub fn index(&self, batches: &[Arc<CommitBatch>]) -> Result<(), StoreError> {
        let Some(head) = batches.last().map(|b| b.head) else {
            return Ok(());
        };
        let mut state = self.write();
        self.add(
            &mut state,
            batches.iter().flat_map(|c| &c.records),
            batches.iter().flat_map(|c| &c.ids),
            head,
        )
    }

    /// Writes the mark, durably.
    pub fn put_mark(&self, head: &Digest) -> Result<(), StoreError> {
        super::snapshot::write_mark(&self.files().join("mark"), head)
    }

    /// Makes what the index holds durable: the active rows, then the mark that vouches for them.
    pub fn flush(&self) -> Result<(), StoreError> {
        let mut state = self.write();
        if let Some(active) = state.active.as_mut() {
            active.sync()?;
        }
        self.put_mark(&state.head)
    }

    /// Each stream row of `stream`, in log order.
    pub fn stream_rows(&self, stream: &str) -> Result<Vec<StreamRow>, StoreError> {
        let key = key_of(stream.as_bytes());
        let state = self.read();
        let mut out = Vec::new();
        for sealed in state.sealed.values() {
            out.extend(sealed.stream(key)?);
        }
        if let Some(active) = &state.active {
            out.extend(active.stream(key));
        }
        Ok(out)
    }

    /// The rows filed under `id`'s key, newest first.
    pub fn id_rows(&self, id: &str) -> Result<Vec<IdRow>, StoreError> {
        let key = key_of(id.as_bytes());
        let state = self.read();
        let mut out: Vec<IdRow> = state.active.iter().flat_map(|a| a.ids_of(key)).collect();
        for sealed in state.sealed.values().rev() {
            out.extend(sealed.ids_of(key)?);
        }
        Ok(out)
    }

    /// Where record `seq` starts in its segment, if the index holds it.
    pub fn offset_of(&self, seq: u64) -> Result<Option<u64>, StoreError> {
        let state = self.read();
        if let Some(active) = state.active.as_ref().filter(|a| seq >= a.first) {
            return Ok(active
                .rows
                .get((seq - active.first) as usize)
                .map(|r| u64::from(r.offset)));
        }
        match state.sealed.range(..=seq).next_back() {
            Some((_, s)) if seq < s.first + s.count => Ok(Some(s.offset(seq)?)),
            _ => Ok(None),
        }
    }

    /// The first record the index does not hold, and where it starts, when it is in the
    /// active segment.
    pub fn next(&self) -> Option<(u64, u64, u64)> {
        let state = self.read();
        let a = state.active.as_ref()?;
        Some((a.first, a.first + a.rows.len() as u64, a.end))
    }
}

fn too_big(segment: u64) -> StoreError {
    StoreError::Corrupt(format!(
        "segment {segment} has grown past 4 GiB, which its index cannot address"
    ))
}

impl Target for Index {
    fn apply(&self, batches: &[Arc<CommitBatch>]) -> Result<(), StoreError> {
        self.index(batches)
    }

    /// The store hands over a "generation" every so many bytes of log: the index is flushed,
    /// so that a crash costs at most that much catching up.
    fn retire_log(&self, _generation: u64) -> Result<(), StoreError> {
        self.flush()
    }
}
