//! The record format, defined here and nowhere else: one compact JSON object per record,
//! `{"seq","stream","version","id","type","schema","actor","auth","recorded_at","payload","prev"}`
//! in that order, where `auth` (`Auth`) says how the actor was established. A record's hash is
//! BLAKE3 of its exact stored bytes; `prev` is the previous record's hash (64 zeros for record
//! 1). `ChainCheck` verifies a sequence of such records and names the first bad one. Knows
//! nothing about sled.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::domain::{Actor, Event, StreamId};

mod auth;

pub use auth::Auth;

/// The largest record this program writes or reads, in bytes. Keeps every sled page far below
/// the size at which sled 0.34 moves it into a separate (not fsynced) blob file.
pub const MAX_RECORD_BYTES: usize = 32 * 1024;

/// A BLAKE3 hash, shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RecordHash(pub [u8; 32]);

impl RecordHash {
    /// The `prev` of record 1.
    pub const ZERO: RecordHash = RecordHash([0; 32]);

    pub fn of(bytes: &[u8]) -> RecordHash {
        RecordHash(*blake3::hash(bytes).as_bytes())
    }

    /// Parses 64 lowercase hex digits.
    pub fn parse(hex: &str) -> Option<RecordHash> {
        let bytes: &[u8; 64] = hex.as_bytes().try_into().ok()?;
        // 0xff for anything but a lowercase hex digit, so one test at the end finds any.
        let nibble = |c: u8| match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => 0xff,
        };
        let mut out = [0u8; 32];
        let mut bad = 0u8;
        for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            let (hi, lo) = (nibble(pair[0]), nibble(pair[1]));
            bad |= hi | lo;
            *o = hi << 4 | lo;
        }
        (bad & 0xf0 == 0).then_some(RecordHash(out))
    }
}

impl RecordHash {
    /// The 64 hex digits, without going through the formatter byte by byte (every record's
    /// encoding writes one).
    fn hex(&self) -> [u8; 64] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 64];
        for (i, b) in self.0.iter().enumerate() {
            out[2 * i] = DIGITS[usize::from(b >> 4)];
            out[2 * i + 1] = DIGITS[usize::from(b & 15)];
        }
        out
    }
}

impl fmt::Display for RecordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.hex();
        // Hex digits are ASCII.
        f.write_str(std::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for RecordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordHash({self})")
    }
}

impl Serialize for RecordHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let hex = self.hex();
        s.serialize_str(std::str::from_utf8(&hex).map_err(serde::ser::Error::custom)?)
    }
}

impl schemars::JsonSchema for RecordHash {
    fn schema_name() -> String {
        "RecordHash".to_owned()
    }
    fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        let schema = serde_json::json!({"type": "string", "pattern": "^[0-9a-f]{64}$",
            "description": "A BLAKE3 hash, 64 lower-case hex digits"});
        serde_json::from_value(schema).unwrap_or(schemars::schema::Schema::Bool(true))
    }
}

impl<'de> Deserialize<'de> for RecordHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        RecordHash::parse(&text)
            .ok_or_else(|| serde::de::Error::custom("a hash is 64 lowercase hex digits"))
    }
}

/// The head of a log: its last sequence number and that record's hash. Keeping a digest lets an
/// auditor later prove the log still holds exactly that prefix.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Digest {
    pub seq: u64,
    pub hash: RecordHash,
}

impl Digest {
    /// The digest of an empty log.
    pub const EMPTY: Digest = Digest {
        seq: 0,
        hash: RecordHash::ZERO,
    };

    /// Parses `SEQ:HASH`.
    pub fn parse(text: &str) -> Result<Digest, String> {
        let (seq, hash) = text.split_once(':').ok_or_else(|| {
            format!("invalid digest {text:?}: use SEQ:HASH as printed by `goal-ledger digest`")
        })?;
        let seq = seq
            .parse()
            .map_err(|_| format!("invalid digest {text:?}: {seq:?} is not a sequence number"))?;
        let hash = RecordHash::parse(hash).ok_or_else(|| {
            format!("invalid digest {text:?}: the hash must be 64 lowercase hex digits")
        })?;
        Ok(Digest { seq, hash })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

/// Formats a record time: RFC 3339, UTC, microseconds, `Z`.
pub fn format_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Everything a record holds but its event.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub seq: u64,
    pub stream: StreamId,
    pub version: u64,
    pub id: String,
    pub actor: Actor,
    /// How `actor` was established: a token, a local write, or the ledger itself.
    pub auth: Auth,
    pub recorded_at: DateTime<Utc>,
    pub prev: RecordHash,
}

/// A decoded record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub envelope: Envelope,
    pub event: Event,
}

