//! The sled store against a real directory: what a commit writes, and what it refuses.

use super::SledStore;
use crate::record::{Digest, RecordHash};
use crate::store::{CommitBatch, CommitOutcome, IdEntry, NewRecord, Options, Store, StoreRead};

fn batch(seq: u64, fill: u8) -> CommitBatch {
    CommitBatch {
        records: vec![NewRecord {
            seq,
            bytes: vec![fill; 16],
            stream: "team:sales".into(),
            version: seq,
        }],
        ids: Vec::new(),
        head: Digest {
            seq,
            hash: RecordHash([fill; 32]),
        },
    }
}

#[test]
fn a_commit_with_a_stale_expected_head_answers_head_moved_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), &Options::default()).unwrap();
    let first = batch(1, 1);
    let head = first.head;
    assert_eq!(
        store.commit(Digest::EMPTY, first).unwrap(),
        CommitOutcome::Committed
    );
    assert_eq!(
        store.commit(Digest::EMPTY, batch(1, 2)).unwrap(),
        CommitOutcome::HeadMoved { actual: head }
    );
    assert_eq!(store.head().unwrap(), head);
    assert_eq!(store.record(1).unwrap(), Some(vec![1; 16]));
    drop(store);
    let reopened = SledStore::open(dir.path(), &Options::default()).unwrap();
    assert_eq!(reopened.head().unwrap(), head);
    assert_eq!(reopened.record(1).unwrap(), Some(vec![1; 16]));
    assert_eq!(
        reopened
            .stream_records("team:sales", u64::MAX)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_commit_lands_in_sled_as_the_documented_keys_and_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), &Options::default()).unwrap();
    let mut first = batch(1, 1);
    first.ids.push((
        "q3-0001".into(),
        IdEntry {
            first: 1,
            last: 1,
            fingerprint: [3; 32],
        },
    ));
    assert_eq!(
        store.commit(Digest::EMPTY, first).unwrap(),
        CommitOutcome::Committed
    );
    store
        .save_snapshot(
            vec![(b"gweb".to_vec(), Some(b"{}".to_vec()))],
            (1, 1),
            false,
        )
        .unwrap();
    let db = store.settled().unwrap();
    let all: Vec<(Vec<u8>, Vec<u8>)> = db
        .iter()
        .map(|item| item.map(|(k, v)| (k.to_vec(), v.to_vec())).unwrap())
        .collect();
    let chunk = [&1u64.to_be_bytes()[..], &16u32.to_be_bytes(), &[1; 16]].concat();
    let mut expected = vec![
        (
            [&b"i"[..], b"q3-0001"].concat(),
            [&1u64.to_be_bytes()[..], &1u64.to_be_bytes(), &[3; 32]].concat(),
        ),
        (
            b"mcheckpoint".to_vec(),
            [&1u64.to_be_bytes()[..], &1u32.to_be_bytes()].concat(),
        ),
        (
            b"mhead".to_vec(),
            [&1u64.to_be_bytes()[..], &[1; 32]].concat(),
        ),
        (b"pgweb".to_vec(), b"{}".to_vec()),
        ([&b"r"[..], &1u64.to_be_bytes()].concat(), chunk.clone()),
        ([&b"steam:sales\0"[..], &1u64.to_be_bytes()].concat(), chunk),
    ];
    expected.sort();
    assert_eq!(all, expected);
}

/// What a `kill -9` between the write-ahead log's fsync and sled's flush leaves: frames in the
/// log that sled does not hold. Opening applies them, then empties the log.
#[test]
fn opening_applies_the_write_ahead_logs_frames_sled_lacks_and_then_empties_the_log() {
    use crate::store::wal::Wal;
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), &Options::default()).unwrap();
    assert_eq!(
        store.commit(Digest::EMPTY, batch(1, 1)).unwrap(),
        CommitOutcome::Committed
    );
    drop(store);
    {
        let (mut wal, found) = Wal::open(dir.path()).unwrap();
        assert!(found.is_empty(), "a clean close leaves the log empty");
        // Record 1 again (sled has it: skipped), then 2 and 3 (sled lacks them: applied).
        for b in [batch(1, 1), batch(2, 2), batch(3, 3)] {
            wal.append(&b).unwrap();
        }
    }
    let store = SledStore::open(dir.path(), &Options::default()).unwrap();
    assert_eq!(store.head().unwrap(), batch(3, 3).head);
    assert_eq!(store.record(2).unwrap(), Some(vec![2; 16]));
    assert_eq!(store.record(3).unwrap(), Some(vec![3; 16]));
    drop(store);
    assert!(
        Wal::open(dir.path()).unwrap().1.is_empty(),
        "the log is emptied once sled holds its frames durably"
    );
    // A log that does not continue the store is refused, not applied.
    Wal::open(dir.path())
        .unwrap()
        .0
        .append(&batch(5, 5))
        .unwrap();
    let err = SledStore::open(dir.path(), &Options::default()).unwrap_err();
    assert!(
        err.to_string()
            .contains("continues at record 5 but the store ends at 3"),
        "{err}"
    );
}

