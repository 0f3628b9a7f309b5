//! The segment store against a real directory: what a commit writes to the log and the index,
//! what opening recovers, and what it refuses.

use std::path::Path;

use super::files::{log_dir, segment_path};
use super::SegmentStore;
use crate::record::{Digest, RecordHash};
use crate::store::{CommitBatch, CommitOutcome, IdEntry, NewRecord, Options, Store, StoreRead};

/// A chained record: the smallest bytes the index and the chain check read.
fn record(seq: u64, prev: &RecordHash, stream: &str) -> Vec<u8> {
    format!(
        "{{\"seq\":{seq},\"stream\":\"{stream}\",\"version\":{seq},\"id\":\"c-{seq}\",\"recorded_at\":\"2026-10-{:02}T09:00:00Z\",\"prev\":\"{prev}\"}}",
        seq.min(28)
    )
    .into_bytes()
}

/// Commits records `from..=to` one per batch after `head`, and returns the new head.
fn commit_range(store: &SegmentStore, mut head: Digest, to: u64, stream: &str) -> Digest {
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

/// Asserts that a commit after `head` is refused, saying `why`.
fn assert_closed_to_writes(store: &SegmentStore, head: Digest, why: &str) {
    let refused = store.commit(head, CommitBatch::default()).unwrap_err();
    assert!(refused.to_string().contains(why), "{refused}");
}

/// A closed ledger of `n` records in `dir`, one segment: its head, and that segment's path,
/// bytes and where its records end (the zeros begin).
fn closed_segment(dir: &Path, n: u64) -> (Digest, std::path::PathBuf, Vec<u8>, usize) {
    let store = SegmentStore::open(dir, &Options::default()).unwrap();
    let head = commit_range(&store, Digest::EMPTY, n, "goal:g");
    drop(store);
    let path = segment_path(&log_dir(dir), 1);
    let bytes = std::fs::read(&path).unwrap();
    let end = bytes.iter().position(|b| *b == 0).unwrap();
    (head, path, bytes, end)
}

/// The seqs of `goal:g`'s records, as a stream read finds them.
fn stream_seqs(store: &SegmentStore) -> Vec<u64> {
    let records = store.stream_records("goal:g", u64::MAX).unwrap();
    records.iter().map(|(s, _)| *s).collect()
}

fn small_segments() -> Options {
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
    let mut at = head;
    let mut batch = CommitBatch::default();
    // `lone/2` continues no command before it: it is an id of its own.
    for (seq, id) in [
        (2, "cmd"),
        (3, "cmd/2"),
        (4, "cmd/3"),
        (5, "other"),
        (6, "lone/2"),
    ] {
        let bytes = String::from_utf8(record(seq, &at.hash, "goal:g"))
            .unwrap()
            .replace(&format!("\"c-{seq}\""), &format!("\"{id}\""))
            .into_bytes();
        at = Digest {
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
    batch.head = at;
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

#[test]
fn a_snapshot_reads_back_as_saved_merged_with_the_last_and_one_that_does_not_check_out_is_none() {
    use super::snapshot::{read, save};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshot");
    assert_eq!(read(&path).unwrap(), None, "no snapshot yet");
    let entry =
        |k: &str, v: Option<&str>| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec()));
    save(
        &path,
        vec![entry("a", Some("1")), entry("b", Some("2"))],
        (10, 3),
        false,
    )
    .unwrap();
    let merged = save(
        &path,
        vec![entry("a", None), entry("c", Some("3"))],
        (20, 3),
        false,
    )
    .unwrap();
    let back = read(&path).unwrap().unwrap();
    assert_eq!(back, merged);
    assert_eq!(back.mark, (20, 3));
    let keys: Vec<_> = back.entries.keys().map(|k| k.as_slice()).collect();
    assert_eq!(keys, [&b"b"[..], b"c"]);
    let replaced = save(&path, vec![entry("d", Some("4"))], (30, 4), true).unwrap();
    assert_eq!(
        replaced.entries.len(),
        1,
        "replace keeps only what it writes"
    );
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 40;
    bytes[last] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    assert_eq!(read(&path).unwrap(), None, "a changed byte fails the hash");
}

#[test]
fn a_mark_reads_back_as_written_and_a_torn_one_is_the_empty_mark() {
    use super::snapshot::{read_mark, write_mark};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mark");
    assert_eq!(read_mark(&path).unwrap(), Digest::EMPTY);
    let mark = Digest {
        seq: 1234,
        hash: RecordHash([5; 32]),
    };
    write_mark(&path, &mark).unwrap();
    assert_eq!(read_mark(&path).unwrap(), mark);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[3] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(read_mark(&path).unwrap(), Digest::EMPTY);
    std::fs::write(&path, &bytes[..20]).unwrap();
    assert_eq!(read_mark(&path).unwrap(), Digest::EMPTY);
}

#[test]
fn a_sealed_table_finds_every_row_of_a_key_and_no_other_across_its_fence() {
    use super::rows::{write_file, Table};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.str");
    // Keys with runs of 1 to 150 rows, so runs start, end and span every fence block.
    let mut keys = Vec::new();
    let mut key = 5u64;
    for run in 0..40u64 {
        for _ in 0..(run * 37 % 150 + 1) {
            keys.push(key);
        }
        key += 1 + run % 3;
    }
    let rows: Vec<[u8; 16]> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let mut r = [0u8; 16];
            r[..8].copy_from_slice(&k.to_le_bytes());
            r[8..].copy_from_slice(&(i as u64).to_le_bytes());
            r
        })
        .collect();
    write_file(&path, rows.iter()).unwrap();
    let table = Table::open(&path, 16).unwrap();
    assert_eq!(table.rows, keys.len() as u64);
    for probe in 0..=key + 1 {
        let found: Vec<Vec<u8>> = table.find(probe).unwrap();
        let expected: Vec<Vec<u8>> = rows
            .iter()
            .filter(|r| r[..8] == probe.to_le_bytes())
            .map(|r| r.to_vec())
            .collect();
        assert_eq!(found, expected, "key {probe}");
    }
    assert_eq!(table.all().unwrap().len(), keys.len());
}

