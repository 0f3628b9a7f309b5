//! Server-rendered HTML: the retrospective documents of a goal and of a team (served by the web
//! view and written by `retro --format html`), and the parts the web view's pages share with
//! them: the page frame and its style, status pills and a goal's history. Plain HTML and CSS,
//! no JavaScript; every piece of user text goes through `escape`.

use std::fmt::Write as _;

use super::chart;
use super::escape::xml as escape;
use super::markdown::section_title;
use super::number::number;
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

/// A whole page.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{} · goal-ledger</title><style>{STYLE}</style></head><body><header><a href=\"/\">goal-ledger</a> · <a href=\"/me\">my work</a> · <a href=\"/propose\">propose a goal</a> · <a href=\"/login\">sign in / out</a></header><main>{body}</main></body></html>",
        escape(title)
    )
}

/// A status, health or outcome as a pill; `class` colours it.
pub fn pill(text: &str, class: &str) -> String {
    format!(
        "<span class=\"pill {}\">{}</span>",
        escape(class),
        escape(text)
    )
}

/// ` <span class="pill local">local write by root@host</span>` for a write that did not come
/// through a token (its actor is only a claim), nothing otherwise.
pub fn local_badge(auth: &Auth) -> String {
    if auth.is_local() {
        format!(" {}", pill(&auth.to_string(), "local"))
    } else {
        String::new()
    }
}

/// A goal's decided changes (its history) as a section: fields, votes and decisions.
pub fn changes_html(r: &GoalRetro) -> String {
    let mut b = String::from("<h2>History</h2>");
    if r.changes.is_empty() {
        b.push_str("<p class=\"muted\">No decided changes yet.</p>");
    }
    for c in &r.changes {
        let _ = write!(
            b,
            "<h3>{} · {} <span class=\"muted\">(record {}, by {})</span>{}</h3><p>{}</p>",
            c.at.date_naive(),
            escape(&c.kind),
            c.seq,
            escape(c.by.as_str()),
            local_badge(&c.auth),
            escape(&c.reason)
        );
        if !c.changes.is_empty() {
            b.push_str("<ul>");
            for f in &c.changes {
                let _ = write!(
                    b,
                    "<li>{}: {} → {}</li>",
                    escape(&f.field),
                    escape(&super::number::value(&f.before)),
                    escape(&super::number::value(&f.after))
                );
            }
            b.push_str("</ul>");
        }
        if let Some(p) = &c.proposal {
            let votes: Vec<String> = p
                .votes
                .iter()
                .map(|v| {
                    let changed = if v.superseded {
                        " <span class=\"muted\">(changed later)</span>"
                    } else {
                        ""
                    };
                    let reason = v
                        .reason
                        .as_deref()
                        .map(|r| format!(" “{}”", escape(r)))
                        .unwrap_or_default();
                    format!(
                        "{} {}{reason}{changed}{}",
                        escape(v.voter.as_str()),
                        v.choice,
                        local_badge(&v.auth)
                    )
                })
                .collect();
            let _ = write!(
                b,
                "<p class=\"muted\">Votes: {}.",
                if votes.is_empty() {
                    "none".into()
                } else {
                    votes.join("; ")
                }
            );
            if let Some(d) = &p.decision {
                let _ = write!(b, " Decided: {}.", escape(d));
            }
            b.push_str("</p>");
        }
    }
    b
}

