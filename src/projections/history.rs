//! History: the answer to "why did this goal change?". One entry per decision or change (adoption,
//! rejection, withdrawal, adjustment, closing, reopening) with every field's before → after, the
//! reason, who proposed it and how that was established (`auth`: a token, a local write), every
//! vote (superseded ones marked), when it was decided and by what, and the sequence numbers
//! involved. `build` walks the goal's stream; a `Builder` keeps the open
//! proposal and turns each decision, adjustment, withdrawal, closing or reopening into an entry.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{apply_record, timeline::describe_changes};
use crate::domain::{Actor, Choice, Event, Goal, GoalId, Outcome, State, StreamId};
use crate::record::{Auth, Record};

/// A goal's history, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct History {
    pub goal: GoalId,
    pub entries: Vec<Change>,
}

/// One field's value before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FieldChange {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

/// One vote as cast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Vote {
    pub voter: Actor,
    /// How the voter was established on the vote's record.
    pub auth: Auth,
    pub choice: Choice,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub seq: u64,
    pub at: DateTime<Utc>,
    /// A later vote by the same voter replaced this one.
    pub superseded: bool,
}

/// ` (local write by root@host)` for a local write, nothing for a token or the system: how text
/// output marks what did not come through a token.
pub fn local_mark(auth: &Auth) -> String {
    if auth.is_local() {
        format!(" ({auth})")
    } else {
        String::new()
    }
}

