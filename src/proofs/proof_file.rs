//! The C2SP `tlog-proof@v1` file: the first line, an optional `extra` line (here: the record's
//! exact bytes, so that the file proves a record on its own), `index`, the inclusion proof's
//! hashes one base64 line each, a blank line, then the signed checkpoint verbatim.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::merkle::Hash;
use super::note::{decode_hash, encode_hash, NoteError};

/// The first line of a proof file.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// A proof of one record's inclusion in a signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofFile {
    /// The record's exact bytes (the `extra` line); not trusted until its leaf hash proves it.
    pub extra: Option<Vec<u8>>,
    /// The zero-based leaf index: the record's seq − 1.
    pub index: u64,
    pub hashes: Vec<Vec<u8>>,
    /// The signed checkpoint, verbatim.
    pub checkpoint: String,
}

impl ProofFile {
    pub fn new(record: &[u8], index: u64, hashes: &[Hash], checkpoint: &str) -> ProofFile {
        ProofFile {
            extra: Some(record.to_vec()),
            index,
            hashes: hashes.iter().map(|h| h.to_vec()).collect(),
            checkpoint: checkpoint.to_owned(),
        }
    }

    /// The file's text.
    pub fn text(&self) -> String {
        let mut out = format!("{HEADER}\n");
        if let Some(extra) = &self.extra {
            out += &format!("extra {}\n", BASE64.encode(extra));
        }
        out += &format!("index {}\n", self.index);
        for h in &self.hashes {
            out += &BASE64.encode(h);
            out.push('\n');
        }
        out.push('\n');
        out + &self.checkpoint
    }

    /// Parses a proof file.
    pub fn parse(text: &str) -> Result<ProofFile, NoteError> {
        let bad = |why: &str| NoteError(format!("not a {HEADER} proof: {why}"));
        let (head, checkpoint) = text
            .split_once("\n\n")
            .ok_or_else(|| bad("no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(bad(&format!("the first line is not {HEADER}")));
        }
        let mut line = lines.next().ok_or_else(|| bad("no index line"))?;
        let mut extra = None;
        if let Some(e) = line.strip_prefix("extra ") {
            extra = Some(
                BASE64
                    .decode(e)
                    .map_err(|_| bad("the extra line is not base64"))?,
            );
            line = lines.next().ok_or_else(|| bad("no index line"))?;
        }
        let index = line
            .strip_prefix("index ")
            .and_then(|i| {
                i.parse::<u64>()
                    .ok()
                    .filter(|n| n.to_string() == i && *n < u64::MAX)
            })
            .ok_or_else(|| bad("no `index N` line"))?;
        let hashes = lines.map(decode_hash).collect::<Result<Vec<_>, _>>()?;
        Ok(ProofFile {
            extra,
            index,
            hashes,
            checkpoint: checkpoint.to_owned(),
        })
    }
}

/// A consistency proof's text: one base64 hash a line.
pub fn hash_lines(hashes: &[Hash]) -> String {
    hashes.iter().map(|h| encode_hash(h) + "\n").collect()
}

/// Parses a consistency proof's lines (blank lines ignored).
pub fn parse_hash_lines(text: &str) -> Result<Vec<Vec<u8>>, NoteError> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(decode_hash)
        .collect()
}
