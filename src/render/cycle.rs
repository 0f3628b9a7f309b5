//! The cycle part of a team's cycle retrospective, in Markdown and in HTML: the hit rate
//! against the previous cycle, the goals carried in and out, and follow-through on earlier
//! action items.

use std::fmt::Write as _;

use super::escape::{markdown, xml};
use super::number::percent;
use crate::report::{CycleReview, FollowUp};

fn hit_rates(c: &CycleReview, now: Option<f64>) -> String {
    let show = |h: Option<f64>| h.map(percent).unwrap_or_else(|| "-".into());
    match &c.previous {
        Some(p) => format!(
            "hit rate {} in {}, {} in {p}",
            show(now),
            c.cycle,
            show(c.previous_hit_rate)
        ),
        None => format!("hit rate {} in {} (no earlier cycle)", show(now), c.cycle),
    }
}

fn ids(list: &[crate::domain::GoalId]) -> String {
    match list.is_empty() {
        true => "none".into(),
        false => list
            .iter()
            .map(|g| g.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// `done`, `dropped` or `open`, with the resolution's note.
fn standing(f: &FollowUp) -> String {
    let note = f
        .note
        .as_deref()
        .map(|n| format!(": {n}"))
        .unwrap_or_default();
    format!("{}{note}", f.status)
}

pub fn markdown_section(c: &CycleReview, hit_rate: Option<f64>) -> String {
    let mut o = format!("## Cycle {} ({} to {})\n\n", c.cycle, c.start, c.end);
    let _ = writeln!(o, "- {}", hit_rates(c, hit_rate));
    let _ = writeln!(o, "- carried in: {}", ids(&c.carried_in));
    let _ = writeln!(
        o,
        "- carried on into a later cycle: {}",
        ids(&c.carried_out)
    );
    let _ = writeln!(o, "\n## Did we do what we said we'd do?\n");
    if c.follow_up.is_empty() {
        let _ = writeln!(o, "No action items from earlier cycles.");
    }
    for f in &c.follow_up {
        let mark = if f.status == "done" { "x" } else { " " };
        let owner = f
            .owner
            .as_ref()
            .map(|o| format!(", owner {o}"))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "- [{mark}] {} (`{}`, {}{owner}): {}",
            markdown(&f.text),
            f.goal,
            f.cycle,
            markdown(&standing(f))
        );
    }
    o.push('\n');
    o
}

pub fn html_section(c: &CycleReview, hit_rate: Option<f64>) -> String {
    let mut b = format!(
        "<h2>Cycle {} <span class=\"muted\">({} to {})</span></h2><ul>",
        xml(c.cycle.as_str()),
        c.start,
        c.end
    );
    let _ = write!(
        b,
        "<li>{}</li><li>carried in: {}</li><li>carried on into a later cycle: {}</li></ul>",
        xml(&hit_rates(c, hit_rate)),
        xml(&ids(&c.carried_in)),
        xml(&ids(&c.carried_out))
    );
    b.push_str("<h2>Did we do what we said we'd do?</h2><ul>");
    if c.follow_up.is_empty() {
        b.push_str("<li>No action items from earlier cycles.</li>");
    }
    for f in &c.follow_up {
        let _ = write!(
            b,
            "<li>{} <span class=\"muted\">({}, {}, owner {})</span>: <strong>{}</strong></li>",
            xml(&f.text),
            xml(f.goal.as_str()),
            xml(f.cycle.as_str()),
            f.owner
                .as_ref()
                .map_or_else(|| "-".into(), |o| xml(o.as_str())),
            xml(&standing(f))
        );
    }
    b.push_str("</ul>");
    b
}
