//! The chunk codec, shared by every backend that stores records in chunks: a chunk is entries
//! of seq (u64 BE), length (u32 BE) and the record's exact bytes. Chunking amortises a
//! backend's per-key cost: a group commit of 64 events costs a handful of writes, not 64 per
//! index. These bytes are on disk; they never change.

use super::StoreError;

/// A chunk's size, past which the next record starts a new one. Sled writes a page of over a
/// quarter segment (1 MiB) to a separate blob file that it never fsyncs; a leaf holds at most
/// 17 entries, so chunks of 32 KiB (records are at most 32 KiB too) keep every page under that.
pub const CHUNK_BYTES: usize = 32 << 10;

/// A chunk being filled: its key (named by its first entry) and its entries.
#[derive(Default)]
pub struct Chunk {
    key: Vec<u8>,
    value: Vec<u8>,
}

impl Chunk {
    /// Adds an entry. If the entry would take the chunk past `CHUNK_BYTES`, the chunk so far is
    /// returned (key, value) to be written out first, and the entry starts the next one.
    pub fn push(
        &mut self,
        key: impl FnOnce() -> Vec<u8>,
        seq: u64,
        bytes: &[u8],
    ) -> Option<(Vec<u8>, Vec<u8>)> {
        let full = match !self.value.is_empty() && self.value.len() + 12 + bytes.len() > CHUNK_BYTES
        {
            true => self.finish(),
            false => None,
        };
        if self.value.is_empty() {
            self.key = key();
        }
        put_entry(&mut self.value, seq, bytes);
        full
    }

    /// The chunk (key, value) to write out, if it holds anything; the chunk is empty after.
    pub fn finish(&mut self) -> Option<(Vec<u8>, Vec<u8>)> {
        (!self.value.is_empty()).then(|| {
            (
                std::mem::take(&mut self.key),
                std::mem::take(&mut self.value),
            )
        })
    }
}

/// Appends one entry to a chunk's bytes.
pub fn put_entry(chunk: &mut Vec<u8>, seq: u64, bytes: &[u8]) {
    chunk.extend_from_slice(&seq.to_be_bytes());
    chunk.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    chunk.extend_from_slice(bytes);
}

/// The entries of a stored chunk, each its sequence number and record bytes.
pub struct Entries<'a>(pub &'a [u8]);

impl<'a> Iterator for Entries<'a> {
    type Item = Result<(u64, &'a [u8]), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        let entry = (|| {
            let seq = u64::from_be_bytes(self.0.get(..8)?.try_into().ok()?);
            let len = u32::from_be_bytes(self.0.get(8..12)?.try_into().ok()?) as usize;
            let bytes = self.0.get(12..12 + len)?;
            Some((seq, bytes, 12 + len))
        })();
        match entry {
            Some((seq, bytes, used)) => {
                self.0 = &self.0[used..];
                Some(Ok((seq, bytes)))
            }
            None => {
                self.0 = &[];
                Some(Err(StoreError::Corrupt(
                    "a stored chunk of records is cut short".to_owned(),
                )))
            }
        }
    }
}

/// The entries of a stored chunk, owned.
pub fn owned_entries(chunk: &[u8]) -> Vec<Result<(u64, Vec<u8>), StoreError>> {
    Entries(chunk)
        .map(|e| e.map(|(seq, bytes)| (seq, bytes.to_vec())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_round_trips_and_splits_past_its_size() {
        let mut chunk = Chunk::default();
        let big = vec![7u8; CHUNK_BYTES / 2];
        assert!(chunk.push(|| b"r1".to_vec(), 1, &big).is_none());
        let (key, value) = chunk.push(|| b"r2".to_vec(), 2, &big).unwrap();
        assert_eq!(key, b"r1");
        assert_eq!(value.len(), 12 + big.len());
        assert_eq!(&value[..8], &1u64.to_be_bytes());
        let (key, value) = chunk.finish().unwrap();
        assert_eq!(key, b"r2");
        let entries = owned_entries(&value);
        assert_eq!(entries.len(), 1);
        assert!(matches!(&entries[0], Ok((2, b)) if *b == big));
        assert!(chunk.finish().is_none());
        assert!(matches!(
            Entries(&value[..value.len() - 1]).next(),
            Some(Err(StoreError::Corrupt(_)))
        ));
    }
}
