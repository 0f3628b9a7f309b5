//! Storage: the narrow `Store` trait the ledger writes and reads through, and its sled
//! implementation (the only module that imports sled). A store keeps the records by sequence,
//! each stream's records (for one-scan reads of a goal), client ids, a search by time, the head
//! digest and the projection checkpoint. A server-grade backend implements the same trait.

mod applier;
mod chunk;
mod sled;
mod time_search;
mod wal;

use std::path::PathBuf;

use crate::record::Digest;

pub use self::sled::SledStore;

/// What the idempotency index keeps for a client-supplied event id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdEntry {
    /// The records the command appended.
    pub first: u64,
    pub last: u64,
    /// BLAKE3 of the command that used the id; zeros when unknown (imported records).
    pub fingerprint: [u8; 32],
}

/// One record to append, with what its indexes need.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub seq: u64,
    pub bytes: Vec<u8>,
    pub stream: String,
    pub version: u64,
}

/// Everything one group commit writes, atomically and durably.
#[derive(Debug, Clone, Default)]
pub struct CommitBatch {
    pub records: Vec<NewRecord>,
    /// Client ids (and imported records' ids) and the records their commands appended.
    pub ids: Vec<(String, IdEntry)>,
    /// The head after this batch.
    pub head: Digest,
}

/// What a commit did. A moved head is an expected outcome the writer matches on, not a failure
/// (compare sled's `CompareAndSwapResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum CommitOutcome {
    /// The batch is durable.
    Committed,
    /// The store's head is not the one the batch continues (another writer got there first):
    /// nothing was written; reload the head and state, then stage the batch again.
    HeadMoved { actual: Digest },
}

/// A projection entry to write (`Some`) or delete (`None`), by key.
pub type ProjectionEntry = (Vec<u8>, Option<Vec<u8>>);

/// A storage failure. Each variant says what the operator can do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process (usually a running server) has the directory open: stop it, or send the
    /// command to it with `--server URL`.
    #[error("the data directory {} is in use by another goal-ledger process (a running server?): stop it, or send commands to it with --server URL", dir.display())]
    Locked { dir: PathBuf },
    /// The directory holds no ledger; check the path or create one by writing to it.
    #[error("there is no ledger in {}: check --data-dir (or GOAL_LEDGER_DATA); a ledger is created by the first write", dir.display())]
    Missing { dir: PathBuf },
    /// The stored data is not what this program wrote; run `verify` and restore from an export.
    #[error("the stored ledger is damaged: {0}; run `goal-ledger verify` and restore from an export if needed")]
    Corrupt(String),
    /// The disk is full: free space; the write was not acknowledged and may be retried.
    #[error("the disk holding {} is full: free space, then retry the write (with the same Idempotency-Key or --id); it was not acknowledged", dir.display())]
    DiskFull { dir: PathBuf },
    /// The disk refused the write (full, read-only, failing): fix the disk and retry; nothing
    /// was acknowledged.
    #[error("the disk refused a write ({0}); it was not acknowledged: free space or fix the disk, then retry it (with the same Idempotency-Key or --id)")]
    Io(#[from] std::io::Error),
}

/// Records in order, each with its sequence number.
pub type RecordIter<'a> = Box<dyn Iterator<Item = Result<(u64, Vec<u8>), StoreError>> + Send + 'a>;

/// Projection entries, each with its key.
pub type EntryIter<'a> =
    Box<dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>> + Send + 'a>;

/// The storage a ledger needs. Implementations must make `commit` atomic and durable: after it
/// returns Ok, the batch survives a crash and power loss; after an error, none of it is visible.
pub trait Store: Send + Sync {
    /// The head as of the last commit.
    fn head(&self) -> Result<Digest, StoreError>;
    /// Writes a batch of records, their indexes and the new head, atomically, then makes it
    /// durable, if the store's head is still `expected`; otherwise writes nothing and answers
    /// `HeadMoved` with the head it has.
    fn commit(&self, expected: Digest, batch: CommitBatch) -> Result<CommitOutcome, StoreError>;
    /// The stored bytes of one record.
    fn record(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError>;
    /// Records with sequence numbers in `from..=to`, in order.
    fn records(&self, from: u64, to: u64) -> RecordIter<'_>;
    /// A stream's records with sequence numbers up to `upto`, in order, each with its sequence
    /// number.
    fn stream_records(&self, stream: &str, upto: u64) -> Result<Vec<(u64, Vec<u8>)>, StoreError>;
    /// Every copy of a record the store keeps besides the log (for one-scan stream reads), with
    /// the sequence number it claims, in any order; `verify` checks them against the chain.
    /// `None` for a store that keeps no copies.
    fn stream_copies(&self) -> Option<RecordIter<'_>> {
        None
    }
    /// The records a client id appended, if that id was used.
    fn find_id(&self, id: &str) -> Result<Option<IdEntry>, StoreError>;
    /// The last sequence number recorded at or before `micros` (Unix microseconds).
    fn last_seq_at(&self, micros: i64) -> Result<Option<u64>, StoreError>;
    /// The first sequence number recorded at or after `micros`.
    fn first_seq_from(&self, micros: i64) -> Result<Option<u64>, StoreError>;
    /// The projection checkpoint: the sequence it covers and the format it was written in.
    fn checkpoint(&self) -> Result<Option<(u64, u32)>, StoreError>;
    /// All projection entries, by key.
    fn projection(&self) -> EntryIter<'_>;
    /// Writes projection entries and the checkpoint atomically; with `replace`, every other
    /// projection entry is removed in the same step.
    fn save_projection(
        &self,
        entries: Vec<ProjectionEntry>,
        checkpoint: (u64, u32),
        replace: bool,
    ) -> Result<(), StoreError>;
    /// After a failed `commit`, tries to bring the store back (for sled: reopen it, which
    /// recovers what was durable). Returns whether it reopened; an error means not yet.
    fn recover(&self) -> Result<bool, StoreError> {
        Ok(false)
    }
    /// Bytes the store occupies on disk.
    fn size_on_disk(&self) -> Result<u64, StoreError>;
}