/// A goal's retrospective as a page.
pub fn goal_retro(r: &GoalRetro) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>Retrospective: {}</h1><p class=\"muted\">{}</p>",
        escape(&r.title),
        escape(r.goal.as_str())
    );
    match (r.outcome, r.score) {
        (Some(o), Some(s)) => {
            let _ = write!(b, "<p><strong>{o}</strong>, score {s:.2}");
        }
        _ => {
            let _ = write!(b, "<p><strong>{}</strong> (not closed)", r.status);
        }
    }
    let f = &r.figures;
    let _ = write!(
        b,
        " · {} days active · {} adjustment(s) · {} check-ins · {} votes</p>",
        f.days_active.map(number).unwrap_or_else(|| "-".into()),
        f.adjustments,
        f.check_ins,
        f.votes
    );
    if let Some(s) = &r.summary {
        let _ = write!(b, "<blockquote>{}</blockquote>", escape(s));
    }
    b.push_str("<h2>Key results</h2><table><tr><th>key result</th><th class=\"num\">baseline</th><th>targets</th><th class=\"num\">final</th><th class=\"num\">progress</th><th class=\"wide\">cadence</th></tr>");
    for kr in &r.key_results {
        let targets: Vec<String> = kr.targets.iter().map(|t| number(t.target)).collect();
        let _ = write!(
            b,
            "<tr><td>{} <span class=\"muted\">{}</span></td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"wide\">{}</td></tr>",
            escape(kr.name.as_str()),
            escape(&kr.unit),
            number(kr.baseline),
            targets.join(" → "),
            kr.final_value.map(number).unwrap_or_else(|| "-".into()),
            kr.progress.map(|p| format!("{:.0}%", p * 100.0)).unwrap_or_else(|| "-".into()),
            kr.cadence_days.map(|d| format!("every {} d, longest gap {} d", number(d), kr.longest_gap_days.map(number).unwrap_or_default())).unwrap_or_default()
        );
    }
    b.push_str("</table>");
    for kr in &r.key_results {
        let _ = write!(
            b,
            "<div class=\"chart\"><h3>{}</h3>{}</div>",
            escape(kr.name.as_str()),
            chart::key_result(r, kr)
        );
    }
    b.push_str(&changes_html(r));
    b.push_str("<h2>Post-mortem</h2>");
    for (section, notes) in r.notes_by_section() {
        let _ = write!(b, "<h3>{}</h3><ul>", section_title(section));
        for n in notes {
            b.push_str(&note_item(n));
        }
        b.push_str("</ul>");
    }
    page(&format!("Retrospective: {}", r.title), &b)
}

/// One post-mortem note as a list item; an action item with its number, owner, due date and
/// whether it is open, done or dropped (by whom, when).
pub fn note_item(n: &NoteReport) -> String {
    let (Some(owner), Some(due)) = (&n.owner, n.due) else {
        return format!(
            "<li>{} <span class=\"muted\">({})</span></li>",
            escape(&n.text),
            escape(n.by.as_str())
        );
    };
    let number = n.item.map(|i| format!("#{i} ")).unwrap_or_default();
    let (class, status) = match &n.resolved {
        None => ("open", "open".to_owned()),
        Some(r) if r.status == Resolution::Done => ("done", r.describe()),
        Some(r) => ("dropped", r.describe()),
    };
    format!(
        "<li class=\"item {class}\">{number}{} <span class=\"muted\">(owner {}, due {due})</span> {}</li>",
        escape(&n.text),
        escape(owner.as_str()),
        pill(&status, class)
    )
}

/// A team's period report as a page.
pub fn team_retro(r: &TeamRetro) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>Team retrospective: {}</h1>",
        escape(r.team.as_str())
    );
    let _ = write!(
        b,
        "<p>{} goal(s) · hit rate {} · average score {} · {} adjustments per goal</p>",
        r.goals.len(),
        r.hit_rate
            .map(|h| format!("{:.0}%", h * 100.0))
            .unwrap_or_else(|| "-".into()),
        r.average_score
            .map(|s| format!("{s:.2}"))
            .unwrap_or_else(|| "-".into()),
        r.adjustments_per_goal
            .map(number)
            .unwrap_or_else(|| "-".into())
    );
    b.push_str("<table><tr><th>goal</th><th>outcome</th><th class=\"num\">score</th><th class=\"num\">adjustments</th><th>due</th></tr>");
    for g in &r.goals {
        let _ = write!(
            b,
            "<tr><td><a href=\"/goals/{id}\">{}</a></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            escape(&g.title),
            g.outcome.map(|o| o.to_string()).unwrap_or_else(|| g.status.to_string()),
            g.score.map(|s| format!("{s:.2}")).unwrap_or_else(|| "-".into()),
            g.adjustments,
            g.due,
            id = escape(g.goal.as_str())
        );
    }
    b.push_str("</table>");
    if let Some(c) = &r.cycle {
        b.push_str(&super::cycle::html_section(c, r.hit_rate));
    }
    b.push_str("<h2>Open action items</h2><ul>");
    for a in &r.action_items {
        let _ = write!(
            b,
            "<li>{} <span class=\"muted\">({}, owner {}, due {})</span></li>",
            escape(&a.text),
            escape(a.goal.as_str()),
            a.owner
                .as_ref()
                .map(|o| escape(o.as_str()))
                .unwrap_or_else(|| "-".into()),
            a.due.map(|d| d.to_string()).unwrap_or_else(|| "-".into())
        );
    }
    b.push_str("</ul><h2>Lessons</h2><ul>");
    for l in &r.lessons {
        let _ = write!(
            b,
            "<li>{} <span class=\"muted\">({}, {})</span></li>",
            escape(&l.text),
            escape(l.goal.as_str()),
            escape(l.by.as_str())
        );
    }
    b.push_str("</ul>");
    page(&format!("Team {}", r.team), &b)
}
