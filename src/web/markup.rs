//! The web view's markup: the goals list, a goal's page (definition, key results with charts,
//! the open proposal, history and timeline) and a team's page, each inside the shared page frame
//! of `render::html`. Plain HTML, no JavaScript; every piece of user text goes through `escape`.

use std::fmt::Write as _;

pub use super::form_markup::Forms;
use super::form_markup::{check_in_form, flash, post_mortem_forms, vote_form};
use crate::domain::{CycleName, GoalId, TeamId};
use crate::projections::timeline::{describe_changes, Entry};
use crate::projections::views::{GoalView, ProposalView, TeamView};
use crate::render::chart;
use crate::render::escape::xml as escape;
use crate::render::html::{changes_html, local_badge, note_item, page, pill};
use crate::render::number::number;
use crate::report::{GoalRetro, NoteReport};

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
pub fn goals_page(goals: &[GoalView], choices: &Choices, chosen: &Chosen<'_>) -> String {
    let (team, status) = (chosen.team, chosen.status);
    let mut b = String::from("<h1>Goals</h1><form method=\"get\" action=\"/\">");
    b.push_str("<label>team <select name=\"team\"><option value=\"\">any</option>");
    for (id, name) in &choices.teams {
        let selected = if team == Some(id.as_str()) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            b,
            "<option value=\"{}\"{selected}>{}</option>",
            escape(id.as_str()),
            escape(name)
        );
    }
    b.push_str(
        "</select></label> <label>status <select name=\"status\"><option value=\"\">any</option>",
    );
    for s in ["proposed", "active", "rejected", "withdrawn", "closed"] {
        let selected = if status == Some(s) { " selected" } else { "" };
        let _ = write!(b, "<option{selected}>{s}</option>");
    }
    b.push_str(
        "</select></label> <label>cycle <select name=\"cycle\"><option value=\"\">any</option>",
    );
    for c in &choices.cycles {
        let selected = if chosen.cycle == Some(c.as_str()) {
            " selected"
        } else {
            ""
        };
        let _ = write!(b, "<option{selected}>{}</option>", escape(c.as_str()));
    }
    b.push_str("</select></label> <button>filter</button></form>");
    b.push_str("<table><tr><th>goal</th><th>status</th><th>progress</th><th>health</th><th class=\"wide\">owners</th><th>cycle</th><th>due</th></tr>");
    for (g, depth) in tree(goals) {
        let teams: Vec<String> = g
            .teams
            .iter()
            .map(|t| format!("<a href=\"/teams/{0}\">{0}</a>", escape(t.as_str())))
            .collect();
        // A closed goal's last health is stale: its score says how it ended.
        let health = match (g.outcome, g.score, g.health) {
            (Some(_), Some(score), _) => format!("score {}", number(score)),
            (Some(_), None, _) | (None, _, None) => String::new(),
            (None, _, Some(h)) => pill(&h.to_string(), &h.to_string()),
        };
        let outcome = g
            .outcome
            .map(|o| format!(" {}", pill(&o.to_string(), "")))
            .unwrap_or_default();
        let _ = write!(
            b,
            "<tr><td{indent}>{branch}<a href=\"/goals/{id}\">{title}</a><br><span class=\"muted\">{id}</span></td><td>{status}{outcome}</td><td>{progress}</td><td>{health}</td><td class=\"wide\">{teams}</td><td>{cycle}</td><td>{due}</td></tr>",
            cycle = g.cycle.as_ref().map_or_else(|| "-".into(), |c| escape(c.as_str())),
            progress = progress_bar(g.progress()),
            indent = match depth {
                0 => String::new(),
                d => format!(" style=\"padding-left:{}em\"", d as f64 * 1.5),
            },
            branch = if depth > 0 { "↳ " } else { "" },
            id = escape(g.id.as_str()),
            title = escape(&g.title),
            status = pill(&g.status.to_string(), ""),
            teams = teams.join(", "),
            due = g.due
        );
    }
    if goals.is_empty() {
        b.push_str("<tr><td colspan=\"7\" class=\"muted\">No goals match.</td></tr>");
    }
    b.push_str("</table>");
    page("Goals", &b)
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

fn goal_link((id, title): &(GoalId, String)) -> String {
    format!(
        "<a href=\"/goals/{0}\">{1}</a> <span class=\"muted\">{0}</span>",
        escape(id.as_str()),
        escape(title)
    )
}

