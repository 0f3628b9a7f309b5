//! The segment store against a real directory: what a commit writes to the log and the index,
//! what opening recovers, and what it refuses.

use std::path::Path;

use super::files::{log_dir, segment_path};
use super::SegmentStore;
use crate::record::{Digest, RecordHash};
use crate::store::{CommitBatch, CommitOutcome, IdEntry, NewRecord, Options, Store, StoreRead};

/// A chained record: the smallest bytes the index and the chain check read.
pub(super) fn record(seq: u64, prev: &RecordHash, stream: &str) -> Vec<u8> {
    format!(
        "{{\"seq\":{seq},\"stream\":\"{stream}\",\"version\":{seq},\"id\":\"c-{seq}\",\"recorded_at\":\"2026-10-{:02}T09:00:00Z\",\"prev\":\"{prev}\"}}",
        seq.min(28)
    )
    .into_bytes()
}

/// Commits records `from..=to` one per batch after `head`, and returns the new head.
pub(super) fn commit_range(
    store: &SegmentStore,
    mut head: Digest,
    to: u64,
    stream: &str,
) -> Digest {
    for seq in head.seq + 1..=to {
        let bytes = record(seq, &head.hash, stream);
        let next = Digest {
            seq,
            hash: RecordHash::of(&bytes),
        };
        let batch = CommitBatch {
            records: vec![NewRecord {
                seq,
                bytes,
                stream: stream.into(),
                version: seq,
            }],
            ids: vec![(
                format!("c-{seq}"),
                IdEntry {
                    first: seq,
                    last: seq,
                    fingerprint: [7; 32],
                },
            )],
            head: next,
        };
        assert_eq!(store.commit(head, batch).unwrap(), CommitOutcome::Committed);
        head = next;
    }
    head
}

/// A batch of chained `goal:g` records after `head`, the nth with the nth of `ids` as its id,
/// with no client-id entries (as an import's records carry them).
pub(super) fn batch_with_ids(head: Digest, ids: &[&str]) -> CommitBatch {
    let mut batch = CommitBatch {
        head,
        ..CommitBatch::default()
    };
    for (seq, id) in (head.seq + 1..).zip(ids) {
        let bytes = String::from_utf8(record(seq, &batch.head.hash, "goal:g"))
            .unwrap()
            .replace(&format!("\"c-{seq}\""), &format!("\"{id}\""))
            .into_bytes();
        batch.head = Digest {
            seq,
            hash: RecordHash::of(&bytes),
        };
        batch.records.push(NewRecord {
            seq,
            bytes,
            stream: "goal:g".into(),
            version: seq,
        });
    }
    batch
}

/// Asserts that a commit after `head` is refused, saying `why`.
pub(super) fn assert_closed_to_writes(store: &SegmentStore, head: Digest, why: &str) {
    let refused = store.commit(head, CommitBatch::default()).unwrap_err();
    assert!(refused.to_string().contains(why), "{refused}");
}

/// A closed ledger of `n` records in `dir`, one segment: its head, and that segment's path,
/// bytes and where its records end (the zeros begin).
pub(super) fn closed_segment(dir: &Path, n: u64) -> (Digest, std::path::PathBuf, Vec<u8>, usize) {
    let store = SegmentStore::open(dir, &Options::default()).unwrap();
    let head = commit_range(&store, Digest::EMPTY, n, "goal:g");
    drop(store);
    let path = segment_path(&log_dir(dir), 1);
    let bytes = std::fs::read(&path).unwrap();
    let end = bytes.iter().position(|b| *b == 0).unwrap();
    (head, path, bytes, end)
}

/// The seqs of `goal:g`'s records, as a stream read finds them.
pub(super) fn stream_seqs(store: &SegmentStore) -> Vec<u64> {
    let records = store.stream_records("goal:g", u64::MAX).unwrap();
    records.iter().map(|(s, _)| *s).collect()
}

pub(super) fn small_segments() -> Options {
    Options {
        segment_bytes: 1024,
        ..Options::default()
    }
}

