//! Auditing and moving ledgers: verification of a store or an export file, export of the exact
//! stored bytes, import of an export (refused whole unless it verifies and replays), and
//! `Archive`, a store-only handle that works even on a ledger too damaged to open.

use std::io::{BufRead, Write};
use std::path::Path;

use serde::Serialize;

use super::proofs::Kept;
use super::tree_check::{Expected, TreeCheck};
use super::{AppendError, Ledger, ReadError};
use crate::projections::{apply_record, decode_at};
use crate::record::{BadRecord, ChainCheck, Digest, RecordHash, VerifyReport};
use std::sync::Arc;

use crate::store::{self, Found, Store, StoreError, StoreRead};

/// How many records one import commit carries.
const IMPORT_CHUNK: usize = 2048;

/// What a walk is checked against besides the chain itself.
#[derive(Debug, Clone, Default)]
pub struct Against {
    /// An earlier digest the log must still hold.
    pub digest: Option<Digest>,
    /// A checkpoint (already checked for its signature) whose root the log must have.
    pub checkpoint: Option<Expected>,
}

impl Against {
    pub fn digest(digest: Option<Digest>) -> Against {
        Against {
            digest,
            checkpoint: None,
        }
    }

    fn expected(&self, mut kept: Vec<Expected>) -> Vec<Expected> {
        kept.extend(self.checkpoint.clone());
        kept
    }
}

/// Walks `store` from record 1 and checks it against `head` (by default the store's own) and,
/// if given, an earlier digest. With a `head`, the walk stops there: a live ledger is verified
/// up to what it has published.
pub fn verify_store(
    store: &dyn StoreRead,
    head: Option<Digest>,
    against: Option<Digest>,
    progress: &mut dyn FnMut(u64),
) -> Result<VerifyReport, StoreError> {
    verify_store_against(store, head, &Against::digest(against), progress)
}

/// `verify_store`, also against a checkpoint; the store's Merkle chunks and the checkpoints
/// it signed are always checked.
pub fn verify_store_against(
    store: &dyn StoreRead,
    head: Option<Digest>,
    against: &Against,
    progress: &mut dyn FnMut(u64),
) -> Result<VerifyReport, StoreError> {
    let (head, walk_to) = match head {
        Some(h) => (h, h.seq),
        None => (store.head()?, u64::MAX),
    };
    let mut signed = Vec::new();
    for note in store.checkpoints()? {
        let kept = Kept::read(note)?;
        signed.push(Expected {
            size: kept.size,
            root: kept.root,
            what: "the checkpoint the ledger signed for them".to_owned(),
        });
    }
    let tree = TreeCheck::new(store.tree_chunks()?, against.expected(signed));
    let panicked = |what: &str| StoreError::Corrupt(format!("{what} panicked"));
    std::thread::scope(|scope| {
        // The copies streams keep for their reads, and the Merkle tree, are hashed on other
        // cores meanwhile, each reading the log on its own.
        let copies = scope.spawn(|| copy_hashes(store, walk_to));
        let (to_tree, batches) = std::sync::mpsc::sync_channel::<Vec<Vec<u8>>>(4);
        let tree = scope.spawn(move || build_tree(batches, tree));
        let mut hashes = Vec::new();
        let mut batch = Vec::with_capacity(TREE_BATCH);
        let records = store
            .records_in(1, walk_to)
            .map(|item| item.map(|(seq, bytes)| (Some(seq), bytes)));
        let collect = |check: &ChainCheck, bytes: Vec<u8>| {
            hashes.push(short(&check.last_hash()));
            batch.push(bytes);
            if batch.len() == TREE_BATCH {
                // The tree's thread ends only when this side hangs up: a send cannot fail.
                let _ = to_tree.send(std::mem::replace(
                    &mut batch,
                    Vec::with_capacity(TREE_BATCH),
                ));
            }
        };
        let walked = walk(records, ChainCheck::new(against.digest), progress, collect);
        let _ = to_tree.send(batch);
        drop(to_tree);
        let mut report = walked?.finish(Some(head));
        let copies = copies
            .join()
            .map_err(|_| panicked("reading the stream copies"))??;
        if report.ok() {
            report.first_bad = check_copies(&hashes, copies);
        }
        let tree = tree
            .join()
            .map_err(|_| panicked("building the Merkle tree"))??;
        tree.finish(&mut report);
        Ok(report)
    })
}

