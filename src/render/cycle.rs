//! The cycle part of a team's cycle retrospective, in Markdown and in HTML: the hit rate
//! against the previous cycle, the goals carried in and out, and follow-through on earlier
//! action items.

use std::fmt::Write as _;

use maud::{display, html, Markup};

use super::escape::markdown;
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

pub fn html_section(c: &CycleReview, hit_rate: Option<f64>) -> Markup {
    html! {
        h2 { "Cycle " (c.cycle.as_str()) " " span.muted { "(" (display(c.start)) " to " (display(c.end)) ")" } }
        ul {
            li { (hit_rates(c, hit_rate)) }
            li { "carried in: " (ids(&c.carried_in)) }
            li { "carried on into a later cycle: " (ids(&c.carried_out)) }
        }
        h2 { "Did we do what we said we'd do?" }
        ul {
            @if c.follow_up.is_empty() { li { "No action items from earlier cycles." } }
            @for f in &c.follow_up {
                li {
                    (f.text) " "
                    span.muted {
                        "(" (f.goal.as_str()) ", " (f.cycle.as_str()) ", owner "
                        (f.owner.as_ref().map_or("-", |o| o.as_str())) ")"
                    }
                    ": " strong { (standing(f)) }
                }
            }
        }
    }
}
