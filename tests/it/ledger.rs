//! The ledger on a real sled directory: appends, reopening, idempotency, optimistic
//! concurrency, group commit under 64 concurrent writers, the single-process lock, checkpoints,
//! as-of, history and timeline.

use chrono::Duration;
use goal_ledger::domain::*;
use goal_ledger::ledger::{AppendError, AsOf, Ledger, Options, Request};
use goal_ledger::projections::timeline::Filter;
use goal_ledger::store::StoreError;

use crate::support::*;

mod writer;

/// Everything the store holds, as an export: equal exports mean an unchanged ledger.
pub fn exported(ledger: &Ledger) -> Vec<u8> {
    let mut out = Vec::new();
    goal_ledger::ledger::export_lines(ledger.store(), ledger.digest().seq, &mut out, &mut |_| {})
        .unwrap();
    out
}

/// `setup`, then 600 more members of sales: a goal's electorate large enough that its proposal
/// record nears the size limit.
pub async fn with_wide_electorate(ledger: &Ledger) {
    setup(ledger).await;
    let joins: Vec<_> = (0..600)
        .map(|i| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                run(&ledger, "admin", join("sales", &format!("seller-{i:04}"))).await
            })
        })
        .collect();
    for j in joins {
        j.await.unwrap().unwrap();
    }
}

/// A proposal of goal `g` whose description is `wide` four-byte and `narrow` one-byte
/// characters, with a reason of 2,000 four-byte ones: at 4,000 wide, over the size limit with
/// `with_wide_electorate`.
pub fn long_proposal(wide: usize, narrow: usize) -> Command {
    let mut cmd = propose("g", "per-team");
    if let Command::ProposeGoal { draft, reason, .. } = &mut cmd {
        draft.description = "🎯".repeat(wide) + &"a".repeat(narrow);
        *reason = "📈".repeat(2000);
    }
    cmd
}

pub async fn setup(ledger: &Ledger) {
    for (who, command) in departments() {
        run(ledger, who, command).await.unwrap();
    }
}

pub async fn adopt(ledger: &Ledger, goal: &str) {
    run(ledger, "alice", propose(goal, "per-team"))
        .await
        .unwrap();
    for who in ["alice", "amir", "sam", "sofia"] {
        run(ledger, who, vote(goal, Choice::Agree)).await.unwrap();
    }
}

#[tokio::test]
async fn appended_records_survive_reopening_with_the_same_digest_and_state() {
    let dir = temp_dir();
    let clock = TestClock::at("2026-07-01T09:00:00Z");
    let ledger = Ledger::open(dir.path(), clock.options()).unwrap();
    setup(&ledger).await;
    adopt(&ledger, "web-traffic-q3").await;
    let digest = ledger.digest();
    let state = ledger.read(|s| s.clone());
    assert_eq!(digest.seq, 14);
    ledger.close();

    let reopened = Ledger::open(dir.path(), clock.options()).unwrap();
    assert_eq!(reopened.digest(), digest);
    assert_eq!(reopened.read(|s| s.clone()), state);
    assert!(reopened.verify(None, &mut |_| {}).unwrap().ok());
}

#[tokio::test]
async fn a_rejected_command_appends_nothing_and_leaves_the_bytes_unchanged() {
    let (_dir, ledger, _) = temp_ledger();
    setup(&ledger).await;
    run(&ledger, "alice", propose("g", "per-team"))
        .await
        .unwrap();
    let before = exported(&ledger);
    let err = run(&ledger, "carol", vote("g", Choice::Agree))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AppendError::Rejected(Rejection::NotInElectorate { .. })
        ),
        "{err}"
    );
    assert_eq!(exported(&ledger), before);
}

