//! The single writer's promises, each shown through the ledger's API or its store: answers to
//! retries and corrections inside one group commit, the ids its records carry (and an import
//! keeps), the size limit at its edge, how many jobs a group commit takes, when the projection
//! snapshot is written, and how it recovers after a commit that failed or found the head moved.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::Duration;
use goal_ledger::domain::*;
use goal_ledger::ledger::{AppendError, Ledger, Options, Request};
use goal_ledger::projections::decode_at;
use goal_ledger::record::{encode, Digest, Envelope, RecordHash, MAX_RECORD_BYTES};
use goal_ledger::store::{
    self, CommitBatch, CommitOutcome, EntryIter, IdEntry, ProjectionEntry, RecordIter, Store,
    StoreError, StoreRead,
};

use super::{adopt, exported, long_proposal, queued, setup, with_wide_electorate, HeldClock};
use crate::support::*;

/// The id of record `seq`.
fn record_id(ledger: &Ledger, seq: u64) -> String {
    let bytes = ledger.store().record(seq).unwrap().unwrap();
    decode_at(seq, &bytes).unwrap().envelope.id
}

/// `request` from `who`, with the client id `id`.
fn with_id(who: &str, id: &str, command: Command) -> Request {
    Request {
        id: Some(EventId::parse(id).unwrap()),
        ..request(who, command)
    }
}

/// A ledger with the departments and `g` adopted, whose writer the test can hold.
async fn held_ledger() -> (tempfile::TempDir, Ledger, HeldClock) {
    let dir = temp_dir();
    let (clock, options) = HeldClock::new("2026-07-01T09:00:00Z");
    let ledger = Ledger::open(dir.path(), options).unwrap();
    setup(&ledger).await;
    adopt(&ledger, "g").await;
    (dir, ledger, clock)
}

#[tokio::test]
async fn a_retry_in_the_same_group_commit_is_answered_as_a_replay_of_the_first() {
    // Given a command and its retry with the same client id, both in one group commit,
    let (_dir, ledger, clock) = held_ledger().await;
    let head = ledger.digest().seq;
    let send = || with_id("sam", "check-in-1", check_in("g", "visits", 4100.0));
    let filler = clock.hold_writer(ledger.save_snapshot());
    let first = queued(ledger.execute(send()));
    let retry = queued(ledger.execute(send()));
    clock.release_writer();
    filler.await.unwrap();
    // when both are answered,
    let (first, retry) = (first.await.unwrap(), retry.await.unwrap());
    // then the retry gets the first answer, marked as a replay, and one record was appended.
    assert_eq!(
        (first.seqs.clone(), first.replayed),
        (vec![head + 1], false)
    );
    assert_eq!((retry.seqs, retry.replayed), (vec![head + 1], true));
    assert_eq!(ledger.digest().seq, head + 1);
}

#[tokio::test]
async fn a_correction_may_name_a_check_in_staged_earlier_in_the_same_group_commit() {
    // Given a check-in and its correction in one group commit,
    let (_dir, ledger, clock) = held_ledger().await;
    let typo = ledger.digest().seq + 1;
    let mut fix = check_in("g", "visits", 41000.0);
    if let Command::RecordCheckIn { corrects, note, .. } = &mut fix {
        *corrects = Some(typo);
        *note = Some("typo: one zero missing".into());
    }
    let filler = clock.hold_writer(ledger.save_snapshot());
    let first = queued(run(&ledger, "sam", check_in("g", "visits", 4100.0)));
    let second = queued(run(&ledger, "sam", fix));
    clock.release_writer();
    filler.await.unwrap();
    // when both are answered,
    assert_eq!(first.await.unwrap().seqs, [typo]);
    // then the correction found the check-in it names, and its value stands.
    assert_eq!(second.await.unwrap().seqs, [typo + 1]);
    assert_eq!(
        ledger.goal(&goal_id("g")).unwrap().current[&kr("visits")].value,
        41000.0
    );
}

