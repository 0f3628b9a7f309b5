//! Retrospectives, built from projections only: a goal's report (definition as adopted and as it
//! ended, outcome, key results from baseline through every target to the final value, the
//! check-in trajectory, every adjustment with its votes, the post-mortem notes and figures such
//! as days active and check-in gaps), a team's report over a period, and their renderings:
//! Markdown (`markdown.rs`), HTML with SVG charts (`html.rs`, `chart.rs`) and JSON (the structs).

pub mod chart;
pub mod html;
pub mod markdown;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{
    Actor, ClosingOutcome, Event, GoalDefinition, GoalId, GoalStatus, Health, KrName, Section,
    State, TeamId,
};
use crate::projections::apply_record;
use crate::projections::history::{self, Change};
use crate::record::Record;

/// One check-in on the trajectory of a key result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetStep {
    pub from: DateTime<Utc>,
    pub target: f64,
    /// The adjustment's reason, for steps after the first.
    pub reason: Option<String>,
    pub seq: u64,
}

/// A key result from baseline to final value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteReport {
    pub section: Section,
    pub text: String,
    pub by: Actor,
    pub at: DateTime<Utc>,
    pub owner: Option<Actor>,
    pub due: Option<NaiveDate>,
    pub seq: u64,
}

/// Figures that summarize the goal's life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
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

fn days(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds() as f64 / 86_400.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Builds a goal's retrospective from the records of its stream.
pub fn goal_retro(records: &[Record]) -> Option<GoalRetro> {
    let history = history::build(records)?;
    let mut state = State::default();
    let mut as_adopted = None;
    let mut points: BTreeMap<KrName, Vec<Point>> = BTreeMap::new();
    let mut notes = Vec::new();
    let mut votes = 0;
    let mut corrections = 0;
    let goal_id = history.goal.clone();
    for record in records {
        if apply_record(&mut state, record).is_err() {
            break;
        }
        let (seq, at, by) = (
            record.envelope.seq,
            record.envelope.recorded_at,
            &record.envelope.actor,
        );
        match &record.event {
            Event::ProposalDecided(_) if as_adopted.is_none() => {
                if let Some(g) = state
                    .goals
                    .get(&goal_id)
                    .filter(|g| g.status == GoalStatus::Active)
                {
                    as_adopted = Some(g.definition.clone());
                }
            }
            Event::VoteCast(_) => votes += 1,
            Event::CheckInRecorded(c) => {
                corrections += u64::from(c.corrects.is_some());
                points.entry(c.key_result.clone()).or_default().push(Point {
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
            Event::PostMortemNoted(n) => notes.push(NoteReport {
                section: n.section,
                text: n.text.clone(),
                by: by.clone(),
                at,
                owner: n.owner.clone(),
                due: n.due,
                seq,
            }),
            _ => {}
        }
    }
    let goal = state.goals.get(&goal_id)?;
    let closing = goal.closing.as_ref();
    let last_at = records.last().map(|r| r.envelope.recorded_at)?;
    let key_results = goal
        .definition
        .key_results
        .iter()
        .map(|kr| {
            let original = as_adopted
                .as_ref()
                .and_then(|d: &GoalDefinition| d.key_result(&kr.name))
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
            let check_ins = points.remove(&kr.name).unwrap_or_default();
            // A correction replaces the value it corrects on the trajectory.
            let effective: Vec<&Point> = check_ins
                .iter()
                .filter(|p| !check_ins.iter().any(|q| q.corrects == Some(p.seq)))
                .collect();
            let final_value = closing
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
        })
        .collect();
    let decided: Vec<i64> = history
        .entries
        .iter()
        .filter_map(|c| c.proposal.as_ref()?.took_seconds)
        .collect();
    let figures = Figures {
        days_active: goal
            .adopted_at
            .map(|a| round2(days(a, closing.map_or(last_at, |c| c.at)))),
        adjustments: goal.adjustments,
        proposals: goal.proposals,
        check_ins: goal.check_ins,
        corrections,
        votes,
        mean_consensus_hours: (!decided.is_empty())
            .then(|| round2(decided.iter().sum::<i64>() as f64 / decided.len() as f64 / 3600.0)),
    };
    Some(GoalRetro {
        goal: goal.id.clone(),
        title: goal.definition.title.clone(),
        status: goal.status,
        outcome: closing.map(|c| c.outcome),
        score: closing.map(|c| c.score),
        summary: closing.map(|c| c.summary.clone()),
        teams: goal.definition.teams.clone(),
        as_adopted,
        as_ended: goal.definition.clone(),
        adopted_at: goal.adopted_at,
        closed_at: closing.map(|c| c.at),
        key_results,
        changes: history.entries,
        notes,
        figures,
        as_of_seq: records.last().map_or(0, |r| r.envelope.seq),
    })
}

/// One goal in a period report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GoalLine {
    pub goal: GoalId,
    pub title: String,
    pub status: GoalStatus,
    pub outcome: Option<ClosingOutcome>,
    pub score: Option<f64>,
    pub adjustments: u32,
    pub due: NaiveDate,
}

/// An open action item across goals.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionItem {
    pub goal: GoalId,
    pub text: String,
    pub owner: Option<Actor>,
    pub due: Option<NaiveDate>,
}

/// A lesson, with the goal it came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Lesson {
    pub goal: GoalId,
    pub text: String,
    pub by: Actor,
}

/// A team's retrospective over a period: the adopted goals it owned that were due or closed in it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TeamRetro {
    pub team: TeamId,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub goals: Vec<GoalLine>,
    /// Closed goals achieved, out of closed goals.
    pub hit_rate: Option<f64>,
    pub average_score: Option<f64>,
    pub adjustments_per_goal: Option<f64>,
    pub action_items: Vec<ActionItem>,
    pub lessons: Vec<Lesson>,
}