#[tokio::test]
async fn a_retried_command_with_the_same_id_returns_the_first_answer_and_appends_nothing() {
    let (_dir, ledger, _) = temp_ledger();
    setup(&ledger).await;
    run(&ledger, "alice", propose("g", "per-team"))
        .await
        .unwrap();
    for who in ["alice", "amir", "sam"] {
        run(&ledger, who, vote("g", Choice::Agree)).await.unwrap();
    }
    let id = EventId::parse("vote-sofia-1").unwrap();
    let request = Request {
        id: Some(id.clone()),
        ..Request::new(actor("sofia"), test_auth(), vote("g", Choice::Agree))
    };
    let first = ledger.execute(request.clone()).await.unwrap();
    assert_eq!(first.seqs.len(), 2, "the vote and the decision");
    let before = exported(&ledger);
    let again = ledger.execute(request.clone()).await.unwrap();
    assert!(again.replayed);
    assert_eq!(
        (again.seqs.clone(), again.version),
        (first.seqs.clone(), first.version)
    );
    assert_eq!(exported(&ledger), before);

    let other = Request {
        id: Some(id),
        ..Request::new(actor("sofia"), test_auth(), vote("g", Choice::Abstain))
    };
    let err = ledger.execute(other).await.unwrap_err();
    assert!(matches!(err, AppendError::IdReused { .. }), "{err}");
    assert_eq!(exported(&ledger), before);

    // The same command through a token is a different request from the local one.
    let token = Request {
        auth: goal_ledger::record::Auth::token(&TokenHash::of("sofia's token")),
        ..request
    };
    let err = ledger.execute(token).await.unwrap_err();
    assert!(matches!(err, AppendError::IdReused { .. }), "{err}");
    assert_eq!(exported(&ledger), before);
}

