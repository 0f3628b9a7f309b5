//! What every store promises, one routine each, written once and run on every backend by
//! `on_every_store!`: records read back byte for byte (by sequence, by range, by stream) and
//! survive reopening; a commit on a stale head writes nothing; client ids make retries
//! harmless; the search by time agrees with the records' own times; snapshots, tree chunks and
//! checkpoints read back as saved; `verify` passes on an intact ledger and names a change; bad
//! input changes nothing; a missing ledger is named, not made.

use std::collections::{BTreeMap, BTreeSet};

use goal_ledger::domain::*;
use goal_ledger::ledger::{AppendError, AsOf, ImportError, Request};
use goal_ledger::record::{decode, read_recorded_at, Digest, RecordHash};
use goal_ledger::store::{CommitBatch, CommitOutcome, IdEntry, NewRecord, StoreError};

use super::{Backend, SAMPLE_HEAD};
use crate::golden;
use crate::ledger::{adopt, exported, setup};
use crate::support::*;

/// The sample quarter's records, as its lines.
pub fn sample_lines() -> Vec<Vec<u8>> {
    let text = std::fs::read(sample_path()).unwrap();
    text.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

pub fn sample_path() -> std::path::PathBuf {
    golden::path("events/samples/quarterly-goals.jsonl")
}

/// Records `first..=last` of the sample as one commit, with the first record's id indexed.
pub fn batch(lines: &[Vec<u8>], first: u64, last: u64) -> CommitBatch {
    let mut records = Vec::new();
    for seq in first..=last {
        let bytes = lines[seq as usize - 1].clone();
        let e = decode(&bytes).unwrap().envelope;
        records.push(NewRecord {
            seq,
            bytes,
            stream: e.stream.to_string(),
            version: e.version,
        });
    }
    let id = decode(&records[0].bytes).unwrap().envelope.id;
    CommitBatch {
        ids: vec![(
            id,
            IdEntry {
                first,
                last,
                fingerprint: [7; 32],
            },
        )],
        head: head_at(lines, last),
        records,
    }
}

fn head_at(lines: &[Vec<u8>], seq: u64) -> Digest {
    match seq {
        0 => Digest::EMPTY,
        _ => Digest {
            seq,
            hash: RecordHash::of(&lines[seq as usize - 1]),
        },
    }
}

fn lines_of(export: &[u8]) -> Vec<Vec<u8>> {
    export
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn clock() -> TestClock {
    TestClock::at("2026-07-01T09:00:00Z")
}

pub async fn appended_records_read_back_byte_for_byte_after_reopening(backend: Backend) {
    // Given a ledger with teams, an adopted goal and check-ins, closed and opened again,
    let place = backend.place();
    let ledger = place.ledger(&clock());
    setup(&ledger).await;
    adopt(&ledger, "g").await;
    for v in [41000.0, 42500.0, 44000.0] {
        run(&ledger, "sam", check_in("g", "visits", v))
            .await
            .unwrap();
    }
    let (head, lines) = (ledger.digest(), lines_of(&exported(&ledger)));
    ledger.close();
    let ledger = place.ledger(&clock());
    // then it has the same head, and every record reads back as written: by sequence,
    assert_eq!(ledger.digest(), head);
    assert_eq!(lines.len() as u64, head.seq);
    let store = ledger.store();
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(store.record(i as u64 + 1).unwrap().as_ref(), Some(line));
    }
    assert_eq!(store.record(0).unwrap(), None);
    assert_eq!(store.record(head.seq + 1).unwrap(), None);
    // by range (past the head: to the head),
    let range: Vec<_> = store
        .records_in(3, head.seq + 10)
        .map(Result::unwrap)
        .collect();
    let expected: Vec<_> = (3..=head.seq)
        .map(|s| (s, lines[s as usize - 1].clone()))
        .collect();
    assert_eq!(range, expected);
    assert_eq!(store.records_in(5, 4).count(), 0);
    // and by stream, whole or up to a sequence number.
    let streams: BTreeSet<String> = lines
        .iter()
        .map(|l| decode(l).unwrap().envelope.stream.to_string())
        .collect();
    for stream in &streams {
        for upto in [head.seq / 2, u64::MAX] {
            let expected: Vec<(u64, Vec<u8>)> = (1..=head.seq)
                .zip(&lines)
                .filter(|(s, l)| {
                    *s <= upto && decode(l).unwrap().envelope.stream.to_string() == *stream
                })
                .map(|(s, l)| (s, l.clone()))
                .collect();
            assert_eq!(store.stream_records(stream, upto).unwrap(), expected);
        }
    }
    assert_eq!(store.stream_records("goal:nowhere", u64::MAX).unwrap(), []);
}

pub async fn concurrent_writers_leave_no_gaps_and_every_page_of_the_log_reads_back(
    backend: Backend,
) {
    // Given 32 writers appending 40 records each at once (more records than a page of reads),
    let place = backend.place();
    let ledger = place.ledger(&clock());
    setup(&ledger).await;
    let before = ledger.digest().seq;
    let writers: Vec<_> = (0..32)
        .map(|w| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                let mut seqs = Vec::new();
                for i in 0..40 {
                    let who = format!("seller-{w:02}-{i:02}");
                    seqs.extend(
                        run(&ledger, "admin", join("sales", &who))
                            .await
                            .unwrap()
                            .seqs,
                    );
                }
                seqs
            })
        })
        .collect();
    let mut seqs = Vec::new();
    for w in writers {
        seqs.extend(w.await.unwrap());
    }
    // then the sequence numbers are contiguous, each given once,
    seqs.sort_unstable();
    assert_eq!(seqs, (before + 1..=before + 1280).collect::<Vec<_>>());
    // and the whole log reads back in order and verifies, reopened too.
    let head = ledger.digest();
    ledger.close();
    let archive = place.archive();
    let read: Vec<u64> = archive
        .store()
        .records_in(1, u64::MAX)
        .map(|r| r.unwrap().0)
        .collect();
    assert_eq!(read, (1..=head.seq).collect::<Vec<_>>());
    let report = archive.verify(Some(head), &mut |_| {}).unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.records, head.seq);
}

