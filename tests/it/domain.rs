//! Given/when/then tests of the pure domain: every consensus rule, and every rejection with
//! its message. A rejection produces no events, so `decide` returning `Err` is the whole proof
//! that nothing would be appended (the ledger tests show the writer appends nothing on `Err`).

use chrono::Duration;
use goal_ledger::domain::*;

use crate::support::*;

fn with(extra: Vec<(&'static str, Command)>) -> Vec<(&'static str, Command)> {
    let mut h = departments();
    h.extend(extra);
    h
}

fn adopted(goal: &str) -> Vec<(&'static str, Command)> {
    let goal: &'static str = Box::leak(goal.to_owned().into_boxed_str());
    with(vec![
        ("alice", propose(goal, "per-team")),
        ("alice", vote(goal, Choice::Agree)),
        ("amir", vote(goal, Choice::Agree)),
        ("sam", vote(goal, Choice::Agree)),
        ("sofia", vote(goal, Choice::Agree)),
    ])
}

#[test]
fn a_per_team_goal_is_adopted_once_every_team_agreed_and_everyone_voted() {
    let mut g = given(with(vec![("alice", propose("web-traffic-q3", "per-team"))]));
    assert_eq!(
        g.when("alice", vote("web-traffic-q3", Choice::Agree))
            .unwrap(),
        ["VoteCast"]
    );
    assert_eq!(
        g.when("amir", vote("web-traffic-q3", Choice::Abstain))
            .unwrap(),
        ["VoteCast"]
    );
    assert_eq!(
        g.when("sam", vote("web-traffic-q3", Choice::Agree))
            .unwrap(),
        ["VoteCast"]
    );
    assert_eq!(g.goal("web-traffic-q3").status, GoalStatus::Proposed);
    assert_eq!(
        g.when("sofia", vote("web-traffic-q3", Choice::Disagree))
            .unwrap(),
        ["VoteCast", "ProposalDecided"]
    );
    assert_eq!(g.goal("web-traffic-q3").status, GoalStatus::Active);
}

#[test]
fn a_per_team_goal_is_rejected_when_a_whole_team_voted_without_agreeing() {
    let mut g = given(with(vec![("alice", propose("web-traffic-q3", "per-team"))]));
    g.when("sam", vote("web-traffic-q3", Choice::Disagree))
        .unwrap();
    assert_eq!(
        g.when("sofia", vote("web-traffic-q3", Choice::Abstain))
            .unwrap(),
        ["VoteCast", "ProposalDecided"]
    );
    assert_eq!(g.goal("web-traffic-q3").status, GoalStatus::Rejected);
}

#[test]
fn a_block_rejects_at_once_under_unanimous_consent_and_per_team() {
    for rule in ["unanimous", "consent", "per-team"] {
        let mut g = given(with(vec![("alice", propose("g", rule))]));
        assert_eq!(
            g.when("sam", vote("g", Choice::Block)).unwrap(),
            ["VoteCast", "ProposalDecided"],
            "{rule}"
        );
        assert_eq!(g.goal("g").status, GoalStatus::Rejected, "{rule}");
    }
}

#[test]
fn unanimous_needs_every_voter_and_lets_abstainers_stand_aside() {
    let mut g = given(with(vec![("alice", propose("g", "unanimous"))]));
    for who in ["alice", "amir", "sam"] {
        g.when(who, vote("g", Choice::Agree)).unwrap();
    }
    assert_eq!(g.goal("g").status, GoalStatus::Proposed);
    g.when("sofia", vote("g", Choice::Abstain)).unwrap();
    assert_eq!(g.goal("g").status, GoalStatus::Active);

    let mut g = given(with(vec![("alice", propose("g", "unanimous"))]));
    g.when("alice", vote("g", Choice::Disagree)).unwrap();
    assert_eq!(g.goal("g").status, GoalStatus::Rejected);
}

#[test]
fn a_changed_vote_supersedes_the_earlier_one() {
    let mut g = given(with(vec![("alice", propose("g", "unanimous"))]));
    g.when("alice", vote("g", Choice::Abstain)).unwrap();
    g.when("alice", vote("g", Choice::Agree)).unwrap();
    let p = g.goal("g").open_proposal.clone().unwrap();
    assert_eq!(p.votes.len(), 1);
    assert_eq!(p.votes[&actor("alice")].choice, Choice::Agree);
    for who in ["amir", "sam"] {
        g.when(who, vote("g", Choice::Agree)).unwrap();
    }
    let events = g.decide("sofia", &vote("g", Choice::Agree)).unwrap();
    match &events[1] {
        Event::ProposalDecided(d) => {
            assert_eq!(d.outcome, Outcome::Accepted);
            assert_eq!((d.tally.agree, d.tally.abstain), (4, 0));
        }
        other => panic!("expected a decision, got {other:?}"),
    }
}

#[test]
fn consent_passes_with_disagreement_but_not_with_a_block() {
    let mut g = given(with(vec![("alice", propose("g", "consent"))]));
    for (who, c) in [
        ("alice", Choice::Agree),
        ("amir", Choice::Disagree),
        ("sam", Choice::Abstain),
    ] {
        g.when(who, vote("g", c)).unwrap();
    }
    assert_eq!(g.goal("g").status, GoalStatus::Proposed);
    g.when("sofia", vote("g", Choice::Disagree)).unwrap();
    assert_eq!(g.goal("g").status, GoalStatus::Active);
}

#[test]
fn a_majority_is_decided_as_soon_as_the_silent_voters_cannot_change_it() {
    // Electorate of four: three agrees are a majority whatever the fourth does.
    let mut g = given(with(vec![("alice", propose("g", "majority"))]));
    g.when("alice", vote("g", Choice::Agree)).unwrap();
    g.when("amir", vote("g", Choice::Agree)).unwrap();
    assert_eq!(g.goal("g").status, GoalStatus::Proposed);
    assert_eq!(
        g.when("sam", vote("g", Choice::Agree)).unwrap(),
        ["VoteCast", "ProposalDecided"]
    );
    assert_eq!(g.goal("g").status, GoalStatus::Active);

    // Two disagrees out of four: a strict majority can no longer be reached.
    let mut g = given(with(vec![("alice", propose("g", "majority"))]));
    g.when("sam", vote("g", Choice::Disagree)).unwrap();
    g.when("sofia", vote("g", Choice::Block)).unwrap();
    assert_eq!(g.goal("g").status, GoalStatus::Rejected);
}

#[test]
fn a_threshold_counts_agree_among_non_abstaining_votes() {
    let mut g = given(with(vec![("alice", propose("g", "threshold:0.66"))]));
    g.when("sofia", vote("g", Choice::Disagree)).unwrap();
    g.when("sam", vote("g", Choice::Abstain)).unwrap();
    g.when("alice", vote("g", Choice::Agree)).unwrap();
    assert_eq!(g.goal("g").status, GoalStatus::Proposed);
    g.when("amir", vote("g", Choice::Agree)).unwrap();
    // 2 of 3 non-abstaining = 67% ≥ 66%.
    assert_eq!(g.goal("g").status, GoalStatus::Active);

    let mut g = given(with(vec![("alice", propose("g", "threshold:0.75"))]));
    g.when("alice", vote("g", Choice::Agree)).unwrap();
    g.when("amir", vote("g", Choice::Agree)).unwrap();
    g.when("sam", vote("g", Choice::Abstain)).unwrap();
    assert_eq!(g.goal("g").status, GoalStatus::Proposed);
    g.when("sofia", vote("g", Choice::Disagree)).unwrap();
    // 2 of 3 = 67% < 75%.
    assert_eq!(g.goal("g").status, GoalStatus::Rejected);
}

#[test]
fn a_quorum_not_reached_by_the_closing_time_rejects() {
    let mut g = given(departments());
    let mut cmd = propose("g", "quorum:0.75,majority");
    if let Command::ProposeGoal { closes_at, .. } = &mut cmd {
        *closes_at = Some(g.now + Duration::days(3));
    }
    g.when("alice", cmd).unwrap();
    g.when("alice", vote("g", Choice::Agree)).unwrap();
    g.when("amir", vote("g", Choice::Agree)).unwrap();
    assert!(tick(&g.state, g.now + Duration::days(2)).is_empty());
    let events = tick(&g.state, g.now + Duration::days(3)).concat();
    match &events[..] {
        [Event::ProposalDecided(d)] => {
            assert_eq!(d.outcome, Outcome::Rejected);
            assert!(d.explanation.contains("quorum"), "{}", d.explanation);
        }
        other => panic!("expected one decision, got {other:?}"),
    }
}

#[test]
fn consent_with_silent_voters_passes_at_the_closing_time() {
    let mut g = given(departments());
    let mut cmd = propose("g", "consent");
    if let Command::ProposeGoal { closes_at, .. } = &mut cmd {
        *closes_at = Some(g.now + Duration::hours(48));
    }
    g.when("alice", cmd).unwrap();
    g.when("sam", vote("g", Choice::Agree)).unwrap();
    let events = tick(&g.state, g.now + Duration::hours(48)).concat();
    g.apply("system", events);
    assert_eq!(g.goal("g").status, GoalStatus::Active);
}

#[test]
fn the_electorate_is_fixed_when_the_proposal_opens() {
    let mut g = given(with(vec![
        ("alice", propose("g", "per-team")),
        ("admin", join("sales", "sean")),
        (
            "admin",
            Command::LeaveTeam {
                team: team_id("marketing"),
                member: actor("amir"),
            },
        ),
    ]));
    let err = g.decide("sean", &vote("g", Choice::Agree)).unwrap_err();
    assert!(matches!(err, Rejection::NotInElectorate { .. }), "{err}");
    assert!(err.to_string().contains("alice, amir, sam, sofia"), "{err}");
    assert_eq!(
        g.when("amir", vote("g", Choice::Agree)).unwrap(),
        ["VoteCast"]
    );
}

#[test]
fn an_accepted_adjustment_changes_the_goal_and_a_rejected_one_does_not() {
    let mut g = given(adopted("g"));
    g.when("alice", retarget("g", "visits", 46000.0)).unwrap();
    for who in ["alice", "amir", "sam"] {
        g.when(who, vote("g", Choice::Agree)).unwrap();
    }
    assert_eq!(
        g.when("sofia", vote("g", Choice::Agree)).unwrap(),
        ["VoteCast", "ProposalDecided", "GoalAdjusted"]
    );
    assert_eq!(g.goal("g").definition.key_results[0].target, 46000.0);
    assert_eq!(g.goal("g").adjustments, 1);

    g.when("sam", retarget("g", "visits", 30000.0)).unwrap();
    g.when("alice", vote("g", Choice::Block)).unwrap();
    assert_eq!(g.goal("g").definition.key_results[0].target, 46000.0);
    assert!(g.goal("g").open_proposal.is_none());
}

#[test]
fn withdrawing_an_adoption_withdraws_the_goal() {
    let mut g = given(with(vec![("alice", propose("g", "per-team"))]));
    let w = Command::WithdrawProposal {
        goal: goal_id("g"),
        reason: "Merged into another goal".into(),
    };
    assert_eq!(g.when("alice", w).unwrap(), ["ProposalWithdrawn"]);
    assert_eq!(g.goal("g").status, GoalStatus::Withdrawn);
}

#[test]
fn closing_takes_final_values_from_the_latest_check_ins_and_reopening_reactivates() {
    let mut g = given(adopted("g"));
    g.when("carol", check_in("g", "visits", 1.0)).unwrap_err();
    g.when("sam", check_in("g", "visits", 45000.0)).unwrap();
    let close = Command::CloseGoal {
        goal: goal_id("g"),
        outcome: ClosingOutcome::Partial,
        score: 0.6,
        summary: "Traffic grew, not enough".into(),
        final_values: Default::default(),
    };
    g.when("alice", close).unwrap();
    let closing = g.goal("g").closing.clone().unwrap();
    assert_eq!(closing.final_values[&kr("visits")], 45000.0);
    let reopen = Command::ReopenGoal {
        goal: goal_id("g"),
        reason: "Campaign extended".into(),
    };
    g.when("amir", reopen).unwrap();
    assert_eq!(g.goal("g").status, GoalStatus::Active);
}

/// One row: the history, who acts, the command, and words the rejection must contain.
struct Case {
    name: &'static str,
    history: Vec<(&'static str, Command)>,
    who: &'static str,
    command: Command,
    says: &'static str,
}

fn closed(goal: &'static str) -> Vec<(&'static str, Command)> {
    let mut h = adopted(goal);
    h.push((
        "alice",
        Command::CloseGoal {
            goal: goal_id(goal),
            outcome: ClosingOutcome::Achieved,
            score: 1.0,
            summary: "Done".into(),
            final_values: Default::default(),
        },
    ));
    h
}

fn cases() -> Vec<Case> {
    let mut bad_dates = propose("g", "per-team");
    if let Command::ProposeGoal { draft, .. } = &mut bad_dates {
        draft.due = date("2026-06-01");
    }
    let mut flat_kr = propose("g", "per-team");
    if let Command::ProposeGoal { draft, .. } = &mut flat_kr {
        draft.key_results[0].target = 40000.0;
    }
    let mut twice_kr = propose("g", "per-team");
    if let Command::ProposeGoal { draft, .. } = &mut twice_kr {
        draft.key_results.push(spec("visits", 1.0, 2.0, ""));
    }
    let mut control = propose("g", "per-team");
    if let Command::ProposeGoal { draft, .. } = &mut control {
        draft.title = "Traffic\u{7}".into();
    }
    let mut long_title = propose("g", "per-team");
    if let Command::ProposeGoal { draft, .. } = &mut long_title {
        draft.title = "x".repeat(201);
    }
    let mut past_close = propose("g", "per-team");
    if let Command::ProposeGoal { closes_at, .. } = &mut past_close {
        *closes_at = Some(time("2026-06-30T00:00:00Z"));
    }
    let mut own_parent = retarget("g", "visits", 1.0);
    if let Command::ProposeAdjustment { changes, .. } = &mut own_parent {
        changes.targets.clear();
        changes.parent = Some(goal_id("g"));
    }
    let mut check_in_nan = check_in("g", "visits", f64::NAN);
    let mut check_in_conf = check_in("g", "visits", 1.0);
    if let Command::RecordCheckIn { confidence, .. } = &mut check_in_conf {
        *confidence = Some(11);
    }
    let mut correction = check_in("g", "visits", 1.0);
    if let Command::RecordCheckIn { corrects, .. } = &mut correction {
        *corrects = Some(3);
    }
    if let Command::RecordCheckIn { value, .. } = &mut check_in_nan {
        *value = f64::INFINITY;
    }
    let note = |section, owner: Option<&str>, due: Option<&str>| Command::NotePostMortem {
        goal: goal_id("g"),
        section,
        text: "Ship earlier".into(),
        owner: owner.map(actor),
        due: due.map(date),
    };
    let close = |score| Command::CloseGoal {
        goal: goal_id("g"),
        outcome: ClosingOutcome::Achieved,
        score,
        summary: "Done".into(),
        final_values: Default::default(),
    };
    vec![
        Case {
            name: "team registered twice",
            history: departments(),
            who: "admin",
            command: register("sales", "Sales"),
            says: "already registered",
        },
        Case {
            name: "join unknown team",
            history: vec![],
            who: "admin",
            command: join("finance", "fay"),
            says: "no team `finance`",
        },
        Case {
            name: "join twice",
            history: departments(),
            who: "admin",
            command: join("sales", "sam"),
            says: "already a member",
        },
        Case {
            name: "leave without membership",
            history: departments(),
            who: "admin",
            command: Command::LeaveTeam {
                team: team_id("sales"),
                member: actor("alice"),
            },
            says: "not a member",
        },
        Case {
            name: "system actor",
            history: departments(),
            who: "system",
            command: register("ops", "Ops"),
            says: "reserved",
        },
        Case {
            name: "proposer outside owning teams",
            history: departments(),
            who: "carol",
            command: propose("g", "per-team"),
            says: "not a member of marketing, sales",
        },
        Case {
            name: "due before start",
            history: departments(),
            who: "alice",
            command: bad_dates,
            says: "before the start date",
        },
        Case {
            name: "unknown team",
            history: departments(),
            who: "alice",
            command: propose_for("g", "per-team", &["marketing", "finance"]),
            says: "no team `finance`",
        },
        Case {
            name: "team without members",
            history: with(vec![("admin", register("finance", "Finance"))]),
            who: "alice",
            command: propose_for("g", "per-team", &["marketing", "finance"]),
            says: "has no members",
        },
        Case {
            name: "flat key result",
            history: departments(),
            who: "alice",
            command: flat_kr,
            says: "equals the baseline",
        },
        Case {
            name: "duplicate key result",
            history: departments(),
            who: "alice",
            command: twice_kr,
            says: "appears twice",
        },
        Case {
            name: "control character",
            history: departments(),
            who: "alice",
            command: control,
            says: "control character U+0007",
        },
        Case {
            name: "title too long",
            history: departments(),
            who: "alice",
            command: long_title,
            says: "limit is 200",
        },
        Case {
            name: "closing time in the past",
            history: departments(),
            who: "alice",
            command: past_close,
            says: "not in the future",
        },
        Case {
            name: "goal exists",
            history: adopted("g"),
            who: "alice",
            command: propose("g", "per-team"),
            says: "already exists",
        },
        Case {
            name: "vote by non-member",
            history: with(vec![("alice", propose("g", "per-team"))]),
            who: "carol",
            command: vote("g", Choice::Agree),
            says: "may not vote",
        },
        Case {
            name: "block without reason",
            history: with(vec![("alice", propose("g", "per-team"))]),
            who: "sam",
            command: Command::CastVote {
                goal: goal_id("g"),
                choice: Choice::Block,
                reason: None,
            },
            says: "needs a reason",
        },
        Case {
            name: "vote with nothing open",
            history: adopted("g"),
            who: "sam",
            command: vote("g", Choice::Agree),
            says: "no open proposal",
        },
        Case {
            name: "vote on closed goal",
            history: closed("g"),
            who: "sam",
            command: vote("g", Choice::Agree),
            says: "it is closed",
        },
        Case {
            name: "vote on unknown goal",
            history: departments(),
            who: "sam",
            command: vote("nope", Choice::Agree),
            says: "no goal `nope`",
        },
        Case {
            name: "adjust a proposed goal",
            history: with(vec![("alice", propose("g", "per-team"))]),
            who: "alice",
            command: retarget("g", "visits", 1.0),
            says: "still being decided",
        },
        Case {
            name: "adjust a rejected goal",
            history: with(vec![
                ("alice", propose("g", "per-team")),
                ("sam", vote("g", Choice::Block)),
            ]),
            who: "alice",
            command: retarget("g", "visits", 1.0),
            says: "it is rejected",
        },
        Case {
            name: "second open proposal",
            history: {
                let mut h = adopted("g");
                h.push(("alice", retarget("g", "visits", 46000.0)));
                h
            },
            who: "sam",
            command: retarget("g", "visits", 47000.0),
            says: "already has open proposal 2",
        },
        Case {
            name: "adjust unknown key result",
            history: adopted("g"),
            who: "alice",
            command: retarget("g", "leads", 5.0),
            says: "no key result `leads` (it has: visits)",
        },
        Case {
            name: "adjust by non-owner",
            history: adopted("g"),
            who: "carol",
            command: retarget("g", "visits", 46000.0),
            says: "only owners may propose adjustments",
        },
        Case {
            name: "adjust into a cycle",
            history: adopted("g"),
            who: "alice",
            command: own_parent,
            says: "cycle",
        },
        Case {
            name: "empty adjustment",
            history: adopted("g"),
            who: "alice",
            command: Command::ProposeAdjustment {
                goal: goal_id("g"),
                changes: Changes::default(),
                reason: "x".into(),
                closes_at: None,
            },
            says: "nothing to change",
        },
        Case {
            name: "adjustment that changes nothing",
            history: adopted("g"),
            who: "alice",
            command: retarget("g", "visits", 48000.0),
            says: "exactly as it is",
        },
        Case {
            name: "check-in by non-owner",
            history: adopted("g"),
            who: "carol",
            command: check_in("g", "visits", 1.0),
            says: "only owners may check in",
        },
        Case {
            name: "check-in on a proposed goal",
            history: with(vec![("alice", propose("g", "per-team"))]),
            who: "alice",
            command: check_in("g", "visits", 1.0),
            says: "cannot check in on goal `g`: it is proposed",
        },
        Case {
            name: "infinite value",
            history: adopted("g"),
            who: "alice",
            command: check_in_nan,
            says: "out of range",
        },
        Case {
            name: "confidence over 10",
            history: adopted("g"),
            who: "alice",
            command: check_in_conf,
            says: "use 0 to 10",
        },
        Case {
            name: "correction of a non-check-in",
            history: adopted("g"),
            who: "alice",
            command: correction,
            says: "sequence 3 is not a check-in",
        },
        Case {
            name: "close with open proposal",
            history: {
                let mut h = adopted("g");
                h.push(("alice", retarget("g", "visits", 46000.0)));
                h
            },
            who: "alice",
            command: close(1.0),
            says: "open proposal 2",
        },
        Case {
            name: "score out of range",
            history: adopted("g"),
            who: "alice",
            command: close(1.5),
            says: "use 0.0 to 1.0",
        },
        Case {
            name: "close twice",
            history: closed("g"),
            who: "alice",
            command: close(1.0),
            says: "cannot close goal `g`: it is closed (reopen it first)",
        },
        Case {
            name: "reopen an active goal",
            history: adopted("g"),
            who: "alice",
            command: Command::ReopenGoal {
                goal: goal_id("g"),
                reason: "x".into(),
            },
            says: "cannot reopen",
        },
        Case {
            name: "withdraw with nothing open",
            history: adopted("g"),
            who: "alice",
            command: Command::WithdrawProposal {
                goal: goal_id("g"),
                reason: "x".into(),
            },
            says: "no open proposal to withdraw",
        },
        Case {
            name: "withdraw by outsider",
            history: with(vec![("alice", propose("g", "per-team"))]),
            who: "carol",
            command: Command::WithdrawProposal {
                goal: goal_id("g"),
                reason: "x".into(),
            },
            says: "only owners may withdraw",
        },
        Case {
            name: "action item without owner",
            history: closed("g"),
            who: "alice",
            command: note(Section::ActionItem, None, Some("2026-10-15")),
            says: "needs an owner and a due date",
        },
        Case {
            name: "owner on a lesson",
            history: closed("g"),
            who: "alice",
            command: note(Section::Lesson, Some("sam"), None),
            says: "action items only",
        },
        Case {
            name: "note by a stranger",
            history: closed("g"),
            who: "zoe",
            command: note(Section::Kudos, None, None),
            says: "not a member of any team",
        },
        Case {
            name: "note on a proposed goal",
            history: with(vec![("alice", propose("g", "per-team"))]),
            who: "alice",
            command: note(Section::Lesson, None, None),
            says: "notes start once it is adopted",
        },
    ]
}

#[test]
fn every_broken_rule_is_a_rejection_that_says_what_to_do() {
    for case in cases() {
        let g = given(case.history);
        match g.decide(case.who, &case.command) {
            Ok(events) => panic!("{}: expected a rejection, got {events:?}", case.name),
            Err(r) => assert!(
                r.to_string().contains(case.says),
                "{}: message {:?} does not say {:?}",
                case.name,
                r.to_string(),
                case.says
            ),
        }
    }
}
