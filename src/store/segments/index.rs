//! The index, in sled: only what is derived from the log and small. Keys, one tree:
//! `s`+stream+0+first version → a chunk of that stream's entries (seq, and the record's
//! offset (u64 BE) and length (u32 BE) in its segment); `i`+id → first, last, fingerprint;
//! `o`+seq → the offset of record seq in its segment (sparse: one every `SPARSE_RECORDS`
//! records or `SPARSE_BYTES` bytes, and the first of each segment); `mindexed` → the mark:
//! the last record indexed (seq, hash, segment, offset, length); `p`+key and `mcheckpoint` →
//! the projection snapshot, as in the sled layout. The index may lag the log: opening catches
//! it up, and a missing index is rebuilt from the segments.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use serde::Deserialize;

use crate::record::{Digest, RecordHash};
use crate::store::applier::Target;
use crate::store::chunk::Chunk;
use crate::store::sled::keys::id_key;
pub use crate::store::sled::keys::stream_key;
use crate::store::sled::{retrying, sled_error};
use crate::store::{CommitBatch, IdEntry, NewRecord, StoreError};

pub const STREAM: u8 = b's';
pub const SPARSE: u8 = b'o';
pub const MARK_KEY: &[u8] = b"mindexed";

/// A stream's last chunk of entries is filled up to this size before the next one starts, so a
/// stream costs a key per ~170 records, not one per commit.
const STREAM_CHUNK_BYTES: usize = 4 << 10;

/// A sparse position at least every this many records...
const SPARSE_RECORDS: u64 = 64;
/// ... or this many bytes, whichever comes first.
const SPARSE_BYTES: u64 = 32 << 10;

/// Opens the index of the data directory `dir` (in `dir/index`), waiting a moment for a lock
/// being released; a held lock names the data directory.
pub fn open_index(dir: &std::path::Path) -> Result<sled::Db, StoreError> {
    let path = dir.join("index");
    let config = sled::Config::new()
        .path(&path)
        .segment_size(1 << 20)
        .cache_capacity(32 << 20)
        .flush_every_ms(None);
    match retrying(|| config.open().map_err(|e| sled_error(&path, e))) {
        Ok(db) => Ok(db),
        Err(StoreError::Locked { .. }) => Err(StoreError::Locked {
            dir: dir.to_owned(),
        }),
        Err(e) => Err(e),
    }
}

pub fn sparse_key(seq: u64) -> [u8; 9] {
    let mut k = [SPARSE; 9];
    k[1..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// An id entry's value: the first record (LEB128), how many more (LEB128), and the command's
/// fingerprint only when there is one (an imported or rebuilt id has none): 2 to 3 bytes for
/// most ids instead of 48.
pub fn id_value(e: &IdEntry) -> Vec<u8> {
    let mut v = Vec::with_capacity(52);
    put_varint(&mut v, e.first);
    put_varint(&mut v, e.last.saturating_sub(e.first));
    if e.fingerprint != [0; 32] {
        v.extend_from_slice(&e.fingerprint);
    }
    v
}

pub fn read_id(id: &str, v: &[u8]) -> Result<IdEntry, StoreError> {
    let bad = || StoreError::Corrupt(format!("the id entry of {id:?} does not read"));
    let (first, rest) = varint(v).ok_or_else(bad)?;
    let (more, rest) = varint(rest).ok_or_else(bad)?;
    let fingerprint = match rest.len() {
        0 => [0; 32],
        32 => rest.try_into().map_err(|_| bad())?,
        _ => return Err(bad()),
    };
    Ok(IdEntry {
        first,
        last: first.checked_add(more).ok_or_else(bad)?,
        fingerprint,
    })
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A LEB128 number at the start of `bytes`, and what follows it.
fn varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut n = 0u64;
    for (i, b) in bytes.iter().enumerate().take(10) {
        n |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((n, &bytes[i + 1..]));
        }
    }
    None
}

/// Where a record is: the first sequence number of its segment, its offset there, its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub segment: u64,
    pub offset: u64,
    pub len: u32,
}

