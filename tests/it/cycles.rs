//! The quarter as a loop, through the real binary on a data directory: a cycle with a goal
//! carried into the next one by vote, its action items followed up in the next cycle's review,
//! `due` for a person, and the refusals (overlapping cycles, closing a cycle with an open
//! proposal) that leave the ledger unchanged. Dates are relative to today, as the binary reads
//! the real clock.

use chrono::{Duration, Utc};
use serde_json::Value;

use crate::cli::Cli;

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

/// Marketing (alice, amir) and sales (sam), the cycles `prev` (the 90 days before today) and
/// `next` (today and the 90 days after), and in `prev` the goal `launch`, adopted under
/// majority, checked in today, with one action item done and one open.
fn two_cycles() -> Cli {
    let cli = Cli::new();
    for (who, args) in [
        (
            "olivia",
            vec!["team", "add", "marketing", "--name", "Marketing"],
        ),
        ("olivia", vec!["team", "join", "marketing", "alice"]),
        ("olivia", vec!["team", "join", "marketing", "amir"]),
        ("olivia", vec!["team", "add", "sales", "--name", "Sales"]),
        ("olivia", vec!["team", "join", "sales", "sam"]),
    ] {
        cli.ok(who, &args);
    }
    let (p0, p1, n0, n1) = (day(-90), day(-1), day(0), day(90));
    cli.ok(
        "olivia",
        &["cycle", "open", "prev", "--start", &p0, "--end", &p1],
    );
    cli.ok(
        "olivia",
        &["cycle", "open", "next", "--start", &n0, "--end", &n1],
    );
    let (start, due) = (day(-60), day(10));
    cli.ok(
        "alice",
        &[
            "propose",
            "launch",
            "--title",
            "Launch the partner portal",
            "--team",
            "marketing",
            "--kr",
            "partners:0:40:partners",
            "--start",
            &start,
            "--due",
            &due,
            "--rule",
            "majority",
            "--reason",
            "Partners ask for self-service",
        ],
    );
    cli.ok("alice", &["vote", "launch", "agree"]);
    cli.ok("amir", &["vote", "launch", "agree"]);
    cli.ok(
        "alice",
        &[
            "check-in", "launch", "--kr", "partners", "--value", "25", "--health", "at-risk",
        ],
    );
    for (text, owner) in [
        ("Publish the API docs", "amir"),
        ("Hire a partner manager", "alice"),
    ] {
        cli.ok(
            "alice",
            &[
                "note",
                "launch",
                "--section",
                "action-item",
                text,
                "--owner",
                owner,
                "--due",
                &day(5),
            ],
        );
    }
    cli.ok(
        "amir",
        &["action", "done", "launch", "1", "--note", "Docs are live"],
    );
    cli
}

