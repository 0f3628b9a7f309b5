//! The checkpoint signer: every `every`, when the head moved past the latest signed checkpoint,
//! the ledger signs a checkpoint of the head (so a checkpoint is at most `every` behind, and an
//! idle ledger signs nothing), until shutdown. `POST /ledger/checkpoint` signs on demand.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::ledger::Ledger;

/// Starts signing checkpoints of a moved head every `every`, until `stop` turns true.
pub fn spawn_checkpoint_signer(
    ledger: Ledger,
    every: Duration,
    stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    super::spawn_every(every, stop, move || {
        let ledger = ledger.clone();
        async move {
            let signed = ledger.latest_checkpoint().map(|k| k.size);
            if signed == Some(ledger.digest().seq) {
                return;
            }
            match tokio::task::spawn_blocking(move || ledger.sign_checkpoint()).await {
                Ok(Ok(kept)) => tracing::debug!(size = kept.size, "signed a checkpoint"),
                Ok(Err(e)) => tracing::error!(error = %e, "could not sign a checkpoint"),
                Err(e) => tracing::error!(error = %e, "the checkpoint signer panicked"),
            }
        }
    })
}
