//! Background work beside the server: tasks that run on a timer, not in answer to a request.
//! Today the deadline ticker and the checkpoint signer; check-in cadence and webhook delivery will live here too. Each job
//! reaches data only through `ledger` and stops when the server's shutdown signal turns true.

mod checkpoints;
mod deadlines;

pub use checkpoints::spawn_checkpoint_signer;
pub use deadlines::spawn_deadline_ticker;
