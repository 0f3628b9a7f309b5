//! Bringing the index up to the log, at open and after a failure: the index's mark must name a
//! record the log holds where the index says; the records after it are indexed in order, each
//! continuing the chain; the active segment's torn tail (a commit that was written but never
//! acknowledged) is cut. What does not fit (a mark the log no longer holds, a record after it
//! that breaks the chain) leaves the store damaged: it still opens for auditing, refuses
//! writes, and `verify` names what changed.

use std::path::Path;

use super::files::{self, Lines};
use super::index::{Cursor, Fields, Index, Mark, MARK_KEY};
use crate::record::{Digest, RecordHash};
use crate::store::{IdEntry, NewRecord, StoreError};

/// Records indexed per sled batch while catching up.
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

/// The index's mark, or the empty mark of a new or missing index.
pub fn read_mark(index: &Index) -> Result<Mark, StoreError> {
    match index
        .db()?
        .get(MARK_KEY)
        .map_err(|e| crate::store::sled::sled_error(&index.dir, e))?
    {
        Some(v) => super::index::read_mark(&v),
        None => Ok(Mark::default()),
    }
}

/// Whether the log holds the mark's record where the mark says, followed by its `\n`.
fn mark_holds(log: &Path, mark: &Mark) -> bool {
    if mark.head.seq == 0 {
        return true;
    }
    let Ok(file) = std::fs::File::open(files::segment_path(log, mark.at.segment)) else {
        return false;
    };
    match files::read_at(&file, mark.at.offset, mark.at.len as usize + 1) {
        Ok(mut bytes) => bytes.pop() == Some(b'\n') && RecordHash::of(&bytes) == mark.head.hash,
        Err(_) => false,
    }
}

/// Indexes the records after the index's mark and says where the log ends.
pub fn catch_up(index: &Index, log: &Path) -> Result<Found, StoreError> {
    let segments = index
        .segments
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let mark = read_mark(index)?;
    let last_segment = segments.last().copied().unwrap_or(1);
    let mut found = Found {
        head: mark.head,
        active: last_segment,
        end: 0,
        damaged: None,
    };
    if !mark_holds(log, &mark) {
        found.damaged = Some(format!(
            "the log does not hold record {} where its index says (removed or rewritten)",
            mark.head.seq
        ));
        *index.cursor.lock().unwrap_or_else(|p| p.into_inner()) = Cursor::after(mark);
        return Ok(found);
    }
    let mut cursor = Cursor::after(mark);
    let mut pending: Vec<NewRecord> = Vec::new();
    let mut ids: Vec<(String, IdEntry)> = Vec::new();
    let from = segments.partition_point(|s| *s < cursor.next.segment);
    for (i, &segment) in segments.iter().enumerate().skip(from) {
        let path = files::segment_path(log, segment);
        let offset = if segment == cursor.next.segment {
            cursor.next.offset
        } else {
            0
        };
        let limit = std::fs::metadata(&path)?.len();
        let last = i + 1 == segments.len();
        let mut end = offset;
        for line in Lines::open(&path, offset, limit)? {
            let line = line?;
            if !line.complete && last {
                break; // a torn tail: cut below
            }
            if let Err(why) = continues(&line.bytes, &found.head, !line.complete) {
                found.damaged = Some(why);
                break;
            }
            found.head = Digest {
                seq: found.head.seq + 1,
                hash: RecordHash::of(&line.bytes),
            };
            end = line.offset + line.bytes.len() as u64 + 1;
            add_ids(&mut ids, &line.bytes, found.head.seq);
            pending.push(new_record(line.bytes, found.head.seq));
            if pending.len() >= BATCH {
                flush(index, &mut cursor, &mut pending, &mut ids)?;
            }
        }
        flush(index, &mut cursor, &mut pending, &mut ids)?;
        if found.damaged.is_some() {
            break;
        }
        if last {
            found.end = end;
        }
    }
    *index.cursor.lock().unwrap_or_else(|p| p.into_inner()) = cursor;
    Ok(found)
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

fn flush(
    index: &Index,
    cursor: &mut Cursor,
    pending: &mut Vec<NewRecord>,
    ids: &mut Vec<(String, IdEntry)>,
) -> Result<(), StoreError> {
    if pending.is_empty() {
        return Ok(());
    }
    let mut b = sled::Batch::default();
    index.add(&mut b, cursor, pending.iter(), ids.iter())?;
    index
        .db()?
        .apply_batch(b)
        .map_err(|e| crate::store::sled::sled_error(&index.dir, e))?;
    pending.clear();
    // The last id may go on in the next batch; it is written again then.
    let keep = ids.pop();
    ids.clear();
    ids.extend(keep);
    Ok(())
}
