//! The index's files, beside the log in `index/`, one set per segment (named by its first
//! sequence number, as the segment is):
//!
//! - `<first>.pos`, the active segment's positions in log order: for each record its stream
//!   (a 64-bit key), version, offset and length (20 bytes); the record's seq is its place.
//! - `<first>.idl`, the active segment's ids in the order they were used (32 bytes each).
//! - When the segment is sealed these become `<first>.str`, its stream entries sorted by stream
//!   and version (24 bytes each), `<first>.off`, each record's offset in log order (4 bytes),
//!   and `<first>.ids`, its ids sorted by key. They never change after.
//!
//! Streams and ids are filed under the first 8 bytes of their BLAKE3 hash (little endian); a
//! read checks the record it finds, so two names sharing a key cannot be confused. These files
//! hold about 50 bytes per record, once: the records themselves are only in the log.

use std::fs::File;
use std::io::{BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::store::FINGERPRINT_KEPT;

pub const POS_BYTES: usize = 20;
pub const STR_BYTES: usize = 24;
pub const OFF_BYTES: usize = 4;
pub const ID_BYTES: usize = 32;

/// A sealed table is searched through every `FENCE`th row's key, kept in memory.
const FENCE: usize = 64;

/// The 64-bit key a stream or an id is filed under.
pub fn key_of(name: &[u8]) -> u64 {
    let hash = blake3::hash(name);
    u64::from_le_bytes(hash.as_bytes()[..8].try_into().unwrap_or_default())
}

/// The path of one of segment `first`'s index files (`ext` one of the above).
pub fn index_path(index: &Path, first: u64, ext: &str) -> PathBuf {
    index.join(format!("{first:020}.{ext}"))
}

/// Where a record of a stream is: its stream's key and version, its seq, its place in its
/// segment. A length of zero is no entry (a removed one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamRow {
    pub stream: u64,
    pub version: u32,
    pub seq: u64,
    pub offset: u32,
    pub len: u32,
}

impl StreamRow {
    /// The active layout: seq is the row's place, so it is not written.
    pub fn pos_bytes(&self) -> [u8; POS_BYTES] {
        let mut b = [0u8; POS_BYTES];
        b[..8].copy_from_slice(&self.stream.to_le_bytes());
        b[8..12].copy_from_slice(&self.version.to_le_bytes());
        b[12..16].copy_from_slice(&self.offset.to_le_bytes());
        b[16..].copy_from_slice(&self.len.to_le_bytes());
        b
    }

    pub fn from_pos(b: &[u8], seq: u64) -> StreamRow {
        StreamRow {
            stream: u64_at(b, 0),
            version: u32_at(b, 8),
            seq,
            offset: u32_at(b, 12),
            len: u32_at(b, 16),
        }
    }

    /// The sealed layout: seq is written as its distance from the segment's first.
    pub fn str_bytes(&self, first: u64) -> [u8; STR_BYTES] {
        let mut b = [0u8; STR_BYTES];
        b[..8].copy_from_slice(&self.stream.to_le_bytes());
        b[8..12].copy_from_slice(&self.version.to_le_bytes());
        b[12..16].copy_from_slice(&((self.seq - first) as u32).to_le_bytes());
        b[16..20].copy_from_slice(&self.offset.to_le_bytes());
        b[20..].copy_from_slice(&self.len.to_le_bytes());
        b
    }

    pub fn from_str(b: &[u8], first: u64) -> StreamRow {
        StreamRow {
            stream: u64_at(b, 0),
            version: u32_at(b, 8),
            seq: first + u64::from(u32_at(b, 12)),
            offset: u32_at(b, 16),
            len: u32_at(b, 20),
        }
    }
}

/// A client or imported id: the records its command appended and the first 12 bytes of the
/// command's fingerprint (zeros when unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IdRow {
    pub id: u64,
    pub first: u64,
    pub count: u32,
    pub fingerprint: [u8; FINGERPRINT_KEPT],
}

impl IdRow {
    pub fn new(id: &str, e: &crate::store::IdEntry) -> IdRow {
        let mut fingerprint = [0u8; FINGERPRINT_KEPT];
        fingerprint.copy_from_slice(&e.fingerprint[..FINGERPRINT_KEPT]);
        IdRow {
            id: key_of(id.as_bytes()),
            first: e.first,
            count: e.last.saturating_sub(e.first) as u32,
            fingerprint,
        }
    }

