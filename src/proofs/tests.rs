use proptest::prelude::*;

use super::check;
use super::merkle::{empty_root, leaf_hash, root_of, Hash, Leaves, Tree, CHUNK};
use super::note::{Checkpoint, Signer, Verifier};
use super::proof_file::ProofFile;

/// Leaves kept in memory, standing in for the records a chunk is hashed from again.
struct AllLeaves(Vec<Hash>);

impl Leaves for AllLeaves {
    fn chunk_leaves(&self, chunk: u64) -> Result<Vec<Hash>, String> {
        let first = (chunk * CHUNK) as usize;
        Ok(self.0[first..first + CHUNK as usize].to_vec())
    }
}

fn tree_of(n: u64) -> (Tree, AllLeaves) {
    let leaves: Vec<Hash> = (0..n)
        .map(|i| leaf_hash(format!("record {i}").as_bytes()))
        .collect();
    let mut tree = Tree::default();
    for leaf in &leaves {
        tree.push(*leaf);
    }
    (tree, AllLeaves(leaves))
}

#[test]
fn the_empty_tree_has_the_hash_of_nothing_as_its_root() {
    let (tree, leaves) = tree_of(0);
    let root = tree.root(0, &leaves).unwrap();
    assert_eq!(
        super::note::encode_hash(&root),
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    );
    assert_eq!(root, empty_root());
}

#[test]
fn every_inclusion_proof_of_a_few_hundred_records_verifies_and_no_altered_one_does() {
    let (tree, leaves) = tree_of(301);
    let roots: Vec<Hash> = (0..=301).map(|n| tree.root(n, &leaves).unwrap()).collect();
    for size in 1..=300u64 {
        let root = roots[size as usize];
        assert_eq!(root, root_of(&leaves.0[..size as usize]), "root of {size}");
        for index in 0..size {
            let leaf = leaves.0[index as usize];
            let proof = tree.inclusion(index, size, &leaves).unwrap();
            check::inclusion(index, size, &leaf, &proof, &root).unwrap();
            // A wrong leaf, a wrong index, a wrong size, a cut or a longer proof all fail.
            let other = leaf_hash(b"another record");
            assert!(check::inclusion(index, size, &other, &proof, &root).is_err());
            if size > 1 {
                let wrong = (index + 1) % size;
                assert!(check::inclusion(wrong, size, &leaf, &proof, &root).is_err());
            }
            let bigger = &roots[size as usize + 1];
            assert!(check::inclusion(index, size + 1, &leaf, &proof, bigger).is_err());
            if let Some((_, cut)) = proof.split_last() {
                assert!(check::inclusion(index, size, &leaf, cut, &root).is_err());
            }
            let mut longer = proof.clone();
            longer.push(root);
            assert!(check::inclusion(index, size, &leaf, &longer, &root).is_err());
        }
    }
}

#[test]
fn every_consistency_proof_of_a_few_hundred_records_verifies_and_no_altered_one_does() {
    let (tree, leaves) = tree_of(261);
    let roots: Vec<Hash> = (0..=261).map(|n| tree.root(n, &leaves).unwrap()).collect();
    for to in 1..=260u64 {
        for from in 1..=to {
            let proof = tree.consistency(from, to, &leaves).unwrap();
            let (r1, r2) = (&roots[from as usize], &roots[to as usize]);
            check::consistency(from, to, &proof, r1, r2).unwrap();
            if from < to {
                assert!(check::consistency(from, to, &proof, r2, r2).is_err());
                assert!(check::consistency(from, to, &proof[1..], r1, r2).is_err());
                let mut longer = proof.clone();
                longer.push(*r1);
                assert!(check::consistency(from, to, &longer, r1, r2).is_err());
                let bigger = &roots[to as usize + 1];
                assert!(check::consistency(from, to + 1, &proof, r1, bigger).is_err());
            }
        }
    }
}

#[test]
fn a_tree_rebuilt_from_its_kept_chunks_gives_the_same_proofs() {
    let (tree, leaves) = tree_of(1000);
    let mut again = Tree::from_chunks(tree.chunks().to_vec());
    for leaf in &leaves.0[again.size() as usize..] {
        again.push(*leaf);
    }
    assert_eq!(again.size(), 1000);
    for (index, size) in [(0, 1000), (999, 1000), (511, 640), (700, 777)] {
        assert_eq!(
            again.inclusion(index, size, &leaves),
            tree.inclusion(index, size, &leaves)
        );
    }
    assert_eq!(again.root(1000, &leaves), tree.root(1000, &leaves));
    assert!(tree.root(1001, &leaves).is_err());
    assert!(tree.inclusion(1000, 1000, &leaves).is_err());
}

