//! The segment store's index files against a real directory: the row, mark and snapshot
//! formats, the sealed tables, and what opening rebuilds or keeps after a crash or damage.

use super::files::{log_dir, segment_path};
use super::tests::{
    assert_closed_to_writes, batch_with_ids, closed_segment, commit_range, record, small_segments,
    stream_seqs,
};
use super::SegmentStore;
use crate::record::{Digest, RecordHash};
use crate::store::{CommitOutcome, IdEntry, NewRecord, Options, Store, StoreRead};

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
    let ids: Vec<String> = (1..=n)
        .map(|k| match k {
            1 => base.to_owned(),
            k => format!("{base}/{k}"),
        })
        .collect();
    let mut batch = batch_with_ids(head, &ids.iter().map(String::as_str).collect::<Vec<_>>());
    let at = batch.head;
    let entry = IdEntry {
        first: head.seq + 1,
        last: at.seq,
        fingerprint: [7; 32],
    };
    batch.ids.push((base.to_owned(), entry));
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
        store.shared.pipeline.settle().unwrap();
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
    // Where a reader of a record not indexed yet starts: after the last row of segment 3.
    let end = (records[2].bytes.len() + records[3].bytes.len() + 2) as u64;
    *index.write() = state;
    assert_eq!(index.next(), Some((3, 5, end)));
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