/// The records of every segment in `dir`, concatenated, without the allocated tail.
fn log_bytes(dir: &Path) -> Vec<u8> {
    let mut names: Vec<_> = std::fs::read_dir(log_dir(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let mut all = Vec::new();
    for path in names {
        let bytes = std::fs::read(path).unwrap();
        let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
        all.extend_from_slice(&bytes[..end]);
    }
    all
}

#[test]
fn records_are_appended_once_as_lines_and_sealed_segments_hold_exactly_their_records() {
    let dir = tempfile::tempdir().unwrap();
    let store = SegmentStore::open(dir.path(), &small_segments()).unwrap();
    let head = commit_range(&store, Digest::EMPTY, 20, "goal:g");
    assert_eq!(store.head().unwrap(), head);
    let exported: Vec<u8> = store
        .records_in(1, 20)
        .flat_map(|r| {
            let mut line = r.unwrap().1;
            line.push(b'\n');
            line
        })
        .collect();
    assert_eq!(log_bytes(dir.path()), exported, "the log is the export");
    let firsts = super::files::list(&log_dir(dir.path())).unwrap();
    assert!(firsts.len() > 2, "1 KiB segments seal: {firsts:?}");
    for pair in firsts.windows(2) {
        let sealed = std::fs::read(segment_path(&log_dir(dir.path()), pair[0])).unwrap();
        assert!(
            sealed.ends_with(b"\n") && !sealed.contains(&0),
            "sealed is cut to its records"
        );
        let lines = sealed
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count() as u64;
        assert_eq!(pair[0] + lines, pair[1], "named by its first record");
    }
    for seq in [1, 7, 20] {
        let bytes = store.record(seq).unwrap().unwrap();
        assert_eq!(crate::record::read_link(&bytes).unwrap().0, seq);
    }
    assert_eq!(store.record(21).unwrap(), None);
    let stream = store.stream_records("goal:g", 12).unwrap();
    assert_eq!(
        stream.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        (1..=12).collect::<Vec<_>>()
    );
    let c9 = store.find_id("c-9").unwrap().unwrap();
    assert_eq!((c9.first, c9.last), (9, 9));
    assert!(c9.same_command(&[7; 32]) && !c9.same_command(&[6; 32]));
    assert_eq!(store.find_id("c-99").unwrap(), None);
}

#[test]
fn a_deleted_index_is_rebuilt_from_the_log_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = SegmentStore::open(dir.path(), &small_segments()).unwrap();
    let head = commit_range(&store, Digest::EMPTY, 30, "goal:g");
    drop(store);
    std::fs::remove_dir_all(dir.path().join("index")).unwrap();
    let store = SegmentStore::open(dir.path(), &small_segments()).unwrap();
    assert_eq!(store.head().unwrap(), head);
    assert_eq!(store.stream_records("goal:g", u64::MAX).unwrap().len(), 30);
    let rebuilt = store.find_id("c-17").unwrap().unwrap();
    assert_eq!((rebuilt.first, rebuilt.last), (17, 17));
    assert_eq!(
        rebuilt.fingerprint, [0; 32],
        "fingerprints are not in the log"
    );
    // And it goes on where the log ends.
    assert_eq!(commit_range(&store, head, 31, "goal:g").seq, 31);
}

#[test]
fn a_torn_commit_after_the_last_record_is_cut_and_the_next_commit_follows_the_last_record() {
    let dir = tempfile::tempdir().unwrap();
    // What a crash mid-write leaves: part of a line, zeros, then more of the write.
    let (head, path, mut bytes, end) = closed_segment(dir.path(), 3);
    bytes[end..end + 10].copy_from_slice(b"{\"seq\":4,\"");
    bytes[end + 100..end + 110].copy_from_slice(b"more bytes");
    std::fs::write(&path, &bytes).unwrap();
    let store = SegmentStore::open(dir.path(), &Options::default()).unwrap();
    assert_eq!(store.head().unwrap(), head);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), end as u64, "cut");
    let next = commit_range(&store, head, 4, "goal:g");
    drop(store);
    let store = SegmentStore::open(dir.path(), &Options::default()).unwrap();
    assert_eq!(store.head().unwrap(), next);
    assert_eq!(store.records_in(1, 10).count(), 4);
}