#[derive(Serialize)]
struct Out<'a> {
    seq: u64,
    stream: String,
    version: u64,
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    schema: u32,
    actor: &'a Actor,
    auth: &'a Auth,
    recorded_at: String,
    payload: &'a Event,
    prev: RecordHash,
}

/// Encodes a record as its stored bytes.
pub fn encode(envelope: &Envelope, event: &Event) -> Vec<u8> {
    let out = Out {
        seq: envelope.seq,
        stream: envelope.stream.to_string(),
        version: envelope.version,
        id: &envelope.id,
        kind: event.type_name(),
        schema: event.schema(),
        actor: &envelope.actor,
        auth: &envelope.auth,
        recorded_at: format_time(envelope.recorded_at),
        payload: event,
        prev: envelope.prev,
    };
    // Serializing plain structs of strings and finite numbers cannot fail.
    serde_json::to_vec(&out).unwrap_or_default()
}

/// Why stored bytes are not a record this program can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct In<'a> {
    seq: u64,
    stream: String,
    version: u64,
    id: String,
    #[serde(rename = "type")]
    kind: String,
    schema: u32,
    actor: Actor,
    #[serde(borrow)]
    auth: &'a RawValue,
    recorded_at: String,
    #[serde(borrow)]
    payload: &'a RawValue,
    prev: RecordHash,
}

/// Decodes stored bytes into a record, checking every field.
pub fn decode(bytes: &[u8]) -> Result<Record, DecodeError> {
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(DecodeError(format!(
            "record is {} bytes; the limit is {MAX_RECORD_BYTES}",
            bytes.len()
        )));
    }
    let raw: In<'_> =
        serde_json::from_slice(bytes).map_err(|e| DecodeError(format!("not a record: {e}")))?;
    let stream = StreamId::parse(&raw.stream).map_err(|e| DecodeError(e.to_string()))?;
    let auth = Auth::decode(raw.auth.get())?;
    let recorded_at = DateTime::parse_from_rfc3339(&raw.recorded_at)
        .map_err(|e| DecodeError(format!("recorded_at {:?}: {e}", raw.recorded_at)))?
        .with_timezone(&Utc);
    let event = Event::decode(&raw.kind, raw.schema, raw.payload.get())
        .map_err(|e| DecodeError(e.to_string()))?;
    if event.stream() != stream {
        return Err(DecodeError(format!(
            "record is on stream {stream} but its {} belongs to {}",
            raw.kind,
            event.stream()
        )));
    }
    if raw.seq == 0 || raw.version == 0 || raw.id.is_empty() || raw.id.len() > 80 {
        return Err(DecodeError(
            "seq and version start at 1; id is 1 to 80 characters".to_owned(),
        ));
    }
    Ok(Record {
        envelope: Envelope {
            seq: raw.seq,
            stream,
            version: raw.version,
            id: raw.id,
            actor: raw.actor,
            auth,
            recorded_at,
            prev: raw.prev,
        },
        event,
    })
}

/// The two fields chain verification reads; everything else is only hashed.
#[derive(Deserialize)]
struct Link {
    seq: u64,
    prev: RecordHash,
}

/// Reads the sequence number and `prev` of stored bytes without decoding the payload. Records
/// as this program writes them start with `{"seq":N,` and end with `"prev":"<hex>"}`, which are
/// read in place; anything else goes through the JSON parser (and its error messages). Reading
/// only the ends is safe for verification: the hash covers every byte in between.
pub fn read_link(bytes: &[u8]) -> Result<(u64, RecordHash), DecodeError> {
    if let Some(link) = read_link_in_place(bytes) {
        return Ok(link);
    }
    let link: Link =
        serde_json::from_slice(bytes).map_err(|e| DecodeError(format!("not a record: {e}")))?;
    Ok((link.seq, link.prev))
}

/// The one field a search by time reads.
#[derive(Deserialize)]
struct Stamp<'a> {
    recorded_at: &'a str,
}

