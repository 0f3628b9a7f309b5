//! The store conformance tests: one routine per promise of the `Store` trait (`conformance.rs`),
//! run against every backend (the segment store in a data directory, and PostgreSQL on this
//! process's throwaway cluster), as Trillian Tessera's storage backends share one integration
//! routine; then what crosses between backends (an export of one imported into the other) and
//! the binary on both (`binary.rs`), and what only a database shared by instances must do
//! (`shared.rs`).

use std::path::PathBuf;
use std::sync::Arc;

use goal_ledger::ledger::{Archive, Ledger};
use goal_ledger::store::{self, Location, Store};

use crate::support::{temp_dir, TestClock};

mod binary;
mod conformance;
mod instances;
mod shared;

/// The sample quarter's head (`events/samples/quarterly-goals.jsonl`).
pub const SAMPLE_HEAD: &str =
    "217:4585e997d2a4f3d026748ec4dd17601c6ba95bacff363573ed2c02a8207400a2";

/// A storage backend under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Segments,
    Postgres,
}

/// A fresh, empty place for a ledger on one backend, and a data directory for its keys.
pub struct Place {
    pub backend: Backend,
    pub dir: tempfile::TempDir,
    pub location: Location,
}

impl Backend {
    pub fn place(self) -> Place {
        let dir = temp_dir();
        let location = match self {
            Backend::Segments => Location::Dir(dir.path().join("data")),
            Backend::Postgres => Location::Postgres(crate::support::postgres::database()),
        };
        Place {
            backend: self,
            dir,
            location,
        }
    }
}

impl Place {
    /// The data directory: the store itself for segments, the keys beside PostgreSQL.
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The ledger on this place, created if new, on a scripted clock.
    pub fn ledger(&self, clock: &TestClock) -> Ledger {
        Ledger::open_at(&self.location, &self.data(), clock.options()).unwrap()
    }

    /// The store itself, created if new.
    pub fn store(&self) -> Arc<dyn Store> {
        store::open(&self.location, &goal_ledger::config::store_options(true)).unwrap()
    }

    /// Another handle on the same store: on PostgreSQL another instance's; a data directory
    /// is held by one process (one handle), so there it is `first` again.
    pub fn second_handle(&self, first: &Arc<dyn Store>) -> Arc<dyn Store> {
        match self.backend {
            Backend::Segments => first.clone(),
            Backend::Postgres => self.store(),
        }
    }

    /// The store opened for auditing (verify, digest, export, tampering).
    pub fn archive(&self) -> Archive {
        Archive::open_at(&self.location).unwrap()
    }
}

/// Runs each routine of `conformance.rs` as a test on each backend:
/// `store::segments::<routine>` and `store::postgres::<routine>`.
macro_rules! on_every_store {
    ($($routine:ident),* $(,)?) => {
        mod segments {
            $(
                #[tokio::test]
                async fn $routine() {
                    super::conformance::$routine(super::Backend::Segments).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $routine() {
                    super::conformance::$routine(super::Backend::Postgres).await
                }
            )*
        }
    };
}

on_every_store!(
    appended_records_read_back_byte_for_byte_after_reopening,
    concurrent_writers_leave_no_gaps_and_every_page_of_the_log_reads_back,
    a_commit_on_a_stale_head_answers_head_moved_and_writes_nothing,
    a_retried_client_id_appends_nothing_even_after_reopening,
    stream_reads_and_the_search_by_time_agree_with_the_records,
    a_snapshot_reads_back_as_saved_and_a_replace_keeps_only_its_entries,
    a_reopened_ledger_starts_from_its_snapshot_in_the_same_state,
    tree_chunks_and_checkpoints_are_kept_in_order,
    verify_passes_on_the_sample_and_names_a_record_changed_behind_the_ledgers_back,
    bad_input_changes_nothing,
    opening_a_missing_ledger_for_audit_names_it_and_creates_nothing,
);