#[tokio::test]
async fn a_stale_expected_version_is_a_typed_conflict() {
    let (_dir, ledger, _) = temp_ledger();
    setup(&ledger).await;
    adopt(&ledger, "g").await;
    let version = ledger.goal(&goal_id("g")).unwrap().version;
    let ok = Request {
        expected_version: Some(version),
        ..Request::new(actor("sam"), test_auth(), check_in("g", "visits", 41000.0))
    };
    ledger.execute(ok).await.unwrap();
    let before = exported(&ledger);
    let stale = Request {
        expected_version: Some(version),
        ..Request::new(actor("sam"), test_auth(), check_in("g", "visits", 42000.0))
    };
    match ledger.execute(stale).await.unwrap_err() {
        AppendError::Conflict {
            expected, actual, ..
        } => assert_eq!((expected, actual), (version, version + 1)),
        other => panic!("expected a conflict, got {other}"),
    }
    assert_eq!(exported(&ledger), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_writers_leave_no_gaps_and_a_valid_chain() {
    let (_dir, ledger, _) = temp_ledger();
    setup(&ledger).await;
    adopt(&ledger, "g").await;
    let start = ledger.digest().seq;
    let mut tasks = Vec::new();
    for w in 0..64 {
        let ledger = ledger.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..10 {
                let who = ["alice", "amir", "sam", "sofia"][(w + i) % 4];
                let a = run(&ledger, who, check_in("g", "visits", (w * 100 + i) as f64))
                    .await
                    .unwrap();
                seqs.extend(a.seqs);
            }
            seqs
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_unstable();
    let expected: Vec<u64> = (start + 1..=start + 640).collect();
    assert_eq!(
        all, expected,
        "every acknowledged append has its own sequence, without gaps"
    );
    let report = ledger.verify(None, &mut |_| {}).unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.head, ledger.digest());
    assert_eq!(ledger.goal(&goal_id("g")).unwrap().check_ins, 640);
}

#[tokio::test]
async fn a_second_open_of_the_same_directory_is_a_clear_error() {
    let (dir, _ledger, _) = temp_ledger();
    match Ledger::open(dir.path(), Options::default()) {
        Err(goal_ledger::ledger::OpenError::Store(StoreError::Locked { .. })) => {}
        Err(other) => panic!("expected Locked, got {other}"),
        Ok(_) => panic!("a second open succeeded"),
    }
    let message = Ledger::open(dir.path(), Options::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        message.contains("in use by another goal-ledger process"),
        "{message}"
    );
    // What to do about it (`--server`) is the command line's to say, not the library's.
    assert!(!message.contains("--server"), "{message}");
}

#[tokio::test]
async fn opening_a_missing_ledger_without_create_says_where_it_looked() {
    let dir = temp_dir();
    let options = Options {
        create: false,
        ..Options::default()
    };
    let message = Ledger::open(&dir.path().join("nope"), options)
        .err()
        .unwrap()
        .to_string();
    assert!(message.contains("there is no ledger in"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_over_the_size_limit_is_refused_and_nothing_is_appended() {
    let (_dir, ledger, _) = temp_ledger();
    // Every text at its limit in four-byte characters, and an electorate of 600: the
    // GoalProposed record would exceed 32 KiB.
    with_wide_electorate(&ledger).await;
    let before = exported(&ledger);
    let err = run(&ledger, "alice", long_proposal(4000, 0))
        .await
        .unwrap_err();
    assert!(matches!(err, AppendError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("shorten"), "{err}");
    assert_eq!(exported(&ledger), before);
}

#[tokio::test]
async fn opening_starts_from_the_projection_snapshot_not_from_record_1() {
    // Given a closed ledger, whose writer saved the projection snapshot as it stopped,
    let dir = temp_dir();
    let clock = TestClock::at("2026-07-01T09:00:00Z");
    let options = Options {
        snapshot_every: 1_000,
        ..clock.options()
    };
    let ledger = Ledger::open(dir.path(), options.clone()).unwrap();
    setup(&ledger).await;
    adopt(&ledger, "g").await;
    run(&ledger, "sam", check_in("g", "visits", 41000.0))
        .await
        .unwrap();
    let state = ledger.read(|s| s.clone());
    let digest = ledger.digest();
    drop(ledger);
    let archive = goal_ledger::ledger::Archive::open(dir.path()).unwrap();
    assert_eq!(
        archive.store().snapshot_mark().unwrap().unwrap().0,
        digest.seq
    );
    // and record 3, which the snapshot covers, damaged behind the ledger's back so that a
    // replay from record 1 could not read it,
    archive
        .tamper()
        .unwrap()
        .tamper_put(3, Some(b"{\"damaged\": true}"))
        .unwrap();
    drop(archive);
    // when the ledger is opened again,
    let reopened = Ledger::open(dir.path(), options)
        .expect("opening replayed records the snapshot already covers");
    // then it started from the snapshot, and its state is the one it had.
    assert_eq!(reopened.digest(), digest);
    assert_eq!(reopened.read(|s| s.clone()), state);
}

#[tokio::test]
async fn rebuild_replays_the_whole_log_into_the_same_state() {
    let (_dir, ledger, _) = temp_ledger();
    setup(&ledger).await;
    adopt(&ledger, "g").await;
    run(&ledger, "sam", check_in("g", "visits", 41000.0))
        .await
        .unwrap();
    let state = ledger.read(|s| s.clone());
    let replayed = ledger.rebuild(Box::new(|_| {})).await.unwrap();
    assert_eq!(replayed, ledger.digest().seq);
    assert_eq!(ledger.read(|s| s.clone()), state);
}

#[tokio::test]
async fn show_as_of_returns_the_target_before_an_adjustment() {
    let (_dir, ledger, clock) = temp_ledger();
    setup(&ledger).await;
    adopt(&ledger, "g").await;
    let before_adjustment = ledger.digest().seq;
    clock.advance(Duration::days(30));
    let at_old = clock.now();
    clock.advance(Duration::days(1));
    run(&ledger, "alice", retarget("g", "visits", 46000.0))
        .await
        .unwrap();
    for who in ["alice", "amir", "sam", "sofia"] {
        run(&ledger, who, vote("g", Choice::Agree)).await.unwrap();
    }
    let target = |g: Option<Goal>| g.unwrap().definition.key_results[0].target;
    assert_eq!(target(ledger.goal(&goal_id("g"))), 46000.0);
    assert_eq!(
        target(
            ledger
                .goal_as_of(&goal_id("g"), AsOf::Seq(before_adjustment))
                .unwrap()
        ),
        48000.0
    );
    assert_eq!(
        target(
            ledger
                .goal_as_of(&goal_id("g"), AsOf::Time(at_old))
                .unwrap()
        ),
        48000.0
    );
    assert!(ledger
        .goal_as_of(&goal_id("g"), AsOf::Seq(3))
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn history_explains_an_adjustment_with_before_after_reason_proposer_and_votes() {
    let (_dir, ledger, _) = temp_ledger();
    setup(&ledger).await;
    adopt(&ledger, "g").await;
    // A third marketing member, so alice's abstain leaves marketing able to reach its majority.
    run(&ledger, "admin", join("marketing", "ava"))
        .await
        .unwrap();
    run(&ledger, "sam", retarget("g", "visits", 46000.0))
        .await
        .unwrap();
    run(&ledger, "alice", vote("g", Choice::Abstain))
        .await
        .unwrap();
    for who in ["alice", "amir", "sam", "sofia"] {
        run(&ledger, who, vote("g", Choice::Agree)).await.unwrap();
    }
    let history = ledger.history(&goal_id("g")).unwrap().unwrap();
    let kinds: Vec<&str> = history.entries.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(kinds, ["adopted", "adjusted"]);
    let change = &history.entries[1];
    assert_eq!(change.reason, "Budget cut");
    assert_eq!(change.by, actor("sam"));
    let field = &change.changes[0];
    assert_eq!(field.field, "key_results.visits.target");
    assert_eq!(
        (field.before.as_f64(), field.after.as_f64()),
        (Some(48000.0), Some(46000.0))
    );
    let proposal = change.proposal.as_ref().unwrap();
    assert_eq!(proposal.votes.len(), 5);
    assert!(
        proposal.votes[0].superseded,
        "alice's abstain was replaced by her agree"
    );
    assert_eq!(
        change.seqs.len(),
        8,
        "proposal, five votes, decision, adjustment"
    );
}

#[tokio::test]
async fn timelines_per_goal_per_team_and_by_time() {
    let (_dir, ledger, clock) = temp_ledger();
    setup(&ledger).await;
    adopt(&ledger, "g").await;
    clock.advance(Duration::days(7));
    let week2 = clock.now();
    run(&ledger, "sam", check_in("g", "visits", 41000.0))
        .await
        .unwrap();
    run(&ledger, "admin", join("customer-service", "cody"))
        .await
        .unwrap();

    let goal = ledger
        .timeline(&Filter {
            goal: Some(goal_id("g")),
            ..Filter::default()
        })
        .unwrap();
    assert_eq!(goal.len(), 7);
    assert!(
        goal[6].summary.contains("sam checked in visits = 41000"),
        "{}",
        goal[6].summary
    );

    let sales = ledger
        .timeline(&Filter {
            team: Some(team_id("sales")),
            ..Filter::default()
        })
        .unwrap();
    assert_eq!(sales.len(), 3 + 7, "the sales stream and the goal it owns");

    let since = ledger
        .timeline(&Filter {
            since: Some(week2),
            ..Filter::default()
        })
        .unwrap();
    let kinds: Vec<&str> = since.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["CheckInRecorded", "MemberJoined"]);
}

#[tokio::test]
async fn a_proposal_is_decided_at_its_closing_time_without_anyone_voting() {
    let (_dir, ledger, clock) = temp_ledger();
    setup(&ledger).await;
    let mut cmd = propose("g", "consent");
    if let Command::ProposeGoal { closes_at, .. } = &mut cmd {
        *closes_at = Some(clock.now() + Duration::hours(48));
    }
    run(&ledger, "alice", cmd).await.unwrap();
    assert!(ledger.tick().await.unwrap().is_empty());
    clock.advance(Duration::hours(48));
    let seqs = ledger.tick().await.unwrap();
    assert_eq!(seqs.len(), 1);
    let goal = ledger.goal(&goal_id("g")).unwrap();
    assert_eq!(goal.status, GoalStatus::Active);
    let records = ledger.records_after(seqs[0] - 1, 1).unwrap();
    assert!(String::from_utf8_lossy(&records[0].1).contains(r#""actor":"system""#));
}

#[tokio::test]
async fn a_late_vote_after_the_closing_time_finds_the_proposal_already_decided() {
    let (_dir, ledger, clock) = temp_ledger();
    setup(&ledger).await;
    let mut cmd = propose("g", "unanimous");
    if let Command::ProposeGoal { closes_at, .. } = &mut cmd {
        *closes_at = Some(clock.now() + Duration::hours(1));
    }
    run(&ledger, "alice", cmd).await.unwrap();
    clock.advance(Duration::hours(2));
    let err = run(&ledger, "sam", vote("g", Choice::Agree))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("it is rejected"), "{err}");
}

#[tokio::test]
async fn a_correction_names_an_earlier_check_in_of_the_same_key_result() {
    let (_dir, ledger, _) = temp_ledger();
    setup(&ledger).await;
    adopt(&ledger, "g").await;
    let first = run(&ledger, "sam", check_in("g", "visits", 4100.0))
        .await
        .unwrap()
        .seqs[0];
    let mut fix = check_in("g", "visits", 41000.0);
    if let Command::RecordCheckIn { corrects, note, .. } = &mut fix {
        *corrects = Some(first);
        *note = Some("typo: one zero missing".into());
    }
    run(&ledger, "sam", fix.clone()).await.unwrap();
    assert_eq!(
        ledger.goal(&goal_id("g")).unwrap().current[&kr("visits")].value,
        41000.0
    );
    if let Command::RecordCheckIn { corrects, .. } = &mut fix {
        *corrects = Some(first - 1);
    }
    let err = run(&ledger, "sam", fix).await.unwrap_err();
    assert!(err.to_string().contains("is not a check-in"), "{err}");
}

/// A clock that, once armed, holds the writer at its next reading of the time until released.
/// The writer reads the time once per batch after taking every queued job, so jobs sent while
/// it is held queue up and all form its next batch: a group commit the test arranges.
struct HeldClock {
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    held: std::sync::mpsc::Receiver<()>,
    release: std::sync::mpsc::Sender<()>,
}

impl HeldClock {
    fn new(at: &str) -> (HeldClock, Options) {
        let armed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (held_tx, held) = std::sync::mpsc::channel();
        let (release, release_rx) = std::sync::mpsc::channel::<()>();
        let release_rx = std::sync::Mutex::new(release_rx);
        let now = time(at);
        let trigger = armed.clone();
        let options = Options {
            clock: std::sync::Arc::new(move || {
                if trigger.swap(false, std::sync::atomic::Ordering::SeqCst) {
                    let _ = held_tx.send(());
                    let _ = release_rx.lock().unwrap().recv();
                }
                now
            }),
            ..Options::default()
        };
        (
            HeldClock {
                armed,
                held,
                release,
            },
            options,
        )
    }

    /// Arms the clock, then sends `filler` and waits until the writer is held inside its batch.
    fn hold_writer<F: std::future::Future>(&self, filler: F) -> std::pin::Pin<Box<F>> {
        self.armed.store(true, std::sync::atomic::Ordering::SeqCst);
        let filler = queued(filler);
        self.held
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the writer never read the clock");
        filler
    }

    fn release_writer(&self) {
        self.release.send(()).unwrap();
    }
}

/// Polls a ledger call once, so its job is on the writer's queue, and returns it to await later.
fn queued<F: std::future::Future>(call: F) -> std::pin::Pin<Box<F>> {
    let mut call = Box::pin(call);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(
        call.as_mut().poll(&mut cx).is_pending(),
        "the call finished before the writer answered"
    );
    call
}

#[tokio::test]
async fn two_different_commands_with_one_client_id_in_one_group_commit_append_only_the_first() {
    // Given a proposal open for votes,
    let dir = temp_dir();
    let (clock, options) = HeldClock::new("2026-07-01T09:00:00Z");
    let ledger = Ledger::open(dir.path(), options).unwrap();
    setup(&ledger).await;
    run(&ledger, "alice", propose("g", "per-team"))
        .await
        .unwrap();
    let head = ledger.digest().seq;
    // when two different votes with the same client id reach the writer in one batch,
    let id = EventId::parse("vote-alice-1").unwrap();
    let agree = Request {
        id: Some(id.clone()),
        ..Request::new(actor("alice"), test_auth(), vote("g", Choice::Agree))
    };
    let disagree = Request {
        id: Some(id),
        ..Request::new(actor("alice"), test_auth(), vote("g", Choice::Disagree))
    };
    let filler = clock.hold_writer(ledger.save_snapshot());
    let first = queued(ledger.execute(agree));
    let second = queued(ledger.execute(disagree));
    clock.release_writer();
    filler.await.unwrap();
    let (first, second) = (first.await, second.await);
    // then the first is appended, the second is refused as a reused id,
    let first = first.unwrap();
    assert_eq!(
        (first.seqs.clone(), first.replayed),
        (vec![head + 1], false)
    );
    match second {
        Err(AppendError::IdReused { id }) => assert_eq!(id, "vote-alice-1"),
        other => panic!("expected the id to be refused as reused, got {other:?}"),
    }
    // and exactly one record, alice's agree, was appended.
    assert_eq!(ledger.digest().seq, head + 1);
    let votes = ledger
        .goal(&goal_id("g"))
        .unwrap()
        .open_proposal
        .unwrap()
        .votes;
    assert_eq!(votes.len(), 1);
    assert_eq!(votes[&actor("alice")].choice, Choice::Agree);
}

#[tokio::test]
async fn a_rebuild_of_a_ledger_written_with_a_sub_microsecond_clock_gives_the_same_state() {
    // Given a ledger whose clock has nanoseconds, as the system clock does,
    let dir = temp_dir();
    let clock = TestClock::at("2026-07-01T09:00:00.123456789Z");
    let ledger = Ledger::open(dir.path(), clock.options()).unwrap();
    setup(&ledger).await;
    clock.advance(Duration::nanoseconds(1_000_001));
    adopt(&ledger, "g").await;
    let state = ledger.read(|s| s.clone());
    // when its state is rebuilt from the records alone,
    ledger.rebuild(Box::new(|_| {})).await.unwrap();
    // then it is the state the writer had: the times it holds are the recorded ones.
    assert_eq!(ledger.read(|s| s.clone()), state);
    assert_eq!(
        state.teams[&team_id("sales")].registered_at,
        time("2026-07-01T09:00:00.123456Z")
    );
}
