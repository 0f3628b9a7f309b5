//! What the CLI prints: one stable JSON document per command with `--output json`, or tables
//! readable at 100 columns. Everything goes to stdout; errors go to stderr from `main`.

use std::fmt::Write as _;

use serde::Serialize;

use crate::api::{CreatedToken, TokenInfo};
use crate::domain::Role;
use crate::ledger::Appended;
use crate::projections::history::{local_mark, votes_line, History};
use crate::projections::timeline::Entry;
use crate::projections::views::{GoalView, ProposalView, TeamView};
use crate::render::number::{hours, number};

/// Prints `value` as pretty JSON.
pub fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(width.saturating_sub(1)).collect();
    s.push('…');
    s
}

fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

pub fn appended(a: &Appended) -> String {
    let seqs: Vec<String> = a.seqs.iter().map(|s| format!("#{s}")).collect();
    if a.replayed {
        format!(
            "already recorded as {} ({} v{}); nothing appended\n",
            seqs.join(", "),
            a.stream,
            a.version
        )
    } else {
        format!(
            "appended {} ({} now at version {})\n",
            seqs.join(", "),
            a.stream,
            a.version
        )
    }
}

pub fn goal(g: &GoalView) -> String {
    let mut o = String::new();
    let health = g.health.map(|h| format!(" · {h}")).unwrap_or_default();
    let outcome = match (g.outcome, g.score) {
        (Some(out), Some(score)) => format!(" · {out} ({score:.2})"),
        _ => String::new(),
    };
    let _ = writeln!(o, "{}  {}  [{}{health}{outcome}]", g.id, g.title, g.status);
    let teams: Vec<&str> = g.teams.iter().map(|t| t.as_str()).collect();
    let _ = writeln!(
        o,
        "  owners {}   rule {}   {} → {}   version {} (seq {})",
        teams.join(", "),
        g.rule,
        g.start,
        g.due,
        g.version,
        g.last_seq
    );
    if let Some(parent) = &g.parent {
        let _ = writeln!(o, "  aligned with {parent}");
    }
    if !g.description.is_empty() {
        let _ = writeln!(o, "  {}", cut(&g.description.replace('\n', " "), 96));
    }
    if let Some(summary) = &g.summary {
        let _ = writeln!(o, "  closing summary: {}", cut(summary, 80));
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "  {:<18} {:>12} {:>12} {:>12} {:>8}  {:<9} {:>4}  UNIT",
        "KEY RESULT", "BASELINE", "TARGET", "CURRENT", "PROGRESS", "HEALTH", "CONF"
    );
    for kr in &g.key_results {
        let _ = writeln!(
            o,
            "  {:<18} {:>12} {:>12} {:>12} {:>8}  {:<9} {:>4}  {}",
            cut(kr.name.as_str(), 18),
            number(kr.baseline),
            number(kr.target),
            kr.current.map(number).unwrap_or_else(|| "-".into()),
            kr.progress
                .map(|p| format!("{:.0}%", p * 100.0))
                .unwrap_or_else(|| "-".into()),
            kr.health
                .map(|h| h.to_string())
                .unwrap_or_else(|| "-".into()),
            kr.confidence
                .map(|c| c.to_string())
                .unwrap_or_else(|| "-".into()),
            kr.unit
        );
    }
    if let Some(p) = &g.open_proposal {
        open_proposal(&mut o, p);
    }
    if !g.action_items.is_empty() {
        let _ = writeln!(o, "\n  action items:");
        for a in &g.action_items {
            let _ = writeln!(
                o,
                "    {}  {:<8} owner {}, due {}",
                a.item, a.status, a.owner, a.due
            );
        }
    }
    o
}

/// An open proposal: what it would do, its votes and who has yet to vote.
fn open_proposal(o: &mut String, p: &ProposalView) {
    let _ = writeln!(o);
    let closes = p
        .closes_at
        .map(|t| format!(", closes {}", when(&t)))
        .unwrap_or_default();
    let _ = writeln!(
        o,
        "  open proposal #{} ({}, {}{closes}) by {}: {}",
        p.id,
        p.kind,
        p.rule,
        p.proposed_by,
        cut(&p.reason, 60)
    );
    if let Some(c) = &p.closing {
        let _ = writeln!(o, "    closing as {} with score {:.2}", c.outcome, c.score);
    }
    if let Some(changes) = &p.changes {
        let _ = writeln!(
            o,
            "    changes: {}",
            crate::projections::timeline::describe_changes(changes)
        );
    }
    let votes: Vec<String> = p
        .votes
        .iter()
        .map(|v| format!("{} {}", v.voter, v.choice))
        .collect();
    let waiting: Vec<&str> = p.waiting_for.iter().map(|a| a.as_str()).collect();
    let _ = writeln!(
        o,
        "    votes: {}   waiting for: {}",
        if votes.is_empty() {
            "none yet".into()
        } else {
            votes.join(", ")
        },
        if waiting.is_empty() {
            "nobody".into()
        } else {
            waiting.join(", ")
        }
    );
}

