//! The PostgreSQL store: one ledger that several goal-ledger instances can share. The records
//! are kept as their exact bytes, by sequence number, in `records`, with each one's stream,
//! version and time beside it; client ids, the head, the projection snapshot, the Merkle
//! tree's chunks and the signed checkpoints are tables too (`schema.rs`, migrated at open).
//!
//! A commit is one READ COMMITTED transaction: lock the one-row `chain_head` (`SELECT … FOR
//! UPDATE`), insert the records and ids (one statement each, arrays unnested), move the head,
//! `pg_notify` the other instances, commit. The writer holds that lock while it catches up and
//! stages its batch (`lock.rs`), so instances take turns at the head; `commit` alone compares
//! the head it expects and answers `HeadMoved` instead. Each instance listens for the others'
//! commits on a connection of its own and polls as well (`follow.rs`). PostgreSQL's default
//! `synchronous_commit = on` makes the commit durable before it is acknowledged. A commit whose
//! outcome is unknown (the connection lost at COMMIT) is an error: the writer re-reads the
//! head, which says, and a retry with the same client id finds it in `ids`.
//!
//! The `Store` trait is synchronous; tokio-postgres is async. The store runs every query on a
//! small runtime of its own (`bridge.rs`), so it can be called from any thread, inside a tokio
//! runtime or not. Reads are in `read.rs`.
mod bridge;
mod follow;
mod lock;
mod read;
mod schema;
#[cfg(feature = "tamper")]
mod tamper;

use std::collections::BTreeMap;
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use super::{redact, CommitBatch, CommitOutcome, Options, ProjectionEntry, Store, StoreError};
use crate::record::{read_recorded_at, Digest, RecordHash};
use bridge::Bridge;

/// Connections an instance keeps to the database: the writer's commit, and readers beside it.
const POOL_SIZE: usize = 8;
/// The longest a commit waits for another instance's hold on the chain head, and the longest a
/// session may sit idle inside a transaction (a stopped instance's hold is then released).
const HEAD_WAIT: Duration = Duration::from_secs(15);
/// How long a call waits for a connection (the database down: fail, so the caller can retry).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A ledger store in a PostgreSQL database.
pub struct PgStore {
    pool: Pool,
    /// How to connect, for the connection that listens (`follow.rs`).
    config: tokio_postgres::Config,
    /// This store's id in its commits' notices, so it does not follow its own commits.
    instance: String,
    /// The URL without its password, for messages.
    place: String,
    /// Last, so the connections close before their runtime stops.
    bridge: Bridge,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("database", &self.place)
            .finish()
    }
}

/// A database error as a `StoreError`, with PostgreSQL's own words when it has them.
pub(super) fn db_error(e: tokio_postgres::Error) -> StoreError {
    StoreError::Database(db_text(&e))
}

pub(super) fn db_text(e: &tokio_postgres::Error) -> String {
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// A record insert refused because its place is taken: records past the head, which the head
/// should have named (a unique key is the check's backstop, never the check itself).
fn taken(e: tokio_postgres::Error) -> StoreError {
    if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
        return StoreError::Corrupt(format!(
            "the database holds records past its head ({}); run `goal-ledger verify`",
            db_text(&e)
        ));
    }
    db_error(e)
}

fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => db_error(e),
        other => StoreError::Database(format!("no connection to the database: {other}")),
    }
}

/// A sequence number as PostgreSQL's `bigint` (past its range: its largest value).
fn seq_arg(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

/// A stored `bigint` that must be a sequence number.
fn seq_of(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("a negative sequence {value}")))
}

/// A stored 32-byte hash.
fn hash_of(bytes: &[u8], what: &str) -> Result<[u8; 32], StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("{what} is {} bytes, not 32", bytes.len())))
}

