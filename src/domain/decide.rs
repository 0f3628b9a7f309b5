//! Deciding: `decide(state, command, context)` checks a command against the current state and
//! returns the events it produces or the rule it breaks; `tick(state, now)` decides the proposals
//! whose closing time has passed. Pure: the clock and looked-up facts come in `Context`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};

use super::apply::{apply_changes, State};
use super::command::{Command, Context, GoalDraft};
use super::consensus::{evaluate, Choice, Electorate, Outcome, Verdict};
use super::event::*;
use super::goal::{Direction, Goal, GoalDefinition, GoalStatus, KeyResult, KeyResultSpec, Section};
use super::ids::{Actor, GoalId, KrName, TeamId};
use super::proposal::{Changes, Proposal, ProposalKind};
use super::rejection::Rejection;

/// Largest magnitude accepted for a key result value, baseline or target.
pub const MAX_VALUE: f64 = 1e15;
const MAX_KEY_RESULTS: usize = 20;
const MAX_TEAMS: usize = 12;

/// Checks `command` against `state` and returns the events it produces, in order.
pub fn decide(state: &State, command: &Command, ctx: &Context) -> Result<Vec<Event>, Rejection> {
    if ctx.actor.is_system() {
        return Err(Rejection::ReservedActor);
    }
    match command {
        Command::RegisterTeam { team, name } => {
            if state.teams.contains_key(team) {
                return Err(Rejection::TeamExists(team.clone()));
            }
            text("name", name, 1, 100, false)?;
            Ok(vec![TeamRegistered {
                team: team.clone(),
                name: name.trim().to_owned(),
            }
            .into()])
        }
        Command::JoinTeam { team, member } => {
            let t = state
                .teams
                .get(team)
                .ok_or_else(|| Rejection::UnknownTeam(team.clone()))?;
            if member.is_system() {
                return Err(Rejection::ReservedActor);
            }
            if t.members.contains(member) {
                return Err(Rejection::AlreadyMember {
                    team: team.clone(),
                    member: member.clone(),
                });
            }
            Ok(vec![MemberJoined {
                team: team.clone(),
                member: member.clone(),
            }
            .into()])
        }
        Command::LeaveTeam { team, member } => {
            let t = state
                .teams
                .get(team)
                .ok_or_else(|| Rejection::UnknownTeam(team.clone()))?;
            if !t.members.contains(member) {
                return Err(Rejection::NotAMember {
                    team: team.clone(),
                    member: member.clone(),
                });
            }
            Ok(vec![MemberLeft {
                team: team.clone(),
                member: member.clone(),
            }
            .into()])
        }
        Command::ProposeGoal {
            goal,
            draft,
            rule,
            reason,
            closes_at,
        } => propose_goal(state, ctx, goal, draft, *rule, reason, *closes_at),
        Command::ProposeAdjustment {
            goal,
            changes,
            reason,
            closes_at,
        } => propose_adjustment(state, ctx, goal, changes, reason, *closes_at),
        Command::CastVote {
            goal,
            choice,
            reason,
        } => cast_vote(state, ctx, goal, *choice, reason.as_deref()),
        Command::WithdrawProposal { goal, reason } => {
            let g = find_goal(state, goal)?;
            let proposal = g.open_proposal.as_ref().ok_or(Rejection::NoOpenProposal {
                goal: goal.clone(),
                action: "withdraw",
            })?;
            if proposal.proposed_by != ctx.actor {
                require_owner(
                    state,
                    g,
                    &ctx.actor,
                    "withdraw a proposal they did not make",
                )?;
            }
            text("reason", reason, 1, 2000, true)?;
            Ok(vec![ProposalWithdrawn {
                goal: goal.clone(),
                proposal: proposal.id,
                reason: reason.trim().to_owned(),
            }
            .into()])
        }
        Command::RecordCheckIn {
            goal,
            key_result,
            value,
            health,
            confidence,
            note,
            corrects,
        } => {
            let g = find_goal(state, goal)?;
            require_status(g, GoalStatus::Active, "check in on")?;
            require_owner(state, g, &ctx.actor, "check in")?;
            find_key_result(g, key_result)?;
            number("value", *value)?;
            if let Some(c) = confidence {
                if *c > 10 {
                    return Err(Rejection::invalid(
                        "confidence",
                        format!("{c} is out of range: use 0 to 10"),
                    ));
                }
            }
            if let Some(note) = note {
                text("note", note, 0, 2000, true)?;
            }
            if let Some(seq) = corrects {
                let matches = ctx.corrected.as_ref().is_some_and(|c| {
                    c.seq == *seq && &c.goal == goal && &c.key_result == key_result
                });
                if !matches {
                    return Err(Rejection::invalid(
                        "corrects",
                        format!("sequence {seq} is not a check-in of key result `{key_result}` on goal `{goal}`"),
                    ));
                }
            }
            Ok(vec![CheckInRecorded {
                goal: goal.clone(),
                key_result: key_result.clone(),
                value: *value,
                health: *health,
                confidence: *confidence,
                note: note
                    .as_ref()
                    .map(|n| n.trim().to_owned())
                    .filter(|n| !n.is_empty()),
                corrects: *corrects,
            }
            .into()])
        }
        Command::CloseGoal {
            goal,
            outcome,
            score,
            summary,
            final_values,
        } => {
            let g = find_goal(state, goal)?;
            require_status(g, GoalStatus::Active, "close")?;
            if let Some(p) = &g.open_proposal {
                return Err(Rejection::ProposalOpen {
                    goal: goal.clone(),
                    proposal: p.id,
                    kind: p.kind.name(),
                });
            }
            require_owner(state, g, &ctx.actor, "close it")?;
            if !(0.0..=1.0).contains(score) {
                return Err(Rejection::invalid(
                    "score",
                    format!("{score} is out of range: use 0.0 to 1.0"),
                ));
            }
            text("summary", summary, 1, 4000, true)?;
            let mut values = BTreeMap::new();
            for (kr, value) in final_values {
                find_key_result(g, kr)?;
                number(&format!("final value of {kr}"), *value)?;
                values.insert(kr.clone(), *value);
            }
            for kr in &g.definition.key_results {
                if let (false, Some(current)) =
                    (values.contains_key(&kr.name), g.current.get(&kr.name))
                {
                    values.insert(kr.name.clone(), current.value);
                }
            }
            Ok(vec![GoalClosed {
                goal: goal.clone(),
                outcome: *outcome,
                score: *score,
                summary: summary.trim().to_owned(),
                final_values: values,
            }
            .into()])
        }
        Command::ReopenGoal { goal, reason } => {
            let g = find_goal(state, goal)?;
            require_status(g, GoalStatus::Closed, "reopen")?;
            require_owner(state, g, &ctx.actor, "reopen it")?;
            text("reason", reason, 1, 2000, true)?;
            Ok(vec![GoalReopened {
                goal: goal.clone(),
                reason: reason.trim().to_owned(),
            }
            .into()])
        }
        Command::GrantToken { token, actor, role } => {
            if state.access.tokens.contains_key(token) {
                return Err(Rejection::invalid(
                    "token",
                    "this token was granted before; create a new one",
                ));
            }
            if actor.is_system() {
                return Err(Rejection::ReservedActor);
            }
            Ok(vec![TokenGranted {
                token: token.clone(),
                actor: actor.clone(),
                role: *role,
            }
            .into()])
        }
        Command::RevokeToken { token, reason } => {
            match state.access.tokens.get(token) {
                None => {
                    return Err(Rejection::invalid(
                        "token",
                        format!("no token {} was granted", token.fingerprint()),
                    ))
                }
                Some(g) if g.revoked_at.is_some() => {
                    return Err(Rejection::invalid(
                        "token",
                        format!("token {} is already revoked", token.fingerprint()),
                    ))
                }
                Some(_) => {}
            }
            text("reason", reason, 1, 2000, true)?;
            Ok(vec![TokenRevoked {
                token: token.clone(),
                reason: reason.trim().to_owned(),
            }
            .into()])
        }
        Command::NotePostMortem {
            goal,
            section,
            text: body,
            owner,
            due,
        } => {
            let g = find_goal(state, goal)?;
            if g.status == GoalStatus::Proposed {
                return Err(Rejection::WrongStatus {
                    goal: goal.clone(),
                    status: g.status,
                    action: "write post-mortem notes on",
                    hint: " (notes start once it is adopted, rejected or withdrawn)",
                });
            }
            if !state.teams.values().any(|t| t.members.contains(&ctx.actor)) {
                return Err(Rejection::invalid(
                    "actor",
                    format!(
                        "{} is not a member of any team; only team members write notes",
                        ctx.actor
                    ),
                ));
            }
            text("text", body, 1, 4000, true)?;
            match (section, owner, due) {
                (Section::ActionItem, Some(_), Some(_)) => {}
                (Section::ActionItem, _, _) => {
                    return Err(Rejection::invalid(
                        "owner",
                        "an action item needs an owner and a due date",
                    ))
                }
                (_, None, None) => {}
                _ => {
                    return Err(Rejection::invalid(
                        "owner",
                        "owner and due date belong to action items only",
                    ))
                }
            }
            Ok(vec![PostMortemNoted {
                goal: goal.clone(),
                section: *section,
                text: body.trim().to_owned(),
                owner: owner.clone(),
                due: *due,
            }
            .into()])
        }
    }
}

