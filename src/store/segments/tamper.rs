//! Test-only doors that alter the log and its index behind the ledger's back, so tests can show
//! that `verify` names what changed. Compiled only with the `tamper` cargo feature.

use super::files::{self, Lines};
use super::index::{mark_value, position_value, Mark, Position, MARK_KEY, STREAM};
use super::SegmentStore;
use crate::record::Digest;
use crate::store::chunk::{put_entry, Entries};
use crate::store::{StoreError, Tamper};

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

    /// Points the index entry of record `seq` at the record when `bytes` are the record's,
    /// elsewhere when they are not; removes it with `None`.
    fn tamper_stream_copy(&self, seq: u64, bytes: Option<&[u8]>) -> Result<(), StoreError> {
        let db = self.shared.index.db()?;
        let found = self.shared.position_of(seq)?;
        let position = match (bytes, found) {
            (Some(b), Some((segment, offset, len))) => {
                let actual =
                    files::read_at(self.shared.file(segment)?.as_ref(), offset, len as usize)?;
                let shift = u64::from(actual != b);
                Some(position_value(&Position {
                    segment,
                    offset: offset + shift,
                    len,
                }))
            }
            (Some(_), None) => Some(position_value(&Position::default())),
            (None, _) => None,
        };
        for item in db.scan_prefix([STREAM]) {
            let (key, chunk) = item.map_err(|e| self.shared.err(e))?;
            let entries = Entries(&chunk).collect::<Result<Vec<_>, _>>()?;
            if !entries.iter().any(|(s, _)| *s == seq) {
                continue;
            }
            let mut rewritten = Vec::new();
            for (s, p) in entries {
                match (s == seq, &position) {
                    (false, _) => put_entry(&mut rewritten, s, p),
                    (true, Some(p)) => put_entry(&mut rewritten, s, p),
                    (true, None) => {}
                }
            }
            match rewritten.is_empty() {
                true => db.remove(key).map(|_| ()),
                false => db.insert(key, rewritten).map(|_| ()),
            }
            .map_err(|e| self.shared.err(e))?;
            return self.sync_index();
        }
        Err(StoreError::Corrupt(format!(
            "no index entry of record {seq}"
        )))
    }

    /// Overwrites the index's mark (the head it vouches for), pointing at that record in the
    /// log if the log holds it.
    fn tamper_head(&self, head: Digest) -> Result<(), StoreError> {
        let at = match self.shared.position_of(head.seq)? {
            Some((segment, offset, len)) => Position {
                segment,
                offset,
                len,
            },
            None => Position::default(),
        };
        self.shared
            .index
            .db()?
            .insert(MARK_KEY, &mark_value(&Mark { head, at })[..])
            .map_err(|e| self.shared.err(e))?;
        self.sync_index()
    }
}
