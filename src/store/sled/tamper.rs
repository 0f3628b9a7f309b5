//! Test-only doors that alter the stored data behind the ledger's back, so tests can show that
//! `verify` names what changed. Compiled only with the `tamper` cargo feature, which the
//! crate's own tests enable; a release build has none of this.

use super::keys::{head_value, record_key, HEAD_KEY, STREAM};
use super::SledStore;
use crate::record::Digest;
use crate::store::chunk::{owned_entries, put_entry, Entries};
use crate::store::{StoreError, Tamper};

impl Tamper for SledStore {
    /// Overwrites raw bytes under a record key, behind the ledger's back. For tamper tests only.
    fn tamper_put(&self, seq: u64, bytes: Option<&[u8]>) -> Result<(), StoreError> {
        let db = self.settled()?;
        let (key, mut entries) = match self.chunk_of(&db, seq)? {
            Some((key, chunk)) => (
                key.to_vec(),
                owned_entries(&chunk)
                    .into_iter()
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => (record_key(seq).to_vec(), Vec::new()),
        };
        entries.retain(|(s, _)| *s != seq);
        if let Some(bytes) = bytes {
            entries.push((seq, bytes.to_vec()));
            entries.sort_by_key(|(s, _)| *s);
        }
        let mut chunk = Vec::new();
        for (seq, bytes) in &entries {
            put_entry(&mut chunk, *seq, bytes);
        }
        match chunk.is_empty() {
            true => db.remove(key).map(|_| ()),
            false => db.insert(key, chunk).map(|_| ()),
        }
        .map_err(|e| self.err(e))?;
        self.sync()
    }

    /// Overwrites (or with `None` removes) the stream copy of record `seq`, behind the ledger's
    /// back. For tamper tests only.
    fn tamper_stream_copy(&self, seq: u64, bytes: Option<&[u8]>) -> Result<(), StoreError> {
        let db = self.settled()?;
        for item in db.scan_prefix([STREAM]) {
            let (key, chunk) = item.map_err(|e| self.err(e))?;
            let entries = Entries(&chunk).collect::<Result<Vec<_>, _>>()?;
            if !entries.iter().any(|(s, _)| *s == seq) {
                continue;
            }
            let mut rewritten = Vec::new();
            for (s, b) in entries {
                match (s == seq, bytes) {
                    (false, _) => put_entry(&mut rewritten, s, b),
                    (true, Some(bytes)) => put_entry(&mut rewritten, s, bytes),
                    (true, None) => {}
                }
            }
            match rewritten.is_empty() {
                true => db.remove(key).map(|_| ()),
                false => db.insert(key, rewritten).map(|_| ()),
            }
            .map_err(|e| self.err(e))?;
            return self.sync();
        }
        Err(StoreError::Corrupt(format!(
            "no stream copy of record {seq}"
        )))
    }

    /// Overwrites the stored head, behind the ledger's back. For tamper tests only.
    fn tamper_head(&self, head: Digest) -> Result<(), StoreError> {
        self.settled()?
            .insert(HEAD_KEY, &head_value(&head)[..])
            .map_err(|e| self.err(e))?;
        self.sync()
    }
}