/// Decides every open proposal whose closing time is at or before `now`: one group of events
/// per proposal (the decision, and for an accepted adjustment the adjustment).
pub fn tick(state: &State, now: DateTime<Utc>) -> Vec<Vec<Event>> {
    let mut events = Vec::new();
    let due = state.deadlines.iter().take_while(|(at, _)| *at <= now);
    for goal in due.filter_map(|(_, id)| state.goals.get(id)) {
        let Some(p) = &goal.open_proposal else {
            continue;
        };
        if let Some(verdict) = evaluate(&p.rule, &p.electorate, &p.choices(), true) {
            events.push(settle(goal, p, verdict, DecidedBy::ClosingTime));
        }
    }
    events
}

/// The events that settle `proposal` with `verdict`: the decision, and for an accepted
/// adjustment the adjustment itself.
fn settle(goal: &Goal, proposal: &Proposal, verdict: Verdict, by: DecidedBy) -> Vec<Event> {
    let mut events = vec![Event::from(ProposalDecided {
        goal: goal.id.clone(),
        proposal: proposal.id,
        outcome: verdict.outcome,
        decided_by: by,
        tally: verdict.tally,
        explanation: verdict.explanation,
    })];
    if let (Outcome::Accepted, ProposalKind::Adjustment { changes }) =
        (verdict.outcome, &proposal.kind)
    {
        events.push(
            GoalAdjusted {
                goal: goal.id.clone(),
                proposal: proposal.id,
                changes: (**changes).clone(),
            }
            .into(),
        );
    }
    events
}

