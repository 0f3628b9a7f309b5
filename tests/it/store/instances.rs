//! Several instances on one PostgreSQL database, in one process: two `Ledger`s on the same
//! database writing at once. Every acknowledged append is on the log exactly once, in one chain
//! with no gaps (each writer catches up under the head's lock before it stages a batch);
//! each instance follows the other's writes; an idempotency key used on one instance and
//! retried on the other appends nothing; an `If-Match` version learned on one instance holds on
//! the other even before it has caught up (every batch is decided under the head's lock); an
//! instance opens while another commits; a head held by a stuck session makes a write answer
//! retry after a bounded wait; checkpoints signed by one instance are found by the other.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use goal_ledger::domain::{EventId, StreamId};
use goal_ledger::ledger::{Appended, Ledger};

use super::Backend;
use crate::ledger::setup;
use crate::support::*;

/// Two ledgers on one new database (the second opened once the first has made it).
fn two_instances() -> (super::Place, Ledger, Ledger) {
    let place = Backend::Postgres.place();
    let clock = TestClock::at("2026-07-01T09:00:00Z");
    let a = place.ledger(&clock);
    let b = place.ledger(&clock);
    (place, a, b)
}

/// Waits until `ledger`'s head is at least `seq`, polling, for at most 20 s.
async fn until_caught_up(ledger: &Ledger, seq: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut head = ledger.subscribe();
    while head.borrow_and_update().seq < seq {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "the instance did not catch up to {seq}");
        let _ = tokio::time::timeout(left, head.changed()).await;
    }
}

