//! Given/when/then tests of a goal's life after adoption: adjusting it by proposal, withdrawing a
//! proposal, checking in, closing and reopening. The events that carry a payload (the changes,
//! the check-in, the closing's outcome, score and final values) are compared whole.

use goal_ledger::domain::event::DecidedBy::Votes;
use goal_ledger::domain::event::{
    AdjustmentProposed, ClosingProposed, GoalAdjusted, GoalClosed, ProposalWithdrawn,
    ReopeningProposed,
};
use goal_ledger::domain::*;

use super::{adopted, closed, decision, events_when, tally, vote_cast, with};
use crate::support::*;

/// Marketing (alice, amir) and sales (sam, sofia): who votes on the sample goal.
fn owners() -> Electorate {
    Electorate(
        [
            ("marketing", ["alice", "amir"]),
            ("sales", ["sam", "sofia"]),
        ]
        .into_iter()
        .map(|(team, members)| (team_id(team), members.into_iter().map(actor).collect()))
        .collect(),
    )
}

#[test]
fn an_accepted_adjustment_changes_the_goal_and_a_rejected_one_does_not() {
    let mut g = given(adopted("g"));
    let mut changes = Changes::default();
    changes.targets.insert(kr("visits"), 46000.0);
    assert_eq!(
        events_when(&mut g, "alice", retarget("g", "visits", 46000.0)).unwrap(),
        [AdjustmentProposed {
            goal: goal_id("g"),
            proposal: 2,
            changes: changes.clone(),
            rule: Rule::PerTeam,
            reason: "Budget cut".into(),
            electorate: owners(),
            closes_at: None,
        }
        .into()]
    );
    for who in ["alice", "amir", "sam"] {
        g.when(who, vote("g", Choice::Agree)).unwrap();
    }
    assert_eq!(
        events_when(&mut g, "sofia", vote("g", Choice::Agree)).unwrap(),
        [
            vote_cast("g", 2, Choice::Agree),
            decision(
                "g",
                2,
                Outcome::Accepted,
                Votes,
                tally(4, 0, 0, 0, 0),
                "every team signed off by a majority of its members: marketing 2/2 agree, sales 2/2 agree"
            ),
            GoalAdjusted {
                goal: goal_id("g"),
                proposal: 2,
                changes,
            }
            .into(),
        ]
    );
    assert_eq!(g.goal("g").definition.key_results[0].target, 46000.0);
    assert_eq!(g.goal("g").adjustments, 1);

    g.when("sam", retarget("g", "visits", 30000.0)).unwrap();
    assert_eq!(
        events_when(&mut g, "alice", vote("g", Choice::Block)).unwrap(),
        [
            vote_cast("g", 3, Choice::Block),
            decision(
                "g",
                3,
                Outcome::Rejected,
                Votes,
                tally(0, 0, 0, 1, 3),
                "blocked by alice"
            ),
        ]
    );
    assert_eq!(g.goal("g").definition.key_results[0].target, 46000.0);
    assert!(g.goal("g").open_proposal.is_none());
}

#[test]
fn withdrawing_an_adoption_withdraws_the_goal() {
    let mut g = given(with(vec![("alice", propose("g", "per-team"))]));
    let w = Command::WithdrawProposal {
        goal: goal_id("g"),
        reason: "  Merged into another goal ".into(),
    };
    assert_eq!(
        events_when(&mut g, "alice", w).unwrap(),
        [ProposalWithdrawn {
            goal: goal_id("g"),
            proposal: 1,
            reason: "Merged into another goal".into(),
        }
        .into()]
    );
    assert_eq!(g.goal("g").status, GoalStatus::Withdrawn);
}

/// Alice's proposal to close `g` as partial, with `final_values`.
fn close_partial(final_values: &[(&str, f64)]) -> Command {
    Command::CloseGoal {
        goal: goal_id("g"),
        terms: ClosingTerms {
            outcome: ClosingOutcome::Partial,
            score: 0.6,
            summary: " Traffic grew, not enough \n".into(),
            final_values: final_values.iter().map(|(k, v)| (kr(k), *v)).collect(),
        },
        closes_at: None,
    }
}

/// The closing proposal `close_partial` opens as proposal 2, with these final values.
fn closing_proposed(final_values: &[(&str, f64)]) -> Event {
    ClosingProposed {
        goal: goal_id("g"),
        proposal: 2,
        outcome: ClosingOutcome::Partial,
        score: 0.6,
        summary: "Traffic grew, not enough".into(),
        final_values: final_values.iter().map(|(k, v)| (kr(k), *v)).collect(),
        rule: Rule::PerTeam,
        electorate: owners(),
        closes_at: None,
    }
    .into()
}

