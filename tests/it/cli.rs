//! The `goal-ledger` binary end to end on a temporary data directory: a whole goal cycle, the
//! exit codes, JSON shapes scripts rely on, export → import, and refusals that leave the digest
//! unchanged.

use assert_cmd::Command;
use goal_ledger::ledger::Ledger;
use predicates::prelude::*;
use serde_json::{json, Value};

use crate::support::*;

pub(crate) struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    pub(crate) fn new() -> Cli {
        Cli { dir: temp_dir() }
    }

    pub(crate) fn data(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    pub(crate) fn cmd(&self, actor: &str) -> Command {
        let mut c = Command::cargo_bin("goal-ledger").unwrap();
        c.env_remove("GOAL_LEDGER_SERVER")
            .env("GOAL_LEDGER_DATA", self.data())
            .env("GOAL_LEDGER_ACTOR", actor)
            .env("USER", "ops-root")
            .env_remove("LOGNAME");
        c
    }

    pub(crate) fn ok(&self, actor: &str, args: &[&str]) -> String {
        let out = self.cmd(actor).args(args).assert().success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    }

    pub(crate) fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok("auditor", &all)).unwrap()
    }

    pub(crate) fn digest(&self) -> String {
        self.ok("auditor", &["digest"])
    }

    fn setup(&self) {
        for args in [
            vec!["team", "add", "marketing", "--name", "Marketing"],
            vec!["team", "join", "marketing", "alice"],
            vec!["team", "add", "sales", "--name", "Sales"],
            vec!["team", "join", "sales", "sam"],
            vec![
                "team",
                "add",
                "customer-service",
                "--name",
                "Customer Service",
            ],
            vec!["team", "join", "customer-service", "carol"],
        ] {
            self.ok("olivia", &args);
        }
        self.ok(
            "alice",
            &[
                "propose",
                "web-traffic-q3",
                "--title",
                "Increase website traffic",
                "--team",
                "marketing",
                "--team",
                "sales",
                "--kr",
                "visits:40000:48000:visits/month",
                "--start",
                "2026-07-01",
                "--due",
                "2026-09-30",
                "--rule",
                "per-team",
                "--reason",
                "Supports customer acquisition",
            ],
        );
    }
}

/// What a local write is recorded with: the OS login and this machine's host name.
fn local_auth() -> Value {
    let host = goal_ledger::config::hostname().unwrap_or_else(|| "unknown".into());
    serde_json::json!({"via": "local", "user": "ops-root", "host": host})
}

