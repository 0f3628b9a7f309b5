//! Issue #11's promises through the real binary: one exit code per kind of refusal (every
//! rejection variant walked, each leaving the ledger byte for byte as it was), team sign-off by
//! a majority of each team, and action items that are owned by a team member and close once.

use goal_ledger::domain::{CycleName, Rejection, RejectionKind, WebhookId};

use crate::cli::Cli;
use crate::support::*;

/// The CLI's exit code for a domain refusal: 2 for a malformed or out-of-range field, 1 for
/// every rule of the domain.
fn exit_code(r: &Rejection) -> i32 {
    match r.kind() {
        RejectionKind::Invalid => 2,
        RejectionKind::NotFound | RejectionKind::AlreadyExists | RejectionKind::Rule => 1,
    }
}

/// Each variant's place in the walk; a new variant does not compile until it is walked.
fn index(r: &Rejection) -> usize {
    match r {
        Rejection::UnknownTeam(_) => 0,
        Rejection::TeamExists(_) => 1,
        Rejection::UnknownGoal(_) => 2,
        Rejection::GoalExists(_) => 3,
        Rejection::AlreadyMember { .. } => 4,
        Rejection::NotAMember { .. } => 5,
        Rejection::NotAnOwner { .. } => 6,
        Rejection::NotInElectorate { .. } => 7,
        Rejection::NoOpenProposal { .. } => 8,
        Rejection::ProposalOpen { .. } => 9,
        Rejection::WrongStatus { .. } => 10,
        Rejection::UnknownKeyResult { .. } => 11,
        Rejection::NotOnATeam { .. } => 12,
        Rejection::OwnerNotOnTeam { .. } => 13,
        Rejection::UnknownActionItem { .. } => 14,
        Rejection::ActionItemResolved { .. } => 15,
        Rejection::BlockNeedsReason => 16,
        Rejection::TeamWithoutMembers(_) => 17,
        Rejection::ReservedActor => 18,
        Rejection::Invalid { .. } => 19,
        Rejection::UnknownCycle { .. } => 20,
        Rejection::CycleHasOpenProposals { .. } => 21,
        Rejection::UnknownWebhook(_) => 22,
    }
}
const VARIANTS: usize = 23;

/// `propose ID` by the command's actor, for `teams`, under `rule`.
fn propose<'a>(id: &'a str, teams: &[&'a str], rule: &'a str) -> Vec<&'a str> {
    let mut args = vec![
        "propose",
        id,
        "--title",
        "A goal",
        "--kr",
        "visits:40000:48000:visits",
    ];
    for t in teams {
        args.extend(["--team", t]);
    }
    args.extend([
        "--start",
        "2026-07-01",
        "--due",
        "2026-09-30",
        "--rule",
        rule,
        "--reason",
        "Q3",
    ]);
    args
}

/// Marketing (alice, amir), sales (sam, sofia, sven), customer service (carol), finance (no
/// members); `open` waits for its adoption, `live` is adopted with an action item resolved,
/// `busy` has an adjustment open and `done` is closed.
fn ledger() -> Cli {
    let cli = Cli::new();
    let mut steps: Vec<(&str, Vec<&str>)> = vec![];
    for (team, members) in [
        ("marketing", &["alice", "amir"][..]),
        ("sales", &["sam", "sofia", "sven"][..]),
        ("customer-service", &["carol"][..]),
        ("finance", &[][..]),
    ] {
        steps.push(("olivia", vec!["team", "add", team, "--name", team]));
        for m in members {
            steps.push(("olivia", vec!["team", "join", team, m]));
        }
    }
    steps.push((
        "alice",
        propose("open", &["marketing", "sales"], "per-team"),
    ));
    for goal in ["live", "busy", "done"] {
        steps.push(("alice", propose(goal, &["marketing"], "majority")));
        steps.push(("alice", vec!["vote", goal, "agree"]));
        steps.push(("amir", vec!["vote", goal, "agree"]));
    }
    steps.extend([
        (
            "alice",
            vec![
                "note",
                "live",
                "--section",
                "action-item",
                "Weekly review",
                "--owner",
                "amir",
                "--due",
                "2026-10-31",
            ],
        ),
        ("amir", vec!["action", "done", "live", "1"]),
        (
            "alice",
            vec![
                "adjust",
                "busy",
                "--target",
                "visits=46000",
                "--reason",
                "Budget cut",
            ],
        ),
        (
            "alice",
            vec![
                "close",
                "done",
                "achieved",
                "--score",
                "1",
                "--summary",
                "Done",
            ],
        ),
        ("alice", vec!["vote", "done", "agree"]),
        ("amir", vec!["vote", "done", "agree"]),
        (
            "olivia",
            vec![
                "cycle",
                "open",
                "2026-Q3",
                "--start",
                "2026-07-01",
                "--end",
                "2026-09-30",
            ],
        ),
    ]);
    for (who, args) in steps {
        cli.ok(who, &args);
    }
    cli
}