#[test]
fn a_sealed_segments_missing_index_file_has_the_index_rebuilt_and_reads_answer_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let store = SegmentStore::open(dir.path(), &small_segments()).unwrap();
    let head = commit_range(&store, Digest::EMPTY, 20, "goal:g");
    drop(store);
    let index = dir.path().join("index");
    std::fs::remove_file(super::rows::index_path(&index, 1, "str")).unwrap();
    // And the files of a segment the log no longer has (a segment removed from the log).
    let stray = super::rows::index_path(&index, 999, "str");
    std::fs::write(&stray, [7u8; 24]).unwrap();
    let store = SegmentStore::open(dir.path(), &small_segments()).unwrap();
    assert_eq!(store.head().unwrap(), head);
    assert_eq!(stream_seqs(&store), (1..=20).collect::<Vec<_>>());
    assert!(
        super::rows::index_path(&index, 1, "str").exists(),
        "rebuilt"
    );
    assert!(!stray.exists(), "a rebuild starts from nothing");
    assert_eq!(store.find_id("c-3").unwrap().map(|e| e.first), Some(3));
}

#[test]
fn rows_past_the_mark_are_made_again_from_the_log_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let store = SegmentStore::open(dir.path(), &Options::default()).unwrap();
    let at5 = commit_range(&store, Digest::EMPTY, 5, "goal:g");
    let head = commit_range(&store, at5, 8, "goal:g");
    drop(store);
    // A crash after rows 6 to 8 reached their file (here: made wrong) but before the mark did.
    let index = dir.path().join("index");
    super::snapshot::write_mark(&index.join("mark"), &at5).unwrap();
    let pos = super::rows::index_path(&index, 1, "pos");
    let mut rows = std::fs::read(&pos).unwrap();
    assert_eq!(rows.len(), 8 * super::rows::POS_BYTES);
    rows[5 * super::rows::POS_BYTES..].fill(0xab);
    std::fs::write(&pos, rows).unwrap();
    let store = SegmentStore::open(dir.path(), &Options::default()).unwrap();
    assert_eq!(store.head().unwrap(), head);
    assert_eq!(stream_seqs(&store), (1..=8).collect::<Vec<_>>());
    assert_eq!(
        store
            .record(7)
            .unwrap()
            .map(|b| crate::record::read_link(&b).unwrap().0),
        Some(7)
    );
}

