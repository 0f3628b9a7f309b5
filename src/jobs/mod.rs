//! Background work beside the server: tasks that run on a timer, not in answer to a request.
//! Today the deadline ticker and the checkpoint signer; check-in cadence and webhook delivery will live here too. Each job
//! reaches data only through `ledger` and stops when the server's shutdown signal turns true.

mod checkpoints;
mod deadlines;

pub use checkpoints::spawn_checkpoint_signer;
pub use deadlines::spawn_deadline_ticker;

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Runs `job` every `every` (a late run delays the next rather than bunching them), until `stop`
/// turns true.
fn spawn_every<F, Fut>(
    every: Duration,
    mut stop: watch::Receiver<bool>,
    mut job: F,
) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = interval.tick() => job().await,
                _ = stop.changed() => break,
            }
        }
    })
}
