//! Given/when/then tests of a goal's life after adoption: adjusting it by proposal, withdrawing a
//! proposal, checking in, closing and reopening. The events that carry a payload (the changes,
//! the check-in, the closing's outcome, score and final values) are compared whole.

use goal_ledger::domain::event::DecidedBy::Votes;
use goal_ledger::domain::event::{
    AdjustmentProposed, CheckInRecorded, GoalAdjusted, GoalClosed, GoalReopened, ProposalWithdrawn,
};
use goal_ledger::domain::*;

use super::{adopted, decision, events_when, tally, vote_cast, with};
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
                "every team agreed: marketing, sales (4 agree votes)"
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

#[test]
fn closing_takes_final_values_from_the_latest_check_ins_and_reopening_reactivates() {
    let mut g = given(adopted("g"));
    g.when("carol", check_in("g", "visits", 1.0)).unwrap_err();
    assert_eq!(
        events_when(&mut g, "sam", check_in("g", "visits", 45000.0)).unwrap(),
        [CheckInRecorded {
            goal: goal_id("g"),
            key_result: kr("visits"),
            value: 45000.0,
            health: Health::OnTrack,
            confidence: Some(7),
            note: None,
            corrects: None,
        }
        .into()]
    );
    let close = Command::CloseGoal {
        goal: goal_id("g"),
        outcome: ClosingOutcome::Partial,
        score: 0.6,
        summary: "Traffic grew, not enough".into(),
        final_values: Default::default(),
    };
    assert_eq!(
        events_when(&mut g, "alice", close).unwrap(),
        [GoalClosed {
            goal: goal_id("g"),
            outcome: ClosingOutcome::Partial,
            score: 0.6,
            summary: "Traffic grew, not enough".into(),
            final_values: [(kr("visits"), 45000.0)].into(),
        }
        .into()]
    );
    assert_eq!(g.goal("g").status, GoalStatus::Closed);
    let reopen = Command::ReopenGoal {
        goal: goal_id("g"),
        reason: "Campaign extended".into(),
    };
    assert_eq!(
        events_when(&mut g, "amir", reopen).unwrap(),
        [GoalReopened {
            goal: goal_id("g"),
            reason: "Campaign extended".into(),
        }
        .into()]
    );
    assert_eq!(g.goal("g").status, GoalStatus::Active);
}

#[test]
fn a_final_value_given_at_closing_wins_over_the_latest_check_in() {
    let mut g = given(adopted("g"));
    g.when("sam", check_in("g", "visits", 45000.0)).unwrap();
    let close = Command::CloseGoal {
        goal: goal_id("g"),
        outcome: ClosingOutcome::Achieved,
        score: 1.0,
        summary: " Done \n".into(),
        final_values: [(kr("visits"), 48500.0)].into(),
    };
    assert_eq!(
        events_when(&mut g, "alice", close).unwrap(),
        [GoalClosed {
            goal: goal_id("g"),
            outcome: ClosingOutcome::Achieved,
            score: 1.0,
            summary: "Done".into(),
            final_values: [(kr("visits"), 48500.0)].into(),
        }
        .into()]
    );
}
