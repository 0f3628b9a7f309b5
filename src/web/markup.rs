//! The web view's markup: the goals list, a goal's page (definition, key results with charts,
//! the open proposal, history and timeline) and a team's page, each inside the shared page frame
//! of `render::html`. Plain HTML, no JavaScript; maud templates, which escape every value.

use maud::{display, html, Markup};

pub use super::form_markup::Forms;
use super::form_markup::{check_in_form, flash, options, post_mortem_forms, vote_form};
use crate::domain::{CycleName, GoalId, TeamId};
use crate::projections::timeline::{describe_changes, Entry};
use crate::projections::views::{GoalView, ProposalView, TeamView};
use crate::render::html::{
    changes_html, coloured_pill, goal_link, local_badge, minute, note_item, page, pill,
};
use crate::render::number::{number, percent};
use crate::report::GoalRetro;

/// What the goals list can be filtered by: the teams (id, name) and the cycles.
pub struct Choices {
    pub teams: Vec<(TeamId, String)>,
    pub cycles: Vec<CycleName>,
}

/// The filters chosen.
pub struct Chosen<'a> {
    pub team: Option<&'a str>,
    pub status: Option<&'a str>,
    pub cycle: Option<&'a str>,
}

/// The list of goals at `/`, filtered by team, status and cycle.
pub fn goals_page(goals: &[GoalView], choices: &Choices, chosen: &Chosen<'_>) -> Markup {
    let statuses = ["proposed", "active", "rejected", "withdrawn", "closed"];
    let cycles: Vec<&str> = choices.cycles.iter().map(|c| c.as_str()).collect();
    let body = html! {
        h1 { "Goals" }
        form method="get" action="/" {
            label {
                "team "
                select name="team" {
                    option value="" { "any" }
                    @for (id, name) in &choices.teams {
                        option value=(id.as_str()) selected[chosen.team == Some(id.as_str())] { (name) }
                    }
                }
            }
            " "
            label { "status " select name="status" { option value="" { "any" } (options(&statuses, chosen.status.unwrap_or(""))) } }
            " "
            label { "cycle " select name="cycle" { option value="" { "any" } (options(&cycles, chosen.cycle.unwrap_or(""))) } }
            " " button { "filter" }
        }
        (goals_table(goals))
    };
    page("Goals", body)
}

/// The goals as a table, each parent followed by its children, indented.
fn goals_table(goals: &[GoalView]) -> Markup {
    html! {
        table {
            tr {
                th { "goal" } th { "status" } th { "progress" } th { "health" } th.wide { "owners" }
                th { "cycle" } th { "due" }
            }
            @for (g, depth) in tree(goals) {
                tr {
                    td style=[(depth > 0).then(|| format!("padding-left:{}em", depth as f64 * 1.5))] {
                        @if depth > 0 { "↳ " }
                        a href={ "/goals/" (g.id.as_str()) } { (g.title) }
                        br;
                        span.muted { (g.id.as_str()) }
                    }
                    td {
                        (pill(&g.status.to_string(), ""))
                        @if let Some(o) = g.outcome { " " (pill(&o.to_string(), "")) }
                    }
                    td { (progress_bar(g.progress())) }
                    td {
                        // A closed goal's last health is stale: its score says how it ended.
                        @match (g.outcome, g.score, g.health) {
                            (Some(_), Some(score), _) => { "score " (number(score)) }
                            (Some(_), None, _) | (None, _, None) => {}
                            (None, _, Some(h)) => { (coloured_pill(h)) }
                        }
                    }
                    td.wide { (team_links(&g.teams)) }
                    td { (g.cycle.as_ref().map_or("-", |c| c.as_str())) }
                    td { (display(g.due)) }
                }
            }
            @if goals.is_empty() {
                tr { td colspan="7" class="muted" { "No goals match." } }
            }
        }
    }
}

/// Links to the teams' pages, comma-separated.
fn team_links(teams: &[TeamId]) -> Markup {
    html! {
        @for (i, t) in teams.iter().enumerate() {
            @if i > 0 { ", " }
            a href={ "/teams/" (t.as_str()) } { (t.as_str()) }
        }
    }
}