#[tokio::test]
async fn a_decision_at_the_closing_time_is_recorded_under_an_id_naming_the_goal_and_proposal() {
    // Given a proposal that closes in 48 hours,
    let (_dir, ledger, clock) = temp_ledger();
    setup(&ledger).await;
    let mut cmd = propose("g", "consent");
    if let Command::ProposeGoal { closes_at, .. } = &mut cmd {
        *closes_at = Some(clock.now() + Duration::hours(48));
    }
    run(&ledger, "alice", cmd).await.unwrap();
    // when its closing time passes,
    clock.advance(Duration::hours(48));
    let seqs = ledger.tick().await.unwrap();
    // then its decision carries the id `deadline:<goal>:<proposal>`, which it can reach once.
    assert_eq!(record_id(&ledger, seqs[0]), "deadline:g:1");
}

#[tokio::test]
async fn a_commands_records_carry_its_client_id_and_an_import_keeps_them_as_one_answer() {
    // Given sofia's deciding vote, sent with a client id, which appends several records,
    let (dir, ledger, _) = temp_ledger();
    setup(&ledger).await;
    run(&ledger, "alice", propose("g", "per-team"))
        .await
        .unwrap();
    for who in ["alice", "amir", "sam"] {
        run(&ledger, who, vote("g", Choice::Agree)).await.unwrap();
    }
    let last_vote = || with_id("sofia", "vote-sofia", vote("g", Choice::Agree));
    let appended = ledger.execute(last_vote()).await.unwrap();
    assert!(appended.seqs.len() >= 2, "{appended:?}");
    // then its records carry the id, then the id numbered from 2,
    let ids: Vec<String> = appended
        .seqs
        .iter()
        .map(|s| record_id(&ledger, *s))
        .collect();
    let expected: Vec<String> = (1..=appended.seqs.len())
        .map(|i| match i {
            1 => "vote-sofia".to_owned(),
            i => format!("vote-sofia/{i}"),
        })
        .collect();
    assert_eq!(ids, expected);
    // and when the export is imported elsewhere, the import says how many records it appended,
    let file = dir.path().join("export.jsonl");
    std::fs::write(&file, exported(&ledger)).unwrap();
    let (_other, copy, _) = temp_ledger();
    let summary = copy.import(&file, &mut |_| {}).await.unwrap();
    assert_eq!(summary.appended, ledger.digest().seq);
    // and the retried vote there is answered with all the records it appended, not again.
    let retry = copy.execute(last_vote()).await.unwrap();
    assert_eq!((retry.seqs, retry.replayed), (appended.seqs, true));
    assert_eq!(copy.digest(), ledger.digest());
}

