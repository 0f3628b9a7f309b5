//! The ledger's Merkle tree, signing key and signed checkpoints (`Notary`), and what it proves
//! with them: checkpoints, inclusion proofs (as `tlog-proof` files), consistency proofs.
//!
//! The tree grows in the writer, before a batch is published, so it always covers every record
//! up to the head (never a tree that lags the chain). Its chunk hashes are kept by the store
//! with each projection snapshot and at close; opening checks the last kept chunk against the
//! log and hashes only the records after it. Checkpoints are signed under one lock, each only
//! if the tree still has the root of the last one signed: the ledger never signs two
//! inconsistent checkpoints.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use crate::proofs::{self, leaf_hash, Checkpoint, Hash, Leaves, ProofFile, Signer, Tree, CHUNK};
use crate::store::{StoreError, StoreRead};

use super::Ledger;

/// Where the signing key comes from.
#[derive(Debug, Clone, Default)]
pub struct Signing {
    /// A key file (`PRIVATE+KEY+…`); by default `signing-key` in the data directory, created
    /// with the ledger.
    pub key_file: Option<PathBuf>,
    /// The name a new key gets, which is the checkpoints' origin line; by default
    /// `goal-ledger/<16 random hex digits>`.
    pub origin: Option<String>,
}

/// The default key file of a data directory.
pub fn key_path(dir: &Path) -> PathBuf {
    dir.join("signing-key")
}

/// Why a checkpoint or proof could not be given.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// What was asked for does not exist (a size beyond the head, no checkpoint of that size).
    #[error("{0}")]
    NotFound(String),
    /// What was asked for makes no sense (a proof from size 0).
    #[error("{0}")]
    Invalid(String),
    /// Signing would contradict a checkpoint signed before: the log was rewritten or lost records.
    #[error("refusing to sign: {0}")]
    Inconsistent(String),
    #[error("this ledger was opened without its signing key, so it signs no checkpoints")]
    NoKey,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the signing key: {0}")]
    Key(String),
}

impl From<proofs::TreeError> for ProofError {
    fn from(e: proofs::TreeError) -> Self {
        match e {
            proofs::TreeError::Range(why) => ProofError::NotFound(why),
            proofs::TreeError::Read(why) => ProofError::Store(StoreError::Corrupt(why)),
        }
    }
}

/// Loads the signing key (creating the data directory's on first use).
pub fn load_signer(dir: &Path, signing: &Signing) -> Result<Signer, ProofError> {
    let path = signing.key_file.clone().unwrap_or_else(|| key_path(dir));
    let key = |e: String| ProofError::Key(format!("{}: {e}", path.display()));
    let signer = match std::fs::read_to_string(&path) {
        Ok(text) => Signer::parse(&text).map_err(|e| key(e.0))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && signing.key_file.is_none() => {
            let name = match &signing.origin {
                Some(o) => o.clone(),
                None => format!(
                    "goal-ledger/{}",
                    &uuid::Uuid::new_v4().simple().to_string()[..16]
                ),
            };
            let signer = Signer::generate(&name).map_err(|e| key(e.0))?;
            write_secret(&path, signer.private_text().as_bytes())
                .map_err(|e| key(e.to_string()))?;
            signer
        }
        Err(e) => return Err(key(e.to_string())),
    };
    if let Some(origin) = &signing.origin {
        if *origin != signer.name {
            return Err(key(format!(
                "the key is named {:?}, which is its checkpoints' origin; --origin {origin:?} can only name a new key",
                signer.name
            )));
        }
    }
    Ok(signer)
}

/// Writes a secret file, mode 0600, atomically and durably.
fn write_secret(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// A signed checkpoint the ledger keeps.
#[derive(Debug, Clone)]
pub struct Kept {
    pub size: u64,
    pub root: Hash,
    /// The signed note, verbatim.
    pub note: String,
}

/// Kept checkpoints by size, one of each size: instances sharing a database keep theirs in
/// one table, in the order they signed them, which need not be the order of their sizes.
fn in_order(notes: Vec<String>) -> Result<Vec<Kept>, StoreError> {
    let mut kept = notes
        .into_iter()
        .map(Kept::read)
        .collect::<Result<Vec<_>, _>>()?;
    kept.sort_by_key(|k| k.size);
    kept.dedup_by_key(|k| k.size);
    Ok(kept)
}

impl Kept {
    pub(crate) fn read(note: String) -> Result<Kept, StoreError> {
        let bad = |e: proofs::NoteError| StoreError::Corrupt(format!("a kept checkpoint: {e}"));
        let cp =
            Checkpoint::parse(proofs::note::unverified_text(&note).map_err(bad)?).map_err(bad)?;
        Ok(Kept {
            size: cp.size,
            root: cp.root,
            note,
        })
    }
}

/// The tree, the key and the checkpoints, shared by the writer and the readers.
pub(crate) struct Notary {
    tree: RwLock<Tree>,
    /// How many of the tree's chunks the store holds.
    saved: Mutex<usize>,
    signer: Option<Arc<Signer>>,
    kept: Mutex<Vec<Kept>>,
    /// False only for the benchmark's baseline: the tree is not grown.
    keep_tree: bool,
}

/// A chunk's leaf hashes, from its records in a store.
pub(crate) struct StoreLeaves<'a>(pub &'a dyn StoreRead);