fn propose_goal(
    state: &State,
    ctx: &Context,
    goal: &GoalId,
    draft: &GoalDraft,
    rule: super::consensus::Rule,
    reason: &str,
    closes_at: Option<DateTime<Utc>>,
) -> Result<Vec<Event>, Rejection> {
    if state.goals.contains_key(goal) {
        return Err(Rejection::GoalExists(goal.clone()));
    }
    let definition = GoalDefinition {
        title: draft.title.trim().to_owned(),
        description: draft.description.trim().to_owned(),
        teams: sorted_teams(&draft.teams),
        parent: draft.parent.clone(),
        start: draft.start,
        due: draft.due,
        key_results: draft.key_results.iter().map(key_result).collect(),
    };
    check_definition(state, goal, &definition)?;
    if !definition
        .teams
        .iter()
        .any(|t| state.teams[t].members.contains(&ctx.actor))
    {
        return Err(Rejection::invalid(
            "teams",
            format!(
                "{} is not a member of {}; a goal is proposed by a member of an owning team",
                ctx.actor,
                join(&definition.teams)
            ),
        ));
    }
    text("reason", reason, 1, 2000, true)?;
    check_closing(closes_at, ctx.now)?;
    Ok(vec![GoalProposed {
        goal: goal.clone(),
        proposal: 1,
        electorate: electorate(state, &definition.teams),
        definition,
        rule,
        reason: reason.trim().to_owned(),
        closes_at,
    }
    .into()])
}