#[test]
fn every_rejection_exits_with_its_kinds_code_says_why_and_changes_nothing() {
    let cli = ledger();
    let (g, a, t) = (goal_id, actor, team_id);
    let cases: Vec<(&str, Vec<&str>, Rejection)> = vec![
        (
            "alice",
            propose("x", &["nowhere"], "majority"),
            Rejection::UnknownTeam(t("nowhere")),
        ),
        (
            "olivia",
            vec!["team", "add", "sales", "--name", "Sales"],
            Rejection::TeamExists(t("sales")),
        ),
        (
            "alice",
            vec!["vote", "nope", "agree"],
            Rejection::UnknownGoal(g("nope")),
        ),
        (
            "alice",
            propose("live", &["marketing"], "majority"),
            Rejection::GoalExists(g("live")),
        ),
        (
            "olivia",
            vec!["team", "join", "sales", "sam"],
            Rejection::AlreadyMember {
                team: t("sales"),
                member: a("sam"),
            },
        ),
        (
            "olivia",
            vec!["team", "leave", "sales", "carol"],
            Rejection::NotAMember {
                team: t("sales"),
                member: a("carol"),
            },
        ),
        (
            "carol",
            vec![
                "check-in", "live", "--kr", "visits", "--value", "1", "--health", "on-track",
            ],
            Rejection::NotAnOwner {
                actor: a("carol"),
                goal: g("live"),
                teams: "marketing".into(),
                action: "check in",
            },
        ),
        (
            "carol",
            vec!["vote", "open", "agree"],
            Rejection::NotInElectorate {
                actor: a("carol"),
                goal: g("open"),
                proposal: 1,
                electorate: "alice, amir, sam, sofia, sven".into(),
            },
        ),
        (
            "alice",
            vec!["withdraw", "live", "--reason", "No"],
            Rejection::NoOpenProposal {
                goal: g("live"),
                action: "withdraw",
            },
        ),
        (
            "alice",
            vec!["close", "busy", "missed", "--score", "0", "--summary", "No"],
            Rejection::ProposalOpen {
                goal: g("busy"),
                proposal: 2,
                kind: "adjustment",
            },
        ),
        (
            "alice",
            vec!["reopen", "live", "--reason", "Again"],
            Rejection::WrongStatus {
                goal: g("live"),
                status: goal_ledger::domain::GoalStatus::Active,
                action: "reopen",
                hint: "",
            },
        ),
        (
            "alice",
            vec![
                "check-in", "live", "--kr", "nope", "--value", "1", "--health", "on-track",
            ],
            Rejection::UnknownKeyResult {
                goal: g("live"),
                key_result: kr("nope"),
                known: "visits".into(),
            },
        ),
        (
            "olivia",
            vec!["note", "live", "--section", "lesson", "Plan earlier"],
            Rejection::NotOnATeam {
                actor: a("olivia"),
                action: "write post-mortem notes",
            },
        ),
        (
            "alice",
            vec![
                "note",
                "live",
                "--section",
                "action-item",
                "Staff it",
                "--owner",
                "carol",
                "--due",
                "2026-10-31",
            ],
            Rejection::OwnerNotOnTeam {
                owner: a("carol"),
                goal: g("live"),
                teams: "marketing".into(),
            },
        ),
        (
            "alice",
            vec!["action", "done", "live", "9"],
            Rejection::UnknownActionItem {
                goal: g("live"),
                item: 9,
                known: " (it has: 1)".into(),
            },
        ),
        (
            "alice",
            vec!["action", "drop", "live", "1", "--reason", "Not needed"],
            Rejection::ActionItemResolved {
                goal: g("live"),
                item: 1,
                status: "done",
            },
        ),
        (
            "amir",
            vec!["vote", "open", "block"],
            Rejection::BlockNeedsReason,
        ),
        (
            "alice",
            propose("y", &["marketing", "finance"], "majority"),
            Rejection::TeamWithoutMembers(t("finance")),
        ),
        (
            "olivia",
            vec!["team", "join", "sales", "system"],
            Rejection::ReservedActor,
        ),
        (
            "alice",
            vec![
                "check-in",
                "live",
                "--kr",
                "visits",
                "--value",
                "1",
                "--health",
                "on-track",
                "--confidence",
                "11",
            ],
            Rejection::invalid("confidence", "11 is out of range: use 0 to 10"),
        ),
        (
            "olivia",
            vec!["cycle", "close", "2026-Q9"],
            Rejection::UnknownCycle {
                cycle: CycleName::parse("2026-Q9").unwrap(),
                known: "there are: 2026-Q3".into(),
            },
        ),
        (
            "olivia",
            vec!["cycle", "close", "2026-Q3"],
            Rejection::CycleHasOpenProposals {
                cycle: CycleName::parse("2026-Q3").unwrap(),
                proposals: "busy (proposal 2, adjustment), open (proposal 1, adoption)".into(),
            },
        ),
        (
            "olivia",
            vec!["webhook", "remove", "wh-00000000", "--reason", "Gone"],
            Rejection::UnknownWebhook(WebhookId::parse("wh-00000000").unwrap()),
        ),
    ];
    let mut walked = [false; VARIANTS];
    let before = cli.digest();
    for (who, args, expected) in &cases {
        walked[index(expected)] = true;
        let out = cli.cmd(who).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(exit_code(expected)),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains(&expected.to_string()),
            "{args:?} should say {expected}, said: {stderr}"
        );
        assert_eq!(cli.digest(), before, "{args:?} changed the ledger");
    }
    let missing: Vec<usize> = (0..VARIANTS).filter(|i| !walked[*i]).collect();
    assert!(missing.is_empty(), "variants not walked: {missing:?}");
}

