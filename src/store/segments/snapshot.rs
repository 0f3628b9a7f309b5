//! The index's two small files that are not rows: `index/mark`, the last record the index
//! vouches for (its seq and hash, then a check), and `index/snapshot`, the projection snapshot
//! (its mark, then each entry's key and value, LZ4-compressed, then the BLAKE3 hash of all of
//! it: the projections are JSON, and a thousand goals' take 600 KB as they are, 15 % of a
//! 10,000-event ledger). Both are
//! rebuilt or done without when unreadable: a missing mark rebuilds the index from the log, a
//! missing snapshot makes opening replay from record 1.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::record::{Digest, RecordHash};
use crate::store::{ProjectionEntry, StoreError};

const MARK_BYTES: usize = 48;
const MAGIC: &[u8; 8] = b"glsnap2\n";

fn check(bytes: &[u8]) -> [u8; 8] {
    let mut c = [0u8; 8];
    c.copy_from_slice(&blake3::hash(bytes).as_bytes()[..8]);
    c
}

/// The mark in `path`, or the empty mark when there is none (or it does not check out).
pub fn read_mark(path: &Path) -> Result<Digest, StoreError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Digest::EMPTY),
        Err(e) => return Err(e.into()),
    };
    if bytes.len() != MARK_BYTES || check(&bytes[..40]) != bytes[40..] {
        tracing::warn!(path = %path.display(), "the index's mark does not read; the index is rebuilt");
        return Ok(Digest::EMPTY);
    }
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&bytes[8..40]);
    Ok(Digest {
        seq: u64::from_le_bytes(bytes[..8].try_into().unwrap_or_default()),
        hash: RecordHash(hash),
    })
}

/// Writes the mark in place and syncs it (48 bytes: one sector, written whole or not at all;
/// a torn one fails its check and the index is rebuilt).
pub fn write_mark(path: &Path, mark: &Digest) -> Result<(), StoreError> {
    let mut bytes = [0u8; MARK_BYTES];
    bytes[..8].copy_from_slice(&mark.seq.to_le_bytes());
    bytes[8..40].copy_from_slice(&mark.hash.0);
    let c = check(&bytes[..40]);
    bytes[40..].copy_from_slice(&c);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    file.write_all_at(&bytes, 0)?;
    file.sync_data()?;
    Ok(())
}

/// A projection snapshot: the sequence it covers and its format, and its entries.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub mark: (u64, u32),
    pub entries: BTreeMap<Vec<u8>, Vec<u8>>,
}

/// The snapshot in `path`, if there is one that reads.
pub fn read(path: &Path) -> Result<Option<Snapshot>, StoreError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let parsed = bytes
        .len()
        .checked_sub(32)
        .filter(|&end| blake3::hash(&bytes[..end]).as_bytes() == &bytes[end..])
        .and_then(|end| bytes[..end].strip_prefix(MAGIC))
        .and_then(|packed| lz4_flex::block::decompress_size_prepended(packed).ok())
        .and_then(|plain| parse(&plain));
    if parsed.is_none() {
        tracing::warn!(path = %path.display(), "the projection snapshot does not read; opening replays the log instead");
    }
    Ok(parsed)
}

fn parse(bytes: &[u8]) -> Option<Snapshot> {
    let mut rest = bytes;
    let mut take = |n: usize| -> Option<&[u8]> {
        let (head, tail) = (rest.get(..n)?, rest.get(n..)?);
        rest = tail;
        Some(head)
    };
    let seq = u64::from_le_bytes(take(8)?.try_into().ok()?);
    let format = u32::from_le_bytes(take(4)?.try_into().ok()?);
    let mut entries = BTreeMap::new();
    while let Some(len) = take(4) {
        let key = take(u32::from_le_bytes(len.try_into().ok()?) as usize)?.to_vec();
        let len = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
        entries.insert(key, take(len)?.to_vec());
    }
    Some(Snapshot {
        mark: (seq, format),
        entries,
    })
}

/// Writes `entries` (a `None` value removes its key) over the snapshot in `path`, or in place
/// of it with `replace`, with the mark; durably, through a temporary file renamed into place.
pub fn save(
    path: &Path,
    entries: Vec<ProjectionEntry>,
    mark: (u64, u32),
    replace: bool,
) -> Result<Snapshot, StoreError> {
    let mut snapshot = match replace {
        true => Snapshot::default(),
        false => read(path)?.unwrap_or_default(),
    };
    for (key, value) in entries {
        match value {
            Some(v) => snapshot.entries.insert(key, v),
            None => snapshot.entries.remove(&key),
        };
    }
    snapshot.mark = mark;
    let mut plain = Vec::new();
    plain.extend_from_slice(&mark.0.to_le_bytes());
    plain.extend_from_slice(&mark.1.to_le_bytes());
    for (k, v) in &snapshot.entries {
        plain.extend_from_slice(&(k.len() as u32).to_le_bytes());
        plain.extend_from_slice(k);
        plain.extend_from_slice(&(v.len() as u32).to_le_bytes());
        plain.extend_from_slice(v);
    }
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&lz4_flex::block::compress_prepend_size(&plain));
    let hash = blake3::hash(&bytes);
    bytes.extend_from_slice(hash.as_bytes());
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, &bytes)?;
    File::open(&tmp)?.sync_data()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(snapshot)
}

/// Holds the data directory's lock (on its `log/` folder) while the store is open: one process
/// at a time, as sled's lock did. Waits up to half a second for a lock being released.
pub fn lock(log: &Path, dir: &Path) -> Result<File, StoreError> {
    use std::os::fd::AsRawFd;
    let file = File::open(log)?;
    for attempt in 0.. {
        // SAFETY: flock on a descriptor this function owns; no memory is involved.
        let held = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if held == 0 {
            return Ok(file);
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::WouldBlock {
            return Err(e.into());
        }
        if attempt >= 10 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Err(StoreError::Locked {
        dir: dir.to_owned(),
    })
}
