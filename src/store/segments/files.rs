//! Segment files, the log itself: `log/<first seq, 20 digits>.jsonl`, each the records from its
//! first sequence number on, exactly as stored and exported, one per line. The newest segment
//! is the active one: it has zeroed space allocated past its records, so a commit's
//! `fdatasync` changes no metadata, and its records end where the zeros begin. A sealed segment
//! is cut to its records' length and never changes again, so it is byte for byte the matching
//! slice of `export`.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Zeros are allocated ahead of the records a sixteenth of the segment's size at a time, from
/// 64 KiB to 1 MiB: little room is held empty (at most 1/16 of a small ledger), and the
/// allocation (which changes metadata and is synced) comes once every hundreds of commits.
const EXTEND_MIN: u64 = 64 << 10;
const EXTEND_MAX: u64 = 1 << 20;

/// How many bytes a reader takes from a segment at a time: twice the most a record read has
/// to skip from its sparse position, so one read usually serves it.
const READ_BUFFER: usize = 64 << 10;

/// The folder of the segments in a data directory.
pub fn log_dir(dir: &Path) -> PathBuf {
    dir.join("log")
}

/// The path of the segment whose first record is `first`.
pub fn segment_path(log: &Path, first: u64) -> PathBuf {
    log.join(format!("{first:020}.jsonl"))
}

/// The first sequence numbers of the segments in `log`, in order.
pub fn list(log: &Path) -> std::io::Result<Vec<u64>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(log)? {
        let name = entry?.file_name();
        let first = name.to_str().and_then(|n| n.strip_suffix(".jsonl"));
        if let Some(first) = first.filter(|f| f.len() == 20).and_then(|f| f.parse().ok()) {
            found.push(first);
        }
    }
    found.sort_unstable();
    Ok(found)
}

/// The segment being written: where its records end and how far zeroed space reaches.
pub struct Active {
    pub first: u64,
    pub file: File,
    /// Bytes of complete records.
    pub len: u64,
    allocated: u64,
}

impl Active {
    /// Creates segment `first` in `log`, durably (the file and its directory entry).
    pub fn create(log: &Path, first: u64) -> std::io::Result<Active> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(segment_path(log, first))?;
        File::open(log)?.sync_all()?;
        Ok(Active {
            first,
            file,
            len: 0,
            allocated: 0,
        })
    }

    /// Opens segment `first` to go on writing after its `len` bytes of records.
    pub fn resume(log: &Path, first: u64, len: u64) -> std::io::Result<Active> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(segment_path(log, first))?;
        let allocated = file.metadata()?.len();
        Ok(Active {
            first,
            file,
            len,
            allocated,
        })
    }

    /// Writes `bytes` after the records and makes them durable with one `fdatasync`. On
    /// failure nothing of them is left: the file is cut back to the records it had.
    pub fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let written = self
            .extend(self.len + bytes.len() as u64)
            .and_then(|()| self.file.write_all_at(bytes, self.len))
            .and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.len += bytes.len() as u64;
                Ok(())
            }
            Err(e) => {
                let _ = self.cut();
                Err(e)
            }
        }
    }

    /// Zeroed space past the records until `needed` bytes fit, durably.
    fn extend(&mut self, needed: u64) -> std::io::Result<()> {
        let extent = (self.len / 16).clamp(EXTEND_MIN, EXTEND_MAX);
        self.allocated =
            crate::store::prealloc::extend(&self.file, self.allocated, needed, extent)?;
        Ok(())
    }

    /// Whether anything but zeros follows the records: a commit written but never acknowledged.
    pub fn torn_tail(&self) -> std::io::Result<bool> {
        let mut at = self.len;
        let mut buf = vec![0u8; READ_BUFFER];
        while at < self.allocated {
            let n = self.file.read_at(&mut buf, at)?;
            if n == 0 {
                break;
            }
            if buf[..n].iter().any(|b| *b != 0) {
                return Ok(true);
            }
            at += n as u64;
        }
        Ok(false)
    }

    /// Cuts the file to its records, durably: what follows them is gone, zeros or a torn
    /// write alike.
    pub fn cut(&mut self) -> std::io::Result<()> {
        self.file.set_len(self.len)?;
        self.file.sync_all()?;
        self.allocated = self.len;
        Ok(())
    }
}

/// Reads one segment's lines from an offset: each line without its `\n` and the offset it
/// starts at. Stops at `limit`, at the first zero byte (the allocated tail) or at the end of
/// the file; a last line without its `\n` is returned as it is (`verify` names it).
pub struct Lines {
    reader: BufReader<File>,
    offset: u64,
    limit: u64,
}

impl Lines {
    pub fn open(path: &Path, offset: u64, limit: u64) -> std::io::Result<Lines> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(Lines {
            reader: BufReader::with_capacity(READ_BUFFER, file),
            offset,
            limit,
        })
    }
}

/// One line of a segment: where it starts, its bytes, and whether its `\n` was there.
pub struct Line {
    pub offset: u64,
    pub bytes: Vec<u8>,
    pub complete: bool,
}

impl Iterator for Lines {
    type Item = std::io::Result<Line>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.offset >= self.limit {
            return None;
        }
        let mut bytes = Vec::with_capacity(512);
        let room = self.limit - self.offset;
        let read = (&mut self.reader).take(room).read_until(b'\n', &mut bytes);
        if let Err(e) = read {
            return Some(Err(e));
        }
        // `contains` is a memchr; the zeros are at the allocated tail (or a torn write).
        if let Some(zero) = bytes
            .contains(&0)
            .then(|| bytes.iter().position(|b| *b == 0))
            .flatten()
        {
            bytes.truncate(zero);
            self.limit = self.offset;
        }
        if bytes.is_empty() {
            self.limit = self.offset;
            return None;
        }
        let offset = self.offset;
        self.offset += bytes.len() as u64;
        let complete = bytes.last() == Some(&b'\n');
        if complete {
            bytes.pop();
        } else {
            self.limit = self.offset;
        }
        Some(Ok(Line {
            offset,
            bytes,
            complete,
        }))
    }
}

/// Reads `len` bytes at `offset` of an open segment.
pub fn read_at(file: &File, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = vec![0; len];
    file.read_exact_at(&mut bytes, offset)?;
    Ok(bytes)
}

/// The bytes of the files under `dir`, in every folder.
pub fn bytes_under(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += match meta.is_dir() {
            true => bytes_under(&entry.path())?,
            false => meta.len(),
        };
    }
    Ok(total)
}
