//! The timeline: every record as one readable entry (who, when, how that was established, what,
//! in a sentence), per goal, per team or for the whole ledger, filtered by time. The raw material
//! of retrospectives.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::event::{CheckInRecorded, PostMortemNoted};
use crate::domain::{Actor, Changes, Event, GoalId, TeamId};
use crate::record::{Auth, Record};

/// Which entries to show.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub goal: Option<GoalId>,
    pub team: Option<TeamId>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// One event, readable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Entry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub stream: String,
    pub actor: Actor,
    /// How the actor was established, as the record says (a local write's actor is a claim).
    pub auth: Auth,
    #[serde(rename = "type")]
    pub kind: String,
    pub summary: String,
}

/// Says what an adjustment changes, briefly: `target visits → 46000, due → 2026-10-15`.
pub fn describe_changes(c: &Changes) -> String {
    let mut parts = Vec::new();
    for (kr, target) in &c.targets {
        parts.push(format!("target {kr} → {target}"));
    }
    if let Some(start) = c.start {
        parts.push(format!("start → {start}"));
    }
    if let Some(due) = c.due {
        parts.push(format!("due → {due}"));
    }
    if let Some(title) = &c.title {
        parts.push(format!("title → \"{title}\""));
    }
    if c.description.is_some() {
        parts.push("description rewritten".to_owned());
    }
    for kr in &c.add_key_results {
        parts.push(format!(
            "add key result {} ({} → {})",
            kr.name, kr.baseline, kr.target
        ));
    }
    for kr in &c.drop_key_results {
        parts.push(format!("drop key result {kr}"));
    }
    if let Some(rule) = c.rule {
        parts.push(format!("rule → {rule}"));
    }
    if let Some(teams) = &c.teams {
        let names: Vec<&str> = teams.iter().map(TeamId::as_str).collect();
        parts.push(format!("owners → {}", names.join(", ")));
    }
    if let Some(parent) = &c.parent {
        parts.push(format!("parent → {parent}"));
    }
    if let Some(cadence) = c.cadence {
        parts.push(format!("cadence → {cadence}"));
    }
    parts.join(", ")
}

