//! A goal's retrospective: its data (`GoalRetro` and the parts it is made of, a stable JSON shape)
//! and how it is built from the records of the goal's stream: the definition as adopted and as
//! it ended, each key result from baseline through every target to its final value, the check-in
//! trajectory, the post-mortem notes and the figures that summarize the goal's life.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{days, round2};
use crate::domain::{
    Actor, ClosingOutcome, Event, Goal, GoalDefinition, GoalId, GoalStatus, Health, KeyResult,
    KrName, Resolution, Section, State, TeamId,
};
use crate::projections::apply_record;
use crate::projections::history::{self, Change, History};
use crate::record::Record;

/// One check-in on the trajectory of a key result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Point {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub value: f64,
    pub health: Health,
    pub confidence: Option<u8>,
    pub note: Option<String>,
    pub by: Actor,
    /// The check-in this one corrects.
    pub corrects: Option<u64>,
}

/// A target a key result had from a moment on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TargetStep {
    pub from: DateTime<Utc>,
    pub target: f64,
    /// The adjustment's reason, for steps after the first.
    pub reason: Option<String>,
    pub seq: u64,
}

/// A key result from baseline to final value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct KeyResultReport {
    pub name: KrName,
    pub unit: String,
    pub baseline: f64,
    /// The target when the goal was adopted, then each adjusted target.
    pub targets: Vec<TargetStep>,
    pub final_value: Option<f64>,
    /// Progress of the final value from baseline (0) to the last target (1).
    pub progress: Option<f64>,
    pub check_ins: Vec<Point>,
    /// Mean days between check-ins, and the longest gap in days.
    pub cadence_days: Option<f64>,
    pub longest_gap_days: Option<f64>,
}

/// A post-mortem note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NoteReport {
    pub section: Section,
    pub text: String,
    pub by: Actor,
    pub at: DateTime<Utc>,
    pub owner: Option<Actor>,
    pub due: Option<NaiveDate>,
    pub seq: u64,
    /// Action items only: the item's number on the goal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<u32>,
    /// Action items only: how it ended, once it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<ItemResolved>,
}

/// How and when an action item was resolved, and by whom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ItemResolved {
    pub status: Resolution,
    pub by: Actor,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ItemResolved {
    /// `done by alice on 2026-10-06: note` or `dropped by sam on 2026-10-06: reason`.
    pub fn describe(&self) -> String {
        let note = self
            .note
            .as_deref()
            .map(|n| format!(": {n}"))
            .unwrap_or_default();
        format!(
            "{} by {} on {}{note}",
            self.status,
            self.by,
            self.at.date_naive()
        )
    }
}

/// Figures that summarize the goal's life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Figures {
    /// From adoption to closing (or to the last record, while open).
    pub days_active: Option<f64>,
    pub adjustments: u32,
    pub proposals: u32,
    pub check_ins: u64,
    pub corrections: u64,
    pub votes: u64,
    /// Mean time from proposal to decision, in hours.
    pub mean_consensus_hours: Option<f64>,
}

/// A goal's retrospective. A stable JSON shape: fields may be added, none renamed or removed.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GoalRetro {
    pub goal: GoalId,
    pub title: String,
    pub status: GoalStatus,
    pub outcome: Option<ClosingOutcome>,
    pub score: Option<f64>,
    pub summary: Option<String>,
    pub teams: Vec<TeamId>,
    /// The definition when adoption was decided (absent if never adopted).
    pub as_adopted: Option<GoalDefinition>,
    /// The definition now (as it ended, for a closed goal).
    pub as_ended: GoalDefinition,
    pub adopted_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub key_results: Vec<KeyResultReport>,
    /// Every decided change: adoption, adjustments (accepted, rejected, withdrawn), closings.
    pub changes: Vec<Change>,
    pub notes: Vec<NoteReport>,
    pub figures: Figures,
    /// The last sequence number the report covers.
    pub as_of_seq: u64,
}

impl GoalRetro {
    /// The post-mortem notes grouped by section, in section order; empty sections left out.
    pub fn notes_by_section(&self) -> Vec<(Section, Vec<&NoteReport>)> {
        Section::ALL
            .into_iter()
            .map(|s| {
                (
                    s,
                    self.notes
                        .iter()
                        .filter(|n| n.section == s)
                        .collect::<Vec<_>>(),
                )
            })
            .filter(|(_, notes)| !notes.is_empty())
            .collect()
    }
}

/// What a walk over a goal's records gathers besides the state itself.
#[derive(Default)]
struct Walk {
    state: State,
    /// The definition when adoption was decided.
    as_adopted: Option<GoalDefinition>,
    /// Every check-in, per key result, in record order.
    points: BTreeMap<KrName, Vec<Point>>,
    notes: Vec<NoteReport>,
    votes: u64,
    corrections: u64,
}

/// Applies the records in order (stopping at the first that does not apply) and gathers what
/// the retrospective needs beyond the final state.
fn walk(records: &[Record], goal_id: &GoalId) -> Walk {
    let mut w = Walk::default();
    for record in records {
        if apply_record(&mut w.state, record).is_err() {
            break;
        }
        let (seq, at, by) = (
            record.envelope.seq,
            record.envelope.recorded_at,
            &record.envelope.actor,
        );
        match &record.event {
            Event::ProposalDecided(_) if w.as_adopted.is_none() => {
                if let Some(g) = w
                    .state
                    .goals
                    .get(goal_id)
                    .filter(|g| g.status == GoalStatus::Active)
                {
                    w.as_adopted = Some(g.definition.clone());
                }
            }
            Event::VoteCast(_) => w.votes += 1,
            Event::CheckInRecorded(c) => {
                w.corrections += u64::from(c.corrects.is_some());
                w.points
                    .entry(c.key_result.clone())
                    .or_default()
                    .push(Point {
                        seq,
                        at,
                        value: c.value,
                        health: c.health,
                        confidence: c.confidence,
                        note: c.note.clone(),
                        by: by.clone(),
                        corrects: c.corrects,
                    });
            }
            Event::PostMortemNoted(n) => w.notes.push(NoteReport {
                section: n.section,
                text: n.text.clone(),
                by: by.clone(),
                at,
                owner: n.owner.clone(),
                due: n.due,
                seq,
                item: n.item,
                resolved: None,
            }),
            Event::ActionItemResolved(e) => {
                let noted = w.notes.iter_mut().find(|n| n.item == Some(e.item));
                if let Some(n) = noted {
                    n.resolved = Some(ItemResolved {
                        status: e.status,
                        by: by.clone(),
                        at,
                        note: e.note.clone(),
                    });
                }
            }
            _ => {}
        }
    }
    w
}

