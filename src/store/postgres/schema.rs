//! The PostgreSQL schema, created and migrated by the program: numbered migrations, each
//! applied once, in one transaction with its row in `schema_migrations`, under a transaction
//! advisory lock, so that instances starting together apply each exactly once and a failed
//! migration leaves nothing half done. A database of a newer schema than this program knows
//! is refused rather than written to.

use deadpool_postgres::Client;

use super::db_error;
use crate::store::StoreError;

/// The advisory lock key every instance takes to migrate ("goalledg").
const LOCK_KEY: i64 = 0x676f_616c_6c65_6467;

/// The migrations, in order: a version and its SQL. Never edit one that has shipped; add the
/// next.
const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    r"
    -- Each record's exact stored bytes, by sequence number, with what the indexes need: its
    -- stream and version (unique: two records never take one stream's version) and its time.
    CREATE TABLE records (
        seq bigint PRIMARY KEY,
        bytes bytea NOT NULL,
        stream text NOT NULL,
        version bigint NOT NULL,
        micros bigint NOT NULL,
        UNIQUE (stream, version)
    );
    -- Times never go back along the log, so (micros, seq) order is sequence order.
    CREATE INDEX records_by_time ON records (micros, seq);
    -- Client ids (idempotency keys) and the records their commands appended.
    CREATE TABLE ids (
        id text PRIMARY KEY,
        first_seq bigint NOT NULL,
        last_seq bigint NOT NULL,
        fingerprint bytea NOT NULL
    );
    -- The head: the one row every commit locks, so appends from all instances serialize.
    CREATE TABLE chain_head (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        seq bigint NOT NULL,
        hash bytea NOT NULL
    );
    INSERT INTO chain_head (one, seq, hash) VALUES (true, 0, decode(repeat('00', 32), 'hex'));
    -- The projection snapshot: its mark (the sequence it covers, its format) and entries.
    CREATE TABLE snapshot_mark (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        seq bigint NOT NULL,
        format integer NOT NULL
    );
    CREATE TABLE snapshot_entries (
        key bytea PRIMARY KEY,
        value bytea NOT NULL
    );
    -- The Merkle tree's chunk hashes (derived: hashed again from the records when missing).
    CREATE TABLE tree_chunks (
        chunk bigint PRIMARY KEY,
        hash bytea NOT NULL
    );
    -- Signed checkpoints, oldest first (not derived: what the ledger has signed).
    CREATE TABLE checkpoints (
        n bigserial PRIMARY KEY,
        note text NOT NULL
    );
    ",
)];

/// The newest schema version this program knows.
pub fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |(v, _)| *v)
}

/// Brings the database's schema up to date. Without `create`, a database holding no ledger
/// is `Missing` (named `place`) and is left as it is.
pub async fn migrate(client: &mut Client, create: bool, place: &str) -> Result<(), StoreError> {
    let tx = client.transaction().await.map_err(db_error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(db_error)?;
    let exists: bool = tx
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .await
        .map_err(db_error)?
        .get(0);
    if !exists && !create {
        return Err(StoreError::Missing {
            at: place.to_owned(),
        });
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(db_error)?;
    let applied: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .map_err(db_error)?
        .get(0);
    if applied > latest() {
        return Err(StoreError::Corrupt(format!(
            "the database {place} holds a ledger of schema version {applied}, newer than this program's {}; run a newer goal-ledger",
            latest()
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > applied) {
        tx.batch_execute(sql).await.map_err(db_error)?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[version],
        )
        .await
        .map_err(db_error)?;
        tracing::info!(version, database = place, "applied a schema migration");
    }
    tx.commit().await.map_err(db_error)
}
