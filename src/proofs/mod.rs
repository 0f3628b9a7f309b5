//! What lets an auditor hold the ledger to its record without trusting it: the Merkle tree over
//! the records (`merkle`, RFC 9162 with SHA-256, beside the BLAKE3 chain), its proofs and how to
//! check them (`check`), signed notes and checkpoints (`note`, C2SP `signed-note` and
//! `tlog-checkpoint` with Ed25519) and proof files (`proof_file`, C2SP `tlog-proof@v1`).
//! Pure: no I/O but the key's randomness, no clock, and it names no other module.

pub mod check;
pub mod merkle;
pub mod note;
pub mod proof_file;
#[cfg(test)]
mod tests;

pub use merkle::{leaf_hash, Hash, Leaves, Tree, TreeError, CHUNK};
pub use note::{Checkpoint, NoteError, Signer, Verifier};
pub use proof_file::ProofFile;