#[test]
fn a_local_write_records_the_os_login_and_host_whatever_actor_it_claims() {
    let cli = Cli::new();
    cli.ok(
        "mallory",
        &["team", "add", "marketing", "--name", "Marketing"],
    );
    let log = cli.json(&["log"]);
    let record = &log["records"][0];
    assert_eq!(record["actor"], "mallory", "the actor is what --actor said");
    assert_eq!(record["auth"], local_auth(), "{record}");
    let raw = cli.ok("auditor", &["log"]);
    assert!(
        raw.contains(r#""actor":"mallory","auth":{"via":"local","user":"ops-root","host":""#),
        "auth follows actor: {raw}"
    );

    // Without any login name in the environment the record still says it was a local write.
    cli.cmd("mallory")
        .env_remove("USER")
        .args(["team", "add", "sales", "--name", "Sales"])
        .assert()
        .success();
    let log = cli.json(&["log", "--after", "1"]);
    assert_eq!(log["records"][0]["auth"]["user"], "unknown");
}

#[test]
fn history_and_timeline_mark_the_changes_that_were_local_writes() {
    let cli = Cli::new();
    cli.setup();
    cli.ok("alice", &["vote", "web-traffic-q3", "agree"]);
    cli.ok("sam", &["vote", "web-traffic-q3", "agree"]);
    let host = local_auth()["host"].as_str().unwrap().to_owned();
    let mark = format!("(local write by ops-root@{host})");

    let history = cli.ok("auditor", &["history", "web-traffic-q3"]);
    assert!(
        history.contains(&format!("adopted  by alice {mark}")),
        "{history}"
    );
    // Each vote says when it was cast, and each local vote is marked too.
    let vote = vote_in(&history, "alice agree at ");
    assert!(
        vote.ends_with(&mark),
        "each vote has its time and mark: {history}"
    );
    let json = cli.json(&["history", "web-traffic-q3"]);
    assert_eq!(json["entries"][0]["auth"], local_auth(), "{json}");
    assert_eq!(
        json["entries"][0]["proposal"]["votes"][1]["auth"],
        local_auth()
    );

    let timeline = cli.ok("auditor", &["timeline", "web-traffic-q3"]);
    let lines: Vec<&str> = timeline.lines().collect();
    assert_eq!(lines.len(), 4, "{timeline}");
    // The decision is recorded by the vote that made it, so it carries that vote's auth.
    for line in &lines {
        assert!(line.ends_with(&mark), "{line}");
    }
    let json = cli.json(&["timeline", "web-traffic-q3"]);
    assert_eq!(json["entries"][0]["auth"], local_auth(), "{json}");
}

#[test]
fn a_whole_goal_cycle_from_the_command_line() {
    let cli = Cli::new();
    cli.setup();

    // A vote from outside the electorate is refused and changes nothing.
    let before = cli.digest();
    cli.cmd("carol")
        .args(["vote", "web-traffic-q3", "agree"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("carol may not vote on proposal 1"));
    assert_eq!(cli.digest(), before);

    cli.ok("alice", &["vote", "web-traffic-q3", "agree"]);
    let adopted = cli.ok(
        "sam",
        &[
            "vote",
            "web-traffic-q3",
            "agree",
            "--reason",
            "Sales needs the demand",
        ],
    );
    assert!(adopted.contains("[active]"), "{adopted}");
    let before_adjustment = cli.json(&["digest"])["seq"].as_u64().unwrap();
    let between = chrono::Utc::now().to_rfc3339();

    cli.ok(
        "alice",
        &[
            "adjust",
            "web-traffic-q3",
            "--target",
            "visits=46000",
            "--due",
            "2026-10-15",
            "--reason",
            "Budget cut",
        ],
    );
    cli.ok("alice", &["vote", "web-traffic-q3", "agree"]);
    cli.ok("sam", &["vote", "web-traffic-q3", "agree"]);
    cli.ok(
        "sam",
        &[
            "check-in",
            "web-traffic-q3",
            "--kr",
            "visits",
            "--value",
            "43000",
            "--health",
            "on-track",
            "--confidence",
            "7",
        ],
    );

    let now = cli.json(&["show", "web-traffic-q3"]);
    assert_eq!(now["key_results"][0]["target"], 46000.0);
    assert_eq!(now["key_results"][0]["current"], 43000.0);
    assert_eq!(now["due"], "2026-10-15");
    for key in [
        "id",
        "title",
        "status",
        "teams",
        "start",
        "due",
        "version",
        "key_results",
        "open_proposal",
    ] {
        assert!(now.get(key).is_some(), "show --output json lacks {key}");
    }
    for key in ["name", "unit", "baseline", "target", "current"] {
        assert!(
            now["key_results"][0].get(key).is_some(),
            "key results lack {key}"
        );
    }
    let old = cli.json(&["show", "web-traffic-q3", "--as-of", &between]);
    assert_eq!(old["key_results"][0]["target"], 48000.0);
    let old = cli.json(&[
        "show",
        "web-traffic-q3",
        "--at-seq",
        &before_adjustment.to_string(),
    ]);
    assert_eq!(old["key_results"][0]["target"], 48000.0);

    let history = cli.ok("auditor", &["history", "web-traffic-q3"]);
    assert!(
        history.contains("key_results.visits.target: 48000 → 46000"),
        "{history}"
    );
    assert!(history.contains("reason: Budget cut"), "{history}");
    assert!(
        history.contains("due: 2026-09-30 → 2026-10-15"),
        "{history}"
    );

    cli.ok(
        "alice",
        &[
            "close",
            "web-traffic-q3",
            "achieved",
            "--score",
            "0.9",
            "--summary",
            "Organic search carried it",
        ],
    );
    // One member's close is a proposal: the goal stays active until both teams agree.
    let proposed = cli.json(&["show", "web-traffic-q3"]);
    assert_eq!(proposed["status"], "active");
    assert_eq!(proposed["open_proposal"]["kind"], "closing");
    assert_eq!(proposed["open_proposal"]["closing"]["outcome"], "achieved");
    cli.ok("alice", &["vote", "web-traffic-q3", "agree"]);
    cli.ok("sam", &["vote", "web-traffic-q3", "agree"]);
    cli.ok(
        "sam",
        &[
            "note",
            "web-traffic-q3",
            "--section",
            "went-well",
            "SEO content doubled sign-ups",
        ],
    );
    cli.ok(
        "alice",
        &[
            "note",
            "web-traffic-q3",
            "--section",
            "action-item",
            "Weekly traffic review",
            "--owner",
            "alice",
            "--due",
            "2026-10-31",
        ],
    );
    let closed = cli.json(&["show", "web-traffic-q3"]);
    assert_eq!(
        (closed["status"].as_str(), closed["outcome"].as_str()),
        (Some("closed"), Some("achieved"))
    );

    let timeline = cli.ok("auditor", &["timeline", "web-traffic-q3"]);
    assert!(
        timeline.contains("alice noted action item 1 for alice by 2026-10-31"),
        "{timeline}"
    );

    let verified = cli.json(&["verify"]);
    assert_eq!(verified["ok"], true);
    let digest = cli.json(&["digest"]);
    assert_eq!(verified["seq"], digest["seq"]);
    assert_eq!(verified["hash"], digest["hash"]);

    // Export, then import into a fresh directory: the same digest.
    let export = cli.dir.path().join("export.jsonl");
    cli.ok("auditor", &["export", "--out", export.to_str().unwrap()]);
    let copy = cli.dir.path().join("copy");
    cli.ok(
        "auditor",
        &[
            "--data-dir",
            copy.to_str().unwrap(),
            "import",
            export.to_str().unwrap(),
        ],
    );
    let copied = cli.ok("auditor", &["--data-dir", copy.to_str().unwrap(), "digest"]);
    assert_eq!(copied, cli.digest());
    cli.ok(
        "auditor",
        &[
            "verify",
            "--file",
            export.to_str().unwrap(),
            "--digest",
            cli.digest().trim(),
        ],
    );
}

#[test]
fn a_tampered_export_is_refused_with_exit_3_and_nothing_is_imported() {
    let cli = Cli::new();
    cli.setup();
    cli.ok("alice", &["vote", "web-traffic-q3", "agree"]);
    let export = cli.dir.path().join("export.jsonl");
    cli.ok("auditor", &["export", "--out", export.to_str().unwrap()]);
    let text = std::fs::read_to_string(&export)
        .unwrap()
        .replace("48000", "58000");
    std::fs::write(&export, text).unwrap();

    cli.cmd("auditor")
        .args(["verify", "--file", export.to_str().unwrap()])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("verification failed at record 7"));
    let copy = cli.dir.path().join("copy");
    cli.cmd("auditor")
        .args([
            "--data-dir",
            copy.to_str().unwrap(),
            "import",
            export.to_str().unwrap(),
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("nothing was imported"));
    let digest = cli.ok("auditor", &["--data-dir", copy.to_str().unwrap(), "digest"]);
    assert!(digest.starts_with("0:0000"), "{digest}");
}

#[test]
fn usage_errors_exit_2_and_say_what_to_write_instead() {
    let cli = Cli::new();
    cli.setup();
    let before = cli.digest();
    for (args, says) in [
        (
            vec![
                "check-in",
                "Web Traffic",
                "--kr",
                "visits",
                "--value",
                "1",
                "--health",
                "on-track",
            ],
            "invalid goal id \"Web Traffic\"",
        ),
        (
            vec![
                "propose",
                "g2",
                "--title",
                "T",
                "--team",
                "sales",
                "--kr",
                "visits:40000",
                "--start",
                "2026-07-01",
                "--due",
                "2026-09-30",
                "--reason",
                "r",
            ],
            "NAME:BASELINE:TARGET",
        ),
        (
            vec![
                "propose",
                "g2",
                "--title",
                "T",
                "--team",
                "sales",
                "--kr",
                "v:1:2",
                "--start",
                "2026-07-01",
                "--due",
                "30/09/2026",
                "--reason",
                "r",
            ],
            "use YYYY-MM-DD",
        ),
        (
            vec![
                "propose",
                "g2",
                "--title",
                "T",
                "--team",
                "sales",
                "--kr",
                "v:1:2",
                "--start",
                "2026-07-01",
                "--due",
                "2026-06-01",
                "--reason",
                "r",
            ],
            "before the start date",
        ),
        (
            vec!["vote", "web-traffic-q3", "maybe"],
            "invalid value 'maybe'",
        ),
        (vec!["verify", "--digest", "nonsense"], "use SEQ:HASH"),
    ] {
        cli.cmd("sam")
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    }
    assert_eq!(cli.digest(), before);
}

#[test]
fn a_second_process_on_the_same_directory_is_told_to_use_the_server() {
    let cli = Cli::new();
    cli.setup();
    let held = Ledger::open(&cli.data(), Default::default()).unwrap();
    cli.cmd("sam").args(["list"]).assert().code(1).stderr(
        predicate::str::contains("in use by another goal-ledger process")
            .and(predicate::str::contains("--server")),
    );
    drop(held);
    cli.ok("sam", &["list"]);
}

#[test]
fn tokens_are_created_listed_and_revoked_on_a_data_directory_with_the_granter_recorded() {
    let cli = Cli::new();
    cli.setup();
    let created: Value = serde_json::from_str(&cli.ok(
        "olivia",
        &[
            "--output",
            "json",
            "token",
            "create",
            "--for",
            "alice",
            "--role",
            "member",
            "--expires-at",
            "2099-01-01T12:00:00Z",
        ],
    ))
    .unwrap();
    assert_eq!(created["actor"], "alice");
    assert_eq!(created["role"], "member");
    assert_eq!(created["expires_at"], "2099-01-01T12:00:00Z");
    let fingerprint = created["fingerprint"].as_str().unwrap().to_owned();
    assert!(created["token"].as_str().unwrap().starts_with("glt_"));

    // The record: olivia granted it (the record's actor), alice holds it (the payload's).
    let log = cli.ok("auditor", &["log", "--after", "0", "--limit", "1000"]);
    let granted: Value = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .rfind(|r| r["type"] == "TokenGranted")
        .unwrap();
    assert_eq!(granted["actor"], "olivia");
    assert_eq!(granted["payload"]["actor"], "alice");
    assert_eq!(granted["payload"]["expires_at"], "2099-01-01T12:00:00Z");
    assert!(!log.contains(created["token"].as_str().unwrap()));

    let timeline = cli.ok("auditor", &["timeline"]);
    assert!(
        timeline.contains(&format!(
            "olivia granted a member token ({fingerprint}) to alice until 2099-01-01T12:00:00Z"
        )),
        "{timeline}"
    );

    let listed = cli.json(&["token", "list"]);
    let token = &listed["tokens"][0];
    assert_eq!(token["fingerprint"], fingerprint.as_str());
    assert_eq!(token["granted_by"], "olivia");
    assert_eq!(token["revoked_at"], Value::Null);

    // Refusals say what to write instead and change nothing.
    let before = cli.digest();
    for (args, code, says) in [
        (vec!["token", "create", "--role", "member"], 2, "--for"),
        (
            vec![
                "token",
                "create",
                "--for",
                "sam",
                "--role",
                "member",
                "--expires-at",
                "2020-01-01",
            ],
            2,
            "is not in the future",
        ),
        (
            vec!["token", "revoke", "abc", "--reason", "r"],
            2,
            "at least 8 hex digits",
        ),
        (
            vec!["token", "revoke", "00000000000", "--reason", "r"],
            1,
            "no token has the fingerprint",
        ),
    ] {
        cli.cmd("olivia")
            .args(&args)
            .assert()
            .code(code)
            .stderr(predicate::str::contains(says));
    }
    assert_eq!(cli.digest(), before);

    let revoked = cli.ok(
        "olivia",
        &["token", "revoke", &fingerprint[..8], "--reason", "Left"],
    );
    assert!(revoked.contains("appended"), "{revoked}");
    assert!(cli.json(&["token", "list"])["tokens"][0]["revoked_at"].is_string());
}

#[test]
fn token_commands_on_a_directory_a_server_holds_are_told_to_use_the_server() {
    let cli = Cli::new();
    cli.setup();
    let held = Ledger::open(&cli.data(), Default::default()).unwrap();
    for args in [
        vec!["token", "list"],
        vec!["token", "create", "--for", "sam", "--role", "member"],
    ] {
        cli.cmd("olivia").args(&args).assert().code(1).stderr(
            predicate::str::contains("send commands to it with --server URL")
                .and(predicate::str::contains("stopped").not()),
        );
    }
    drop(held);
}

#[test]
fn reading_a_directory_without_a_ledger_says_so_and_creates_nothing() {
    let cli = Cli::new();
    cli.cmd("sam").args(["list"]).assert().code(1).stderr(
        predicate::str::contains("there is no ledger in")
            .and(predicate::str::contains("check --data-dir")),
    );
    assert!(!cli.data().exists());
}

#[test]
fn every_command_has_help_with_an_example() {
    for cmd in [
        "propose",
        "vote",
        "adjust",
        "check-in",
        "close",
        "reopen",
        "withdraw",
        "note",
        "list",
        "show",
        "history",
        "timeline",
        "retro",
        "log",
        "verify",
        "digest",
        "export",
        "import",
        "rebuild",
        "serve",
        "team add",
        "team join",
        "team leave",
        "team list",
        "team show",
        "token create",
        "token list",
        "token revoke",
    ] {
        Command::cargo_bin("goal-ledger")
            .unwrap()
            .args(cmd.split(' ').chain(["--help"]))
            .assert()
            .success()
            .stdout(
                predicate::str::contains("goal-ledger ").and(predicate::str::contains("Example")),
            );
    }
}

#[test]
fn key_result_weights_are_set_from_the_command_line_and_a_stray_weight_changes_nothing() {
    let cli = Cli::new();
    cli.setup();
    let propose = |weight: &str| {
        let mut c = cli.cmd("alice");
        c.args([
            "propose",
            "weighted-q3",
            "--title",
            "Weighted",
            "--team",
            "marketing",
        ])
        .args([
            "--kr",
            "visits:40000:48000:visits/month",
            "--kr",
            "share:35:45:%",
        ])
        .args([
            "--weight",
            weight,
            "--start",
            "2026-07-01",
            "--due",
            "2026-09-30",
        ])
        .args(["--reason", "Two measures, one counts double"]);
        c
    };
    let before = cli.digest();
    propose("clicks=2")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--weight clicks=2: `clicks` is not a key result given with --kr",
        ));
    assert_eq!(cli.digest(), before);
    propose("visits=2").assert().success();
    let goal = cli.json(&["show", "weighted-q3"]);
    let weights: Vec<Value> = goal["key_results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kr| kr["weight"].clone())
        .collect();
    assert_eq!(weights, vec![json!(2.0), Value::Null], "{goal}");
}

/// The text after `start` up to the end of that vote (`;` or the line's end), with `start`.
fn vote_in(text: &str, start: &str) -> String {
    let at = text
        .find(start)
        .unwrap_or_else(|| panic!("no {start:?} in {text}"));
    let rest = &text[at..];
    let end = rest.find([';', '\n']).unwrap_or(rest.len());
    let vote = &rest[..end];
    let time = &vote[start.len()..start.len() + 16];
    assert!(
        chrono::NaiveDateTime::parse_from_str(time, "%Y-%m-%d %H:%M").is_ok(),
        "a vote's time: {vote}"
    );
    vote.to_owned()
}

#[test]
fn a_check_in_before_the_goals_start_needs_outside_period_and_is_marked_in_the_timeline() {
    // Given a goal of marketing alone that starts in a month, adopted by alice's agree,
    let cli = Cli::new();
    cli.setup();
    let today = chrono::Utc::now().date_naive();
    let (start, due) = (
        today + chrono::Days::new(30),
        today + chrono::Days::new(120),
    );
    cli.ok(
        "alice",
        &[
            "propose",
            "next-q",
            "--title",
            "Next quarter",
            "--team",
            "marketing",
            "--kr",
            "visits:40000:48000:visits/month",
            "--start",
            &start.to_string(),
            "--due",
            &due.to_string(),
            "--reason",
            "Planning ahead",
        ],
    );
    cli.ok("alice", &["vote", "next-q", "agree"]);
    assert_eq!(cli.json(&["show", "next-q"])["status"], "active");
    let before = cli.digest();
    // when alice checks in today, she is told to mark it, and nothing is appended;
    let check_in = [
        "check-in", "next-q", "--kr", "visits", "--value", "41000", "--health", "on-track",
    ];
    cli.cmd("alice")
        .args(check_in)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--outside-period"));
    assert_eq!(cli.digest(), before);
    // with --outside-period it is recorded, and the timeline says so.
    cli.cmd("alice")
        .args(check_in)
        .arg("--outside-period")
        .assert()
        .success();
    let timeline = cli
        .cmd("alice")
        .args(["timeline", "next-q"])
        .output()
        .unwrap();
    let text = String::from_utf8(timeline.stdout).unwrap();
    assert!(
        text.contains("visits = 41000 (on-track) (outside the goal's period)"),
        "{text}"
    );
}
