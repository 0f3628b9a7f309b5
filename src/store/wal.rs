//! The write-ahead log that makes a group commit durable with one `fdatasync`: each commit
//! appends one frame holding the whole `CommitBatch`, syncs it, and only then applies the batch
//! to sled (without sled's own flush). Opening replays the frames sled has not made durable yet;
//! a log checkpoint flushes sled and empties the log. A torn frame at the end (a crash mid-append)
//! is cut off: its commit was never acknowledged.
//!
//! The log is a series of files, `wal-<generation>`. When the current one is full the writer
//! starts the next (`rotate`) and goes on; the store's applier thread later makes sled durable
//! and removes the full ones (`remove_through`), so no commit waits for sled's flush.
//!
//! Frame: `"GLW2"`, payload length (u32 LE), payload, the first 8 bytes of BLAKE3(payload).
//!
//! The file is extended with zeroed space ahead of the frames, a few MiB at a time, so a
//! commit's `fdatasync` does not change the file's size (measured: up to a third more syncs a
//! second than appending). The frames end where the zeros begin.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{CommitBatch, IdEntry, NewRecord, StoreError};
use crate::record::{Digest, RecordHash};

const MAGIC: &[u8; 4] = b"GLW2";

/// Zeros written ahead of the frames at a time.
const EXTEND_BYTES: u64 = 4 << 20;

/// The current log file, its generation, how many bytes of frames it holds, and how long it is.
pub struct Wal {
    dir: PathBuf,
    generation: u64,
    file: File,
    len: u64,
    allocated: u64,
}

fn path(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("wal-{generation:016}"))
}

/// The log's generations in `dir`, oldest first.
fn generations(dir: &Path) -> std::io::Result<Vec<u64>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let generation = name.to_str().and_then(|n| n.strip_prefix("wal-"));
        if let Some(g) = generation.and_then(|g| g.parse().ok()) {
            found.push(g);
        }
    }
    found.sort_unstable();
    Ok(found)
}

/// The intact frames at the start of `all` and where they end.
fn frames(all: &[u8]) -> (Vec<CommitBatch>, usize) {
    let mut batches = Vec::new();
    let mut at = 0usize;
    while let Some(header) = all.get(at..at + 8) {
        let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let Some(payload) = all.get(at + 8..at + 8 + len) else {
            break;
        };
        let Some(check) = all.get(at + 8 + len..at + 16 + len) else {
            break;
        };
        if &header[..4] != MAGIC || &blake3::hash(payload).as_bytes()[..8] != check {
            break;
        }
        let Some(batch) = decode(payload) else { break };
        batches.push(batch);
        at += 16 + len;
    }
    (batches, at)
}

fn open_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

fn encode(batch: &CommitBatch) -> Vec<u8> {
    let size: usize = batch
        .records
        .iter()
        .map(|r| r.bytes.len() + r.stream.len() + 32)
        .sum();
    let mut p = Vec::with_capacity(size + 64);
    p.extend_from_slice(&batch.head.seq.to_le_bytes());
    p.extend_from_slice(&batch.head.hash.0);
    p.extend_from_slice(&(batch.records.len() as u32).to_le_bytes());
    for r in &batch.records {
        p.extend_from_slice(&r.seq.to_le_bytes());
        p.extend_from_slice(&r.version.to_le_bytes());
        put(&mut p, r.stream.as_bytes());
        put(&mut p, &r.bytes);
    }
    p.extend_from_slice(&(batch.ids.len() as u32).to_le_bytes());
    for (id, e) in &batch.ids {
        put(&mut p, id.as_bytes());
        p.extend_from_slice(&e.first.to_le_bytes());
        p.extend_from_slice(&e.last.to_le_bytes());
        p.extend_from_slice(&e.fingerprint);
    }
    let mut frame = Vec::with_capacity(p.len() + 16);
    frame.extend_from_slice(MAGIC);
    frame.extend_from_slice(&(p.len() as u32).to_le_bytes());
    frame.extend_from_slice(&p);
    frame.extend_from_slice(&blake3::hash(&p).as_bytes()[..8]);
    frame
}

/// Reads a payload; `None` when it is malformed.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn text(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?.to_vec()).ok()
    }
}

fn decode(p: &[u8]) -> Option<CommitBatch> {
    let mut c = Cursor(p);
    let seq = c.u64()?;
    let hash = RecordHash(c.take(32)?.try_into().ok()?);
    let mut records = Vec::new();
    for _ in 0..c.u32()? {
        records.push(NewRecord {
            seq: c.u64()?,
            version: c.u64()?,
            stream: c.text()?,
            bytes: c.bytes()?.to_vec(),
        });
    }
    let mut ids = Vec::new();
    for _ in 0..c.u32()? {
        let id = c.text()?;
        ids.push((
            id,
            IdEntry {
                first: c.u64()?,
                last: c.u64()?,
                fingerprint: c.take(32)?.try_into().ok()?,
            },
        ));
    }
    c.0.is_empty().then_some(CommitBatch {
        records,
        ids,
        head: Digest { seq, hash },
    })
}