pub async fn a_commit_on_a_stale_head_answers_head_moved_and_writes_nothing(backend: Backend) {
    // Given two handles on one store, and records 1 and 2 committed through the first,
    let place = backend.place();
    let lines = sample_lines();
    let first = place.store();
    let second = place.second_handle(&first);
    let committed = first.commit(Digest::EMPTY, batch(&lines, 1, 2)).unwrap();
    assert_eq!(committed, CommitOutcome::Committed);
    // when the second commits record 3 as if the store were still empty,
    let stale = second.commit(Digest::EMPTY, batch(&lines, 3, 3)).unwrap();
    // then it hears where the head really is, and nothing of its batch was written;
    assert_eq!(
        stale,
        CommitOutcome::HeadMoved {
            actual: head_at(&lines, 2)
        }
    );
    for store in [&first, &second] {
        assert_eq!(store.head().unwrap(), head_at(&lines, 2));
        assert_eq!(store.record(3).unwrap(), None);
        assert_eq!(store.records_in(1, u64::MAX).count(), 2);
    }
    let third_id = decode(&lines[2]).unwrap().envelope.id;
    assert_eq!(second.find_id(&third_id).unwrap(), None);
    // and on the head it was told, its commit goes through and both handles see it.
    let retried = second
        .commit(head_at(&lines, 2), batch(&lines, 3, 4))
        .unwrap();
    assert_eq!(retried, CommitOutcome::Committed);
    assert_eq!(first.head().unwrap(), head_at(&lines, 4));
    assert_eq!(first.record(4).unwrap().as_ref(), Some(&lines[3]));
    let entry = first.find_id(&third_id).unwrap().unwrap();
    assert_eq!((entry.first, entry.last), (3, 4));
    assert!(entry.same_command(&[7; 32]));
    assert!(!entry.same_command(&[8; 32]));
}

