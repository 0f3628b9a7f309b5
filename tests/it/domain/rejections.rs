//! Every broken rule is a rejection whose message says what to do: one data-driven table of
//! history, actor, command and the words the message must contain. A rejection produces no
//! events, so `decide` returning `Err` is the whole proof that nothing would be appended.

use goal_ledger::domain::*;

use super::{adopted, closed, with};
use crate::support::*;

/// One row: the history, who acts, the command, and words the rejection must contain.
struct Case {
    name: &'static str,
    history: Vec<(&'static str, Command)>,
    who: &'static str,
    command: Command,
    says: &'static str,
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
        terms: ClosingTerms {
            outcome: ClosingOutcome::Achieved,
            score,
            summary: "Done".into(),
            final_values: Default::default(),
        },
        closes_at: None,
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
                closes_at: None,
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
            name: "token expiring before it is granted",
            history: departments(),
            who: "olivia",
            command: Command::GrantToken {
                token: TokenHash::of("late"),
                actor: actor("alice"),
                role: Role::Member,
                expires_at: Some(time("2026-07-01T08:59:59Z")),
            },
            says: "is not in the future",
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