/// A stream entry's bytes: offset (u64 BE) and length (u32 BE); the seq is the chunk entry's.
pub fn position_value(p: &Position) -> [u8; 12] {
    let mut v = [0u8; 12];
    v[..8].copy_from_slice(&p.offset.to_be_bytes());
    v[8..].copy_from_slice(&p.len.to_be_bytes());
    v
}

/// A stream entry's offset and length.
pub fn read_position(v: &[u8]) -> Result<(u64, u32), StoreError> {
    match (v.get(..8), v.get(8..12), v.len()) {
        (Some(o), Some(l), 12) => Ok((
            u64::from_be_bytes(o.try_into().unwrap_or_default()),
            u32::from_be_bytes(l.try_into().unwrap_or_default()),
        )),
        _ => Err(StoreError::Corrupt(format!(
            "an index entry is {} bytes long",
            v.len()
        ))),
    }
}

/// The last record the index holds, and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mark {
    pub head: Digest,
    pub at: Position,
}

pub fn mark_value(m: &Mark) -> [u8; 60] {
    let mut v = [0u8; 60];
    v[..8].copy_from_slice(&m.head.seq.to_be_bytes());
    v[8..40].copy_from_slice(&m.head.hash.0);
    v[40..48].copy_from_slice(&m.at.segment.to_be_bytes());
    v[48..56].copy_from_slice(&m.at.offset.to_be_bytes());
    v[56..].copy_from_slice(&m.at.len.to_be_bytes());
    v
}

pub fn read_mark(v: &[u8]) -> Result<Mark, StoreError> {
    let bad = || StoreError::Corrupt(format!("the index mark is {} bytes long", v.len()));
    if v.len() != 60 {
        return Err(bad());
    }
    let u64_at = |at: usize| u64::from_be_bytes(v[at..at + 8].try_into().unwrap_or_default());
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&v[8..40]);
    Ok(Mark {
        head: Digest {
            seq: u64_at(0),
            hash: RecordHash(hash),
        },
        at: Position {
            segment: u64_at(40),
            offset: u64_at(48),
            len: u32::from_be_bytes(v[56..60].try_into().unwrap_or_default()),
        },
    })
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

/// Where the next record goes, as the index sees the log.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cursor {
    /// The next record's position (its length is filled in per record).
    pub next: Position,
    /// Records and bytes since the last sparse position.
    since_sparse: (u64, u64),
    pub mark: Mark,
}

impl Cursor {
    /// A cursor after `mark`, in a log whose segments start at `segments`.
    pub fn after(mark: Mark) -> Cursor {
        Cursor {
            next: Position {
                segment: mark.at.segment.max(1),
                offset: if mark.head.seq == 0 {
                    0
                } else {
                    mark.at.offset + u64::from(mark.at.len) + 1
                },
                len: 0,
            },
            // The next record gets a sparse position.
            since_sparse: (SPARSE_RECORDS, 0),
            mark,
        }
    }
}

/// The index: the sled tree, the cursor where the log goes on, and the segments' first seqs.
pub struct Index {
    pub dir: std::path::PathBuf,
    /// `None` while it is reopened after a failure.
    pub db: RwLock<Option<sled::Db>>,
    pub cursor: Mutex<Cursor>,
    pub segments: Arc<RwLock<Vec<u64>>>,
}

impl Index {
    pub fn err(&self, e: sled::Error) -> StoreError {
        sled_error(&self.dir, e)
    }

