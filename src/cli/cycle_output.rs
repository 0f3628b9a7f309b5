//! The readable tables of the quarter's loop: cycles with their figures, and what is due.

use std::fmt::Write;

use crate::api::webhooks::{AttemptView, CreatedWebhook, Deliveries, WebhookView};
use crate::projections::due::DueList;
use crate::projections::views::CycleView;

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "-".to_owned(), |p| format!("{:.0}%", p * 100.0))
}

pub fn cycles(list: &[CycleView]) -> String {
    if list.is_empty() {
        return "no cycles yet: open one with `goal-ledger cycle open 2026-Q4 --start 2026-10-01 --end 2026-12-31`\n".to_owned();
    }
    let mut o = format!(
        "{:<12} {:<11} {:<11} {:<7} {:>5} {:>8} {:>9} {:>8}\n",
        "CYCLE", "START", "END", "STATUS", "GOALS", "HIT RATE", "AVG SCORE", "CARRIED"
    );
    for c in list {
        let f = &c.figures;
        let _ = writeln!(
            o,
            "{:<12} {:<11} {:<11} {:<7} {:>5} {:>8} {:>9} {:>8}",
            c.name.as_str(),
            c.start.to_string(),
            c.end.to_string(),
            c.status,
            f.goals,
            percent(f.hit_rate),
            f.average_score
                .map_or("-".to_owned(), |s| format!("{s:.2}")),
            f.carried_over
        );
    }
    o
}

pub fn cycle(c: &CycleView) -> String {
    let f = &c.figures;
    let mut o = format!(
        "cycle {} ({} to {}), {}\n",
        c.name, c.start, c.end, c.status
    );
    let _ = writeln!(o, "opened by {} at {}", c.opened_by, c.opened_at);
    if let (Some(at), Some(by)) = (c.closed_at, &c.closed_by) {
        let _ = writeln!(o, "closed by {by} at {at} (figures as recorded then)");
    }
    let _ = writeln!(
        o,
        "goals: {} ({} achieved, {} partial, {} missed, {} dropped, {} unfinished, {} carried over)",
        f.goals, f.achieved, f.partial, f.missed, f.dropped, f.unfinished, f.carried_over
    );
    let _ = writeln!(
        o,
        "hit rate: {}, average score: {}",
        percent(f.hit_rate),
        f.average_score
            .map_or("-".to_owned(), |s| format!("{s:.2}"))
    );
    let _ = writeln!(
        o,
        "action items: {} done, {} dropped, {} open",
        f.action_items_done, f.action_items_dropped, f.action_items_open
    );
    let goals: Vec<&str> = c.goals.iter().map(|g| g.as_str()).collect();
    let _ = writeln!(
        o,
        "goal ids: {}",
        if goals.is_empty() {
            "none".to_owned()
        } else {
            goals.join(", ")
        }
    );
    for (label, name) in [("previous", &c.previous), ("next", &c.next)] {
        if let Some(name) = name {
            let _ = writeln!(o, "{label} cycle: {name}");
        }
    }
    o
}

pub fn due(d: &DueList) -> String {
    let whose = match (&d.actor, &d.team) {
        (Some(a), _) => a.to_string(),
        (None, Some(t)) => format!("team {t}"),
        (None, None) => "you".to_owned(),
    };
    if d.is_empty() {
        return format!("nothing is waiting for {whose}\n");
    }
    let mut o = format!("waiting for {whose} as of {}\n", d.now);
    if !d.check_ins.is_empty() {
        o.push_str("\ncheck-ins:\n");
        for c in &d.check_ins {
            let last = c.last_check_in.map_or("never checked in".to_owned(), |at| {
                format!("last {}", at.date_naive())
            });
            let _ = writeln!(
                o,
                "  {:<8} {} / {} ({} cadence, {last}, due since {})",
                c.state,
                c.goal,
                c.key_result,
                c.cadence,
                c.due_since.date_naive()
            );
        }
    }
    if !d.votes.is_empty() {
        o.push_str("\nvotes:\n");
        for v in &d.votes {
            let waiting: Vec<&str> = v.waiting_for.iter().map(|a| a.as_str()).collect();
            let _ = writeln!(
                o,
                "  {} proposal #{} ({}){}: waiting for {}",
                v.goal,
                v.proposal,
                v.kind,
                v.closes_at
                    .map_or(String::new(), |at| format!(", closes {at}")),
                waiting.join(", ")
            );
        }
    }
    if !d.action_items.is_empty() {
        o.push_str("\naction items:\n");
        for a in &d.action_items {
            let _ = writeln!(
                o,
                "  {:<8} {} #{} for {} by {}: {}",
                a.state, a.goal, a.item, a.owner, a.due, a.text
            );
        }
    }
    if !d.closing_soon.is_empty() {
        o.push_str("\nclosing within 48 hours:\n");
        for v in &d.closing_soon {
            let _ = writeln!(
                o,
                "  {} proposal #{} ({}) closes {}",
                v.goal,
                v.proposal,
                v.kind,
                v.closes_at.map(|at| at.to_string()).unwrap_or_default()
            );
        }
    }
    o
}

pub fn created_webhook(c: &CreatedWebhook) -> String {
    format!(
        "registered webhook {} for {}\nsecret (shown once; the receiver verifies signatures with it):\n{}\n",
        c.webhook.id,
        c.webhook.url,
        c.secret
    )
}

pub fn webhooks(list: &[WebhookView]) -> String {
    if list.is_empty() {
        return "no webhooks registered\n".to_owned();
    }
    let mut o = format!("{:<14} {:<12} {:<40} EVENTS\n", "ID", "TEAM", "URL");
    for w in list {
        let events: Vec<&str> = w.events.iter().map(|e| e.name()).collect();
        let _ = writeln!(
            o,
            "{:<14} {:<12} {:<40} {}",
            w.id.as_str(),
            w.team.as_ref().map_or("-", |t| t.as_str()),
            w.url,
            events.join(",")
        );
    }
    o
}

pub fn deliveries(d: &Deliveries) -> String {
    let mut o = format!(
        "webhook {}: {} record(s) gone through, {} still to go{}\n",
        d.webhook,
        d.acknowledged,
        d.queued,
        d.next_retry
            .map_or(String::new(), |at| format!(", next retry at {at}"))
    );
    o.push_str(&attempts(&d.attempts));
    o
}

pub fn attempts(list: &[AttemptView]) -> String {
    if list.is_empty() {
        return "no attempts yet\n".to_owned();
    }
    let mut o = format!(
        "{:<26} {:<18} {:<22} {:>3} {:>6} {:>7} RESULT\n",
        "AT", "EVENT", "MESSAGE", "TRY", "STATUS", "MS"
    );
    for a in list {
        let result = match (a.delivered, &a.error, a.next_retry) {
            (true, _, _) => "delivered".to_owned(),
            (false, Some(e), _) => e.clone(),
            (false, None, Some(at)) => format!("retry at {at}"),
            (false, None, None) => "given up".to_owned(),
        };
        let _ = writeln!(
            o,
            "{:<26} {:<18} {:<22} {:>3} {:>6} {:>7} {}",
            a.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            a.event,
            a.message,
            a.attempt,
            a.status.map_or("-".to_owned(), |s| s.to_string()),
            a.took_ms,
            result
        );
    }
    o
}