fn propose_adjustment(
    state: &State,
    ctx: &Context,
    goal: &GoalId,
    changes: &Changes,
    reason: &str,
    closes_at: Option<DateTime<Utc>>,
) -> Result<Vec<Event>, Rejection> {
    let g = find_goal(state, goal)?;
    require_status(g, GoalStatus::Active, "adjust")?;
    if let Some(p) = &g.open_proposal {
        return Err(Rejection::ProposalOpen {
            goal: goal.clone(),
            proposal: p.id,
            kind: p.kind.name(),
        });
    }
    require_owner(state, g, &ctx.actor, "propose adjustments")?;
    if changes.is_empty() {
        return Err(Rejection::invalid(
            "changes",
            "nothing to change: give at least one of targets, due, start, title, description, add/drop key results, rule, teams, parent",
        ));
    }
    for (kr, target) in &changes.targets {
        if changes.drop_key_results.contains(kr) {
            return Err(Rejection::invalid(
                "targets",
                format!("`{kr}` is both retargeted and dropped"),
            ));
        }
        find_key_result(g, kr)?;
        number(&format!("target of {kr}"), *target)?;
    }
    for kr in &changes.drop_key_results {
        find_key_result(g, kr)?;
    }
    let mut changes = changes.clone();
    if let Some(t) = &changes.title {
        changes.title = Some(t.trim().to_owned());
    }
    if let Some(d) = &changes.description {
        changes.description = Some(d.trim().to_owned());
    }
    if let Some(teams) = &changes.teams {
        changes.teams = Some(sorted_teams(teams));
    }
    let after = apply_changes(&g.definition, &changes);
    check_definition(state, goal, &after)?;
    if after == g.definition && changes.rule.is_none_or(|r| r == g.rule) {
        return Err(Rejection::invalid(
            "changes",
            "these changes would leave the goal exactly as it is",
        ));
    }
    text("reason", reason, 1, 2000, true)?;
    check_closing(closes_at, ctx.now)?;
    let voters: Vec<TeamId> = g
        .definition
        .teams
        .iter()
        .chain(after.teams.iter())
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Ok(vec![AdjustmentProposed {
        goal: goal.clone(),
        proposal: g.proposals + 1,
        changes,
        rule: g.rule,
        reason: reason.trim().to_owned(),
        electorate: electorate(state, &voters),
        closes_at,
    }
    .into()])
}