#[test]
fn a_store_opens_where_one_exists_creates_one_only_when_asked_and_shows_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let read_only = Options {
        create: false,
        ..Options::default()
    };
    let missing = SledStore::open(dir.path(), &read_only).unwrap_err();
    assert!(
        matches!(missing, crate::store::StoreError::Missing { .. }),
        "{missing}"
    );
    let store = SledStore::open(dir.path(), &Options::default()).unwrap();
    assert_eq!(
        format!("{store:?}"),
        format!("SledStore {{ dir: {:?} }}", dir.path())
    );
    drop(store);
    let existing = SledStore::open(dir.path(), &read_only).unwrap();
    assert_eq!(existing.head().unwrap(), Digest::EMPTY);
}

/// A record whose bytes carry a `recorded_at`, as the time search reads it.
fn stamped(seq: u64, day: u32) -> CommitBatch {
    let mut b = batch(seq, seq as u8);
    b.records[0].bytes = format!("{{\"recorded_at\":\"2026-10-{day:02}T09:00:00Z\"}}").into_bytes();
    b
}

#[test]
fn the_first_record_from_a_time_is_found_among_the_stored_records() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), &Options::default()).unwrap();
    let mut head = Digest::EMPTY;
    for (seq, day) in [(1, 1), (2, 3), (3, 3), (4, 9)] {
        let b = stamped(seq, day);
        let next = b.head;
        assert_eq!(store.commit(head, b).unwrap(), CommitOutcome::Committed);
        head = next;
    }
    let micros = |day: u32| {
        chrono::DateTime::parse_from_rfc3339(&format!("2026-10-{day:02}T09:00:00Z"))
            .unwrap()
            .timestamp_micros()
    };
    assert_eq!(store.first_seq_from(micros(2)).unwrap(), Some(2));
    assert_eq!(store.first_seq_from(micros(9)).unwrap(), Some(4));
    assert_eq!(store.first_seq_from(micros(10)).unwrap(), None);
    assert_eq!(store.last_seq_at(micros(3)).unwrap(), Some(3));
    let size = store.size_on_disk().unwrap();
    assert!(
        size > 64,
        "sled's files hold the records and more: {size} bytes"
    );
}

#[test]
fn a_replacing_snapshot_keeps_what_it_writes_and_removes_every_other_entry() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), &Options::default()).unwrap();
    let entry = |k: &[u8]| (k.to_vec(), Some(b"{}".to_vec()));
    store
        .save_snapshot(vec![entry(b"ga"), entry(b"gb")], (0, 1), false)
        .unwrap();
    store
        .save_snapshot(vec![entry(b"gb"), entry(b"gc")], (0, 2), true)
        .unwrap();
    let keys: Vec<Vec<u8>> = store.snapshot_entries().map(|e| e.unwrap().0).collect();
    assert_eq!(keys, [b"gb".to_vec(), b"gc".to_vec()]);
    assert_eq!(store.snapshot_mark().unwrap(), Some((0, 2)));
}

#[test]
fn a_failed_store_refuses_commits_until_recover_reopens_it_and_a_healthy_one_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), &Options::default()).unwrap();
    assert!(!store.recover().unwrap(), "nothing to recover");
    store
        .pipeline()
        .fail(&crate::store::StoreError::Corrupt("a write failed".into()));
    let refused = store.commit(Digest::EMPTY, batch(1, 1)).unwrap_err();
    assert!(refused.to_string().contains("a write failed"), "{refused}");
    assert!(store.recover().unwrap(), "reopened");
    assert_eq!(
        store.commit(Digest::EMPTY, batch(1, 1)).unwrap(),
        CommitOutcome::Committed
    );
    assert_eq!(store.record(1).unwrap(), Some(vec![1; 16]));
}

/// The write-ahead log's generations in the store's directory.
fn wal_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("wal-"))
        .collect();
    names.sort();
    names
}

#[test]
fn the_log_moves_to_its_next_file_only_once_a_file_reaches_its_size() {
    for (file_bytes, rotates) in [(1 << 20, false), (1, true)] {
        let dir = tempfile::tempdir().unwrap();
        let options = Options {
            wal_file_bytes: file_bytes,
            ..Options::default()
        };
        let store = SledStore::open(dir.path(), &options).unwrap();
        let at_open = wal_files(dir.path());
        let mut head = Digest::EMPTY;
        for seq in 1..=3 {
            let b = batch(seq, seq as u8);
            let next = b.head;
            assert_eq!(store.commit(head, b).unwrap(), CommitOutcome::Committed);
            head = next;
        }
        store.pipeline().settle().unwrap();
        let now = wal_files(dir.path());
        assert_eq!(
            now.last() != at_open.last(),
            rotates,
            "{file_bytes}-byte files: {at_open:?} then {now:?}"
        );
        assert_eq!(store.record(3).unwrap(), Some(vec![3; 16]));
    }
}

#[test]
fn a_write_the_disk_had_no_room_for_is_disk_full_naming_the_directory_and_other_errors_stay() {
    use crate::store::StoreError;
    use std::io::{Error, ErrorKind};
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), &Options::default()).unwrap();
    let full = store.full_disk_named(StoreError::Io(Error::from(ErrorKind::StorageFull)));
    assert!(
        matches!(&full, StoreError::DiskFull { dir: d } if d == dir.path()),
        "{full}"
    );
    let other = store.full_disk_named(StoreError::Io(Error::from(ErrorKind::PermissionDenied)));
    assert!(
        matches!(&other, StoreError::Io(io) if io.kind() == ErrorKind::PermissionDenied),
        "{other}"
    );
}
