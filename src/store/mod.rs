//! Storage: the narrow traits the ledger reads (`StoreRead`) and writes (`Store`) through,
//! `open`, the one place that picks a backend (by `Location`: a data directory or a PostgreSQL
//! URL), and the pieces any backend can share (the chunk codec, the write-ahead log, the
//! applier, the search by time). One folder per backend: `segments/` (the default, in a data
//! directory), `sled/` (the earlier layout, read to migrate), `postgres/` (one ledger that
//! several instances share). A store keeps the records by sequence, each stream's records,
//! client ids, the head and the projection snapshot. A store other processes also append to
//! gives the writer a lock on its head for each group commit (`lock_head`) and tells it when
//! another process may have appended (`follow`).

mod applier;
mod chunk;
mod migrate;
mod postgres;
mod prealloc;
mod segments;
mod sled;
mod time_search;
mod wal;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::record::Digest;

use self::postgres::PgStore;
use self::segments::SegmentStore;
use self::sled::SledStore;

/// What the idempotency index keeps for a client-supplied event id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdEntry {
    /// The records the command appended.
    pub first: u64,
    pub last: u64,
    /// BLAKE3 of the command that used the id; zeros when unknown (imported records).
    pub fingerprint: [u8; 32],
}

/// How many leading bytes of a fingerprint every store keeps (the segment store keeps no more).
pub const FINGERPRINT_KEPT: usize = 12;

impl IdEntry {
    /// Whether the command that used the id is the one with `fingerprint` (its first
    /// `FINGERPRINT_KEPT` bytes agree), or is not known (imported or rebuilt).
    pub fn same_command(&self, fingerprint: &[u8; 32]) -> bool {
        self.fingerprint == [0; 32]
            || self.fingerprint[..FINGERPRINT_KEPT] == fingerprint[..FINGERPRINT_KEPT]
    }
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

impl CommitBatch {
    /// The bytes of its records, in all.
    pub fn record_bytes(&self) -> u64 {
        self.records.iter().map(|r| r.bytes.len() as u64).sum()
    }
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

/// A storage failure. The text says what happened; the faces add what to do about it (a flag,
/// a header), by the failure's `kind`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process (usually a running server) has the directory open.
    #[error("the data directory {} is in use by another goal-ledger process (a running server?)", dir.display())]
    Locked { dir: PathBuf },
    /// The directory (or database) holds no ledger.
    #[error("there is no ledger in {at}")]
    Missing { at: String },
    /// The stored data is not what this program wrote.
    #[error("the stored ledger is damaged: {0}")]
    Corrupt(String),
    /// The disk is full; the write was not acknowledged and may be retried.
    #[error("the disk holding {} is full; the write was not acknowledged", dir.display())]
    DiskFull { dir: PathBuf },
    /// The disk refused the write (full, read-only, failing); nothing was acknowledged.
    #[error("the disk refused a write ({0}); it was not acknowledged")]
    Io(#[from] std::io::Error),
    /// The database refused the work or the connection to it was lost; nothing that failed was
    /// acknowledged, and a write may be retried (with the same client id) once it is back.
    #[error("the database refused or lost the connection ({0}); retry once it is back")]
    Database(String),
}

/// The kinds of storage failure, for the faces to say what to do about each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreFailure {
    Locked,
    Missing,
    Corrupt,
    /// The disk is full or refused a write: free space or fix it, then retry.
    Disk,
    /// The database is down, unreachable or refused the work: bring it back, then retry.
    Database,
}

impl StoreError {
    pub fn kind(&self) -> StoreFailure {
        match self {
            StoreError::Locked { .. } => StoreFailure::Locked,
            StoreError::Missing { .. } => StoreFailure::Missing,
            StoreError::Corrupt(_) => StoreFailure::Corrupt,
            StoreError::DiskFull { .. } | StoreError::Io(_) => StoreFailure::Disk,
            StoreError::Database(_) => StoreFailure::Database,
        }
    }
}

/// Records in order, each with its sequence number.
pub type RecordIter<'a> = Box<dyn Iterator<Item = Result<(u64, Vec<u8>), StoreError>> + Send + 'a>;

/// What an index entry finds, for `verify`: some bytes (checked against the record's hash), or
/// the record itself (the store saw the entry name that record's place in the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Bytes(Vec<u8>),
    Record,
}

