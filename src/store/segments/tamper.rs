//! Test-only doors that alter the log and its index behind the ledger's back, so tests can show
//! that `verify` names what changed. Compiled only with the `tamper` cargo feature.

use std::os::unix::fs::FileExt;

use super::files::{self, Lines};
use super::read::stream_name;
use super::rows::{index_path, key_of, read_rows, write_file, StreamRow, POS_BYTES, STR_BYTES};
use super::SegmentStore;
use crate::record::Digest;
use crate::store::{StoreError, StoreRead, Tamper};

impl SegmentStore {
    fn sync_index(&self) -> Result<(), StoreError> {
        self.shared.index.flush()?;
        self.reload()
    }
}

impl Tamper for SegmentStore {
    /// Rewrites the segment holding record `seq` with its line (by place) replaced or removed;
    /// the records after it in the segment move, their index entries do not.
    fn tamper_put(&self, seq: u64, bytes: Option<&[u8]>) -> Result<(), StoreError> {
        let segment = self.shared.segment_of(seq).unwrap_or(1);
        let path = files::segment_path(&self.shared.log, segment);
        let mut out = Vec::new();
        for (place, line) in (segment..).zip(Lines::open(&path, 0, u64::MAX)?) {
            let line = line?;
            let keep = match (place == seq, bytes) {
                (false, _) => Some(&line.bytes[..]),
                (true, replaced) => replaced,
            };
            if let Some(b) = keep {
                out.extend_from_slice(b);
                out.push(b'\n');
            }
        }
        std::fs::write(&path, out)?;
        self.sync_index()
    }

    /// Files the index entry of record `seq` under the record's stream when `bytes` are the
    /// record's, under another when they are not; removes it (a zero length) with `None`.
    fn tamper_stream_copy(&self, seq: u64, bytes: Option<&[u8]>) -> Result<(), StoreError> {
        self.sync_index()?;
        let actual = match bytes {
            Some(_) => self
                .record(seq)?
                .ok_or_else(|| StoreError::Corrupt(format!("no record {seq}")))?,
            None => Vec::new(),
        };
        let stream = stream_name(&actual).map(key_of).unwrap_or_default();
        let change = |row: &mut StreamRow| match bytes {
            Some(b) if b == actual => {
                row.stream = stream;
                row.len = actual.len() as u32;
            }
            Some(_) => row.stream = stream ^ 1,
            None => row.len = 0,
        };
        let index = &self.shared.index;
        let dir = index.files();
        let state = index.read();
        if let Some(active) = state.active.as_ref().filter(|a| seq >= a.first) {
            let at = seq - active.first;
            let mut row = active.rows[at as usize];
            change(&mut row);
            std::fs::OpenOptions::new()
                .write(true)
                .open(index_path(&dir, active.first, "pos"))?
                .write_all_at(&row.pos_bytes(), at * POS_BYTES as u64)?;
        } else if let Some((&first, _)) = state.sealed.range(..=seq).next_back() {
            let path = index_path(&dir, first, "str");
            let mut rows: Vec<StreamRow> = read_rows(&path, STR_BYTES)?
                .iter()
                .map(|b| StreamRow::from_str(b, first))
                .collect();
            rows.iter_mut().filter(|r| r.seq == seq).for_each(change);
            write_file(&path, rows.iter().map(|r| r.str_bytes(first)))?;
        }
        drop(state);
        self.reload()
    }

    /// Overwrites the index's mark (the head it vouches for).
    fn tamper_head(&self, head: Digest) -> Result<(), StoreError> {
        self.shared.index.flush()?;
        self.shared.index.put_mark(&head)?;
        self.reload()
    }
}
