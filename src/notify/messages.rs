//! What a webhook is sent: messages made from records (a proposal opened → `vote-needed`, a
//! decision, a closing, a cycle's close) and from the clock (a check-in or an action item fell
//! due). A message's id is a function of what it is about, so a redelivery after a restart
//! carries the same `webhook-id`; a reminder's key says which due period it is for, so it is
//! sent once per period.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::deliver::Message;
use crate::domain::{Event, GoalId, Hook, Notification, State};
use crate::projections::due::check_ins_due;
use crate::record::Record;

/// Where a message comes from, which is what acknowledging it moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The record with this sequence number.
    Record(u64),
    /// A reminder, by its key.
    Reminder(String),
}

/// A message with its source.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub source: Source,
    pub message: Message,
}

/// Whether `hook` hears about `goal`: every goal without a team filter, else the goals its team
/// owns or owned.
fn hears(state: &State, hook: &Hook, goal: &GoalId) -> bool {
    match &hook.team {
        None => true,
        Some(team) => state
            .goals
            .get(goal)
            .is_some_and(|g| g.ever_teams.contains(team)),
    }
}

/// The message `record` makes for `hook`, if it subscribed to it.
pub fn from_record(record: &Record, hook: &Hook, state: &State) -> Option<Outgoing> {
    let (kind, goal, data) = match &record.event {
        Event::GoalProposed(e) => vote_needed(state, &e.goal, e.proposal, "adoption"),
        Event::AdjustmentProposed(e) => vote_needed(state, &e.goal, e.proposal, "adjustment"),
        Event::ClosingProposed(e) => vote_needed(state, &e.goal, e.proposal, "closing"),
        Event::ReopeningProposed(e) => vote_needed(state, &e.goal, e.proposal, "reopening"),
        Event::CarryOverProposed(e) => vote_needed(state, &e.goal, e.proposal, "carry-over"),
        Event::ProposalDecided(e) => (
            Notification::ProposalDecided,
            Some(e.goal.clone()),
            json!({
                "goal": e.goal,
                "proposal": e.proposal,
                "outcome": e.outcome,
                "decided_by": e.decided_by,
                "explanation": e.explanation,
            }),
        ),
        Event::GoalClosed(e) => (
            Notification::GoalClosed,
            Some(e.goal.clone()),
            json!({
                "goal": e.goal,
                "outcome": e.outcome,
                "score": e.score,
                "summary": e.summary,
                "final_values": e.final_values,
            }),
        ),
        Event::CycleClosed(e) => (
            Notification::CycleClosed,
            None,
            json!({ "cycle": e.cycle, "figures": e.figures }),
        ),
        _ => return None,
    };
    if !hook.events.contains(&kind) || goal.is_some_and(|g| !hears(state, hook, &g)) {
        return None;
    }
    let seq = record.envelope.seq;
    Some(Outgoing {
        source: Source::Record(seq),
        message: Message {
            id: format!("msg_{seq}"),
            event_type: kind.name().to_owned(),
            timestamp: record.envelope.recorded_at,
            data: with_seq(data, seq),
        },
    })
}

fn with_seq(mut data: Value, seq: u64) -> Value {
    if let Value::Object(map) = &mut data {
        map.insert("seq".into(), json!(seq));
    }
    data
}

/// A proposal opened: who is asked to vote, and until when.
fn vote_needed(
    state: &State,
    goal: &GoalId,
    proposal: u32,
    kind: &str,
) -> (Notification, Option<GoalId>, Value) {
    let g = state.goals.get(goal);
    let open = g
        .and_then(|g| g.open_proposal.as_ref())
        .filter(|p| p.id == proposal);
    (
        Notification::VoteNeeded,
        Some(goal.clone()),
        json!({
            "goal": goal,
            "title": g.map(|g| g.definition.title.clone()),
            "proposal": proposal,
            "kind": kind,
            "closes_at": open.and_then(|p| p.closes_at),
            "electorate": open.map(|p| p.electorate.voters()),
            "waiting_for": open.map(|p| {
                p.electorate
                    .voters()
                    .into_iter()
                    .filter(|v| !p.votes.contains_key(*v))
                    .collect::<Vec<_>>()
            }),
        }),
    )
}

/// The reminders due for `hook` at `now`, oldest first: every key result due for a check-in
/// (once per due period) and every open action item past its due date (once).
pub fn reminders(hook: &Hook, state: &State, now: DateTime<Utc>) -> Vec<Outgoing> {
    let mut out = Vec::new();
    let heard = state.goals.values().filter(|g| hears(state, hook, &g.id));
    for g in heard {
        if hook.events.contains(&Notification::CheckInDue)
            && g.status == crate::domain::GoalStatus::Active
        {
            for due in check_ins_due(g, now) {
                let since = due.due_since.timestamp();
                let key = format!(
                    "check-in-due:{}:{}:{since}:{}",
                    due.goal, due.key_result, due.period
                );
                let data = json!({
                    "goal": due.goal,
                    "title": due.title,
                    "key_result": due.key_result,
                    "cadence": due.cadence,
                    "state": due.state,
                    "due_since": due.due_since,
                    "last_check_in": due.last_check_in,
                    "teams": g.definition.teams,
                });
                out.push(reminder(key, Notification::CheckInDue, due.due_since, data));
            }
        }
        if hook.events.contains(&Notification::ActionItemDue) {
            let today = now.date_naive();
            for (item, a) in &g.action_items {
                if a.resolved.is_none() && a.due <= today {
                    let key = format!("action-item-due:{}:{item}", g.id);
                    let at = a.due.and_time(chrono::NaiveTime::MIN).and_utc();
                    let data = json!({
                        "goal": g.id,
                        "item": item,
                        "text": a.text,
                        "owner": a.owner,
                        "due": a.due,
                    });
                    out.push(reminder(key, Notification::ActionItemDue, at, data));
                }
            }
        }
    }
    out.sort_by_key(|o| o.message.timestamp);
    out
}

fn reminder(key: String, kind: Notification, at: DateTime<Utc>, data: Value) -> Outgoing {
    let hash = blake3::hash(key.as_bytes()).to_hex();
    Outgoing {
        message: Message {
            id: format!("msg_{}", &hash[..24]),
            event_type: kind.name().to_owned(),
            timestamp: at,
            data,
        },
        source: Source::Reminder(key),
    }
}
