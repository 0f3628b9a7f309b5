//! The Merkle tree over the records, exactly as RFC 9162 §2.1 defines it with SHA-256: a leaf
//! is `SHA-256(0x00 ‖ record bytes)`, a node `SHA-256(0x01 ‖ left ‖ right)`, leaf `seq − 1`
//! is record `seq`, and the empty tree's root is `SHA-256("")`.
//!
//! `Tree` keeps the hash of every complete chunk of `CHUNK` leaves and every complete subtree
//! above them, plus the leaf hashes after the last complete chunk: 32 bytes a chunk on disk,
//! about one byte a record. A hash below a chunk is made again from the chunk's records when a
//! proof needs it (a proof needs at most three chunks), so any root, inclusion proof or
//! consistency proof for any size up to the tree's is O(log n) hashes plus three chunk reads.

use sha2::{Digest as _, Sha256};

/// A SHA-256 hash: a leaf, a node or a root.
pub type Hash = [u8; 32];

/// Leaves per chunk, the smallest subtree whose hash is kept.
pub const CHUNK: u64 = 64;

/// The leaf hash of a record's exact stored bytes (no newline).
pub fn leaf_hash(bytes: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(bytes);
    h.finalize().into()
}

/// SHA-256's initial state (FIPS 180-4 §5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// The hash of an inner node. The 65 bytes always pad to the same two blocks, so they go
/// straight to SHA-256's compression function: the tree's hot path, and 20 times faster than
/// the generic streaming code where that is compiled unoptimized (the tests).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    use sha2::digest::generic_array::GenericArray;
    let mut blocks = [0u8; 128];
    blocks[0] = 1;
    blocks[1..33].copy_from_slice(left);
    blocks[33..65].copy_from_slice(right);
    blocks[65] = 0x80;
    blocks[120..].copy_from_slice(&(65u64 * 8).to_be_bytes());
    let mut state = SHA256_IV;
    let (a, b) = blocks.split_at(64);
    sha2::compress256(
        &mut state,
        &[*GenericArray::from_slice(a), *GenericArray::from_slice(b)],
    );
    let mut out = [0u8; 32];
    for (o, word) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// The root of the empty tree, `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two smaller than `n` (`n` ≥ 2).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The root of a run of leaves, by RFC 9162's definition (`leaves` not empty).
pub fn root_of(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&root_of(&leaves[..k]), &root_of(&leaves[k..]))
        }
    }
}

/// Where the leaf hashes of a complete chunk come from (the chunk's records, read again).
/// `chunk` is the chunk's number: its leaves are `chunk * CHUNK ..` `(chunk + 1) * CHUNK`.
pub trait Leaves {
    fn chunk_leaves(&self, chunk: u64) -> Result<Vec<Hash>, String>;
}

/// Why a proof or root could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// The sizes asked for do not fit the tree.
    #[error("{0}")]
    Range(String),
    /// The records behind a chunk could not be read.
    #[error("cannot read the records of a Merkle chunk: {0}")]
    Read(String),
}

/// The tree, maintained as records are appended.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// `levels[0]`: the hash of each complete chunk; `levels[k]`: of each complete subtree of
    /// `CHUNK << k` leaves.
    levels: Vec<Vec<Hash>>,
    /// Leaf hashes after the last complete chunk (fewer than `CHUNK`).
    tail: Vec<Hash>,
}

impl Tree {
    /// A tree of the given complete chunks' hashes (as kept on disk), without its tail.
    pub fn from_chunks(chunks: Vec<Hash>) -> Tree {
        let mut tree = Tree::default();
        for chunk in chunks {
            tree.push_chunk(chunk);
        }
        tree
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.chunks().len() as u64 * CHUNK + self.tail.len() as u64
    }

    /// The hash of each complete chunk, in order.
    pub fn chunks(&self) -> &[Hash] {
        self.levels.first().map_or(&[], Vec::as_slice)
    }

    /// Drops every chunk from `keep` on, and the tail (to rebuild them from the records).
    pub fn truncate_chunks(&mut self, keep: usize) {
        let chunks = self.chunks()[..keep.min(self.chunks().len())].to_vec();
        *self = Tree::from_chunks(chunks);
    }

    /// Appends one leaf.
    pub fn push(&mut self, leaf: Hash) {
        self.tail.push(leaf);
        if self.tail.len() as u64 == CHUNK {
            let chunk = root_of(&self.tail);
            self.tail.clear();
            self.push_chunk(chunk);
        }
    }

    fn push_chunk(&mut self, hash: Hash) {
        let mut carry = hash;
        for level in 0.. {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let row = &mut self.levels[level];
            row.push(carry);
            if row.len() % 2 == 1 {
                break;
            }
            carry = node_hash(&row[row.len() - 2], &row[row.len() - 1]);
        }
    }

