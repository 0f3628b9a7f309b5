//! Bringing the index up to the log, at open and after a failure. The index's mark (in sled)
//! vouches for the rows up to a record; the rows after it are not trusted: the segment holding
//! the next record is indexed again from the log (from the mark itself when the active
//! segment's rows reach it), each record continuing the chain, and the mark's record must be
//! the one the mark names. The active segment's torn tail (a commit that was written but never
//! acknowledged) is cut. What does not fit (a mark the log no longer holds, a record that breaks
//! the chain) leaves the store damaged: it still opens for auditing, refuses writes, and
//! `verify` names what changed. A sealed segment whose files are missing or the wrong size
//! has the whole index rebuilt.

use std::path::Path;

use super::files::{self, Lines};
use super::index::{ActiveRows, Fields, Index, Sealed, State};
use crate::record::{Digest, RecordHash};
use crate::store::{IdEntry, NewRecord, StoreError};

/// Records indexed at a time while catching up.
const BATCH: usize = 4096;

/// The log as catching up found it.
#[derive(Debug, Clone)]
pub struct Found {
    /// The head: the last record of the log, or the index's mark when the log lost it.
    pub head: Digest,
    /// The active (last) segment and the bytes of records in it.
    pub active: u64,
    pub end: u64,
    /// Why writes are refused, when the log and the index disagree.
    pub damaged: Option<String>,
}

fn not_held(mark: &Digest) -> String {
    format!(
        "the log does not hold record {} where its index says (removed or rewritten)",
        mark.seq
    )
}

/// Record `at` of the active rows: whether the log holds it there, with the mark's hash.
fn mark_holds(log: &Path, active: &ActiveRows, mark: &Digest) -> bool {
    let Some(row) = active.rows.get((mark.seq - active.first) as usize) else {
        return false;
    };
    let Ok(file) = std::fs::File::open(files::segment_path(log, active.first)) else {
        return false;
    };
    match files::read_at(&file, row.offset.into(), row.len as usize + 1) {
        Ok(mut bytes) => bytes.pop() == Some(b'\n') && RecordHash::of(&bytes) == mark.hash,
        Err(_) => false,
    }
}

/// The sealed segments before `upto` (an index into `segments`), if all their files are there.
/// A segment the log sealed while the index still held it as the active one (no record came
/// after it) is sealed in the index now.
fn open_sealed(
    index: &Path,
    segments: &[u64],
    upto: usize,
    mark: &Digest,
) -> Result<Option<State>, StoreError> {
    let mut state = State::default();
    for (i, &first) in segments.iter().enumerate().take(upto) {
        let count = segments[i + 1] - first;
        let sealed = match Sealed::open(index, first, count)? {
            Some(s) => s,
            None => {
                let rows = ActiveRows::load(index, first, count, mark.seq)?;
                if rows.rows.len() as u64 != count {
                    return Ok(None);
                }
                rows.seal(index)?
            }
        };
        state.sealed.insert(first, sealed);
    }
    Ok(Some(state))
}

/// Removes every file of the index's rows, so it is built again from the log.
fn remove_rows(index: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(index)? {
        let path = entry?.path();
        let ours = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| ["pos", "idl", "str", "off", "ids", "tmp"].contains(&e));
        if ours {
            std::fs::remove_file(path)?;
        }
    }
    Ok(())
}

/// Where catching up starts: the state it keeps, the segment (its index in `segments`) and
/// offset to read from, and the digest of the record before.
struct Start {
    state: State,
    segment: usize,
    offset: u64,
    before: Option<Digest>,
    /// Whether the mark's record is where the rows say (when they reach it).
    holds: bool,
}

/// Finds where to start from the mark.
fn start(index: &Index, log: &Path, segments: &[u64], mark: &Digest) -> Result<Start, StoreError> {
    let files = index.files();
    let at = segments
        .partition_point(|s| *s <= mark.seq + 1)
        .saturating_sub(1);
    let Some(mut state) = open_sealed(&files, segments, at, mark)? else {
        tracing::warn!(dir = %index.dir.display(), "the index's files are incomplete; rebuilding the index from the log");
        remove_rows(&files)?;
        return Ok(Start {
            state: State::default(),
            segment: 0,
            offset: 0,
            before: Some(Digest::EMPTY),
            holds: true,
        });
    };
    let first = segments[at];
    let last = at + 1 == segments.len();
    if last && mark.seq >= first {
        let active = ActiveRows::load(&files, first, mark.seq - first + 1, mark.seq)?;
        if active.rows.len() as u64 == mark.seq - first + 1 {
            let holds = mark_holds(log, &active, mark);
            let offset = active.end;
            state.active = Some(active);
            state.head = *mark;
            return Ok(Start {
                state,
                segment: at,
                offset,
                before: Some(*mark),
                holds,
            });
        }
    }
    // The segment is indexed again from its start; what comes before it is taken on trust
    // from its first record (verify checks that link), but record 1 links to nothing.
    state.active = Some(ActiveRows::create(&files, first)?);
    Ok(Start {
        state,
        segment: at,
        offset: 0,
        before: (first == 1).then_some(Digest::EMPTY),
        holds: true,
    })
}