/// How many records the chain's walk hands the tree's thread at a time.
const TREE_BATCH: usize = 4096;

/// `tree` fed with the records the walk sends, until it hangs up.
fn build_tree(
    batches: std::sync::mpsc::Receiver<Vec<Vec<u8>>>,
    mut tree: TreeCheck,
) -> Result<TreeCheck, StoreError> {
    for batch in batches {
        for bytes in &batch {
            tree.push(bytes);
        }
    }
    Ok(tree)
}

/// The first 128 bits of a hash: enough to tell a copy from its record.
fn short(hash: &RecordHash) -> u128 {
    let mut first = [0u8; 16];
    first.copy_from_slice(&hash.0[..16]);
    u128::from_le_bytes(first)
}

/// An index entry's claimed sequence number and the short hash of what it finds (`None` when
/// the store saw it find the record itself).
type CopyHash = (u64, Option<u128>);

/// Each stream copy's `CopyHash`, up to `upto`; `None` for a store that keeps no copies.
fn copy_hashes(store: &dyn StoreRead, upto: u64) -> Result<Option<Vec<CopyHash>>, StoreError> {
    let Some(copies) = store.stream_copies() else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for item in copies {
        let (seq, found) = item?;
        if seq <= upto {
            let hash = match found {
                Found::Bytes(bytes) => Some(short(&RecordHash::of(&bytes))),
                Found::Record => None,
            };
            out.push((seq, hash));
        }
    }
    Ok(Some(out))
}

/// The first record whose stream copy is altered, missing or doubled, given the records'
/// short hashes in order (`hashes[0]` is record 1). A store that keeps no copies passes; one
/// that does must hold one of every record.
fn check_copies(hashes: &[u128], copies: Option<Vec<(u64, Option<u128>)>>) -> Option<BadRecord> {
    let copies = copies?;
    let mut seen = vec![false; hashes.len()];
    let mut first_bad: Option<BadRecord> = None;
    let mut bad = |seq: u64, reason: String| {
        if first_bad.as_ref().is_none_or(|b| seq < b.seq) {
            first_bad = Some(BadRecord { seq, reason });
        }
    };
    for (seq, hash) in copies {
        let Some(at) = seq
            .checked_sub(1)
            .map(|i| i as usize)
            .filter(|i| *i < hashes.len())
        else {
            bad(
                seq,
                format!("a stream's index names record {seq}, which the log does not hold"),
            );
            continue;
        };
        if hash.is_some_and(|h| hashes[at] != h) {
            bad(seq, format!("the index entry of record {seq} that its stream's reads (history, timelines) use finds something else than the record; the chain itself is intact: delete the data directory's index/ folder and open the ledger to rebuild it"));
        } else if std::mem::replace(&mut seen[at], true) {
            bad(seq, format!("record {seq} is indexed twice in its stream"));
        }
    }
    if let Some(at) = seen.iter().position(|s| !s) {
        bad(
            at as u64 + 1,
            format!(
                "record {} has no index entry for its stream's reads (history, timelines)",
                at + 1
            ),
        );
    }
    first_bad
}

/// Verifies an export: one record per line, exactly the stored bytes.
pub fn verify_lines(
    input: impl BufRead,
    against: Option<Digest>,
    progress: &mut dyn FnMut(u64),
) -> std::io::Result<VerifyReport> {
    verify_lines_against(input, &Against::digest(against), progress)
}

/// `verify_lines`, also against a checkpoint.
pub fn verify_lines_against(
    input: impl BufRead,
    against: &Against,
    progress: &mut dyn FnMut(u64),
) -> std::io::Result<VerifyReport> {
    let mut tree = TreeCheck::new(Vec::new(), against.expected(Vec::new()));
    let mut lines = split_lines(input);
    let records = lines.by_ref().map(|line| line.map(|bytes| (None, bytes)));
    let check = ChainCheck::new(against.digest);
    let mut report = walk(records, check, progress, |_, bytes| tree.push(&bytes))?.finish(None);
    if let Some(bad) = lines.cut_short() {
        report.fail_at(bad);
    }
    tree.finish(&mut report);
    Ok(report)
}