proptest! {
    #[test]
    fn proofs_hold_for_any_sizes(n in 1u64..2000, a in any::<u64>(), b in any::<u64>()) {
        let (tree, leaves) = tree_of(n);
        let size = 1 + a % n;
        let index = b % size;
        let root = tree.root(size, &leaves).unwrap();
        let proof = tree.inclusion(index, size, &leaves).unwrap();
        prop_assert!(check::inclusion(index, size, &leaves.0[index as usize], &proof, &root).is_ok());
        let from = 1 + b % size;
        let proof = tree.consistency(from, size, &leaves).unwrap();
        let old = tree.root(from, &leaves).unwrap();
        prop_assert!(check::consistency(from, size, &proof, &old, &root).is_ok());
    }
}

const GO_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_TEXT: &str =
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

#[test]
fn signing_reproduces_the_reference_note_byte_for_byte() {
    let signer = Signer::parse(GO_SKEY).unwrap();
    assert_eq!(signer.verifier().vkey(), GO_VKEY);
    assert_eq!(signer.private_text().trim_end(), GO_SKEY);
    let note = signer.sign(GO_TEXT);
    assert_eq!(note, format!("{GO_TEXT}\n{GO_SIG}"));
    assert_eq!(
        Verifier::parse(GO_VKEY).unwrap().open(&note).unwrap(),
        GO_TEXT
    );
}

const C2SP_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const C2SP_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

#[test]
fn the_signed_note_example_of_the_spec_verifies_and_an_edited_one_does_not() {
    let verifier = Verifier::parse(C2SP_VKEY).unwrap();
    assert_eq!(verifier.vkey(), C2SP_VKEY);
    assert_eq!(
        verifier.open(C2SP_NOTE).unwrap(),
        "This is an example message.\n"
    );
    let edited = C2SP_NOTE.replace("example message", "exemplary message");
    assert!(verifier
        .open(&edited)
        .unwrap_err()
        .0
        .contains("does not verify"));
    // Another key's signature is ignored; with none of ours the note is refused.
    let other = Verifier::parse(GO_VKEY).unwrap();
    assert!(other
        .open(C2SP_NOTE)
        .unwrap_err()
        .0
        .contains("no signature"));
    // A second, unknown signature does not stop ours from counting.
    let cosigned = format!("{C2SP_NOTE}{GO_SIG}");
    assert!(verifier.open(&cosigned).is_ok());
}

#[test]
fn keys_with_a_wrong_id_type_or_length_are_refused() {
    for bad in [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
    ] {
        assert!(Verifier::parse(bad).is_err(), "{bad}");
    }
    assert!(Signer::parse(&GO_SKEY.replace("c74f20a3", "c74f20a4")).is_err());
}

#[test]
fn a_checkpoint_reads_back_as_it_was_written() {
    let cp = Checkpoint {
        origin: "example.com/goals",
        size: 142,
        root: leaf_hash(b"x"),
    };
    let text = cp.text();
    assert_eq!(text.lines().count(), 3);
    assert_eq!(Checkpoint::parse(&text).unwrap(), cp);
    assert!(Checkpoint::parse("example.com/goals\n0142\nAAAA\n").is_err());
    assert!(Checkpoint::parse("example.com/goals\n142\n").is_err());
}

#[test]
fn a_proof_file_reads_back_as_it_was_written() {
    let (tree, leaves) = tree_of(10);
    let signer = Signer::parse(GO_SKEY).unwrap();
    let root = tree.root(10, &leaves).unwrap();
    let checkpoint = signer.sign(
        &Checkpoint {
            origin: "PeterNeumann",
            size: 10,
            root,
        }
        .text(),
    );
    for index in [0, 9] {
        let proof = tree.inclusion(index, 10, &leaves).unwrap();
        let file = ProofFile::new(b"{\"seq\":1}", index, &proof, &checkpoint);
        let text = file.text();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra "));
        assert!(text.ends_with(&checkpoint));
        assert_eq!(ProofFile::parse(&text).unwrap(), file);
    }
}

#[test]
fn a_node_hash_is_sha256_of_one_and_both_children() {
    use sha2::{Digest as _, Sha256};
    let (l, r) = (leaf_hash(b"left"), leaf_hash(b"right"));
    let want: Hash = Sha256::digest([&[1u8][..], &l, &r].concat()).into();
    assert_eq!(super::merkle::node_hash(&l, &r), want);
}

#[test]
fn an_inclusion_proof_needs_a_32_byte_leaf_and_root_even_when_they_match() {
    let none: &[Hash] = &[];
    assert!(check::inclusion(0, 1, b"", none, b"").is_err());
    assert!(check::inclusion(0, 1, &[7u8; 31], none, &[7u8; 31]).is_err());
    assert!(check::inclusion(0, 1, &[7u8; 32], none, &[7u8; 32]).is_ok());
    // A 31-byte "leaf" whose path leads to a real 32-byte root is still refused.
    use sha2::{Digest as _, Sha256};
    let (sibling, short) = ([9u8; 32], [7u8; 31]);
    let root: Hash = Sha256::digest([&[1u8][..], &sibling, &short].concat()).into();
    assert!(check::inclusion(1, 2, &short, &[sibling], &root).is_err());
}