fn cast_vote(
    state: &State,
    ctx: &Context,
    goal: &GoalId,
    choice: Choice,
    reason: Option<&str>,
) -> Result<Vec<Event>, Rejection> {
    let g = find_goal(state, goal)?;
    let Some(p) = &g.open_proposal else {
        if matches!(
            g.status,
            GoalStatus::Closed | GoalStatus::Rejected | GoalStatus::Withdrawn
        ) {
            return Err(Rejection::WrongStatus {
                goal: goal.clone(),
                status: g.status,
                action: "vote on",
                hint: " and has no open proposal",
            });
        }
        return Err(Rejection::NoOpenProposal {
            goal: goal.clone(),
            action: "vote on",
        });
    };
    if !p.electorate.contains(&ctx.actor) {
        return Err(Rejection::NotInElectorate {
            actor: ctx.actor.clone(),
            goal: goal.clone(),
            proposal: p.id,
            electorate: p
                .electorate
                .voters()
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if let Some(r) = reason {
        text("reason", r, 1, 2000, true)?;
    }
    if choice == Choice::Block && reason.is_none() {
        return Err(Rejection::BlockNeedsReason);
    }
    let mut events = vec![Event::from(VoteCast {
        goal: goal.clone(),
        proposal: p.id,
        choice,
        reason: reason.map(str::to_owned),
    })];
    let mut choices = p.choices();
    choices.insert(ctx.actor.clone(), choice);
    let closing = p.closes_at.is_some_and(|at| at <= ctx.now);
    if let Some(verdict) = evaluate(&p.rule, &p.electorate, &choices, closing) {
        let by = if closing {
            DecidedBy::ClosingTime
        } else {
            DecidedBy::Votes
        };
        events.extend(settle(g, p, verdict, by));
    }
    Ok(events)
}

fn key_result(spec: &KeyResultSpec) -> KeyResult {
    KeyResult {
        name: spec.name.clone(),
        unit: spec.unit.trim().to_owned(),
        baseline: spec.baseline,
        target: spec.target,
        direction: Direction::between(spec.baseline, spec.target),
        weight: spec.weight,
    }
}

/// The checks every definition must pass, whether proposed or adjusted.
fn check_definition(state: &State, goal: &GoalId, def: &GoalDefinition) -> Result<(), Rejection> {
    text("title", &def.title, 1, 200, false)?;
    text("description", &def.description, 0, 4000, true)?;
    if def.teams.is_empty() {
        return Err(Rejection::invalid(
            "teams",
            "a goal needs at least one owning team",
        ));
    }
    if def.teams.len() > MAX_TEAMS {
        return Err(Rejection::invalid(
            "teams",
            format!("at most {MAX_TEAMS} owning teams"),
        ));
    }
    for team in &def.teams {
        let t = state
            .teams
            .get(team)
            .ok_or_else(|| Rejection::UnknownTeam(team.clone()))?;
        if t.members.is_empty() {
            return Err(Rejection::TeamWithoutMembers(team.clone()));
        }
    }
    if let Some(parent) = &def.parent {
        check_parent(state, goal, parent)?;
    }
    check_dates(def.start, def.due)?;
    if def.key_results.is_empty() {
        return Err(Rejection::invalid(
            "key_results",
            "a goal needs at least one key result",
        ));
    }
    if def.key_results.len() > MAX_KEY_RESULTS {
        return Err(Rejection::invalid(
            "key_results",
            format!("at most {MAX_KEY_RESULTS} key results"),
        ));
    }
    let mut names = BTreeSet::new();
    for kr in &def.key_results {
        if !names.insert(&kr.name) {
            return Err(Rejection::invalid(
                "key_results",
                format!("`{}` appears twice", kr.name),
            ));
        }
        text(&format!("unit of {}", kr.name), &kr.unit, 0, 32, false)?;
        number(&format!("baseline of {}", kr.name), kr.baseline)?;
        number(&format!("target of {}", kr.name), kr.target)?;
        if kr.baseline == kr.target {
            return Err(Rejection::invalid(
                format!("target of {}", kr.name),
                format!("{} equals the baseline; a key result must move", kr.target),
            ));
        }
        if let Some(w) = kr.weight {
            if !(w.is_finite() && w > 0.0 && w <= 1000.0) {
                return Err(Rejection::invalid(
                    format!("weight of {}", kr.name),
                    "use a number above 0 and at most 1000",
                ));
            }
        }
    }
    Ok(())
}

fn check_parent(state: &State, goal: &GoalId, parent: &GoalId) -> Result<(), Rejection> {
    let mut cursor = Some(parent);
    let mut steps = 0;
    while let Some(id) = cursor {
        if id == goal {
            return Err(Rejection::invalid(
                "parent",
                format!(
                    "`{parent}` is `{goal}` or one of its sub-goals; goals cannot align in a cycle"
                ),
            ));
        }
        let g = state
            .goals
            .get(id)
            .ok_or_else(|| Rejection::UnknownGoal(id.clone()))?;
        if steps == 0 && matches!(g.status, GoalStatus::Rejected | GoalStatus::Withdrawn) {
            return Err(Rejection::invalid(
                "parent",
                format!("`{parent}` is {}; align with a live goal", g.status),
            ));
        }
        cursor = g.definition.parent.as_ref();
        steps += 1;
    }
    Ok(())
}

fn check_dates(start: NaiveDate, due: NaiveDate) -> Result<(), Rejection> {
    if due < start {
        return Err(Rejection::invalid(
            "due",
            format!("{due} is before the start date {start}"),
        ));
    }
    Ok(())
}

fn check_closing(closes_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<(), Rejection> {
    match closes_at {
        Some(at) if at <= now => Err(Rejection::invalid(
            "closes_at",
            format!("{} is not in the future", at.to_rfc3339()),
        )),
        _ => Ok(()),
    }
}

fn electorate(state: &State, teams: &[TeamId]) -> Electorate {
    Electorate(
        teams
            .iter()
            .filter_map(|t| state.teams.get(t))
            .map(|t| (t.id.clone(), t.members.clone()))
            .collect(),
    )
}

fn sorted_teams(teams: &[TeamId]) -> Vec<TeamId> {
    teams
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn join(teams: &[TeamId]) -> String {
    teams
        .iter()
        .map(TeamId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

fn find_goal<'s>(state: &'s State, goal: &GoalId) -> Result<&'s Goal, Rejection> {
    state
        .goals
        .get(goal)
        .ok_or_else(|| Rejection::UnknownGoal(goal.clone()))
}

fn find_key_result<'g>(goal: &'g Goal, kr: &KrName) -> Result<&'g KeyResult, Rejection> {
    goal.definition
        .key_result(kr)
        .ok_or_else(|| Rejection::UnknownKeyResult {
            goal: goal.id.clone(),
            key_result: kr.clone(),
            known: goal
                .definition
                .key_results
                .iter()
                .map(|k| k.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

fn require_status(goal: &Goal, wanted: GoalStatus, action: &'static str) -> Result<(), Rejection> {
    if goal.status == wanted {
        return Ok(());
    }
    let hint = match goal.status {
        GoalStatus::Proposed => " (its adoption is still being decided)",
        GoalStatus::Closed => " (reopen it first)",
        GoalStatus::Rejected | GoalStatus::Withdrawn => " (propose a new goal instead)",
        GoalStatus::Active => "",
    };
    Err(Rejection::WrongStatus {
        goal: goal.id.clone(),
        status: goal.status,
        action,
        hint,
    })
}

fn require_owner(
    state: &State,
    goal: &Goal,
    actor: &Actor,
    action: &'static str,
) -> Result<(), Rejection> {
    if goal.is_owned_by_member(actor, &state.teams) {
        return Ok(());
    }
    Err(Rejection::NotAnOwner {
        actor: actor.clone(),
        goal: goal.id.clone(),
        teams: join(&goal.definition.teams),
        action,
    })
}

/// Checks a text field: length in characters, and no control characters but newlines and tabs
/// where `multiline`.
fn text(
    field: &str,
    value: &str,
    min: usize,
    max: usize,
    multiline: bool,
) -> Result<(), Rejection> {
    let trimmed = value.trim();
    let len = trimmed.chars().count();
    if len < min {
        return Err(Rejection::invalid(field, "must not be empty"));
    }
    if len > max {
        return Err(Rejection::invalid(
            field,
            format!("is {len} characters long; the limit is {max}"),
        ));
    }
    if let Some(c) = trimmed
        .chars()
        .find(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\t')))
    {
        return Err(Rejection::invalid(
            field,
            format!(
                "contains the control character U+{:04X}; remove it",
                c as u32
            ),
        ));
    }
    Ok(())
}

fn number(field: &str, value: f64) -> Result<(), Rejection> {
    if value.is_finite() && value.abs() <= MAX_VALUE {
        Ok(())
    } else {
        Err(Rejection::invalid(
            field,
            format!("{value} is out of range: use a number between -1e15 and 1e15"),
        ))
    }
}