#[test]
fn a_first_record_that_links_to_something_closes_a_rebuilt_store_to_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (head, path, mut bytes, _) = closed_segment(dir.path(), 1);
    // Record 1's prev, all zeros, gets one other digit (same length, same line).
    let prev = bytes
        .windows(10)
        .position(|w| w == b"\"prev\":\"00")
        .unwrap();
    bytes[prev + 9] = b'1';
    std::fs::write(&path, bytes).unwrap();
    std::fs::remove_dir_all(dir.path().join("index")).unwrap();
    let store = SegmentStore::open(dir.path(), &Options::default()).unwrap();
    assert_closed_to_writes(&store, head, "record 1 does not link to record 0");
}

#[test]
fn an_active_segment_whose_rows_were_lost_is_indexed_again_from_its_first_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = SegmentStore::open(dir.path(), &small_segments()).unwrap();
    let head = commit_range(&store, Digest::EMPTY, 20, "goal:g");
    drop(store);
    let active = *super::files::list(&log_dir(dir.path()))
        .unwrap()
        .last()
        .unwrap();
    assert!(active > 1, "the active segment is not the first");
    // What an OS crash can leave: the mark made durable, the active rows' file not.
    let index = dir.path().join("index");
    std::fs::remove_file(super::rows::index_path(&index, active, "pos")).unwrap();
    let store = SegmentStore::open(dir.path(), &small_segments()).unwrap();
    assert_eq!(store.head().unwrap(), head);
    assert_eq!(stream_seqs(&store), (1..=20).collect::<Vec<_>>());
    assert_eq!(
        commit_range(&store, head, 21, "goal:g").seq,
        21,
        "open to writes"
    );
}

/// Commits one command of `n` records after `head`, with ids `base`, `base/2`, … and the client
/// id `base` (fingerprint 7s), and returns the new head.
fn commit_command(store: &SegmentStore, head: Digest, base: &str, n: u64) -> Digest {
    let mut at = head;
    let mut batch = CommitBatch::default();
    for seq in head.seq + 1..=head.seq + n {
        let id = match seq - head.seq {
            1 => base.to_owned(),
            k => format!("{base}/{k}"),
        };
        let bytes = String::from_utf8(record(seq, &at.hash, "goal:g"))
            .unwrap()
            .replace(&format!("\"c-{seq}\""), &format!("\"{id}\""))
            .into_bytes();
        at = Digest {
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
    let entry = IdEntry {
        first: head.seq + 1,
        last: at.seq,
        fingerprint: [7; 32],
    };
    batch.ids.push((base.to_owned(), entry));
    batch.head = at;
    assert_eq!(store.commit(head, batch).unwrap(), CommitOutcome::Committed);
    at
}

#[test]
fn ids_are_kept_up_to_the_mark_and_made_again_from_the_log_past_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = SegmentStore::open(dir.path(), &Options::default()).unwrap();
    let at2 = commit_range(&store, Digest::EMPTY, 2, "goal:g");
    let at5 = commit_command(&store, at2, "pre", 3);
    let head = commit_command(&store, at5, "post", 3);
    drop(store);
    // A crash after the ids of `post` reached their file, and a zeroed row, but before the mark.
    let index = dir.path().join("index");
    super::snapshot::write_mark(&index.join("mark"), &at5).unwrap();
    let idl = super::rows::index_path(&index, 1, "idl");
    let mut rows = std::fs::read(&idl).unwrap();
    rows.extend_from_slice(&[0; super::rows::ID_BYTES]);
    std::fs::write(&idl, rows).unwrap();
    let store = SegmentStore::open(dir.path(), &Options::default()).unwrap();
    assert_eq!(store.head().unwrap(), head);
    let pre = store.find_id("pre").unwrap().unwrap();
    assert_eq!((pre.first, pre.last), (3, 5));
    assert!(
        pre.same_command(&[7; 32]) && pre.fingerprint != [0; 32],
        "kept as written"
    );
    let post = store.find_id("post").unwrap().unwrap();
    assert_eq!((post.first, post.last), (6, 8));
    assert_eq!(post.fingerprint, [0; 32], "made again from the log");
    let rows = std::fs::read(&idl).unwrap();
    assert_eq!(rows.len(), 4 * super::rows::ID_BYTES, "c-1, c-2, pre, post");
}

#[test]
fn a_sealed_segments_offsets_find_each_record_and_a_short_offsets_file_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let store = SegmentStore::open(dir.path(), &small_segments()).unwrap();
    commit_range(&store, Digest::EMPTY, 20, "goal:g");
    let log = log_dir(dir.path());
    let offsets = |store: &SegmentStore| {
        let mut firsts = super::files::list(&log).unwrap();
        firsts.push(u64::MAX); // the active segment goes to its zeros
        for pair in firsts.windows(2) {
            let lines = super::files::Lines::open(&segment_path(&log, pair[0]), 0, u64::MAX);
            for (seq, line) in (pair[0]..pair[1]).zip(lines.unwrap()) {
                let at = store.shared.index.offset_of(seq).unwrap();
                assert_eq!(at, Some(line.unwrap().offset), "record {seq}");
            }
        }
    };
    offsets(&store);
    drop(store);
    let off = super::rows::index_path(&dir.path().join("index"), 1, "off");
    let bytes = std::fs::read(&off).unwrap();
    std::fs::write(&off, &bytes[..bytes.len() - 4]).unwrap();
    let store = SegmentStore::open(dir.path(), &small_segments()).unwrap();
    offsets(&store);
    assert_eq!(std::fs::read(&off).unwrap(), bytes, "rebuilt as it was");
}

