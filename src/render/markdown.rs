//! Retrospectives as Markdown: readable in a terminal and rendered well by a git forge. A goal's
//! report is written section by section (headline, key results, definition, check-ins, changes,
//! post-mortem); user text goes through `escape::markdown` so it cannot break tables or inject
//! HTML.

use std::fmt::Write as _;

use super::escape::markdown as text;
use super::number::{hours, number, percent};
use crate::domain::{GoalDefinition, Resolution, Section};
use crate::projections::history::{local_mark, votes_line};
use crate::report::{GoalRetro, TeamRetro};

pub fn section_title(s: Section) -> &'static str {
    match s {
        Section::WentWell => "What went well",
        Section::WentWrong => "What went wrong",
        Section::Lesson => "Lessons",
        Section::ActionItem => "Action items",
        Section::Kudos => "Kudos",
    }
}

/// One row of the definition table: how to show a field of a definition.
type DefinitionField = dyn Fn(&GoalDefinition) -> String;

/// A goal's retrospective.
pub fn goal(r: &GoalRetro) -> String {
    let mut o = String::new();
    headline(&mut o, r);
    key_results(&mut o, r);
    definition(&mut o, r);
    check_ins(&mut o, r);
    changes(&mut o, r);
    post_mortem(&mut o, r);
    o
}

/// The title, the outcome, the figures and the closing summary.
fn headline(o: &mut String, r: &GoalRetro) {
    let _ = writeln!(o, "# Retrospective: {} (`{}`)\n", text(&r.title), r.goal);
    let outcome = match (r.outcome, r.score) {
        (Some(outcome), Some(score)) => format!("**{outcome}**, score {score:.2}"),
        _ => format!("**{}** (not closed)", r.status),
    };
    let closed = r
        .closed_at
        .map(|t| format!(", closed {}", t.date_naive()))
        .unwrap_or_default();
    let teams: Vec<&str> = r.teams.iter().map(|t| t.as_str()).collect();
    let _ = writeln!(o, "{outcome}{closed} · owners: {}  ", teams.join(", "));
    let f = &r.figures;
    let _ = writeln!(
        o,
        "{} days active · {} adjustment(s) · {} proposal(s) · {} check-ins ({} corrected) · {} votes{}\n",
        f.days_active.map(number).unwrap_or_else(|| "-".into()),
        f.adjustments,
        f.proposals,
        f.check_ins,
        f.corrections,
        f.votes,
        f.mean_consensus_hours.map(|h| format!(" · consensus took {h} h on average")).unwrap_or_default()
    );
    if let Some(summary) = &r.summary {
        let _ = writeln!(o, "> {}\n", text(summary));
    }
}

/// Each key result from baseline through its targets to the final value.
fn key_results(o: &mut String, r: &GoalRetro) {
    let _ = writeln!(o, "## Key results\n");
    let _ = writeln!(o, "| key result | baseline | target (adopted → adjusted) | final | progress | check-ins | cadence | longest gap |");
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|");
    for kr in &r.key_results {
        let targets: Vec<String> = kr.targets.iter().map(|t| number(t.target)).collect();
        let unit = if kr.unit.is_empty() {
            String::new()
        } else {
            format!(" ({})", text(&kr.unit))
        };
        let _ = writeln!(
            o,
            "| {}{unit} | {} | {} | {} | {} | {} | {} | {} |",
            kr.name,
            number(kr.baseline),
            targets.join(" → "),
            kr.final_value.map(number).unwrap_or_else(|| "-".into()),
            kr.progress.map(percent).unwrap_or_else(|| "-".into()),
            kr.check_ins.len(),
            kr.cadence_days
                .map(|d| format!("{} d", number(d)))
                .unwrap_or_else(|| "-".into()),
            kr.longest_gap_days
                .map(|d| format!("{} d", number(d)))
                .unwrap_or_else(|| "-".into()),
        );
    }
}

/// The definition as adopted beside the definition as it ended.
fn definition(o: &mut String, r: &GoalRetro) {
    let _ = writeln!(o, "\n## Definition\n");
    let _ = writeln!(o, "| | as adopted | as ended |\n|---|---|---|");
    let cell =
        |d: Option<&GoalDefinition>, f: &DefinitionField| d.map(f).unwrap_or_else(|| "-".into());
    let rows: [(&str, &DefinitionField); 5] = [
        ("title", &|d| text(&d.title)),
        ("owners", &|d| {
            d.teams
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }),
        ("dates", &|d| format!("{} → {}", d.start, d.due)),
        ("key results", &|d| {
            d.key_results
                .iter()
                .map(|k| format!("{} {} → {}", k.name, number(k.baseline), number(k.target)))
                .collect::<Vec<_>>()
                .join("; ")
        }),
        ("description", &|d| text(&d.description)),
    ];
    for (name, f) in rows {
        let _ = writeln!(
            o,
            "| {name} | {} | {} |",
            cell(r.as_adopted.as_ref(), f),
            cell(Some(&r.as_ended), f)
        );
    }
}

/// Every check-in, per key result.
fn check_ins(o: &mut String, r: &GoalRetro) {
    let _ = writeln!(o, "\n## Check-ins\n");
    for kr in &r.key_results {
        let _ = writeln!(o, "### {}\n", kr.name);
        if kr.check_ins.is_empty() {
            let _ = writeln!(o, "No check-ins.\n");
            continue;
        }
        let _ = writeln!(
            o,
            "| date | value | health | confidence | by | note |\n|---|---|---|---|---|---|"
        );
        for p in &kr.check_ins {
            let note = match (p.corrects, &p.note) {
                (Some(seq), Some(n)) => format!("corrects #{seq}: {}", text(n)),
                (Some(seq), None) => format!("corrects #{seq}"),
                (None, Some(n)) => text(n),
                (None, None) => String::new(),
            };
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {note} |",
                p.at.date_naive(),
                number(p.value),
                p.health,
                p.confidence
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "-".into()),
                p.by
            );
        }
        let _ = writeln!(o);
    }
}

