//! Given/when/then tests of every consensus rule: when a proposal is decided, with which outcome,
//! tally and explanation, by the votes or at its closing time. Decisions are compared whole.

use chrono::Duration;
use goal_ledger::domain::event::DecidedBy::{ClosingTime, Votes};
use goal_ledger::domain::*;

use super::{decision, events_when, tally, vote_cast, with};
use crate::support::*;

/// The departments with a third sales member, sven, so sales needs two of three to sign off.
fn three_in_sales() -> Vec<(&'static str, Command)> {
    with(vec![
        ("admin", join("sales", "sven")),
        ("alice", propose("web-traffic-q3", "per-team")),
    ])
}

#[test]
fn a_per_team_goal_is_adopted_as_soon_as_every_team_has_a_majority_of_its_members() {
    let mut g = given(three_in_sales());
    let goal = "web-traffic-q3";
    for (who, choice) in [
        ("alice", Choice::Agree),
        ("amir", Choice::Agree),
        ("sam", Choice::Agree),
        ("sofia", Choice::Abstain),
    ] {
        assert_eq!(
            events_when(&mut g, who, vote(goal, choice)).unwrap(),
            [vote_cast(goal, 1, choice)],
            "{who}: sales has 1 of 3 and sven could still make it 2"
        );
    }
    assert_eq!(g.goal(goal).status, GoalStatus::Proposed);
    assert_eq!(
        events_when(&mut g, "sven", vote(goal, Choice::Agree)).unwrap(),
        [
            vote_cast(goal, 1, Choice::Agree),
            decision(
                goal,
                1,
                Outcome::Accepted,
                Votes,
                tally(4, 1, 0, 0, 0),
                "every team signed off by a majority of its members: marketing 2/2 agree, sales 2/3 agree"
            ),
        ]
    );
    assert_eq!(g.goal(goal).status, GoalStatus::Active);
}

#[test]
fn a_three_member_team_with_one_agree_and_two_disagree_does_not_sign_off() {
    let mut g = given(three_in_sales());
    let goal = "web-traffic-q3";
    for who in ["alice", "amir", "sam"] {
        g.when(who, vote(goal, Choice::Agree)).unwrap();
    }
    assert_eq!(
        g.when("sofia", vote(goal, Choice::Disagree)).unwrap(),
        ["VoteCast"],
        "sven could still give sales its majority"
    );
    assert_eq!(
        events_when(&mut g, "sven", vote(goal, Choice::Disagree)).unwrap(),
        [
            vote_cast(goal, 1, Choice::Disagree),
            decision(
                goal,
                1,
                Outcome::Rejected,
                Votes,
                tally(3, 0, 2, 0, 0),
                "no majority of its members in sales: marketing 2/2 agree, sales 1/3 agree"
            ),
        ]
    );
    assert_eq!(g.goal(goal).status, GoalStatus::Rejected);
}

#[test]
fn a_per_team_goal_is_rejected_as_soon_as_one_team_can_no_longer_reach_its_majority() {
    let mut g = given(with(vec![("alice", propose("web-traffic-q3", "per-team"))]));
    assert_eq!(
        events_when(&mut g, "sofia", vote("web-traffic-q3", Choice::Abstain)).unwrap(),
        [
            vote_cast("web-traffic-q3", 1, Choice::Abstain),
            decision(
                "web-traffic-q3",
                1,
                Outcome::Rejected,
                Votes,
                tally(0, 1, 0, 0, 3),
                "no majority of its members in sales: marketing 0/2 agree, sales 0/2 agree"
            ),
        ]
    );
    assert_eq!(g.goal("web-traffic-q3").status, GoalStatus::Rejected);
}