/// Reads `recorded_at` of stored bytes without decoding the payload.
pub fn read_recorded_at(bytes: &[u8]) -> Result<DateTime<Utc>, DecodeError> {
    let stamp: Stamp<'_> =
        serde_json::from_slice(bytes).map_err(|e| DecodeError(format!("not a record: {e}")))?;
    DateTime::parse_from_rfc3339(stamp.recorded_at)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|e| DecodeError(format!("recorded_at {:?}: {e}", stamp.recorded_at)))
}

fn read_link_in_place(bytes: &[u8]) -> Option<(u64, RecordHash)> {
    const HEAD: &[u8] = b"{\"seq\":";
    const TAIL: &[u8] = b",\"prev\":\"";
    let rest = bytes.strip_prefix(HEAD)?;
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=19).contains(&digits) || rest.get(digits) != Some(&b',') || rest[0] == b'0' {
        return None;
    }
    let seq: u64 = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
    let end = bytes.strip_suffix(b"\"}")?;
    let hex = end.get(end.len().checked_sub(64)?..)?;
    end[..end.len() - 64].strip_suffix(TAIL)?;
    Some((seq, RecordHash::parse(std::str::from_utf8(hex).ok()?)?))
}

/// The first record that fails verification, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadRecord {
    pub seq: u64,
    pub reason: String,
}

/// The result of walking a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Records read (up to the first bad one).
    pub records: u64,
    /// The head of what was read: last good sequence and its hash.
    pub head: Digest,
    pub first_bad: Option<BadRecord>,
    /// The Merkle tree's root over the records read (SHA-256, RFC 9162), when it was built.
    pub root: Option<[u8; 32]>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.first_bad.is_none()
    }

    /// Takes `bad` as the first bad record if it comes before the one found so far (a tie
    /// keeps the chain's reason).
    pub fn fail_at(&mut self, bad: BadRecord) {
        if self.first_bad.as_ref().is_none_or(|b| bad.seq < b.seq) {
            self.records = self.records.min(bad.seq.saturating_sub(1));
            self.first_bad = Some(bad);
        }
    }
}

struct Pending {
    seq: u64,
    hash: RecordHash,
    expected_prev: RecordHash,
}

/// Verifies records one at a time, in order, and names the first bad sequence.
///
/// A broken link between records k-1 and k means either k-1's bytes changed or k's `prev` did;
/// the check looks at record k+1 (or the expected head) to tell which.
pub struct ChainCheck {
    next_seq: u64,
    prev_hash: RecordHash,
    pending: Option<Pending>,
    first_bad: Option<BadRecord>,
    against: Option<Digest>,
}

impl Default for ChainCheck {
    fn default() -> Self {
        ChainCheck::new(None)
    }
}

impl ChainCheck {
    /// `against`: an earlier digest the log must still contain as a prefix.
    pub fn new(against: Option<Digest>) -> ChainCheck {
        ChainCheck {
            next_seq: 1,
            prev_hash: RecordHash::ZERO,
            pending: None,
            first_bad: None,
            against,
        }
    }

    /// A check of a slice of a log, starting at the record `first`: its own seq and prev are
    /// taken as given (what proves them is the slice's last record, in a checkpoint).
    pub fn resume_at(first: &[u8]) -> ChainCheck {
        let mut check = ChainCheck::new(None);
        if let Ok((seq, prev)) = read_link(first) {
            check.next_seq = seq.max(1);
            check.prev_hash = prev;
        }
        check
    }

    /// The hash of the last record pushed.
    pub fn last_hash(&self) -> RecordHash {
        self.prev_hash
    }

    /// True once a bad record was found; later records are not read.
    pub fn failed(&self) -> bool {
        self.first_bad.is_some()
    }

    fn fail(&mut self, seq: u64, reason: String) {
        if self.first_bad.is_none() {
            self.first_bad = Some(BadRecord { seq, reason });
        }
    }