/// Each index entry's claimed sequence number and what it finds.
pub type CopyIter<'a> = Box<dyn Iterator<Item = Result<(u64, Found), StoreError>> + Send + 'a>;

/// Projection entries, each with its key.
pub type EntryIter<'a> =
    Box<dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>> + Send + 'a>;

/// How to open a store.
#[derive(Debug, Clone)]
pub struct Options {
    /// Create the store if the directory holds none; without it, a missing store is
    /// `StoreError::Missing`.
    pub create: bool,
    /// Start the next file of the write-ahead log once the current one holds this many bytes:
    /// larger means fewer flushes of the store and a longer replay after a crash.
    pub wal_file_bytes: u64,
    /// Seal a segment of the log once it holds this many bytes of records.
    pub segment_bytes: u64,
}

impl Options {
    /// The default size of a write-ahead log file.
    pub const WAL_FILE_BYTES: u64 = 64 << 20;
    /// The default size of a segment.
    pub const SEGMENT_BYTES: u64 = 64 << 20;
}

impl Default for Options {
    fn default() -> Self {
        Options {
            create: true,
            wal_file_bytes: Options::WAL_FILE_BYTES,
            segment_bytes: Options::SEGMENT_BYTES,
        }
    }
}

/// Where a ledger's store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A data directory: the segment store.
    Dir(PathBuf),
    /// A PostgreSQL database, by its URL (`postgres://user@host:port/dbname`).
    Postgres(String),
}

impl Location {
    /// A `--store` argument: a PostgreSQL URL (`postgres://…` or `postgresql://…`).
    pub fn parse_url(text: &str) -> Result<Location, String> {
        let scheme = text.split_once("://").map(|(s, _)| s);
        match scheme {
            Some("postgres" | "postgresql") => Ok(Location::Postgres(text.to_owned())),
            _ => Err(format!(
                "{:?} is not a PostgreSQL URL: give postgres://user@host:port/dbname (a data directory is --data-dir)",
                redact(text)
            )),
        }
    }

    /// What to call the store in messages: the directory, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Location::Dir(dir) => dir.display().to_string(),
            Location::Postgres(url) => redact(url),
        }
    }
}

/// A URL with its password (in the user part or a `password=` parameter) replaced by `***`.
fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{name}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    let tail: Vec<String> = tail
        .split('&')
        .map(|part| match part.find("password=") {
            Some(at) if at == 0 || part[..at].ends_with('?') => {
                format!("{}password=***", &part[..at])
            }
            _ => part.to_owned(),
        })
        .collect();
    let joined = format!("{authority}{}", tail.join("&"));
    match scheme {
        "" => joined,
        _ => format!("{scheme}://{joined}"),
    }
}

/// Opens the store at `location` for the single writer. The one place that picks the backend.
pub fn open(location: &Location, options: &Options) -> Result<Arc<dyn Store>, StoreError> {
    match location {
        Location::Dir(dir) => open_dir(dir, options),
        Location::Postgres(url) => Ok(Arc::new(PgStore::open(url, options)?)),
    }
}

/// The segment store in `dir`, migrated from the sled layout first if it is in that one.
fn open_dir(dir: &Path, options: &Options) -> Result<Arc<dyn Store>, StoreError> {
    if migrate::needed(dir) {
        migrate::from_sled(dir, options)?;
    } else if SledStore::exists(dir) {
        // A migration moved the segments in place but did not finish removing sled's files.
        migrate::remove_sled_files(dir)?;
    }
    Ok(Arc::new(SegmentStore::open(dir, options)?))
}

/// Opens an existing store for auditing (verify, digest, export); it is never written to
/// through this handle.
pub fn open_existing(location: &Location) -> Result<Arc<dyn Store>, StoreError> {
    let options = Options {
        create: false,
        ..Options::default()
    };
    open(location, &options)
}