#[tokio::test]
async fn an_imported_record_joins_the_answer_before_it_only_if_its_id_continues_that_id() {
    // Given an export (from another program) whose second record's id, `b/2`, does not continue
    // the first record's id `a`,
    let mut prev = RecordHash::ZERO;
    let mut lines = Vec::new();
    for (seq, team, id) in [(1, "sales", "a"), (2, "finance", "b/2")] {
        let event = Event::TeamRegistered(goal_ledger::domain::event::TeamRegistered {
            team: team_id(team),
            name: team.to_owned(),
        });
        let envelope = Envelope {
            seq,
            version: 1,
            stream: event.stream(),
            id: id.to_owned(),
            actor: actor("admin"),
            auth: test_auth(),
            recorded_at: time("2026-07-01T09:00:00Z"),
            prev,
        };
        let bytes = encode(&envelope, &event);
        prev = RecordHash::of(&bytes);
        lines.push(String::from_utf8(bytes).unwrap());
    }
    let (dir, ledger, _) = temp_ledger();
    let file = dir.path().join("export.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    ledger.import(&file, &mut |_| {}).await.unwrap();
    // when the command with the client id `a` is retried,
    let retry = ledger
        .execute(with_id("admin", "a", register("sales", "sales")))
        .await
        .unwrap();
    // then it is answered with its own record only.
    assert_eq!((retry.seqs, retry.replayed), (vec![1], true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_of_exactly_the_size_limit_is_accepted() {
    // Given an electorate of 600 and a proposal whose record would be over the limit,
    let (_dir, ledger, _) = temp_ledger();
    with_wide_electorate(&ledger).await;
    let over = match run(&ledger, "alice", long_proposal(4000, 0)).await {
        Err(AppendError::TooLarge { bytes }) => bytes - MAX_RECORD_BYTES,
        other => panic!("expected the record to be too large, got {other:?}"),
    };
    // when it is shortened to exactly the limit,
    let room = 4 * 4000 - over;
    let appended = run(&ledger, "alice", long_proposal(room / 4, room % 4))
        .await
        .unwrap();
    // then it is appended, at that size.
    let bytes = ledger.store().record(appended.seqs[0]).unwrap().unwrap();
    assert_eq!(bytes.len(), MAX_RECORD_BYTES);
}

#[tokio::test]
async fn a_group_commit_takes_at_most_1024_jobs_and_the_next_takes_the_rest() {
    // Given 1025 check-ins queued while the writer is busy,
    let (_dir, ledger, clock) = held_ledger().await;
    let before = ledger.stats();
    let filler = clock.hold_writer(ledger.save_snapshot());
    // (unconstrained: tokio's task budget would hold back sends past the 128th)
    let calls: Vec<_> = (0..1025)
        .map(|i| {
            let call = run(&ledger, "sam", check_in("g", "visits", i as f64));
            queued(tokio::task::unconstrained(call))
        })
        .collect();
    clock.release_writer();
    filler.await.unwrap();
    for call in calls {
        call.await.unwrap();
    }
    // then they were committed in two batches: 1024, then 1.
    let after = ledger.stats();
    assert_eq!(
        (
            after.commits - before.commits,
            after.records - before.records
        ),
        (2, 1025)
    );
}

#[tokio::test]
async fn a_batch_that_appends_nothing_commits_nothing() {
    // Given a ledger,
    let (_dir, ledger, _) = temp_ledger();
    setup(&ledger).await;
    let before = ledger.stats();
    // when a command is rejected and a snapshot is saved,
    run(&ledger, "sam", join("sales", "sam")).await.unwrap_err();
    ledger.save_snapshot().await.unwrap();
    // then no commit was made.
    assert_eq!(ledger.stats().commits, before.commits);
}

#[tokio::test]
async fn the_projection_snapshot_is_written_once_snapshot_every_records_are_committed() {
    // Given a ledger that writes its snapshot every 3 records,
    let dir = temp_dir();
    let clock = TestClock::at("2026-07-01T09:00:00Z");
    let options = Options {
        snapshot_every: 3,
        ..clock.options()
    };
    let ledger = Ledger::open(dir.path(), options).unwrap();
    // (a tick is a later job: it is taken after the writer is done with the batch before)
    let mark = || ledger.store().snapshot_mark().unwrap().map(|(seq, _)| seq);
    // when 2 records are committed, there is no snapshot yet,
    run(&ledger, "admin", register("sales", "Sales"))
        .await
        .unwrap();
    run(&ledger, "admin", join("sales", "sam")).await.unwrap();
    ledger.tick().await.unwrap();
    assert_eq!(mark(), None);
    // and once a third is, the snapshot covers all three.
    run(&ledger, "admin", join("sales", "sofia")).await.unwrap();
    ledger.tick().await.unwrap();
    assert_eq!(mark(), Some(3));
}

/// A sled store whose commits and reopening fail while the test says so.
struct Flaky {
    inner: Arc<dyn Store>,
    fail_commits: AtomicBool,
    fail_recovery: AtomicBool,
}

fn refused() -> StoreError {
    StoreError::Io(std::io::Error::other("injected failure"))
}

impl StoreRead for Flaky {
    fn head(&self) -> Result<Digest, StoreError> {
        self.inner.head()
    }
    fn record(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.record(seq)
    }
    fn records_in(&self, first: u64, last: u64) -> RecordIter<'_> {
        self.inner.records_in(first, last)
    }
    fn stream_records(&self, stream: &str, upto: u64) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        self.inner.stream_records(stream, upto)
    }
    fn find_id(&self, id: &str) -> Result<Option<IdEntry>, StoreError> {
        self.inner.find_id(id)
    }
    fn last_seq_at(&self, micros: i64) -> Result<Option<u64>, StoreError> {
        self.inner.last_seq_at(micros)
    }
    fn first_seq_from(&self, micros: i64) -> Result<Option<u64>, StoreError> {
        self.inner.first_seq_from(micros)
    }
    fn snapshot_mark(&self) -> Result<Option<(u64, u32)>, StoreError> {
        self.inner.snapshot_mark()
    }
    fn snapshot_entries(&self) -> EntryIter<'_> {
        self.inner.snapshot_entries()
    }
    fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.inner.size_on_disk()
    }
}

