//! The sled database under a store: opening it (with sled's settings and a retry for a lock
//! being released), the handle the store and its applier share, making it durable (sled's
//! flush, then a real fdatasync), and turning commits into one sled batch of chunks.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, RwLock};

use super::error::sled_error;
use super::keys::{head_value, id_key, id_value, record_key, stream_key, HEAD_KEY};
use crate::store::applier::{Pipeline, Target};
use crate::store::chunk::Chunk;
use crate::store::wal::Wal;
use crate::store::{CommitBatch, StoreError};

/// An open sled database and its data file (for the fdatasync sled's flush leaves out).
pub struct Open {
    pub db: sled::Db,
    data_file: File,
}

/// What the store and its applier thread share.
pub struct Shared {
    pub dir: PathBuf,
    /// `None` between a failure and a successful reopen.
    pub open: RwLock<Option<Open>>,
    /// Sled holds writes outside the log (projection entries) that are not flushed yet.
    pub unsynced: AtomicBool,
    pub pipeline: Arc<Pipeline>,
}

/// Opens, waiting up to half a second for a lock that is being released: sled lets go of the
/// directory a moment after its last handle drops (a reopen in the same process, or a process
/// that is exiting).
pub fn open_retrying(dir: &Path) -> Result<Open, StoreError> {
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

/// Adds the sled writes of commits to `b`: record chunks, stream chunks, ids and the head.
pub fn add_to_batch<'a>(b: &mut sled::Batch, batches: impl IntoIterator<Item = &'a CommitBatch>) {
    let mut records = Chunk::default();
    let mut streams: BTreeMap<&str, Chunk> = BTreeMap::new();
    let mut head = None;
    let mut write = |full: Option<(Vec<u8>, Vec<u8>)>| {
        if let Some((key, value)) = full {
            b.insert(key, value);
        }
    };
    for batch in batches {
        for r in &batch.records {
            write(records.push(|| record_key(r.seq).to_vec(), r.seq, &r.bytes));
            write(streams.entry(&r.stream).or_default().push(
                || stream_key(&r.stream, r.version),
                r.seq,
                &r.bytes,
            ));
        }
        for (id, e) in &batch.ids {
            write(Some((id_key(id), id_value(e).to_vec())));
        }
        head = Some(batch.head);
    }
    write(records.finish());
    for chunk in streams.values_mut() {
        write(chunk.finish());
    }
    if let Some(head) = head {
        write(Some((HEAD_KEY.to_vec(), head_value(&head).to_vec())));
    }
}

impl Shared {
    /// A handle on the open database, or the reason there is none.
    pub fn db(&self) -> Result<sled::Db, StoreError> {
        self.open
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|o| o.db.clone())
            .ok_or_else(|| self.pipeline.closed())
    }

    /// Makes everything sled holds durable: sled's flush, then a real fdatasync.
    pub fn sync(&self) -> Result<(), StoreError> {
        let guard = self.open.read().unwrap_or_else(|p| p.into_inner());
        let open = guard
            .as_ref()
            .ok_or_else(|| StoreError::Io(std::io::Error::other("the store is closed")))?;
        open.db.flush().map_err(|e| sled_error(&self.dir, e))?;
        open.data_file.sync_data()?;
        Ok(())
    }
}

impl Target for Shared {
    fn apply(&self, batches: &[Arc<CommitBatch>]) -> Result<(), StoreError> {
        let mut b = sled::Batch::default();
        add_to_batch(&mut b, batches.iter().map(|b| b.as_ref()));
        self.db()?
            .apply_batch(b)
            .map_err(|e| sled_error(&self.dir, e))
    }

    fn retire_log(&self, generation: u64) -> Result<(), StoreError> {
        self.sync()?;
        Wal::remove_through(&self.dir, generation)?;
        Ok(())
    }
}
