//! Reads: a record by sequence is a read at the offset its index row gives; a range is a
//! sequential read across segments; a stream is a search of each sealed segment's sorted rows
//! and the active one's map, then a read of each of its records at its position (the page
//! cache serves them).

use std::fs::File;
use std::sync::Arc;

use super::files::{self, Lines};
use super::index::Fields;
use super::rows::{key_of, StreamRow};
use super::{SegmentStore, Shared};
use crate::store::{
    time_search, CopyIter, EntryIter, Found, IdEntry, RecordIter, StoreError, StoreRead,
};

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
    /// of a record at or before it there (its own when the index holds it; else the first the
    /// index does not hold, or the segment's start).
    fn seek(&self, seq: u64) -> Result<(u64, u64, u64), StoreError> {
        let segment = self.segment_of(seq).unwrap_or(1);
        if let Some(offset) = self.index.offset_of(seq)? {
            // A log changed behind the index's back is read from the segment's start.
            if self.begins_with_seq(segment, offset, seq)? {
                return Ok((segment, seq, offset));
            }
            return Ok((segment, segment, 0));
        }
        Ok(match self.index.next() {
            Some((active, next, end)) if active == segment && next <= seq => (segment, next, end),
            _ => (segment, segment, 0),
        })
    }

    /// Whether record `seq`'s line starts at `offset` of `segment`, as far as its first bytes say.
    fn begins_with_seq(&self, segment: u64, offset: u64, seq: u64) -> Result<bool, StoreError> {
        let expected = format!("{{\"seq\":{seq},");
        let mut start = vec![0u8; expected.len()];
        match std::os::unix::fs::FileExt::read_exact_at(
            self.file(segment)?.as_ref(),
            &mut start,
            offset,
        ) {
            Ok(()) => Ok(start == expected.as_bytes()),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// How far a reader may read in `segment`: the committed end of the active one (all of it
    /// when the store is damaged, so `verify` sees what is there), the whole of a sealed one.
    pub(super) fn limit(&self, segment: u64) -> Result<u64, StoreError> {
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
        self.shared.pipeline.settle()?;
        let mut out = Vec::new();
        // A stream's rows are in its order; another stream under the same key may interleave.
        for row in self.shared.index.stream_rows(stream)? {
            if row.seq > upto {
                continue;
            }
            let bytes = self.shared.at(row.seq, row.offset.into(), row.len)?;
            // Another stream filed under the same key is not this one's.
            if stream_is(&bytes, stream.as_bytes()) {
                out.push((row.seq, bytes));
            }
        }
        Ok(out)
    }

    /// What each stream row finds: `verify` checks it against the chain, so a row that points
    /// elsewhere, or is filed under another stream, or is missing, is named.
    fn stream_copies(&self) -> Option<CopyIter<'_>> {
        if let Err(e) = self.shared.pipeline.settle() {
            return Some(Box::new(std::iter::once(Err(e))));
        }
        let segments: Vec<u64> = {
            let state = self.shared.index.read();
            let active = state.active.as_ref().map(|a| a.first);
            state.sealed.keys().copied().chain(active).collect()
        };
        Some(Box::new(segments.into_iter().flat_map(
            move |segment| match self.copies_in(segment) {
                Ok(copies) => Box::new(copies) as CopyIter<'_>,
                Err(e) => Box::new(std::iter::once(Err(e))),
            },
        )))
    }

    fn find_id(&self, id: &str) -> Result<Option<IdEntry>, StoreError> {
        // A queued commit is not indexed yet; the newest use of an id wins, as in the index.
        if let Some(entry) = self.shared.pipeline.queued_id(id) {
            return Ok(Some(entry));
        }
        for row in self.shared.index.id_rows(id)? {
            // Another id filed under the same key names another record first.
            let first = self.record(row.first)?;
            let named = first
                .as_deref()
                .and_then(Fields::read)
                .is_some_and(|f| f.id.as_deref() == Some(id));
            if named {
                return Ok(Some(row.entry()));
            }
        }
        Ok(None)
    }

    fn last_seq_at(&self, micros: i64) -> Result<Option<u64>, StoreError> {
        time_search::last_seq_at(self.tip().head.seq, micros, &mut |seq| self.record(seq))
    }

    fn first_seq_from(&self, micros: i64) -> Result<Option<u64>, StoreError> {
        time_search::first_seq_from(self.tip().head.seq, micros, &mut |seq| self.record(seq))
    }

    fn snapshot_mark(&self) -> Result<Option<(u64, u32)>, StoreError> {
        Ok(self.shared.snapshot()?.map(|s| s.mark))
    }

    fn snapshot_entries(&self) -> EntryIter<'_> {
        match self.shared.snapshot() {
            Ok(s) => Box::new(
                s.map(|s| {
                    s.entries
                        .iter()
                        .map(|(k, v)| Ok((k.clone(), v.clone())))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
                .into_iter(),
            ),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.shared.pipeline.settle()?;
        Ok(files::bytes_under(&self.shared.log)? + files::bytes_under(&self.shared.index.files())?)
    }

    fn parts_on_disk(&self) -> Result<Vec<(&'static str, u64)>, StoreError> {
        Ok(vec![
            ("log", files::bytes_under(&self.shared.log)?),
            ("index", files::bytes_under(&self.shared.index.files())?),
        ])
    }

    fn index_lag(&self) -> u64 {
        self.shared.pipeline.lag()
    }

    fn tree_chunks(&self) -> Result<Vec<crate::proofs::Hash>, StoreError> {
        super::trust::read_chunks(&self.shared.tree_path())
    }

    fn checkpoints(&self) -> Result<Vec<String>, StoreError> {
        super::trust::read_checkpoints(&self.shared.checkpoints_path())
    }

    #[cfg(feature = "tamper")]
    fn tamper(&self) -> Option<&dyn crate::store::Tamper> {
        Some(self)
    }
}

impl SegmentStore {
    /// Segment `first`'s stream rows, in log order (removed ones left out).
    fn rows_of(&self, first: u64) -> Result<Vec<StreamRow>, StoreError> {
        let state = self.shared.index.read();
        let mut rows = match (state.sealed.get(&first), &state.active) {
            (Some(sealed), _) => sealed
                .streams
                .all()?
                .iter()
                .map(|b| StreamRow::from_str(b, first))
                .collect(),
            (None, Some(active)) if active.first == first => active.rows.clone(),
            _ => Vec::new(),
        };
        rows.retain(|r| r.len > 0);
        rows.sort_by_key(|r| r.seq);
        Ok(rows)
    }

    /// What segment `first`'s stream rows find, read in one pass over the segment.
    fn copies_in(&self, first: u64) -> Result<Copies<'_>, StoreError> {
        let rows = self.rows_of(first)?;
        let path = files::segment_path(&self.shared.log, first);
        let lines = (first..)
            .zip(Lines::open(&path, 0, self.shared.limit(first)?)?)
            .peekable();
        Ok(Copies {
            shared: &self.shared,
            rows: rows.into_iter(),
            lines,
        })
    }
}

/// A segment's stream rows, each with what it finds: the record itself when it names the place
/// of the line of its seq, of that line's length and stream (no bytes copied or hashed); else the
/// bytes at its place (and `verify` names the difference).
struct Copies<'a> {
    shared: &'a Shared,
    rows: std::vec::IntoIter<StreamRow>,
    lines: std::iter::Peekable<std::iter::Zip<std::ops::RangeFrom<u64>, Lines>>,
}