#[test]
fn a_block_rejects_at_once_under_unanimous_consent_and_per_team() {
    for rule in ["unanimous", "consent", "per-team"] {
        let mut g = given(with(vec![("alice", propose("g", rule))]));
        // alice's agree is on the record too, but only the blocker is named.
        g.when("alice", vote("g", Choice::Agree)).unwrap();
        assert_eq!(
            events_when(&mut g, "sam", vote("g", Choice::Block)).unwrap(),
            [
                vote_cast("g", 1, Choice::Block),
                decision(
                    "g",
                    1,
                    Outcome::Rejected,
                    Votes,
                    tally(1, 0, 0, 1, 2),
                    "blocked by sam"
                ),
            ],
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
    assert_eq!(
        events_when(&mut g, "sofia", vote("g", Choice::Abstain)).unwrap()[1..],
        [decision(
            "g",
            1,
            Outcome::Accepted,
            Votes,
            tally(3, 1, 0, 0, 0),
            "unanimous: 3 agreed, 1 abstained"
        )]
    );
    assert_eq!(g.goal("g").status, GoalStatus::Active);

    let mut g = given(with(vec![("alice", propose("g", "unanimous"))]));
    assert_eq!(
        events_when(&mut g, "alice", vote("g", Choice::Disagree)).unwrap()[1..],
        [decision(
            "g",
            1,
            Outcome::Rejected,
            Votes,
            tally(0, 0, 1, 0, 3),
            "not unanimous: 1 disagreed"
        )]
    );
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
    assert_eq!(
        events[1..],
        [decision(
            "g",
            1,
            Outcome::Accepted,
            Votes,
            tally(4, 0, 0, 0, 0),
            "unanimous: 4 agreed, 0 abstained"
        )]
    );
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
    assert_eq!(
        events_when(&mut g, "sofia", vote("g", Choice::Disagree)).unwrap()[1..],
        [decision(
            "g",
            1,
            Outcome::Accepted,
            Votes,
            tally(1, 1, 2, 0, 0),
            "consent: no block (1 agreed, 2 disagreed, 1 abstained, 0 silent)"
        )]
    );
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
        events_when(&mut g, "sam", vote("g", Choice::Agree)).unwrap(),
        [
            vote_cast("g", 1, Choice::Agree),
            decision(
                "g",
                1,
                Outcome::Accepted,
                Votes,
                tally(3, 0, 0, 0, 1),
                "3 of 3 non-abstaining votes agreed, more than half needed (the 1 silent cannot change it)"
            ),
        ]
    );
    assert_eq!(g.goal("g").status, GoalStatus::Active);

    // Two disagrees out of four: a strict majority can no longer be reached.
    let mut g = given(with(vec![("alice", propose("g", "majority"))]));
    g.when("sam", vote("g", Choice::Disagree)).unwrap();
    assert_eq!(
        events_when(&mut g, "sofia", vote("g", Choice::Block)).unwrap()[1..],
        [decision(
            "g",
            1,
            Outcome::Rejected,
            Votes,
            tally(0, 0, 1, 1, 2),
            "0 of 2 non-abstaining votes agreed, more than half needed (the 2 silent cannot change it)"
        )]
    );
    assert_eq!(g.goal("g").status, GoalStatus::Rejected);
}

#[test]
fn a_threshold_counts_agree_among_non_abstaining_votes() {
    let mut g = given(with(vec![("alice", propose("g", "threshold:0.66"))]));
    g.when("sofia", vote("g", Choice::Disagree)).unwrap();
    g.when("sam", vote("g", Choice::Abstain)).unwrap();
    g.when("alice", vote("g", Choice::Agree)).unwrap();
    assert_eq!(g.goal("g").status, GoalStatus::Proposed);
    // 2 of 3 non-abstaining = 67% ≥ 66%.
    assert_eq!(
        events_when(&mut g, "amir", vote("g", Choice::Agree)).unwrap()[1..],
        [decision(
            "g",
            1,
            Outcome::Accepted,
            Votes,
            tally(2, 1, 1, 0, 0),
            "2 of 3 non-abstaining votes agreed, at least 66% needed"
        )]
    );
    assert_eq!(g.goal("g").status, GoalStatus::Active);

    let mut g = given(with(vec![("alice", propose("g", "threshold:0.75"))]));
    g.when("alice", vote("g", Choice::Agree)).unwrap();
    g.when("amir", vote("g", Choice::Agree)).unwrap();
    g.when("sam", vote("g", Choice::Abstain)).unwrap();
    assert_eq!(g.goal("g").status, GoalStatus::Proposed);
    // 2 of 3 = 67% < 75%.
    assert_eq!(
        events_when(&mut g, "sofia", vote("g", Choice::Disagree)).unwrap()[1..],
        [decision(
            "g",
            1,
            Outcome::Rejected,
            Votes,
            tally(2, 1, 1, 0, 0),
            "2 of 3 non-abstaining votes agreed, at least 75% needed"
        )]
    );
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
    assert_eq!(
        tick(&g.state, g.now + Duration::days(3)),
        [[decision(
            "g",
            1,
            Outcome::Rejected,
            ClosingTime,
            tally(2, 0, 0, 0, 2),
            "quorum not reached: 2 of 4 voted, 75% needed"
        )]]
    );
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
    assert_eq!(
        events,
        [decision(
            "g",
            1,
            Outcome::Accepted,
            ClosingTime,
            tally(1, 0, 0, 0, 3),
            "consent: no block (1 agreed, 0 disagreed, 0 abstained, 3 silent)"
        )]
    );
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
        events_when(&mut g, "amir", vote("g", Choice::Agree)).unwrap(),
        [vote_cast("g", 1, Choice::Agree)]
    );
}