pub fn goals(list: &[GoalView]) -> String {
    if list.is_empty() {
        return "no goals match\n".to_owned();
    }
    let mut o = format!(
        "{:<22} {:<10} {:<10} {:<24} {:<11} TITLE\n",
        "ID", "STATUS", "HEALTH", "OWNERS", "DUE"
    );
    for g in list {
        let teams: Vec<&str> = g.teams.iter().map(|t| t.as_str()).collect();
        let _ = writeln!(
            o,
            "{:<22} {:<10} {:<10} {:<24} {:<11} {}",
            cut(g.id.as_str(), 22),
            g.status.to_string(),
            g.health
                .map(|h| h.to_string())
                .unwrap_or_else(|| "-".into()),
            cut(&teams.join(","), 24),
            g.due.to_string(),
            cut(&g.title, 40)
        );
    }
    o
}

pub fn team(t: &TeamView) -> String {
    let members: Vec<&str> = t.members.iter().map(|m| m.as_str()).collect();
    let goals: Vec<&str> = t.goals.iter().map(|g| g.as_str()).collect();
    format!(
        "{}  {}  (version {})\n  members: {}\n  goals: {}\n",
        t.id,
        t.name,
        t.version,
        if members.is_empty() {
            "none".into()
        } else {
            members.join(", ")
        },
        if goals.is_empty() {
            "none".into()
        } else {
            goals.join(", ")
        }
    )
}

pub fn teams(list: &[TeamView]) -> String {
    if list.is_empty() {
        return "no teams yet: add one with `goal-ledger team add ID --name NAME`\n".to_owned();
    }
    let mut o = format!(
        "{:<22} {:<24} {:>7} {:>5}\n",
        "ID", "NAME", "MEMBERS", "GOALS"
    );
    for t in list {
        let _ = writeln!(
            o,
            "{:<22} {:<24} {:>7} {:>5}",
            t.id.as_str(),
            cut(&t.name, 24),
            t.members.len(),
            t.goals.len()
        );
    }
    o
}

pub fn tokens(list: &[TokenInfo]) -> String {
    if list.is_empty() {
        return "no tokens yet: create one with `goal-ledger token create --for NAME --role member`\n".to_owned();
    }
    let mut o = format!(
        "{:<14} {:<16} {:<7} {:<16} {:<17} {:<17} REVOKED\n",
        "FINGERPRINT", "ACTOR", "ROLE", "GRANTED BY", "GRANTED", "EXPIRES"
    );
    let at = |t: &Option<chrono::DateTime<chrono::Utc>>| t.as_ref().map_or("-".to_owned(), when);
    for t in list {
        let _ = writeln!(
            o,
            "{:<14} {:<16} {:<7} {:<16} {:<17} {:<17} {}",
            t.fingerprint,
            cut(t.actor.as_str(), 16),
            t.role.to_string(),
            cut(t.granted_by.as_str(), 16),
            when(&t.granted_at),
            at(&t.expires_at),
            at(&t.revoked_at)
        );
    }
    o
}

/// A new token: the secret on a line of its own, then what it grants.
pub fn created_token(t: &CreatedToken) -> String {
    let until = t.expires_at.as_ref().map_or(String::new(), |at| {
        format!(
            ", until {}",
            at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        )
    });
    let article = if t.role == Role::Admin { "an" } else { "a" };
    format!(
        "{}\n({article} {} token for {}{until}, fingerprint {}; shown once, keep it secret)\n",
        t.token, t.role, t.actor, t.fingerprint
    )
}

pub fn history(h: &History) -> String {
    if h.entries.is_empty() {
        return format!("{} has no decided changes yet\n", h.goal);
    }
    let mut o = String::new();
    for c in &h.entries {
        let took = c
            .proposal
            .as_ref()
            .and_then(|p| p.took_seconds)
            .map(|s| format!(", consensus took {}", hours(s)))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "#{:<5} {}  {}  by {}{}{took}",
            c.seq,
            when(&c.at),
            c.kind,
            c.by,
            local_mark(&c.auth)
        );
        if c.kind == "carried-over" {
            let _ = writeln!(o, "       {}", c.summary);
        }
        for f in &c.changes {
            let _ = writeln!(
                o,
                "       {}: {} → {}",
                f.field,
                brief(&f.before),
                brief(&f.after)
            );
        }
        let _ = writeln!(o, "       reason: {}", cut(&c.reason, 86));
        if let Some(p) = &c.proposal {
            let votes = votes_line(
                &p.votes,
                |r| format!("\"{}\"", cut(r, 40)),
                |v| format!(" at {}{}", when(&v.at), local_mark(&v.auth)),
            );
            let _ = writeln!(o, "       proposal #{} under {}: {}", p.id, p.rule, votes);
            if let Some(d) = &p.decision {
                let _ = writeln!(o, "       decided: {d}");
            }
        }
        let seqs: Vec<String> = c.seqs.iter().map(u64::to_string).collect();
        let _ = writeln!(o, "       seqs: {}", seqs.join(", "));
    }
    o
}

fn brief(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "none".into(),
        serde_json::Value::String(s) => cut(s, 40),
        serde_json::Value::Number(n) => n.as_f64().map(number).unwrap_or_else(|| n.to_string()),
        other => cut(&other.to_string(), 60),
    }
}

pub fn timeline(entries: &[Entry]) -> String {
    if entries.is_empty() {
        return "nothing happened in that range\n".to_owned();
    }
    let mut o = String::new();
    for e in entries {
        let _ = writeln!(
            o,
            "#{:<5} {}  {}{}",
            e.seq,
            when(&e.at),
            cut(&e.summary, 80),
            local_mark(&e.auth)
        );
    }
    o
}
