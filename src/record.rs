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

impl<'de> Deserialize<'de> for RecordHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        RecordHash::parse(&text)
            .ok_or_else(|| serde::de::Error::custom("a hash is 64 lowercase hex digits"))
    }
}

/// The head of a log: its last sequence number and that record's hash. Keeping a digest lets an
/// auditor later prove the log still holds exactly that prefix.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
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
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.first_bad.is_none()
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
        self.next_seq = seq + 1;
    }

    fn resolve_pending(&mut self, head: Option<Digest>) {
        if let Some(p) = self.pending.take() {
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_parses_from_lowercase_hex_only_wherever_the_bad_digit_is() {
        let hex = "0123456789abcdef".repeat(4);
        let hash = RecordHash::parse(&hex).expect("64 lowercase hex digits");
        assert_eq!(hash.to_string(), hex);
        assert_eq!(format!("{hash:?}"), format!("RecordHash({hex})"));
        for at in [0, 1, 31, 62, 63] {
            for bad in ['g', 'A', 'z', ' '] {
                let mut text: Vec<char> = hex.chars().collect();
                text[at] = bad;
                let text: String = text.into_iter().collect();
                assert_eq!(RecordHash::parse(&text), None, "{bad:?} at {at}");
            }
        }
        // Both digits of one byte bad at once.
        let both = format!("zz{}", &hex[2..]);
        assert_eq!(RecordHash::parse(&both), None);
        assert_eq!(RecordHash::parse(&hex[..63]), None);
    }

    #[test]
    fn a_record_up_to_the_size_limit_is_read_and_a_larger_one_is_refused() {
        let envelope = Envelope {
            seq: 1,
            stream: StreamId::Access,
            version: 1,
            id: "r-1".to_owned(),
            actor: Actor::parse("olivia").unwrap(),
            auth: Auth::System,
            recorded_at: DateTime::parse_from_rfc3339("2026-07-01T09:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            prev: RecordHash::ZERO,
        };
        let revoked = |reason_bytes: usize| {
            let event = Event::from(crate::domain::event::TokenRevoked {
                token: crate::domain::TokenHash::of("t"),
                reason: "x".repeat(reason_bytes),
            });
            encode(&envelope, &event)
        };
        let base = revoked(0).len();
        let largest = revoked(MAX_RECORD_BYTES - base);
        assert_eq!(largest.len(), MAX_RECORD_BYTES);
        assert!(decode(&largest).is_ok(), "a record of exactly the limit");
        let over = revoked(MAX_RECORD_BYTES - base + 1);
        let err = decode(&over).unwrap_err();
        assert!(err.0.contains("the limit is 32768"), "{err}");
    }

    /// Record `seq` of a chain, revoking a token with `reason`, linked to `prev`.
    fn record(seq: u64, version: u64, id: &str, prev: RecordHash) -> Vec<u8> {
        let envelope = Envelope {
            seq,
            stream: StreamId::Access,
            version,
            id: id.to_owned(),
            actor: Actor::parse("olivia").unwrap(),
            auth: Auth::System,
            recorded_at: DateTime::parse_from_rfc3339("2026-07-01T09:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            prev,
        };
        let event = Event::from(crate::domain::event::TokenRevoked {
            token: crate::domain::TokenHash::of("t"),
            reason: format!("reason {seq}"),
        });
        encode(&envelope, &event)
    }

    #[test]
    fn a_digest_reads_back_as_it_prints_and_nonsense_is_refused_with_the_form_to_use() {
        let hash = RecordHash::of(b"x");
        let text = format!("12:{hash}");
        let digest = Digest::parse(&text).unwrap();
        assert_eq!(digest, Digest { seq: 12, hash });
        assert_eq!(digest.to_string(), text);
        for bad in ["12", "x:00", &format!("12:{}", &hash.to_string()[1..])] {
            let err = Digest::parse(bad).unwrap_err();
            assert!(err.contains("invalid digest"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_record_needs_seq_and_version_from_one_and_an_id_of_one_to_eighty_characters() {
        let long = "i".repeat(80);
        assert!(decode(&record(1, 1, &long, RecordHash::ZERO)).is_ok());
        for (seq, version, id) in [
            (0, 1, "a"),
            (1, 0, "a"),
            (1, 1, ""),
            (1, 1, &*"i".repeat(81)),
        ] {
            let err = decode(&record(seq, version, id, RecordHash::ZERO)).unwrap_err();
            assert!(
                err.0.contains("start at 1"),
                "{seq} {version} {id:?}: {err}"
            );
        }
    }

    #[test]
    fn a_link_is_read_in_place_only_from_a_plain_sequence_number() {
        let bytes = record(7, 1, "a", RecordHash::ZERO);
        assert_eq!(read_link(&bytes).unwrap(), (7, RecordHash::ZERO));
        let text = String::from_utf8(bytes).unwrap();
        // JSON allows neither, so the link is unreadable, in place or not.
        for seq in ["07", "7.5"] {
            let odd = text.replacen("\"seq\":7,", &format!("\"seq\":{seq},"), 1);
            assert!(read_link(odd.as_bytes()).is_err(), "seq {seq}");
        }
    }

    #[test]
    fn a_chain_check_stops_reading_at_the_first_bad_record() {
        let mut records = chain();
        records[4] = String::from_utf8(records[4].clone())
            .unwrap()
            .replace("reason 5", "reason 6")
            .into_bytes();
        let mut check = ChainCheck::new(None);
        for bytes in &records {
            check.push(None, bytes);
        }
        assert!(check.failed());
        let report = check.finish(None);
        assert_eq!(report.first_bad.as_ref().map(|b| b.seq), Some(5));
        assert_eq!(report.records, 4);
        assert!(report.head.seq < 10, "reading went on: {:?}", report.head);
    }

    /// Ten chained records.
    fn chain() -> Vec<Vec<u8>> {
        let mut records = vec![];
        let mut prev = RecordHash::ZERO;
        for seq in 1..=10 {
            let bytes = record(seq, seq, &format!("r{seq}"), prev);
            prev = RecordHash::of(&bytes);
            records.push(bytes);
        }
        records
    }

    #[test]
    fn records_behind_the_stores_head_are_named_from_the_first_one_added() {
        let records = chain();
        let mut check = ChainCheck::new(None);
        for bytes in &records {
            check.push(None, bytes);
        }
        let head = Digest {
            seq: 8,
            hash: RecordHash::of(&records[7]),
        };
        let bad = check.finish(Some(head)).first_bad.unwrap();
        assert_eq!(bad.seq, 9);
        assert!(bad.reason.contains("added behind"), "{}", bad.reason);
    }

    #[test]
    fn a_chain_check_takes_a_record_of_exactly_the_limit_and_refuses_one_byte_more() {
        let padded = |extra: usize| {
            let text = String::from_utf8(record(1, 1, "a", RecordHash::ZERO)).unwrap();
            let pad = "x".repeat(MAX_RECORD_BYTES - text.len() + extra);
            text.replacen("reason 1", &format!("reason 1{pad}"), 1)
                .into_bytes()
        };
        let mut check = ChainCheck::new(None);
        check.push(None, &padded(0));
        assert!(!check.failed(), "exactly {MAX_RECORD_BYTES} bytes");
        let mut check = ChainCheck::new(None);
        check.push(None, &padded(1));
        let bad = check.finish(None).first_bad.unwrap();
        assert!(bad.reason.contains("the limit is 32768"), "{}", bad.reason);
    }
}