    /// The entry it stands for (the fingerprint's other bytes are zeros).
    pub fn entry(&self) -> crate::store::IdEntry {
        let mut fingerprint = [0u8; 32];
        fingerprint[..FINGERPRINT_KEPT].copy_from_slice(&self.fingerprint);
        crate::store::IdEntry {
            first: self.first,
            last: self.first + u64::from(self.count),
            fingerprint,
        }
    }

    pub fn bytes(&self) -> [u8; ID_BYTES] {
        let mut b = [0u8; ID_BYTES];
        b[..8].copy_from_slice(&self.id.to_le_bytes());
        b[8..16].copy_from_slice(&self.first.to_le_bytes());
        b[16..20].copy_from_slice(&self.count.to_le_bytes());
        b[20..].copy_from_slice(&self.fingerprint);
        b
    }

    pub fn from_bytes(b: &[u8]) -> IdRow {
        let mut fingerprint = [0u8; FINGERPRINT_KEPT];
        fingerprint.copy_from_slice(&b[20..20 + FINGERPRINT_KEPT]);
        IdRow {
            id: u64_at(b, 0),
            first: u64_at(b, 8),
            count: u32_at(b, 16),
            fingerprint,
        }
    }
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default())
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or_default())
}

/// The rows of a whole file of `width`-byte rows (a torn last row is left out).
pub fn read_rows(path: &Path, width: usize) -> std::io::Result<Vec<Vec<u8>>> {
    let mut bytes = Vec::new();
    match File::open(path) {
        Ok(f) => BufReader::with_capacity(1 << 20, f).read_to_end(&mut bytes)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(e),
    };
    Ok(bytes.chunks_exact(width).map(<[u8]>::to_vec).collect())
}

/// A sealed file of rows sorted by their first 8 bytes (a key), searched by a fence of every
/// `FENCE`th key, read once at the first search.
pub struct Table {
    file: File,
    width: usize,
    pub rows: u64,
    fence: OnceLock<std::io::Result<Vec<u64>>>,
}

impl Table {
    pub fn open(path: &Path, width: usize) -> std::io::Result<Table> {
        let file = File::open(path)?;
        let rows = file.metadata()?.len() / width as u64;
        Ok(Table {
            file,
            width,
            rows,
            fence: OnceLock::new(),
        })
    }

    fn fence(&self) -> std::io::Result<&[u64]> {
        let fence = self.fence.get_or_init(|| {
            let mut reader = BufReader::with_capacity(1 << 20, &self.file);
            let mut row = vec![0u8; self.width];
            let mut fence = Vec::with_capacity(self.rows as usize / FENCE + 1);
            for i in 0..self.rows as usize {
                reader.read_exact(&mut row)?;
                if i % FENCE == 0 {
                    fence.push(u64_at(&row, 0));
                }
            }
            Ok(fence)
        });
        fence
            .as_deref()
            .map_err(|e| std::io::Error::new(e.kind(), e.to_string()))
    }

    /// The rows filed under `key`, in file order.
    pub fn find(&self, key: u64) -> std::io::Result<Vec<Vec<u8>>> {
        let fence = self.fence()?;
        // Blocks that may hold the key: from the last one starting below it (its rows may run
        // into the key) to the last one starting at or below it.
        let from = fence.partition_point(|k| *k < key).saturating_sub(1);
        let to = fence.partition_point(|k| *k <= key);
        if to == 0 {
            return Ok(Vec::new());
        }
        let first_row = from * FENCE;
        let end_row = (to * FENCE).min(self.rows as usize);
        let mut bytes = vec![0u8; (end_row - first_row) * self.width];
        self.file
            .read_exact_at(&mut bytes, (first_row * self.width) as u64)?;
        Ok(bytes
            .chunks_exact(self.width)
            .filter(|r| u64_at(r, 0) == key)
            .map(<[u8]>::to_vec)
            .collect())
    }

    /// Every row, in file order.
    pub fn all(&self) -> std::io::Result<Vec<Vec<u8>>> {
        let mut bytes = vec![0u8; self.rows as usize * self.width];
        self.file.read_exact_at(&mut bytes, 0)?;
        Ok(bytes.chunks_exact(self.width).map(<[u8]>::to_vec).collect())
    }
}

/// Writes `rows` to `path` durably, through a temporary file renamed into place.
pub fn write_file(
    path: &Path,
    rows: impl Iterator<Item = impl AsRef<[u8]>>,
) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
    for row in rows {
        out.write_all(row.as_ref())?;
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_data()?;
    std::fs::rename(&tmp, path)
}