/// "Part of" the parent, and the children, linked.
fn goal_family(b: &mut String, family: &Family) {
    if let Some(parent) = &family.parent {
        let _ = write!(b, "<p>Part of {}</p>", goal_link(parent));
    }
    if !family.children.is_empty() {
        b.push_str("<h2>Children</h2><ul>");
        for child in &family.children {
            let _ = write!(b, "<li>{}</li>", goal_link(child));
        }
        b.push_str("</ul>");
    }
}

/// A bar and a percentage for a progress from 0 (baseline) to 1 (target); `-` without one.
fn progress_bar(progress: Option<f64>) -> String {
    match progress {
        Some(p) => format!(
            "<progress max=\"100\" value=\"{:.0}\"></progress> {}",
            (p * 100.0).clamp(0.0, 100.0),
            crate::render::number::percent(p)
        ),
        None => "-".into(),
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
    retro: &GoalRetro,
    timeline: &[Entry],
    older: Option<&str>,
) -> String {
    let mut b = String::new();
    flash(&mut b, forms);
    goal_summary(&mut b, g);
    goal_family(&mut b, family);
    key_results(&mut b, g, retro);
    check_in_form(&mut b, g, forms);
    super::changes::change_forms(&mut b, g, forms);
    if let Some(p) = &g.open_proposal {
        open_proposal(&mut b, p);
        vote_form(&mut b, g, forms);
    }
    b.push_str(&changes_html(retro));
    action_items(&mut b, retro);
    post_mortem_forms(&mut b, g, forms);
    timeline_table(&mut b, timeline, older);
    page(&g.title, &b)
}

/// The post-mortem's action items, each open, done or dropped (by whom, when).
fn action_items(b: &mut String, retro: &GoalRetro) {
    let items: Vec<&NoteReport> = retro.notes.iter().filter(|n| n.item.is_some()).collect();
    if items.is_empty() {
        return;
    }
    b.push_str("<h2>Action items</h2><ul>");
    for n in items {
        b.push_str(&note_item(n));
    }
    b.push_str("</ul>");
}

/// The title, status, owners, dates, description and closing of a goal.
fn goal_summary(b: &mut String, g: &GoalView) {
    let _ = write!(
        b,
        "<h1>{}</h1><p>{} ",
        escape(&g.title),
        pill(&g.status.to_string(), "")
    );
    match (g.outcome, g.health) {
        // Closed: how it ended, not its last health.
        (Some(outcome), _) => {
            b.push_str(&pill(&outcome.to_string(), ""));
            if let Some(score) = g.score {
                let _ = write!(b, " score {}", number(score));
            }
        }
        (None, Some(h)) => b.push_str(&pill(&h.to_string(), &h.to_string())),
        (None, None) => {}
    }
    let teams: Vec<String> = g
        .teams
        .iter()
        .map(|t| format!("<a href=\"/teams/{0}\">{0}</a>", escape(t.as_str())))
        .collect();
    let _ = write!(
        b,
        " owned by {} · {} → {} · rule {} · version {} · <a href=\"/goals/{id}/retro\">retrospective</a></p>",
        teams.join(", "),
        g.start,
        g.due,
        escape(&g.rule),
        g.version,
        id = escape(g.id.as_str())
    );
    let carried = match g.carried_from.as_slice() {
        [] => String::new(),
        from => {
            let names: Vec<String> = from.iter().map(|c| escape(c.as_str())).collect();
            format!(" (carried over from {})", names.join(", "))
        }
    };
    let _ = write!(
        b,
        "<p>cycle {}{carried} · check-ins {}</p>",
        g.cycle
            .as_ref()
            .map_or_else(|| "none".into(), |c| escape(c.as_str())),
        g.cadence
    );
    if !g.description.is_empty() {
        let _ = write!(b, "<p>{}</p>", escape(&g.description));
    }
    if let (Some(outcome), Some(score)) = (g.outcome, g.score) {
        let _ = write!(
            b,
            "<p><strong>Closed {outcome}</strong>, score {score:.2}: {}</p>",
            escape(g.summary.as_deref().unwrap_or(""))
        );
    }
}

/// The key results now, then a chart of each.
fn key_results(b: &mut String, g: &GoalView, retro: &GoalRetro) {
    b.push_str("<h2>Key results</h2><table><tr><th>key result</th><th class=\"num\">baseline</th><th class=\"num\">target</th><th class=\"num\">current</th><th class=\"num\">progress</th><th>health</th></tr>");
    for kr in &g.key_results {
        let _ = write!(
            b,
            "<tr><td>{} <span class=\"muted\">{}</span></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            escape(kr.name.as_str()),
            escape(&kr.unit),
            number(kr.baseline),
            number(kr.target),
            kr.current.map(number).unwrap_or_else(|| "-".into()),
            kr.progress.map(|p| format!("{:.0}%", p * 100.0)).unwrap_or_else(|| "-".into()),
            kr.health.map(|h| pill(&h.to_string(), &h.to_string())).unwrap_or_default()
        );
    }
    b.push_str("</table>");
    for kr in &retro.key_results {
        let _ = write!(
            b,
            "<div class=\"chart\"><h3>{}</h3>{}</div>",
            escape(kr.name.as_str()),
            chart::key_result(retro, kr)
        );
    }
}

/// The open proposal with its changes, the votes so far and who has not voted yet.
fn open_proposal(b: &mut String, p: &ProposalView) {
    let _ = write!(
        b,
        "<h2>Open proposal #{} ({})</h2><p>by {} under {}: {}</p>",
        p.id,
        escape(&p.kind),
        escape(p.proposed_by.as_str()),
        escape(&p.rule),
        escape(&p.reason)
    );
    if let Some(changes) = &p.changes {
        let _ = write!(b, "<p>Changes: {}</p>", escape(&describe_changes(changes)));
    }
    if let Some(c) = &p.closing {
        let _ = write!(
            b,
            "<p>Closes the goal as <strong>{}</strong> with score {:.2} once accepted.</p>",
            c.outcome, c.score
        );
    }
    b.push_str("<table><tr><th>voter</th><th>vote</th><th>reason</th></tr>");
    for v in &p.votes {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(v.voter.as_str()),
            v.choice,
            escape(v.reason.as_deref().unwrap_or(""))
        );
    }
    for w in &p.waiting_for {
        let _ = write!(
            b,
            "<tr><td>{}</td><td class=\"muted\">not yet</td><td></td></tr>",
            escape(w.as_str())
        );
    }
    b.push_str("</table>");
}