impl Wal {
    /// Opens (or creates) the log in `dir` and returns the intact frames of every generation,
    /// oldest first; a torn tail of the newest is cut off.
    pub fn open(dir: &Path) -> Result<(Wal, Vec<CommitBatch>), StoreError> {
        let mut found = generations(dir)?;
        let generation = match found.pop() {
            Some(g) => g,
            None => {
                open_file(&path(dir, 1))?;
                File::open(dir)?.sync_all()?;
                1
            }
        };
        let mut batches = Vec::new();
        for g in found {
            // Full generations were synced frame by frame; what follows their frames is zeros.
            batches.extend(frames(&std::fs::read(path(dir, g))?).0);
        }
        let mut file = open_file(&path(dir, generation))?;
        let mut all = Vec::new();
        file.read_to_end(&mut all)?;
        let (current, at) = frames(&all);
        batches.extend(current);
        let mut allocated = all.len() as u64;
        if all[at..].iter().any(|&b| b != 0) {
            tracing::warn!(
                kept = at,
                dropped = all.len() - at,
                "cut a torn frame off the write-ahead log"
            );
            file.set_len(at as u64)?;
            file.sync_all()?;
            allocated = at as u64;
        }
        Ok((
            Wal {
                dir: dir.to_owned(),
                generation,
                file,
                len: at as u64,
                allocated,
            },
            batches,
        ))
    }

    /// Starts the next generation and returns the one that is now full.
    pub fn rotate(&mut self) -> std::io::Result<u64> {
        let next = self.generation + 1;
        let file = open_file(&path(&self.dir, next))?;
        File::open(&self.dir)?.sync_all()?;
        let full = self.generation;
        *self = Wal {
            dir: self.dir.clone(),
            generation: next,
            file,
            len: 0,
            allocated: 0,
        };
        Ok(full)
    }

    /// Removes the generations up to `generation` once sled holds their commits durably.
    pub fn remove_through(dir: &Path, generation: u64) -> std::io::Result<()> {
        for g in generations(dir)?.into_iter().filter(|g| *g <= generation) {
            match std::fs::remove_file(path(dir, g)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        File::open(dir)?.sync_all()
    }

    /// Allocates zeroed space past the end until `needed` bytes fit, durably.
    fn extend(&mut self, needed: u64) -> std::io::Result<()> {
        self.allocated = super::prealloc::extend(&self.file, self.allocated, needed, EXTEND_BYTES)?;
        Ok(())
    }

    /// Appends a batch and makes it durable. On failure the log is cut back to what it was.
    pub fn append(&mut self, batch: &CommitBatch) -> Result<(), StoreError> {
        let frame = encode(batch);
        let written = self
            .extend(self.len + frame.len() as u64)
            .and_then(|()| self.file.write_all_at_end(&frame, self.len))
            .and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.len += frame.len() as u64;
                Ok(())
            }
            Err(e) => {
                // Leave no partial frame for a later one to follow.
                let _ = self.file.set_len(self.len);
                self.allocated = self.len;
                Err(e.into())
            }
        }
    }

    /// Bytes in the log.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Empties the log once sled holds everything durably.
    pub fn clear(&mut self) -> Result<(), StoreError> {
        Wal::remove_through(&self.dir, self.generation - 1)?;
        self.file.set_len(0)?;
        self.file.sync_all()?;
        self.len = 0;
        self.allocated = 0;
        Ok(())
    }
}

trait WriteAt {
    fn write_all_at_end(&mut self, bytes: &[u8], offset: u64) -> std::io::Result<()>;
}