#[test]
fn indexing_commits_across_a_seal_files_each_id_with_its_own_segment() {
    use super::index::{Index, State};
    use std::sync::{Arc, RwLock};
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("index")).unwrap();
    // Two commits indexed together (as the applier does), the second starting segment 3.
    let index = Index {
        dir: dir.path().to_owned(),
        state: RwLock::new(State::default()),
        segments: Arc::new(RwLock::new(vec![1, 3])),
    };
    let mut head = Digest::EMPTY;
    let mut records = Vec::new();
    let mut ids = Vec::new();
    for seq in 1..=4 {
        let bytes = record(seq, &head.hash, "goal:g");
        head = Digest {
            seq,
            hash: RecordHash::of(&bytes),
        };
        let entry = IdEntry {
            first: seq,
            last: seq,
            fingerprint: [0; 32],
        };
        ids.push((format!("c-{seq}"), entry));
        records.push(NewRecord {
            seq,
            bytes,
            stream: "goal:g".into(),
            version: seq,
        });
    }
    let mut state = State::default();
    index.add(&mut state, &records, &ids, head).unwrap();
    let sealed = super::rows::index_path(&dir.path().join("index"), 1, "ids");
    let rows = super::rows::read_rows(&sealed, super::rows::ID_BYTES).unwrap();
    let mut firsts: Vec<u64> = rows
        .iter()
        .map(|b| super::rows::IdRow::from_bytes(b).first)
        .collect();
    firsts.sort_unstable();
    assert_eq!(firsts, [1, 2], "segment 1 holds the ids of records 1 and 2");
}

#[test]
fn a_rebuilt_sealed_segment_holds_the_ids_of_its_own_records() {
    let dir = tempfile::tempdir().unwrap();
    let store = SegmentStore::open(dir.path(), &small_segments()).unwrap();
    commit_range(&store, Digest::EMPTY, 20, "goal:g");
    drop(store);
    std::fs::remove_dir_all(dir.path().join("index")).unwrap();
    drop(SegmentStore::open(dir.path(), &small_segments()).unwrap());
    let firsts = super::files::list(&log_dir(dir.path())).unwrap();
    for pair in firsts.windows(2) {
        let path = super::rows::index_path(&dir.path().join("index"), pair[0], "ids");
        let rows = super::rows::read_rows(&path, super::rows::ID_BYTES).unwrap();
        let mut seqs: Vec<u64> = rows
            .iter()
            .map(|b| super::rows::IdRow::from_bytes(b).first)
            .collect();
        seqs.sort_unstable();
        assert_eq!(
            seqs,
            (pair[0]..pair[1]).collect::<Vec<_>>(),
            "segment {}",
            pair[0]
        );
    }
}