#[test]
fn a_per_team_proposal_one_team_never_voted_on_is_rejected_at_the_closing_time() {
    // Given a per-team proposal closing in two days, agreed by both marketing members,
    let mut g = given(departments());
    let mut cmd = propose("g", "per-team");
    if let Command::ProposeGoal { closes_at, .. } = &mut cmd {
        *closes_at = Some(g.now + Duration::days(2));
    }
    g.when("alice", cmd).unwrap();
    g.when("alice", vote("g", Choice::Agree)).unwrap();
    g.when("amir", vote("g", Choice::Agree)).unwrap();
    assert!(tick(&g.state, g.now + Duration::days(1)).is_empty());
    // when the closing time passes and nobody in sales has voted,
    let events = tick(&g.state, g.now + Duration::days(2)).concat();
    // then sales never signed off, so the proposal is rejected.
    assert_eq!(
        events,
        [decision(
            "g",
            1,
            Outcome::Rejected,
            ClosingTime,
            tally(2, 0, 0, 0, 2),
            "no majority of its members in sales: marketing 2/2 agree, sales 0/2 agree"
        )]
    );
    g.apply("system", events);
    assert_eq!(g.goal("g").status, GoalStatus::Rejected);
}

#[test]
fn a_rule_share_or_quorum_must_be_above_zero_and_at_most_one() {
    for text in [
        "threshold:0",
        "threshold:1.01",
        "threshold:-0.5",
        "quorum:0,majority",
    ] {
        assert!(Rule::parse(text).is_err(), "{text} was accepted");
    }
    for text in ["threshold:1", "threshold:0.0001", "quorum:1,majority"] {
        assert!(Rule::parse(text).is_ok(), "{text} was refused");
    }
}

#[test]
fn a_rule_reads_back_as_it_was_written_and_nonsense_is_refused() {
    for (text, canonical) in [
        ("unanimous", "unanimous"),
        ("consent", "consent"),
        ("per-team", "per-team"),
        ("majority", "majority"),
        ("threshold:0.66", "threshold:0.66"),
        // A quorum alone is a majority with that quorum.
        ("quorum:0.5", "quorum:0.5,majority"),
    ] {
        let rule = Rule::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(rule.to_string(), canonical, "{text}");
        assert_eq!(Rule::parse(canonical), Ok(rule), "{canonical}");
    }
    for text in [
        "nonsense",
        "quorum:0.5,quorum:0.6,majority",
        "majority,consent",
        "",
    ] {
        assert!(Rule::parse(text).is_err(), "{text} was accepted");
    }
    let choices = [
        Choice::Agree,
        Choice::Abstain,
        Choice::Disagree,
        Choice::Block,
    ];
    let names: Vec<String> = choices.iter().map(|c| c.to_string()).collect();
    assert_eq!(names, ["agree", "abstain", "disagree", "block"]);
}

#[test]
fn a_tie_is_no_majority() {
    let mut g = given(with(vec![("alice", propose("g", "majority"))]));
    g.when("alice", vote("g", Choice::Agree)).unwrap();
    g.when("sam", vote("g", Choice::Disagree)).unwrap();
    g.when("amir", vote("g", Choice::Abstain)).unwrap();
    assert_eq!(g.goal("g").status, GoalStatus::Proposed);
    // 1 of 2 non-abstaining votes is half, not more than half.
    g.when("sofia", vote("g", Choice::Abstain)).unwrap();
    assert_eq!(g.goal("g").status, GoalStatus::Rejected);
}