/// A page of the goal's records, newest first, one row each, and the link to older ones.
fn timeline_table(b: &mut String, timeline: &[Entry], older: Option<&str>) {
    b.push_str("<h2>Timeline</h2><p class=\"muted\">Newest first.</p>");
    b.push_str("<table><tr><th>#</th><th>when</th><th>what</th></tr>");
    for e in timeline {
        let _ = write!(
            b,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{}{}</td></tr>",
            e.seq,
            e.at.format("%Y-%m-%d %H:%M"),
            escape(&e.summary),
            local_badge(&e.auth)
        );
    }
    b.push_str("</table>");
    if let Some(older) = older {
        let _ = write!(
            b,
            "<p><a rel=\"next\" href=\"{}\">Older entries</a></p>",
            escape(older)
        );
    }
}

/// A team's page.
pub fn team_page(t: &TeamView, goals: &[GoalView]) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>{}</h1><p class=\"muted\">{} · <a href=\"/retro?team={}\">retrospective</a></p>",
        escape(&t.name),
        escape(t.id.as_str()),
        // The id (lower case, no spaces), not the display name: the route takes ids.
        t.id.as_str()
    );
    let members: Vec<String> = t.members.iter().map(|m| escape(m.as_str())).collect();
    let _ = write!(
        b,
        "<p>Members: {}</p>",
        if members.is_empty() {
            "none".into()
        } else {
            members.join(", ")
        }
    );
    let none = Choices {
        teams: Vec::new(),
        cycles: Vec::new(),
    };
    let chosen = Chosen {
        team: None,
        status: None,
        cycle: None,
    };
    let list = goals_page(goals, &none, &chosen);
    // Reuse the goals table without its page frame and filter form.
    if let (Some(start), Some(end)) = (list.find("<table>"), list.find("</table>")) {
        b.push_str("<h2>Goals</h2>");
        b.push_str(&list[start..end + 8]);
    }
    page(&t.name, &b)
}
