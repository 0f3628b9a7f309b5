//! The part of a goal page that only the goal's own records decide (its report: history,
//! action items; its charts, drawn; and its timeline), kept per goal and used again while the goal's
//! stream has not moved. Without it every view of a goal page reads and decodes all of the
//! goal's records, most of the page's cost. A stream's version names its records exactly, so
//! a kept report of the same version is the one the records would give.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use maud::Markup;

use crate::domain::GoalId;
use crate::projections::timeline::{self, Entry};
use crate::record::Record;
use crate::render::chart;
use crate::report::GoalRetro;

/// Timeline entries kept in all, across goals: the bound on the memory the reports hold.
const MAX_ENTRIES: usize = 200_000;

/// One goal's report, its charts and its timeline, as of `version` of its stream.
#[derive(Debug)]
pub struct GoalReport {
    pub version: u64,
    pub retro: Option<GoalRetro>,
    /// The SVG chart of each of the report's key results, in order.
    pub charts: Vec<Markup>,
    pub timeline: Vec<Entry>,
}

impl GoalReport {
    /// The report of a goal's records (its whole stream, in order).
    pub fn of(records: &[Record]) -> GoalReport {
        let retro = crate::report::goal_retro(records);
        let charts = retro.as_ref().map_or_else(Vec::new, |r| {
            (r.key_results.iter())
                .map(|kr| chart::key_result(r, kr))
                .collect()
        });
        GoalReport {
            version: records.last().map_or(0, |r| r.envelope.version),
            retro,
            charts,
            timeline: records.iter().map(timeline::entry).collect(),
        }
    }
}

/// The kept reports, by goal.
#[derive(Debug)]
pub struct GoalReports {
    kept: Mutex<HashMap<GoalId, Arc<GoalReport>>>,
    /// The most timeline entries kept in all (`MAX_ENTRIES`).
    limit: usize,
}

impl Default for GoalReports {
    fn default() -> Self {
        GoalReports {
            kept: Mutex::default(),
            limit: MAX_ENTRIES,
        }
    }
}

impl GoalReports {
    /// The report kept for `goal` if it is of `version`.
    pub fn get(&self, goal: &GoalId, version: u64) -> Option<Arc<GoalReport>> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.get(goal).filter(|r| r.version == version).cloned()
    }

    /// Keeps `report` for `goal` (in place of an older one), making room by dropping others
    /// when the entries kept would pass the limit. A report larger than that is not kept.
    pub fn keep(&self, goal: GoalId, report: Arc<GoalReport>) {
        if report.timeline.len() > self.limit {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.get(&goal).is_some_and(|k| k.version >= report.version) {
            return;
        }
        kept.remove(&goal);
        let mut total: usize = kept.values().map(|r| r.timeline.len()).sum();
        while total + report.timeline.len() > self.limit {
            let Some(victim) = kept.keys().next().cloned() else {
                break;
            };
            total -= kept.remove(&victim).map_or(0, |r| r.timeline.len());
        }
        kept.insert(goal, report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Actor;
    use crate::record::Auth;

    fn report(version: u64, entries: usize) -> Arc<GoalReport> {
        let entry = Entry {
            seq: 1,
            at: chrono::DateTime::UNIX_EPOCH,
            stream: "goal:g".into(),
            actor: Actor::parse("alice").unwrap(),
            auth: Auth::local("alice", "host"),
            kind: "CheckInRecorded".into(),
            summary: String::new(),
        };
        Arc::new(GoalReport {
            version,
            retro: None,
            charts: Vec::new(),
            timeline: vec![entry; entries],
        })
    }

    fn goal(id: &str) -> GoalId {
        GoalId::parse(id).unwrap()
    }

    #[test]
    fn a_kept_report_answers_only_for_its_own_version_and_an_older_one_never_replaces_it() {
        let reports = GoalReports::default();
        reports.keep(goal("g"), report(3, 1));
        assert!(reports.get(&goal("g"), 3).is_some());
        assert!(reports.get(&goal("g"), 4).is_none(), "the goal moved on");
        reports.keep(goal("g"), report(2, 1));
        assert!(
            reports.get(&goal("g"), 3).is_some(),
            "a slower read of version 2"
        );
        reports.keep(goal("g"), report(4, 1));
        assert!(reports.get(&goal("g"), 4).is_some());
        assert!(reports.get(&goal("g"), 3).is_none());
    }

    #[test]
    fn the_reports_kept_stay_within_the_limit_of_entries() {
        let reports = GoalReports {
            kept: Mutex::default(),
            limit: 10,
        };
        reports.keep(goal("a"), report(1, 6));
        reports.keep(goal("b"), report(1, 6));
        assert!(reports.get(&goal("b"), 1).is_some());
        assert!(reports.get(&goal("a"), 1).is_none(), "dropped to make room");
        reports.keep(goal("c"), report(1, 11));
        assert!(
            reports.get(&goal("c"), 1).is_none(),
            "larger than the limit"
        );
        assert!(reports.get(&goal("b"), 1).is_some());
    }
}