#[test]
fn a_threshold_is_met_by_exactly_that_share() {
    let mut g = given(with(vec![("alice", propose("g", "threshold:0.5"))]));
    g.when("alice", vote("g", Choice::Agree)).unwrap();
    g.when("sam", vote("g", Choice::Disagree)).unwrap();
    g.when("amir", vote("g", Choice::Abstain)).unwrap();
    // 1 of 2 non-abstaining votes is exactly the 50 % needed.
    g.when("sofia", vote("g", Choice::Abstain)).unwrap();
    assert_eq!(g.goal("g").status, GoalStatus::Active);
}

#[test]
fn one_disagree_decides_nothing_while_the_silent_could_still_make_a_majority() {
    let mut g = given(with(vec![("alice", propose("g", "majority"))]));
    g.when("sam", vote("g", Choice::Disagree)).unwrap();
    // The three silent voters could still agree: 3 of 4.
    assert_eq!(g.goal("g").status, GoalStatus::Proposed);
}

/// Agree, abstain, disagree, block and silent voters, as counts.
type Counts = [u32; 5];

/// What a threshold rule decides at the final count, worked out from its definition.
fn final_outcome(
    share: f64,
    majority: bool,
    quorum: f64,
    [a, ab, d, b, _]: Counts,
    size: u32,
) -> Outcome {
    let cast = a + ab + d + b;
    let counted = a + d + b;
    let quorum_met = f64::from(cast) + 1e-9 >= quorum * f64::from(size);
    let share_met = counted > 0
        && if majority {
            2 * a > counted
        } else {
            f64::from(a) / f64::from(counted) + 1e-9 >= share
        };
    if quorum_met && share_met {
        Outcome::Accepted
    } else {
        Outcome::Rejected
    }
}

/// Decided before the final count only when every way the silent could still vote (or stay
/// silent) gives the same outcome.
fn oracle(share: f64, majority: bool, quorum: f64, c: Counts, closing: bool) -> Option<Outcome> {
    let size = c.iter().sum();
    if closing || c[4] == 0 {
        return Some(final_outcome(share, majority, quorum, c, size));
    }
    let s = c[4];
    let mut outcomes = std::collections::BTreeSet::new();
    for x in 0..=s {
        for y in 0..=s - x {
            for z in 0..=s - x - y {
                let rest = [c[0] + x, c[1] + y, c[2] + z, c[3], s - x - y - z];
                outcomes.insert(format!(
                    "{:?}",
                    final_outcome(share, majority, quorum, rest, size)
                ));
            }
        }
    }
    (outcomes.len() == 1).then(|| {
        final_outcome(
            share,
            majority,
            quorum,
            [c[0] + s, c[1], c[2], c[3], 0],
            size,
        )
    })
}

#[test]
fn threshold_and_quorum_rules_decide_every_small_tally_as_their_definition_says() {
    let voters: Vec<Actor> = (0..6).map(|i| actor(&format!("v{i}"))).collect();
    for (text, share, majority, quorum) in [
        ("majority", 0.5, true, 0.0),
        ("threshold:0.66", 0.66, false, 0.0),
        ("quorum:0.5,majority", 0.5, true, 0.5),
        ("quorum:0.75,threshold:0.66", 0.66, false, 0.75),
    ] {
        let rule = Rule::parse(text).unwrap();
        for n in 0..6u32.pow(5) {
            let c: Counts = [n % 6, n / 6 % 6, n / 36 % 6, n / 216 % 6, n / 1296 % 6];
            let size: u32 = c.iter().sum();
            if size == 0 || size > 6 {
                continue;
            }
            let electorate = Electorate(
                [(
                    team_id("t"),
                    voters[..size as usize].iter().cloned().collect(),
                )]
                .into(),
            );
            let choices = [
                Choice::Agree,
                Choice::Abstain,
                Choice::Disagree,
                Choice::Block,
            ];
            let votes = voters
                .iter()
                .zip(
                    choices
                        .iter()
                        .enumerate()
                        .flat_map(|(k, ch)| std::iter::repeat_n(*ch, c[k] as usize)),
                )
                .map(|(v, ch)| (v.clone(), ch))
                .collect();
            for closing in [false, true] {
                let got = evaluate(&rule, &electorate, &votes, closing).map(|v| v.outcome);
                assert_eq!(
                    got,
                    oracle(share, majority, quorum, c, closing),
                    "{text}, agree/abstain/disagree/block/silent {c:?}, closing {closing}"
                );
            }
        }
    }
}