/// The votes in one line, `quote` rendering each reason and `mark` what follows each vote (its
/// `local_mark`, its time; escaped as the output needs): `sam disagree "…" (changed later); amir agree`.
pub fn votes_line(
    votes: &[Vote],
    quote: impl Fn(&str) -> String,
    mark: impl Fn(&Vote) -> String,
) -> String {
    if votes.is_empty() {
        return "no votes".to_owned();
    }
    votes
        .iter()
        .map(|v| {
            let reason = v
                .reason
                .as_deref()
                .map(|r| format!(" {}", quote(r)))
                .unwrap_or_default();
            let changed = if v.superseded { " (changed later)" } else { "" };
            let after = mark(v);
            format!("{} {}{reason}{changed}{after}", v.voter, v.choice)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The proposal behind a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProposalInfo {
    pub id: u32,
    pub kind: String,
    pub rule: String,
    pub proposed_by: Actor,
    /// How the proposer was established on the proposal's record.
    pub auth: Auth,
    pub proposed_at: DateTime<Utc>,
    pub votes: Vec<Vote>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    /// How long consensus took, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub took_seconds: Option<i64>,
}

/// One change of the goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Change {
    /// The record that made the change.
    pub seq: u64,
    pub at: DateTime<Utc>,
    /// adopted, rejected, withdrawn, adjusted, adjustment-rejected, adjustment-withdrawn,
    /// closed, closing-rejected, closing-withdrawn, reopened, reopening-rejected,
    /// reopening-withdrawn.
    pub kind: String,
    pub summary: String,
    pub changes: Vec<FieldChange>,
    pub reason: String,
    /// Who made the change happen (the proposer, or who closed/reopened it).
    pub by: Actor,
    /// How `by` was established on that record: `via: local` marks a change that did not come
    /// through a token, whose `by` is only a claim.
    pub auth: Auth,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal: Option<ProposalInfo>,
    /// Every record involved: proposal, votes, decision, change.
    pub seqs: Vec<u64>,
}

/// A proposal not decided yet, and what it will become an entry with.
struct Open {
    info: ProposalInfo,
    reason: String,
    seqs: Vec<u64>,
    summary: String,
}

/// The history as it is built: the proposal still open and the entries so far.
#[derive(Default)]
struct Builder {
    open: Option<Open>,
    entries: Vec<Change>,
}

/// Builds the history of the goal whose stream `records` is.
pub fn build(records: &[Record]) -> Option<History> {
    let goal_id = match &records.first()?.envelope.stream {
        StreamId::Goal(g) => g.clone(),
        _ => return None,
    };
    let mut state = State::default();
    let mut builder = Builder::default();
    for record in records {
        let before = state.goals.get(&goal_id).cloned();
        if apply_record(&mut state, record).is_err() {
            break;
        }
        builder.record(record, before.as_ref(), state.goals.get(&goal_id));
    }
    Some(History {
        goal: goal_id,
        entries: builder.entries,
    })
}

impl Builder {
    /// Takes one record of the stream, with the goal before and after it.
    fn record(&mut self, record: &Record, before: Option<&Goal>, after: Option<&Goal>) {
        let (seq, at, actor, auth) = (
            record.envelope.seq,
            record.envelope.recorded_at,
            &record.envelope.actor,
            &record.envelope.auth,
        );
        if let Some(open) = opening(&record.event, (actor, auth), seq, at) {
            self.open = Some(open);
            return;
        }
        match &record.event {
            Event::GoalCarriedOver(e) => {
                if let (Some(mut o), Some(before), Some(after)) = (self.open.take(), before, after)
                {
                    o.seqs.push(seq);
                    o.summary = carried_summary(e);
                    self.entries
                        .push(finish(o, seq, at, "carried-over", diff(before, after)));
                }
            }
            Event::VoteCast(e) => self.vote((actor, auth), e.choice, e.reason.clone(), seq, at),
            Event::ProposalDecided(e) => {
                self.decided(&e.explanation, e.outcome, seq, at, before, after);
            }
            Event::GoalAdjusted(_) => {
                if let (Some(mut o), Some(before), Some(after)) = (self.open.take(), before, after)
                {
                    o.seqs.push(seq);
                    self.entries
                        .push(finish(o, seq, at, "adjusted", diff(before, after)));
                }
            }
            Event::ProposalWithdrawn(e) => self.withdrawn(&e.reason, actor, seq, at, before, after),
            Event::GoalClosed(e) => self.took_effect(
                e.proposal,
                Change {
                    seq,
                    at,
                    kind: "closed".to_owned(),
                    summary: format!("closed as {} with score {:.2}", e.outcome, e.score),
                    changes: status_change(before, after),
                    reason: e.summary.clone(),
                    by: actor.clone(),
                    auth: auth.clone(),
                    proposal: None,
                    seqs: vec![seq],
                },
            ),
            Event::GoalReopened(e) => self.took_effect(
                e.proposal,
                Change {
                    seq,
                    at,
                    kind: "reopened".to_owned(),
                    summary: "reopened".to_owned(),
                    changes: status_change(before, after),
                    reason: e.reason.clone(),
                    by: actor.clone(),
                    auth: auth.clone(),
                    proposal: None,
                    seqs: vec![seq],
                },
            ),
            _ => {}
        }
    }

    /// A vote on the open proposal; the voter's earlier votes on it are superseded.
    fn vote(
        &mut self,
        (voter, auth): (&Actor, &Auth),
        choice: Choice,
        reason: Option<String>,
        seq: u64,
        at: DateTime<Utc>,
    ) {
        if let Some(o) = self.open.as_mut() {
            for v in o.info.votes.iter_mut().filter(|v| &v.voter == voter) {
                v.superseded = true;
            }
            o.info.votes.push(Vote {
                voter: voter.clone(),
                auth: auth.clone(),
                choice,
                reason,
                seq,
                at,
                superseded: false,
            });
            o.seqs.push(seq);
        }
    }

    /// The open proposal decided: an adoption or a rejected adjustment ends here; an accepted
    /// adjustment is completed by the `GoalAdjusted` that follows.
    fn decided(
        &mut self,
        explanation: &str,
        outcome: Outcome,
        seq: u64,
        at: DateTime<Utc>,
        before: Option<&Goal>,
        after: Option<&Goal>,
    ) {
        if let Some(o) = self.open.as_mut() {
            o.info.decision = Some(explanation.to_owned());
            o.info.decided_at = Some(at);
            o.info.took_seconds = Some((at - o.info.proposed_at).num_seconds());
            o.seqs.push(seq);
        }
        let adoption = self
            .open
            .as_ref()
            .is_some_and(|o| o.info.kind == "adoption");
        match (adoption, outcome) {
            (true, outcome) => {
                let kind = if outcome == Outcome::Accepted {
                    "adopted"
                } else {
                    "rejected"
                };
                if let Some(o) = self.open.take() {
                    self.entries
                        .push(finish(o, seq, at, kind, status_change(before, after)));
                }
            }
            (false, Outcome::Rejected) => {
                if let Some(o) = self.open.take() {
                    let kind = format!("{}-rejected", o.info.kind);
                    self.entries.push(finish(o, seq, at, &kind, vec![]));
                }
            }
            (false, Outcome::Accepted) => {}
        }
    }

    /// A closing or reopening took effect: it ends the entry of its accepted proposal, or is an
    /// entry of its own (`own`) when it was made without one.
    fn took_effect(&mut self, proposal: Option<u32>, own: Change) {
        let change = match self.open.take_if(|o| Some(o.info.id) == proposal) {
            Some(mut o) => {
                o.seqs.push(own.seq);
                o.summary = own.summary;
                finish(o, own.seq, own.at, &own.kind, own.changes)
            }
            None => own,
        };
        self.entries.push(change);
    }

    /// The open proposal withdrawn by `by`.
    fn withdrawn(
        &mut self,
        reason: &str,
        by: &Actor,
        seq: u64,
        at: DateTime<Utc>,
        before: Option<&Goal>,
        after: Option<&Goal>,
    ) {
        if let Some(mut o) = self.open.take() {
            o.seqs.push(seq);
            let kind = if o.info.kind == "adoption" {
                "withdrawn".to_owned()
            } else {
                format!("{}-withdrawn", o.info.kind)
            };
            o.summary = format!("{} (withdrawn by {by}: {reason})", o.summary);
            self.entries
                .push(finish(o, seq, at, &kind, status_change(before, after)));
        }
    }
}

/// The proposal `event` opens, if it opens one.
fn opening(event: &Event, by: (&Actor, &Auth), seq: u64, at: DateTime<Utc>) -> Option<Open> {
    // (proposal, kind, rule, reason, what it would do)
    let (id, kind, rule, reason, summary) = match event {
        Event::GoalProposed(e) => (
            e.proposal,
            "adoption",
            e.rule,
            &e.reason,
            format!("\"{}\"", e.definition.title),
        ),
        Event::AdjustmentProposed(e) => (
            e.proposal,
            "adjustment",
            e.rule,
            &e.reason,
            describe_changes(&e.changes),
        ),
        Event::ClosingProposed(e) => (
            e.proposal,
            "closing",
            e.rule,
            &e.summary,
            format!("close as {} with score {:.2}", e.outcome, e.score),
        ),
        Event::CarryOverProposed(e) => (
            e.proposal,
            "carry-over",
            e.rule,
            &e.reason,
            format!(
                "carry from {} into {} ({} to {})",
                e.from, e.to, e.start, e.due
            ),
        ),
        Event::ReopeningProposed(e) => {
            (e.proposal, "reopening", e.rule, &e.reason, "reopen".into())
        }
        _ => return None,
    };
    Some(Open {
        info: proposal_info(id, kind, rule.to_string(), by, at),
        reason: reason.clone(),
        seqs: vec![seq],
        summary,
    })
}

fn proposal_info(
    id: u32,
    kind: &'static str,
    rule: String,
    (by, auth): (&Actor, &Auth),
    at: DateTime<Utc>,
) -> ProposalInfo {
    ProposalInfo {
        id,
        kind: kind.to_owned(),
        rule,
        proposed_by: by.clone(),
        auth: auth.clone(),
        proposed_at: at,
        votes: vec![],
        decision: None,
        decided_at: None,
        took_seconds: None,
    }
}

fn finish(o: Open, seq: u64, at: DateTime<Utc>, kind: &str, changes: Vec<FieldChange>) -> Change {
    Change {
        seq,
        at,
        kind: kind.to_owned(),
        summary: o.summary,
        changes,
        reason: o.reason,
        by: o.info.proposed_by.clone(),
        auth: o.info.auth.clone(),
        proposal: Some(o.info),
        seqs: o.seqs,
    }
}

fn status_change(before: Option<&Goal>, after: Option<&Goal>) -> Vec<FieldChange> {
    match (before, after) {
        (Some(b), Some(a)) if b.status != a.status => vec![FieldChange {
            field: "status".to_owned(),
            before: json!(b.status),
            after: json!(a.status),
        }],
        _ => vec![],
    }
}

/// Every field that differs between two states of a goal.
/// A carry-over as its history entry says it, with the result of the cycle it left.
pub fn carried_summary(e: &crate::domain::event::GoalCarriedOver) -> String {
    let result: Vec<String> = e
        .previous
        .iter()
        .map(|(kr, r)| format!("{kr} {} ({:.0}% of the way)", r.value, r.progress * 100.0))
        .collect();
    format!(
        "carried from {} into {} ({} to {}); where {} left it: {}",
        e.from,
        e.to,
        e.start,
        e.due,
        e.from,
        result.join(", ")
    )
}

pub fn diff(before: &Goal, after: &Goal) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut field = |name: String, b: Value, a: Value| {
        if b != a {
            out.push(FieldChange {
                field: name,
                before: b,
                after: a,
            });
        }
    };
    let (b, a) = (&before.definition, &after.definition);
    field("title".into(), json!(b.title), json!(a.title));
    field(
        "description".into(),
        json!(b.description),
        json!(a.description),
    );
    field("teams".into(), json!(b.teams), json!(a.teams));
    field("parent".into(), json!(b.parent), json!(a.parent));
    field("start".into(), json!(b.start), json!(a.start));
    field("due".into(), json!(b.due), json!(a.due));
    field("rule".into(), json!(before.rule), json!(after.rule));
    field("cadence".into(), json!(b.cadence()), json!(a.cadence()));
    field("cycle".into(), json!(before.cycle), json!(after.cycle));
    for kr in &b.key_results {
        match a.key_result(&kr.name) {
            None => field(format!("key_results.{}", kr.name), json!(kr), Value::Null),
            Some(new) => {
                field(
                    format!("key_results.{}.baseline", kr.name),
                    json!(kr.baseline),
                    json!(new.baseline),
                );
                field(
                    format!("key_results.{}.target", kr.name),
                    json!(kr.target),
                    json!(new.target),
                );
                field(
                    format!("key_results.{}.direction", kr.name),
                    json!(kr.direction),
                    json!(new.direction),
                );
            }
        }
    }
    for kr in &a.key_results {
        if b.key_result(&kr.name).is_none() {
            field(format!("key_results.{}", kr.name), Value::Null, json!(kr));
        }
    }
    out
}