#[test]
fn a_goal_is_carried_into_the_next_cycle_by_vote_and_the_next_review_follows_up_its_action_items() {
    // Given a cycle with an unfinished goal and the cycle after it
    let cli = two_cycles();
    assert_eq!(cli.json(&["show", "launch"])["cycle"], "prev");
    // When its owners propose to carry it over with a new target and agree
    cli.ok(
        "alice",
        &[
            "carry-over",
            "launch",
            "--target",
            "partners=50",
            "--reason",
            "Signed partners slipped",
        ],
    );
    let shown = cli.json(&["show", "launch"]);
    assert_eq!(
        shown["cycle"], "prev",
        "it moves only once the vote accepts it"
    );
    assert_eq!(shown["open_proposal"]["kind"], "carry-over");
    assert_eq!(shown["open_proposal"]["carry_over"]["to"], "next");
    cli.ok("alice", &["vote", "launch", "agree"]);
    cli.ok("amir", &["vote", "launch", "agree"]);

    // Then it belongs to the next cycle with its dates, the latest check-in as its baseline and
    // the new target,
    let shown = cli.json(&["show", "launch"]);
    assert_eq!(shown["cycle"], "next");
    assert_eq!(shown["carried_from"], serde_json::json!(["prev"]));
    assert_eq!(shown["start"], day(0));
    assert_eq!(shown["due"], day(90));
    assert_eq!(shown["key_results"][0]["baseline"], 25.0);
    assert_eq!(shown["key_results"][0]["target"], 50.0);
    // its history says so, with the previous cycle's result,
    let history = cli.ok("sam", &["history", "launch"]);
    assert!(
        history.contains("carried from prev into next")
            && history.contains("where prev left it: partners 25 (62% of the way)"),
        "{history}"
    );
    // closing the first cycle records it as carried over,
    cli.ok("olivia", &["cycle", "close", "prev"]);
    let prev = cli.json(&["cycle", "show", "prev"]);
    assert_eq!(prev["status"], "closed");
    assert_eq!(prev["figures"]["goals"], 1);
    assert_eq!(prev["figures"]["carried_over"], 1);
    assert_eq!(prev["figures"]["action_items_open"], 1);
    assert_eq!(
        cli.json(&["list", "--cycle", "next"])["goals"][0]["id"],
        "launch"
    );
    // and the next cycle's review follows up the first cycle's action items.
    let review: Value = serde_json::from_str(&cli.ok(
        "sam",
        &[
            "retro",
            "--team",
            "marketing",
            "--cycle",
            "next",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    let cycle = &review["cycle"];
    assert_eq!(cycle["previous"], "prev");
    assert_eq!(cycle["carried_in"], serde_json::json!(["launch"]));
    let follow: Vec<(String, String)> = cycle["follow_up"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["text"].as_str().unwrap().into(),
                f["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        follow,
        [
            ("Publish the API docs".to_owned(), "done".to_owned()),
            ("Hire a partner manager".to_owned(), "open".to_owned())
        ]
    );
    let md = cli.ok("sam", &["retro", "--team", "marketing", "--cycle", "next"]);
    assert!(
        md.contains("## Did we do what we said we'd do?")
            && md.contains("- [ ] Hire a partner manager (`launch`, prev, owner alice): open"),
        "{md}"
    );
}

#[test]
fn due_lists_a_persons_stale_key_results_waiting_votes_and_action_items() {
    // Given alice's team's goal with no check-in for three weeks, a proposal waiting for her
    // vote, and an action item she owns
    let cli = two_cycles();
    let start = day(-21);
    cli.ok(
        "amir",
        &[
            "propose",
            "stale",
            "--title",
            "Grow the newsletter",
            "--team",
            "marketing",
            "--kr",
            "subscribers:1000:1500",
            "--start",
            &start,
            "--due",
            &day(30),
            "--rule",
            "majority",
            "--reason",
            "Owned audience",
            "--cadence",
            "weekly",
        ],
    );
    cli.ok("amir", &["vote", "stale", "agree"]);
    cli.ok("alice", &["vote", "stale", "agree"]);
    cli.ok(
        "amir",
        &[
            "adjust",
            "stale",
            "--target",
            "subscribers=1400",
            "--reason",
            "Smaller list",
        ],
    );
    // When alice asks what is due
    let due = cli.json(&["--actor", "alice", "due"]);
    // Then the stale key result is overdue (21 days, past twice the weekly cadence),
    let check_ins = due["check_ins"].as_array().unwrap();
    let stale = check_ins.iter().find(|c| c["goal"] == "stale").unwrap();
    assert_eq!(stale["state"], "overdue");
    assert_eq!(stale["cadence"], "weekly");
    // launch, checked in today, is not due,
    assert!(check_ins.iter().all(|c| c["goal"] != "launch"), "{due}");
    // the adjustment waits for her vote (amir proposed it, she has not voted),
    let votes = due["votes"].as_array().unwrap();
    assert_eq!(votes.len(), 1, "{due}");
    assert_eq!(votes[0]["kind"], "adjustment");
    assert_eq!(votes[0]["waiting_for"], serde_json::json!(["alice"]));
    // and her open action item is listed, not amir's done one.
    let items = due["action_items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{due}");
    assert_eq!(items[0]["text"], "Hire a partner manager");
    // The table says the same to a person.
    let table = cli.ok("alice", &["due"]);
    assert!(
        table.contains("overdue  stale / subscribers (weekly cadence, never checked in"),
        "{table}"
    );
    // A team's view lists sam's nothing and marketing's everything.
    let team = cli.json(&["due", "--team", "sales"]);
    assert!(team["check_ins"].as_array().unwrap().is_empty(), "{team}");
}

#[test]
fn cycle_refusals_say_why_and_leave_the_ledger_unchanged() {
    let cli = two_cycles();
    cli.ok(
        "alice",
        &[
            "adjust",
            "launch",
            "--target",
            "partners=45",
            "--reason",
            "Slower",
        ],
    );
    let before = cli.digest();
    for (who, args, code, says) in [
        (
            "olivia",
            vec!["cycle", "close", "prev"],
            1,
            "cannot close while its goals have open proposals: launch (proposal 2, adjustment)",
        ),
        (
            "olivia",
            vec![
                "cycle",
                "open",
                "late",
                "--start",
                &day(60) as &str,
                "--end",
                &day(120),
            ],
            2,
            "overlaps cycle next",
        ),
        (
            "olivia",
            vec![
                "cycle",
                "open",
                "bad name",
                "--start",
                "2026-01-01",
                "--end",
                "2026-03-31",
            ],
            2,
            "invalid cycle name",
        ),
        (
            "olivia",
            vec!["cycle", "show", "nope"],
            1,
            "there is no cycle `nope`: there are: prev, next",
        ),
        (
            "alice",
            vec!["carry-over", "launch", "--reason", "Later"],
            1,
            "already has open proposal 2",
        ),
        (
            "alice",
            vec![
                "propose",
                "x",
                "--title",
                "X",
                "--team",
                "marketing",
                "--kr",
                "a:0:1",
                "--start",
                &day(0),
                "--due",
                &day(9),
                "--rule",
                "majority",
                "--reason",
                "R",
                "--cadence",
                "daily",
            ],
            2,
            "unknown cadence \"daily\"",
        ),
    ] {
        let out = cli.cmd(who).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert_eq!(cli.digest(), before, "{args:?} changed the ledger");
    }
    // A goal proposed into a closed cycle is refused with the way forward.
    cli.ok(
        "alice",
        &["withdraw", "launch", "--reason", "Keep the target"],
    );
    cli.ok("olivia", &["cycle", "close", "prev"]);
    let before = cli.digest();
    let out = cli
        .cmd("alice")
        .args([
            "propose",
            "late",
            "--title",
            "Late",
            "--team",
            "marketing",
            "--kr",
            "a:0:1",
            "--start",
            &day(-30),
            "--due",
            &day(9),
            "--rule",
            "majority",
            "--reason",
            "R",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cycle prev is closed; propose the goal into an open cycle"),
        "{stderr}"
    );
    assert_eq!(cli.digest(), before);
}

#[test]
fn webhooks_are_registered_listed_and_removed_on_the_record_from_the_command_line() {
    let cli = two_cycles();
    // A loopback URL is refused without a server that allows it, and nothing is appended.
    let before = cli.digest();
    let out = cli
        .cmd("olivia")
        .args([
            "webhook",
            "add",
            "http://127.0.0.1:9/hook",
            "--events",
            "goal-closed",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-private-webhooks"));
    assert_eq!(cli.digest(), before);
    // A public address is registered: the secret is printed once, the record names who.
    let added: Value = serde_json::from_str(&cli.ok(
        "olivia",
        &[
            "--output",
            "json",
            "webhook",
            "add",
            "https://93.184.216.34/hooks/goals",
            "--events",
            "vote-needed,goal-closed",
            "--team",
            "marketing",
        ],
    ))
    .unwrap();
    assert!(
        added["secret"].as_str().unwrap().starts_with("whsec_"),
        "{added}"
    );
    let id = added["webhook"]["id"].as_str().unwrap().to_owned();
    assert_eq!(added["webhook"]["registered_by"], "olivia");
    assert_eq!(
        added["webhook"]["events"],
        serde_json::json!(["vote-needed", "goal-closed"])
    );
    let listed = cli.ok("sam", &["webhook", "list"]);
    assert!(
        listed.contains(&id) && listed.contains("vote-needed,goal-closed"),
        "{listed}"
    );
    // Deliveries and tests need the server that sends them.
    let out = cli
        .cmd("olivia")
        .args(["webhook", "deliveries", &id])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--server"));
    cli.ok(
        "olivia",
        &["webhook", "remove", &id, "--reason", "Channel archived"],
    );
    assert!(cli
        .ok("sam", &["webhook", "list"])
        .contains("no webhooks registered"));
    let log = cli.ok("auditor", &["timeline"]);
    assert!(
        log.contains(&format!("olivia registered webhook {id}"))
            && log.contains(&format!("olivia removed webhook {id}: Channel archived")),
        "{log}"
    );
}