fn keyed(
    who: &str,
    command: goal_ledger::domain::Command,
    key: &str,
) -> goal_ledger::ledger::Request {
    let mut r = request(who, command);
    r.id = Some(EventId::parse(key).unwrap());
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_writing_at_once_append_every_acknowledged_write_once_in_one_chain() {
    // Given two instances on one database,
    let (place, a, b) = two_instances();
    setup(&a).await;
    until_caught_up(&b, a.digest().seq).await;
    let before = a.digest().seq;
    // when 16 writers, half on each instance, append 25 keyed joins each at once,
    let writers: Vec<_> = (0..16)
        .map(|w| {
            let ledger = if w % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                let mut acked: Vec<(String, Appended)> = Vec::new();
                for i in 0..25 {
                    let key = format!("w{w:02}-{i:02}");
                    let join = join("sales", &format!("seller-{w:02}-{i:02}"));
                    let appended = ledger.execute(keyed("admin", join, &key)).await.unwrap();
                    assert!(!appended.replayed);
                    acked.push((key, appended));
                }
                acked
            })
        })
        .collect();
    let mut acked = Vec::new();
    for w in writers {
        acked.extend(w.await.unwrap());
    }
    // then every acknowledged append has its own sequence number, with no gaps,
    let mut seqs: Vec<u64> = acked.iter().flat_map(|(_, a)| a.seqs.clone()).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (before + 1..=before + 400).collect::<Vec<_>>());
    // both instances come to the same head and the same members,
    until_caught_up(&a, before + 400).await;
    until_caught_up(&b, before + 400).await;
    let head = a.digest();
    assert_eq!(a.digest(), b.digest());
    let members = |l: &Ledger| l.read(|s| s.teams[&team_id("sales")].members.len());
    assert_eq!(members(&a), members(&b));
    assert_eq!(members(&a), 2 + 400);
    // retrying every key on the other instance appends nothing and answers the first seqs,
    for (i, (key, first)) in acked.iter().enumerate() {
        let other = if i % 2 == 0 { &b } else { &a };
        let w = &key[1..3];
        let n = &key[4..6];
        let join = join("sales", &format!("seller-{w}-{n}"));
        let again = other.execute(keyed("admin", join, key)).await.unwrap();
        assert!(again.replayed, "{key}");
        assert_eq!(again.seqs, first.seqs, "{key}");
    }
    assert_eq!(a.digest().seq, before + 400);
    // and the log verifies as one chain, reopened.
    a.close();
    b.close();
    let archive = place.archive();
    let report = archive.verify(Some(head), &mut |_| {}).unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.records, before + 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_on_one_instance_reaches_the_other_without_a_write_there() {
    // Given two instances,
    let (_place, a, b) = two_instances();
    // when the first appends,
    setup(&a).await;
    // then the second hears of it (a notice, or its poll) and applies it to its state.
    until_caught_up(&b, a.digest().seq).await;
    assert_eq!(b.digest(), a.digest());
    assert!(b.read(|s| s.teams.contains_key(&team_id("sales"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_and_a_key_from_one_instance_hold_on_the_other_before_it_has_caught_up() {
    let (_place, a, b) = two_instances();
    setup(&a).await;
    until_caught_up(&b, a.digest().seq).await;
    // Given a keyed write on the first instance, answered with the stream's new version,
    let first = a
        .execute(keyed("admin", join("sales", "sasha"), "key-sasha"))
        .await
        .unwrap();
    // when the second gets a write that expects that version, at once,
    let mut next = request("admin", join("sales", "sven"));
    next.expected_version = Some(first.version);
    let second = b.execute(next).await.unwrap();
    // then it continues the first (no conflict from a stale view), and a retry of the key on
    // the second appends nothing and answers what the first appended.
    assert_eq!(second.version, first.version + 1);
    assert_eq!(second.seqs, [first.seqs[0] + 1]);
    let again = b
        .execute(keyed("admin", join("sales", "sasha"), "key-sasha"))
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.seqs, first.seqs);
    let stream = StreamId::Team(team_id("sales"));
    assert_eq!(b.read(|s| s.version_of(&stream)), second.version);
    let members: BTreeSet<String> = b.read(|s| {
        s.teams[&team_id("sales")]
            .members
            .iter()
            .map(|m| m.as_str().to_owned())
            .collect()
    });
    assert!(members.contains("sasha") && members.contains("sven"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_opens_while_another_commits_without_taking_new_records_for_damage() {
    // Given an instance appending without pause,
    let (place, a, b) = two_instances();
    setup(&a).await;
    drop(b);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writing = {
        let (a, stop) = (a.clone(), stop.clone());
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                run(&a, "admin", join("sales", &format!("s-{i}")))
                    .await
                    .unwrap();
                i += 1;
            }
        })
    };
    // when other instances open on the database meanwhile, one after another,
    let clock = TestClock::at("2026-07-01T09:00:00Z");
    for _ in 0..20 {
        let (location, data, options) = (place.location.clone(), place.data(), clock.options());
        let opened =
            tokio::task::spawn_blocking(move || Ledger::open_at(&location, &data, options))
                .await
                .unwrap();
        // then every one opens (records committed after it read the head are not damage).
        let opened = opened.unwrap();
        assert!(opened.digest().seq >= 8);
        opened.close();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writing.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_signed_by_one_instance_is_found_by_the_other_and_kept_in_order() {
    // Given two instances with one signing key, and a checkpoint signed by the first,
    let place = Backend::Postgres.place();
    let clock = TestClock::at("2026-07-01T09:00:00Z");
    let a = place.ledger(&clock);
    setup(&a).await;
    let first = a.sign_checkpoint().unwrap();
    let b = place.ledger(&clock);
    until_caught_up(&b, first.size).await;
    // when the second signs one of a later head and the first is asked for it,
    run(&b, "admin", join("sales", "sven")).await.unwrap();
    let second = b.sign_checkpoint().unwrap();
    assert!(second.size > first.size);
    // then the first finds it, and both find the first's;
    assert_eq!(a.checkpoint_of(second.size).unwrap().note, second.note);
    assert_eq!(b.checkpoint_of(first.size).unwrap().note, first.note);
    // and an instance opened later lists them by size.
    a.close();
    b.close();
    let c = place.ledger(&clock);
    assert_eq!(c.checkpoint_sizes(), [first.size, second.size]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_waits_a_bounded_time_for_a_head_held_by_a_stuck_session_then_answers_retry() {
    // Given a ledger, and a session (not the ledger's, so no idle timeout ends it) that locks
    // the chain head and then sits idle,
    let place = Backend::Postgres.place();
    let ledger = place.ledger(&TestClock::at("2026-07-01T09:00:00Z"));
    setup(&ledger).await;
    let goal_ledger::store::Location::Postgres(url) = &place.location else {
        unreachable!("a PostgreSQL place")
    };
    let mut stuck = crate::support::postgres::psql_session(
        url,
        "BEGIN; SELECT seq FROM chain_head FOR UPDATE;",
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let held = || {
        crate::support::postgres::psql(
            url,
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'",
        ) == "1"
    };
    while !held() {
        assert!(
            Instant::now() < deadline,
            "the session did not take the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // when a write comes,
    let started = Instant::now();
    let refused = run(&ledger, "admin", join("sales", "sven")).await;
    // then it is refused as retryable once the wait is over, not left hanging,
    assert!(
        matches!(
            refused,
            Err(goal_ledger::ledger::AppendError::Unavailable(_))
        ),
        "{refused:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    // and once the session is gone the write goes through.
    drop(stuck.stdin.take());
    let _ = stuck.wait();
    run(&ledger, "admin", join("sales", "sven")).await.unwrap();
}