impl Store for Flaky {
    fn as_read(&self) -> &dyn StoreRead {
        self
    }
    fn commit(&self, expected: Digest, batch: CommitBatch) -> Result<CommitOutcome, StoreError> {
        if self.fail_commits.load(Ordering::SeqCst) {
            return Err(refused());
        }
        self.inner.commit(expected, batch)
    }
    fn save_snapshot(
        &self,
        entries: Vec<ProjectionEntry>,
        mark: (u64, u32),
        replace: bool,
    ) -> Result<(), StoreError> {
        self.inner.save_snapshot(entries, mark, replace)
    }
    fn recover(&self) -> Result<bool, StoreError> {
        if self.fail_recovery.load(Ordering::SeqCst) {
            return Err(refused());
        }
        self.inner.recover()
    }
}

fn sled_store(dir: &std::path::Path) -> Arc<dyn Store> {
    let location = store::Location::Dir(dir.to_owned());
    store::open(&location, &goal_ledger::config::store_options(true)).unwrap()
}

#[tokio::test]
async fn writes_are_unavailable_while_the_store_cannot_reopen_and_go_through_once_it_can() {
    // Given a ledger whose store fails its commits and cannot reopen,
    let dir = temp_dir();
    let flaky = Arc::new(Flaky {
        inner: sled_store(dir.path()),
        fail_commits: AtomicBool::new(false),
        fail_recovery: AtomicBool::new(false),
    });
    let clock = TestClock::at("2026-07-01T09:00:00Z");
    let ledger = Ledger::with_store(flaky.clone(), clock.options()).unwrap();
    setup(&ledger).await;
    let head = ledger.digest();
    flaky.fail_commits.store(true, Ordering::SeqCst);
    flaky.fail_recovery.store(true, Ordering::SeqCst);
    // when a write fails to commit, and another comes while the store is still closed,
    let failed = run(&ledger, "admin", register("finance", "Finance")).await;
    let refused = run(&ledger, "admin", register("finance", "Finance")).await;
    // then both are unavailable (retry later), not a closed ledger, and nothing was appended;
    for answer in [failed, refused] {
        match answer {
            Err(AppendError::Unavailable(e)) => assert!(e.contains("injected failure"), "{e}"),
            other => panic!("expected the write to be unavailable, got {other:?}"),
        }
    }
    assert_eq!(ledger.digest(), head);
    // and once the store works again, the next write continues the same head.
    flaky.fail_commits.store(false, Ordering::SeqCst);
    flaky.fail_recovery.store(false, Ordering::SeqCst);
    let appended = run(&ledger, "admin", register("finance", "Finance"))
        .await
        .unwrap();
    assert_eq!(appended.seqs, [head.seq + 1]);
    assert!(ledger.read(|s| s.teams.contains_key(&team_id("finance"))));
}

#[tokio::test]
async fn after_another_writer_moved_the_head_the_writer_catches_up_and_decides_its_batch_again() {
    // Given two ledgers on one store (which compares heads, with no lock), both at one head,
    let dir = temp_dir();
    let store = sled_store(dir.path());
    let clock = TestClock::at("2026-07-01T09:00:00Z");
    let ours = Ledger::with_store(store.clone(), clock.options()).unwrap();
    setup(&ours).await;
    let theirs = Ledger::with_store(store, clock.options()).unwrap();
    // when the other appends two records behind our writer's back,
    run(&theirs, "admin", register("finance", "Finance"))
        .await
        .unwrap();
    run(&theirs, "admin", join("finance", "fred"))
        .await
        .unwrap();
    // then our next write finds the head moved, catches up, is staged again on the caught-up
    // state and continues the other's records,
    let appended = run(&ours, "admin", register("legal", "Legal"))
        .await
        .unwrap();
    assert_eq!(appended.seqs, [theirs.digest().seq + 1]);
    // and our ledger shows the other's records with its own.
    assert!(ours.read(|s| s.teams[&team_id("finance")]
        .members
        .contains(&actor("fred"))));
    assert!(ours.read(|s| s.teams.contains_key(&team_id("legal"))));
    assert_eq!(ours.digest().seq, appended.seqs[0]);
}
