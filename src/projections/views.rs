//! The stable JSON shapes of goals and teams, shared by the CLI's `--output json` and the HTTP
//! API. Fields may be added; none is renamed or removed.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{
    Actor, Ballot, Cadence, CarryTerms, Changes, Choice, ClosingOutcome, ClosingTerms, Cycle,
    CycleFigures, CycleName, Direction, Goal, GoalId, GoalStatus, Health, KrName, ProposalKind,
    State, Team, TeamId,
};

/// A key result with its latest value.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct KeyResultView {
    pub name: KrName,
    pub unit: String,
    pub baseline: f64,
    pub target: f64,
    pub direction: Direction,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// The latest checked-in value, if any.
    pub current: Option<f64>,
    pub health: Option<Health>,
    pub confidence: Option<u8>,
    /// Progress from baseline (0.0) to target (1.0), from the latest value.
    pub progress: Option<f64>,
    pub checked_in_at: Option<DateTime<Utc>>,
}

/// A vote as it stands.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VoteView {
    pub voter: Actor,
    pub choice: Choice,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub seq: u64,
    pub at: DateTime<Utc>,
}

/// An open proposal.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProposalView {
    pub id: u32,
    /// `adoption`, `adjustment`, `closing`, `reopening` or `carry-over`.
    pub kind: String,
    pub rule: String,
    pub proposed_by: Actor,
    pub reason: String,
    pub opened_at: DateTime<Utc>,
    pub closes_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
    /// A closing proposal's terms: the outcome, score, summary and final values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closing: Option<ClosingTerms>,
    /// A carry-over proposal's terms: from and to which cycle, the new dates, baselines and
    /// targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carry_over: Option<CarryTerms>,
    /// Who may vote, by team.
    pub electorate: crate::domain::Electorate,
    /// Each voter's latest vote.
    pub votes: Vec<VoteView>,
    /// Members of the electorate who have not voted yet.
    pub waiting_for: Vec<Actor>,
}

/// An action item of the goal's post-mortem, by its number.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ActionItemView {
    pub item: u32,
    pub owner: Actor,
    pub due: NaiveDate,
    /// `open`, `done` or `dropped`.
    pub status: String,
    /// The record that noted it.
    pub seq: u64,
}

/// A goal as `show` and `GET /goals/{id}` present it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GoalView {
    pub id: GoalId,
    pub title: String,
    pub description: String,
    pub status: GoalStatus,
    pub teams: Vec<TeamId>,
    pub parent: Option<GoalId>,
    pub start: NaiveDate,
    pub due: NaiveDate,
    /// The cycle it belongs to: the one it was proposed or carried into, else the one
    /// containing its start; absent when no cycle does.
    #[serde(default)]
    pub cycle: Option<CycleName>,
    /// The cycles it was carried out of, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub carried_from: Vec<CycleName>,
    /// How often its key results are checked in.
    pub cadence: Cadence,
    pub rule: String,
    pub version: u64,
    pub health: Option<Health>,
    pub key_results: Vec<KeyResultView>,
    pub open_proposal: Option<ProposalView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ClosingOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub proposed_by: Actor,
    pub proposed_at: DateTime<Utc>,
    pub adopted_at: Option<DateTime<Utc>>,
    pub adjustments: u32,
    pub check_ins: u64,
    pub notes: u64,
    /// The post-mortem's action items, open and resolved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub action_items: Vec<ActionItemView>,
    pub updated_at: DateTime<Utc>,
    /// The sequence number of the goal's latest record.
    pub last_seq: u64,
}

impl GoalView {
    /// The view of `goal` with its cycle as `state` places it.
    pub fn of(goal: &Goal, state: &State) -> GoalView {
        GoalView {
            cycle: state.cycle_of(goal).cloned(),
            ..GoalView::from(goal)
        }
    }

    /// Progress of the whole goal: its key results' progress, weighted (1 where no weight is
    /// set), over those checked in; `None` before the first check-in.
    pub fn progress(&self) -> Option<f64> {
        let (sum, weights) = self
            .key_results
            .iter()
            .filter_map(|kr| Some((kr.progress?, kr.weight.unwrap_or(1.0))))
            .fold((0.0, 0.0), |(s, w), (p, weight)| {
                (s + p * weight, w + weight)
            });
        (weights > 0.0).then(|| sum / weights)
    }
}

