//! Folding events into state. `apply` is the only way state changes; replaying the same records
//! always gives the same `State`. It checks that each event fits the state it lands on, so an
//! imported or rebuilt log that does not replay cleanly is caught, never half-applied silently.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::consensus::Outcome;
use super::event::{Event, Role};
use super::goal::{Closing, Current, Direction, Goal, GoalDefinition, GoalStatus, KeyResult};
use super::ids::{Actor, GoalId, StreamId, TeamId, TokenHash};
use super::proposal::{Ballot, Changes, Proposal, ProposalKind};
use super::team::Team;

/// Every goal and team as of `seq`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub teams: BTreeMap<TeamId, Team>,
    pub goals: BTreeMap<GoalId, Goal>,
    /// The last sequence number applied.
    pub seq: u64,
    /// Open proposals with a closing time, soonest first: what `tick` looks at.
    #[serde(skip)]
    pub deadlines: BTreeSet<(DateTime<Utc>, GoalId)>,
    pub access: Access,
}

/// Every token ever granted, by hash, and the access stream's version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Access {
    pub tokens: BTreeMap<TokenHash, Grant>,
    pub version: u64,
}

/// One token grant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    pub actor: Actor,
    pub role: Role,
    pub granted_by: Actor,
    pub granted_at: DateTime<Utc>,
    pub seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl State {
    /// Assembles a state from stored goals and teams, deriving the deadline index.
    pub fn from_parts(
        teams: BTreeMap<TeamId, Team>,
        goals: BTreeMap<GoalId, Goal>,
        access: Access,
        seq: u64,
    ) -> State {
        let deadlines = goals
            .values()
            .filter_map(|g| Some((g.open_proposal.as_ref()?.closes_at?, g.id.clone())))
            .collect();
        State {
            teams,
            goals,
            seq,
            deadlines,
            access,
        }
    }

    /// The version of a stream: how many events it holds (0 if none).
    pub fn version_of(&self, stream: &StreamId) -> u64 {
        match stream {
            StreamId::Goal(id) => self.goals.get(id).map_or(0, |g| g.version),
            StreamId::Team(id) => self.teams.get(id).map_or(0, |t| t.version),
            StreamId::Access => self.access.version,
        }
    }
}

/// The record facts `apply` needs besides the event.
#[derive(Debug, Clone, Copy)]
pub struct Meta<'a> {
    pub seq: u64,
    pub version: u64,
    pub at: DateTime<Utc>,
    pub actor: &'a Actor,
}

/// An event that does not fit the state it is applied to: the log is not one this program wrote
/// or could have written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {seq}: {problem}")]
pub struct Inconsistency {
    pub seq: u64,
    pub problem: String,
}

/// Applies `changes` to a definition (and the goal's rule). Used by `decide` to check the result
/// and by `apply` to take it.
pub fn apply_changes(def: &GoalDefinition, changes: &Changes) -> GoalDefinition {
    let mut def = def.clone();
    if let Some(title) = &changes.title {
        def.title = title.clone();
    }
    if let Some(description) = &changes.description {
        def.description = description.clone();
    }
    if let Some(start) = changes.start {
        def.start = start;
    }
    if let Some(due) = changes.due {
        def.due = due;
    }
    def.key_results
        .retain(|kr| !changes.drop_key_results.contains(&kr.name));
    for kr in &mut def.key_results {
        if let Some(target) = changes.targets.get(&kr.name) {
            kr.target = *target;
            kr.direction = Direction::between(kr.baseline, kr.target);
        }
    }
    for spec in &changes.add_key_results {
        def.key_results.push(KeyResult {
            name: spec.name.clone(),
            unit: spec.unit.clone(),
            baseline: spec.baseline,
            target: spec.target,
            direction: Direction::between(spec.baseline, spec.target),
            weight: spec.weight,
        });
    }
    if let Some(teams) = &changes.teams {
        let mut teams = teams.clone();
        teams.sort();
        teams.dedup();
        def.teams = teams;
    }
    if let Some(parent) = &changes.parent {
        def.parent = Some(parent.clone());
    }
    def
}

