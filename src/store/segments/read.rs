//! Reads: a record by sequence is a sparse-index seek and a short forward scan in its segment;
//! a range is a sequential read across segments; a stream is one index range scan plus a read
//! of each of its records at its position (the page cache serves them).

use std::fs::File;
use std::sync::Arc;

use super::files::{self, Lines};
use super::index::read_id;
use super::index::{read_position, sparse_key, stream_key, STREAM};
use super::{SegmentStore, Shared};
use crate::store::chunk::Entries;
use crate::store::sled::keys::id_key;
use crate::store::sled::snapshot;
use crate::store::{time_search, EntryIter, IdEntry, RecordIter, StoreError, StoreRead};

impl Shared {
    /// The segment holding `seq`: the last one starting at or before it.
    pub(super) fn segment_of(&self, seq: u64) -> Option<u64> {
        let segments = self
            .index
            .segments
            .read()
            .unwrap_or_else(|p| p.into_inner());
        let at = segments.partition_point(|s| *s <= seq);
        at.checked_sub(1).map(|i| segments[i])
    }

    /// The segments from the one holding `seq` on.
    fn segments_from(&self, seq: u64) -> Vec<u64> {
        let segments = self
            .index
            .segments
            .read()
            .unwrap_or_else(|p| p.into_inner());
        let at = segments.partition_point(|s| *s <= seq).saturating_sub(1);
        segments[at..].to_vec()
    }

    /// A read handle on segment `first`.
    pub(super) fn file(&self, first: u64) -> Result<Arc<File>, StoreError> {
        if let Some(f) = self
            .files
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&first)
        {
            return Ok(f.clone());
        }
        let file = Arc::new(File::open(files::segment_path(&self.log, first))?);
        self.files
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(first, file.clone());
        Ok(file)
    }

    /// Where to start reading for record `seq`: its segment, and the sequence number and offset
    /// of the nearest sparse position at or before it there (the segment's start if none).
    fn seek(&self, seq: u64) -> Result<(u64, u64, u64), StoreError> {
        let segment = self.segment_of(seq).unwrap_or(1);
        let near = self
            .index
            .db()?
            .range(sparse_key(segment)..=sparse_key(seq))
            .next_back()
            .transpose()
            .map_err(|e| self.err(e))?;
        Ok(match near {
            Some((k, v)) => {
                let at = u64::from_be_bytes(k[1..9].try_into().unwrap_or_default());
                let offset = u64::from_be_bytes(v.as_ref().try_into().unwrap_or_default());
                (segment, at, offset)
            }
            None => (segment, segment, 0),
        })
    }

    /// How far a reader may read in `segment`: the committed end of the active one (all of it
    /// when the store is damaged, so `verify` sees what is there), the whole of a sealed one.
    fn limit(&self, segment: u64) -> Result<u64, StoreError> {
        let tip = self.tip();
        if segment == tip.active && tip.damaged.is_none() {
            return Ok(tip.end);
        }
        Ok(self.file(segment)?.metadata()?.len())
    }

    /// The records from `first` on, in order, up to `last`, each with its place in the log: a
    /// segment's first sequence number, then one more per line (so a line that says another
    /// sequence number is named by `verify` where it is).
    fn records_from(&self, first: u64, last: u64) -> RecordIter<'_> {
        let (segment, at, offset) = match self.seek(first) {
            Ok(start) => start,
            Err(e) => return Box::new(std::iter::once(Err(e))),
        };
        let lines = self.segments_from(segment).into_iter().flat_map(move |s| {
            let (place, from) = if s == segment { (at, offset) } else { (s, 0) };
            let opened = self.limit(s).and_then(|limit| {
                Ok(Lines::open(
                    &files::segment_path(&self.log, s),
                    from,
                    limit,
                )?)
            });
            match opened {
                Ok(lines) => Box::new((place..).zip(lines).map(|(seq, l)| Ok((seq, l?.bytes))))
                    as RecordIter<'_>,
                Err(e) => Box::new(std::iter::once(Err(e))),
            }
        });
        Box::new(
            lines
                .skip_while(move |r| r.as_ref().is_ok_and(|(s, _)| *s < first))
                .take_while(move |r| r.as_ref().map_or(true, |(s, _)| *s <= last)),
        )
    }

    /// Where record `seq` is in its segment (offset, length), found by reading forward from the
    /// nearest sparse position.
    #[cfg(feature = "tamper")]
    pub(super) fn position_of(&self, seq: u64) -> Result<Option<(u64, u64, u32)>, StoreError> {
        let (segment, mut at, offset) = self.seek(seq)?;
        let path = files::segment_path(&self.log, segment);
        for line in Lines::open(&path, offset, self.limit(segment)?)? {
            let line = line?;
            if at == seq {
                return Ok(Some((segment, line.offset, line.bytes.len() as u32)));
            }
            at += 1;
        }
        Ok(None)
    }

    /// Reads the record at an index position.
    fn at(&self, seq: u64, offset: u64, len: u32) -> Result<Vec<u8>, StoreError> {
        let segment = self
            .segment_of(seq)
            .ok_or_else(|| StoreError::Corrupt(format!("no segment holds record {seq}")))?;
        Ok(files::read_at(
            self.file(segment)?.as_ref(),
            offset,
            len as usize,
        )?)
    }
}

