//! "My work" (`GET /me`): for the signed-in person, the proposals waiting for their vote (and
//! when they close), their teams' key results due for a check-in, the action items they own,
//! the proposals closing within 48 hours, and what changed on their teams' goals since they
//! last looked. Built from the same list as `goal-ledger due` and `GET /due`.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use super::html_response;
use super::session::cookie_id;
use crate::domain::{Actor, StreamId};
use crate::http::auth::Caller;
use crate::http::{ApiError, AppState};
use crate::projections::due::{due, DueList, VoteWaiting, Whose};
use crate::projections::timeline::{entry, Entry};
use crate::render::escape::xml as escape;
use crate::render::html::{page, pill};

/// The most changes "since your last visit" shows.
const MAX_CHANGES: usize = 50;

/// `GET /me`
pub async fn my_work(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let who = caller
        .0
        .ok_or_else(|| ApiError::unauthorized("sign in to see your work"))?;
    let head = state.ledger.digest().seq;
    let since = cookie_id(&headers)
        .and_then(|id| state.sessions.seen(&id, head))
        .unwrap_or(head);
    let now = state.ledger.now();
    let list = state
        .ledger
        .read(|s| due(s, &Whose::Person(who.actor.clone()), now));
    let actor = who.actor.clone();
    let changes = state
        .read_store(move |l| changes_since(l, &actor, since))
        .await?;
    Ok(html_response(page(
        "My work",
        &body(&who.actor, &list, &changes),
    )))
}

/// The records after `since` on goals of `actor`'s teams, newest first.
fn changes_since(
    ledger: &crate::ledger::Ledger,
    actor: &Actor,
    since: u64,
) -> Result<Vec<Entry>, crate::ledger::ReadError> {
    let records: Vec<_> = (ledger.records_after(since, 1000)?.iter().rev())
        .filter_map(|(_, bytes)| crate::record::decode(bytes).ok())
        .collect();
    // One look at the state for all of them.
    Ok(ledger.read(|s| {
        let mine = |stream: &StreamId| match stream {
            StreamId::Goal(id) => s
                .goals
                .get(id)
                .is_some_and(|g| g.is_owned_by_member(actor, &s.teams)),
            _ => false,
        };
        records
            .iter()
            .filter(|r| &r.envelope.actor != actor && mine(&r.envelope.stream))
            .take(MAX_CHANGES)
            .map(entry)
            .collect()
    }))
}

fn goal_link(goal: &crate::domain::GoalId, title: &str) -> String {
    format!(
        "<a href=\"/goals/{0}\">{1}</a> <span class=\"muted\">{0}</span>",
        escape(goal.as_str()),
        escape(title)
    )
}

fn closes(v: &VoteWaiting) -> String {
    v.closes_at.map_or_else(
        || "no closing time".to_owned(),
        |at| format!("closes {}", at.format("%Y-%m-%d %H:%M UTC")),
    )
}

fn body(actor: &Actor, d: &DueList, changes: &[Entry]) -> String {
    let mut b = format!(
        "<h1>My work</h1><p class=\"muted\">{}</p>",
        escape(actor.as_str())
    );
    b.push_str("<h2>Waiting for your vote</h2><ul>");
    for v in &d.votes {
        let _ = write!(
            b,
            "<li>{} proposal #{} ({}), {}</li>",
            goal_link(&v.goal, &v.title),
            v.proposal,
            escape(&v.kind),
            closes(v)
        );
    }
    if d.votes.is_empty() {
        b.push_str("<li class=\"muted\">Nothing waits for your vote.</li>");
    }
    b.push_str("</ul><h2>Check-ins due</h2><ul>");
    for c in &d.check_ins {
        let last = c.last_check_in.map_or_else(
            || "never checked in".to_owned(),
            |at| format!("last {}", at.date_naive()),
        );
        let _ = write!(
            b,
            "<li>{} {} · {} <span class=\"muted\">({} cadence, {last})</span></li>",
            pill(
                &c.state,
                if c.state == "overdue" {
                    "off-track"
                } else {
                    "at-risk"
                }
            ),
            goal_link(&c.goal, &c.title),
            escape(c.key_result.as_str()),
            c.cadence
        );
    }
    if d.check_ins.is_empty() {
        b.push_str("<li class=\"muted\">Every key result of your teams is checked in.</li>");
    }
    b.push_str("</ul><h2>Your action items</h2><ul>");
    for a in &d.action_items {
        let _ = write!(
            b,
            "<li>{} {} <span class=\"muted\">(<a href=\"/goals/{goal}\">{goal}</a> #{}, due {})</span></li>",
            pill(&a.state, if a.state == "overdue" { "off-track" } else { "" }),
            escape(&a.text),
            a.item,
            a.due,
            goal = escape(a.goal.as_str())
        );
    }
    if d.action_items.is_empty() {
        b.push_str("<li class=\"muted\">No open action items.</li>");
    }
    b.push_str("</ul><h2>Closing within 48 hours</h2><ul>");
    for v in &d.closing_soon {
        let _ = write!(
            b,
            "<li>{} proposal #{}, {}</li>",
            goal_link(&v.goal, &v.title),
            v.proposal,
            closes(v)
        );
    }
    if d.closing_soon.is_empty() {
        b.push_str("<li class=\"muted\">None.</li>");
    }
    b.push_str("</ul><h2>Since your last visit</h2><ul>");
    for e in changes {
        let _ = write!(
            b,
            "<li><span class=\"muted\">#{} {}</span> {}</li>",
            e.seq,
            e.at.format("%Y-%m-%d %H:%M"),
            escape(&e.summary)
        );
    }
    if changes.is_empty() {
        b.push_str("<li class=\"muted\">Nothing changed on your teams' goals.</li>");
    }
    b.push_str("</ul>");
    b
}