    /// The root of the tree of the first `size` leaves.
    pub fn root(&self, size: u64, leaves: &dyn Leaves) -> Result<Hash, TreeError> {
        self.check_size(size)?;
        if size == 0 {
            return Ok(empty_root());
        }
        Reader::new(self, leaves).range(0, size)
    }

    /// The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1),
    /// from the leaf's sibling up to the root's child.
    pub fn inclusion(
        &self,
        index: u64,
        size: u64,
        leaves: &dyn Leaves,
    ) -> Result<Vec<Hash>, TreeError> {
        self.check_size(size)?;
        if index >= size {
            return Err(TreeError::Range(format!(
                "record {} is not in a tree of {size} records",
                index + 1
            )));
        }
        let mut reader = Reader::new(self, leaves);
        let mut path = Vec::new();
        let (mut start, mut end) = (0, size);
        let mut upper = Vec::new();
        while end - start > 1 {
            let k = split(end - start);
            if index < start + k {
                upper.push(reader.range(start + k, end)?);
                end = start + k;
            } else {
                upper.push(reader.range(start, start + k)?);
                start += k;
            }
        }
        // The recursion appends on the way back up: the deepest sibling comes first.
        path.extend(upper.into_iter().rev());
        Ok(path)
    }

    /// The consistency proof from the tree of `from` leaves to the tree of `to` (RFC 9162
    /// §2.1.4.1), for `0 < from ≤ to`; empty when the sizes are equal.
    pub fn consistency(
        &self,
        from: u64,
        to: u64,
        leaves: &dyn Leaves,
    ) -> Result<Vec<Hash>, TreeError> {
        self.check_size(to)?;
        if from == 0 || from > to {
            return Err(TreeError::Range(format!(
                "a consistency proof goes from a size of at least 1 to one no smaller (asked for {from} to {to})"
            )));
        }
        let mut reader = Reader::new(self, leaves);
        let mut upper = Vec::new();
        let (mut m, mut start, mut end, mut whole) = (from, 0, to, true);
        while m != end - start {
            let n = end - start;
            let k = split(n);
            if m <= k {
                upper.push(reader.range(start + k, end)?);
                end = start + k;
            } else {
                upper.push(reader.range(start, start + k)?);
                start += k;
                m -= k;
                whole = false;
            }
        }
        if !whole {
            upper.push(reader.range(start, end)?);
        }
        Ok(upper.into_iter().rev().collect())
    }

    fn check_size(&self, size: u64) -> Result<(), TreeError> {
        if size > self.size() {
            return Err(TreeError::Range(format!(
                "the ledger holds {} records; there is no tree of {size}",
                self.size()
            )));
        }
        Ok(())
    }
}

/// Hashes of ranges of leaves, reading each chunk's records at most once.
struct Reader<'a> {
    tree: &'a Tree,
    leaves: &'a dyn Leaves,
    read: Vec<(u64, Vec<Hash>)>,
}

impl<'a> Reader<'a> {
    fn new(tree: &'a Tree, leaves: &'a dyn Leaves) -> Reader<'a> {
        Reader {
            tree,
            leaves,
            read: Vec::new(),
        }
    }

    /// The root of leaves `start..end` (`start < end`, `end` within the tree).
    fn range(&mut self, start: u64, end: u64) -> Result<Hash, TreeError> {
        let n = end - start;
        if n.is_power_of_two() && n >= CHUNK && start % n == 0 {
            let level = (n / CHUNK).trailing_zeros() as usize;
            if let Some(hash) = self
                .tree
                .levels
                .get(level)
                .and_then(|row| row.get((start / n) as usize))
            {
                return Ok(*hash);
            }
        }
        if start / CHUNK == (end - 1) / CHUNK {
            let chunk = start / CHUNK;
            let first = chunk * CHUNK;
            let leaves = self.chunk(chunk)?;
            return Ok(root_of(
                &leaves[(start - first) as usize..(end - first) as usize],
            ));
        }
        let k = split(n);
        Ok(node_hash(
            &self.range(start, start + k)?,
            &self.range(start + k, end)?,
        ))
    }

    fn chunk(&mut self, chunk: u64) -> Result<&[Hash], TreeError> {
        if chunk == self.tree.chunks().len() as u64 {
            return Ok(&self.tree.tail);
        }
        let at = match self.read.iter().position(|(c, _)| *c == chunk) {
            Some(at) => at,
            None => {
                let leaves = self.leaves.chunk_leaves(chunk).map_err(TreeError::Read)?;
                if leaves.len() as u64 != CHUNK {
                    return Err(TreeError::Read(format!(
                        "chunk {chunk} has {} records, not {CHUNK}",
                        leaves.len()
                    )));
                }
                self.read.push((chunk, leaves));
                self.read.len() - 1
            }
        };
        Ok(&self.read[at].1)
    }
}