impl StoreRead for SegmentStore {
    fn head(&self) -> Result<crate::record::Digest, StoreError> {
        Ok(self.tip().head)
    }

    fn record(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        if seq == 0 || seq > self.tip().head.seq {
            return Ok(None);
        }
        match self.shared.records_from(seq, seq).next() {
            Some(Ok((s, bytes))) if s == seq => Ok(Some(bytes)),
            Some(Err(e)) => Err(e),
            _ => Ok(None),
        }
    }

    fn records_in(&self, first: u64, last: u64) -> RecordIter<'_> {
        if first > last {
            return Box::new(std::iter::empty());
        }
        self.shared.records_from(first.max(1), last)
    }

    fn stream_records(&self, stream: &str, upto: u64) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let db = self.shared.settled()?;
        let mut out = Vec::new();
        for item in db.range(stream_key(stream, 0)..=stream_key(stream, u64::MAX)) {
            let (_, chunk) = item.map_err(|e| self.shared.err(e))?;
            for entry in Entries(&chunk) {
                let (seq, position) = entry?;
                if seq > upto {
                    return Ok(out);
                }
                let (offset, len) = read_position(position)?;
                out.push((seq, self.shared.at(seq, offset, len)?));
            }
        }
        Ok(out)
    }

    /// The records as each stream's index entries find them: `verify` checks them against the
    /// chain, so an index entry that points elsewhere, or is filed under another stream, or is
    /// missing, is named.
    fn stream_copies(&self) -> Option<RecordIter<'_>> {
        let db = match self.shared.settled() {
            Ok(db) => db,
            Err(e) => return Some(Box::new(std::iter::once(Err(e)))),
        };
        let entries = db.scan_prefix([STREAM]).flat_map(move |item| {
            let found: Vec<Result<(u64, Vec<u8>), StoreError>> = match item {
                Ok((key, chunk)) => {
                    let stream = key[1..].split(|b| *b == 0).next().unwrap_or_default();
                    Entries(&chunk)
                        .map(|entry| {
                            let (seq, position) = entry?;
                            Ok((seq, self.indexed(stream, seq, position)))
                        })
                        .collect()
                }
                Err(e) => vec![Err(self.shared.err(e))],
            };
            found
        });
        Some(Box::new(entries))
    }

    fn find_id(&self, id: &str) -> Result<Option<IdEntry>, StoreError> {
        // A queued commit is not indexed yet; the newest use of an id wins, as in the index.
        if let Some(entry) = self.shared.pipeline.queued_id(id) {
            return Ok(Some(entry));
        }
        match self
            .shared
            .index
            .db()?
            .get(id_key(id))
            .map_err(|e| self.shared.err(e))?
        {
            None => Ok(None),
            Some(v) => read_id(id, &v).map(Some),
        }
    }

    fn last_seq_at(&self, micros: i64) -> Result<Option<u64>, StoreError> {
        time_search::last_seq_at(self.tip().head.seq, micros, &mut |seq| self.record(seq))
    }

    fn first_seq_from(&self, micros: i64) -> Result<Option<u64>, StoreError> {
        time_search::first_seq_from(self.tip().head.seq, micros, &mut |seq| self.record(seq))
    }

    fn snapshot_mark(&self) -> Result<Option<(u64, u32)>, StoreError> {
        snapshot::mark(self.dir(), &self.shared.settled()?)
    }

    fn snapshot_entries(&self) -> EntryIter<'_> {
        match self.shared.settled() {
            Ok(db) => snapshot::entries(self.dir(), &db),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    fn size_on_disk(&self) -> Result<u64, StoreError> {
        let mut bytes = self
            .shared
            .settled()?
            .size_on_disk()
            .map_err(|e| self.shared.err(e))?;
        for entry in std::fs::read_dir(&self.shared.log)? {
            bytes += entry?.metadata()?.len();
        }
        Ok(bytes)
    }

    #[cfg(feature = "tamper")]
    fn tamper(&self) -> Option<&dyn crate::store::Tamper> {
        Some(self)
    }
}

impl SegmentStore {
    /// The bytes an index entry of `stream` finds for record `seq`; empty when the entry is
    /// unreadable or the record there belongs to another stream, so that `verify` names it.
    fn indexed(&self, stream: &[u8], seq: u64, position: &[u8]) -> Vec<u8> {
        let Ok((offset, len)) = read_position(position) else {
            return Vec::new();
        };
        match self.shared.at(seq, offset, len) {
            Ok(bytes) if stream_is(&bytes, stream) => bytes,
            _ => Vec::new(),
        }
    }
}

/// Whether a record's `stream` member is `stream`, read in place: every record begins
/// `{"seq":N,"stream":"…"` (the envelope's order), so no JSON parse is needed; anything else
/// is not the record an index entry should find.
pub(super) fn stream_is(bytes: &[u8], stream: &[u8]) -> bool {
    let Some(rest) = bytes.strip_prefix(b"{\"seq\":") else {
        return false;
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    rest[digits..]
        .strip_prefix(b",\"stream\":\"")
        .and_then(|r| r.strip_prefix(stream))
        .is_some_and(|r| r.first() == Some(&b'"'))
}