pub async fn a_retried_client_id_appends_nothing_even_after_reopening(backend: Backend) {
    // Given a command appended with a client id,
    let place = backend.place();
    let ledger = place.ledger(&clock());
    setup(&ledger).await;
    let with_id = |command: Command| Request {
        id: Some(EventId::parse("retry-me-1").unwrap()),
        ..request("admin", command)
    };
    let first = ledger
        .execute(with_id(register("finance", "Finance")))
        .await
        .unwrap();
    let head = ledger.digest();
    // when it is retried, before and after the ledger is reopened,
    let again = ledger
        .execute(with_id(register("finance", "Finance")))
        .await
        .unwrap();
    ledger.close();
    let ledger = place.ledger(&clock());
    let reopened = ledger
        .execute(with_id(register("finance", "Finance")))
        .await
        .unwrap();
    // then each retry answers what the first appended and appends nothing,
    for answer in [&again, &reopened] {
        assert!(answer.replayed);
        assert_eq!(answer.seqs, first.seqs);
        assert_eq!(answer.version, first.version);
    }
    assert_eq!(ledger.digest(), head);
    // and the same id on another command is refused, appending nothing.
    let reused = ledger
        .execute(with_id(register("legal", "Legal")))
        .await
        .unwrap_err();
    assert!(matches!(reused, AppendError::IdReused { .. }), "{reused}");
    assert_eq!(ledger.digest(), head);
}

pub async fn stream_reads_and_the_search_by_time_agree_with_the_records(backend: Backend) {
    // Given the sample quarter,
    let place = backend.place();
    let ledger = place.ledger(&clock());
    ledger.import(&sample_path(), &mut |_| {}).await.unwrap();
    let store = ledger.store();
    let lines = sample_lines();
    let times: Vec<i64> = lines
        .iter()
        .map(|l| read_recorded_at(l).unwrap().timestamp_micros())
        .collect();
    // then for every record's time, a microsecond either side, and times outside the log,
    let mut probes: BTreeSet<i64> = times.iter().flat_map(|t| [t - 1, *t, t + 1]).collect();
    probes.extend([i64::MIN + 1, 0, times[0] - 86_400_000_000, i64::MAX - 1]);
    for t in probes {
        // the last record at or before it and the first at or after it are the records' own.
        let last_at = (1..=lines.len() as u64)
            .zip(&times)
            .filter(|(_, at)| **at <= t)
            .map(|(s, _)| s)
            .last();
        let first_from = (1..=lines.len() as u64)
            .zip(&times)
            .find(|(_, at)| **at >= t)
            .map(|(s, _)| s);
        assert_eq!(store.last_seq_at(t).unwrap(), last_at, "last at {t}");
        assert_eq!(
            store.first_seq_from(t).unwrap(),
            first_from,
            "first from {t}"
        );
    }
    // A goal as of a time is the goal as of the last record at that time.
    let goal = goal_id("web-traffic-q3");
    let at = time("2026-08-01T00:00:00Z");
    let seq = ledger.seq_at(at).unwrap();
    assert_eq!(
        ledger.goal_as_of(&goal, AsOf::Time(at)).unwrap(),
        ledger.goal_as_of(&goal, AsOf::Seq(seq)).unwrap()
    );
    assert!(ledger.goal_as_of(&goal, AsOf::Time(at)).unwrap().is_some());
}