#[test]
fn a_three_member_team_with_one_agree_and_two_disagree_does_not_sign_off() {
    let cli = ledger();
    for (who, choice) in [
        ("alice", "agree"),
        ("amir", "agree"),
        ("sam", "agree"),
        ("sofia", "disagree"),
    ] {
        cli.ok(who, &["vote", "open", choice]);
    }
    assert_eq!(
        cli.json(&["show", "open"])["status"],
        "proposed",
        "sven could still make it 2 of 3"
    );
    cli.ok("sven", &["vote", "open", "disagree"]);
    assert_eq!(cli.json(&["show", "open"])["status"], "rejected");
    let history = cli.json(&["history", "open"]);
    assert_eq!(
        history["entries"][0]["proposal"]["decision"],
        "no majority of its members in sales: marketing 2/2 agree, sales 1/3 agree"
    );
}

#[test]
fn an_action_item_is_numbered_owned_by_a_member_and_resolved_once() {
    let cli = ledger();
    let noted = cli.ok(
        "alice",
        &[
            "note",
            "live",
            "--section",
            "action-item",
            "Plan Q4 early",
            "--owner",
            "alice",
            "--due",
            "2026-11-15",
        ],
    );
    assert!(noted.contains("action item 2 of live"), "{noted}");
    let status = |cli: &Cli| -> Vec<String> {
        cli.json(&["show", "live"])["action_items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| format!("{} {}", i["item"], i["status"].as_str().unwrap()))
            .collect()
    };
    assert_eq!(status(&cli), ["1 done", "2 open"]);
    let before = cli.digest();
    cli.cmd("alice")
        .args(["action", "drop", "live", "2"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--reason"));
    assert_eq!(cli.digest(), before);
    cli.ok(
        "alice",
        &[
            "action",
            "drop",
            "live",
            "2",
            "--reason",
            "Q4 planning moved to the CFO",
        ],
    );
    assert_eq!(status(&cli), ["1 done", "2 dropped"]);
    let retro = cli.ok("auditor", &["retro", "live", "--format", "md"]);
    assert!(
        retro.contains("- [x] #1 Weekly review (owner amir, due 2026-10-31): done by amir on "),
        "{retro}"
    );
    assert!(
        retro.contains(
            "- [ ] ~~#2 Plan Q4 early (owner alice, due 2026-11-15)~~: dropped by alice on "
        ),
        "{retro}"
    );
    assert!(retro.contains(": Q4 planning moved to the CFO"), "{retro}");
}

#[tokio::test]
async fn an_action_item_is_resolved_over_http_once_and_bad_requests_change_nothing() {
    let app = spawn_app().await;
    app.adopted("web-traffic-q3").await;
    let note = serde_json::json!({"section": "action-item", "text": "Review monthly", "owner": "sam", "due": "2026-10-31"});
    let (status, body) = app
        .send(app.post("/goals/web-traffic-q3/notes", Some("alice"), note))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["goal"]["action_items"][0]["item"], 1);
    let path = "/goals/web-traffic-q3/action-items/1/resolve";
    let digest = app.ledger.digest();
    for (at, body, want) in [
        (path, serde_json::json!({"status": "dropped"}), 422),
        (path, serde_json::json!({"status": "finished"}), 422),
        (
            path,
            serde_json::json!({"status": "done", "by": "sam"}),
            422,
        ),
        (
            "/goals/web-traffic-q3/action-items/one/resolve",
            serde_json::json!({"status": "done"}),
            400,
        ),
        (
            "/goals/web-traffic-q3/action-items/7/resolve",
            serde_json::json!({"status": "done"}),
            404,
        ),
    ] {
        let (status, problem) = app.send(app.post(at, Some("sam"), body.clone())).await;
        assert_eq!(status, want, "{at} {body}: {problem}");
        assert_eq!(
            app.ledger.digest(),
            digest,
            "{at} {body} changed the ledger"
        );
    }
    let done = serde_json::json!({"status": "done", "note": "First review held"});
    let (status, body) = app.send(app.post(path, Some("sam"), done.clone())).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["goal"]["action_items"][0]["status"], "done");
    let digest = app.ledger.digest();
    let (status, problem) = app.send(app.post(path, Some("alice"), done)).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("already done"),
        "{problem}"
    );
    assert_eq!(
        app.ledger.digest(),
        digest,
        "a second resolution changed the ledger"
    );
    assert!(status == 409 || status == 422, "{status}");
}
