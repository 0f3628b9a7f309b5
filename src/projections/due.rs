//! What is waiting for a person or a team (`due`, `GET /due`): key results whose check-in is
//! due or overdue under their goal's cadence, proposals waiting for a vote, action items owned,
//! and proposals closing within 48 hours. Computed from the state and a clock reading, so the
//! same state and time always give the same list.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::{Actor, Cadence, Goal, GoalId, GoalStatus, KrName, State, TeamId};

/// How far ahead "closing soon" looks.
pub const CLOSING_SOON_HOURS: i64 = 48;

/// Whose work to list.
#[derive(Debug, Clone, PartialEq)]
pub enum Whose {
    Person(Actor),
    Team(TeamId),
}

/// Everything waiting, as of `now`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DueList {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamId>,
    pub now: DateTime<Utc>,
    /// Key results of active goals (of the person's teams, or the team) due for a check-in.
    pub check_ins: Vec<CheckInDue>,
    /// Open proposals waiting for the person's vote (for a team: its members' votes).
    pub votes: Vec<VoteWaiting>,
    /// Open action items the person (or a member of the team) owns.
    pub action_items: Vec<ActionItemOwned>,
    /// Open proposals on the person's (or team's) goals that close within 48 hours.
    pub closing_soon: Vec<VoteWaiting>,
}

impl DueList {
    pub fn is_empty(&self) -> bool {
        self.check_ins.is_empty()
            && self.votes.is_empty()
            && self.action_items.is_empty()
            && self.closing_soon.is_empty()
    }
}

/// A key result whose last check-in is older than its goal's cadence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CheckInDue {
    pub goal: GoalId,
    pub title: String,
    pub key_result: KrName,
    pub cadence: Cadence,
    /// The last check-in; absent when there has been none.
    pub last_check_in: Option<DateTime<Utc>>,
    /// When the check-in fell due.
    pub due_since: DateTime<Utc>,
    /// `due`, or `overdue` past twice the cadence.
    pub state: String,
    /// Which due period this is (1 = the first since the last check-in or the goal's start):
    /// a reminder is sent once per period.
    pub period: i64,
}

/// An open proposal and who has not voted on it yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VoteWaiting {
    pub goal: GoalId,
    pub title: String,
    pub proposal: u32,
    /// `adoption`, `adjustment`, `closing`, `reopening` or `carry-over`.
    pub kind: String,
    pub opened_at: DateTime<Utc>,
    pub closes_at: Option<DateTime<Utc>>,
    pub waiting_for: Vec<Actor>,
}

/// An open action item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActionItemOwned {
    pub goal: GoalId,
    pub item: u32,
    pub text: String,
    pub owner: Actor,
    pub due: NaiveDate,
    /// `open`, or `overdue` after its due date.
    pub state: String,
}

/// What is waiting for `whose` at `now`.
pub fn due(state: &State, whose: &Whose, now: DateTime<Utc>) -> DueList {
    let concerns = |g: &Goal| match whose {
        Whose::Person(a) => g.is_owned_by_member(a, &state.teams),
        Whose::Team(t) => g.definition.teams.contains(t),
    };
    let voter = |a: &Actor| match whose {
        Whose::Person(p) => a == p,
        Whose::Team(t) => state.teams.get(t).is_some_and(|t| t.members.contains(a)),
    };
    let mut list = DueList {
        actor: match whose {
            Whose::Person(a) => Some(a.clone()),
            Whose::Team(_) => None,
        },
        team: match whose {
            Whose::Team(t) => Some(t.clone()),
            Whose::Person(_) => None,
        },
        now,
        check_ins: Vec::new(),
        votes: Vec::new(),
        action_items: Vec::new(),
        closing_soon: Vec::new(),
    };
    for g in state.goals.values() {
        if g.status == GoalStatus::Active && concerns(g) {
            list.check_ins.extend(check_ins_due(g, now));
        }
        if let Some(w) = waiting(g) {
            let mine: Vec<Actor> = w.waiting_for.iter().filter(|a| voter(a)).cloned().collect();
            let soon = w
                .closes_at
                .is_some_and(|at| at > now && at - now <= Duration::hours(CLOSING_SOON_HOURS));
            if soon && concerns(g) {
                list.closing_soon.push(w.clone());
            }
            if !mine.is_empty() {
                list.votes.push(VoteWaiting {
                    waiting_for: mine,
                    ..w
                });
            }
        }
        for (item, a) in g.action_items.iter().filter(|(_, a)| a.resolved.is_none()) {
            if voter(&a.owner) {
                list.action_items.push(ActionItemOwned {
                    goal: g.id.clone(),
                    item: *item,
                    text: a.text.clone(),
                    owner: a.owner.clone(),
                    due: a.due,
                    state: if a.due < now.date_naive() {
                        "overdue"
                    } else {
                        "open"
                    }
                    .to_owned(),
                });
            }
        }
    }
    list.check_ins.sort_by_key(|c| c.due_since);
    list.action_items.sort_by_key(|a| a.due);
    list
}

/// The goal's open proposal as a vote waiting, with everyone who has not voted.
fn waiting(g: &Goal) -> Option<VoteWaiting> {
    let p = g.open_proposal.as_ref()?;
    Some(VoteWaiting {
        goal: g.id.clone(),
        title: g.definition.title.clone(),
        proposal: p.id,
        kind: p.kind.name().to_owned(),
        opened_at: p.opened_at,
        closes_at: p.closes_at,
        waiting_for: p
            .electorate
            .voters()
            .into_iter()
            .filter(|v| !p.votes.contains_key(*v))
            .cloned()
            .collect(),
    })
}

/// The key results of `g` whose check-in is due at `now`: the last check-in (or, without one,
/// the goal's start) is older than the cadence. Nothing is due before the goal starts.
pub fn check_ins_due(g: &Goal, now: DateTime<Utc>) -> Vec<CheckInDue> {
    let cadence = g.definition.cadence();
    let Some(days) = cadence.days() else {
        return Vec::new();
    };
    let start = g.definition.start.and_time(NaiveTime::MIN).and_utc();
    if now < start {
        return Vec::new();
    }
    let every = Duration::days(days);
    g.definition
        .key_results
        .iter()
        .filter_map(|kr| {
            let last = g.current.get(&kr.name).map(|c| c.at);
            let since = last.map_or(start, |at| at.max(start));
            let due_since = since + every;
            if now < due_since {
                return None;
            }
            let overdue = now >= since + every * 2;
            Some(CheckInDue {
                goal: g.id.clone(),
                title: g.definition.title.clone(),
                key_result: kr.name.clone(),
                cadence,
                last_check_in: last,
                due_since,
                state: if overdue { "overdue" } else { "due" }.to_owned(),
                period: (now - since).num_seconds() / every.num_seconds(),
            })
        })
        .collect()
}