/// The sentence for one record.
pub fn summary(record: &Record) -> String {
    let actor = &record.envelope.actor;
    match &record.event {
        Event::TeamRegistered(e) => format!("team {} ({}) registered by {actor}", e.name, e.team),
        Event::MemberJoined(e) => format!("{} joined {}", e.member, e.team),
        Event::MemberLeft(e) => format!("{} left {}", e.member, e.team),
        Event::GoalProposed(e) => format!(
            "{actor} proposed {} \"{}\" for {} under {}: {}",
            e.goal,
            e.definition.title,
            e.definition
                .teams
                .iter()
                .map(TeamId::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            e.rule,
            e.reason
        ),
        Event::AdjustmentProposed(e) => format!(
            "{actor} proposed adjustment #{} of {}: {} ({})",
            e.proposal,
            e.goal,
            describe_changes(&e.changes),
            e.reason
        ),
        Event::ClosingProposed(e) => format!(
            "{actor} proposed #{} to close {} as {} (score {:.2}): {}",
            e.proposal, e.goal, e.outcome, e.score, e.summary
        ),
        Event::ReopeningProposed(e) => format!(
            "{actor} proposed #{} to reopen {}: {}",
            e.proposal, e.goal, e.reason
        ),
        Event::VoteCast(e) => {
            let reason = e
                .reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            format!(
                "{actor} voted {} on proposal #{} of {}{reason}",
                e.choice, e.proposal, e.goal
            )
        }
        Event::ProposalDecided(e) => format!(
            "proposal #{} of {} {}: {}",
            e.proposal,
            e.goal,
            match e.outcome {
                crate::domain::Outcome::Accepted => "accepted",
                crate::domain::Outcome::Rejected => "rejected",
            },
            e.explanation
        ),
        Event::ProposalWithdrawn(e) => {
            format!(
                "{actor} withdrew proposal #{} of {}: {}",
                e.proposal, e.goal, e.reason
            )
        }
        Event::GoalAdjusted(e) => format!("{} adjusted: {}", e.goal, describe_changes(&e.changes)),
        Event::CheckInRecorded(e) => check_in_summary(actor, e),
        Event::GoalClosed(e) => match e.proposal {
            Some(p) => format!(
                "{} closed as {} (score {:.2}) by proposal #{p}: {}",
                e.goal, e.outcome, e.score, e.summary
            ),
            None => format!(
                "{actor} closed {} as {} (score {:.2}): {}",
                e.goal, e.outcome, e.score, e.summary
            ),
        },
        Event::GoalReopened(e) => match e.proposal {
            Some(p) => format!("{} reopened by proposal #{p}: {}", e.goal, e.reason),
            None => format!("{actor} reopened {}: {}", e.goal, e.reason),
        },
        Event::TokenGranted(e) => format!(
            "{actor} granted a {} token ({}) to {}{}",
            e.role,
            e.token.fingerprint(),
            e.actor,
            e.expires_at.map_or(String::new(), |at| format!(
                " until {}",
                at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            ))
        ),
        Event::TokenRevoked(e) => format!(
            "{actor} revoked token {}: {}",
            e.token.fingerprint(),
            e.reason
        ),
        Event::PostMortemNoted(e) => note_summary(actor, e),
        Event::CycleOpened(_)
        | Event::CycleClosed(_)
        | Event::CarryOverProposed(_)
        | Event::GoalCarriedOver(_)
        | Event::WebhookRegistered(_)
        | Event::WebhookRemoved(_) => loop_summary(actor, &record.event),
        Event::ActionItemResolved(e) => {
            let note = e
                .note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default();
            format!("{actor} marked action item {} {}{note}", e.item, e.status)
        }
    }
}

/// The sentence for a record of the quarter's loop: cycles, carry-overs, webhooks.
fn loop_summary(actor: &Actor, event: &Event) -> String {
    match event {
        Event::CycleOpened(e) => format!(
            "{actor} opened cycle {} ({} to {})",
            e.cycle, e.start, e.end
        ),
        Event::CycleClosed(e) => format!(
            "{actor} closed cycle {}: {} goal(s), {} achieved, {} carried over, {} action item(s) open",
            e.cycle, e.figures.goals, e.figures.achieved, e.figures.carried_over, e.figures.action_items_open
        ),
        Event::CarryOverProposed(e) => format!(
            "{actor} proposed #{} to carry {} from {} into {} ({} to {}): {}",
            e.proposal, e.goal, e.from, e.to, e.start, e.due, e.reason
        ),
        Event::GoalCarriedOver(e) => format!(
            "{} {} by proposal #{}",
            e.goal,
            super::history::carried_summary(e),
            e.proposal
        ),
        Event::WebhookRegistered(e) => format!(
            "{actor} registered webhook {} to {} for {}{}",
            e.webhook,
            e.url,
            e.events
                .iter()
                .map(|n| n.name())
                .collect::<Vec<_>>()
                .join(", "),
            e.team
                .as_ref()
                .map_or(String::new(), |t| format!(" of team {t}'s goals"))
        ),
        Event::WebhookRemoved(e) => {
            format!("{actor} removed webhook {}: {}", e.webhook, e.reason)
        }
        other => other.type_name().to_owned(),
    }
}

/// The sentence for a check-in.
fn check_in_summary(actor: &Actor, e: &CheckInRecorded) -> String {
    let confidence = e
        .confidence
        .map(|c| format!(", confidence {c}/10"))
        .unwrap_or_default();
    let note = e
        .note
        .as_deref()
        .map(|n| format!(": {n}"))
        .unwrap_or_default();
    let correction = e
        .corrects
        .map(|s| format!(" (corrects #{s})"))
        .unwrap_or_default();
    let outside = match e.outside_period {
        true => " (outside the goal's period)",
        false => "",
    };
    format!(
        "{actor} checked in {} = {} ({}{confidence}){correction}{outside}{note}",
        e.key_result, e.value, e.health
    )
}

/// The sentence for a post-mortem note; an action item says its number, owner and due date.
fn note_summary(actor: &Actor, e: &PostMortemNoted) -> String {
    match (&e.owner, e.due, e.item) {
        (Some(owner), Some(due), Some(item)) => format!(
            "{actor} noted action item {item} for {owner} by {due}: {}",
            e.text
        ),
        (Some(owner), Some(due), None) => format!(
            "{actor} noted {} for {owner} by {due}: {}",
            e.section, e.text
        ),
        _ => format!("{actor} noted {}: {}", e.section, e.text),
    }
}

/// The timeline entry of one record.
pub fn entry(record: &Record) -> Entry {
    Entry {
        seq: record.envelope.seq,
        at: record.envelope.recorded_at,
        stream: record.envelope.stream.to_string(),
        actor: record.envelope.actor.clone(),
        auth: record.envelope.auth.clone(),
        kind: record.event.type_name().to_owned(),
        summary: summary(record),
    }
}