/// The goals as a tree: each parent followed by its children (indented by `depth`), a goal
/// whose parent is not listed at the top.
fn tree(goals: &[GoalView]) -> Vec<(&GoalView, usize)> {
    let listed: std::collections::BTreeSet<&GoalId> = goals.iter().map(|g| &g.id).collect();
    let mut out = Vec::with_capacity(goals.len());
    let mut stack: Vec<(&GoalView, usize)> = goals
        .iter()
        .filter(|g| g.parent.as_ref().is_none_or(|p| !listed.contains(p)))
        .rev()
        .map(|g| (g, 0))
        .collect();
    while let Some((g, depth)) = stack.pop() {
        out.push((g, depth));
        // Children in id order: pushed in reverse, popped in order. A cycle cannot reach here
        // (the domain refuses one), and depth stays bounded by the number of goals.
        if depth < goals.len() {
            let children = goals.iter().filter(|c| c.parent.as_ref() == Some(&g.id));
            stack.extend(children.rev().map(|c| (c, depth + 1)));
        }
    }
    out
}

/// "Part of" the parent, and the children, linked.
fn goal_family(family: &Family) -> Markup {
    html! {
        @if let Some((id, title)) = &family.parent { p { "Part of " (goal_link(id.as_str(), title)) } }
        @if !family.children.is_empty() {
            h2 { "Children" }
            ul { @for (id, title) in &family.children { li { (goal_link(id.as_str(), title)) } } }
        }
    }
}

/// A bar and a percentage for a progress from 0 (baseline) to 1 (target); `-` without one.
fn progress_bar(progress: Option<f64>) -> Markup {
    html! {
        @match progress {
            Some(p) => {
                progress max="100" value=(format!("{:.0}", (p * 100.0).clamp(0.0, 100.0))) {}
                " " (percent(p))
            }
            None => "-",
        }
    }
}

/// A goal's place in the goal tree: its parent and its children, each with its title.
#[derive(Debug, Default)]
pub struct Family {
    pub parent: Option<(GoalId, String)>,
    pub children: Vec<(GoalId, String)>,
}

/// A goal's page: definition, parent and children, charts, the open proposal, history, action
/// items and timeline. `timeline` is one page, newest first; `older` links to the entries
/// before it.
pub fn goal_page(
    g: &GoalView,
    (family, forms): (&Family, &Forms),
    (retro, charts): (&GoalRetro, &[Markup]),
    timeline: &[Entry],
    older: Option<&str>,
) -> Markup {
    let body = html! {
        (flash(forms))
        (goal_summary(g))
        (goal_family(family))
        (key_results(g, retro, charts))
        (check_in_form(g, forms))
        (super::changes::change_forms(g, forms))
        @if let Some(p) = &g.open_proposal {
            (open_proposal(p))
            (vote_form(g, forms))
        }
        (changes_html(retro))
        (action_items(retro))
        (post_mortem_forms(g, forms))
        (timeline_table(timeline, older))
    };
    page(&g.title, body)
}

/// The post-mortem's action items, each open, done or dropped (by whom, when).
fn action_items(retro: &GoalRetro) -> Markup {
    let mut items = retro.notes.iter().filter(|n| n.item.is_some()).peekable();
    html! {
        @if items.peek().is_some() {
            h2 { "Action items" }
            ul { @for n in items { (note_item(n)) } }
        }
    }
}

