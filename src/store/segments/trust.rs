//! What the segment store keeps for proofs: the Merkle tree's chunk hashes in `index/tree`
//! (32 bytes a chunk of 64 records; derived, so it lives with the index and is hashed again
//! from the log when missing) and the signed checkpoints in `checkpoints` beside `log/` (not
//! derived: what the ledger has signed, one JSON string a line, appended and synced).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::proofs::Hash;
use crate::store::StoreError;

/// The bytes of `path`; none when it does not exist (nothing kept yet).
fn read_if_any(path: &Path) -> Result<Vec<u8>, StoreError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// `path` opened to read and write, created if missing, never truncated.
fn open_kept(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
}

/// The tree's chunk hashes kept in `path` (a torn last one is left out).
pub fn read_chunks(path: &Path) -> Result<Vec<Hash>, StoreError> {
    Ok(read_if_any(path)?
        .chunks_exact(32)
        .map(|c| c.try_into().unwrap_or([0; 32]))
        .collect())
}

/// Writes chunk hashes from chunk `first` on, replacing what was there, and syncs them.
pub fn write_chunks(path: &Path, first: usize, chunks: &[Hash]) -> Result<(), StoreError> {
    let mut file = open_kept(path)?;
    let at = (first * 32) as u64;
    if file.metadata()?.len() < at {
        // A gap cannot be filled: start again from what is there; the ledger hashes the rest.
        let kept = file.metadata()?.len() / 32 * 32;
        file.set_len(kept)?;
        return Ok(());
    }
    file.set_len(at)?;
    file.seek(SeekFrom::Start(at))?;
    file.write_all(&chunks.concat())?;
    file.sync_data()?;
    Ok(())
}

/// The signed checkpoints kept in `path`, oldest first (a line torn by a crash is left out).
pub fn read_checkpoints(path: &Path) -> Result<Vec<String>, StoreError> {
    let text = read_if_any(path)?;
    let mut notes = Vec::new();
    for line in text.split_inclusive(|b| *b == b'\n') {
        let Some(line) = line.strip_suffix(b"\n") else {
            break;
        };
        let note: String = serde_json::from_slice(line).map_err(|e| {
            StoreError::Corrupt(format!(
                "{} holds a line that is not a checkpoint: {e}",
                path.display()
            ))
        })?;
        notes.push(note);
    }
    Ok(notes)
}

/// Appends a signed checkpoint to `path` and syncs it (first cutting a line a crash tore).
pub fn append_checkpoint(path: &Path, note: &str) -> Result<(), StoreError> {
    let fresh = !path.exists();
    let mut file = open_kept(path)?;
    let len = file.metadata()?.len();
    if len > 0 {
        let mut last = [0u8];
        file.seek(SeekFrom::Start(len - 1))?;
        file.read_exact(&mut last)?;
        if last[0] != b'\n' {
            cut_torn_line(&mut file)?;
        }
    }
    let mut line = serde_json::to_vec(note).map_err(|e| StoreError::Io(e.into()))?;
    line.push(b'\n');
    file.seek(SeekFrom::End(0))?;
    file.write_all(&line)?;
    file.sync_data()?;
    if fresh {
        if let Some(dir) = path.parent() {
            File::open(dir)?.sync_all()?;
        }
    }
    Ok(())
}

fn cut_torn_line(file: &mut File) -> std::io::Result<()> {
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0))?;
    file.read_to_end(&mut bytes)?;
    let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    file.set_len(keep as u64)
}