impl Leaves for StoreLeaves<'_> {
    fn chunk_leaves(&self, chunk: u64) -> Result<Vec<Hash>, String> {
        let first = chunk * CHUNK + 1;
        self.0
            .records_in(first, first + CHUNK - 1)
            .map(|item| {
                item.map(|(_, bytes)| leaf_hash(&bytes))
                    .map_err(|e| e.to_string())
            })
            .collect()
    }
}

impl Notary {
    /// The tree of a store's first `head` records, from its kept chunks and the records after
    /// them, and the checkpoints kept.
    pub fn open(
        store: &dyn StoreRead,
        head: u64,
        signer: Option<Arc<Signer>>,
        keep_tree: bool,
    ) -> Result<Notary, StoreError> {
        let leaves = StoreLeaves(store);
        let mut chunks = store.tree_chunks()?;
        chunks.truncate((head / CHUNK) as usize);
        // A crash can leave the kept chunks' tail unwritten: keep what the log still gives.
        while let Some(last) = chunks.last() {
            let again = leaves
                .chunk_leaves(chunks.len() as u64 - 1)
                .map_err(StoreError::Corrupt)?;
            if proofs::merkle::root_of(&again) == *last {
                break;
            }
            chunks.pop();
        }
        let saved = chunks.len();
        let mut tree = Tree::from_chunks(chunks);
        for item in store.records_in(tree.size() + 1, head) {
            tree.push(leaf_hash(&item?.1));
        }
        let kept = in_order(store.checkpoints()?)?;
        Ok(Notary {
            tree: RwLock::new(tree),
            saved: Mutex::new(saved),
            signer,
            kept: Mutex::new(kept),
            keep_tree,
        })
    }

    /// Whether the writer grows the tree (always, but in a benchmark's baseline).
    pub fn keeps_tree(&self) -> bool {
        self.keep_tree
    }

    /// Grows the tree by a committed batch's leaves (before it is published).
    pub fn extend(&self, leaves: &[Hash]) {
        let mut tree = self.tree.write().unwrap_or_else(|p| p.into_inner());
        for leaf in leaves {
            tree.push(*leaf);
        }
    }

    /// Hands the store the chunks it does not hold yet.
    pub fn save(&self, store: &dyn crate::store::Store) -> Result<(), StoreError> {
        let mut saved = self.saved.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = {
            let tree = self.tree.read().unwrap_or_else(|p| p.into_inner());
            tree.chunks()[*saved..].to_vec()
        };
        if !fresh.is_empty() {
            store.save_tree_chunks(*saved, &fresh)?;
            *saved += fresh.len();
        }
        Ok(())
    }

    fn tree(&self) -> std::sync::RwLockReadGuard<'_, Tree> {
        self.tree.read().unwrap_or_else(|p| p.into_inner())
    }
}

impl Ledger {
    fn notary(&self) -> &Notary {
        &self.core().notary
    }

    /// The signing key's verifier key (`vkey`), if the ledger has its key.
    pub fn public_key(&self) -> Option<String> {
        self.notary().signer.as_ref().map(|s| s.verifier().vkey())
    }

    /// The root of the tree of the first `size` records.
    pub fn tree_root(&self, size: u64) -> Result<Hash, ProofError> {
        Ok(self
            .notary()
            .tree()
            .root(size, &StoreLeaves(self.store()))?)
    }

    /// The latest signed checkpoint, if any was signed.
    pub fn latest_checkpoint(&self) -> Option<Kept> {
        let kept = self.notary().kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.last().cloned()
    }

    /// The signed checkpoint of `size` records, if one was signed (by this instance, or by
    /// another on the same database: those are read from the store when asked for).
    pub fn checkpoint_of(&self, size: u64) -> Option<Kept> {
        let mut kept = self.notary().kept.lock().unwrap_or_else(|p| p.into_inner());
        let find = |kept: &[Kept]| {
            let at = kept.partition_point(|k| k.size < size);
            kept.get(at).filter(|k| k.size == size).cloned()
        };
        if let Some(found) = find(&kept) {
            return Some(found);
        }
        let stored = self.store().checkpoints().ok()?;
        if stored.len() == kept.len() {
            return None;
        }
        *kept = in_order(stored).ok()?;
        find(&kept)
    }