/// Builds a team's period report from the retrospectives of the goals it owns or owned.
pub fn team_retro(
    team: &TeamId,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
    goals: &[GoalRetro],
) -> TeamRetro {
    let in_period = |g: &&GoalRetro| {
        if g.adopted_at.is_none() {
            // Never adopted (rejected or withdrawn): nothing to reflect on here.
            return false;
        }
        let day = g.closed_at.map_or(g.as_ended.due, |c| c.date_naive());
        since.is_none_or(|s| day >= s) && until.is_none_or(|u| day <= u)
    };
    let chosen: Vec<&GoalRetro> = goals.iter().filter(in_period).collect();
    let closed: Vec<&&GoalRetro> = chosen.iter().filter(|g| g.outcome.is_some()).collect();
    let scores: Vec<f64> = closed.iter().filter_map(|g| g.score).collect();
    let mean =
        |xs: &[f64]| (!xs.is_empty()).then(|| round2(xs.iter().sum::<f64>() / xs.len() as f64));
    TeamRetro {
        team: team.clone(),
        since,
        until,
        goals: chosen
            .iter()
            .map(|g| GoalLine {
                goal: g.goal.clone(),
                title: g.title.clone(),
                status: g.status,
                outcome: g.outcome,
                score: g.score,
                adjustments: g.figures.adjustments,
                due: g.as_ended.due,
            })
            .collect(),
        hit_rate: (!closed.is_empty()).then(|| {
            let hits = closed
                .iter()
                .filter(|g| g.outcome == Some(ClosingOutcome::Achieved))
                .count();
            round2(hits as f64 / closed.len() as f64)
        }),
        average_score: mean(&scores),
        adjustments_per_goal: mean(
            &chosen
                .iter()
                .map(|g| f64::from(g.figures.adjustments))
                .collect::<Vec<_>>(),
        ),
        action_items: chosen
            .iter()
            .flat_map(|g| {
                g.notes
                    .iter()
                    .filter(|n| n.section == Section::ActionItem)
                    .map(|n| ActionItem {
                        goal: g.goal.clone(),
                        text: n.text.clone(),
                        owner: n.owner.clone(),
                        due: n.due,
                    })
            })
            .collect(),
        lessons: chosen
            .iter()
            .flat_map(|g| {
                g.notes
                    .iter()
                    .filter(|n| n.section == Section::Lesson)
                    .map(|n| Lesson {
                        goal: g.goal.clone(),
                        text: n.text.clone(),
                        by: n.by.clone(),
                    })
            })
            .collect(),
    }
}