#[test]
fn an_index_ahead_of_the_log_leaves_the_store_open_for_auditing_and_closed_to_writes() {
    let dir = tempfile::tempdir().unwrap();
    // The last record is removed from the log behind the index's back.
    let (head, path, bytes, end) = closed_segment(dir.path(), 5);
    let last = bytes[..end - 1].iter().rposition(|b| *b == b'\n').unwrap() + 1;
    std::fs::write(&path, &bytes[..last]).unwrap();
    let store = SegmentStore::open(dir.path(), &Options::default()).unwrap();
    assert_eq!(
        store.head().unwrap(),
        head,
        "the index vouches for record 5"
    );
    assert_eq!(store.records_in(1, u64::MAX).count(), 4);
    assert_closed_to_writes(&store, head, "does not hold record 5");
}

#[test]
fn a_commit_with_a_stale_expected_head_answers_head_moved_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SegmentStore::open(dir.path(), &Options::default()).unwrap();
    let head = commit_range(&store, Digest::EMPTY, 2, "goal:g");
    let before = log_bytes(dir.path());
    let stale = CommitBatch {
        head: Digest {
            seq: 1,
            hash: RecordHash([9; 32]),
        },
        ..CommitBatch::default()
    };
    assert_eq!(
        store.commit(Digest::EMPTY, stale).unwrap(),
        CommitOutcome::HeadMoved { actual: head }
    );
    assert_eq!(log_bytes(dir.path()), before);
}

#[test]
fn an_index_entry_finds_its_record_only_under_the_records_own_stream() {
    let bytes = record(12, &RecordHash([0; 32]), "goal:g");
    assert!(super::read::stream_is(&bytes, b"goal:g"));
    for other in [&b"goal:"[..], b"goal:g2", b"team:g", b""] {
        assert!(!super::read::stream_is(&bytes, other), "{other:?}");
    }
    assert!(!super::read::stream_is(
        b"{\"seq\":12,\"id\":\"x\"}",
        b"goal:g"
    ));
}

#[test]
fn an_id_row_reads_back_as_written_keeping_the_fingerprints_first_bytes() {
    use super::rows::IdRow;
    for e in [
        IdEntry {
            first: 1,
            last: 1,
            fingerprint: [0; 32],
        },
        IdEntry {
            first: 300,
            last: 302,
            fingerprint: [9; 32],
        },
    ] {
        let row = IdRow::new("x", &e);
        let back = IdRow::from_bytes(&row.bytes()).entry();
        assert_eq!((back.first, back.last), (e.first, e.last));
        assert!(back.same_command(&e.fingerprint));
        assert_eq!(back.fingerprint == [0; 32], e.fingerprint == [0; 32]);
    }
    let known = IdRow::new(
        "x",
        &IdEntry {
            first: 1,
            last: 1,
            fingerprint: [9; 32],
        },
    )
    .entry();
    assert!(!known.same_command(&[8; 32]));
}

#[test]
fn a_stream_row_reads_back_from_either_layout() {
    use super::rows::StreamRow;
    let row = StreamRow {
        stream: u64::MAX - 3,
        version: 7,
        seq: 1_000_123,
        offset: 65_000,
        len: 412,
    };
    assert_eq!(StreamRow::from_pos(&row.pos_bytes(), row.seq), row);
    assert_eq!(
        StreamRow::from_str(&row.str_bytes(1_000_000), 1_000_000),
        row
    );
}

/// Writes `lines` where the active segment's records end (what a crash after the log's sync but
/// before the index took them leaves, or damage behind the program's back).
fn append_behind_the_index(dir: &Path, lines: &[Vec<u8>]) {
    let path = segment_path(&log_dir(dir), 1);
    let mut bytes = std::fs::read(&path).unwrap();
    let mut at = bytes.iter().position(|b| *b == 0).unwrap();
    for line in lines {
        bytes[at..at + line.len()].copy_from_slice(line);
        bytes[at + line.len()] = b'\n';
        at += line.len() + 1;
    }
    std::fs::write(&path, bytes).unwrap();
}