    /// Every signed checkpoint's size, oldest first.
    pub fn checkpoint_sizes(&self) -> Vec<u64> {
        let kept = self.notary().kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter().map(|k| k.size).collect()
    }

    /// Signs a checkpoint of the head, unless the last one signed is of the head already (then
    /// that one is the answer). Refuses when the tree no longer has the root of the last
    /// checkpoint signed.
    pub fn sign_checkpoint(&self) -> Result<Kept, ProofError> {
        let notary = self.notary();
        let signer = notary.signer.as_ref().ok_or(ProofError::NoKey)?;
        let mut kept = notary.kept.lock().unwrap_or_else(|p| p.into_inner());
        let size = self.digest().seq;
        let leaves = StoreLeaves(self.store());
        let tree = notary.tree();
        if let Some(last) = kept.last() {
            if last.size > size && self.store().head()?.seq >= last.size {
                // Another instance on the database signed past this one's head: this one is
                // behind, not short of records.
                return Ok(last.clone());
            }
            if last.size > size {
                return Err(ProofError::Inconsistent(format!(
                    "the ledger holds {size} records but signed a checkpoint of {} before: records were lost (restored from an older backup?); run `goal-ledger verify`",
                    last.size
                )));
            }
            if tree.root(last.size, &leaves)? != last.root {
                return Err(ProofError::Inconsistent(format!(
                    "the first {} records no longer have the root of the checkpoint signed for them: the log was rewritten; run `goal-ledger verify`",
                    last.size
                )));
            }
            if last.size == size {
                return Ok(last.clone());
            }
        }
        let root = tree.root(size, &leaves)?;
        drop(tree);
        let text = Checkpoint {
            origin: &signer.name,
            size,
            root,
        }
        .text();
        let note = signer.sign(&text);
        self.core().store.keep_checkpoint(&note)?;
        let fresh = Kept { size, root, note };
        kept.push(fresh.clone());
        Ok(fresh)
    }

    /// The checkpoint a proof of record `seq` is given against: the one of `size` if asked,
    /// else the latest, signed now if none covers `seq`.
    fn checkpoint_for(&self, seq: u64, size: Option<u64>) -> Result<Kept, ProofError> {
        match size {
            Some(size) => self.checkpoint_of(size).ok_or_else(|| {
                ProofError::NotFound(format!(
                    "no checkpoint of {size} records was signed; GET /ledger/checkpoints lists the sizes signed (or leave the size out for the latest)"
                ))
            }),
            None => match self.latest_checkpoint() {
                Some(k) if k.size >= seq => Ok(k),
                _ => self.sign_checkpoint(),
            },
        }
    }

    /// The `tlog-proof` file proving record `seq` is in the checkpoint of `size` records (by
    /// default the latest, signed now if it does not hold `seq` yet). The record's bytes ride
    /// in its `extra` line.
    pub fn inclusion_proof(&self, seq: u64, size: Option<u64>) -> Result<ProofFile, ProofError> {
        if seq == 0 || seq > self.digest().seq {
            return Err(ProofError::NotFound(format!(
                "there is no record {seq}; the ledger holds {}",
                self.digest().seq
            )));
        }
        let checkpoint = self.checkpoint_for(seq, size)?;
        if seq > checkpoint.size {
            return Err(ProofError::Invalid(format!(
                "record {seq} is not in the checkpoint of {} records; ask for a later size",
                checkpoint.size
            )));
        }
        let record = self
            .store()
            .record(seq)?
            .ok_or_else(|| ProofError::NotFound(format!("there is no record {seq}")))?;
        let hashes =
            self.notary()
                .tree()
                .inclusion(seq - 1, checkpoint.size, &StoreLeaves(self.store()))?;
        Ok(ProofFile::new(&record, seq - 1, &hashes, &checkpoint.note))
    }

    /// The consistency proof from the tree of `from` records to that of `to`.
    pub fn consistency_proof(&self, from: u64, to: u64) -> Result<Vec<Hash>, ProofError> {
        if from == 0 || from > to {
            return Err(ProofError::Invalid(format!(
                "a consistency proof goes from a size of at least 1 to one no smaller (asked for {from} to {to})"
            )));
        }
        Ok(self
            .notary()
            .tree()
            .consistency(from, to, &StoreLeaves(self.store()))?)
    }
}