pub async fn a_snapshot_reads_back_as_saved_and_a_replace_keeps_only_its_entries(backend: Backend) {
    let place = backend.place();
    let store = place.store();
    assert_eq!(store.snapshot_mark().unwrap(), None);
    assert_eq!(store.snapshot_entries().count(), 0);
    let entries = |store: &dyn goal_ledger::store::StoreRead| -> BTreeMap<Vec<u8>, Vec<u8>> {
        store.snapshot_entries().map(Result::unwrap).collect()
    };
    let e = |k: &str, v: Option<&str>| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec()));
    let map = |pairs: &[(&str, &str)]| -> BTreeMap<Vec<u8>, Vec<u8>> {
        pairs
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    };
    // Saved entries and mark read back;
    store
        .save_snapshot(vec![e("a", Some("1")), e("b", Some("2"))], (5, 1), false)
        .unwrap();
    assert_eq!(store.snapshot_mark().unwrap(), Some((5, 1)));
    assert_eq!(entries(store.as_read()), map(&[("a", "1"), ("b", "2")]));
    // a later save changes, adds and removes only what it names;
    store
        .save_snapshot(
            vec![e("a", None), e("c", Some("3")), e("b", Some("4"))],
            (9, 1),
            false,
        )
        .unwrap();
    assert_eq!(store.snapshot_mark().unwrap(), Some((9, 1)));
    assert_eq!(entries(store.as_read()), map(&[("b", "4"), ("c", "3")]));
    // a replace keeps only its own entries.
    store
        .save_snapshot(vec![e("d", Some("5"))], (12, 1), true)
        .unwrap();
    assert_eq!(store.snapshot_mark().unwrap(), Some((12, 1)));
    assert_eq!(entries(store.as_read()), map(&[("d", "5")]));
}

pub async fn a_reopened_ledger_starts_from_its_snapshot_in_the_same_state(backend: Backend) {
    // Given the sample quarter, its snapshot written and the ledger closed,
    let place = backend.place();
    let ledger = place.ledger(&clock());
    ledger.import(&sample_path(), &mut |_| {}).await.unwrap();
    ledger.save_snapshot().await.unwrap();
    let state = ledger.read(|s| s.clone());
    ledger.close();
    // then the store holds a snapshot of the whole log,
    let store = place.store();
    let mark = store.snapshot_mark().unwrap().unwrap();
    assert_eq!(mark.0, 217);
    assert!(store.snapshot_entries().count() > 0);
    drop(store);
    // and the ledger reopened from it is in the state the replay of every record gives.
    let ledger = place.ledger(&clock());
    assert_eq!(ledger.read(|s| s.clone()), state);
    ledger.rebuild(Box::new(|_| {})).await.unwrap();
    assert_eq!(ledger.read(|s| s.clone()), state);
}

pub async fn tree_chunks_and_checkpoints_are_kept_in_order(backend: Backend) {
    let place = backend.place();
    let store = place.store();
    assert_eq!(store.tree_chunks().unwrap(), Vec::<[u8; 32]>::new());
    assert_eq!(store.checkpoints().unwrap(), Vec::<String>::new());
    let (a, b, c, d) = ([1u8; 32], [2u8; 32], [3u8; 32], [4u8; 32]);
    store.save_tree_chunks(0, &[a, b, c]).unwrap();
    assert_eq!(store.tree_chunks().unwrap(), [a, b, c]);
    // Chunks from one on are replaced, and what was past them goes;
    store.save_tree_chunks(1, &[d]).unwrap();
    assert_eq!(store.tree_chunks().unwrap(), [a, d]);
    // a gap cannot be filled (the ledger hashes the rest again from the records).
    store.save_tree_chunks(5, &[c]).unwrap();
    assert_eq!(store.tree_chunks().unwrap(), [a, d]);
    store.keep_checkpoint("first\nnote\n").unwrap();
    store.keep_checkpoint("second note").unwrap();
    assert_eq!(
        store.checkpoints().unwrap(),
        ["first\nnote\n".to_owned(), "second note".to_owned()]
    );
}

