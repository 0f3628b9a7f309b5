//! The head held for one group commit: a task on the store's runtime opens a transaction,
//! locks `chain_head` (`SELECT … FOR UPDATE`) and answers the head; the writer then catches up
//! with the records other instances committed before it (read on other connections: they are
//! committed), stages its batch on that state and hands it over; the task writes it in the same
//! transaction and commits. Dropping the hold without a batch rolls back, which releases the
//! lock. So instances take turns at the head: each batch is decided on the newest state, and a
//! commit never finds the head moved. While one instance holds the lock the others' commands
//! queue up, so their next batches are larger (group commit across instances).

use std::sync::mpsc::{sync_channel, Receiver};

use tokio::sync::oneshot;

use super::{db_error, lock_head, pool_error, PgStore, Rows};
use crate::record::Digest;
use crate::store::{CommitBatch, HeadLock, StoreError};

/// The chain head, locked by a transaction that waits for its batch.
pub(super) struct HeldHead {
    head: Digest,
    instance: String,
    batch: Option<oneshot::Sender<Rows>>,
    done: Receiver<Result<(), StoreError>>,
}

fn stopped() -> StoreError {
    StoreError::Database("the store's database task stopped before answering".into())
}

impl HeldHead {
    /// Opens a transaction, locks the head and reads it.
    pub fn take(store: &PgStore) -> Result<HeldHead, StoreError> {
        let (locked, head) = sync_channel(1);
        let (batch, rows) = oneshot::channel::<Rows>();
        let (finished, done) = sync_channel(1);
        let pool = store.pool.clone();
        store.bridge.spawn(async move {
            let mut client = match pool.get().await.map_err(pool_error) {
                Ok(client) => client,
                Err(e) => return drop(locked.send(Err(e))),
            };
            let tx = match client.transaction().await.map_err(db_error) {
                Ok(tx) => tx,
                Err(e) => return drop(locked.send(Err(e))),
            };
            match lock_head(&tx).await {
                Ok(head) => drop(locked.send(Ok(head))),
                Err(e) => return drop(locked.send(Err(e))),
            }
            // No batch (the hold dropped): the transaction rolls back as it is dropped.
            let Ok(rows) = rows.await else { return };
            let written = match rows.write(&tx).await {
                Ok(()) => tx.commit().await.map_err(db_error),
                Err(e) => Err(e),
            };
            let _ = finished.send(written);
        });
        let head = head.recv().map_err(|_| stopped())??;
        Ok(HeldHead {
            head,
            instance: store.instance.clone(),
            batch: Some(batch),
            done,
        })
    }
}

impl HeadLock for HeldHead {
    fn head(&self) -> Digest {
        self.head
    }

    fn commit(mut self: Box<Self>, mut batch: CommitBatch) -> Result<(), StoreError> {
        let rows = Rows::of(&mut batch, &self.instance)?;
        let sender = self.batch.take().ok_or_else(stopped)?;
        sender.send(rows).map_err(|_| stopped())?;
        self.done.recv().map_err(|_| stopped())?
    }
}