    /// A handle on the index's tree.
    pub fn db(&self) -> Result<sled::Db, StoreError> {
        self.db
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| StoreError::Io(std::io::Error::other("the index is being reopened")))
    }

    /// Closes and reopens the tree: sled refuses every write after a failed one.
    pub fn reopen(&self) -> Result<(), StoreError> {
        let mut db = self.db.write().unwrap_or_else(|p| p.into_inner());
        // Our handle goes first: sled holds the directory's lock until the last one drops.
        drop(db.take());
        *db = Some(open_index(&self.dir)?);
        Ok(())
    }

    /// The stream's last stored chunk, to go on filling, if it has room.
    fn last_chunk(&self, db: &sled::Db, stream: &str) -> Result<Chunk, StoreError> {
        let last = db
            .range(stream_key(stream, 0)..=stream_key(stream, u64::MAX))
            .next_back()
            .transpose()
            .map_err(|e| self.err(e))?;
        Ok(match last {
            Some((key, value)) if value.len() < STREAM_CHUNK_BYTES => {
                Chunk::resume(key.to_vec(), value.to_vec())
            }
            _ => Chunk::default(),
        })
    }

    /// Adds `records` (in log order, after the cursor) and `ids` to `b`, moving the cursor.
    pub fn add<'a>(
        &self,
        b: &mut sled::Batch,
        cursor: &mut Cursor,
        records: impl IntoIterator<Item = &'a NewRecord>,
        ids: impl IntoIterator<Item = &'a (String, IdEntry)>,
    ) -> Result<(), StoreError> {
        let db = self.db()?;
        let segments = self.segments.read().unwrap_or_else(|p| p.into_inner());
        let mut streams: BTreeMap<&str, Chunk> = BTreeMap::new();
        let mut write = |full: Option<(Vec<u8>, Vec<u8>)>| {
            if let Some((key, value)) = full {
                b.insert(key, value);
            }
        };
        for r in records {
            if segments.binary_search(&r.seq).is_ok() {
                cursor.next = Position {
                    segment: r.seq,
                    offset: 0,
                    len: 0,
                };
                cursor.since_sparse = (SPARSE_RECORDS, 0);
            }
            let at = Position {
                len: r.bytes.len() as u32,
                ..cursor.next
            };
            if cursor.since_sparse.0 >= SPARSE_RECORDS || cursor.since_sparse.1 >= SPARSE_BYTES {
                write(Some((
                    sparse_key(r.seq).to_vec(),
                    at.offset.to_be_bytes().to_vec(),
                )));
                cursor.since_sparse = (0, 0);
            }
            cursor.since_sparse.0 += 1;
            cursor.since_sparse.1 += r.bytes.len() as u64 + 1;
            let chunk = match streams.entry(&r.stream) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(self.last_chunk(&db, &r.stream)?)
                }
            };
            write(chunk.push_up_to(
                STREAM_CHUNK_BYTES,
                || stream_key(&r.stream, r.version),
                r.seq,
                &position_value(&at),
            ));
            cursor.next.offset += r.bytes.len() as u64 + 1;
            cursor.mark = Mark {
                head: Digest {
                    seq: r.seq,
                    hash: RecordHash::of(&r.bytes),
                },
                at,
            };
        }
        for chunk in streams.values_mut() {
            write(chunk.finish());
        }
        for (id, e) in ids {
            write(Some((id_key(id), id_value(e))));
        }
        write(Some((MARK_KEY.to_vec(), mark_value(&cursor.mark).to_vec())));
        Ok(())
    }

    /// Indexes commits in one sled batch, without flushing.
    pub fn index(&self, batches: &[Arc<CommitBatch>]) -> Result<(), StoreError> {
        let mut cursor = self.cursor.lock().unwrap_or_else(|p| p.into_inner());
        let mut next = *cursor;
        let mut b = sled::Batch::default();
        self.add(
            &mut b,
            &mut next,
            batches.iter().flat_map(|c| &c.records),
            batches.iter().flat_map(|c| &c.ids),
        )?;
        self.db()?.apply_batch(b).map_err(|e| self.err(e))?;
        *cursor = next;
        Ok(())
    }

    /// Makes what the index holds durable: sled's flush (its data file is synced by the
    /// store's caller where durability of the index matters; the index can always be rebuilt).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db()?.flush().map_err(|e| self.err(e)).map(|_| ())
    }
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