impl Iterator for Copies<'_> {
    type Item = Result<(u64, Found), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        let row = self.rows.next()?;
        let at = u64::from(row.offset);
        while self
            .lines
            .next_if(|(_, l)| l.as_ref().is_ok_and(|l| l.offset < at))
            .is_some()
        {}
        if let Some((seq, Ok(line))) = self.lines.peek() {
            let same = *seq == row.seq
                && line.offset == at
                && line.bytes.len() == row.len as usize
                && stream_name(&line.bytes).is_some_and(|s| key_of(s) == row.stream);
            if same {
                return Some(Ok((row.seq, Found::Record)));
            }
        }
        // Not the line of its record: what is at its place (nothing, if it cannot be read).
        let bytes = self.shared.at(row.seq, at, row.len).unwrap_or_default();
        let filed = stream_name(&bytes).is_some_and(|s| key_of(s) == row.stream);
        Some(Ok((
            row.seq,
            Found::Bytes(if filed { bytes } else { Vec::new() }),
        )))
    }
}

/// Whether a record's `stream` member is `stream`, read in place: every record begins
/// `{"seq":N,"stream":"…"` (the envelope's order), so no JSON parse is needed; anything else
/// is not the record an index entry should find.
pub(super) fn stream_is(bytes: &[u8], stream: &[u8]) -> bool {
    stream_name(bytes) == Some(stream)
}

/// A record's `stream` member, read in place (a stream name never holds a `"`).
pub(super) fn stream_name(bytes: &[u8]) -> Option<&[u8]> {
    let rest = bytes.strip_prefix(b"{\"seq\":")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let name = rest[digits..].strip_prefix(b",\"stream\":\"")?;
    let end = name.iter().position(|b| *b == b'"')?;
    Some(&name[..end])
}