#[test]
fn one_members_close_only_proposes_and_the_goal_closes_when_every_team_agrees() {
    let mut g = given(adopted("g"));
    g.when("carol", check_in("g", "visits", 1.0)).unwrap_err();
    g.when("sam", check_in("g", "visits", 45000.0)).unwrap();
    assert_eq!(
        events_when(&mut g, "alice", close_partial(&[])).unwrap(),
        [closing_proposed(&[("visits", 45000.0)])],
        "the final value comes from the latest check-in"
    );
    assert_eq!(g.goal("g").status, GoalStatus::Active);
    assert_eq!(
        g.goal("g").open_proposal.as_ref().unwrap().kind.name(),
        "closing"
    );
    for who in ["alice", "amir", "sam"] {
        assert_eq!(g.when(who, vote("g", Choice::Agree)).unwrap(), ["VoteCast"]);
        assert_eq!(g.goal("g").status, GoalStatus::Active, "after {who}");
    }
    assert_eq!(
        events_when(&mut g, "sofia", vote("g", Choice::Agree)).unwrap(),
        [
            vote_cast("g", 2, Choice::Agree),
            decision(
                "g",
                2,
                Outcome::Accepted,
                Votes,
                tally(4, 0, 0, 0, 0),
                "every team signed off by a majority of its members: marketing 2/2 agree, sales 2/2 agree"
            ),
            GoalClosed {
                goal: goal_id("g"),
                proposal: Some(2),
                outcome: ClosingOutcome::Partial,
                score: 0.6,
                summary: "Traffic grew, not enough".into(),
                final_values: [(kr("visits"), 45000.0)].into(),
            }
            .into(),
        ]
    );
    let closing = g.goal("g").closing.clone().unwrap();
    assert_eq!(
        (g.goal("g").status, closing.score),
        (GoalStatus::Closed, 0.6)
    );
}

#[test]
fn a_closing_one_team_refuses_leaves_the_goal_active_and_the_next_one_may_follow() {
    let mut g = given(adopted("g"));
    g.when("alice", close_partial(&[])).unwrap();
    assert_eq!(
        events_when(&mut g, "sofia", vote("g", Choice::Disagree)).unwrap(),
        [
            vote_cast("g", 2, Choice::Disagree),
            decision(
                "g",
                2,
                Outcome::Rejected,
                Votes,
                tally(0, 0, 1, 0, 3),
                "no majority of its members in sales: marketing 0/2 agree, sales 0/2 agree"
            ),
        ]
    );
    assert_eq!(g.goal("g").status, GoalStatus::Active);
    assert!(g.goal("g").closing.is_none() && g.goal("g").open_proposal.is_none());
    assert_eq!(
        g.when("amir", close_partial(&[])).unwrap(),
        ["ClosingProposed"]
    );
}

#[test]
fn reopening_is_proposed_and_reactivates_the_goal_only_when_accepted() {
    let mut g = given(closed("g"));
    let reopen = Command::ReopenGoal {
        goal: goal_id("g"),
        reason: "Campaign extended".into(),
        closes_at: None,
    };
    assert_eq!(
        events_when(&mut g, "amir", reopen).unwrap(),
        [ReopeningProposed {
            goal: goal_id("g"),
            proposal: 3,
            reason: "Campaign extended".into(),
            rule: Rule::PerTeam,
            electorate: owners(),
            closes_at: None,
        }
        .into()]
    );
    assert_eq!(g.goal("g").status, GoalStatus::Closed);
    for who in ["alice", "amir", "sam"] {
        g.when(who, vote("g", Choice::Agree)).unwrap();
    }
    assert_eq!(
        g.when("sofia", vote("g", Choice::Agree)).unwrap(),
        ["VoteCast", "ProposalDecided", "GoalReopened"]
    );
    assert_eq!(g.goal("g").status, GoalStatus::Active);
    assert!(g.goal("g").closing.is_none());
}

#[test]
fn a_final_value_given_at_closing_wins_over_the_latest_check_in() {
    let mut g = given(adopted("g"));
    g.when("sam", check_in("g", "visits", 45000.0)).unwrap();
    assert_eq!(
        events_when(&mut g, "alice", close_partial(&[("visits", 48500.0)])).unwrap(),
        [closing_proposed(&[("visits", 48500.0)])]
    );
}