/// Feeds records to `check` until the first bad one, reporting progress and showing `check` to
/// `each` after every record.
fn walk<E>(
    records: impl Iterator<Item = Result<(Option<u64>, Vec<u8>), E>>,
    mut check: ChainCheck,
    progress: &mut dyn FnMut(u64),
    mut each: impl FnMut(&ChainCheck, Vec<u8>),
) -> Result<ChainCheck, E> {
    let mut n = 0u64;
    for item in records {
        let (key, bytes) = item?;
        check.push(key, &bytes);
        each(&check, bytes);
        n += 1;
        if n % 16384 == 0 {
            progress(n);
        }
        if check.failed() {
            break;
        }
    }
    progress(n);
    Ok(check)
}

/// Lines of an export without their `\n`; a final empty line is not a record, and a line that
/// starts with a zero byte ends the export (the zeroed space a data directory's active segment
/// has allocated past its records). `cut` tells, once read, whether the last line had no `\n`.
pub(super) struct Lines<R> {
    input: R,
    read: u64,
    cut: Option<u64>,
}

pub(super) fn split_lines<R: BufRead>(input: R) -> Lines<R> {
    Lines {
        input,
        read: 0,
        cut: None,
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = std::io::Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut line = Vec::new();
        match self.input.read_until(b'\n', &mut line) {
            Ok(0) => None,
            Ok(_) if line[0] == 0 => None,
            Ok(_) => {
                self.read += 1;
                if line.last() == Some(&b'\n') {
                    line.pop();
                } else {
                    self.cut = Some(self.read);
                }
                Some(Ok(line))
            }
            Err(e) => Some(Err(e)),
        }
    }
}

impl<R> Lines<R> {
    /// The failure of a last line without its `\n`: an export cut short.
    fn cut_short(&self) -> Option<BadRecord> {
        self.cut_short_from(1)
    }

