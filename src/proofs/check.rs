//! Checking proofs: RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), as written out
//! in `shared/specs/README.md`, tested against transparency-dev/merkle's vectors.
//!
//! The edge rules (the vectors' `wantErr` holds us to them): a consistency proof from size 0 is
//! refused (it proves nothing); from a size to the same size the proof must be empty and the
//! two roots equal; otherwise the proof must not be empty. An inclusion proof's leaf and root
//! must be 32 bytes; a consistency proof's roots are compared as given (a wrong length never
//! matches a computed hash).

use sha2::{Digest as _, Sha256};

use super::merkle::{node_hash, Hash};

/// Why a proof does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProofError(pub String);

fn fail<T>(why: impl Into<String>) -> Result<T, ProofError> {
    Err(ProofError(why.into()))
}

fn node(left: &[u8], right: &[u8]) -> Hash {
    if let (Ok(l), Ok(r)) = (<&Hash>::try_from(left), <&Hash>::try_from(right)) {
        return node_hash(l, r);
    }
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Checks that `leaf` (a leaf hash) is leaf `index` of the tree of `size` leaves with `root`.
pub fn inclusion<P: AsRef<[u8]>>(
    index: u64,
    size: u64,
    leaf: &[u8],
    proof: &[P],
    root: &[u8],
) -> Result<(), ProofError> {
    if index >= size {
        return fail(format!("index {index} is outside a tree of {size} leaves"));
    }
    if leaf.len() != 32 || root.len() != 32 {
        return fail("a leaf hash and a root are 32 bytes (SHA-256)");
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r: Vec<u8> = leaf.to_vec();
    for p in proof {
        if snode == 0 {
            return fail("the inclusion proof is longer than the tree is deep");
        }
        if fnode % 2 == 1 || fnode == snode {
            r = node(p.as_ref(), &r).to_vec();
            while fnode % 2 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node(&r, p.as_ref()).to_vec();
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return fail("the inclusion proof is shorter than the tree is deep");
    }
    if r != root {
        return fail(
            "the inclusion proof leads to another root: the leaf, its index or the proof is wrong",
        );
    }
    Ok(())
}

/// Checks that the tree of `size1` leaves with `root1` is a prefix of the tree of `size2`
/// leaves with `root2`.
pub fn consistency<P: AsRef<[u8]>>(
    size1: u64,
    size2: u64,
    proof: &[P],
    root1: &[u8],
    root2: &[u8],
) -> Result<(), ProofError> {
    if size1 == 0 {
        return fail("a consistency proof from the empty tree proves nothing");
    }
    if size1 > size2 {
        return fail(format!("size {size1} is larger than size {size2}"));
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return fail("between equal sizes the proof must be empty");
        }
        if root1 != root2 {
            return fail(format!(
                "two different roots for the same size {size1}: the log forked"
            ));
        }
        return Ok(());
    }
    if proof.is_empty() {
        return fail("the consistency proof is empty");
    }
    let mut path: Vec<&[u8]> = proof.iter().map(AsRef::as_ref).collect();
    if size1.is_power_of_two() {
        path.insert(0, root1);
    }
    let (mut fnode, mut snode) = (size1 - 1, size2 - 1);
    while fnode % 2 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (path[0].to_vec(), path[0].to_vec());
    for c in &path[1..] {
        if snode == 0 {
            return fail("the consistency proof is longer than it should be");
        }
        if fnode % 2 == 1 || fnode == snode {
            fr = node(c, &fr).to_vec();
            sr = node(c, &sr).to_vec();
            while fnode % 2 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node(&sr, c).to_vec();
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return fail("the consistency proof is shorter than it should be");
    }
    if fr != root1 {
        return fail(format!(
            "the proof does not lead to the root of size {size1}: the older tree is not a prefix of the newer"
        ));
    }
    if sr != root2 {
        return fail(format!(
            "the proof does not lead to the root of size {size2}: the newer tree does not extend the older"
        ));
    }
    Ok(())
}
