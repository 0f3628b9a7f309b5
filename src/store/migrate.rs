//! Upgrading a data directory written in the sled layout (records as sled values) to the
//! segment layout, once, at its first open: every record is copied in order into segments
//! built beside it (`segments.migrating/`), with the client ids and their fingerprints; only
//! when the copy holds exactly the old head are its `log/` and `index/` moved into place and
//! sled's files removed. A crash before that move leaves the old layout as it was (the next
//! open starts over); after it, the next open finishes the removal.

use std::fs::File;
use std::path::Path;

use super::segments::SegmentStore;
use super::sled::SledStore;
use super::{CommitBatch, CommitOutcome, NewRecord, Options, Store, StoreError, StoreRead};
use crate::record::{Digest, RecordHash};

/// Records copied per commit.
const BATCH: usize = 4096;

/// The files and folders of the sled layout, besides the write-ahead log's `wal-*` files.
const SLED_FILES: [&str; 3] = ["db", "conf", "blobs"];

/// Whether `dir` holds a ledger in the sled layout that has not been migrated.
pub fn needed(dir: &Path) -> bool {
    SledStore::exists(dir) && !SegmentStore::exists(dir)
}

/// Migrates the sled layout in `dir` to segments, keeping the head digest.
pub fn from_sled(dir: &Path, options: &Options) -> Result<(), StoreError> {
    let staging = dir.join("segments.migrating");
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    let old = SledStore::open(
        dir,
        &Options {
            create: false,
            ..options.clone()
        },
    )?;
    let head = old.head()?;
    tracing::info!(dir = %dir.display(), records = head.seq, "moving the ledger to segment files");
    let copied = copy(&old, &staging, options, head)?;
    drop(old);
    if copied != head {
        return Err(StoreError::Corrupt(format!(
            "the sled layout's records end at {copied} but its head says {head}; nothing was \
             changed: verify the ledger with the previous version of goal-ledger"
        )));
    }
    for part in ["log", "index"] {
        std::fs::rename(staging.join(part), dir.join(part))?;
    }
    File::open(dir)?.sync_all()?;
    std::fs::remove_dir_all(&staging)?;
    remove_sled_files(dir)?;
    tracing::info!(dir = %dir.display(), head = %head, "the ledger is in segment files now");
    Ok(())
}

/// Copies every record and id of `old` into a new segment store in `to`; returns its head.
fn copy(old: &SledStore, to: &Path, options: &Options, head: Digest) -> Result<Digest, StoreError> {
    let new = SegmentStore::open(
        to,
        &Options {
            create: true,
            ..options.clone()
        },
    )?;
    let mut at = Digest::EMPTY;
    let mut batch = CommitBatch::default();
    for item in old.records_in(1, head.seq) {
        let (seq, bytes) = item?;
        let (stream, version) = SegmentStore::stream_of(&bytes)
            .ok_or_else(|| StoreError::Corrupt(format!("record {seq} does not read")))?;
        batch.head = Digest {
            seq,
            hash: RecordHash::of(&bytes),
        };
        batch.records.push(NewRecord {
            seq,
            bytes,
            stream,
            version,
        });
        if batch.records.len() >= BATCH {
            at = commit(&new, at, std::mem::take(&mut batch))?;
        }
    }
    if !batch.records.is_empty() {
        at = commit(&new, at, batch)?;
    }
    new.put_ids(old.ids()?)?;
    Ok(at)
}

fn commit(store: &SegmentStore, at: Digest, batch: CommitBatch) -> Result<Digest, StoreError> {
    let head = batch.head;
    match store.commit(at, batch)? {
        CommitOutcome::Committed => Ok(head),
        CommitOutcome::HeadMoved { actual } => Err(StoreError::Corrupt(format!(
            "the copy's head moved to {actual}"
        ))),
    }
}

/// Removes what is left of the sled layout once the segments are in place.
pub fn remove_sled_files(dir: &Path) -> Result<(), StoreError> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let sled = SLED_FILES.contains(&name.as_ref())
            || name.starts_with("snap.")
            || name.starts_with("wal-");
        if !sled {
            continue;
        }
        match entry.file_type()?.is_dir() {
            true => std::fs::remove_dir_all(entry.path())?,
            false => std::fs::remove_file(entry.path())?,
        }
    }
    File::open(dir)?.sync_all()?;
    Ok(())
}
