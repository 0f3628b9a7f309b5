//! Server-rendered HTML: the retrospective documents of a goal and of a team (served by the web
//! view and written by `retro --format html`), and the parts the web view's pages share with
//! them: the page frame and its style, status pills and a goal's history. Plain HTML and CSS,
//! no JavaScript, written with maud's `html!` templates: checked when the crate compiles, and
//! every value they show is escaped unless it is already `Markup`.

use chrono::{DateTime, Datelike, Timelike, Utc};
use maud::{display, html, Markup, PreEscaped, DOCTYPE};

use super::chart;
use super::markdown::section_title;
use super::number::{number, percent};
use crate::domain::Resolution;
use crate::record::Auth;
use crate::report::{GoalRetro, NoteReport, TeamRetro};

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#222;background:#fff}\
main{max-width:960px;margin:0 auto;padding:16px}\
.flash{background:#e8f5e9;padding:8px 12px}.problem{background:#fdecea;padding:8px 12px}.form label{display:inline-block;margin:4px 8px 4px 0}\
header{background:#263238;color:#fff;padding:10px 16px}header a{color:#fff;text-decoration:none;font-weight:600}\
table{border-collapse:collapse;width:100%;margin:8px 0 16px}th,td{border-bottom:1px solid #e0e0e0;padding:6px 8px;text-align:left;vertical-align:top}\
th{background:#f5f5f5}.num{text-align:right;font-variant-numeric:tabular-nums}\
.pill{display:inline-block;padding:1px 8px;border-radius:10px;background:#eceff1;font-size:13px}\
.on-track{background:#e8f5e9;color:#2e7d32}.at-risk{background:#fff8e1;color:#8d6e00}.off-track{background:#ffebee;color:#c62828}.local{background:#fff3e0;color:#e65100}\
.muted{color:#666}.chart{margin:8px 0 24px}form{margin:8px 0}input,select{font:inherit;padding:2px 6px}\
@media (max-width:600px){main{padding:8px}th,td{padding:4px}.wide{display:none}}";

/// A whole page: the frame (title, style, the header's links) around `body`.
pub fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · goal-ledger" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    a href="/" { "goal-ledger" } " · "
                    a href="/me" { "my work" } " · "
                    a href="/propose" { "propose a goal" } " · "
                    a href="/login" { "sign in / out" }
                }
                main { (body) }
            }
        }
    }
}

/// A status, health or outcome as a pill; `class` colours it.
pub fn pill(text: &str, class: &str) -> Markup {
    html! { span class={ "pill " (class) } { (text) } }
}

/// A value's `Display` as a pill coloured by the same text (health: `on-track`, ...).
pub fn coloured_pill(value: impl std::fmt::Display) -> Markup {
    let text = value.to_string();
    pill(&text, &text)
}

/// ` <span class="pill local">local write by root@host</span>` for a write that did not come
/// through a token (its actor is only a claim), nothing otherwise.
pub fn local_badge(auth: &Auth) -> Markup {
    html! {
        @if auth.is_local() { " " (pill(&auth.to_string(), "local")) }
    }
}

/// A time to the minute, `2026-11-23 17:44` (UTC), as timelines show it. Written field by field:
/// a page of a hundred entries would otherwise parse a strftime pattern a hundred times.
pub fn minute(at: DateTime<Utc>) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// A link to a goal page, with the goal's id beside its title.
pub fn goal_link(id: &str, title: &str) -> Markup {
    html! { a href={ "/goals/" (id) } { (title) } " " span.muted { (id) } }
}

/// A goal's decided changes (its history) as a section: fields, votes and decisions.
pub fn changes_html(r: &GoalRetro) -> Markup {
    html! {
        h2 { "History" }
        @if r.changes.is_empty() { p.muted { "No decided changes yet." } }
        @for c in &r.changes {
            h3 {
                (display(c.at.date_naive())) " · " (c.kind) " "
                span.muted { "(record " (c.seq) ", by " (c.by.as_str()) ")" }
                (local_badge(&c.auth))
            }
            p { (c.reason) }
            @if !c.changes.is_empty() {
                ul {
                    @for f in &c.changes {
                        li {
                            (f.field) ": " (super::number::value(&f.before)) " → "
                            (super::number::value(&f.after))
                        }
                    }
                }
            }
            @if let Some(p) = &c.proposal {
                p.muted {
                    "Votes: "
                    @if p.votes.is_empty() { "none" }
                    @for (i, v) in p.votes.iter().enumerate() {
                        @if i > 0 { "; " }
                        (v.voter.as_str()) " " (display(v.choice))
                        @if let Some(reason) = &v.reason { " “" (reason) "”" }
                        @if v.superseded { " " span.muted { "(changed later)" } }
                        (local_badge(&v.auth))
                    }
                    "."
                    @if let Some(d) = &p.decision { " Decided: " (d) "." }
                }
            }
        }
    }
}

/// `-` for a missing figure.
fn or_dash(v: Option<String>) -> String {
    v.unwrap_or_else(|| "-".into())
}

/// A goal's retrospective as a page.
pub fn goal_retro(r: &GoalRetro) -> Markup {
    let f = &r.figures;
    let body = html! {
        h1 { "Retrospective: " (r.title) }
        p.muted { (r.goal.as_str()) }
        p {
            @match (r.outcome, r.score) {
                (Some(o), Some(s)) => { strong { (display(o)) } ", score " (format!("{s:.2}")) }
                _ => { strong { (display(r.status)) } " (not closed)" }
            }
            " · " (or_dash(f.days_active.map(number))) " days active · " (f.adjustments)
            " adjustment(s) · " (f.check_ins) " check-ins · " (f.votes) " votes"
        }
        @if let Some(s) = &r.summary { blockquote { (s) } }
        h2 { "Key results" }
        table {
            tr {
                th { "key result" } th.num { "baseline" } th { "targets" } th.num { "final" }
                th.num { "progress" } th.wide { "cadence" }
            }
            @for kr in &r.key_results {
                tr {
                    td { (kr.name.as_str()) " " span.muted { (kr.unit) } }
                    td.num { (number(kr.baseline)) }
                    td {
                        @for (i, t) in kr.targets.iter().enumerate() {
                            @if i > 0 { " → " }
                            (number(t.target))
                        }
                    }
                    td.num { (or_dash(kr.final_value.map(number))) }
                    td.num { (or_dash(kr.progress.map(percent))) }
                    td.wide {
                        @if let Some(d) = kr.cadence_days {
                            "every " (number(d)) " d, longest gap "
                            (kr.longest_gap_days.map(number).unwrap_or_default()) " d"
                        }
                    }
                }
            }
        }
        @for kr in &r.key_results {
            div.chart { h3 { (kr.name.as_str()) } (chart::key_result(r, kr)) }
        }
        (changes_html(r))
        h2 { "Post-mortem" }
        @for (section, notes) in r.notes_by_section() {
            h3 { (section_title(section)) }
            ul { @for n in notes { (note_item(n)) } }
        }
    };
    page(&format!("Retrospective: {}", r.title), body)
}

/// One post-mortem note as a list item; an action item with its number, owner, due date and
/// whether it is open, done or dropped (by whom, when).
pub fn note_item(n: &NoteReport) -> Markup {
    let (Some(owner), Some(due)) = (&n.owner, n.due) else {
        return html! { li { (n.text) " " span.muted { "(" (n.by.as_str()) ")" } } };
    };
    let (class, status) = match &n.resolved {
        None => ("open", "open".to_owned()),
        Some(r) if r.status == Resolution::Done => ("done", r.describe()),
        Some(r) => ("dropped", r.describe()),
    };
    html! {
        li class={ "item " (class) } {
            @if let Some(i) = n.item { "#" (i) " " }
            (n.text) " "
            span.muted { "(owner " (owner.as_str()) ", due " (display(due)) ")" } " "
            (pill(&status, class))
        }
    }
}

/// A team's period report as a page.
pub fn team_retro(r: &TeamRetro) -> Markup {
    let body = html! {
        h1 { "Team retrospective: " (r.team.as_str()) }
        p {
            (r.goals.len()) " goal(s) · hit rate " (or_dash(r.hit_rate.map(percent)))
            " · average score " (or_dash(r.average_score.map(|s| format!("{s:.2}"))))
            " · " (or_dash(r.adjustments_per_goal.map(number))) " adjustments per goal"
        }
        table {
            tr { th { "goal" } th { "outcome" } th.num { "score" } th.num { "adjustments" } th { "due" } }
            @for g in &r.goals {
                tr {
                    td { a href={ "/goals/" (g.goal.as_str()) } { (g.title) } }
                    td { (g.outcome.map(|o| o.to_string()).unwrap_or_else(|| g.status.to_string())) }
                    td.num { (or_dash(g.score.map(|s| format!("{s:.2}")))) }
                    td.num { (g.adjustments) }
                    td { (display(g.due)) }
                }
            }
        }
        @if let Some(c) = &r.cycle { (super::cycle::html_section(c, r.hit_rate)) }
        h2 { "Open action items" }
        ul {
            @for a in &r.action_items {
                li {
                    (a.text) " "
                    span.muted {
                        "(" (a.goal.as_str()) ", owner "
                        (a.owner.as_ref().map_or("-", |o| o.as_str())) ", due "
                        (or_dash(a.due.map(|d| d.to_string()))) ")"
                    }
                }
            }
        }
        h2 { "Lessons" }
        ul {
            @for l in &r.lessons {
                li { (l.text) " " span.muted { "(" (l.goal.as_str()) ", " (l.by.as_str()) ")" } }
            }
        }
    };
    page(&format!("Team {}", r.team), body)
}