/// Every decided change with its fields, proposal, votes and decision.
fn changes(o: &mut String, r: &GoalRetro) {
    let _ = writeln!(o, "## Changes\n");
    for c in &r.changes {
        let _ = writeln!(
            o,
            "### {} · {} (record {}) · by {}{}\n",
            c.at.date_naive(),
            c.kind,
            c.seq,
            c.by,
            text(&local_mark(&c.auth))
        );
        let _ = writeln!(o, "Reason: {}\n", text(&c.reason));
        for f in &c.changes {
            let show = |v| text(&super::number::value(v));
            let _ = writeln!(o, "- {}: {} → {}", f.field, show(&f.before), show(&f.after));
        }
        if let Some(p) = &c.proposal {
            let votes = votes_line(
                &p.votes,
                |r| format!("“{}”", text(r)),
                |v| text(&local_mark(&v.auth)),
            );
            let _ = writeln!(o, "- proposal {} under {}: {}", p.id, p.rule, votes);
            if let (Some(d), Some(took)) = (&p.decision, p.took_seconds) {
                let _ = writeln!(o, "- decided: {} (after {})", text(d), hours(took));
            }
        }
        let _ = writeln!(o);
    }
}

/// The post-mortem notes by section; action items as checkboxes, ticked when done and struck
/// through when dropped, with who resolved them and when.
fn post_mortem(o: &mut String, r: &GoalRetro) {
    let _ = writeln!(o, "## Post-mortem\n");
    if r.notes.is_empty() {
        let _ = writeln!(o, "No notes yet.");
    }
    for (section, notes) in r.notes_by_section() {
        let _ = writeln!(o, "### {}\n", section_title(section));
        for n in notes {
            match (&n.owner, n.due) {
                (Some(owner), Some(due)) => {
                    let number = n.item.map(|i| format!("#{i} ")).unwrap_or_default();
                    let line = format!("{number}{} (owner {owner}, due {due})", text(&n.text));
                    let _ = match &n.resolved {
                        None => writeln!(o, "- [ ] {line}"),
                        Some(r) if r.status == Resolution::Done => {
                            writeln!(o, "- [x] {line}: {}", text(&r.describe()))
                        }
                        Some(r) => writeln!(o, "- [ ] ~~{line}~~: {}", text(&r.describe())),
                    };
                }
                _ => {
                    let _ = writeln!(o, "- {} ({})", text(&n.text), n.by);
                }
            }
        }
        let _ = writeln!(o);
    }
}

/// A team's period report.
pub fn team(r: &TeamRetro) -> String {
    let mut o = String::new();
    let period = match (r.since, r.until) {
        (Some(s), Some(u)) => format!(", {s} to {u}"),
        (Some(s), None) => format!(", since {s}"),
        (None, Some(u)) => format!(", until {u}"),
        (None, None) => String::new(),
    };
    let title = match &r.cycle {
        Some(c) => format!(
            "# Team retrospective: {}, cycle {}{period}\n",
            r.team, c.cycle
        ),
        None => format!("# Team retrospective: {}{period}\n", r.team),
    };
    let _ = writeln!(o, "{title}");
    let _ = writeln!(
        o,
        "{} goal(s) · hit rate {} · average score {} · {} adjustments per goal\n",
        r.goals.len(),
        r.hit_rate.map(percent).unwrap_or_else(|| "-".into()),
        r.average_score
            .map(|s| format!("{s:.2}"))
            .unwrap_or_else(|| "-".into()),
        r.adjustments_per_goal
            .map(number)
            .unwrap_or_else(|| "-".into()),
    );
    let _ = writeln!(
        o,
        "| goal | status | outcome | score | adjustments | due |\n|---|---|---|---|---|---|"
    );
    for g in &r.goals {
        let _ = writeln!(
            o,
            "| {} (`{}`) | {} | {} | {} | {} | {} |",
            text(&g.title),
            g.goal,
            g.status,
            g.outcome
                .map(|x| x.to_string())
                .unwrap_or_else(|| "-".into()),
            g.score
                .map(|s| format!("{s:.2}"))
                .unwrap_or_else(|| "-".into()),
            g.adjustments,
            g.due
        );
    }
    if let Some(c) = &r.cycle {
        o.push('\n');
        o.push_str(&super::cycle::markdown_section(c, r.hit_rate));
    }
    let _ = writeln!(o, "\n## Open action items\n");
    if r.action_items.is_empty() {
        let _ = writeln!(o, "None.");
    }
    for a in &r.action_items {
        let owner = a
            .owner
            .as_ref()
            .map(|o| format!(", owner {o}"))
            .unwrap_or_default();
        let due = a.due.map(|d| format!(", due {d}")).unwrap_or_default();
        let _ = writeln!(o, "- [ ] {} (`{}`{owner}{due})", text(&a.text), a.goal);
    }
    let _ = writeln!(o, "\n## Lessons\n");
    if r.lessons.is_empty() {
        let _ = writeln!(o, "None yet.");
    }
    for l in &r.lessons {
        let _ = writeln!(o, "- {} (`{}`, {})", text(&l.text), l.goal, l.by);
    }
    o
}