impl PgStore {
    /// Connects to the database at `url` and brings its schema up to date. With
    /// `options.create`, a database holding no ledger gets an empty one; without it, that is
    /// `StoreError::Missing`.
    pub fn open(url: &str, options: &Options) -> Result<PgStore, StoreError> {
        let place = redact(url);
        let mut config = tokio_postgres::Config::from_str(url).map_err(|e| {
            StoreError::Database(format!("{place} is not a usable PostgreSQL URL: {e}"))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("goal-ledger");
        }
        if config.get_options().is_none() {
            // An instance that stops mid-commit (frozen, cut off) must not hold the chain head
            // for ever: its session ends after this long idle in a transaction, and a commit
            // waits this long at most for the head before it answers 503.
            config.options(format!(
                "-c idle_in_transaction_session_timeout={ms} -c lock_timeout={ms}",
                ms = HEAD_WAIT.as_millis()
            ));
        }
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT * 3))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Database(format!("cannot make a connection pool: {e}")))?;
        let store = PgStore {
            pool,
            config,
            instance: uuid::Uuid::new_v4().simple().to_string(),
            place,
            bridge: Bridge::new()?,
        };
        let create = options.create;
        let place = store.place.clone();
        store.with_pool(move |pool| async move {
            let mut client = pool.get().await.map_err(pool_error)?;
            schema::migrate(&mut client, create, &place).await
        })?;
        Ok(store)
    }

    /// Runs async work on a connection pool, on the store's own runtime.
    fn with_pool<T, F, Fut>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(Pool) -> Fut,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        self.bridge.run(work(self.pool.clone()))
    }
}

/// A batch as the columns `unnest` inserts: seqs, bytes, streams, versions, times.
type Columns = (Vec<i64>, Vec<Vec<u8>>, Vec<String>, Vec<i64>, Vec<i64>);

fn columns(batch: &mut CommitBatch) -> Result<Columns, StoreError> {
    let n = batch.records.len();
    let mut cols: Columns = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for r in std::mem::take(&mut batch.records) {
        let at = read_recorded_at(&r.bytes)
            .map_err(|e| StoreError::Corrupt(format!("record {} to commit: {e}", r.seq)))?;
        cols.0.push(seq_arg(r.seq));
        cols.4.push(at.timestamp_micros());
        cols.1.push(r.bytes);
        cols.2.push(r.stream);
        cols.3.push(seq_arg(r.version));
    }
    Ok(cols)
}

/// Ids as the columns `unnest` inserts, the last use of an id in the batch winning (as in
/// every store: an id's newest entry is the one kept).
fn id_columns(batch: &CommitBatch) -> (Vec<String>, Vec<i64>, Vec<i64>, Vec<Vec<u8>>) {
    let latest: BTreeMap<&str, _> = batch.ids.iter().map(|(id, e)| (id.as_str(), e)).collect();
    let mut cols = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (id, e) in latest {
        cols.0.push(id.to_owned());
        cols.1.push(seq_arg(e.first));
        cols.2.push(seq_arg(e.last));
        cols.3.push(e.fingerprint.to_vec());
    }
    cols
}

const LOCK_HEAD: &str = "SELECT seq, hash FROM chain_head FOR UPDATE";
const MOVE_HEAD: &str = "UPDATE chain_head SET seq = $1, hash = $2";
const INSERT_RECORDS: &str = "INSERT INTO records (seq, bytes, stream, version, micros)
    SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::text[], $4::bigint[], $5::bigint[])";
const NOTIFY: &str = "SELECT pg_notify($1, $2)";
const UPSERT_IDS: &str = "INSERT INTO ids (id, first_seq, last_seq, fingerprint)
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bytea[])
    ON CONFLICT (id) DO UPDATE SET first_seq = EXCLUDED.first_seq,
        last_seq = EXCLUDED.last_seq, fingerprint = EXCLUDED.fingerprint";

