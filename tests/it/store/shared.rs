//! What only a database that several instances share must do besides the conformance
//! routines: instances opening a new database at once apply each migration once; a database
//! of a newer schema is refused, not written to; a snapshot saved by an instance that is
//! behind never replaces a later one; records past the head are named, not overwritten; a store
//! handle is usable (and droppable) from any thread, inside an async runtime or not.

use goal_ledger::store::{self, StoreError};

use goal_ledger::record::Digest;

use super::conformance::{batch, sample_lines};
use super::Backend;
use crate::support::postgres::psql;

fn url(place: &super::Place) -> String {
    match &place.location {
        store::Location::Postgres(url) => url.clone(),
        store::Location::Dir(_) => panic!("a PostgreSQL place"),
    }
}

#[test]
fn instances_opening_a_new_database_at_once_apply_each_migration_once() {
    let place = Backend::Postgres.place();
    let opened: Vec<_> = (0..8)
        .map(|_| {
            let location = place.location.clone();
            std::thread::spawn(move || {
                store::open(&location, &goal_ledger::config::store_options(true)).map(|s| s.head())
            })
        })
        .collect();
    for handle in opened {
        let head = handle.join().unwrap().unwrap().unwrap();
        assert_eq!(head.seq, 0);
    }
    let versions = psql(
        &url(&place),
        "SELECT count(*), max(version) FROM schema_migrations",
    );
    assert_eq!(versions, "1|1");
}

#[test]
fn a_database_of_a_newer_schema_is_refused_and_left_as_it_is() {
    let place = Backend::Postgres.place();
    drop(place.store());
    psql(
        &url(&place),
        "INSERT INTO schema_migrations (version) VALUES (99)",
    );
    let refused = store::open(&place.location, &goal_ledger::config::store_options(true))
        .err()
        .expect("a newer schema is refused");
    assert!(matches!(refused, StoreError::Corrupt(_)), "{refused}");
    assert!(
        refused.to_string().contains("schema version 99"),
        "{refused}"
    );
    assert_eq!(
        psql(&url(&place), "SELECT max(version) FROM schema_migrations"),
        "99"
    );
}

#[test]
fn a_snapshot_from_an_instance_that_is_behind_never_replaces_a_later_one() {
    let place = Backend::Postgres.place();
    let ahead = place.store();
    let behind = place.second_handle(&ahead);
    let entry = |v: &str| vec![(b"goal:g".to_vec(), Some(v.as_bytes().to_vec()))];
    ahead.save_snapshot(entry("at 20"), (20, 1), false).unwrap();
    behind
        .save_snapshot(entry("at 12"), (12, 1), false)
        .unwrap();
    assert_eq!(behind.snapshot_mark().unwrap(), Some((20, 1)));
    let kept: Vec<_> = behind.snapshot_entries().map(Result::unwrap).collect();
    assert_eq!(kept, [(b"goal:g".to_vec(), b"at 20".to_vec())]);
    // A snapshot of another format (a program upgrade) replaces it whatever its mark.
    behind
        .save_snapshot(entry("format 2"), (12, 2), true)
        .unwrap();
    assert_eq!(ahead.snapshot_mark().unwrap(), Some((12, 2)));
}

#[test]
fn a_store_is_used_and_dropped_from_a_current_thread_runtime_a_blocking_task_and_a_thread() {
    let place = Backend::Postgres.place();
    let store = place.store();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let in_task = runtime.block_on(async {
        let from_async = store.head().unwrap();
        let moved = store.clone();
        let from_blocking = tokio::task::spawn_blocking(move || moved.head().unwrap())
            .await
            .unwrap();
        assert_eq!(from_async, from_blocking);
        from_async
    });
    let moved = store.clone();
    let from_thread = std::thread::spawn(move || moved.head().unwrap())
        .join()
        .unwrap();
    assert_eq!(in_task, from_thread);
    // The last handle dropped inside an async context closes without blocking it.
    runtime.block_on(async move { drop(store) });
}

#[test]
fn records_past_the_head_are_named_as_damage_and_a_commit_over_them_writes_nothing() {
    // Given records 1 and 2, and a head set back to the empty ledger behind the store's back,
    let place = Backend::Postgres.place();
    let store = place.store();
    let lines = sample_lines();
    let _ = store.commit(Digest::EMPTY, batch(&lines, 1, 2)).unwrap();
    psql(
        &url(&place),
        "UPDATE chain_head SET seq = 0, hash = decode(repeat('00', 32), 'hex')",
    );
    // when a commit continues that head,
    let refused = store
        .commit(Digest::EMPTY, batch(&lines, 1, 1))
        .expect_err("record 1 is there already");
    // then it is refused as damage, and nothing of it was written.
    assert!(matches!(refused, StoreError::Corrupt(_)), "{refused}");
    assert!(
        refused.to_string().contains("records past its head"),
        "{refused}"
    );
    assert_eq!(store.head().unwrap(), Digest::EMPTY);
    assert_eq!(store.records_in(1, u64::MAX).count(), 2);
}