    /// `cut_short` for lines that start at record `first`.
    pub(super) fn cut_short_from(&self, first: u64) -> Option<BadRecord> {
        self.cut
            .map(|n| (first - 1).saturating_add(n))
            .map(|seq| BadRecord {
                seq,
                reason: format!(
                    "record {seq} is not followed by a newline: the file was cut short"
                ),
            })
    }
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The ledger could not be read.
    #[error(transparent)]
    Read(#[from] StoreError),
    /// The destination refused the bytes (a full disk, a closed pipe).
    #[error("cannot write the export: {0}")]
    Write(std::io::Error),
}

/// Writes records `1..=to` as an export: each record's exact bytes and a `\n`.
pub fn export_lines(
    store: &dyn StoreRead,
    to: u64,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, ExportError> {
    let mut n = 0;
    for item in store.records_in(1, to) {
        let (_, bytes) = item?;
        out.write_all(&bytes)
            .and_then(|()| out.write_all(b"\n"))
            .map_err(ExportError::Write)?;
        n += 1;
        if n % 16384 == 0 {
            progress(n);
        }
    }
    out.flush().map_err(ExportError::Write)?;
    progress(n);
    Ok(n)
}

/// A store opened for auditing only: verify, digest, export. Opens ledgers that are too damaged
/// for `Ledger::open`.
pub struct Archive {
    store: Arc<dyn Store>,
}

impl Archive {
    /// The ledger in a data directory.
    pub fn open(dir: &Path) -> Result<Archive, StoreError> {
        Archive::open_at(&store::Location::Dir(dir.to_owned()))
    }

    /// The ledger whose store is at `location`.
    pub fn open_at(location: &store::Location) -> Result<Archive, StoreError> {
        Ok(Archive {
            store: store::open_existing(location)?,
        })
    }

    pub fn digest(&self) -> Result<Digest, StoreError> {
        self.store.head()
    }

    pub fn verify(
        &self,
        against: Option<Digest>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<VerifyReport, StoreError> {
        verify_store(self.store(), None, against, progress)
    }

    /// `verify`, also against a checkpoint.
    pub fn verify_against(
        &self,
        against: &Against,
        progress: &mut dyn FnMut(u64),
    ) -> Result<VerifyReport, StoreError> {
        verify_store_against(self.store(), None, against, progress)
    }

    pub fn export(
        &self,
        out: &mut dyn Write,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64, ExportError> {
        let head = self.store.head()?;
        export_lines(self.store(), head.seq, out, progress)
    }

    /// The store, read-only.
    pub fn store(&self) -> &dyn StoreRead {
        self.store.as_read()
    }

    /// The doors that alter the stored data behind the ledger's back, for tamper tests; `None`
    /// for a store that has none.
    #[cfg(feature = "tamper")]
    pub fn tamper(&self) -> Option<&dyn store::Tamper> {
        self.store.tamper()
    }
}

/// Why an import appended nothing (or stopped after a durable prefix, for `Append`).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read the import file: {0}")]
    Io(#[from] std::io::Error),
    /// The file's chain is broken: it was altered or damaged.
    #[error("the file does not verify: record {}: {}; nothing was imported", .0.seq, .0.reason)]
    Broken(crate::record::BadRecord),
    /// The file is intact but does not describe a valid ledger, or does not continue this one.
    #[error("nothing was imported: {0}")]
    Refused(String),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Append(#[from] AppendError),
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    pub records_in_file: u64,
    /// Records the ledger already held (the file's prefix matched them byte for byte).
    pub already_present: u64,
    pub appended: u64,
    pub head: Digest,
}

impl Ledger {
    /// Imports an export file. The file must verify, replay cleanly, and start with exactly the
    /// records this ledger already has (none, for a fresh ledger); otherwise nothing is
    /// appended. Records are appended in durable chunks, so an interrupted import resumes when
    /// run again.
    pub async fn import(
        &self,
        path: &Path,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<ImportSummary, ImportError> {
        self.import_against(path, None, progress).await
    }

    /// `import`, refusing a file whose records do not have the root of `checkpoint` at its
    /// size (a file cut short or rewritten since the checkpoint was signed).
    pub async fn import_against(
        &self,
        path: &Path,
        checkpoint: Option<Expected>,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<ImportSummary, ImportError> {
        let mut tree = TreeCheck::new(Vec::new(), checkpoint.into_iter().collect());
        let open =
            || -> std::io::Result<_> { Ok(std::io::BufReader::new(std::fs::File::open(path)?)) };
        let head = self.digest();
        let mut check = ChainCheck::new(None);
        let mut scratch = self.read(|s| s.clone());
        let mut total = 0u64;
        let mut lines = split_lines(open()?);
        for line in lines.by_ref() {
            let line = line?;
            total += 1;
            check.push(None, &line);
            tree.push(&line);
            if check.failed() {
                break;
            }
            if total <= head.seq {
                let ours = self
                    .store()
                    .record(total)
                    .map_err(ReadError::from)?
                    .unwrap_or_default();
                if RecordHash::of(&ours) != RecordHash::of(&line) {
                    return Err(ImportError::Refused(format!(
                        "record {total} differs from this ledger's record {total}; import into an empty data directory, or a ledger this file extends"
                    )));
                }
            } else {
                let record =
                    decode_at(total, &line).map_err(|e| ImportError::Refused(e.to_string()))?;
                apply_record(&mut scratch, &record)
                    .map_err(|e| ImportError::Refused(e.to_string()))?;
            }
            if total % 16384 == 0 {
                progress(total);
            }
        }
        let mut report = check.finish(None);
        if let Some(bad) = lines.cut_short() {
            report.fail_at(bad);
        }
        tree.finish(&mut report);
        if let Some(bad) = report.first_bad {
            return Err(ImportError::Broken(bad));
        }
        if total < head.seq {
            return Err(ImportError::Refused(format!(
                "the file holds {total} records but this ledger already has {}; it cannot shorten a ledger",
                head.seq
            )));
        }
        let mut appended = 0;
        let mut chunk = Vec::with_capacity(IMPORT_CHUNK);
        for (i, line) in split_lines(open()?).enumerate() {
            if (i as u64) < head.seq {
                continue;
            }
            chunk.push(line?);
            if chunk.len() == IMPORT_CHUNK {
                appended += self.import_chunk(std::mem::take(&mut chunk)).await?;
                progress(head.seq + appended);
            }
        }
        if !chunk.is_empty() {
            appended += self.import_chunk(chunk).await?;
        }
        progress(total);
        Ok(ImportSummary {
            records_in_file: total,
            already_present: head.seq,
            appended,
            head: self.digest(),
        })
    }
}