    /// Feeds the next record: its storage key (if the storage has one) and its exact bytes.
    pub fn push(&mut self, key: Option<u64>, bytes: &[u8]) {
        if self.failed() {
            return;
        }
        let expected = self.next_seq;
        if let Some(key) = key {
            if key != expected {
                self.resolve_pending(None);
                return self.fail(
                    expected,
                    format!("record {expected} is missing (the next stored record is {key})"),
                );
            }
        }
        let (seq, prev) = match read_link(bytes) {
            Ok(link) => link,
            Err(e) => {
                self.resolve_pending(None);
                return self.fail(expected, format!("record {expected} is unreadable: {e}"));
            }
        };
        let hash = RecordHash::of(bytes);
        if let Some(p) = self.pending.take() {
            if p.seq == 1 {
                return self.fail_first();
            }
            // Record p.seq did not link to its predecessor. If this record still links to p.seq,
            // p.seq is intact and its predecessor's bytes changed; otherwise p.seq changed.
            if prev == p.hash {
                return self.fail(
                    p.seq - 1,
                    format!(
                        "record {} was altered: its hash no longer matches the prev of record {}",
                        p.seq - 1,
                        p.seq
                    ),
                );
            }
            return self.fail(
                p.seq,
                format!(
                    "record {} was altered: it links neither back to {} nor forward to {}",
                    p.seq,
                    p.seq - 1,
                    p.seq + 1
                ),
            );
        }
        if seq != expected {
            return self.fail(
                expected,
                format!("record at position {expected} says it is seq {seq}"),
            );
        }
        if bytes.len() > MAX_RECORD_BYTES {
            return self.fail(
                expected,
                format!(
                    "record {expected} is {} bytes; the limit is {MAX_RECORD_BYTES}",
                    bytes.len()
                ),
            );
        }
        if let Some(d) = self.against {
            if d.seq == seq && d.hash != hash {
                return self.fail(
                    seq,
                    format!(
                        "the log no longer holds the prefix of digest {d}: record {seq} now hashes to {hash}; it was rewritten at or before {seq}"
                    ),
                );
            }
        }
        if prev != self.prev_hash {
            self.pending = Some(Pending {
                seq,
                hash,
                expected_prev: self.prev_hash,
            });
        }
        self.prev_hash = hash;
        self.next_seq = seq.saturating_add(1);
    }

    /// Record 1 does not link to the empty log: there is no record before it to blame.
    fn fail_first(&mut self) {
        self.fail(
            1,
            "record 1 was altered: its prev is not 64 zeros (the first record links to nothing)"
                .to_owned(),
        );
    }

    fn resolve_pending(&mut self, head: Option<Digest>) {
        if let Some(p) = self.pending.take() {
            if p.seq == 1 {
                return self.fail_first();
            }
            let intact = head.is_some_and(|h| h.seq == p.seq && h.hash == p.hash);
            if head.is_none() || intact {
                self.fail(
                    p.seq - 1,
                    format!(
                        "record {} does not match the prev of record {} ({} expected); one of the two was altered",
                        p.seq - 1,
                        p.seq,
                        p.expected_prev
                    ),
                );
            } else {
                self.fail(
                    p.seq,
                    format!(
                        "record {} was altered: it does not link back to record {}",
                        p.seq,
                        p.seq - 1
                    ),
                );
            }
        }
    }

    /// Ends the walk. `head`: where the log is known to end (the store's own head), if known.
    pub fn finish(mut self, head: Option<Digest>) -> VerifyReport {
        let last = self.next_seq - 1;
        self.resolve_pending(head);
        if let Some(h) = head {
            if h.seq > last {
                self.fail(last + 1, format!("the log ends at record {last} but its head says {}: records were removed from the end", h.seq));
            } else if h.seq < last {
                self.fail(
                    h.seq + 1,
                    format!(
                        "records after the head {} were added behind the program's back",
                        h.seq
                    ),
                );
            } else if h.hash != self.prev_hash {
                self.fail(
                    last,
                    format!("record {last} was altered: it does not match the head digest"),
                );
            }
        }
        if let Some(d) = self.against {
            if d.seq > last {
                self.fail(last + 1, format!("the log ends at record {last} but digest {d} vouches for {} records: it was truncated", d.seq));
            }
        }
        let records = match &self.first_bad {
            Some(bad) => bad.seq.saturating_sub(1).min(last),
            None => last,
        };
        VerifyReport {
            records,
            head: Digest {
                seq: last,
                hash: self.prev_hash,
            },
            first_bad: self.first_bad,
            root: None,
        }
    }
}

#[cfg(test)]
mod tests;
