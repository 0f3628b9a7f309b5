//! The sled key layout and the bytes of its small values. One tree, keys prefixed by kind:
//! `r`+first seq → a chunk of consecutive records; `s`+stream+0+first version → a chunk of that
//! stream's records; `i`+id → first,last,fingerprint; `m`+name → head / projection snapshot mark (`mcheckpoint`, its name on disk);
//! `p`+key → projection entry. These bytes are on disk; they never change.

use crate::record::{Digest, RecordHash};
use crate::store::{IdEntry, StoreError};

pub const RECORD: u8 = b'r';
pub const STREAM: u8 = b's';
pub const ID: u8 = b'i';
pub const PROJECTION: u8 = b'p';
pub const HEAD_KEY: &[u8] = b"mhead";
pub const SNAPSHOT_MARK_KEY: &[u8] = b"mcheckpoint";

pub fn record_key(seq: u64) -> [u8; 9] {
    let mut k = [RECORD; 9];
    k[1..].copy_from_slice(&seq.to_be_bytes());
    k
}

pub fn stream_key(stream: &str, version: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(stream.len() + 10);
    k.push(STREAM);
    k.extend_from_slice(stream.as_bytes());
    k.push(0);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

pub fn id_key(id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(id.len() + 1);
    k.push(ID);
    k.extend_from_slice(id.as_bytes());
    k
}

pub fn projection_key(key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 1);
    k.push(PROJECTION);
    k.extend_from_slice(key);
    k
}

fn u64_at(bytes: &[u8], at: usize) -> Result<u64, StoreError> {
    bytes
        .get(at..at + 8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| StoreError::Corrupt(format!("an index entry is {} bytes long", bytes.len())))
}

/// The head's value: seq (u64 BE) and hash.
pub fn head_value(head: &Digest) -> [u8; 40] {
    let mut v = [0u8; 40];
    v[..8].copy_from_slice(&head.seq.to_be_bytes());
    v[8..].copy_from_slice(&head.hash.0);
    v
}

pub fn read_head(v: &[u8]) -> Result<Digest, StoreError> {
    if v.len() != 40 {
        return Err(StoreError::Corrupt(format!(
            "the head entry is {} bytes long",
            v.len()
        )));
    }
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&v[8..]);
    Ok(Digest {
        seq: u64_at(v, 0)?,
        hash: RecordHash(hash),
    })
}

/// An id entry's value: first, last (u64 BE each) and the fingerprint.
pub fn id_value(e: &IdEntry) -> [u8; 48] {
    let mut entry = [0u8; 48];
    entry[..8].copy_from_slice(&e.first.to_be_bytes());
    entry[8..16].copy_from_slice(&e.last.to_be_bytes());
    entry[16..].copy_from_slice(&e.fingerprint);
    entry
}

pub fn read_id(id: &str, v: &[u8]) -> Result<IdEntry, StoreError> {
    if v.len() != 48 {
        return Err(StoreError::Corrupt(format!(
            "the id entry of {id:?} is {} bytes long",
            v.len()
        )));
    }
    let mut fingerprint = [0u8; 32];
    fingerprint.copy_from_slice(&v[16..]);
    Ok(IdEntry {
        first: u64_at(v, 0)?,
        last: u64_at(v, 8)?,
        fingerprint,
    })
}

/// The projection snapshot mark's value: the sequence it covers (u64 BE) and its format (u32 BE).
pub fn snapshot_mark_value(seq: u64, format: u32) -> [u8; 12] {
    let mut cp = [0u8; 12];
    cp[..8].copy_from_slice(&seq.to_be_bytes());
    cp[8..].copy_from_slice(&format.to_be_bytes());
    cp
}

pub fn read_snapshot_mark(v: &[u8]) -> Result<(u64, u32), StoreError> {
    if v.len() != 12 {
        return Err(StoreError::Corrupt(format!(
            "the checkpoint entry is {} bytes long",
            v.len()
        )));
    }
    let format = u32::from_be_bytes([v[8], v[9], v[10], v[11]]);
    Ok((u64_at(v, 0)?, format))
}