/// Locks the chain head for this transaction and reads it.
async fn lock_head(tx: &deadpool_postgres::Transaction<'_>) -> Result<Digest, StoreError> {
    let lock = tx.prepare_cached(LOCK_HEAD).await.map_err(db_error)?;
    let row = tx.query_one(&lock, &[]).await.map_err(db_error)?;
    Ok(Digest {
        seq: seq_of(row.get(0))?,
        hash: RecordHash(hash_of(row.get(1), "the head's hash")?),
    })
}

/// A batch as the rows one commit writes, and the notice it sends.
pub(super) struct Rows {
    records: Columns,
    ids: (Vec<String>, Vec<i64>, Vec<i64>, Vec<Vec<u8>>),
    head: (i64, Vec<u8>),
    notice: String,
}

impl Rows {
    pub(super) fn of(batch: &mut CommitBatch, instance: &str) -> Result<Rows, StoreError> {
        Ok(Rows {
            records: columns(batch)?,
            ids: id_columns(batch),
            head: (seq_arg(batch.head.seq), batch.head.hash.0.to_vec()),
            notice: format!("{instance}:{}", batch.head.seq),
        })
    }

    /// Inserts the records and ids, moves the head and notifies the listening instances, in
    /// the transaction that holds the head's lock.
    pub(super) async fn write(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
    ) -> Result<(), StoreError> {
        let insert = tx.prepare_cached(INSERT_RECORDS).await.map_err(db_error)?;
        let upsert = tx.prepare_cached(UPSERT_IDS).await.map_err(db_error)?;
        let move_head = tx.prepare_cached(MOVE_HEAD).await.map_err(db_error)?;
        let notify = tx.prepare_cached(NOTIFY).await.map_err(db_error)?;
        let (r, ids, (seq, hash)) = (&self.records, &self.ids, &self.head);
        // Sent together, answered in order: one round trip for the four (pipelining).
        // Every answer is awaited, and the first statement's failure is the one told (the
        // later ones then only say the transaction was aborted).
        let (inserted, upserted, moved, notified) = tokio::join!(
            async {
                tx.execute(&insert, &[&r.0, &r.1, &r.2, &r.3, &r.4])
                    .await
                    .map_err(taken)
            },
            async {
                tx.execute(&upsert, &[&ids.0, &ids.1, &ids.2, &ids.3])
                    .await
                    .map_err(db_error)
            },
            async { tx.execute(&move_head, &[seq, hash]).await.map_err(db_error) },
            // Delivered at COMMIT, to the instances that listen (`follow.rs`).
            async {
                tx.execute(&notify, &[&follow::CHANNEL, &self.notice])
                    .await
                    .map_err(db_error)
            },
        );
        inserted?;
        upserted?;
        moved?;
        notified?;
        Ok(())
    }
}

impl Store for PgStore {
    fn as_read(&self) -> &dyn super::StoreRead {
        self
    }

    fn commit(
        &self,
        expected: Digest,
        mut batch: CommitBatch,
    ) -> Result<CommitOutcome, StoreError> {
        let rows = Rows::of(&mut batch, &self.instance)?;
        self.with_pool(move |pool| async move {
            let mut client = pool.get().await.map_err(pool_error)?;
            let tx = client.transaction().await.map_err(db_error)?;
            let actual = lock_head(&tx).await?;
            if actual != expected {
                tx.rollback().await.map_err(db_error)?;
                return Ok(CommitOutcome::HeadMoved { actual });
            }
            rows.write(&tx).await?;
            tx.commit().await.map_err(db_error)?;
            Ok(CommitOutcome::Committed)
        })
    }

    fn lock_head(&self) -> Option<Result<Box<dyn super::HeadLock>, StoreError>> {
        Some(lock::HeldHead::take(self).map(|held| Box::new(held) as Box<dyn super::HeadLock>))
    }

    fn follow(&self, moved: std::sync::Arc<dyn Fn() + Send + Sync>, poll: Duration) {
        let (config, instance) = (self.config.clone(), self.instance.clone());
        self.bridge
            .spawn(follow::follow(config, instance, moved, poll));
    }