/// Indexes the records after the index's mark and says where the log ends.
pub fn catch_up(index: &Index, log: &Path) -> Result<Found, StoreError> {
    let segments = index
        .segments
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let mark = index.mark()?;
    let start = start(index, log, &segments, &mark)?;
    let mut found = Found {
        head: mark,
        active: segments.last().copied().unwrap_or(1),
        end: 0,
        damaged: None,
    };
    let mut state = start.state;
    if !start.holds {
        found.damaged = Some(not_held(&mark));
        *index.write() = state;
        return Ok(found);
    }
    let mut walk = Walk {
        head: start.before,
        mark,
        pending: Vec::new(),
        ids: Vec::new(),
        written: None,
    };
    for (i, &segment) in segments.iter().enumerate().skip(start.segment) {
        let path = files::segment_path(log, segment);
        let offset = if i == start.segment { start.offset } else { 0 };
        let limit = std::fs::metadata(&path)?.len();
        let last = i + 1 == segments.len();
        let mut end = offset;
        for line in Lines::open(&path, offset, limit)? {
            let line = line?;
            if !line.complete && last {
                break; // a torn tail: cut below
            }
            let next = line.offset + line.bytes.len() as u64 + 1;
            if let Err(why) = walk.take(line.bytes, !line.complete, segment) {
                found.damaged = Some(why);
                break;
            }
            end = next;
            if walk.pending.len() >= BATCH {
                walk.flush(index, &mut state)?;
            }
        }
        walk.flush(index, &mut state)?;
        if found.damaged.is_some() {
            break;
        }
        if last {
            found.end = end;
        }
    }
    let head = walk.head.unwrap_or(mark);
    if found.damaged.is_none() && head.seq < mark.seq {
        found.damaged = Some(not_held(&mark));
    }
    if found.damaged.is_none() {
        found.head = head;
    }
    *index.write() = state;
    Ok(found)
}

/// The records read while catching up, waiting to be indexed, and the chain so far.
struct Walk {
    /// The last record read; `None` before the first when it is taken on trust.
    head: Option<Digest>,
    mark: Digest,
    pending: Vec<NewRecord>,
    ids: Vec<(String, IdEntry)>,
    /// The last id added: the next batch may go on with its command (then it is added again,
    /// and the newer row is the one found).
    written: Option<(String, IdEntry)>,
}

impl Walk {
    /// Takes the next record, if it continues the chain (and is the mark's record where the
    /// mark says).
    fn take(&mut self, bytes: Vec<u8>, torn: bool, segment: u64) -> Result<(), String> {
        let head = match self.head {
            Some(h) => h,
            None => trusted_before(&bytes, segment)?,
        };
        continues(&bytes, &head, torn)?;
        let next = Digest {
            seq: head.seq + 1,
            hash: RecordHash::of(&bytes),
        };
        if next.seq == self.mark.seq && next.hash != self.mark.hash {
            return Err(not_held(&self.mark));
        }
        self.head = Some(next);
        add_ids(&mut self.ids, &bytes, next.seq);
        self.pending.push(new_record(bytes, next.seq));
        Ok(())
    }

    fn flush(&mut self, index: &Index, state: &mut State) -> Result<(), StoreError> {
        let Some(head) = self.head.filter(|_| !self.pending.is_empty()) else {
            return Ok(());
        };
        if self.ids.first() == self.written.as_ref() {
            self.ids.remove(0);
        }
        index.add(state, self.pending.iter(), self.ids.iter(), head)?;
        self.pending.clear();
        self.written = self.ids.pop();
        self.ids.clear();
        self.ids.extend(self.written.clone());
        Ok(())
    }
}

/// The record before the first of `segment`, as that record names it.
fn trusted_before(bytes: &[u8], segment: u64) -> Result<Digest, String> {
    match crate::record::read_link(bytes) {
        Ok((_, prev)) => Ok(Digest {
            seq: segment - 1,
            hash: prev,
        }),
        Err(e) => Err(format!("record {segment} is unreadable: {e}")),
    }
}

/// Whether `bytes` are the record after `head`.
fn continues(bytes: &[u8], head: &Digest, torn: bool) -> Result<(), String> {
    let next = head.seq + 1;
    if torn {
        return Err(format!("record {next} is cut short in a sealed segment"));
    }
    match crate::record::read_link(bytes) {
        Ok((seq, prev)) if seq == next && prev == head.hash => Ok(()),
        Ok((seq, _)) if seq != next => Err(format!(
            "the log holds record {seq} where record {next} belongs"
        )),
        Ok(_) => Err(format!(
            "record {next} does not link to record {}",
            head.seq
        )),
        Err(e) => Err(format!("record {next} is unreadable: {e}")),
    }
}

fn new_record(bytes: Vec<u8>, seq: u64) -> NewRecord {
    let (stream, version) = match Fields::read(&bytes) {
        Some(f) => (f.stream.into_owned(), f.version),
        None => (String::new(), 0),
    };
    NewRecord {
        seq,
        bytes,
        stream,
        version,
    }
}

/// Indexes a record's id as an import does: `base/n` ids continue the command of `base`.
/// Fingerprints are not in the log, so a rebuilt id entry has none (a retry is answered as a
/// replay without comparing bodies).
fn add_ids(ids: &mut Vec<(String, IdEntry)>, bytes: &[u8], seq: u64) {
    let Some(id) = Fields::read(bytes).and_then(|f| f.id) else {
        return;
    };
    match (id.split_once('/'), ids.last_mut()) {
        (Some((base, _)), Some((last, entry))) if base == last => entry.last = seq,
        _ => ids.push((
            id.into_owned(),
            IdEntry {
                first: seq,
                last: seq,
                fingerprint: [0; 32],
            },
        )),
    }
}