#[test]
fn records_the_index_lacks_are_caught_up_on_open_and_the_next_commit_follows_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = SegmentStore::open(dir.path(), &Options::default()).unwrap();
    let mut head = commit_range(&store, Digest::EMPTY, 3, "goal:g");
    drop(store);
    let mut lines = Vec::new();
    for seq in 4..=5 {
        let bytes = record(seq, &head.hash, "goal:g");
        head = Digest {
            seq,
            hash: RecordHash::of(&bytes),
        };
        lines.push(bytes);
    }
    append_behind_the_index(dir.path(), &lines);
    let store = SegmentStore::open(dir.path(), &Options::default()).unwrap();
    assert_eq!(store.head().unwrap(), head);
    assert_eq!(store.stream_records("goal:g", u64::MAX).unwrap().len(), 5);
    assert_eq!(store.find_id("c-5").unwrap().map(|e| e.first), Some(5));
    let next = commit_range(&store, head, 6, "goal:g");
    drop(store);
    let store = SegmentStore::open(dir.path(), &Options::default()).unwrap();
    assert_eq!(store.head().unwrap(), next);
    let seqs: Vec<u64> = store
        .records_in(1, u64::MAX)
        .map(|r| crate::record::read_link(&r.unwrap().1).unwrap().0)
        .collect();
    assert_eq!(seqs, (1..=6).collect::<Vec<_>>());
}

#[test]
fn a_record_after_the_index_that_breaks_the_chain_closes_the_store_to_writes() {
    for (seq, prev) in [(4, RecordHash([1; 32])), (5, RecordHash([0; 32]))] {
        let dir = tempfile::tempdir().unwrap();
        let store = SegmentStore::open(dir.path(), &Options::default()).unwrap();
        let head = commit_range(&store, Digest::EMPTY, 3, "goal:g");
        drop(store);
        // Record 4 linked to the wrong predecessor, or a record 5 where record 4 belongs.
        let prev = if seq == 5 { head.hash } else { prev };
        append_behind_the_index(dir.path(), &[record(seq, &prev, "goal:g")]);
        let store = SegmentStore::open(dir.path(), &Options::default()).unwrap();
        assert_eq!(
            store.head().unwrap(),
            head,
            "the head is the last record that holds"
        );
        assert_eq!(
            store.records_in(1, u64::MAX).count(),
            4,
            "verify sees the bad one"
        );
        let why = match seq {
            4 => "record 4 does not link to record 3",
            _ => "the log holds record 5 where record 4 belongs",
        };
        assert_closed_to_writes(&store, head, why);
    }
}

#[test]
fn an_index_whose_last_record_was_rewritten_in_place_closes_the_store_to_writes() {
    let dir = tempfile::tempdir().unwrap();
    // Record 3 keeps its length and its newline; one byte of it changes.
    let (head, path, mut bytes, end) = closed_segment(dir.path(), 3);
    let at = bytes[..end]
        .windows(7)
        .rposition(|w| w == b"goal:g\"")
        .unwrap();
    bytes[at + 5] = b'h';
    std::fs::write(&path, bytes).unwrap();
    let store = SegmentStore::open(dir.path(), &Options::default()).unwrap();
    assert_eq!(
        store.head().unwrap(),
        head,
        "the head the index vouches for"
    );
    assert_closed_to_writes(&store, head, "does not hold record 3");
}

#[test]
fn a_rebuilt_index_files_a_commands_records_under_its_client_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = SegmentStore::open(dir.path(), &Options::default()).unwrap();
    let head = commit_range(&store, Digest::EMPTY, 1, "goal:g");
    // One command, three records: ids `cmd`, `cmd/2`, `cmd/3`; then another command's record.
    // `lone/2` continues no command before it: it is an id of its own.
    let ids = ["cmd", "cmd/2", "cmd/3", "other", "lone/2"];
    let batch = batch_with_ids(head, &ids);
    assert_eq!(store.commit(head, batch).unwrap(), CommitOutcome::Committed);
    drop(store);
    std::fs::remove_dir_all(dir.path().join("index")).unwrap();
    let store = SegmentStore::open(dir.path(), &Options::default()).unwrap();
    let cmd = store.find_id("cmd").unwrap().unwrap();
    assert_eq!((cmd.first, cmd.last), (2, 4));
    let other = store.find_id("other").unwrap().unwrap();
    assert_eq!((other.first, other.last), (5, 5));
    assert_eq!(store.find_id("c-1").unwrap().map(|e| e.first), Some(1));
    let lone = store.find_id("lone/2").unwrap().unwrap();
    assert_eq!((lone.first, lone.last), (6, 6));
}
