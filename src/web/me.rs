//! "My work" (`GET /me`): for the signed-in person, the proposals waiting for their vote (and
//! when they close), their teams' key results due for a check-in, the action items they own,
//! the proposals closing within 48 hours, and what changed on their teams' goals since they
//! last looked. Built from the same list as `goal-ledger due` and `GET /due`.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use maud::{display, html, Markup};

use super::html_response;
use super::session::cookie_id;
use crate::domain::{Actor, StreamId};
use crate::http::auth::Caller;
use crate::http::{ApiError, AppState};
use crate::projections::due::{due, DueList, VoteWaiting, Whose};
use crate::projections::timeline::{entry, Entry};
use crate::render::html::{goal_link, minute, page, pill};

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
        body(&who.actor, &list, &changes),
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

fn closes(v: &VoteWaiting) -> String {
    v.closes_at.map_or_else(
        || "no closing time".to_owned(),
        |at| format!("closes {}", at.format("%Y-%m-%d %H:%M UTC")),
    )
}

/// A list under its heading, or `empty` in its place.
fn section<T>(title: &str, items: &[T], empty: &str, item: impl Fn(&T) -> Markup) -> Markup {
    html! {
        h2 { (title) }
        ul {
            @for i in items { li { (item(i)) } }
            @if items.is_empty() { li.muted { (empty) } }
        }
    }
}

fn body(actor: &Actor, d: &DueList, changes: &[Entry]) -> Markup {
    let overdue = |state: &str, otherwise| {
        if state == "overdue" {
            "off-track"
        } else {
            otherwise
        }
    };
    html! {
        h1 { "My work" }
        p.muted { (actor.as_str()) }
        (section("Waiting for your vote", &d.votes, "Nothing waits for your vote.", |v| html! {
            (goal_link(v.goal.as_str(), &v.title)) " proposal #" (v.proposal) " (" (v.kind) "), " (closes(v))
        }))
        (section("Check-ins due", &d.check_ins, "Every key result of your teams is checked in.", |c| html! {
            (pill(&c.state, overdue(&c.state, "at-risk"))) " " (goal_link(c.goal.as_str(), &c.title))
            " · " (c.key_result.as_str()) " "
            span.muted {
                "(" (display(c.cadence)) " cadence, "
                @match c.last_check_in { Some(at) => { "last " (display(at.date_naive())) } None => "never checked in" }
                ")"
            }
        }))
        (section("Your action items", &d.action_items, "No open action items.", |a| html! {
            (pill(&a.state, overdue(&a.state, ""))) " " (a.text) " "
            span.muted {
                "(" a href={ "/goals/" (a.goal.as_str()) } { (a.goal.as_str()) } " #" (a.item) ", due "
                (display(a.due)) ")"
            }
        }))
        (section("Closing within 48 hours", &d.closing_soon, "None.", |v| html! {
            (goal_link(v.goal.as_str(), &v.title)) " proposal #" (v.proposal) ", " (closes(v))
        }))
        (section("Since your last visit", changes, "Nothing changed on your teams' goals.", |e| html! {
            span.muted { "#" (e.seq) " " (minute(e.at)) } " " (e.summary)
        }))
    }
}