pub async fn verify_passes_on_the_sample_and_names_a_record_changed_behind_the_ledgers_back(
    backend: Backend,
) {
    // Given the sample quarter, imported and closed,
    let place = backend.place();
    let ledger = place.ledger(&clock());
    ledger.import(&sample_path(), &mut |_| {}).await.unwrap();
    ledger.close();
    // then it verifies, to the sample's head;
    let archive = place.archive();
    let head = Digest::parse(SAMPLE_HEAD).unwrap();
    assert_eq!(archive.digest().unwrap(), head);
    let report = archive.verify(Some(head), &mut |_| {}).unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!((report.records, report.head), (217, head));
    // and once one byte of record 100 is changed in the store, verify names that record.
    let mut altered = sample_lines()[99].clone();
    let at = altered
        .windows(9)
        .position(|w| w == b"\"actor\":\"")
        .unwrap()
        + 9;
    altered[at] = altered[at].to_ascii_uppercase();
    archive
        .tamper()
        .unwrap()
        .tamper_put(100, Some(&altered))
        .unwrap();
    let report = archive.verify(None, &mut |_| {}).unwrap();
    let bad = report.first_bad.expect("verify names the change");
    assert_eq!(bad.seq, 100, "{}", bad.reason);
    assert!(
        bad.reason.contains("record 100 was altered"),
        "{}",
        bad.reason
    );
}

pub async fn bad_input_changes_nothing(backend: Backend) {
    // Given a ledger with teams and an adopted goal,
    let place = backend.place();
    let ledger = place.ledger(&clock());
    setup(&ledger).await;
    adopt(&ledger, "g").await;
    let (head, before) = (ledger.digest(), exported(&ledger));
    // when commands break rules: a vote by someone outside the electorate, a check-in on an
    // unknown goal, a proposal due before it starts, a stale expected version,
    let outsider = run(&ledger, "mallory", vote("g", Choice::Agree)).await;
    let unknown = run(&ledger, "sam", check_in("nowhere", "visits", 1.0)).await;
    let mut backwards = propose("h", "unanimous");
    if let Command::ProposeGoal { draft, .. } = &mut backwards {
        draft.due = date("2026-06-01");
    }
    let backwards = run(&ledger, "alice", backwards).await;
    let stale = ledger
        .execute(Request {
            expected_version: Some(1),
            ..request("sam", check_in("g", "visits", 1.0))
        })
        .await;
    for answer in [outsider, unknown, backwards, stale] {
        assert!(answer.is_err(), "{answer:?}");
    }
    // and an import file altered in one byte (which does not continue this ledger either),
    let dir = temp_dir();
    let file = dir.path().join("altered.jsonl");
    let mut text = std::fs::read(sample_path()).unwrap();
    let at = text.windows(3).position(|w| w == b"sam").unwrap();
    text[at] = b'S';
    std::fs::write(&file, text).unwrap();
    let import = ledger.import(&file, &mut |_| {}).await.unwrap_err();
    assert!(
        matches!(import, ImportError::Broken(_) | ImportError::Refused(_)),
        "{import}"
    );
    // then nothing was appended: the same head and the same bytes, reopened too.
    assert_eq!(ledger.digest(), head);
    assert_eq!(exported(&ledger), before);
    ledger.close();
    assert_eq!(place.archive().digest().unwrap(), head);
}

pub async fn opening_a_missing_ledger_for_audit_names_it_and_creates_nothing(backend: Backend) {
    let place = backend.place();
    let err = goal_ledger::ledger::Archive::open_at(&place.location)
        .err()
        .expect("there is no ledger to open");
    assert!(matches!(err, StoreError::Missing { .. }), "{err}");
    assert!(
        err.to_string().contains(&place.location.describe()),
        "{err}"
    );
    // Nothing was made: opening again still finds none.
    let again = goal_ledger::ledger::Archive::open_at(&place.location).err();
    assert!(matches!(again, Some(StoreError::Missing { .. })));
}