/// The title, status, owners, dates, description and closing of a goal.
fn goal_summary(g: &GoalView) -> Markup {
    html! {
        h1 { (g.title) }
        p {
            (pill(&g.status.to_string(), "")) " "
            @match (g.outcome, g.health) {
                // Closed: how it ended, not its last health.
                (Some(outcome), _) => {
                    (pill(&outcome.to_string(), ""))
                    @if let Some(score) = g.score { " score " (number(score)) }
                }
                (None, Some(h)) => { (coloured_pill(h)) }
                (None, None) => {}
            }
            " owned by " (team_links(&g.teams)) " · " (display(g.start)) " → " (display(g.due))
            " · rule " (g.rule) " · version " (g.version) " · "
            a href={ "/goals/" (g.id.as_str()) "/retro" } { "retrospective" }
        }
        p {
            "cycle " (g.cycle.as_ref().map_or("none", |c| c.as_str()))
            @if !g.carried_from.is_empty() {
                " (carried over from "
                @for (i, c) in g.carried_from.iter().enumerate() { @if i > 0 { ", " } (c.as_str()) }
                ")"
            }
            " · check-ins " (display(&g.cadence))
        }
        @if !g.description.is_empty() { p { (g.description) } }
        @if let (Some(outcome), Some(score)) = (g.outcome, g.score) {
            p {
                strong { "Closed " (display(outcome)) } ", score " (format!("{score:.2}")) ": "
                (g.summary.as_deref().unwrap_or(""))
            }
        }
    }
}

/// The key results now, then the chart of each (`charts`, one per key result of `retro`).
fn key_results(g: &GoalView, retro: &GoalRetro, charts: &[Markup]) -> Markup {
    html! {
        h2 { "Key results" }
        table {
            tr {
                th { "key result" } th.num { "baseline" } th.num { "target" } th.num { "current" }
                th.num { "progress" } th { "health" }
            }
            @for kr in &g.key_results {
                tr {
                    td { (kr.name.as_str()) " " span.muted { (kr.unit) } }
                    td.num { (number(kr.baseline)) }
                    td.num { (number(kr.target)) }
                    td.num { (kr.current.map_or_else(|| "-".into(), number)) }
                    td.num { (kr.progress.map_or_else(|| "-".into(), percent)) }
                    td { @if let Some(h) = kr.health { (coloured_pill(h)) } }
                }
            }
        }
        @for (kr, chart) in retro.key_results.iter().zip(charts) {
            div.chart { h3 { (kr.name.as_str()) } (chart) }
        }
    }
}

/// The open proposal with its changes, the votes so far and who has not voted yet.
fn open_proposal(p: &ProposalView) -> Markup {
    html! {
        h2 { "Open proposal #" (p.id) " (" (p.kind) ")" }
        p { "by " (p.proposed_by.as_str()) " under " (p.rule) ": " (p.reason) }
        @if let Some(changes) = &p.changes { p { "Changes: " (describe_changes(changes)) } }
        @if let Some(c) = &p.closing {
            p {
                "Closes the goal as " strong { (display(c.outcome)) } " with score "
                (format!("{:.2}", c.score)) " once accepted."
            }
        }
        table {
            tr { th { "voter" } th { "vote" } th { "reason" } }
            @for v in &p.votes {
                tr { td { (v.voter.as_str()) } td { (display(v.choice)) } td { (v.reason.as_deref().unwrap_or("")) } }
            }
            @for w in &p.waiting_for {
                tr { td { (w.as_str()) } td.muted { "not yet" } td {} }
            }
        }
    }
}

/// A page of the goal's records, newest first, one row each, and the link to older ones.
fn timeline_table(timeline: &[Entry], older: Option<&str>) -> Markup {
    html! {
        h2 { "Timeline" }
        p.muted { "Newest first." }
        table {
            tr { th { "#" } th { "when" } th { "what" } }
            @for e in timeline {
                tr {
                    td.num { (e.seq) }
                    td { (minute(e.at)) }
                    td { (e.summary) (local_badge(&e.auth)) }
                }
            }
        }
        @if let Some(older) = older { p { a rel="next" href=(older) { "Older entries" } } }
    }
}

/// A team's page.
pub fn team_page(t: &TeamView, goals: &[GoalView]) -> Markup {
    let body = html! {
        h1 { (t.name) }
        p.muted {
            (t.id.as_str()) " · "
            // The id (lower case, no spaces), not the display name: the route takes ids.
            a href={ "/retro?team=" (t.id.as_str()) } { "retrospective" }
        }
        p {
            "Members: "
            @if t.members.is_empty() { "none" }
            @for (i, m) in t.members.iter().enumerate() { @if i > 0 { ", " } (m.as_str()) }
        }
        h2 { "Goals" }
        (goals_table(goals))
    };
    page(&t.name, body)
}
