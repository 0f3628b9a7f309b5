//! Reads from the PostgreSQL store: a record by its primary key, a range in pages of
//! `PAGE` records (one query a page, so a walk over the whole log holds one page at a time), a
//! stream through its (stream, version) key, a client id by its key, a time through the
//! (micros, seq) index. The store keeps no copies of records besides `records`, so `verify`
//! has none to check; everything it reads comes from committed transactions only.

use tokio_postgres::Row;

use super::{db_error, hash_of, pool_error, seq_arg, seq_of, PgStore};
use crate::record::{Digest, RecordHash};
use crate::store::{EntryIter, IdEntry, RecordIter, StoreError, StoreRead};

/// Records a page of a range read holds.
const PAGE: i64 = 1000;

/// A `(seq, bytes)` row.
fn record_row(row: &Row) -> Result<(u64, Vec<u8>), StoreError> {
    Ok((seq_of(row.get(0))?, row.get(1)))
}

impl PgStore {
    /// Up to `PAGE` records with sequence numbers in `first..=last`, in order.
    fn page(&self, first: u64, last: u64) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let (first, last) = (seq_arg(first), seq_arg(last));
        self.with_pool(move |pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            let query = client
                .prepare_cached(
                    "SELECT seq, bytes FROM records WHERE seq >= $1 AND seq <= $2
                     ORDER BY seq LIMIT $3",
                )
                .await
                .map_err(db_error)?;
            let rows = client
                .query(&query, &[&first, &last, &PAGE])
                .await
                .map_err(db_error)?;
            rows.iter().map(record_row).collect()
        })
    }

    /// The one sequence number a query answers, if any.
    fn one_seq(&self, sql: &'static str, micros: i64) -> Result<Option<u64>, StoreError> {
        self.with_pool(move |pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            let query = client.prepare_cached(sql).await.map_err(db_error)?;
            let row = client
                .query_opt(&query, &[&micros])
                .await
                .map_err(db_error)?;
            row.map(|r| seq_of(r.get(0))).transpose()
        })
    }

    /// Bytes of the store's tables: the records table (with its TOAST) and all the indexes.
    fn table_bytes(&self) -> Result<(u64, u64), StoreError> {
        self.with_pool(move |pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            let row = client
                .query_one(
                    "SELECT pg_table_size('records'),
                        pg_indexes_size('records') + pg_total_relation_size('ids')
                        + pg_total_relation_size('chain_head')
                        + pg_total_relation_size('snapshot_mark')
                        + pg_total_relation_size('snapshot_entries')
                        + pg_total_relation_size('tree_chunks')
                        + pg_total_relation_size('checkpoints')",
                    &[],
                )
                .await
                .map_err(db_error)?;
            let bytes = |i: usize| u64::try_from(row.get::<_, i64>(i)).unwrap_or(0);
            Ok((bytes(0), bytes(1)))
        })
    }
}

/// A range of records, read a page at a time.
struct Pages<'a> {
    store: &'a PgStore,
    next: u64,
    last: u64,
    page: std::vec::IntoIter<(u64, Vec<u8>)>,
    done: bool,
}

