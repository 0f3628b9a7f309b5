//! How the synchronous `Store` trait runs tokio-postgres's async work: the store owns a small
//! tokio runtime of its own (two worker threads, `pg-store`), which drives every connection
//! and query. A call spawns its future there and waits for the answer on a plain channel.
//! That is safe from any thread: the ledger's writer thread, a blocking task, or an async
//! handler of another runtime (even a current-thread one), where `Runtime::block_on` would
//! panic and `block_in_place` is refused; the caller's runtime never drives the database's
//! I/O, so a caller that blocks cannot starve it. The runtime is shut down without waiting
//! when the store is dropped, so dropping it inside an async context is safe too.

use std::future::Future;

use crate::store::StoreError;

/// The store's own runtime.
pub(super) struct Bridge {
    runtime: Option<tokio::runtime::Runtime>,
}

impl Bridge {
    pub fn new() -> Result<Bridge, StoreError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("pg-store")
            .enable_all()
            .build()?;
        Ok(Bridge {
            runtime: Some(runtime),
        })
    }

    /// Runs `work` on the store's runtime and waits for its answer, from whatever thread.
    pub fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Result<T, StoreError> {
        let runtime = self.runtime.as_ref().ok_or_else(stopped)?;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        runtime.spawn(async move {
            let _ = tx.send(work.await);
        });
        // A task that panicked (or a runtime shutting down) drops the sender unanswered.
        rx.recv().map_err(|_| stopped())?
    }

    /// Starts `work` on the store's runtime, beside the calls; it ends when the store is dropped.
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        if let Some(runtime) = self.runtime.as_ref() {
            runtime.spawn(work);
        }
    }
}

fn stopped() -> StoreError {
    StoreError::Database("the store's database task stopped before answering".into())
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Dropping a runtime waits for its threads, which panics inside an async context.
            runtime.shutdown_background();
        }
    }
}