    fn save_snapshot(
        &self,
        entries: Vec<ProjectionEntry>,
        mark: (u64, u32),
        replace: bool,
    ) -> Result<(), StoreError> {
        // The last word on a key wins, as it would applied one by one.
        let entries: BTreeMap<Vec<u8>, Option<Vec<u8>>> = entries.into_iter().collect();
        let (mut keys, mut values, mut gone) = (Vec::new(), Vec::new(), Vec::new());
        for (key, value) in entries {
            match value {
                Some(v) => {
                    keys.push(key);
                    values.push(v);
                }
                None => gone.push(key),
            }
        }
        let (seq, format) = (seq_arg(mark.0), mark.1 as i32);
        self.with_pool(move |pool| async move {
            let mut client = pool.get().await.map_err(pool_error)?;
            let tx = client.transaction().await.map_err(db_error)?;
            let kept = tx
                .query_opt("SELECT seq, format FROM snapshot_mark FOR UPDATE", &[])
                .await
                .map_err(db_error)?;
            // Another instance saved a later snapshot of the same log: it stands (entries of
            // a later state under an earlier mark would replay records twice).
            if let Some(row) = kept {
                if row.get::<_, i32>(1) == format && row.get::<_, i64>(0) > seq {
                    return tx.rollback().await.map_err(db_error);
                }
            }
            if replace {
                tx.execute("DELETE FROM snapshot_entries", &[])
                    .await
                    .map_err(db_error)?;
            }
            tx.execute(
                "INSERT INTO snapshot_entries (key, value)
                 SELECT * FROM unnest($1::bytea[], $2::bytea[])
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                &[&keys, &values],
            )
            .await
            .map_err(db_error)?;
            tx.execute("DELETE FROM snapshot_entries WHERE key = ANY($1)", &[&gone])
                .await
                .map_err(db_error)?;
            tx.execute(
                "INSERT INTO snapshot_mark (one, seq, format) VALUES (true, $1, $2)
                 ON CONFLICT (one) DO UPDATE SET seq = EXCLUDED.seq, format = EXCLUDED.format",
                &[&seq, &format],
            )
            .await
            .map_err(db_error)?;
            tx.commit().await.map_err(db_error)
        })
    }

    fn save_tree_chunks(
        &self,
        first: usize,
        chunks: &[crate::proofs::Hash],
    ) -> Result<(), StoreError> {
        let first = first as i64;
        let numbers: Vec<i64> = (first..).take(chunks.len()).collect();
        let end = first + chunks.len() as i64;
        let hashes: Vec<Vec<u8>> = chunks.iter().map(|c| c.to_vec()).collect();
        self.with_pool(move |pool| async move {
            let mut client = pool.get().await.map_err(pool_error)?;
            let tx = client.transaction().await.map_err(db_error)?;
            let kept: i64 = tx
                .query_one("SELECT count(*) FROM tree_chunks", &[])
                .await
                .map_err(db_error)?
                .get(0);
            if kept < first {
                // A gap cannot be filled; the ledger hashes the rest from the records.
                return tx.rollback().await.map_err(db_error);
            }
            // Upserts, so that instances saving the same (derived) chunks never collide.
            tx.execute("DELETE FROM tree_chunks WHERE chunk >= $1", &[&end])
                .await
                .map_err(db_error)?;
            tx.execute(
                "INSERT INTO tree_chunks (chunk, hash)
                 SELECT * FROM unnest($1::bigint[], $2::bytea[])
                 ON CONFLICT (chunk) DO UPDATE SET hash = EXCLUDED.hash",
                &[&numbers, &hashes],
            )
            .await
            .map_err(db_error)?;
            tx.commit().await.map_err(db_error)
        })
    }

    fn keep_checkpoint(&self, note: &str) -> Result<(), StoreError> {
        let note = note.to_owned();
        self.with_pool(move |pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            client
                .execute("INSERT INTO checkpoints (note) VALUES ($1)", &[&note])
                .await
                .map_err(db_error)?;
            Ok(())
        })
    }
}