impl Iterator for Pages<'_> {
    type Item = Result<(u64, Vec<u8>), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(record) = self.page.next() {
                return Some(Ok(record));
            }
            if self.done {
                return None;
            }
            match self.store.page(self.next, self.last) {
                Ok(rows) => {
                    match rows.last() {
                        Some((seq, _)) if *seq < self.last && rows.len() as i64 == PAGE => {
                            self.next = seq + 1;
                        }
                        _ => self.done = true,
                    }
                    self.page = rows.into_iter();
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

impl StoreRead for PgStore {
    fn head(&self) -> Result<Digest, StoreError> {
        self.with_pool(move |pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            let query = client
                .prepare_cached("SELECT seq, hash FROM chain_head")
                .await
                .map_err(db_error)?;
            let row = client.query_one(&query, &[]).await.map_err(db_error)?;
            Ok(Digest {
                seq: seq_of(row.get(0))?,
                hash: RecordHash(hash_of(row.get(1), "the head's hash")?),
            })
        })
    }

    fn record(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let seq = seq_arg(seq);
        self.with_pool(move |pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            let query = client
                .prepare_cached("SELECT bytes FROM records WHERE seq = $1")
                .await
                .map_err(db_error)?;
            let row = client.query_opt(&query, &[&seq]).await.map_err(db_error)?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    fn records_in(&self, first: u64, last: u64) -> RecordIter<'_> {
        let first = first.max(1);
        Box::new(Pages {
            store: self,
            next: first,
            last,
            page: Vec::new().into_iter(),
            done: first > last,
        })
    }

    fn stream_records(&self, stream: &str, upto: u64) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let (stream, upto) = (stream.to_owned(), seq_arg(upto));
        self.with_pool(move |pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            // A stream's versions rise with its sequence numbers: its key gives them in order.
            let query = client
                .prepare_cached(
                    "SELECT seq, bytes FROM records WHERE stream = $1 AND seq <= $2
                     ORDER BY version",
                )
                .await
                .map_err(db_error)?;
            let rows = client
                .query(&query, &[&stream, &upto])
                .await
                .map_err(db_error)?;
            rows.iter().map(record_row).collect()
        })
    }

    fn find_id(&self, id: &str) -> Result<Option<IdEntry>, StoreError> {
        let id = id.to_owned();
        self.with_pool(move |pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            let query = client
                .prepare_cached("SELECT first_seq, last_seq, fingerprint FROM ids WHERE id = $1")
                .await
                .map_err(db_error)?;
            let Some(row) = client.query_opt(&query, &[&id]).await.map_err(db_error)? else {
                return Ok(None);
            };
            Ok(Some(IdEntry {
                first: seq_of(row.get(0))?,
                last: seq_of(row.get(1))?,
                fingerprint: hash_of(row.get(2), "an id's fingerprint")?,
            }))
        })
    }

    fn last_seq_at(&self, micros: i64) -> Result<Option<u64>, StoreError> {
        self.one_seq(
            "SELECT seq FROM records WHERE micros <= $1 ORDER BY micros DESC, seq DESC LIMIT 1",
            micros,
        )
    }

    fn first_seq_from(&self, micros: i64) -> Result<Option<u64>, StoreError> {
        self.one_seq(
            "SELECT seq FROM records WHERE micros >= $1 ORDER BY micros, seq LIMIT 1",
            micros,
        )
    }

    fn snapshot_mark(&self) -> Result<Option<(u64, u32)>, StoreError> {
        self.with_pool(move |pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            let row = client
                .query_opt("SELECT seq, format FROM snapshot_mark", &[])
                .await
                .map_err(db_error)?;
            let Some(row) = row else {
                return Ok(None);
            };
            let format = u32::try_from(row.get::<_, i32>(1))
                .map_err(|_| StoreError::Corrupt("a negative snapshot format".into()))?;
            Ok(Some((seq_of(row.get(0))?, format)))
        })
    }

    fn snapshot_entries(&self) -> EntryIter<'_> {
        let entries = self.with_pool(move |pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            let rows = client
                .query("SELECT key, value FROM snapshot_entries ORDER BY key", &[])
                .await
                .map_err(db_error)?;
            Ok(rows
                .iter()
                .map(|r| (r.get::<_, Vec<u8>>(0), r.get::<_, Vec<u8>>(1)))
                .collect::<Vec<_>>())
        });
        match entries {
            Ok(entries) => Box::new(entries.into_iter().map(Ok)),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    fn size_on_disk(&self) -> Result<u64, StoreError> {
        let (log, index) = self.table_bytes()?;
        Ok(log + index)
    }

    fn parts_on_disk(&self) -> Result<Vec<(&'static str, u64)>, StoreError> {
        let (log, index) = self.table_bytes()?;
        Ok(vec![("log", log), ("index", index)])
    }

    fn tree_chunks(&self) -> Result<Vec<crate::proofs::Hash>, StoreError> {
        self.with_pool(move |pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            let rows = client
                .query("SELECT chunk, hash FROM tree_chunks ORDER BY chunk", &[])
                .await
                .map_err(db_error)?;
            let mut chunks = Vec::with_capacity(rows.len());
            for (i, row) in rows.iter().enumerate() {
                // Kept from chunk 0 with no gap; anything past a gap is hashed again.
                if row.get::<_, i64>(0) != i as i64 {
                    break;
                }
                chunks.push(hash_of(row.get(1), "a tree chunk")?);
            }
            Ok(chunks)
        })
    }

    fn checkpoints(&self) -> Result<Vec<String>, StoreError> {
        self.with_pool(move |pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            let rows = client
                .query("SELECT note FROM checkpoints ORDER BY n", &[])
                .await
                .map_err(db_error)?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    #[cfg(feature = "tamper")]
    fn tamper(&self) -> Option<&dyn crate::store::Tamper> {
        Some(self)
    }
}