impl WriteAt for File {
    fn write_all_at_end(&mut self, bytes: &[u8], offset: u64) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        self.write_all_at(bytes, offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_survives_the_frame_round_trip_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let batch = CommitBatch {
            records: vec![NewRecord {
                seq: 1,
                bytes: b"{\"seq\":1}".to_vec(),
                stream: "team:sales".into(),
                version: 1,
            }],
            ids: vec![(
                "q3-0001".into(),
                IdEntry {
                    first: 1,
                    last: 1,
                    fingerprint: [7; 32],
                },
            )],
            head: Digest {
                seq: 1,
                hash: RecordHash([9; 32]),
            },
        };
        let frame = {
            let (mut wal, found) = Wal::open(dir.path()).unwrap();
            assert!(found.is_empty());
            wal.append(&batch).unwrap();
            wal.append(&batch).unwrap();
            wal.len() / 2
        };
        // The zeros ahead of the frames are not a torn frame.
        let path = path(dir.path(), 1);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), EXTEND_BYTES);
        let (wal, found) = Wal::open(dir.path()).unwrap();
        assert_eq!((found.len(), wal.len()), (2, 2 * frame));
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            EXTEND_BYTES,
            "zeros are kept: opening cuts nothing off an intact log"
        );
        drop(wal);
        // Tear the second frame.
        OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(2 * frame - 3)
            .unwrap();
        let (wal, found) = Wal::open(dir.path()).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].records[0].bytes, batch.records[0].bytes);
        assert_eq!(found[0].ids[0].1, batch.ids[0].1);
        assert_eq!(found[0].head, batch.head);
        assert_eq!(wal.len(), frame);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), frame);
    }

    #[test]
    fn full_generations_are_replayed_until_removed() {
        let dir = tempfile::tempdir().unwrap();
        let batch = |seq| CommitBatch {
            records: Vec::new(),
            ids: Vec::new(),
            head: Digest {
                seq,
                hash: RecordHash([seq as u8; 32]),
            },
        };
        let full = {
            let (mut wal, _) = Wal::open(dir.path()).unwrap();
            wal.append(&batch(1)).unwrap();
            let full = wal.rotate().unwrap();
            wal.append(&batch(2)).unwrap();
            full
        };
        let heads = |found: Vec<CommitBatch>| found.iter().map(|b| b.head.seq).collect::<Vec<_>>();
        assert_eq!(heads(Wal::open(dir.path()).unwrap().1), [1, 2]);
        Wal::remove_through(dir.path(), full).unwrap();
        let (mut wal, found) = Wal::open(dir.path()).unwrap();
        assert_eq!(heads(found), [2]);
        wal.clear().unwrap();
        assert!(Wal::open(dir.path()).unwrap().1.is_empty());
        // Clearing keeps the current generation's file: what is appended next survives.
        wal.append(&batch(3)).unwrap();
        drop(wal);
        assert_eq!(heads(Wal::open(dir.path()).unwrap().1), [3]);
    }

    #[test]
    fn removing_a_generation_that_cannot_be_removed_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(path(dir.path(), 1)).unwrap();
        assert!(Wal::remove_through(dir.path(), 1).is_err());
    }

    #[test]
    fn the_log_grows_by_whole_extents_of_zeros_as_frames_need_them() {
        let dir = tempfile::tempdir().unwrap();
        let batch = |seq: u64| CommitBatch {
            records: vec![NewRecord {
                seq,
                bytes: vec![b'x'; 1 << 20],
                stream: "team:sales".into(),
                version: seq,
            }],
            ids: Vec::new(),
            head: Digest {
                seq,
                hash: RecordHash([1; 32]),
            },
        };
        let file = path(dir.path(), 1);
        let (mut wal, _) = Wal::open(dir.path()).unwrap();
        wal.append(&batch(1)).unwrap();
        assert_eq!(std::fs::metadata(&file).unwrap().len(), EXTEND_BYTES);
        for seq in 2..=5 {
            wal.append(&batch(seq)).unwrap();
        }
        assert!(wal.len() > EXTEND_BYTES);
        assert_eq!(std::fs::metadata(&file).unwrap().len(), 2 * EXTEND_BYTES);
    }

    #[test]
    fn a_frame_with_a_wrong_magic_or_checksum_ends_the_intact_frames() {
        let batch = CommitBatch {
            records: vec![NewRecord {
                seq: 1,
                bytes: b"{\"seq\":1}".to_vec(),
                stream: "team:sales".into(),
                version: 1,
            }],
            ids: vec![],
            head: Digest {
                seq: 1,
                hash: RecordHash([9; 32]),
            },
        };
        let one = encode(&batch);
        let two = [one.clone(), one.clone()].concat();
        assert_eq!(frames(&one).0[0].records[0].bytes, batch.records[0].bytes);
        assert_eq!(frames(&two).0.len(), 2);
        // A payload byte flipped inside the record: the frame still decodes, but its checksum
        // no longer matches.
        let at = one.len()
            + 8
            + two[one.len() + 8..]
                .windows(3)
                .position(|w| w == b"seq")
                .unwrap();
        let mut flipped = two.clone();
        flipped[at] = b'S';
        let (found, end) = frames(&flipped);
        assert_eq!((found.len(), end), (1, one.len()));
        // The magic changed, the checksum intact.
        let mut renamed = two.clone();
        renamed[one.len()] ^= 0x20;
        let (found, end) = frames(&renamed);
        assert_eq!((found.len(), end), (1, one.len()));
    }
}