/// Folds one event into the state.
pub fn apply(state: &mut State, meta: Meta<'_>, event: &Event) -> Result<(), Inconsistency> {
    let fail = |problem: String| Inconsistency {
        seq: meta.seq,
        problem,
    };
    if meta.seq <= state.seq {
        return Err(fail(format!(
            "sequence numbers must grow: {} follows {}",
            meta.seq, state.seq
        )));
    }
    let stream = event.stream();
    let expected_version = state.version_of(&stream) + 1;
    if meta.version != expected_version {
        return Err(fail(format!(
            "{stream} is at version {}, so this record should have version {expected_version}, not {}",
            expected_version - 1,
            meta.version
        )));
    }
    match event {
        Event::TeamRegistered(e) => {
            if state.teams.contains_key(&e.team) {
                return Err(fail(format!("team {} registered twice", e.team)));
            }
            state.teams.insert(
                e.team.clone(),
                Team {
                    id: e.team.clone(),
                    name: e.name.clone(),
                    members: Default::default(),
                    version: 0,
                    registered_at: meta.at,
                    last_seq: 0,
                },
            );
        }
        Event::MemberJoined(e) => {
            let team =
                team_mut(state, &e.team).ok_or_else(|| fail(format!("unknown team {}", e.team)))?;
            if !team.members.insert(e.member.clone()) {
                return Err(fail(format!("{} joined {} twice", e.member, e.team)));
            }
        }
        Event::MemberLeft(e) => {
            let team =
                team_mut(state, &e.team).ok_or_else(|| fail(format!("unknown team {}", e.team)))?;
            if !team.members.remove(&e.member) {
                return Err(fail(format!(
                    "{} left {} without being a member",
                    e.member, e.team
                )));
            }
        }
        Event::GoalProposed(e) => {
            if state.goals.contains_key(&e.goal) {
                return Err(fail(format!("goal {} proposed twice", e.goal)));
            }
            state.goals.insert(
                e.goal.clone(),
                Goal {
                    id: e.goal.clone(),
                    definition: e.definition.clone(),
                    rule: e.rule,
                    status: GoalStatus::Proposed,
                    version: 0,
                    proposed_by: meta.actor.clone(),
                    proposed_at: meta.at,
                    adopted_at: None,
                    open_proposal: Some(opened(
                        e.proposal,
                        ProposalKind::Adoption,
                        e.rule,
                        &e.electorate,
                        &e.reason,
                        e.closes_at,
                        meta,
                    )),
                    proposals: e.proposal,
                    adjustments: 0,
                    current: BTreeMap::new(),
                    check_ins: 0,
                    notes: 0,
                    closing: None,
                    ever_teams: e.definition.teams.iter().cloned().collect(),
                    updated_at: meta.at,
                    last_seq: 0,
                },
            );
        }
        Event::AdjustmentProposed(e) => {
            let goal =
                goal_mut(state, &e.goal).ok_or_else(|| fail(format!("unknown goal {}", e.goal)))?;
            if goal.open_proposal.is_some() || e.proposal != goal.proposals + 1 {
                return Err(fail(format!(
                    "proposal {} cannot open on {}",
                    e.proposal, e.goal
                )));
            }
            goal.proposals = e.proposal;
            let kind = ProposalKind::Adjustment {
                changes: Box::new(e.changes.clone()),
            };
            goal.open_proposal = Some(opened(
                e.proposal,
                kind,
                e.rule,
                &e.electorate,
                &e.reason,
                e.closes_at,
                meta,
            ));
        }
        Event::VoteCast(e) => {
            let goal =
                goal_mut(state, &e.goal).ok_or_else(|| fail(format!("unknown goal {}", e.goal)))?;
            let proposal = open_proposal(goal, e.proposal).map_err(fail)?;
            proposal.votes.insert(
                meta.actor.clone(),
                Ballot {
                    choice: e.choice,
                    reason: e.reason.clone(),
                    seq: meta.seq,
                    at: meta.at,
                },
            );
        }
        Event::ProposalDecided(e) => {
            let goal =
                goal_mut(state, &e.goal).ok_or_else(|| fail(format!("unknown goal {}", e.goal)))?;
            open_proposal(goal, e.proposal).map_err(fail)?;
            let proposal = goal.open_proposal.take();
            if matches!(proposal.map(|p| p.kind), Some(ProposalKind::Adoption)) {
                goal.status = match e.outcome {
                    Outcome::Accepted => {
                        goal.adopted_at = Some(meta.at);
                        GoalStatus::Active
                    }
                    Outcome::Rejected => GoalStatus::Rejected,
                };
            }
        }
        Event::ProposalWithdrawn(e) => {
            let goal =
                goal_mut(state, &e.goal).ok_or_else(|| fail(format!("unknown goal {}", e.goal)))?;
            open_proposal(goal, e.proposal).map_err(fail)?;
            if matches!(
                goal.open_proposal.take().map(|p| p.kind),
                Some(ProposalKind::Adoption)
            ) {
                goal.status = GoalStatus::Withdrawn;
            }
        }
        Event::GoalAdjusted(e) => {
            let goal =
                goal_mut(state, &e.goal).ok_or_else(|| fail(format!("unknown goal {}", e.goal)))?;
            goal.definition = apply_changes(&goal.definition, &e.changes);
            if let Some(rule) = e.changes.rule {
                goal.rule = rule;
            }
            for kr in &e.changes.drop_key_results {
                goal.current.remove(kr);
            }
            goal.ever_teams
                .extend(goal.definition.teams.iter().cloned());
            goal.adjustments += 1;
        }
        Event::CheckInRecorded(e) => {
            let goal =
                goal_mut(state, &e.goal).ok_or_else(|| fail(format!("unknown goal {}", e.goal)))?;
            goal.current.insert(
                e.key_result.clone(),
                Current {
                    value: e.value,
                    health: e.health,
                    confidence: e.confidence,
                    seq: meta.seq,
                    at: meta.at,
                    by: meta.actor.clone(),
                },
            );
            goal.check_ins += 1;
        }
        Event::GoalClosed(e) => {
            let goal =
                goal_mut(state, &e.goal).ok_or_else(|| fail(format!("unknown goal {}", e.goal)))?;
            goal.status = GoalStatus::Closed;
            goal.closing = Some(Closing {
                outcome: e.outcome,
                score: e.score,
                summary: e.summary.clone(),
                final_values: e.final_values.clone(),
                seq: meta.seq,
                at: meta.at,
                by: meta.actor.clone(),
            });
        }
        Event::GoalReopened(e) => {
            let goal =
                goal_mut(state, &e.goal).ok_or_else(|| fail(format!("unknown goal {}", e.goal)))?;
            goal.status = GoalStatus::Active;
            goal.closing = None;
        }
        Event::TokenGranted(e) => {
            let grant = Grant {
                actor: e.actor.clone(),
                role: e.role,
                granted_by: meta.actor.clone(),
                granted_at: meta.at,
                seq: meta.seq,
                revoked_at: None,
            };
            if state.access.tokens.insert(e.token.clone(), grant).is_some() {
                return Err(fail("a token was granted twice".to_owned()));
            }
        }
        Event::TokenRevoked(e) => match state.access.tokens.get_mut(&e.token) {
            Some(grant) if grant.revoked_at.is_none() => grant.revoked_at = Some(meta.at),
            _ => {
                return Err(fail(
                    "a token was revoked that was not granted or already revoked".to_owned(),
                ))
            }
        },
        Event::PostMortemNoted(e) => {
            let goal =
                goal_mut(state, &e.goal).ok_or_else(|| fail(format!("unknown goal {}", e.goal)))?;
            goal.notes += 1;
        }
    }
    match &stream {
        StreamId::Goal(id) => {
            state.deadlines.retain(|(_, g)| g != id);
            if let Some(goal) = state.goals.get_mut(id) {
                if let Some(at) = goal.open_proposal.as_ref().and_then(|p| p.closes_at) {
                    state.deadlines.insert((at, id.clone()));
                }
                goal.version = meta.version;
                goal.last_seq = meta.seq;
                goal.updated_at = meta.at;
            }
        }
        StreamId::Team(id) => {
            if let Some(team) = state.teams.get_mut(id) {
                team.version = meta.version;
                team.last_seq = meta.seq;
            }
        }
        StreamId::Access => state.access.version = meta.version,
    }
    state.seq = meta.seq;
    Ok(())
}

/// A proposal as it opens: proposed by the record's actor, with no votes yet.
fn opened(
    id: u32,
    kind: ProposalKind,
    rule: super::consensus::Rule,
    electorate: &super::consensus::Electorate,
    reason: &str,
    closes_at: Option<DateTime<Utc>>,
    meta: Meta<'_>,
) -> Proposal {
    Proposal {
        id,
        kind,
        rule,
        electorate: electorate.clone(),
        proposed_by: meta.actor.clone(),
        reason: reason.to_owned(),
        opened_seq: meta.seq,
        opened_at: meta.at,
        closes_at,
        votes: BTreeMap::new(),
    }
}

fn team_mut<'s>(state: &'s mut State, id: &TeamId) -> Option<&'s mut Team> {
    state.teams.get_mut(id)
}

fn goal_mut<'s>(state: &'s mut State, id: &GoalId) -> Option<&'s mut Goal> {
    state.goals.get_mut(id)
}

fn open_proposal(goal: &mut Goal, id: u32) -> Result<&mut Proposal, String> {
    match goal.open_proposal.as_mut() {
        Some(p) if p.id == id => Ok(p),
        _ => Err(format!("goal {} has no open proposal {id}", goal.id)),
    }
}
