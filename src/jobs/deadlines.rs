//! The deadline ticker: proposals whose closing time has passed are decided by the ledger's
//! `tick` every `every`, until shutdown. Local commands tick once before they run instead.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::ledger::Ledger;

/// Starts deciding proposals past their closing time every `every`, until `stop` turns true.
pub fn spawn_deadline_ticker(
    ledger: Ledger,
    every: Duration,
    stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    super::spawn_every(every, stop, move || {
        let ledger = ledger.clone();
        async move {
            if let Err(e) = ledger.tick().await {
                tracing::warn!(error = %e, "could not decide proposals past their closing time");
            }
        }
    })
}