#[test]
fn an_event_naming_another_proposal_than_the_open_one_does_not_apply() {
    // Given proposal 1 of `g` open for votes,
    let g = given(with(vec![("alice", propose("g", "per-team"))]));
    for event in [
        vote_cast("g", 2, Choice::Agree),
        ProposalWithdrawn {
            goal: goal_id("g"),
            proposal: 2,
            reason: "Merged into another goal".into(),
        }
        .into(),
    ] {
        // when a vote or a withdrawal naming proposal 2 is applied,
        let mut state = g.state.clone();
        let meta = Meta {
            seq: state.seq + 1,
            version: state.version_of(&event.stream()) + 1,
            at: g.now,
            actor: &actor("alice"),
        };
        let err = apply(&mut state, meta, &event).unwrap_err();
        // then it is an inconsistency that names the proposal it could not find.
        assert!(
            err.problem.contains("has no open proposal 2"),
            "{}",
            err.problem
        );
    }
}

#[test]
fn a_proposal_opens_only_as_the_goals_next_and_while_none_is_open() {
    // Given an adopted goal (proposal 1 decided) and alice's retarget, which opens proposal 2,
    let g = given(adopted("g"));
    let events = g
        .decide("alice", &retarget("g", "visits", 60000.0))
        .unwrap();
    let Event::AdjustmentProposed(second) = &events[0] else {
        panic!("expected an adjustment to be proposed, got {events:?}");
    };
    let numbered = |proposal: u32| {
        Event::from(AdjustmentProposed {
            proposal,
            ..second.clone()
        })
    };
    let applied = |state: &State, event: &Event| {
        let mut state = state.clone();
        let meta = Meta {
            seq: state.seq + 1,
            version: state.version_of(&event.stream()) + 1,
            at: g.now,
            actor: &actor("alice"),
        };
        apply(&mut state, meta, event).map(|()| state)
    };
    // when a proposal numbered 3 is applied with none open, it does not open;
    let err = applied(&g.state, &numbered(3)).unwrap_err();
    assert!(
        err.problem.contains("proposal 3 cannot open on g"),
        "{}",
        err.problem
    );
    // and once proposal 2 is open, proposal 3 does not open beside it.
    let open = applied(&g.state, &numbered(2)).unwrap();
    let err = applied(&open, &numbered(3)).unwrap_err();
    assert!(
        err.problem.contains("proposal 3 cannot open on g"),
        "{}",
        err.problem
    );
}

#[test]
fn a_check_in_before_the_goals_start_is_refused_unless_marked_and_a_late_one_is_taken() {
    // Given a goal of July to September, adopted,
    let mut g = given(adopted("g"));
    let marked = |mut command: Command| {
        if let Command::RecordCheckIn { outside_period, .. } = &mut command {
            *outside_period = true;
        }
        command
    };
    // when alice checks in on 20 June, the day's check-in is refused and says how to record it,
    g.now = time("2026-06-20T09:00:00Z");
    let refused = g
        .decide("alice", &check_in("g", "visits", 41000.0))
        .unwrap_err();
    let text = refused.to_string();
    assert!(
        text.contains("2026-06-20") && text.contains("2026-07-01 to 2026-09-30"),
        "{text}"
    );
    assert!(text.contains("--outside-period"), "{text}");
    // marked, it is recorded with the mark, in schema 2,
    let events = g
        .decide("alice", &marked(check_in("g", "visits", 41000.0)))
        .unwrap();
    match &events[..] {
        [event @ Event::CheckInRecorded(c)] => {
            assert!(c.outside_period);
            assert_eq!(event.schema(), 2);
        }
        other => panic!("{other:?}"),
    }
    // a mark on a check-in within the period is refused as false,
    g.now = time("2026-08-01T09:00:00Z");
    let text = g
        .decide("alice", &marked(check_in("g", "visits", 43000.0)))
        .unwrap_err()
        .to_string();
    assert!(text.contains("within goal `g`'s period"), "{text}");
    // and a late reading in October is taken as it is, in schema 1, or marked if alice says so.
    g.now = time("2026-10-05T09:00:00Z");
    let late = g
        .decide("alice", &check_in("g", "visits", 47000.0))
        .unwrap();
    assert_eq!(late[0].schema(), 1);
    let marked_late = g
        .decide("alice", &marked(check_in("g", "visits", 47000.0)))
        .unwrap();
    assert_eq!(marked_late[0].schema(), 2);
}

#[test]
fn a_stored_check_in_must_be_in_the_schema_version_its_record_names() {
    let plain = r#"{"goal":"g","key_result":"visits","value":1.0,"health":"on-track"}"#;
    let marked = r#"{"goal":"g","key_result":"visits","value":1.0,"health":"on-track","outside_period":true}"#;
    assert!(Event::decode("CheckInRecorded", 1, plain).is_ok());
    assert!(Event::decode("CheckInRecorded", 2, marked).is_ok());
    for (schema, payload) in [(1, marked), (2, plain), (3, marked), (0, plain)] {
        let refused = Event::decode("CheckInRecorded", schema, payload);
        assert!(refused.is_err(), "schema {schema}: {payload}");
    }
}