/// The target `kr` had when the goal was adopted, then one step per adjustment of it.
fn target_steps(
    goal: &Goal,
    kr: &KeyResult,
    as_adopted: Option<&GoalDefinition>,
    history: &History,
) -> Vec<TargetStep> {
    let original = as_adopted
        .and_then(|d| d.key_result(&kr.name))
        .map(|k| k.target);
    let mut targets = vec![TargetStep {
        from: goal.adopted_at.unwrap_or(goal.proposed_at),
        target: original.unwrap_or(kr.target),
        reason: None,
        seq: 0,
    }];
    for change in history.entries.iter().filter(|c| c.kind == "adjusted") {
        let field = format!("key_results.{}.target", kr.name);
        if let Some(f) = change.changes.iter().find(|f| f.field == field) {
            if let Some(t) = f.after.as_f64() {
                targets.push(TargetStep {
                    from: change.at,
                    target: t,
                    reason: Some(change.reason.clone()),
                    seq: change.seq,
                });
            }
        }
    }
    targets
}

/// One key result of the report: targets, final value, progress and check-in cadence.
fn key_result_report(
    goal: &Goal,
    kr: &KeyResult,
    as_adopted: Option<&GoalDefinition>,
    history: &History,
    check_ins: Vec<Point>,
) -> KeyResultReport {
    let targets = target_steps(goal, kr, as_adopted, history);
    // A correction replaces the value it corrects on the trajectory.
    let effective: Vec<&Point> = check_ins
        .iter()
        .filter(|p| !check_ins.iter().any(|q| q.corrects == Some(p.seq)))
        .collect();
    let final_value = goal
        .closing
        .as_ref()
        .and_then(|c| c.final_values.get(&kr.name).copied())
        .or_else(|| effective.last().map(|p| p.value));
    let gaps: Vec<f64> = effective
        .windows(2)
        .map(|w| days(w[0].at, w[1].at))
        .collect();
    let last_target = targets.last().map_or(kr.target, |t| t.target);
    KeyResultReport {
        name: kr.name.clone(),
        unit: kr.unit.clone(),
        baseline: kr.baseline,
        progress: final_value.map(|v| {
            let span = last_target - kr.baseline;
            round2(if span == 0.0 {
                1.0
            } else {
                (v - kr.baseline) / span
            })
        }),
        targets,
        final_value,
        cadence_days: (!gaps.is_empty())
            .then(|| round2(gaps.iter().sum::<f64>() / gaps.len() as f64)),
        longest_gap_days: gaps.iter().copied().reduce(f64::max).map(round2),
        check_ins,
    }
}

/// The figures of a goal's life; `last_at` ends an open goal's active days.
fn figures(goal: &Goal, history: &History, walk: &Walk, last_at: DateTime<Utc>) -> Figures {
    let decided: Vec<i64> = history
        .entries
        .iter()
        .filter_map(|c| c.proposal.as_ref()?.took_seconds)
        .collect();
    Figures {
        days_active: goal
            .adopted_at
            .map(|a| round2(days(a, goal.closing.as_ref().map_or(last_at, |c| c.at)))),
        adjustments: goal.adjustments,
        proposals: goal.proposals,
        check_ins: goal.check_ins,
        corrections: walk.corrections,
        votes: walk.votes,
        mean_consensus_hours: (!decided.is_empty())
            .then(|| round2(decided.iter().sum::<i64>() as f64 / decided.len() as f64 / 3600.0)),
    }
}

/// Builds a goal's retrospective from the records of its stream.
pub fn goal_retro(records: &[Record]) -> Option<GoalRetro> {
    let history = history::build(records)?;
    let mut walk = walk(records, &history.goal);
    let goal = walk.state.goals.get(&history.goal)?;
    let last_at = records.last().map(|r| r.envelope.recorded_at)?;
    let closing = goal.closing.as_ref();
    let key_results = goal
        .definition
        .key_results
        .iter()
        .map(|kr| {
            let check_ins = walk.points.remove(&kr.name).unwrap_or_default();
            key_result_report(goal, kr, walk.as_adopted.as_ref(), &history, check_ins)
        })
        .collect();
    let figures = figures(goal, &history, &walk, last_at);
    Some(GoalRetro {
        goal: goal.id.clone(),
        title: goal.definition.title.clone(),
        status: goal.status,
        outcome: closing.map(|c| c.outcome),
        score: closing.map(|c| c.score),
        summary: closing.map(|c| c.summary.clone()),
        teams: goal.definition.teams.clone(),
        as_adopted: walk.as_adopted.clone(),
        as_ended: goal.definition.clone(),
        adopted_at: goal.adopted_at,
        closed_at: closing.map(|c| c.at),
        key_results,
        changes: history.entries,
        notes: walk.notes,
        figures,
        as_of_seq: records.last().map_or(0, |r| r.envelope.seq),
    })
}
