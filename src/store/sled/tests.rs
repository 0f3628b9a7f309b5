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