/// What readers of a ledger's storage may do: every read, nothing that writes.
///
/// Ranges of sequence numbers here are inclusive, `first..=last` (`records_in`), and "up to"
/// means including (`stream_records(.., upto)`). The ledger's pages are the other shape,
/// `after` (exclusive) and a `limit`, as a feed's cursor is.
///
/// The projection *snapshot* (the state of every goal and team, saved so that opening replays
/// only the records after it) is `snapshot_mark` / `snapshot_entries` / `save_snapshot`; a *log
/// checkpoint* is the store making itself durable and emptying its write-ahead log.
pub trait StoreRead: Send + Sync {
    /// The head as of the last commit.
    fn head(&self) -> Result<Digest, StoreError>;
    /// The stored bytes of one record.
    fn record(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError>;
    /// Records with sequence numbers in `first..=last`, in order.
    fn records_in(&self, first: u64, last: u64) -> RecordIter<'_>;
    /// A stream's records with sequence numbers up to `upto`, in order, each with its sequence
    /// number.
    fn stream_records(&self, stream: &str, upto: u64) -> Result<Vec<(u64, Vec<u8>)>, StoreError>;
    /// Every copy of a record the store keeps besides the log (for one-scan stream reads), with
    /// the sequence number it claims, in any order; `verify` checks them against the chain.
    /// `None` for a store that keeps no copies.
    fn stream_copies(&self) -> Option<CopyIter<'_>> {
        None
    }
    /// The records a client id appended, if that id was used.
    fn find_id(&self, id: &str) -> Result<Option<IdEntry>, StoreError>;
    /// The last sequence number recorded at or before `micros` (Unix microseconds).
    fn last_seq_at(&self, micros: i64) -> Result<Option<u64>, StoreError>;
    /// The first sequence number recorded at or after `micros`.
    fn first_seq_from(&self, micros: i64) -> Result<Option<u64>, StoreError>;
    /// The projection snapshot's mark: the sequence it covers and the format it was written in.
    fn snapshot_mark(&self) -> Result<Option<(u64, u32)>, StoreError>;
    /// All projection entries of the snapshot, by key.
    fn snapshot_entries(&self) -> EntryIter<'_>;
    /// Bytes the store occupies on disk.
    fn size_on_disk(&self) -> Result<u64, StoreError>;
    /// Bytes on disk by part (`log`, `index`, ...), for metrics: read as they are, without
    /// waiting for the indexes to settle.
    fn parts_on_disk(&self) -> Result<Vec<(&'static str, u64)>, StoreError> {
        Ok(vec![("all", self.size_on_disk()?)])
    }
    /// Records durable in the log that the indexes do not hold yet.
    fn index_lag(&self) -> u64 {
        0
    }
    /// The Merkle tree's chunk hashes as kept (`proofs::merkle`): complete chunks in order, maybe
    /// fewer than the log holds (the ledger hashes the rest again); empty for a store that keeps
    /// none.
    fn tree_chunks(&self) -> Result<Vec<crate::proofs::Hash>, StoreError> {
        Ok(Vec::new())
    }
    /// Every signed checkpoint kept, oldest first.
    fn checkpoints(&self) -> Result<Vec<String>, StoreError> {
        Ok(Vec::new())
    }
    /// The test-only doors that alter stored data, if this store has them.
    #[cfg(feature = "tamper")]
    fn tamper(&self) -> Option<&dyn Tamper> {
        None
    }
}

