//! Test-only doors that alter the PostgreSQL store's rows behind the ledger's back, so tests
//! can show that `verify` names what changed there too. Compiled only with the `tamper` cargo
//! feature.

use super::{db_error, pool_error, seq_arg, PgStore};
use crate::record::Digest;
use crate::store::{StoreError, Tamper};

impl Tamper for PgStore {
    /// Overwrites record `seq`'s bytes (its other columns stay), or deletes its row.
    fn tamper_put(&self, seq: u64, bytes: Option<&[u8]>) -> Result<(), StoreError> {
        let (seq, bytes) = (seq_arg(seq), bytes.map(<[u8]>::to_vec));
        self.with_pool(move |pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            match bytes {
                Some(b) => client
                    .execute("UPDATE records SET bytes = $2 WHERE seq = $1", &[&seq, &b])
                    .await
                    .map_err(db_error)?,
                None => client
                    .execute("DELETE FROM records WHERE seq = $1", &[&seq])
                    .await
                    .map_err(db_error)?,
            };
            Ok(())
        })
    }

    /// The store keeps no copies of records besides `records`: there is nothing to alter.
    fn tamper_stream_copy(&self, _seq: u64, _bytes: Option<&[u8]>) -> Result<(), StoreError> {
        Err(StoreError::Database(
            "the PostgreSQL store keeps no stream copies".into(),
        ))
    }

    fn tamper_head(&self, head: Digest) -> Result<(), StoreError> {
        let (seq, hash) = (seq_arg(head.seq), head.hash.0.to_vec());
        self.with_pool(move |pool| async move {
            let client = pool.get().await.map_err(pool_error)?;
            client
                .execute("UPDATE chain_head SET seq = $1, hash = $2", &[&seq, &hash])
                .await
                .map_err(db_error)?;
            Ok(())
        })
    }
}
