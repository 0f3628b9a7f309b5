//! The Merkle tree's part of `verify`: the tree is built again from the records as they are
//! walked, each complete chunk compared with the one the store keeps, and the root at each
//! expected size (a checkpoint the ledger signed, or one given to check against) compared with
//! that checkpoint's. The first bad record is the earlier of the chain's and the tree's
//! (`events/verify.py` names the same one).

use crate::proofs::{leaf_hash, merkle, Hash, Leaves, Tree, CHUNK};
use crate::record::{BadRecord, VerifyReport};

/// A root the records must have at a size.
#[derive(Debug, Clone)]
pub struct Expected {
    pub size: u64,
    pub root: Hash,
    /// What vouches for it, for the message ("the checkpoint the ledger signed").
    pub what: String,
}

/// The tree of the records walked so far, and what it is checked against.
pub struct TreeCheck {
    tree: Tree,
    kept: Vec<Hash>,
    expected: Vec<Expected>,
    next: usize,
    bad: Option<BadRecord>,
}

/// Roots are taken at the tree's own size, so no chunk is ever read again.
struct InMemory;

impl Leaves for InMemory {
    fn chunk_leaves(&self, chunk: u64) -> Result<Vec<Hash>, String> {
        Err(format!("chunk {chunk} is not in memory"))
    }
}

impl TreeCheck {
    /// `kept`: the chunk hashes the store keeps; `expected`: roots at sizes, in any order.
    pub fn new(kept: Vec<Hash>, mut expected: Vec<Expected>) -> TreeCheck {
        expected.sort_by_key(|e| e.size);
        let mut check = TreeCheck {
            tree: Tree::default(),
            kept,
            expected,
            next: 0,
            bad: None,
        };
        check.compare_roots();
        check
    }

    /// Feeds the next record's exact bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.tree.push(leaf_hash(bytes));
        let size = self.tree.size();
        if size % CHUNK == 0 {
            let at = (size / CHUNK - 1) as usize;
            if self
                .kept
                .get(at)
                .is_some_and(|k| *k != self.tree.chunks()[at])
            {
                self.fail(
                    size - CHUNK + 1,
                    format!(
                        "the Merkle tree kept in the index does not match records {}–{size} (their chain is intact): delete the data directory's index/ folder and open the ledger to rebuild it",
                        size - CHUNK + 1
                    ),
                );
            }
        }
        self.compare_roots();
    }

    fn compare_roots(&mut self) {
        let size = self.tree.size();
        while let Some(e) = self.expected.get(self.next).filter(|e| e.size == size) {
            let root = self.root();
            if root != e.root {
                let why = format!(
                    "the first {size} records do not have the root of {}: the log was rewritten at or before record {size}",
                    e.what
                );
                self.fail(size.max(1), why);
            }
            self.next += 1;
        }
    }

    fn root(&self) -> Hash {
        self.tree
            .root(self.tree.size(), &InMemory)
            .unwrap_or_else(|_| merkle::empty_root())
    }

    fn fail(&mut self, seq: u64, reason: String) {
        if self.bad.is_none() {
            self.bad = Some(BadRecord { seq, reason });
        }
    }

    /// Ends the walk: a size expected beyond the records read means records were cut off.
    pub fn finish(mut self, report: &mut VerifyReport) {
        let size = self.tree.size();
        if let Some(e) = self.expected.get(self.next) {
            self.fail(
                size + 1,
                format!(
                    "the log ends at record {size} but {} vouches for {} records: it was truncated",
                    e.what, e.size
                ),
            );
        }
        report.root = Some(self.root());
        if let Some(bad) = self.bad {
            report.fail_at(bad);
        }
    }
}