/// The storage a ledger needs: the reads, and the writes only the single writer makes.
/// Implementations must make `commit` atomic and durable: after it returns `Committed`, the
/// batch survives a crash and power loss; after an error or `HeadMoved`, none of it is visible.
pub trait Store: StoreRead {
    /// This store as its read-only face.
    fn as_read(&self) -> &dyn StoreRead;
    /// Writes a batch of records, their indexes and the new head, atomically, then makes it
    /// durable, if the store's head is still `expected`; otherwise writes nothing and answers
    /// `HeadMoved` with the head it has.
    fn commit(&self, expected: Digest, batch: CommitBatch) -> Result<CommitOutcome, StoreError>;
    /// Writes projection entries and the snapshot's mark atomically; with `replace`, every
    /// other projection entry is removed in the same step.
    fn save_snapshot(
        &self,
        entries: Vec<ProjectionEntry>,
        mark: (u64, u32),
        replace: bool,
    ) -> Result<(), StoreError>;
    /// Keeps the Merkle tree's chunk hashes from chunk `first` on (what was kept from `first` on
    /// is replaced). A store that keeps none ignores them.
    fn save_tree_chunks(
        &self,
        _first: usize,
        _chunks: &[crate::proofs::Hash],
    ) -> Result<(), StoreError> {
        Ok(())
    }
    /// Keeps a signed checkpoint, durably, after those kept before.
    fn keep_checkpoint(&self, _note: &str) -> Result<(), StoreError> {
        Err(StoreError::Io(std::io::Error::other(
            "this store keeps no checkpoints",
        )))
    }
    /// Locks the head of a store other processes also append to (a database several
    /// instances share) for one group commit: the writer catches up to the locked head, stages
    /// its batch on that state and commits it through the lock, so no batch is decided on a
    /// stale state. `None` for a store only this process writes (`commit` compares the head).
    fn lock_head(&self) -> Option<Result<Box<dyn HeadLock>, StoreError>> {
        None
    }
    /// Calls `moved` whenever another process may have appended: at once when told (a
    /// database's notifications) and every `poll` as well, in case a notice was lost; again
    /// after a lost connection comes back. Runs until the store is dropped. A store no other
    /// process writes never calls it.
    fn follow(&self, _moved: Arc<dyn Fn() + Send + Sync>, _poll: std::time::Duration) {}
    /// After a failed `commit`, tries to bring the store back (for sled: reopen it, which
    /// recovers what was durable). Returns whether it reopened; an error means not yet.
    fn recover(&self) -> Result<bool, StoreError> {
        Ok(false)
    }
}

/// A store's head, locked for one group commit (`Store::lock_head`). Dropped without a commit,
/// it writes nothing and releases the lock.
pub trait HeadLock: Send {
    /// The head as locked: what the batch must continue.
    fn head(&self) -> Digest;
    /// Writes the batch (which continues `head()`) atomically and durably, and releases the
    /// lock. An error is unacknowledged, as `Store::commit`'s.
    fn commit(self: Box<Self>, batch: CommitBatch) -> Result<(), StoreError>;
}

/// Test-only doors that alter the stored data behind the ledger's back, so tests can show that
/// `verify` names what changed. Only with the `tamper` feature.
#[cfg(feature = "tamper")]
pub trait Tamper {
    /// Overwrites (or with `None` removes) the stored bytes of record `seq`.
    fn tamper_put(&self, seq: u64, bytes: Option<&[u8]>) -> Result<(), StoreError>;
    /// Overwrites (or with `None` removes) the stream copy of record `seq`.
    fn tamper_stream_copy(&self, seq: u64, bytes: Option<&[u8]>) -> Result<(), StoreError>;
    /// Overwrites the stored head.
    fn tamper_head(&self, head: Digest) -> Result<(), StoreError>;
}

#[cfg(test)]
mod location_tests {
    use super::*;

    #[test]
    fn a_database_url_is_described_without_its_password() {
        let cases = [
            (
                "postgres://app:s3cret@db:5432/goals",
                "postgres://app:***@db:5432/goals",
            ),
            ("postgres://app@db/goals", "postgres://app@db/goals"),
            (
                "postgresql://db/goals?user=app&password=s3cret&sslmode=disable",
                "postgresql://db/goals?user=app&password=***&sslmode=disable",
            ),
            (
                "postgres://db/goals?password=s3cret",
                "postgres://db/goals?password=***",
            ),
        ];
        for (url, described) in cases {
            let location = Location::parse_url(url).unwrap();
            assert_eq!(location.describe(), described);
            assert!(!location.describe().contains("s3cret"));
        }
    }

    #[test]
    fn only_a_postgres_url_names_a_store_and_the_refusal_shows_no_password() {
        for text in [
            "./data",
            "/var/lib/goals",
            "mysql://u:s3cret@db/x",
            "postgres:/x",
        ] {
            let refused = Location::parse_url(text).unwrap_err();
            assert!(refused.contains("not a PostgreSQL URL"), "{refused}");
            assert!(!refused.contains("s3cret"), "{refused}");
        }
    }
}