impl From<&Goal> for GoalView {
    fn from(g: &Goal) -> GoalView {
        let d = &g.definition;
        GoalView {
            id: g.id.clone(),
            title: d.title.clone(),
            description: d.description.clone(),
            status: g.status,
            teams: d.teams.clone(),
            parent: d.parent.clone(),
            start: d.start,
            due: d.due,
            cycle: g.cycle.clone(),
            carried_from: g.carried.iter().map(|c| c.from.clone()).collect(),
            cadence: d.cadence(),
            rule: g.rule.to_string(),
            version: g.version,
            health: g.health(),
            key_results: d
                .key_results
                .iter()
                .map(|kr| {
                    let current = g.current.get(&kr.name);
                    KeyResultView {
                        name: kr.name.clone(),
                        unit: kr.unit.clone(),
                        baseline: kr.baseline,
                        target: kr.target,
                        direction: kr.direction,
                        weight: kr.weight,
                        current: current.map(|c| c.value),
                        health: current.map(|c| c.health),
                        confidence: current.and_then(|c| c.confidence),
                        progress: current.map(|c| kr.progress(c.value)),
                        checked_in_at: current.map(|c| c.at),
                    }
                })
                .collect(),
            open_proposal: g.open_proposal.as_ref().map(|p| ProposalView {
                id: p.id,
                kind: p.kind.name().to_owned(),
                rule: p.rule.to_string(),
                proposed_by: p.proposed_by.clone(),
                reason: p.reason.clone(),
                opened_at: p.opened_at,
                closes_at: p.closes_at,
                changes: match &p.kind {
                    ProposalKind::Adjustment { changes } => Some((**changes).clone()),
                    _ => None,
                },
                closing: match &p.kind {
                    ProposalKind::Closing { closing } => Some((**closing).clone()),
                    _ => None,
                },
                carry_over: match &p.kind {
                    ProposalKind::CarryOver { carry } => Some((**carry).clone()),
                    _ => None,
                },
                electorate: p.electorate.clone(),
                votes: p
                    .votes
                    .iter()
                    .map(|(voter, b)| vote_view(voter, b))
                    .collect(),
                waiting_for: p
                    .electorate
                    .voters()
                    .into_iter()
                    .filter(|v| !p.votes.contains_key(*v))
                    .cloned()
                    .collect(),
            }),
            outcome: g.closing.as_ref().map(|c| c.outcome),
            score: g.closing.as_ref().map(|c| c.score),
            summary: g.closing.as_ref().map(|c| c.summary.clone()),
            proposed_by: g.proposed_by.clone(),
            proposed_at: g.proposed_at,
            adopted_at: g.adopted_at,
            adjustments: g.adjustments,
            check_ins: g.check_ins,
            notes: g.notes,
            action_items: g
                .action_items
                .iter()
                .map(|(item, a)| ActionItemView {
                    item: *item,
                    owner: a.owner.clone(),
                    due: a.due,
                    status: a
                        .resolved
                        .map_or_else(|| "open".to_owned(), |r| r.to_string()),
                    seq: a.seq,
                })
                .collect(),
            updated_at: g.updated_at,
            last_seq: g.last_seq,
        }
    }
}

fn vote_view(voter: &Actor, b: &Ballot) -> VoteView {
    VoteView {
        voter: voter.clone(),
        choice: b.choice,
        reason: b.reason.clone(),
        seq: b.seq,
        at: b.at,
    }
}

/// A team as `team show` and `GET /teams/{id}` present it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TeamView {
    pub id: TeamId,
    pub name: String,
    pub members: Vec<Actor>,
    pub version: u64,
    pub registered_at: DateTime<Utc>,
    /// Goals the team owns now.
    pub goals: Vec<GoalId>,
}

impl TeamView {
    pub fn new(team: &Team, state: &crate::domain::State) -> TeamView {
        TeamView {
            id: team.id.clone(),
            name: team.name.clone(),
            members: team.members.iter().cloned().collect(),
            version: team.version,
            registered_at: team.registered_at,
            goals: state
                .goals
                .values()
                .filter(|g| g.definition.teams.contains(&team.id))
                .map(|g| g.id.clone())
                .collect(),
        }
    }
}

/// Filters for listing goals.
#[derive(Debug, Clone, Default)]
pub struct GoalFilter {
    pub status: Option<GoalStatus>,
    pub team: Option<TeamId>,
    pub cycle: Option<CycleName>,
}

/// Goals matching `filter`, by id.
pub fn list_goals(state: &crate::domain::State, filter: &GoalFilter) -> Vec<GoalView> {
    state
        .goals
        .values()
        .filter(|g| filter.status.is_none_or(|s| g.status == s))
        .filter(|g| {
            filter
                .team
                .as_ref()
                .is_none_or(|t| g.definition.teams.contains(t))
        })
        .filter(|g| {
            filter
                .cycle
                .as_ref()
                .is_none_or(|c| state.cycle_of(g) == Some(c))
        })
        .map(|g| GoalView::of(g, state))
        .collect()
}

/// A cycle as `cycle show` and `GET /cycles/{name}` present it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CycleView {
    pub name: CycleName,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// `open` or `closed`.
    pub status: String,
    pub opened_by: Actor,
    pub opened_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<Actor>,
    /// As recorded when the cycle closed; for an open cycle, as they stand now.
    pub figures: CycleFigures,
    /// Its adopted goals, those carried out of it included.
    pub goals: Vec<GoalId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<CycleName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<CycleName>,
}

impl CycleView {
    pub fn new(cycle: &Cycle, state: &State) -> CycleView {
        let closed = cycle.closed.as_ref();
        CycleView {
            name: cycle.name.clone(),
            start: cycle.start,
            end: cycle.end,
            status: if closed.is_some() { "closed" } else { "open" }.to_owned(),
            opened_by: cycle.opened_by.clone(),
            opened_at: cycle.opened_at,
            closed_at: closed.map(|c| c.at),
            closed_by: closed.map(|c| c.by.clone()),
            figures: closed.map_or_else(|| state.cycle_figures(&cycle.name), |c| c.figures.clone()),
            goals: state
                .goals_of_cycle(&cycle.name)
                .iter()
                .map(|g| g.id.clone())
                .collect(),
            previous: state.cycles.previous(&cycle.name).map(|c| c.name.clone()),
            next: state.cycles.next_after(&cycle.name).map(|c| c.name.clone()),
        }
    }
}
